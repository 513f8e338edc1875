"""Reading `sgl exec` arguments: SGL literals and JSON, both read by the parameter's type.

Owns: turning one command-line argument into a Python value of the shape the runtime's
`from_python(value, type)` accepts (records as dicts of fields, sets already as
`SglSet`s in the written order), and a result into JSON.

- An SGL literal (`'[1, 2]'`, `'date("2024-01-03")'`, `'Item(name="a")'`) is parsed with
  the SGL parser as an expression, then *read* against the expected type: only literals,
  unary `-`/`+` on numbers, list/set/map/tuple displays, the conversions `Decimal`,
  `date` and `datetime` with literal arguments, and constructor calls of record types
  are accepted. Nothing is evaluated, so nothing can run.
- JSON (`--args-json`) is read by type too: ISO strings for `Date`/`DateTime`, strings
  or numbers for `Decimal` (numbers keep their exact decimal text), seconds for
  `Duration`, objects for records and maps (keys read by the key type), arrays for
  lists, sets and tuples.

Invariants: the only error that leaves this module is `ArgError` (one line, naming where
in the argument it went wrong); a value is accepted exactly when its type is assignable
to the parameter's (so `True` is not an `Int`, an `Int` is a `Float`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Mapping
from typing import Any

from seglam_lang.check.builtins import DURATION_KEYWORDS
from seglam_lang.check.types import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    DURATION,
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
from seglam_lang.errors import SglSyntaxError
from seglam_lang.syntax import ast

# The prefix that turns an argument into a one-declaration module for the parser.
_PREFIX = "_ = "


class ArgError(Exception):
    """An argument that cannot be read as its parameter's type (a usage error)."""


# ---------------------------------------------------------------- SGL literals


def parse_literal(text: str) -> ast.Expr:
    """Parse one argument as an SGL expression; ArgError if it is not exactly one."""
    if "\n" in text or "\r" in text:
        raise ArgError("an argument must be a single line")
    from seglam_lang.syntax.parser import parse  # Lark only when there are literals to read

    try:
        tree = parse(f"{_PREFIX}{text}\n", file="<argument>")
    except SglSyntaxError as e:
        d = e.diagnostic
        col = max(d.span.col - len(_PREFIX), 1)
        raise ArgError(f"not an SGL literal: {d.message} (at column {col})") from None
    if len(tree.decls) != 1 or not isinstance(tree.decls[0], ast.ConstDecl):
        raise ArgError("not an SGL literal")
    return tree.decls[0].value


