"""SGL values: SglSet against Python's set, records, frozen constants, printers, conversions."""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seglam_lang.check import types as T
from seglam_lang.errors import LimitExceeded, SglRuntimeError, SglUsageError
from seglam_lang.runtime.values import (
    FrozenDict,
    FrozenList,
    FrozenSglSet,
    Record,
    SglSet,
    deep_copy,
    format_value,
    freeze,
    from_python,
    make_record,
    record_field,
    repr_of,
    str_of,
    to_python,
)
from seglam_lang.syntax import ast
from seglam_lang.syntax.parser import parse

ITEM = T.RecordT("Item", "test", (T.FieldSig("name", T.STR), T.FieldSig("qty", T.INT, has_default=True)))

# ---------------------------------------------------------------- SglSet vs Python's set

# 1, True and 1.0 are equal: which one a set keeps is part of Python's meaning.
elements = st.one_of(st.integers(-3, 3), st.sampled_from([True, False, 1.0, 0.0, 2.0]))


def tagged(xs: Any) -> set[tuple[str, Any]]:
    return {(type(x).__name__, x) for x in xs}


@settings(max_examples=300, deadline=None)
@given(st.lists(elements, max_size=8), st.lists(elements, max_size=8))
def test_set_operations_match_python(a: list[Any], b: list[Any]) -> None:
    sa, sb, pa, pb = SglSet(a), SglSet(b), set(a), set(b)
    assert tagged(sa) == tagged(pa)
    for name in ("union", "intersection", "difference", "symmetric_difference"):
        assert tagged(getattr(sa, name)(sb)) == tagged(getattr(pa, name)(pb)), name
    for op in ("__or__", "__and__", "__sub__", "__xor__"):
        assert tagged(getattr(sa, op)(sb)) == tagged(getattr(pa, op)(pb)), op
    for name in ("issubset", "issuperset", "isdisjoint"):
        assert getattr(sa, name)(sb) == getattr(pa, name)(pb)
    assert (sa == sb) == (pa == pb)
    assert (sa < sb, sa <= sb, sa > sb, sa >= sb) == (pa < pb, pa <= pb, pa > pb, pa >= pb)
    assert len(sa) == len(pa) and all((x in sa) == (x in pa) for x in [*a, *b, 99])


def test_set_iterates_in_insertion_order_and_is_unhashable() -> None:
    s = SglSet(["pear", "fig", "apple", "fig"])
    s.add("kiwi")
    assert list(s) == ["pear", "fig", "apple", "kiwi"]
    with pytest.raises(TypeError):
        hash(s)
    assert repr_of(SglSet()) == "set()" and repr_of(SglSet([2, 1])) == "{2, 1}"


def test_set_order_does_not_depend_on_hash_seed() -> None:
    code = ("from seglam_lang.runtime.values import SglSet\n"
            "s = SglSet(str(i) + 'x' for i in range(50)) | SglSet(['b', 'a', 'c'])\n"
            "print(list(s), list(s & SglSet(['c', 'a', '7x'])), list(s.symmetric_difference(SglSet(['zz', '1x']))))\n")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "12345")}
    assert len(outs) == 1


# ---------------------------------------------------------------- records and frozen constants


def test_record_equality_hash_access_replace() -> None:
    r = make_record(ITEM, ("pen", 3))
    assert r == make_record(ITEM, ("pen", 3)) and hash(r) == hash(make_record(ITEM, ("pen", 3)))
    assert r != make_record(ITEM, ("pen", 4))
    other = T.RecordT("Item", "elsewhere", ITEM.fields)
    assert r != make_record(other, ("pen", 3))
    assert record_field(r, "qty") == 3 and record_field(r.replace(qty=5), "qty") == 5 and record_field(r, "qty") == 3
    assert r.type is ITEM and r.values == ("pen", 3) and type(r.values) is tuple
    assert repr(r) == "Item(name='pen', qty=3)" and format_value(r) == 'Item(name="pen", qty=3)'
    with pytest.raises(SglRuntimeError):
        r.replace(colour="red")
    with pytest.raises(SglRuntimeError):
        r.type = ITEM  # type: ignore[misc]


@pytest.mark.parametrize("use", [
    len, iter, list, tuple, sorted, lambda r: 1 in r, lambda r: r + r, lambda r: r * 2, lambda r: 2 * r,
    lambda r: r < r, lambda r: r >= r, lambda r: r["qty"], lambda r: "".join(r), lambda r: [].extend(r),
], ids=["len", "iter", "list", "tuple", "sorted", "in", "add", "mul", "rmul", "lt", "ge", "by-name", "join", "extend"])
def test_a_record_shows_nothing_of_the_tuple_it_is(use: Any) -> None:
    """A record is the tuple `(rtype, *values)` underneath: none of the tuple's protocol reaches
    its type or its values (what a record that was not a tuple answered before)."""
    with pytest.raises(TypeError):
        use(make_record(ITEM, ("pen", 3)))


