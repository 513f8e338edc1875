"""The built-in surface of SGL as DATA: built-in functions, methods and fields of built-in types.

Owns: the allow-list. Nothing outside these tables is reachable on a built-in value:
no Python attribute, no dunder, no method that is not listed. The runtime
(`seglam_lang.runtime`) implements exactly these names and a test asserts that both
sides list the same ones; the checker types calls from these signatures.

Signatures are written in a small signature language, parsed once at import:
`name(p: T, q: U = default, /) -> R` where `/` ends the positional-only parameters (as
in CPython: `s.startswith(prefix="a")` is a TypeError there, so an error here) and `*`
starts the keyword-only ones. Type variables `T` (element), `K` (key), `V` (value)
stand for the receiver's type arguments. `Iter[T]` as a PARAMETER type means "any
iterable of T" (List, Set, Tuple, Str, Map keys, views, Iter); `View[T]` is the type
`ViewT` of `Map.keys()/values()/items()`; `(T) -> Any` is a function type (a `key=`).

Map views: `keys()`, `values()`, `items()` return a `ViewT`: like Python's views they
can be iterated (many times), support `in` and `len()`, and reflect later changes to the
map; they cannot be indexed or compared (`list(m.keys())` makes a list).

Built-in functions are generic or overloaded, so they are typed by checker code
(`seglam_lang.check.checker`); here they are listed with a one-line signature for the
documentation.
"""

from __future__ import annotations

import re

from seglam_lang.check.types import (
    ANY,
    DURATION_KEYWORDS,
    GENERIC_ARITY,
    PRIMITIVES,
    FnT,
    IterT,
    ListT,
    MapT,
    ParamSig,
    PrimT,
    SetT,
    TupleT,
    Type,
    TypeVar,
    ViewT,
    optional,
)
from seglam_lang.frozen import field, frozen

# ---------------------------------------------------------------- built-in functions

BUILTIN_FUNCTIONS: dict[str, str] = {
    "len": "len(x: Str | List[T] | Tuple | Map[K, V] | Set[T] | View[T]) -> Int",
    "range": "range(stop: Int) / range(start: Int, stop: Int[, step: Int]) -> Iter[Int]",
    "enumerate": "enumerate(xs: Iter[T], start: Int = 0) -> Iter[Tuple[Int, T]]",
    "zip": "zip(a: Iter[A], b: Iter[B], ...) -> Iter[Tuple[A, B, ...]]",
    "sorted": "sorted(xs: Iter[T], *, key: (T) -> Any = None, reverse: Bool = False) -> List[T]",
    "reversed": "reversed(xs: List[T] | Tuple | Str | range) -> Iter[T]",
    "min": "min(xs: Iter[T], *, key=, default=) -> T  /  min(a: T, b: T, ...) -> T",
    "max": "max(xs: Iter[T], *, key=, default=) -> T  /  max(a: T, b: T, ...) -> T",
    "sum": "sum(xs: Iter[N], start: N = 0) -> N   (N numeric or Duration with a Duration start)",
    "abs": "abs(x: N) -> N   (N: Int, Float, Decimal, Duration)",
    "round": "round(x: Float | Decimal | Int) -> Int  /  round(x: N, ndigits: Int) -> N   (half-even)",
    "any": "any(xs: Iter[T]) -> Bool",
    "all": "all(xs: Iter[T]) -> Bool",
    "divmod": "divmod(a: N, b: N) -> Tuple[N, N]",
    "map": "map(f: (T) -> U, xs: Iter[T]) -> Iter[U]",
    "filter": "filter(f: (T) -> Any, xs: Iter[T]) -> Iter[T]",
    "int": "int(x: Str | Float | Decimal | Int | Bool) -> Int  /  int(x: Str, base: Int) -> Int",
    "float": "float(x: Str | Int | Float | Decimal) -> Float",
    "str": "str(x: T) -> Str",
    "bool": "bool(x: T) -> Bool",
    "Decimal": "Decimal(x: Str | Int | Decimal) -> Decimal   (not Float: it would carry binary noise)",
    "date": "date(year: Int, month: Int, day: Int) -> Date  /  date(iso: Str) -> Date",
    "datetime": "datetime(year, month, day[, hour, minute, second, microsecond]: Int) -> DateTime  /  datetime(iso: Str)",
    "duration": "duration(*, weeks=, days=, hours=, minutes=, seconds=, milliseconds=, microseconds=: Int | Float) -> Duration",
    "list": "list() -> List[T]  /  list(xs: Iter[T]) -> List[T]",
    "set": "set() -> Set[T]  /  set(xs: Iter[T]) -> Set[T]",
    "dict": "dict() -> Map[K, V]  /  dict(m: Map[K, V]) -> Map[K, V]  /  dict(pairs: Iter[Tuple[K, V]]) -> Map[K, V]",
    "tuple": "tuple(xs: Iter[T]) -> Tuple[T, ...]   (only with a Tuple argument, whose type it keeps)",
    "chr": "chr(i: Int) -> Str",
    "ord": "ord(c: Str) -> Int",
}