def read_literal(text: str, t: Type) -> Any:
    """The Python value of the literal `text`, checked against type `t`."""
    return _LiteralReader().read(parse_literal(text), t)


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
    INT: "42", FLOAT: "1.5", DECIMAL: 'Decimal("1.10")', BOOL: "True", STR: '"text"',
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

    def read(self, e: ast.Expr, t: Type) -> Any:
        if isinstance(t, OptionalT):
            return None if isinstance(e, ast.NoneLit) else self.read(e, t.inner)
        reader = _PRIMITIVE_READERS.get(t)
        if reader is not None:
            value = reader(self, e)
        elif isinstance(t, ListT) and isinstance(e, ast.ListExpr):
            value = [self.read(x, t.elem) for x in e.elts]
        elif isinstance(t, SetT) and isinstance(e, ast.SetExpr):
            value = _sgl_set([self.read(x, t.elem) for x in e.elts])
        elif isinstance(t, SetT) and _is_call(e, "set") and not e.args and not e.keywords:
            value = _sgl_set([])
        elif isinstance(t, MapT) and isinstance(e, ast.DictExpr):
            value = {self.read(k, t.key): self.read(v, t.value) for k, v in zip(e.keys, e.values)}
        elif isinstance(t, TupleT) and isinstance(e, ast.TupleExpr):
            if len(e.elts) != len(t.elems):
                raise ArgError(f"expected a tuple of {len(t.elems)} items ({t}), got {len(e.elts)}")
            value = tuple(self.read(x, u) for x, u in zip(e.elts, t.elems))
        elif isinstance(t, RecordT) and _is_call(e, t.name):
            value = self.record(e, t)
        else:
            value = _MISMATCH
        if value is _MISMATCH:
            raise ArgError(f"expected {t}, got {_describe(e)} (write it like {_example(t)})")
        return value

    def record(self, e: ast.Call, t: RecordT) -> dict[str, Any]:
        if e.args:
            raise ArgError(f"{t.name}(...) takes keyword arguments only, e.g. {_example(t)}")
        fields: dict[str, Any] = {}
        for kw in e.keywords:
            f = t.field(kw.name)
            if f is None:
                known = ", ".join(x.name for x in t.fields)
                raise ArgError(f"record {t.name} has no field {kw.name!r} (fields: {known})")
            fields[kw.name] = self.read(kw.value, f.type)
        missing = [f.name for f in t.fields if not f.has_default and f.name not in fields]
        if missing:
            raise ArgError(f"{t.name}(...) is missing field(s): {', '.join(missing)}")
        return fields

    # -- primitives: each returns the value or _MISMATCH

    def int_(self, e: ast.Expr) -> Any:
        n = _number(e)
        return n if type(n) is int else _MISMATCH

    def float_(self, e: ast.Expr) -> Any:
        n = _number(e)
        return float(n) if type(n) in (int, float) else _MISMATCH

    def decimal_(self, e: ast.Expr) -> Any:
        n = _number(e)
        if type(n) is int:
            return decimal.Decimal(n)
        if type(n) is float:
            raise ArgError('a Float is not a Decimal: write Decimal("...") with the digits as a string')
        if not _is_call(e, "Decimal"):
            return _MISMATCH
        (arg,) = _call_args(e, 1, 'Decimal("1.10")')
        if isinstance(arg, ast.StrLit):
            try:
                d = decimal.Decimal(arg.value.strip())
            except decimal.InvalidOperation:
                raise ArgError(f"not a decimal number: {arg.value!r}") from None
            if not d.is_finite():
                raise ArgError(f"not a finite decimal number: {arg.value!r}")
            return d
        if type(_number(arg)) is int:
            return decimal.Decimal(_number(arg))
        raise ArgError('Decimal(...) takes a string of digits or an Int, e.g. Decimal("1.10")')

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
            return read_iso_date(_str_arg(args[0], "date"))
        return _construct(dt.date, [_int_arg(a, "date") for a in args])

    def datetime_(self, e: ast.Expr) -> Any:
        if not _is_call(e, "datetime"):
            return _MISMATCH
        args = _call_args(e, (1, 7), 'datetime("2024-01-03T10:30:00") or datetime(2024, 1, 3, 10, 30)')
        if len(args) == 1:
            return read_iso_datetime(_str_arg(args[0], "datetime"))
        if len(args) == 2:
            raise ArgError("datetime(...) takes a string or at least year, month, day")
        return _construct(dt.datetime, [_int_arg(a, "datetime") for a in args])

    def duration_(self, e: ast.Expr) -> Any:
        if not _is_call(e, "duration"):
            return _MISMATCH
        if e.args or not e.keywords:
            raise ArgError(f"write duration(...) with keyword arguments: {', '.join(DURATION_KEYWORDS)}")
        parts: dict[str, int | float] = {}
        for kw in e.keywords:
            n = _number(kw.value)
            if kw.name not in DURATION_KEYWORDS or n is None:
                raise ArgError(f"duration(...) takes numbers for {', '.join(DURATION_KEYWORDS)}")
            parts[kw.name] = n
        return _construct(dt.timedelta, [], parts)


_MISMATCH = object()

_PRIMITIVE_READERS = {
    INT: _LiteralReader.int_, FLOAT: _LiteralReader.float_, DECIMAL: _LiteralReader.decimal_,
    BOOL: _LiteralReader.bool_, STR: _LiteralReader.str_, NONE: _LiteralReader.none_,
    DATE: _LiteralReader.date_, DATETIME: _LiteralReader.datetime_, DURATION: _LiteralReader.duration_,
}


def _sgl_set(items: list[Any]) -> Any:
    """An SGL set in the order the items were written (a Python set's order depends on the hash seed)."""
    from seglam_lang.runtime.values import SglSet

    try:
        return SglSet(items)
    except TypeError:
        raise ArgError("set items must be hashable (numbers, strings, dates, tuples)") from None


def _is_call(e: ast.Expr, name: str) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == name


def _call_args(e: ast.Call, count: int | tuple[int, int], usage: str) -> tuple[ast.Expr, ...]:
    low, high = (count, count) if isinstance(count, int) else count
    if e.keywords or not low <= len(e.args) <= high:
        raise ArgError(f"write {usage}")
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
        raise ArgError(f"{fn}(...) takes Int arguments")
    return n


def _str_arg(e: ast.Expr, fn: str) -> str:
    if not isinstance(e, ast.StrLit):
        raise ArgError(f"{fn}(...) takes an ISO string or Int arguments")
    return e.value


def _construct(cls: Any, parts: list[int], named: dict[str, int | float] | None = None) -> Any:
    try:
        return cls(*parts, **(named or {}))
    except (ValueError, OverflowError) as e:
        raise ArgError(f"invalid {cls.__name__}: {e}") from None