def test_a_record_is_never_a_tuple_or_a_list_of_the_host() -> None:
    r = make_record(ITEM, ("pen", 3))
    assert r != (ITEM, "pen", 3) and (ITEM, "pen", 3) != r and r != ("pen", 3) and bool(r)
    assert hash(r) == hash(make_record(ITEM, ("pen", 3))) and len({r, make_record(ITEM, ("pen", 3))}) == 1
    for t in (T.ListT(T.STR), T.TupleT((T.STR, T.INT))):
        with pytest.raises(SglUsageError, match="expected"):
            from_python(r, t)
    assert from_python(r, ITEM) is r


@pytest.mark.parametrize("call", [
    lambda v: v["xs"].append(1), lambda v: v["xs"].sort(), lambda v: v["xs"].__setitem__(0, 1),
    lambda v: v["m"].update({}), lambda v: v["m"].__setitem__("a", 1), lambda v: v["m"].pop("a"),
    lambda v: v["s"].add(1), lambda v: v["s"].discard(1), lambda v: v["xs"][2]["k"].clear(),
])
def test_frozen_constants_refuse_changes(call: Any) -> None:
    v = freeze({"xs": [3, 1, {"k": SglSet([1])}], "m": {"a": 1}, "s": SglSet([1])})
    assert type(v) is FrozenDict and type(v["xs"]) is FrozenList and type(v["s"]) is FrozenSglSet
    with pytest.raises(SglRuntimeError, match="module constants are frozen"):
        call(v)
    thawed = deep_copy(v)
    assert thawed == v and type(thawed["xs"]) is list and type(thawed["s"]) is SglSet
    thawed["xs"].append(1)  # a copy of a constant is an ordinary value
    assert v["xs"] + [0] == [3, 1, {"k": SglSet([1])}, 0]  # reading operators still work


def test_deep_copy_shares_nothing_mutable_and_keeps_aliasing() -> None:
    inner = [1, 2]
    v = {"a": inner, "b": inner, "r": make_record(ITEM, ("x", 1)), "t": (inner,)}
    c = deep_copy(v)
    assert c == v and c["a"] is not inner and c["a"] is c["b"] and c["t"][0] is c["a"]
    c["a"].append(3)
    assert inner == [1, 2]


def test_deep_values_are_walked_without_recursion() -> None:
    v: Any = []
    for _ in range(20_000):
        v = [v, (1,)]
    copied = deep_copy(v)
    frozen = freeze(v)
    assert type(frozen) is FrozenList
    text = format_value(v)
    assert text.startswith("[[[") and text.count("(1,)") == 20_000
    assert len(repr_of(to_python(v))) == len(text) == len(format_value(copied))


# ---------------------------------------------------------------- printing

PLAIN_CASES = [
    0, -7, 10**50, 1.5, -0.0, 1e16, 1e-7, "", "it's", 'say "hi"', "back\\slash", "tab\t\nnl\x00\u200b",
    True, None, [1, [2, []]], (1,), (), {"a": [1, 2], "b": {}}, [(1, "x"), {"k": (2.5,)}],
]


@pytest.mark.parametrize("v", PLAIN_CASES, ids=repr)
def test_plain_values_print_as_python_does(v: Any) -> None:
    assert repr_of(v) == repr(v)
    assert str_of(v) == str(v)
    assert eval(format_value(v)) == v or (isinstance(v, float) and math.isnan(v))


@pytest.mark.parametrize(("v", "text", "python_str"), [
    (Decimal("1.10"), 'Decimal("1.10")', "1.10"),
    (dt.date(2024, 1, 3), "date(2024, 1, 3)", "2024-01-03"),
    (dt.datetime(2024, 1, 3, 10, 30), "datetime(2024, 1, 3, 10, 30)", "2024-01-03 10:30:00"),
    (dt.datetime(2024, 1, 3, 0, 0, 5, 7), "datetime(2024, 1, 3, 0, 0, 5, 7)", "2024-01-03 00:00:05.000007"),
    (dt.timedelta(days=1, seconds=30), "duration(days=1, seconds=30)", "1 day, 0:00:30"),
    (dt.timedelta(days=-1, seconds=5), "duration(days=-1, seconds=5)", "-1 day, 0:00:05"),
    (dt.timedelta(0), "duration()", "0:00:00"),
    (float("inf"), 'float("inf")', "inf"), (float("-inf"), 'float("-inf")', "-inf"), (float("nan"), 'float("nan")', "nan"),
    (SglSet([1, 2]), "{1, 2}", "{1, 2}"), (SglSet(), "set()", "set()"),
    ({"a": 1}, '{"a": 1}', "{'a': 1}"),
])
def test_sgl_literals(v: Any, text: str, python_str: str) -> None:
    assert format_value(v) == text
    assert str_of(v) == python_str


def test_huge_ints_print_as_hex_in_literals_and_fail_in_str_like_cpython() -> None:
    big = 7**6000
    assert int(format_value(big), 16) == big
    with pytest.raises(LimitExceeded):
        str_of(big)
    assert str_of(10**4299) == str(10**4299)


def test_printing_stops_at_the_limit_without_building_the_text(assert_bounded: Any) -> None:
    s = "a" * 100_000
    v = [s] * 10_000  # 1e9 characters if printed
    assert_bounded(lambda: str_of(v, 1_000_000))
    assert_bounded(lambda: format_value(v, limit=1_000_000))