# Names that are types and can only appear in annotations (and `Decimal`, also a function).
ANNOTATION_TYPE_NAMES: frozenset[str] = (frozenset(PRIMITIVES) | frozenset(GENERIC_ARITY)) - {"Decimal"}


# ---------------------------------------------------------------- method signatures


@frozen
class MethodSig:
    """One method of a built-in type. Parameters before `posonly` are positional-only;
    parameters from `kwonly` on are keyword-only."""

    name: str
    params: tuple[ParamSig, ...]
    returns: Type
    posonly: int = 0
    kwonly: int = 1_000
    text: str = field(default="", eq=False)

    def __str__(self) -> str:
        return self.text


_TOKEN = re.compile(r"\s*(->|[A-Za-z_][A-Za-z0-9_]*|[\[\](),?/*=:]|\"[^\"]*\"|-?\d+)")
_TYPE_VARS = frozenset({"T", "K", "V", "U"})


class _SigParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[str] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                if text[pos:].strip() == "":
                    break
                raise ValueError(f"bad signature {text!r} at {pos}")
            self.toks.append(m.group(1))
            pos = m.end()
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expect: str | None = None) -> str:
        tok = self.toks[self.i]
        if expect is not None and tok != expect:
            raise ValueError(f"bad signature {self.text!r}: expected {expect!r}, got {tok!r}")
        self.i += 1
        return tok

    def type(self) -> Type:
        if self.peek() == "(":
            self.take("(")
            params: list[Type] = []
            while self.peek() != ")":
                params.append(self.type())
                if self.peek() == ",":
                    self.take(",")
            self.take(")")
            self.take("->")
            t: Type = FnT(tuple(params), self.type())
        else:
            name = self.take()
            args: list[Type] = []
            if self.peek() == "[":
                self.take("[")
                args.append(self.type())
                while self.peek() == ",":
                    self.take(",")
                    args.append(self.type())
                self.take("]")
            t = _build(name, args)
        if self.peek() == "?":
            self.take("?")
            t = optional(t)
        return t

    def method(self) -> MethodSig:
        name = self.take()
        self.take("(")
        params: list[ParamSig] = []
        posonly, kwonly = 0, 1_000
        while self.peek() != ")":
            tok = self.take()
            if tok == "/":
                posonly = len(params)
            elif tok == "*":
                kwonly = len(params)
            else:
                self.take(":")
                ptype = self.type()
                has_default = self.peek() == "="
                if has_default:
                    self.take("=")
                    self.take()
                params.append(ParamSig(tok, ptype, has_default))
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        self.take("->")
        return MethodSig(name, tuple(params), self.type(), posonly, kwonly, text=self.text)


def _build(name: str, args: list[Type]) -> Type:
    if name in _TYPE_VARS:
        return TypeVar(name)
    if name == "Any":
        return ANY
    if name in PRIMITIVES:
        return PRIMITIVES[name]
    ctor = {"List": lambda: ListT(args[0]), "Set": lambda: SetT(args[0]), "Map": lambda: MapT(args[0], args[1]),
            "Tuple": lambda: TupleT(tuple(args)), "Iter": lambda: IterT(args[0]), "View": lambda: ViewT(args[0])}
    return ctor[name]()


def _methods(*texts: str) -> dict[str, MethodSig]:
    sigs = [_SigParser(t).method() for t in texts]
    return {s.name: s for s in sigs}


def _same(template: str, names: str) -> list[str]:
    return [template.replace("NAME", n) for n in names.split()]


_STR = _methods(
    *_same("NAME() -> Str", "upper lower title capitalize swapcase casefold"),
    *_same("NAME(chars: Str? = None, /) -> Str", "strip lstrip rstrip"),
    *_same("NAME(sep: Str? = None, maxsplit: Int = -1) -> List[Str]", "split rsplit"),
    "splitlines(keepends: Bool = False) -> List[Str]",
    "join(items: Iter[Str], /) -> Str",
    "replace(old: Str, new: Str, count: Int = -1, /) -> Str",
    *_same("NAME(affix: Str, start: Int? = None, end: Int? = None, /) -> Bool", "startswith endswith"),
    *_same("NAME(sub: Str, start: Int? = None, end: Int? = None, /) -> Int", "find rfind index rindex count"),
    *_same("NAME() -> Bool", "isdigit isalpha isalnum isspace isupper islower isdecimal isnumeric"),
    *_same('NAME(width: Int, fillchar: Str = " ", /) -> Str', "center ljust rjust"),
    "zfill(width: Int, /) -> Str",
    *_same("NAME(sep: Str, /) -> Tuple[Str, Str, Str]", "partition rpartition"),
    *_same("NAME(affix: Str, /) -> Str", "removeprefix removesuffix"),
)

