"""The cost model (runtime/cost.py): weights are exact counts of a traversal, caps stop early,
static weighers agree with the general walk, and weighing never recurses."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from seglam_lang.check import types as T
from seglam_lang.runtime import cost
from seglam_lang.runtime.values import FrozenDict, FrozenList, Record, SglSet, make_record

POINT = T.RecordT("Point", "m", (T.FieldSig("x", T.INT), T.FieldSig("y", T.INT)))


def reference(x: Any) -> int:
    """What a full traversal visits, by plain recursion (small values only)."""
    t = type(x)
    if t is str:
        return 1 + (len(x) >> cost.STR_SHIFT)
    if t in (list, tuple, FrozenList, SglSet):
        return 1 + sum(map(reference, x))
    if t in (dict, FrozenDict):
        return 1 + sum(map(reference, x)) + sum(map(reference, x.values()))
    if t is Record:
        return 1 + cost.RECORD_ITEMS + sum(map(reference, x.values))
    return 1


def strings_in(x: Any) -> int:
    t = type(x)
    if t is str:
        return 1
    if t in (list, tuple, FrozenList, SglSet):
        return sum(map(strings_in, x))
    if t in (dict, FrozenDict):
        return sum(map(strings_in, x)) + sum(map(strings_in, x.values()))
    if t is Record:
        return sum(map(strings_in, x.values))
    return 0


scalars = st.one_of(st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False),
                    st.text(max_size=200), st.builds(Decimal, st.integers()))
keys = st.one_of(st.integers(), st.text(max_size=100))


def _shared(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Containers, some of them holding the same child several times (as `[x] * n` does)."""
    return st.one_of(
        st.lists(children, max_size=6),
        st.tuples(children, children),
        st.dictionaries(keys, children, max_size=4),
        st.builds(lambda c, n: [c] * n, children, st.integers(0, 50)),
        st.builds(lambda a, b: make_record(POINT, (a, b)), children, children),
    )


values = st.recursive(scalars, _shared, max_leaves=30)


def typed(x: Any) -> bool:
    """Does every list, set and map in `x` hold items (and keys) of one type (or None), as in SGL?"""
    t = type(x)
    if t in (list, SglSet, dict):
        parts = [list(x), list(x.values())] if t is dict else [list(x)]
        if any(len({type(c) for c in part if c is not None}) > 1 for part in parts):
            return False
        return all(typed(c) for part in parts for c in part)
    if t is tuple:
        return all(map(typed, x))
    if t is Record:
        return all(map(typed, x.values))
    return True


@settings(max_examples=300, deadline=None)
@given(values)
def test_weight_counts_what_a_traversal_visits(x: Any) -> None:
    w = cost.weight(x, 10**12)
    assert w <= reference(x) + strings_in(x)  # strings: len/64 summed before rounding
    if typed(x):  # an ill-typed list is weighed by its first item: never a crash, maybe less
        assert reference(x) <= w


@settings(max_examples=300, deadline=None)
@given(values, st.integers(0, 500))
def test_a_cap_stops_the_walk_only_past_it(x: Any, cap: int) -> None:
    full = cost.weight(x, 10**12)
    capped = cost.weight(x, cap)
    if full <= cap:
        assert capped == full
    else:
        assert capped > cap


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_static_weighers_agree_with_the_walk(data: st.DataObject) -> None:
    cases = [
        (T.ListT(T.INT), st.lists(st.integers())),
        (T.SetT(T.INT), st.lists(st.integers()).map(SglSet)),
        (T.ListT(T.STR), st.lists(st.text(max_size=300))),
        (T.ListT(T.OptionalT(T.STR)), st.lists(st.one_of(st.none(), st.text(max_size=300)))),
        (T.MapT(T.INT, T.FLOAT), st.dictionaries(st.integers(), st.floats())),
        (T.ListT(T.ListT(T.INT)), st.lists(st.lists(st.integers()))),
        (T.ListT(POINT), st.lists(st.builds(lambda a, b: make_record(POINT, (a, b)), st.integers(), st.integers()))),
        (T.STR, st.text(max_size=3000)),
        (T.OptionalT(T.ListT(T.INT)), st.one_of(st.none(), st.lists(st.integers()))),
    ]
    t, strategy = data.draw(st.sampled_from(cases))
    v = data.draw(strategy)
    w = cost.weigher(t)
    assert w is not None
    fast, walked = w(v, 10**12), cost.weight(v, 10**12)
    assert walked <= fast <= walked + len(v or ())  # strings: len/64 summed before rounding


def test_scalar_types_need_no_weighing() -> None:
    for t in (T.INT, T.FLOAT, T.BOOL, T.DECIMAL, T.DATE, T.OptionalT(T.INT), T.TupleT((T.INT, T.FLOAT)), POINT):
        assert cost.weigher(t) is None, t
    assert cost.cheap_hash(T.STR) and cost.cheap_hash(POINT) and not cost.cheap_hash(T.ListT(T.INT))


def test_shared_parts_are_weighed_once_per_distinct_part() -> None:
    """`[a] * 10**6` with `a` a million items: 10**12 items, found in milliseconds."""
    a = [0] * 1_000_000
    bomb = [a] * 1_000_000
    t0 = time.process_time()
    assert cost.weight(bomb, 10**15) == 1 + 10**6 + 10**12
    assert cost.weight(bomb, 10**9) > 10**9
    assert time.process_time() - t0 < 1.0


def test_deep_values_are_weighed_without_recursion() -> None:
    node: Any = None
    for i in range(100_000):
        node = (i, node)
    assert cost.weight(node, 10**9) == 1 + 2 * 100_000