def read_iso_date(s: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise ArgError(f"not an ISO date (YYYY-MM-DD): {s!r}") from None


def read_iso_datetime(s: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(s)
    except ValueError:
        raise ArgError(f"not an ISO date-time (YYYY-MM-DDTHH:MM[:SS]): {s!r}") from None
    if value.tzinfo is not None:
        raise ArgError(f"SGL date-times are naive: drop the time zone from {s!r}")
    return value


# ---------------------------------------------------------------- JSON


def load_json_object(text: str) -> dict[str, Any]:
    """Parse `--args-json`: a JSON object; numbers with a fraction are kept as exact Decimals."""
    try:
        data = json.loads(text, parse_float=decimal.Decimal)
    except json.JSONDecodeError as e:
        raise ArgError(f"--args-json is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ArgError("--args-json must be a JSON object of named arguments")
    return data


def read_json(value: Any, t: Type) -> Any:
    """The Python value for JSON data `value` (as `load_json_object` parsed it) of type `t`."""
    if isinstance(t, OptionalT):
        return None if value is None else read_json(value, t.inner)
    result = _read_json(value, t)
    if result is _MISMATCH:
        raise ArgError(f"expected {t}, got JSON {json.dumps(value, default=str)[:60]}")
    return result


def _read_json(value: Any, t: Type) -> Any:
    if t == NONE:
        return None if value is None else _MISMATCH
    if t == BOOL:
        return value if isinstance(value, bool) else _MISMATCH
    if t == INT:
        return value if type(value) is int else _MISMATCH
    if t == FLOAT:
        return float(value) if type(value) in (int, decimal.Decimal) else _MISMATCH
    if t == DECIMAL:
        if type(value) in (int, decimal.Decimal):
            return decimal.Decimal(value)
        if isinstance(value, str):
            try:
                d = decimal.Decimal(value.strip())
            except decimal.InvalidOperation:
                raise ArgError(f"not a decimal number: {value!r}") from None
            return d if d.is_finite() else _MISMATCH
        return _MISMATCH
    if t == STR:
        return value if isinstance(value, str) else _MISMATCH
    if t == DATE:
        return read_iso_date(value) if isinstance(value, str) else _MISMATCH
    if t == DATETIME:
        return read_iso_datetime(value) if isinstance(value, str) else _MISMATCH
    if t == DURATION:
        if type(value) in (int, decimal.Decimal) and math.isfinite(value):
            return dt.timedelta(seconds=float(value))
        return _MISMATCH
    if isinstance(t, ListT):
        return [read_json(x, t.elem) for x in value] if isinstance(value, list) else _MISMATCH
    if isinstance(t, SetT):
        return _sgl_set([read_json(x, t.elem) for x in value]) if isinstance(value, list) else _MISMATCH
    if isinstance(t, TupleT):
        if not isinstance(value, list) or len(value) != len(t.elems):
            return _MISMATCH
        return tuple(read_json(x, u) for x, u in zip(value, t.elems))
    if isinstance(t, MapT):
        if not isinstance(value, dict):
            return _MISMATCH
        return {_read_json_key(k, t.key): read_json(v, t.value) for k, v in value.items()}
    if isinstance(t, RecordT):
        if not isinstance(value, dict):
            return _MISMATCH
        fields: dict[str, Any] = {}
        for k, v in value.items():
            f = t.field(k)
            if f is None:
                raise ArgError(f"record {t.name} has no field {k!r}")
            fields[k] = read_json(v, f.type)
        missing = [f.name for f in t.fields if not f.has_default and f.name not in fields]
        if missing:
            raise ArgError(f"{t.name} is missing field(s): {', '.join(missing)}")
        return fields
    return _MISMATCH


def _read_json_key(key: str, t: Type) -> Any:
    """JSON object keys are strings: read them as the map's key type."""
    if t == INT:
        try:
            return int(key)
        except ValueError:
            raise ArgError(f"map key {key!r} is not an Int") from None
    if t == STR:
        return key
    return read_json(key, t)


def to_json(value: Any) -> Any:
    """A Python value (from the runtime's `to_python`) as JSON-ready data.

    Decimals become strings (exact), dates and date-times ISO strings, durations
    seconds, sets and tuples arrays; map keys that are not strings are printed.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Mapping):
        return {(k if isinstance(k, str) else json.dumps(to_json(k))): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)) or hasattr(value, "__iter__"):
        return [to_json(x) for x in value]
    raise TypeError(f"cannot convert {type(value).__name__} to JSON")