# ---------------------------------------------------------------- format_value parses back

_CALLS = {"Decimal": Decimal, "date": dt.date, "datetime": dt.datetime, "float": float,
          "duration": lambda **kw: dt.timedelta(**kw), "set": SglSet, "Item": lambda **kw: Record.build(ITEM, kw)}


def evaluate_literal(e: Any) -> Any:
    """Evaluate the literal subset format_value prints (a test oracle independent of the runtime)."""
    if isinstance(e, ast.IntLit | ast.FloatLit | ast.StrLit | ast.BoolLit):
        return e.value
    if isinstance(e, ast.NoneLit):
        return None
    if isinstance(e, ast.UnaryOp) and e.op == "-":
        return -evaluate_literal(e.operand)
    if isinstance(e, ast.ListExpr):
        return [evaluate_literal(x) for x in e.elts]
    if isinstance(e, ast.TupleExpr):
        return tuple(evaluate_literal(x) for x in e.elts)
    if isinstance(e, ast.SetExpr):
        return SglSet(evaluate_literal(x) for x in e.elts)
    if isinstance(e, ast.DictExpr):
        return {evaluate_literal(k): evaluate_literal(v) for k, v in zip(e.keys, e.values)}
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name):
        return _CALLS[e.func.id](*map(evaluate_literal, e.args), **{k.name: evaluate_literal(k.value) for k in e.keywords})
    raise AssertionError(f"not a literal: {e!r}")


scalars = st.one_of(
    st.integers(), st.floats(), st.text(max_size=8), st.booleans(), st.none(),
    st.decimals(allow_nan=False, places=3).map(Decimal), st.dates(), st.datetimes(),
    st.timedeltas(),
)
hashables = st.one_of(st.integers(), st.text(max_size=5), st.tuples(st.integers(), st.text(max_size=3)))
records = st.builds(lambda n, q: make_record(ITEM, (n, q)), st.text(max_size=5), st.integers())
values = st.recursive(
    st.one_of(scalars, records),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.tuples(inner, inner), st.tuples(inner),
        st.dictionaries(hashables, inner, max_size=3), st.lists(hashables, max_size=4).map(SglSet),
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(values)
def test_format_value_parses_back_to_an_equal_value(v: Any) -> None:
    text = format_value(v)
    decl = parse(f"X = {text}\n").decls[0]
    back = evaluate_literal(decl.value)
    assert format_value(back) == text  # also right for NaN, which is not equal to itself
    if "nan" not in text:
        assert back == v


# ---------------------------------------------------------------- host values


def test_to_python_and_from_python_round_trip() -> None:
    t = T.MapT(T.STR, T.ListT(ITEM))
    host = {"a": [{"name": "pen", "qty": 3}]}
    v = from_python(host, t)
    assert v == {"a": [make_record(ITEM, ("pen", 3))]}
    assert to_python(v) == host
    assert to_python(SglSet([make_record(ITEM, ("x", 1))])) == {("x", 1)}
    assert from_python({"b", "a", "c"}, T.SetT(T.STR)) == SglSet("abc")
    assert list(from_python({"b", "a", "c"}, T.SetT(T.STR))) == ["a", "b", "c"]  # sorted: seed-independent
    assert from_python(2, T.FLOAT) == 2.0 and type(from_python(2, T.DECIMAL)) is Decimal
    assert from_python([1, "x"], T.TupleT((T.INT, T.STR))) == (1, "x")
    assert from_python({"name": "p"}, ITEM, defaults=lambda rt: {"qty": 1}) == make_record(ITEM, ("p", 1))


@pytest.mark.parametrize(("value", "type_", "message"), [
    ([{"name": "a", "qty": 1}, {"name": "b", "qty": 2}, {"name": "c", "qty": "3"}], T.ListT(ITEM),
     "items[2].qty: expected Int, got str"),
    (True, T.INT, "items: expected Int, got bool"),
    (1.5, T.DECIMAL, "items: expected Decimal, got float"),
    ({"name": "p"}, ITEM, "items: missing field 'qty' of Item"),
    ({"name": "p", "qty": 1, "colour": "red"}, ITEM, "items: Item has no field 'colour'"),
    ({"k": [1, None]}, T.MapT(T.STR, T.ListT(T.INT)), 'items["k"][1]: expected Int, got NoneType'),
    (dt.datetime(2024, 1, 1), T.DATE, "items: expected Date, got datetime"),
    (dt.datetime(2024, 1, 1, tzinfo=dt.UTC), T.DATETIME, "items: DateTime values are naive"),
    ((1, 2), T.TupleT((T.INT,)), "items: expected Tuple[Int] (1 items), got 2 items"),
    ("2024-01-03", T.DATE, "items: expected Date, got str"),
    (10**400, T.FLOAT, "items: integer too large for a Float"),
])
def test_from_python_errors_name_the_path(value: Any, type_: T.Type, message: str) -> None:
    with pytest.raises(SglUsageError) as info:
        from_python(value, type_, path="items")
    assert info.value.message.startswith(message)
