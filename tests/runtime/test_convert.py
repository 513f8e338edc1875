"""The conversions of `seglam_lang.runtime.convert` and `runtime.scalars`: one rule for text,
JSON and SGL literals, round trips for every type, and exact decimals whatever the host's
decimal context."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seglam_lang
from seglam_lang.cache import readers
from seglam_lang.check.types import DATE, DECIMAL, DURATION, FLOAT, INT, STR, MapT, OptionalT, Type
from seglam_lang.runtime.convert import ConvertError, from_json, load_json, read_literal, to_json
from seglam_lang.runtime.scalars import read_scalar
from seglam_lang.runtime.values import Record, SglSet, format_value, make_record
from seglam_lang.verify.strategies import strategy_for

TYPES_MODULE = seglam_lang.loads('''
record Item:
    name: Str
    price: Decimal
    qty: Int = 1

record Point:
    x: Float
    y: Float

proc types(a: Int, b: Float, c: Decimal, d: Bool, e: Str, f: Date, g: DateTime, h: Duration, i: List[Int],
           j: Set[Str], k: Tuple[Int, Str, Date], l: Map[Str, Int], m: Map[Int, List[Decimal]],
           n: Map[Date, Float], o: Int?, p: List[Item], q: Map[Tuple[Int, Str], Bool], r: Set[Point],
           s: Item?, t: Map[Decimal, Duration], u: List[Int?], v: Set[Tuple[Date, Int]], w: Map[Bool, Str],
           x: Map[Float, Int], y: List[List[Str]], z: None) -> Int:
    return 0
''', name="types")
TYPES: list[Type] = [p.type for p in TYPES_MODULE.procs["types"].sig.params]
ITEM = TYPES[15].elem  # type: ignore[attr-defined]

# Wider than the verifier's strategies: the edges a conversion can get wrong.
_EDGES: dict[Type, st.SearchStrategy[Any]] = {
    INT: st.integers(-10**40, 10**40) | st.integers(-10**5000, 10**5000),
    FLOAT: st.floats(),
    DECIMAL: st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: abs(d.adjusted()) < 60),
    DURATION: st.timedeltas(),
    STR: st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
}


def _values(t: Type) -> st.SearchStrategy[Any]:
    return _EDGES[t] | strategy_for(t) if t in _EDGES else strategy_for(t)


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same runtime types (floats by repr, so NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return repr(a) == repr(b)
    if type(a) is Decimal:
        return a == b and (a.as_tuple().exponent == b.as_tuple().exponent or a.as_tuple().exponent > 0)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    if type(a) is SglSet:
        return len(a) == len(b) and all(map(_same, a, b))
    if type(a) is dict:
        return len(a) == len(b) and all(_same(x, y) and _same(a[x], b[y]) for x, y in zip(a, b))
    if type(a) is Record:
        return a.type == b.type and _same(list(a.values), list(b.values))
    return bool(a == b)


@pytest.mark.parametrize("t", TYPES, ids=str)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_json_round_trip(t: Type, data: st.DataObject) -> None:
    """value -> to_json -> JSON text -> load_json -> from_json is the same value, for every type."""
    value = data.draw(_values(t))
    try:
        text = json.dumps(to_json(value), ensure_ascii=False)
    except ValueError:  # CPython writes no int beyond 4,300 digits as JSON text
        assert "int" in repr(t).lower() or "Int" in str(t)
        return
    got = from_json(load_json(text), t)
    assert _same(got, value), text


@pytest.mark.parametrize("t", TYPES, ids=str)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_literal_round_trip(t: Type, data: st.DataObject) -> None:
    """value -> SGL literal (format_value, what `sgl exec` prints) -> read_literal is the same value."""
    value = data.draw(_values(t))
    text = format_value(value)
    got = read_literal(text, t)
    assert _same(got, value), text


SLOT_TYPES = [t for t in TYPES if not isinstance(t, OptionalT) and str(t) not in ("None", "Item?")]


@pytest.mark.parametrize("t", SLOT_TYPES, ids=str)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_slot_text_round_trip(t: Type, data: st.DataObject) -> None:
    """value -> request text (readers.write) -> slot reader is the same value, records and sets included."""
    value = data.draw(strategy_for(t))
    text = readers.write(value, t)
    assert _same(readers.read(t, text), value), text


# ---------------------------------------------------------------- one rule for every path

@pytest.mark.parametrize(("t", "literal", "json_text", "slot", "value"), [
    (DECIMAL, "0.05", "0.05", "0.05", Decimal("0.05")),
    (DECIMAL, "-1.10", '"-1.10"', "-1.10", Decimal("-1.10")),
    (DECIMAL, "7", "7", "7", Decimal(7)),
    (FLOAT, "0.1", "0.1", "0.1", 0.1),
    (FLOAT, "3", "3", "3", 3.0),
    (INT, "42", "42", "42", 42),
    (DATE, 'date("2024-03-05")', '"2024-03-05"', "2024-03-05", dt.date(2024, 3, 5)),
    (DURATION, "duration(seconds=90)", "90", "90 seconds", dt.timedelta(seconds=90)),
])
def test_literal_json_and_slot_agree(t: Type, literal: str, json_text: str, slot: str, value: Any) -> None:
    for got in (read_literal(literal, t), from_json(load_json(json_text), t), readers.read(t, slot)):
        assert _same(got, value)


def test_json_strings_are_read_by_the_scalar_text_rule() -> None:
    assert from_json("5 March 2024", DATE) == dt.date(2024, 3, 5)
    assert from_json("20%", DECIMAL) == Decimal("0.20")
    assert from_json("3 days", DURATION) == dt.timedelta(days=3)
    assert math.isinf(from_json("-inf", FLOAT))
    assert from_json({"2024-01-02": 1}, MapT(DATE, INT)) == {dt.date(2024, 1, 2): 1}
    assert from_json({"1": "a"}, MapT(STR, STR)) == {"1": "a"}  # a Str key as written


def test_records_take_defaults_only_when_they_are_known() -> None:
    assert from_json({"name": "pen", "price": "1.10"}, ITEM, lambda rt: {"qty": 1}) == make_record(
        ITEM, ("pen", Decimal("1.10"), 1))
    with pytest.raises(ConvertError, match=r"missing field.*qty.*give every field"):
        from_json({"name": "pen", "price": "1.10"}, ITEM)
    with pytest.raises(ConvertError, match="has no field 'colour'"):
        from_json({"name": "pen", "price": 1, "qty": 1, "colour": "red"}, ITEM)


@pytest.mark.parametrize(("data", "t", "message"), [
    (True, INT, "expected Int"),
    (1.5, INT, "expected Int"),
    ("x", INT, "not an integer"),
    (1, STR, "expected Str"),
    ([1, 2, 3], __import__("seglam_lang.check.types", fromlist=["TupleT"]).TupleT((INT, INT)), "2 items"),
    (Decimal("1e400"), FLOAT, "out of range"),
    (10**400, FLOAT, "out of range"),
    (Decimal("0.0000001"), DURATION, "finer than a microsecond"),
    ({"a": 1}, INT, "expected Int"),
])
def test_json_mismatches_are_clear_errors(data: Any, t: Type, message: str) -> None:
    with pytest.raises(ConvertError, match=message):
        from_json(data, t)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, "1" * 5000, "NaN", "{", "[1,]"])
def test_bad_json_text_is_a_convert_error(text: str) -> None:
    with pytest.raises(ConvertError):
        load_json(text)


# ---------------------------------------------------------------- exact, whatever the host's context

EXACT_READS = [
    (DECIMAL, "12345%", Decimal("123.45")),
    (DECIMAL, "1234567890123456789012345678901.5%", Decimal("12345678901234567890123456789.015")),
    (DECIMAL, "$1,234.567", Decimal("1234.567")),
    (FLOAT, "7%", 0.07),
    (FLOAT, "12345%", 123.45),
    (DURATION, "1.5 hours", dt.timedelta(minutes=90)),
    (DURATION, "123456789.123456 seconds", dt.timedelta(seconds=123456789, microseconds=123456)),
]


@pytest.mark.parametrize("prec", [3, 28, 60])
@pytest.mark.parametrize(("t", "text", "value"), EXACT_READS, ids=[x[1] for x in EXACT_READS])
def test_numbers_read_exactly_in_any_host_decimal_context(prec: int, t: Type, text: str, value: Any) -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = prec
        ctx.rounding = decimal.ROUND_DOWN
        got = read_scalar(t, text)
        assert _same(got, value)
        assert _same(readers.read(t, text), value)
        assert _same(from_json(text, t), value)


@pytest.mark.parametrize("prec", [3, 28])
@pytest.mark.parametrize("text", ["1.00000000000000000000000000001 seconds", "0.0000001 s", "1.0000005 ms"])
def test_durations_finer_than_a_microsecond_do_not_read(prec: int, text: str) -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = prec
        with pytest.raises(ConvertError, match="finer than a microsecond"):
            read_scalar(DURATION, text)


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: abs(d.adjusted()) < 80))
def test_percentages_are_exact(d: Decimal) -> None:
    text = format(d, "f") + "%"
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        got = read_scalar(DECIMAL, text)
    assert decimal.Context(prec=1000).multiply(got, 100) == d


# ---------------------------------------------------------------- bounded: no crash, no unbounded memory

def test_convert_error_is_an_sgl_error_and_a_value_error() -> None:
    assert issubclass(ConvertError, seglam_lang.SglError) and issubclass(ConvertError, ValueError)
    assert str(ConvertError("one line")) == "one line" and ConvertError("x").diagnostic.code == "E0500"


@pytest.mark.parametrize("value", [
    10**5000,
    ["x" * 1000] * 100_000,
    {i: "x" * 100 for i in range(10)},
], ids=["huge-int", "100M-characters", "over-the-limit"])
def test_to_json_refuses_what_has_no_bounded_json_form(value: Any) -> None:
    with pytest.raises(ConvertError, match=r"digits|too large"):
        to_json(value, limit=1_000 if isinstance(value, dict) else 64_000_000)


def test_deep_values_are_a_convert_error_reading_and_writing() -> None:
    from seglam_lang.runtime.convert import MAX_JSON_DEPTH

    deep: Any = []
    for _ in range(MAX_JSON_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ConvertError, match="nested"):
        to_json(deep)
    text = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(ConvertError, match="nested"):
        load_json(text)
    assert load_json('["[[[[", {"a": "]]]"}]') == ["[[[[", {"a": "]]]"}]  # brackets in strings do not nest
    node = seglam_lang.loads("record Node:\n    v: Int\n    next: Node?\n\nproc f(n: Node) -> Int:\n    return n.v\n")
    node_t = node.procs["f"].sig.params[0].type
    data: Any = None
    # Reading follows the type, recursively: a recursive record type takes about three Python
    # frames per level, within the host's own recursion limit (1,000 by default; SGL no longer
    # leaves it raised after a run), or a ConvertError.
    for i in range(250):
        data = {"v": i, "next": data}
    assert from_json(data, node_t).values[0] == 249


_INT_TEXT = st.one_of(
    st.text(alphabet="0123456789,+- \t٣²", max_size=12),  # ASCII and non-ASCII digits, signs, commas, spaces
    st.integers(-10**30, 10**30).map(str),
    st.integers(0, 10**12).map(lambda n: f"{n:,}"),
)


@given(_INT_TEXT)
def test_an_int_slot_reads_by_one_rule(text: str) -> None:
    """The fast path for plain digits reads exactly what the full rule reads: ASCII digits with
    an optional sign and thousands separators, nothing else (not `٣` or `²`, which `str.isdigit`
    accepts)."""
    s = text.strip()
    valid = bool(re.fullmatch(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)", s))
    try:
        got = read_scalar(INT, text)
    except ConvertError:
        assert not valid
    else:
        assert valid and got == int(s.replace(",", ""))
