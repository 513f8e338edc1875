"""Typed values from JSON and from SGL literal text, and JSON from values: one rule for
`sgl exec` (arguments and `--args-json`), `sgl ask --json`, the cache's slot readers for
maps and records, and the embedding API.

Owns:
- `load_json(text)` and `from_json(data, t, defaults=None)`: JSON (numbers with a fraction
  parsed as exact Decimals) read by an SGL type into an SGL runtime value;
- `to_json(value)`: a value (runtime or plain Python) as JSON-ready data that
  `from_json` reads back as an equal value of the same type;
- `read_literal(text, t, defaults=None)`: one SGL literal (`'[1, 2]'`, `'date("2024-01-03")'`,
  `'Item(name="a")'`, `0.05`) read by a type into a runtime value, without evaluating
  anything: only literals, unary `-`/`+` on numbers, displays, the conversions
  `Decimal`, `date`, `datetime`, `duration` with literal arguments, and record
  constructors are accepted.

The JSON rules (spec/cli.md "Values as JSON"): `null` for `None`; `true`/`false` for
`Bool`; numbers for `Int` (no fraction), `Float`, `Decimal` (exact, from the digits as
written) and `Duration` (seconds, exact to the microsecond); a JSON *string* for any
other scalar type is read by that type's text reader (`runtime.scalars`: `"2024-01-03"`,
`"5 March 2024"`, `"20%"`, `"3 days"`, and `"nan"`/`"inf"`/`"-inf"` for a `Float`);
arrays for lists, sets and tuples; objects for maps (a key is read as the key type: a
`Str` key as written, any other key as the JSON text it holds, else as a string) and
records (fields by name; a missing field takes its default only when `defaults`
supplies the module's field defaults).

Invariants:
- the only error that leaves this module is `ConvertError`, one line, naming what did not
  read; reading recurses by the depth of the TYPE, never the data's; JSON nested more
  than `MAX_JSON_DEPTH` deep is refused before the C parser sees it, and `to_json`
  refuses data nested deeper or larger than `HOST_PRINT_LIMIT` characters of JSON (so
  neither can exhaust the C stack or the memory; a `ConvertError`, never a crash);
- Decimals never pass through a float or the host's decimal context: `0.05` written for
  a `Decimal` (as a literal or a JSON number) is `Decimal("0.05")`;
- a value is accepted exactly when its type is assignable to the expected one (`True`
  is not an `Int`, an `Int` is a `Float` and a `Decimal`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from seglam_lang.check.types import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    DURATION,
    DURATION_KEYWORDS,
    FLOAT,
    INT,
    NONE,
    STR,
    ListT,
    MapT,
    OptionalT,
    RecordT,
    SetT,
    TupleT,
    Type,
)
from seglam_lang.runtime.scalars import (
    SCALAR_READERS,
    SECOND,
    ConvertError,
    duration_of_micros,
    micros_of,
    show,
)
from seglam_lang.runtime.values import _INT_STR_BOUND, HOST_PRINT_LIMIT, INT_MAX_STR_DIGITS, Record, SglSet, make_record
from seglam_lang.syntax import ast

__all__ = ["ConvertError", "RecordDefaults", "from_json", "load_json", "read_literal", "sgl_set", "to_json"]

RecordDefaults = Callable[[RecordT], Mapping[str, Any]]
MAX_JSON_DEPTH = 500  # arrays and objects inside each other, reading or writing
_MISMATCH = object()
_FLOAT_WORDS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}  # JSON has no spelling of its own


def sgl_set(items: list[Any]) -> SglSet:
    """An SGL set in the order the items were given (first occurrence kept)."""
    try:
        return SglSet(dict.fromkeys(items))
    except TypeError:
        raise ConvertError("set items must be hashable (numbers, strings, dates, tuples, records)") from None


def _record(t: RecordT, fields: dict[str, Any], defaults: RecordDefaults | None) -> Record:
    missing = [f for f in t.fields if f.name not in fields]
    if missing:
        supplied = defaults(t) if defaults is not None else {}
        absent = [f.name for f in missing if not f.has_default or f.name not in supplied]
        if absent:
            where = "" if defaults is not None else " (field defaults are not known here: give every field)"
            raise ConvertError(f"{t.name} is missing field(s): {', '.join(absent)}{where}")
        fields = {**fields, **{f.name: supplied[f.name] for f in missing}}
    return make_record(t, (fields[f.name] for f in t.fields))


# ---------------------------------------------------------------- JSON in


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _nesting(text: str) -> int:
    """How deep the arrays and objects of JSON text nest (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


def load_json(text: str) -> Any:
    """Parse JSON text: numbers with a fraction or exponent become exact Decimals."""
    if _nesting(text) > MAX_JSON_DEPTH:
        raise ConvertError(f"JSON nested more than {MAX_JSON_DEPTH:,} deep")
    try:
        return json.loads(text, parse_float=decimal.Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise ConvertError(f"not valid JSON: {e}") from None
    except RecursionError:
        raise ConvertError("JSON nested too deeply") from None
    except ValueError as e:  # a number of more than 4,300 digits, NaN, Infinity
        raise ConvertError(f"not valid JSON: {e}") from None


def from_json(data: Any, t: Type, defaults: RecordDefaults | None = None) -> Any:
    """JSON `data` (as `load_json` returns it) read as the SGL runtime value of type `t`."""
    try:
        return _JsonReader(defaults).read(data, t)
    except RecursionError:  # a recursive record type read from data nested deeper than the host allows
        raise ConvertError("JSON nested too deeply") from None


class _JsonReader:
    def __init__(self, defaults: RecordDefaults | None) -> None:
        self.defaults = defaults

    def read(self, data: Any, t: Type) -> Any:
        if isinstance(t, OptionalT):
            return None if data is None else self.read(data, t.inner)
        value = self.value(data, t)
        if value is _MISMATCH:
            raise ConvertError(f"expected {t}, got JSON {_json_snippet(data)}")
        return value

    def value(self, data: Any, t: Type) -> Any:
        kind = type(data)
        if kind is str and t in SCALAR_READERS:
            if t == FLOAT and data in _FLOAT_WORDS:
                return _FLOAT_WORDS[data]
            return SCALAR_READERS[t](data)
        if t == NONE:
            return None if data is None else _MISMATCH
        if (t, kind) in ((STR, str), (BOOL, bool), (INT, int)):
            return data
        if kind in (int, decimal.Decimal):
            if t == FLOAT:
                return _float(data)
            if t == DECIMAL:
                return decimal.Decimal(data)
            if t == DURATION:
                micros = micros_of(SECOND, decimal.Decimal(data))
                if micros is None:
                    raise ConvertError(f"duration finer than a microsecond: {data} seconds")
                return duration_of_micros(micros, str(data))
        if isinstance(t, (ListT, SetT, TupleT)) and kind is list:
            if isinstance(t, TupleT):
                if len(data) != len(t.elems):
                    raise ConvertError(f"expected {t} ({len(t.elems)} items), got {len(data)} items")
                return tuple(self.read(x, u) for x, u in zip(data, t.elems))
            items = [self.read(x, t.elem) for x in data]
            return sgl_set(items) if isinstance(t, SetT) else items
        if isinstance(t, MapT) and kind is dict:
            return {self.key(k, t.key): self.read(v, t.value) for k, v in data.items()}
        if isinstance(t, RecordT) and kind is dict:
            fields: dict[str, Any] = {}
            for k, v in data.items():
                f = t.field(k)
                if f is None:
                    raise ConvertError(f"{t.name} has no field {k!r} (fields: {', '.join(x.name for x in t.fields)})")
                fields[k] = self.read(v, f.type)
            return _record(t, fields, self.defaults)
        return _MISMATCH

    def key(self, key: str, t: Type) -> Any:
        """A JSON object key read as the map's key type (see `to_json` for how keys are written)."""
        inner = t.inner if isinstance(t, OptionalT) else t
        if inner == STR and not (isinstance(t, OptionalT) and key == "null"):
            return key
        try:
            data = load_json(key)
        except ConvertError:
            data = key
        return self.read(data, t)


def _float(n: int | decimal.Decimal) -> Any:
    try:
        value = float(n)
    except OverflowError:  # an int beyond the float range; a Decimal gives inf instead
        value = math.inf
    if math.isinf(value):
        raise ConvertError(f"number out of range for a Float: {show(str(n))}")
    return value


def _json_snippet(data: Any) -> str:
    text = json.dumps(data, default=str, ensure_ascii=False) if type(data) is not int else "a number"
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- JSON out


def to_json(value: Any, *, limit: int = HOST_PRINT_LIMIT) -> Any:
    """`value` (an SGL runtime value or a plain Python value) as JSON-ready data.

    Decimals become strings of their exact digits, dates and date-times ISO strings,
    durations seconds (a number, or `"S.ffffff seconds"` when a float cannot hold it
    exactly), non-finite floats `"nan"`/`"inf"`/`"-inf"`, sets and tuples arrays,
    records objects. A map key that is not a string is written as its JSON text.
    ConvertError when the JSON text would exceed about `limit` characters, nest more than
    `MAX_JSON_DEPTH` deep, or hold an Int of more than 4,300 digits (no JSON reader reads it).
    """
    try:
        return _JsonWriter(limit).write(value, 0)
    except RecursionError:  # a host whose recursion limit is below what MAX_JSON_DEPTH needs
        raise ConvertError("the value is nested too deeply for JSON") from None


class _JsonWriter:
    """`to_json`, counting the characters the JSON text will take as it goes."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def charge(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise ConvertError("the value is too large to write as JSON "
                               f"(over {HOST_PRINT_LIMIT:,} characters)")

    def write(self, value: Any, depth: int) -> Any:
        t = type(value)
        if t is str:
            self.charge(len(value) + 2)
            return value
        if t is int:
            if not -_INT_STR_BOUND < value < _INT_STR_BOUND:
                raise ConvertError(f"an Int of more than {INT_MAX_STR_DIGITS:,} digits has no JSON form")
            self.charge(value.bit_length() // 3 + 2)
            return value
        if t is Record or isinstance(value, (list, tuple, set, frozenset, SglSet, Mapping)):
            if depth >= MAX_JSON_DEPTH:
                raise ConvertError(f"the value is nested more than {MAX_JSON_DEPTH:,} deep for JSON")
            if t is Record:
                self.charge(2 + 4 * len(value.values))
                return {f.name: self.write(x, depth + 1) for f, x in zip(value.type.fields, value.values)}
            if isinstance(value, Mapping):
                self.charge(2 + 4 * len(value))
                return {self.charge_key(_key_json(k)): self.write(v, depth + 1) for k, v in value.items()}
            self.charge(2 + 2 * len(value))
            return [self.write(x, depth + 1) for x in value]
        data = _leaf_json(value)
        self.charge(len(data) + 2 if isinstance(data, str) else 24)
        return data

    def charge_key(self, key: str) -> str:
        self.charge(len(key) + 2)
        return key


def _leaf_json(value: Any) -> Any:
    """A value that holds no other value, as JSON-ready data."""
    t = type(value)
    if value is None or t is bool:
        return value
    if t is float:
        return value if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if t is decimal.Decimal:
        return format(value, "f")
    if t is dt.date or t is dt.datetime:
        return value.isoformat()
    if t is dt.timedelta:
        return _duration_json(value)
    raise ConvertError(f"a {t.__name__} value has no JSON form")


def _duration_json(value: dt.timedelta) -> int | float | str:
    micros = (value.days * 86_400 + value.seconds) * SECOND + value.microseconds
    seconds, rest = divmod(micros, SECOND)
    if not rest:
        return seconds
    as_float = micros / SECOND
    if micros_of(SECOND, decimal.Decimal(repr(as_float))) == micros:
        return as_float
    sign, whole = ("-", -micros) if micros < 0 else ("", micros)
    return f"{sign}{whole // SECOND}.{whole % SECOND:06d} seconds"


def _key_json(key: Any) -> str:
    if type(key) is str:
        return key
    data = to_json(key)
    return data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)


# ---------------------------------------------------------------- SGL literals

_PREFIX = "_ = "  # turns an argument into a one-declaration module for the parser
_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})\Z")  # what the parser would read as an Int literal, as is


def read_literal(text: str, t: Type, defaults: RecordDefaults | None = None) -> Any:
    """The runtime value of the SGL literal `text`, read as type `t`."""
    if t == INT and _PLAIN_INT.match(text):
        return int(text)  # the commonest argument, read without starting the parser
    if "\n" in text or "\r" in text:
        raise ConvertError("an argument must be a single line")
    from seglam_lang.errors import SglSyntaxError
    from seglam_lang.syntax.parser import parse  # Lark only when there are literals to read

    try:
        tree = parse(f"{_PREFIX}{text}\n", file="<argument>")
    except SglSyntaxError as e:
        d = e.diagnostic
        col = max(d.span.col - len(_PREFIX), 1)
        raise ConvertError(f"not an SGL literal: {d.message} (at column {col})") from None
    if len(tree.decls) != 1 or not isinstance(tree.decls[0], ast.ConstDecl):
        raise ConvertError("not an SGL literal")
    return _LiteralReader(text, defaults).read(tree.decls[0].value, t)


def _describe(e: ast.Expr) -> str:
    kinds = {
        ast.IntLit: "Int", ast.FloatLit: "Float", ast.StrLit: "Str", ast.BoolLit: "Bool",
        ast.NoneLit: "None", ast.ListExpr: "a list", ast.SetExpr: "a set", ast.DictExpr: "a map",
        ast.TupleExpr: "a tuple", ast.FString: "an f-string",
    }
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name):
        return f"{e.func.id}(...)"
    if isinstance(e, ast.UnaryOp) and e.op in "-+" and isinstance(e.operand, (ast.IntLit, ast.FloatLit)):
        return _describe(e.operand)
    return kinds.get(type(e), "an expression")


_EXAMPLES: dict[Type, str] = {
    INT: "42", FLOAT: "1.5", DECIMAL: "1.10", BOOL: "True", STR: '"text"',
    DATE: 'date("2024-01-03")', DATETIME: 'datetime("2024-01-03T10:30:00")', NONE: "None",
    DURATION: "duration(days=1, hours=2)",
}


def _example(t: Type) -> str:
    if t in _EXAMPLES:
        return _EXAMPLES[t]
    if isinstance(t, ListT):
        return f"[{_example(t.elem)}]"
    if isinstance(t, SetT):
        return f"{{{_example(t.elem)}}}"
    if isinstance(t, MapT):
        return f"{{{_example(t.key)}: {_example(t.value)}}}"
    if isinstance(t, TupleT):
        return "(" + ", ".join(_example(x) for x in t.elems) + ("," if len(t.elems) == 1 else "") + ")"
    if isinstance(t, OptionalT):
        return _example(t.inner)
    if isinstance(t, RecordT):
        return f"{t.name}(" + ", ".join(f"{f.name}={_example(f.type)}" for f in t.fields if not f.has_default) + ")"
    return str(t)


class _LiteralReader:
    """Reads a parsed constant expression against a type, without evaluating anything."""

    def __init__(self, text: str, defaults: RecordDefaults | None) -> None:
        self.text = text
        self.defaults = defaults

    def read(self, e: ast.Expr, t: Type) -> Any:
        if isinstance(t, OptionalT):
            return None if isinstance(e, ast.NoneLit) else self.read(e, t.inner)
        reader = _PRIMITIVE_READERS.get(t)
        if reader is not None:
            value = reader(self, e)
        elif isinstance(t, ListT) and isinstance(e, ast.ListExpr):
            value = [self.read(x, t.elem) for x in e.elts]
        elif isinstance(t, SetT) and isinstance(e, ast.SetExpr):
            value = sgl_set([self.read(x, t.elem) for x in e.elts])
        elif isinstance(t, SetT) and _is_call(e, "set") and not e.args and not e.keywords:
            value = sgl_set([])
        elif isinstance(t, MapT) and isinstance(e, ast.DictExpr):
            value = {self.read(k, t.key): self.read(v, t.value) for k, v in zip(e.keys, e.values)}
        elif isinstance(t, TupleT) and isinstance(e, ast.TupleExpr):
            if len(e.elts) != len(t.elems):
                raise ConvertError(f"expected a tuple of {len(t.elems)} items ({t}), got {len(e.elts)}")
            value = tuple(self.read(x, u) for x, u in zip(e.elts, t.elems))
        elif isinstance(t, RecordT) and _is_call(e, t.name):
            value = self.record(e, t)
        else:
            value = _MISMATCH
        if value is _MISMATCH:
            raise ConvertError(f"expected {t}, got {_describe(e)} (write it like {_example(t)})")
        return value

    def record(self, e: ast.Call, t: RecordT) -> Record:
        if e.args:
            raise ConvertError(f"{t.name}(...) takes keyword arguments only, e.g. {_example(t)}")
        fields: dict[str, Any] = {}
        for kw in e.keywords:
            f = t.field(kw.name)
            if f is None:
                known = ", ".join(x.name for x in t.fields)
                raise ConvertError(f"record {t.name} has no field {kw.name!r} (fields: {known})")
            fields[kw.name] = self.read(kw.value, f.type)
        return _record(t, fields, self.defaults)

    def source(self, e: ast.Expr) -> str:
        """The text of `e` as written in the argument (a single line)."""
        start = e.span.col - 1 - len(_PREFIX)
        return self.text[start:e.span.end_col - 1 - len(_PREFIX)]

    # -- primitives: each returns the value or _MISMATCH

    def int_(self, e: ast.Expr) -> Any:
        n = _number(e)
        return n if type(n) is int else _MISMATCH

    def float_(self, e: ast.Expr) -> Any:
        n = _number(e)
        if type(n) is float:
            return n
        if type(n) is int:
            return _float(n)
        if not _is_call(e, "float"):
            return _MISMATCH
        (arg,) = _call_args(e, 1, 'float("inf"), float("nan") or float("1.5")')
        text = _str_arg(arg, "float")
        try:
            return float(text.strip())  # what SGL's float("...") means
        except ValueError:
            raise ConvertError(f"not a number: {show(text)}") from None

    def decimal_(self, e: ast.Expr) -> Any:
        d = self.exact_number(e)
        if d is not None:
            return d
        if not _is_call(e, "Decimal"):
            return _MISMATCH
        (arg,) = _call_args(e, 1, 'Decimal("1.10")')
        if isinstance(arg, ast.StrLit):
            try:
                d = decimal.Decimal(arg.value.strip())
            except decimal.InvalidOperation:
                raise ConvertError(f"not a decimal number: {arg.value!r}") from None
            if not d.is_finite():
                raise ConvertError(f"not a finite decimal number: {arg.value!r}")
            return d
        d = self.exact_number(arg)
        if d is None:
            raise ConvertError('Decimal(...) takes a string of digits or a number, e.g. Decimal("1.10")')
        return d

    def exact_number(self, e: ast.Expr) -> decimal.Decimal | None:
        """A numeric literal as the exact Decimal of its digits as written (`0.05` is 5/100)."""
        if isinstance(e, ast.UnaryOp) and e.op in ("-", "+"):
            d = self.exact_number(e.operand)
            return None if d is None else (d.copy_negate() if e.op == "-" else d)
        if isinstance(e, ast.IntLit):
            return decimal.Decimal(e.value)
        if isinstance(e, ast.FloatLit):
            try:
                d = decimal.Decimal(self.source(e))
            except decimal.InvalidOperation:  # not the literal's own text: never guess from the float
                raise ConvertError(f"cannot read {self.source(e)!r} as a Decimal") from None
            return d if d.is_finite() else None
        return None

    def bool_(self, e: ast.Expr) -> Any:
        return e.value if isinstance(e, ast.BoolLit) else _MISMATCH

    def str_(self, e: ast.Expr) -> Any:
        return e.value if isinstance(e, ast.StrLit) else _MISMATCH

    def none_(self, e: ast.Expr) -> Any:
        return None if isinstance(e, ast.NoneLit) else _MISMATCH

    def date_(self, e: ast.Expr) -> Any:
        if not _is_call(e, "date"):
            return _MISMATCH
        args = _call_args(e, (1, 3), 'date("2024-01-03") or date(2024, 1, 3)')
        if len(args) == 1:
            return _read_iso_date(_str_arg(args[0], "date"))
        return _construct(dt.date, [_int_arg(a, "date") for a in args])

    def datetime_(self, e: ast.Expr) -> Any:
        if not _is_call(e, "datetime"):
            return _MISMATCH
        args = _call_args(e, (1, 7), 'datetime("2024-01-03T10:30:00") or datetime(2024, 1, 3, 10, 30)')
        if len(args) == 1:
            return _read_iso_datetime(_str_arg(args[0], "datetime"))
        if len(args) == 2:
            raise ConvertError("datetime(...) takes a string or at least year, month, day")
        return _construct(dt.datetime, [_int_arg(a, "datetime") for a in args])

    def duration_(self, e: ast.Expr) -> Any:
        if not _is_call(e, "duration"):
            return _MISMATCH
        if e.args:
            raise ConvertError(f"write duration(...) with keyword arguments: {', '.join(DURATION_KEYWORDS)}")
        parts: dict[str, int | float] = {}
        for kw in e.keywords:
            n = _number(kw.value)
            if kw.name not in DURATION_KEYWORDS or n is None:
                raise ConvertError(f"duration(...) takes numbers for {', '.join(DURATION_KEYWORDS)}")
            parts[kw.name] = n
        return _construct(dt.timedelta, [], parts)


_PRIMITIVE_READERS = {
    INT: _LiteralReader.int_, FLOAT: _LiteralReader.float_, DECIMAL: _LiteralReader.decimal_,
    BOOL: _LiteralReader.bool_, STR: _LiteralReader.str_, NONE: _LiteralReader.none_,
    DATE: _LiteralReader.date_, DATETIME: _LiteralReader.datetime_, DURATION: _LiteralReader.duration_,
}


def _is_call(e: ast.Expr, name: str) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == name


def _call_args(e: ast.Call, count: int | tuple[int, int], usage: str) -> tuple[ast.Expr, ...]:
    low, high = (count, count) if isinstance(count, int) else count
    if e.keywords or not low <= len(e.args) <= high:
        raise ConvertError(f"write {usage}")
    return e.args


def _number(e: ast.Expr) -> int | float | None:
    """The value of a numeric literal, optionally signed; None for anything else."""
    if isinstance(e, ast.UnaryOp) and e.op in ("-", "+"):
        n = _number(e.operand)
        return None if n is None else (-n if e.op == "-" else n)
    if isinstance(e, (ast.IntLit, ast.FloatLit)):
        return e.value
    return None


def _int_arg(e: ast.Expr, fn: str) -> int:
    n = _number(e)
    if type(n) is not int:
        raise ConvertError(f"{fn}(...) takes Int arguments")
    return n


def _str_arg(e: ast.Expr, fn: str) -> str:
    if not isinstance(e, ast.StrLit):
        raise ConvertError(f"{fn}(...) takes a string" + ("" if fn == "float" else " (ISO) or Int arguments"))
    return e.value


def _construct(cls: Any, parts: list[int], named: dict[str, int | float] | None = None) -> Any:
    try:
        return cls(*parts, **(named or {}))
    except (ValueError, OverflowError) as e:
        raise ConvertError(f"invalid {cls.__name__}: {e}") from None


def _read_iso_date(s: str) -> dt.date:
    """`date("...")` as SGL evaluates it: ISO only (the SGL conversion's own rule)."""
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise ConvertError(f"not an ISO date (YYYY-MM-DD): {s!r}") from None


def _read_iso_datetime(s: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(s)
    except ValueError:
        raise ConvertError(f"not an ISO date-time (YYYY-MM-DDTHH:MM[:SS]): {s!r}") from None
    if value.tzinfo is not None:
        raise ConvertError(f"SGL date-times are naive: drop the time zone from {s!r}")
    return value
