"""Strategies from SGL types: every drawn value is a runtime value of its type, and
shrinking lands on the small readable values a counterexample should show."""

from __future__ import annotations

import datetime as dt
import decimal
import math

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from seglam_lang.check import types as T
from seglam_lang.errors import SglUsageError
from seglam_lang.runtime.closures.expr import static_type_name
from seglam_lang.runtime.values import Record, SglSet, make_record, method_table_name, record_field
from seglam_lang.verify.strategies import MAX_SIZE, MAX_STR, params_strategy, strategy_for

ITEM = T.RecordT("Item", "shop", (T.FieldSig("name", T.STR), T.FieldSig("qty", T.INT, has_default=True)))
BOX = T.RecordT("Box", "shop", (T.FieldSig("items", T.ListT(ITEM)), T.FieldSig("label", T.optional(T.STR))))
# A record that mentions itself (through an optional), as a tree or a linked list does.
NODE = T.RecordT("Node", "tree", ())
object.__setattr__(NODE, "fields", (T.FieldSig("value", T.INT), T.FieldSig("next", T.OptionalT(NODE))))


def conforms(v: object, t: T.Type, *, finite: bool = True) -> bool:
    """Is `v` a runtime value of SGL type `t` (as the strategies promise)?"""
    if isinstance(t, T.OptionalT):
        return v is None or conforms(v, t.inner, finite=finite)
    if isinstance(t, T.ListT):
        return type(v) is list and len(v) <= MAX_SIZE and all(conforms(x, t.elem, finite=finite) for x in v)
    if isinstance(t, T.SetT):
        items = list(v) if isinstance(v, SglSet) else []
        return (isinstance(v, SglSet) and len(items) <= MAX_SIZE and len(set(items)) == len(items)
                and all(conforms(x, t.elem, finite=finite) for x in items))
    if isinstance(t, T.MapT):
        return type(v) is dict and len(v) <= MAX_SIZE and all(
            conforms(k, t.key, finite=finite) and conforms(x, t.value, finite=finite) for k, x in v.items())
    if isinstance(t, T.TupleT):
        return type(v) is tuple and len(v) == len(t.elems) and all(
            conforms(x, e, finite=finite) for x, e in zip(v, t.elems))
    if isinstance(t, T.RecordT):
        return isinstance(v, Record) and v.type == t and all(
            conforms(record_field(v, f.name), f.type, finite=finite) for f in t.fields)
    checks = {
        T.INT: lambda: type(v) is int,
        T.FLOAT: lambda: type(v) is float and (math.isfinite(v) or not finite),
        T.DECIMAL: lambda: isinstance(v, decimal.Decimal) and v.is_finite(),
        T.BOOL: lambda: type(v) is bool,
        T.STR: lambda: type(v) is str and len(v) <= MAX_STR and not any("\ud800" <= c <= "\udfff" for c in v),
        T.DATE: lambda: type(v) is dt.date,
        T.DATETIME: lambda: type(v) is dt.datetime and v.tzinfo is None,
        T.DURATION: lambda: type(v) is dt.timedelta,
        T.NONE: lambda: v is None,
    }
    return checks[t]()


TYPES = [
    T.INT, T.FLOAT, T.DECIMAL, T.BOOL, T.STR, T.DATE, T.DATETIME, T.DURATION, T.NONE,
    T.ListT(T.INT), T.SetT(T.STR), T.MapT(T.STR, T.DECIMAL), T.TupleT((T.INT, T.STR, T.BOOL)),
    T.OptionalT(T.DATE), ITEM, BOX, NODE,
    T.MapT(T.STR, T.ListT(T.TupleT((T.INT, T.OptionalT(T.DECIMAL))))),
    T.SetT(T.TupleT((T.STR, T.INT))), T.ListT(T.SetT(T.DURATION)), T.MapT(T.DATE, ITEM),
]


@pytest.mark.parametrize("t", TYPES, ids=str)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_values_have_the_runtime_type(t: T.Type, data: st.DataObject) -> None:
    v = data.draw(strategy_for(t))
    assert conforms(v, t), (v, t)


@pytest.mark.parametrize("t", [t for t in TYPES if static_type_name(t) is not None], ids=str)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_value_and_its_static_type_name_the_same_method_table(t: T.Type, data: st.DataObject) -> None:
    """The type name of a value has one rule a side: the one the checker and the closure tier
    read off a static type (`check.builtins.method_table`) and the one dispatch reads off a
    value (`values.method_table_name`) name the same table of methods and fields."""
    v = data.draw(strategy_for(t))
    if v is not None:  # an optional's None has the methods of None, not of the inner type
        assert method_table_name(v) == static_type_name(t), (v, t)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_floats_are_finite_unless_asked(data: st.DataObject) -> None:
    assert math.isfinite(data.draw(strategy_for(T.FLOAT)))
    x = data.draw(strategy_for(T.FLOAT, allow_nan=True))
    assert type(x) is float


