"""Boundary-first inputs: the small, fixed set of edge values a property runs before its random ones.

Random inputs rarely land on the one value where a program is wrong (`qty == 1`, a leap
day, an empty list): a strategy drawing from +-10**6 picks 1 about once in a million
draws. So before Hypothesis draws anything, every property runs on combinations of the
*edges* of its parameters' types:

| type | edges (simplest first) |
|---|---|
| `Int` | 0, 1, -1, 2, -2; each bound of a leading `require` and its neighbours; each number the module compares against (`require n >= 18`, `if qty == 1`) and its neighbours |
| `Float` | 0.0, 1.0, -1.0, 2.0, -2.0, 0.5; bounds and compared numbers, with the next floats beside them |
| `Decimal` | 0, one cent, minus one cent, 1, -1, 2, -2; bounds and compared numbers, with one cent either side |
| `Bool` | False, True |
| `Str` | "", "a", " ", "A", "0", "aa"; strings of a `require`d length |
| `Date` | month ends, leap days (2024-02-29, 2000-02-29), the days around them, year boundaries |
| `DateTime` | those dates at midnight, the last second of a year, noon on a leap day |
| `Duration` | 0, +-1 second, +-1 day, 365 days |
| `T?` | None, then the edges of T |
| `List[T]`, `Set[T]` | empty; one element (each edge of T); an equal pair (a list); two different elements; a `require`d length |
| `Map[K, V]` | empty; one entry per edge of K; two entries |
| `Tuple[...]`, records | every part at its first edge (a record field at its default), every part at its second edge ("unit": 1, one cent, "a"), then each part varied alone around both |

Owns: `edges(type, constraint, ...)`, `Boundary` (a property's edges, the combinations
tried and how a failing one is simplified) and `boundary_inputs(params, ...)`.

Invariants:
- deterministic: the same parameters, constraints and module give the same inputs in the
  same order (no randomness, no hashing of unordered sets);
- bounded: at most `MAX_EDGES` values per type (nested types are capped at every level,
  and a recursive record stops at `MAX_DEPTH`) and at most `limit` inputs per property;
  when parameters' edges multiply past the limit, the combinations kept are chosen
  deterministically, the most telling first: both bases, then each parameter varied alone
  around each base, then pairs of equal parameters, then pairs of parameters varied together;
- sound: every value is a valid runtime value of its type and satisfies the constraints
  read off the property's leading `require`s (see `narrowing`); inputs the `require`s
  still reject are discarded at run time like random ones.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence

from seglam_lang.check import types as T
from seglam_lang.runtime.values import SglSet, deep_copy, format_value, make_record
from seglam_lang.verify.narrowing import Constraint, Number
from seglam_lang.verify.strategies import MAX_SIZE, MAX_STR, RecordDefaults

MAX_EDGES = 16     # edge values of one type
MAX_DEPTH = 3      # nesting of collections and records whose edges are built
DEFAULT_LIMIT = 64  # boundary inputs per property

CENT = decimal.Decimal("0.01")
_INTS = (0, 1, -1, 2, -2)
_FLOATS = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5)
_DECIMALS = tuple(map(decimal.Decimal, ("0", "0.01", "-0.01", "1", "-1", "2", "-2")))
_STRS = ("", "a", " ", "A", "0", "aa")
_DATES = tuple(dt.date.fromisoformat(d) for d in (
    "2000-01-01", "2024-02-29", "2023-12-31", "2024-01-01", "2024-02-28", "2024-03-01", "2023-02-28",
    "2000-02-29", "1900-02-28", "2024-01-31", "2024-04-30", "2024-12-31"))
_DATETIMES = (*(dt.datetime.combine(d, dt.time()) for d in _DATES[:4]),
              dt.datetime(2023, 12, 31, 23, 59, 59), dt.datetime(2024, 2, 29, 12, 0))
_DURATIONS = (dt.timedelta(0), dt.timedelta(seconds=1), dt.timedelta(seconds=-1), dt.timedelta(days=1),
              dt.timedelta(days=-1), dt.timedelta(days=365))


def _distinct(values: Iterable[object], cap: int = MAX_EDGES) -> list[object]:
    """The first `cap` values that print differently (so `0` and `Decimal("0.00")` both stay)."""
    seen: set[str] = set()
    out: list[object] = []
    for v in values:
        key = f"{type(v).__name__}:{format_value(v)}"
        if key not in seen:
            seen.add(key)
            out.append(v)
            if len(out) == cap:
                break
    return out


def _within(v: Number, c: Constraint | None) -> bool:
    return c is None or ((c.lo is None or v >= c.lo) and (c.hi is None or v <= c.hi))


def _len_ok(n: int, c: Constraint | None) -> bool:
    return c is None or ((c.min_len is None or n >= c.min_len) and (c.max_len is None or n <= c.max_len))


class _Edges:
    """Edge values for the types of one module: `numbers` are those the module compares against."""

    def __init__(self, numbers: Sequence[Number], record_defaults: RecordDefaults | None) -> None:
        self.numbers = tuple(numbers)
        self.record_defaults = record_defaults

    def of(self, t: T.Type, c: Constraint | None = None, depth: int = 0) -> list[object]:
        if isinstance(t, T.PrimT):
            return _distinct(self._leaf(t, c))
        if depth >= MAX_DEPTH:
            # Deep enough: only the values that end a recursion (None, empty collections).
            if isinstance(t, T.OptionalT):
                return [None]
            if isinstance(t, T.ListT | T.MapT | T.SetT) and _len_ok(0, c):
                return [[] if isinstance(t, T.ListT) else {} if isinstance(t, T.MapT) else SglSet()]
            return []
        if isinstance(t, T.OptionalT):
            return _distinct([None, *self.of(t.inner, c, depth + 1)])
        elem = None if c is None else c.elem
        if isinstance(t, T.ListT):
            return _distinct(v for v in self._lists(self.of(t.elem, elem, depth + 1), c) if _len_ok(len(v), c))
        if isinstance(t, T.SetT):
            return _distinct(SglSet(v) for v in self._lists(self.of(t.elem, elem, depth + 1), c)
                             if _len_ok(len(v), c) and _hashable(v) and len(set(v)) == len(v))
        if isinstance(t, T.MapT):
            return _distinct(self._maps(self.of(t.key, elem, depth + 1), self.of(t.value, None, depth + 1), c))
        if isinstance(t, T.TupleT):
            return _distinct(tuple(v) for v in _around_bases([self.of(e, None, depth + 1) for e in t.elems]))
        if isinstance(t, T.RecordT):
            return self._records(t, depth)
        return []  # a type with no edges (functions, type variables): random inputs only

    def _leaf(self, t: T.PrimT, c: Constraint | None) -> Iterable[object]:
        if t == T.INT:
            bounds = [] if c is None else [b for b in (c.lo, c.hi) if b is not None]
            near = [math.floor(b) + d for b in (*bounds, *self.numbers) for d in (0, 1, -1)]
            return [v for v in (*_INTS, *near) if _within(v, c)]
        if t == T.FLOAT:
            bounds = [] if c is None else [b for b in (c.lo, c.hi) if b is not None]
            near = [x for b in (*bounds, *self.numbers)
                    for x in (float(b), math.nextafter(float(b), math.inf), math.nextafter(float(b), -math.inf))]
            return [v for v in (*_FLOATS, *near) if math.isfinite(v) and _within(v, c)]
        if t == T.DECIMAL:
            bounds = [] if c is None else [b for b in (c.lo, c.hi) if b is not None]
            near = [decimal.Decimal(b) + d for b in (*bounds, *self.numbers) if not isinstance(b, float)
                    for d in (0, CENT, -CENT)]
            return [v for v in (*_DECIMALS, *near) if _within(v, c)]
        if t == T.BOOL:
            return [False, True]
        if t == T.STR:
            sized = [] if c is None else ["a" * n for n in (c.min_len, c.max_len) if n is not None and n <= MAX_STR]
            return [s for s in (*_STRS, *sized) if _len_ok(len(s), c)]
        if t == T.DATE:
            return _DATES
        if t == T.DATETIME:
            return _DATETIMES
        if t == T.DURATION:
            return _DURATIONS
        if t == T.NONE:
            return [None]
        return []

    def _lists(self, elems: list[object], c: Constraint | None) -> Iterator[list[object]]:
        """Lists: empty, one element (unit first: the second base), equal pairs, two different
        elements, then a `require`d length."""
        yield []
        if not elems:
            return
        zero, unit = elems[0], elems[min(1, len(elems) - 1)]
        yield [unit]
        yield from ([e] for e in elems if e is not unit)
        yield [zero, zero]
        yield [unit, unit]
        yield [zero, unit]
        yield [unit, zero]
        for n in () if c is None else (c.min_len, c.max_len):
            if n is not None and 2 < n <= MAX_SIZE:
                yield [unit] * n
                yield [elems[i % len(elems)] for i in range(n)]

    def _maps(self, keys: list[object], values: list[object], c: Constraint | None) -> Iterator[dict[object, object]]:
        if _len_ok(0, c):
            yield {}
        if not keys or not values:
            return
        unit = values[min(1, len(values) - 1)]
        candidates = [{k: unit} for k in keys] + [{k: v} for k in keys[:1] for v in values]
        if len(keys) > 1:
            candidates.append({keys[0]: unit, keys[1]: unit})
        for m in candidates:
            if _hashable(list(m)) and _len_ok(len(m), c):
                yield m

    def _records(self, rt: T.RecordT, depth: int) -> list[object]:
        defaults = dict(self.record_defaults(rt)) if self.record_defaults else {}
        choices = []
        for f in rt.fields:
            values = self.of(f.type, None, depth + 1)
            if f.name in defaults:
                values = _distinct([defaults[f.name], *values])
            if not values:
                return []  # a field with no edge value: no record can be built
            choices.append(values)
        return _distinct(make_record(rt, v) for v in _around_bases(choices))


def _hashable(values: list[object]) -> bool:
    try:
        set(values)
    except TypeError:
        return False
    return True


def _bases(choices: Sequence[Sequence[object]]) -> list[list[int]]:
    """Index vectors of the two bases: every part at its first edge, every part at its second."""
    return [[0] * len(choices), [min(1, len(c) - 1) for c in choices]]


def _around_bases(choices: Sequence[Sequence[object]]) -> Iterator[list[object]]:
    """Both bases, then each part varied alone around each (for tuples and records)."""
    for idx in _one_at_a_time(choices):
        yield [c[i] for c, i in zip(choices, idx)]


def _one_at_a_time(choices: Sequence[Sequence[object]]) -> Iterator[list[int]]:
    bases = _bases(choices)
    yield from bases
    for base in bases:
        for p, values in enumerate(choices):
            for i in range(len(values)):
                yield [*base[:p], i, *base[p + 1:]]


def _combinations(choices: Sequence[Sequence[object]], same_type: Sequence[tuple[int, int]]) -> Iterator[list[int]]:
    """Index vectors over the parameters' edges, most telling first (see the module invariants)."""
    yield from _one_at_a_time(choices)
    base = _bases(choices)[0]
    for p, q in same_type:  # equal pairs: two parameters of one type given the same edge value
        for i in range(min(len(choices[p]), len(choices[q]))):
            if format_value(choices[p][i]) == format_value(choices[q][i]):
                idx = list(base)
                idx[p] = idx[q] = i
                yield idx
    # Pairs of parameters varied together, by increasing distance from the simplest edges,
    # so that every pair gets its small combinations before any pair gets its large ones.
    pairs = list(itertools.combinations(range(len(choices)), 2))
    longest = max(map(len, choices))
    for level in range(2, 2 * longest - 1):
        for p, q in pairs:
            for i in range(max(1, level - len(choices[q]) + 1), min(level, len(choices[p]))):
                idx = list(base)
                idx[p], idx[q] = i, level - i
                yield idx