_LIST = _methods(
    "append(x: T, /) -> None",
    "extend(items: Iter[T], /) -> None",
    "insert(i: Int, x: T, /) -> None",
    "pop(i: Int = -1, /) -> T",
    "remove(x: T, /) -> None",
    "index(x: T, start: Int = 0, stop: Int = 0, /) -> Int",
    "count(x: T, /) -> Int",
    "sort(*, key: (T) -> Any = None, reverse: Bool = False) -> None",
    "reverse() -> None",
    "copy() -> List[T]",
    "clear() -> None",
)

_MAP = _methods(
    "get(key: K, default: V = None, /) -> V?",  # typed by the checker: the result joins V and the default
    "keys() -> View[K]",
    "values() -> View[V]",
    "items() -> View[Tuple[K, V]]",
    "pop(key: K, default: V = None, /) -> V",
    "setdefault(key: K, default: V, /) -> V",
    "update(other: Map[K, V], /) -> None",
    "copy() -> Map[K, V]",
    "clear() -> None",
)

_SET = _methods(
    *_same("NAME(x: T, /) -> None", "add remove discard"),
    *_same("NAME(other: Iter[T], /) -> Set[T]", "union intersection difference symmetric_difference"),
    *_same("NAME(other: Iter[T], /) -> Bool", "issubset issuperset isdisjoint"),
    "copy() -> Set[T]",
    "clear() -> None",
)

_DATE_COMMON = (
    *_same("NAME() -> Int", "weekday isoweekday toordinal"),
    "isoformat() -> Str",
)

METHODS: dict[str, dict[str, MethodSig]] = {
    "Str": _STR,
    "List": _LIST,
    "Map": _MAP,
    "Set": _SET,
    "Tuple": _methods("count(x: Any, /) -> Int", "index(x: Any, /) -> Int"),
    "Int": _methods("bit_length() -> Int"),
    "Float": _methods("is_integer() -> Bool"),
    "Decimal": _methods("quantize(exp: Decimal, /) -> Decimal"),
    "Date": _methods(*_DATE_COMMON, "replace(*, year: Int = 0, month: Int = 0, day: Int = 0) -> Date"),
    "DateTime": _methods(
        *_DATE_COMMON,
        "replace(*, year: Int = 0, month: Int = 0, day: Int = 0, hour: Int = 0, minute: Int = 0, "
        "second: Int = 0, microsecond: Int = 0) -> DateTime",
        "date() -> Date",
    ),
    "Duration": _methods("total_seconds() -> Float"),
}

# Read-only attributes of built-in values (no call).
FIELDS: dict[str, dict[str, Type]] = {
    "Date": {"year": PRIMITIVES["Int"], "month": PRIMITIVES["Int"], "day": PRIMITIVES["Int"]},
    "DateTime": {n: PRIMITIVES["Int"] for n in ("year", "month", "day", "hour", "minute", "second", "microsecond")},
    "Duration": {n: PRIMITIVES["Int"] for n in ("days", "seconds", "microseconds")},
}

# Methods that change their receiver in place: not allowed on a module constant (frozen).
MUTATING_METHODS: dict[str, frozenset[str]] = {
    "List": frozenset({"append", "extend", "insert", "pop", "remove", "sort", "reverse", "clear"}),
    "Map": frozenset({"pop", "setdefault", "update", "clear"}),
    "Set": frozenset({"add", "remove", "discard", "clear"}),
}

# Record values have their fields and this one method: `r.replace(field=value, ...)`.
RECORD_METHODS: frozenset[str] = frozenset({"replace"})


def method_table(t: Type) -> str | None:
    """The key of static type `t` in `METHODS` / `FIELDS`: a primitive's name, or `List`, `Map`,
    `Set`, `Tuple`; None for any other type. The one rule for checker and runtime alike (the
    checker prunes `t` first; the runtime also maps records and unwraps optionals:
    `runtime.closures.expr.static_type_name`)."""
    if isinstance(t, PrimT):
        return t.name
    return _GENERIC_TABLES.get(type(t))


_GENERIC_TABLES: dict[type, str] = {ListT: "List", MapT: "Map", SetT: "Set", TupleT: "Tuple"}


__all__ = [
    "ANNOTATION_TYPE_NAMES",
    "BUILTIN_FUNCTIONS",
    "DURATION_KEYWORDS",
    "FIELDS",
    "METHODS",
    "MUTATING_METHODS",
    "RECORD_METHODS",
    "MethodSig",
    "method_table",
]