def test_nan_and_inf_can_be_switched_on() -> None:
    assert math.isnan(find(strategy_for(T.FLOAT, allow_nan=True), math.isnan))
    assert math.isinf(find(strategy_for(T.FLOAT, allow_nan=True), math.isinf))


def test_ints_are_mostly_small_but_not_always() -> None:
    assert find(strategy_for(T.INT), lambda n: abs(n) > 10**9) in (10**9 + 1, -(10**9 + 1))


@pytest.mark.parametrize(
    ("t", "minimal"),
    [
        (T.INT, 0),
        (T.FLOAT, 0.0),
        (T.DECIMAL, decimal.Decimal("0")),
        (T.BOOL, False),
        (T.STR, ""),
        (T.DATE, dt.date(2000, 1, 1)),
        (T.DATETIME, dt.datetime(2000, 1, 1)),
        (T.DURATION, dt.timedelta(0)),
        (T.ListT(T.INT), []),
        (T.MapT(T.STR, T.INT), {}),
        (T.TupleT((T.INT, T.STR)), (0, "")),
        (T.OptionalT(T.INT), None),
    ],
    ids=str,
)
def test_shrinks_to_the_simplest_value(t: T.Type, minimal: object) -> None:
    v = find(strategy_for(t), lambda _: True)
    assert v == minimal and type(v) is type(minimal)


def test_shrinking_targets() -> None:
    # The counterexample for "fewer than 3 items" is three zeros.
    assert find(strategy_for(T.ListT(T.INT)), lambda xs: len(xs) >= 3) == [0, 0, 0]
    assert find(strategy_for(T.INT), lambda n: n > 10) == 11
    assert find(strategy_for(T.STR), lambda s: len(s) >= 2) == "00"
    assert find(strategy_for(T.DECIMAL), lambda d: d > 1) == decimal.Decimal("2")
    fraction = find(strategy_for(T.DECIMAL), lambda d: d != d.to_integral_value())
    assert fraction == decimal.Decimal("0.1")
    assert list(find(strategy_for(T.SetT(T.INT)), lambda s: len(s) >= 2)) == [0, 1]


def test_decimals_have_few_places() -> None:
    seen = find(strategy_for(T.DECIMAL), lambda d: d.as_tuple().exponent <= -2 and d > 10)
    assert seen == decimal.Decimal("10.01")


def test_sets_are_sgl_sets_without_duplicates() -> None:
    s = find(strategy_for(T.SetT(T.INT)), lambda s: len(s) >= 5)
    assert isinstance(s, SglSet) and len(set(s)) == 5


def test_records_shrink_field_by_field() -> None:
    item = find(strategy_for(ITEM), lambda _: True)
    assert item == make_record(ITEM, ("", 0))


def test_record_field_defaults_are_the_first_choice() -> None:
    s = strategy_for(ITEM, defaults=lambda rt: {"qty": 1} if rt == ITEM else {})
    assert find(s, lambda _: True) == make_record(ITEM, ("", 1))
    # ...but not the only one.
    assert record_field(find(s, lambda r: record_field(r, "qty") != 1), "qty") == 0


def test_recursive_records_terminate() -> None:
    chain = find(strategy_for(NODE), lambda n: record_field(n, "next") is not None)
    assert chain == make_record(NODE, (0, make_record(NODE, (0, None))))


def test_params_use_defaults_first() -> None:
    params = (T.ParamSig("xs", T.ListT(T.INT)), T.ParamSig("rate", T.DECIMAL, has_default=True))
    s = params_strategy(params, {"rate": decimal.Decimal("0.20")})
    assert find(s, lambda _: True) == {"xs": [], "rate": decimal.Decimal("0.20")}
    assert find(s, lambda kw: kw["rate"] != decimal.Decimal("0.20"))["rate"] == decimal.Decimal("0")


@pytest.mark.parametrize(
    "t", [T.ANY, T.TypeVar("T"), T.ListT(T.TypeVar("T")), T.FnT((T.INT,), T.INT), T.IterT(T.INT)], ids=str
)
def test_ungeneratable_types_are_rejected(t: T.Type) -> None:
    with pytest.raises(SglUsageError, match="cannot generate values of type"):
        strategy_for(t)
