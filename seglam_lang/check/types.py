"""The SGL type model, shared by the checker and every layer above it.

Owns: the type values (`INT`, `ListT(STR)`, `RecordT(...)`, ...), conversion from a
syntax `TypeName` annotation, the printed form of a type (`List[Int]`, `Str?`), the
assignability relation (with `Int` widening to `Float`/`Decimal`), and the
*interfaces* a checked module exposes to others: `ParamSig`, `ProcSig`, `ModuleInterface`.

Invariants:
- types are immutable and hashable; structural equality (`ListT(INT) == ListT(INT)`);
- `OptionalT` never nests and never wraps `NONE` (use `optional()` to build one);
- `ANY` is the checker's recovery type after an error: it is assignable both ways, so
  one mistake yields one diagnostic, not a cascade. It never appears in a signature a
  user wrote.
"""

from __future__ import annotations

from collections.abc import Mapping

from seglam_lang.frozen import field, frozen
from seglam_lang.syntax import ast


class Type:
    """Base of all SGL types."""

    __slots__ = ()

    def __str__(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


@frozen
class PrimT(Type):
    name: str

    def __str__(self) -> str:
        return self.name


INT = PrimT("Int")
FLOAT = PrimT("Float")
DECIMAL = PrimT("Decimal")
BOOL = PrimT("Bool")
STR = PrimT("Str")
DATE = PrimT("Date")
DATETIME = PrimT("DateTime")
DURATION = PrimT("Duration")
NONE = PrimT("None")
ANY = PrimT("Any")

PRIMITIVES: dict[str, PrimT] = {t.name: t for t in (INT, FLOAT, DECIMAL, BOOL, STR, DATE, DATETIME, DURATION, NONE)}


@frozen
class ListT(Type):
    elem: Type

    def __str__(self) -> str:
        return f"List[{self.elem}]"


@frozen
class SetT(Type):
    elem: Type

    def __str__(self) -> str:
        return f"Set[{self.elem}]"


@frozen
class MapT(Type):
    key: Type
    value: Type

    def __str__(self) -> str:
        return f"Map[{self.key}, {self.value}]"


@frozen
class TupleT(Type):
    elems: tuple[Type, ...]

    def __str__(self) -> str:
        return f"Tuple[{', '.join(map(str, self.elems))}]"


@frozen
class IterT(Type):
    """A one-shot iterable: `range`, `enumerate`, `zip`, `reversed`, generator expressions.

    It can be iterated (`for`, comprehensions, `list()`, `sorted()`, `sum()`...) and
    nothing else: Python gives `range(3) == [0, 1, 2]` False, so SGL rejects comparing it.
    It cannot be written in an annotation.
    """

    elem: Type

    def __str__(self) -> str:
        return f"Iter[{self.elem}]"


@frozen
class ViewT(Type):
    """A live view of a Map: `keys()`, `values()`, `items()` (as Python's dict views).

    It can be iterated (more than once), tested with `in` and measured with `len()`;
    nothing else (no indexing, no comparison). It cannot be written in an annotation.
    """

    elem: Type

    def __str__(self) -> str:
        return f"View[{self.elem}]"


@frozen
class OptionalT(Type):
    inner: Type

    def __str__(self) -> str:
        return f"{self.inner}?"


@frozen
class FieldSig:
    name: str
    type: Type
    has_default: bool = False


@frozen
class RecordT(Type):
    """A record type; identified by module and name (two modules may both have `Item`)."""

    name: str
    module: str
    fields: tuple[FieldSig, ...] = field(eq=False)

    def field(self, name: str) -> FieldSig | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def __str__(self) -> str:
        return self.name


@frozen
class FnT(Type):
    """A function value's type (lambdas, procs passed as `key=`)."""

    params: tuple[Type, ...]
    ret: Type

    def __str__(self) -> str:
        return f"({', '.join(map(str, self.params))}) -> {self.ret}"


@frozen
class TypeVar(Type):
    """A type variable in a generic native signature (`T`, `K`, `V`)."""

    name: str

    def __str__(self) -> str:
        return self.name


def optional(t: Type) -> Type:
    if t == NONE or t == ANY or isinstance(t, OptionalT):
        return t
    return OptionalT(t)


def strip_optional(t: Type) -> Type:
    return t.inner if isinstance(t, OptionalT) else t


GENERIC_ARITY = {"List": 1, "Set": 1, "Map": 2, "Tuple": -1}

# The keyword arguments of `duration(...)`, in the order messages list them.
DURATION_KEYWORDS = ("weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds")


class UnknownType(Exception):
    """A TypeName that names no type; `.name` and `.span` say which."""

    def __init__(self, message: str, node: ast.TypeName) -> None:
        super().__init__(message)
        self.node = node


def from_annotation(
    t: ast.TypeName,
    records: Mapping[str, RecordT],
    type_vars: frozenset[str] = frozenset(),
) -> Type:
    """Resolve a written annotation; raise UnknownType for a bad name or arity."""
    if t.name in PRIMITIVES and not t.args:
        base: Type = PRIMITIVES[t.name]
    elif t.name in GENERIC_ARITY:
        arity = GENERIC_ARITY[t.name]
        if not t.args or (arity > 0 and len(t.args) != arity):
            want = "one type" if arity == 1 else "two types" if arity == 2 else "at least one type"
            raise UnknownType(f"{t.name} takes {want} in brackets, e.g. {_EXAMPLE[t.name]}", t)
        args = [from_annotation(a, records, type_vars) for a in t.args]
        base = {"List": lambda: ListT(args[0]), "Set": lambda: SetT(args[0]),
                "Map": lambda: MapT(args[0], args[1]), "Tuple": lambda: TupleT(tuple(args))}[t.name]()
    elif t.name in records and not t.args:
        base = records[t.name]
    elif t.name in type_vars and not t.args:
        base = TypeVar(t.name)
    elif t.name in PRIMITIVES or t.name in records:
        raise UnknownType(f"{t.name} takes no type arguments", t)
    else:
        raise UnknownType(f"unknown type {t.name!r}", t)
    return optional(base) if t.optional else base


_EXAMPLE = {"List": "List[Int]", "Set": "Set[Str]", "Map": "Map[Str, Int]", "Tuple": "Tuple[Int, Str]"}


def is_assignable(src: Type, dst: Type) -> bool:
    """May a value of type `src` be used where `dst` is expected?"""
    if src == dst or src == ANY or dst == ANY:
        return True
    if isinstance(dst, TypeVar) or isinstance(src, TypeVar):
        return True
    if src == INT and dst in (FLOAT, DECIMAL):
        return True
    if src == BOOL and dst == INT:
        return False  # Python allows it; SGL keeps Bool and Int apart to catch mistakes
    if isinstance(dst, OptionalT):
        return src == NONE or is_assignable(strip_optional(src), dst.inner)
    # Collections are covariant: arguments are copied on entry, never mutated in place.
    if isinstance(src, ListT) and isinstance(dst, ListT):
        return is_assignable(src.elem, dst.elem)
    if isinstance(src, SetT) and isinstance(dst, SetT):
        return is_assignable(src.elem, dst.elem)
    if isinstance(src, MapT) and isinstance(dst, MapT):
        return is_assignable(src.key, dst.key) and is_assignable(src.value, dst.value)
    if isinstance(src, TupleT) and isinstance(dst, TupleT):
        return len(src.elems) == len(dst.elems) and all(map(is_assignable, src.elems, dst.elems))
    if isinstance(src, FnT) and isinstance(dst, FnT):
        return len(src.params) == len(dst.params) and is_assignable(src.ret, dst.ret)
    return False


@frozen
class ParamSig:
    name: str
    type: Type
    has_default: bool = False


@frozen
class ProcSig:
    """A procedure's signature as other modules, the verifier and the cache see it."""

    name: str
    params: tuple[ParamSig, ...]
    returns: Type
    doc: str | None = None

    def fn_type(self) -> FnT:
        return FnT(tuple(p.type for p in self.params), self.returns)

    def __str__(self) -> str:
        ps = ", ".join(f"{p.name}: {p.type}" + (" = ..." if p.has_default else "") for p in self.params)
        return f"{self.name}({ps}) -> {self.returns}"


@frozen
class ModuleInterface:
    """What `use std.x` makes visible: procedures, records and constants, with types."""

    name: str
    procs: Mapping[str, ProcSig]
    records: Mapping[str, RecordT]
    consts: Mapping[str, Type]
