"""Type inference helpers: open types (`Hole`), assignability that fixes them, joins, iteration.

Owns: the checker's view of types *during* checking. An empty literal (`[]`, `{}`,
`set()`) or a local first assigned `None` gets a `Hole` for the part nobody has said
yet; the first constraining use fixes it (`result.append(x)`, `counts[w] = n`,
`return result`, `best = v`). `zonk` replaces every fixed hole by its type (and an
unconstrained one by `ANY`) when checking ends, so `CheckedModule.types` holds no holes.

Invariants: a `Hole` is fixed at most once (`ref` is set once, never reset); `prune`
follows refs, so a fixed hole behaves exactly as its type; `assign(..., bind=False)`
never fixes a hole (for probing overloads and joins).
"""

from __future__ import annotations

from seglam_lang.check.types import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    DURATION,
    FLOAT,
    INT,
    NONE,
    STR,
    FnT,
    IterT,
    ListT,
    MapT,
    OptionalT,
    SetT,
    TupleT,
    Type,
    TypeVar,
    ViewT,
    optional,
)
from seglam_lang.frozen import define


@define(eq=False)
class Hole(Type):
    """A type nobody has fixed yet; identity-compared; `ref` is set by the first constraint."""

    ref: Type | None = None

    def __str__(self) -> str:
        return str(self.ref) if self.ref is not None else "?"


def prune(t: Type) -> Type:
    while isinstance(t, Hole) and t.ref is not None:
        t = t.ref
    return t


def is_open(t: Type) -> bool:
    return isinstance(prune(t), Hole)


def zonk(t: Type) -> Type:
    """`t` with every hole replaced by its type (`ANY` when never fixed)."""
    t = prune(t)
    if isinstance(t, Hole):
        return ANY
    if isinstance(t, ListT):
        return ListT(zonk(t.elem))
    if isinstance(t, SetT):
        return SetT(zonk(t.elem))
    if isinstance(t, IterT):
        return IterT(zonk(t.elem))
    if isinstance(t, ViewT):
        return ViewT(zonk(t.elem))
    if isinstance(t, MapT):
        return MapT(zonk(t.key), zonk(t.value))
    if isinstance(t, TupleT):
        return TupleT(tuple(zonk(e) for e in t.elems))
    if isinstance(t, OptionalT):
        return optional(zonk(t.inner))
    if isinstance(t, FnT):
        return FnT(tuple(zonk(p) for p in t.params), zonk(t.ret))
    return t


def _children(t: Type) -> tuple[Type, ...]:
    if isinstance(t, (ListT, SetT, IterT, ViewT)):
        return (t.elem,)
    if isinstance(t, MapT):
        return (t.key, t.value)
    if isinstance(t, TupleT):
        return t.elems
    if isinstance(t, OptionalT):
        return (t.inner,)
    if isinstance(t, FnT):
        return (*t.params, t.ret)
    return ()


def _occurs(h: Hole, t: Type) -> bool:
    t = prune(t)
    return t is h or any(_occurs(h, c) for c in _children(t))


def _fix(h: Hole, t: Type, bind: bool) -> bool:
    if not bind:
        return True
    if _occurs(h, t):
        return prune(t) is h
    h.ref = t
    return True


def assign(src: Type, dst: Type, *, bind: bool = True) -> bool:
    """May a value of `src` be used where `dst` is expected? Fixes open holes when `bind`."""
    src, dst = prune(src), prune(dst)
    if src is dst or src == ANY or dst == ANY:
        return True
    if isinstance(src, Hole):
        return _fix(src, dst, bind)
    if isinstance(dst, Hole):
        # A hole fixed by a value: `NONE` says nothing about the element type.
        if src == NONE:
            return True
        return _fix(dst, src, bind)
    if isinstance(dst, TypeVar) or isinstance(src, TypeVar):
        return True
    if src == dst:
        return True
    if src == INT and dst in (FLOAT, DECIMAL):
        return True
    if isinstance(dst, OptionalT):
        if src == NONE:
            return True
        inner = src.inner if isinstance(src, OptionalT) else src
        return assign(inner, dst.inner, bind=bind)
    if isinstance(src, ListT) and isinstance(dst, ListT):
        return assign(src.elem, dst.elem, bind=bind)
    if isinstance(src, SetT) and isinstance(dst, SetT):
        return assign(src.elem, dst.elem, bind=bind)
    if isinstance(src, IterT) and isinstance(dst, IterT):
        return assign(src.elem, dst.elem, bind=bind)
    if isinstance(src, ViewT) and isinstance(dst, ViewT):
        return assign(src.elem, dst.elem, bind=bind)
    if isinstance(src, MapT) and isinstance(dst, MapT):
        return assign(src.key, dst.key, bind=bind) and assign(src.value, dst.value, bind=bind)
    if isinstance(src, TupleT) and isinstance(dst, TupleT):
        return len(src.elems) == len(dst.elems) and all(
            assign(s, d, bind=bind) for s, d in zip(src.elems, dst.elems)
        )
    if isinstance(src, FnT) and isinstance(dst, FnT):
        return len(src.params) == len(dst.params) and assign(src.ret, dst.ret, bind=bind)
    return False


