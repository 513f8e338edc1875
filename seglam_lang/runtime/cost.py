"""The cost of native work: how many items an operation on SGL values visits, known before it runs.

Owns `weight(value, cap)` (the items a full traversal of a value visits), `weigher(type)`
(the cheapest way to weigh values of a static type), and the per-operation cost rules
built on them (`compare_cost`, `contains_cost`, `sort_cost`). Natives pay these with
`RunContext.charge_items` before they do the work, so a bomb such as
`[a] * 10**6 == [b] * 10**6` is refused in milliseconds instead of running for minutes.

Invariants:
- a weight bounds from above the items a full traversal (`==`, `<`, hashing, copying,
  printing) visits: 1 per value, plus every element of every container, a shared part
  counted once per reference (CPython compares and hashes it again each time), plus
  len/64 per string (strings are compared and hashed at memory speed), plus RECORD_ITEMS
  per record (records compare in Python);
- weighing is cheap next to the work it measures: it walks one depth level at a time with
  C-speed iteration (`map`, `chain`, `compress`), never recursively (deep values cannot
  overflow the stack), and stops as soon as the weight passes `cap`;
- a static type that proves a value flat (scalars, collections of scalars) has an O(1)
  weigher, or none at all for scalars, so the interpreter's hot path pays nothing.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import operator
from collections.abc import Callable, Iterable
from decimal import Decimal
from itertools import compress
from typing import Any

from seglam_lang.check import types as T
from seglam_lang.runtime.limits import ITEMS_PER_STEP, RunContext
from seglam_lang.runtime.values import FrozenDict, FrozenList, FrozenSglSet, Record, SglSet

Weigher = Callable[[Any, int], int]

STR_SHIFT = 6  # a string weighs 1 + len >> STR_SHIFT: 64 characters are one item
RECORD_ITEMS = 16  # a record compares and hashes in Python (`Record.__eq__`): a step's worth

# Values with no parts a traversal visits (a range compares and hashes by its bounds).
SCALARS = frozenset({int, float, bool, type(None), Decimal, _dt.date, _dt.datetime, _dt.timedelta, range})
_SCALARS = SCALARS
_SEQS = frozenset({list, tuple, FrozenList, SglSet, FrozenSglSet, type({}.keys()), type({}.values()),
                   type({}.items())})
_MAPS = frozenset({dict, FrozenDict})
# Collections whose items are all of one SGL type, so one look tells whether they nest (SGL
# is typed; a value that lies about its type may cost more than it paid for, it cannot crash).
_HOMOGENEOUS = _MAPS | _SEQS - {tuple}
_is_not_none = functools.partial(operator.is_not, None)
_values_of = operator.attrgetter("values")


def _not_scalar(values: Iterable[Any]) -> Iterable[bool]:
    return map(operator.not_, map(_SCALARS.__contains__, map(type, values)))


def _parts(v: Any) -> tuple[Any, ...]:
    """The sized collections of items a traversal of `v` visits (none for a scalar or a string)."""
    t = type(v)
    if t in _SEQS:
        return (v,)
    if t in _MAPS:
        return (v, v.values())
    if t is Record:
        return (v.values,)
    return ()


def weight(x: Any, cap: int) -> int:
    """The items a full traversal of `x` visits; any number above `cap` once it passes `cap`.

    The walk goes one depth level at a time over the DISTINCT containers of that level, each
    with the number of times the traversal reaches it, so a value that shares one part a
    million times is weighed in one look at that part.
    """
    t = type(x)
    if t in _SCALARS:
        return 1
    if t is str:
        return 1 + (len(x) >> STR_SHIFT)
    if (t is list or t is FrozenList) and x and x[0] is not None and type(x[0]) in _SCALARS:
        return 1 + len(x)  # a typed list of scalars (the common case): one look
    if t is tuple and _SCALARS.issuperset(map(type, x)):
        return 1 + len(x)
    total = 1
    level: dict[int, list[Any]] = {id(x): [x, 1]}  # id -> [container or string, times reached]
    while level:
        below: dict[int, list[Any]] = {}
        for v, m in level.values():
            if type(v) is str:
                total += m * (len(v) >> STR_SHIFT)
                continue
            if type(v) is Record:
                total += m * RECORD_ITEMS
            homogeneous = type(v) in _HOMOGENEOUS
            for items in _parts(v):
                total += m * len(items)
                if total > cap:
                    return total
                if not items:
                    continue
                if homogeneous and type(next(filter(_is_not_none, items), None)) in _SCALARS:
                    continue  # the items of a List/Set/Map have one type (or are None): one look
                kinds = set(map(type, items))
                if kinds <= _SCALARS:
                    continue
                if kinds == {str}:
                    total += m * (sum(map(len, filter(None, items))) >> STR_SHIFT)
                    continue
                for c in items if kinds.isdisjoint(_SCALARS) else compress(items, _not_scalar(items)):
                    seen = below.get(id(c))
                    if seen is None:
                        below[id(c)] = [c, m]
                    else:
                        seen[1] += m
            if total > cap:
                return total
        level = below
    return total


def _str_weight(s: str, cap: int) -> int:
    return 1 + (len(s) >> STR_SHIFT)


_FLAT = (T.INT, T.FLOAT, T.DECIMAL, T.BOOL, T.DATE, T.DATETIME, T.DURATION, T.NONE)


def _fixed_weight(t: T.Type, outer: frozenset[T.Type] = frozenset()) -> int | None:
    """The weight every value of type `t` has (scalars, and tuples and records of them), else None."""
    if isinstance(t, T.OptionalT):
        t = t.inner
    if t in _FLAT:
        return 1
    total = 1
    if isinstance(t, T.TupleT):
        elems: Iterable[T.Type] = t.elems
    elif isinstance(t, T.RecordT) and t.fields:
        elems = [f.type for f in t.fields]
        total += RECORD_ITEMS
    else:
        return None
    for e in elems:
        e = e.inner if isinstance(e, T.OptionalT) else e  # `next: Node?` refers back to Node
        w = None if e in outer or e == t else _fixed_weight(e, outer | {t})
        if w is None:
            return None
        total += w
    return total


@functools.cache
def _per_item(fixed: int) -> Weigher:
    """A collection whose items all weigh `fixed` (one function per weight: see `flat`)."""
    if fixed == 1:
        return lambda xs, cap: 1 + len(xs)
    return lambda xs, cap: 1 + len(xs) * fixed


def flat(t: T.Type | None) -> bool:
    """Is `t` a List, Set or Map whose items each weigh O(1)? (Then a short one is cheap.)"""
    if isinstance(t, T.ListT | T.SetT):
        return _fixed_weight(t.elem) is not None
    if isinstance(t, T.MapT):
        return _fixed_weight(t.key) is not None and _fixed_weight(t.value) is not None
    return False


def weigher(t: T.Type | None) -> Weigher | None:
    """How to weigh values of static type `t`: None when every such value weighs O(1)
    (scalars, tuples and records of scalars), a C-speed function for strings and flat
    collections (and lists of them), else the general walk `weight`."""
    if isinstance(t, T.OptionalT):
        w = weigher(t.inner)
        if w is None or w is weight:
            return w
        return lambda v, cap: 1 if v is None else w(v, cap)  # type: ignore[misc]
    if t is None:
        return weight
    if _fixed_weight(t) is not None:
        return None
    if t == T.STR:
        return _str_weight
    if isinstance(t, T.MapT):
        k, v = _fixed_weight(t.key), _fixed_weight(t.value)
        if k is not None and v is not None:
            return _per_item(k + v)
        return weight
    if isinstance(t, T.ListT | T.SetT):
        elem = t.elem.inner if isinstance(t.elem, T.OptionalT) else t.elem
        fixed = _fixed_weight(elem)
        if fixed is not None:
            return _per_item(fixed)
        if elem == T.STR:  # `filter(None, ...)` skips the None of `Str?` items
            return lambda xs, cap: 1 + len(xs) + (sum(map(len, filter(None, xs))) >> STR_SHIFT)
        if isinstance(elem, T.ListT | T.SetT):
            inner = _fixed_weight(elem.elem)
            if inner is not None:  # a grid: C-speed over the rows
                return lambda xs, cap: 1 + len(xs) + inner * sum(map(len, filter(None, xs)))
    return weight


def cheap_hash(t: T.Type | None) -> bool:
    """Is hashing any value of static type `t` O(1)? (A string caches its hash.)"""
    if isinstance(t, T.OptionalT):
        t = t.inner
    return t == T.STR or (t is not None and _fixed_weight(t) is not None)


def weigh(w: Weigher | None, x: Any, cap: int) -> int:
    return 1 if w is None else w(x, cap)


# ---------------------------------------------------------------------------- cost rules


def compare_cost(wa: Weigher | None, wb: Weigher | None, a: Any, b: Any, cap: int) -> int:
    """`a == b`, `a < b`...: a traversal of both in step, which ends with the lighter one."""
    x = weigh(wa, a, cap)
    return min(x, weigh(wb, b, min(x, cap)))


def contains_cost(wa: Weigher | None, wb: Weigher | None, a: Any, b: Any, cap: int) -> int:
    """`a in b`: one hash of `a` for a set or map, else a comparison of `a` with each item of
    `b`, each ending with the lighter of the two (so `b` is weighed only when that matters)."""
    tb = type(b)
    if tb in _MAPS or tb is SglSet or tb is FrozenSglSet:
        return weigh(wa, a, cap)
    if tb is str:
        return 1 + (len(b) >> STR_SHIFT) + (len(a) >> STR_SHIFT)
    n = len(b) * weigh(wa, a, cap)
    return n if n < BIG else min(n, weigh(wb, b, min(n, cap)))


BIG = 1 << 14  # items: below this, a cheap upper bound of a cost is close enough


def sort_cost(items: Any, cap: int) -> int:
    """Sorting: about log2(n) comparisons per item, each at most the weight of the items."""
    n = len(items)
    if n < 2:
        return n
    rounds = math.ceil(math.log2(n))
    return weight(items, cap // rounds + 1) * rounds


PRINT_ITEMS = ITEMS_PER_STEP  # a step per part printed: the printer is interpreted, not C


def charge_printing(ctx: RunContext, x: Any) -> None:
    """Pay for printing `x` (str, f-strings) before doing it; the printer stops at the
    string limit, so that much is the most it can cost."""
    if type(x) not in _SCALARS and type(x) is not str:
        ctx.charge_items(min(weight(x, ctx.items_left()), ctx.limits.str_len) * PRINT_ITEMS)