def edges(t: T.Type, constraint: Constraint | None = None, *, numbers: Sequence[Number] = (),
          record_defaults: RecordDefaults | None = None) -> list[object]:
    """The edge values of type `t` within `constraint`, simplest first, at most `MAX_EDGES`;
    `numbers` are the module's compared numbers (see `narrowing.compared_numbers`)."""
    return _Edges(numbers, record_defaults).of(t, constraint)


class Boundary:
    """The edges of a property's parameters (`choices`, one list per parameter, a parameter's
    default value first) and the combinations of them tried, as index vectors into `choices`.
    `empty` when some parameter has no edges (then there are no boundary inputs)."""

    def __init__(self, params: Sequence[T.ParamSig], param_defaults: Mapping[str, object] | None = None, *,
                 constraints: Mapping[str, Constraint] | None = None, numbers: Sequence[Number] = (),
                 record_defaults: RecordDefaults | None = None) -> None:
        maker = _Edges(numbers, record_defaults)
        cs = dict(constraints or {})
        pdefaults = dict(param_defaults or {})
        self.names = tuple(p.name for p in params)
        self.choices: list[list[object]] = []
        for p in params:
            values = maker.of(p.type, cs.get(p.name))
            self.choices.append(_distinct([pdefaults[p.name], *values]) if p.name in pdefaults else values)
        self.empty = not params or not all(self.choices)
        self._same_type = [(a, b) for a, b in itertools.combinations(range(len(params)), 2)
                           if params[a].type == params[b].type]

    def combinations(self, limit: int = DEFAULT_LIMIT) -> list[tuple[int, ...]]:
        """At most `limit` distinct index vectors, in the order they are tried."""
        if self.empty or limit <= 0:
            return []
        out: dict[tuple[int, ...], None] = {}
        for idx in _combinations(self.choices, self._same_type):
            out.setdefault(tuple(idx))
            if len(out) == limit:
                break
        return list(out)

    def input(self, idx: Sequence[int]) -> dict[str, object]:
        """The arguments of one index vector, as fresh copies: a property may change a list it
        was given, and edge values are shared between inputs."""
        return {name: deep_copy(values[i]) for name, values, i in zip(self.names, self.choices, idx)}

    @staticmethod
    def simpler(idx: Sequence[int]) -> Iterator[tuple[int, ...]]:
        """Index vectors with one parameter moved to an earlier (simpler) edge, simplest first:
        what a failing boundary input is reduced through, as random failures are shrunk."""
        for p, at in enumerate(idx):
            for i in range(at):
                yield (*idx[:p], i, *idx[p + 1:])


def boundary_inputs(
    params: Sequence[T.ParamSig],
    param_defaults: Mapping[str, object] | None = None,
    *,
    constraints: Mapping[str, Constraint] | None = None,
    numbers: Sequence[Number] = (),
    record_defaults: RecordDefaults | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[dict[str, object]]:
    """At most `limit` distinct `{param name: value}` inputs built from the parameters' edges,
    in the order they are tried. Empty when some parameter has no edges."""
    b = Boundary(params, param_defaults, constraints=constraints, numbers=numbers, record_defaults=record_defaults)
    return [b.input(idx) for idx in b.combinations(limit)]