def join(a: Type, b: Type) -> Type | None:
    """The least type both `a` and `b` can be used as, or None when there is none.

    `Int` and `Float` join to `Float`; `T` and `None` join to `T?`. Open holes are fixed
    by the other side.
    """
    a, b = prune(a), prune(b)
    if a is b or a == b:
        return a
    if a == ANY or b == ANY:
        return ANY
    if isinstance(a, Hole):
        return b if _fix(a, b, True) else None
    if isinstance(b, Hole):
        return a if _fix(b, a, True) else None
    if a == NONE:
        return optional(b)
    if b == NONE:
        return optional(a)
    if isinstance(a, OptionalT) or isinstance(b, OptionalT):
        inner = join(a.inner if isinstance(a, OptionalT) else a, b.inner if isinstance(b, OptionalT) else b)
        return optional(inner) if inner is not None else None
    if {a, b} in ({INT, FLOAT}, {INT, DECIMAL}):
        return FLOAT if FLOAT in (a, b) else DECIMAL
    if type(a) is type(b) and isinstance(a, (ListT, SetT, IterT, ViewT)):
        e = join(a.elem, b.elem)  # type: ignore[union-attr]
        return type(a)(e) if e is not None else None  # type: ignore[call-arg]
    if isinstance(a, MapT) and isinstance(b, MapT):
        k, v = join(a.key, b.key), join(a.value, b.value)
        return MapT(k, v) if k is not None and v is not None else None
    if isinstance(a, TupleT) and isinstance(b, TupleT) and len(a.elems) == len(b.elems):
        es = [join(x, y) for x, y in zip(a.elems, b.elems)]
        return None if any(e is None for e in es) else TupleT(tuple(es))  # type: ignore[arg-type]
    return None


def elem_type(t: Type) -> Type | None:
    """The type a `for` over `t` yields, or None when `t` is not iterable."""
    t = prune(t)
    if t == ANY or isinstance(t, Hole):
        return ANY
    if t == STR:
        return STR
    if isinstance(t, (ListT, SetT, IterT, ViewT)):
        return t.elem
    if isinstance(t, MapT):
        return t.key
    if isinstance(t, TupleT):
        out: Type | None = t.elems[0] if t.elems else ANY
        for e in t.elems[1:]:
            out = join(out, e) if out is not None else None
        return out
    return None


def is_hashable(t: Type) -> bool:
    t = prune(t)
    if isinstance(t, (ListT, SetT, MapT, IterT, ViewT, FnT)):
        return False
    if isinstance(t, TupleT):
        return all(is_hashable(e) for e in t.elems)
    if isinstance(t, OptionalT):
        return is_hashable(t.inner)
    return True  # records are immutable and hash by value


NUMBERS = (INT, FLOAT, DECIMAL)


def orderable(a: Type, b: Type) -> bool:
    """Do `<`, `<=`, `>`, `>=` between `a` and `b` mean something (as in Python, minus Float/Decimal)?"""
    a, b = prune(a), prune(b)
    if a == ANY or b == ANY or isinstance(a, Hole) or isinstance(b, Hole):
        return True
    if a in NUMBERS and b in NUMBERS:
        return {a, b} != {FLOAT, DECIMAL}
    if a == b and a in (STR, DATE, DATETIME, DURATION):
        return True
    if isinstance(a, ListT) and isinstance(b, ListT):
        return orderable(a.elem, b.elem)
    if isinstance(a, SetT) and isinstance(b, SetT):
        return related(a.elem, b.elem)
    if isinstance(a, TupleT) and isinstance(b, TupleT):
        return all(orderable(x, y) for x, y in zip(a.elems, b.elems))
    return False


def related(a: Type, b: Type) -> bool:
    """Can `a == b` ever be True? (Python's `==` between unrelated types is always False.)"""
    a, b = prune(a), prune(b)
    if isinstance(a, (IterT, FnT)) or isinstance(b, (IterT, FnT)):
        return False  # identity only: never equal to anything written
    if a in NUMBERS and b in NUMBERS:
        return {a, b} != {FLOAT, DECIMAL}
    if a == BOOL or b == BOOL:
        return a == b or a == ANY or b == ANY or isinstance(a, Hole) or isinstance(b, Hole) or (
            isinstance(a, OptionalT) and a.inner == BOOL) or (isinstance(b, OptionalT) and b.inner == BOOL)
    return assign(a, b, bind=False) or assign(b, a, bind=False)


def numeric_result(a: Type, b: Type) -> Type | None:
    """The type of `a + b` for numbers (Int widens), None for Float with Decimal or non-numbers."""
    a, b = prune(a), prune(b)
    if a not in NUMBERS or b not in NUMBERS or {a, b} == {FLOAT, DECIMAL}:
        return None
    if a == b:
        return a
    return b if a == INT else a


