"""Slot readers (seglam_lang.cache.readers): the documented corpus and round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seglam_lang.cache.readers import ReadError, read, write
from seglam_lang.check.types import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    DURATION,
    FLOAT,
    INT,
    STR,
    ListT,
    MapT,
    OptionalT,
    TupleT,
    Type,
)

D = Decimal
READS: list[tuple[Type, str, Any]] = [
    (INT, "42", 42), (INT, "-3", -3), (INT, "+7", 7), (INT, "1,234", 1234), (INT, " 1,234,567 ", 1234567),
    (INT, "007", 7),
    (FLOAT, "3.5", 3.5), (FLOAT, "-.5", -0.5), (FLOAT, "1e-3", 0.001), (FLOAT, "1,000.25", 1000.25),
    (FLOAT, "7%", 0.07), (FLOAT, "42", 42.0),
    (DECIMAL, "3.50", D("3.50")), (DECIMAL, "20%", D("0.20")), (DECIMAL, "12.5%", D("0.125")),
    (DECIMAL, "$1,234.50", D("1234.50")), (DECIMAL, "-€3", D("-3")), (DECIMAL, "£0.99", D("0.99")),
    (DECIMAL, "10", D("10")),
    (BOOL, "yes", True), (BOOL, "No", False), (BOOL, "TRUE", True), (BOOL, "false", False),
    (STR, "  hello world ", "hello world"), (STR, '"  padded "', "  padded "), (STR, "'it'", "it"),
    (STR, "“curly”", "curly"), (STR, '"say \\"hi\\""', 'say "hi"'), (STR, "it's", "it's"),
    (STR, '"a" and "b"', '"a" and "b"'), (STR, '""', ""),
    (DATE, "2024-03-05", dt.date(2024, 3, 5)), (DATE, "5 March 2024", dt.date(2024, 3, 5)),
    (DATE, "March 5, 2024", dt.date(2024, 3, 5)), (DATE, "Mar 5 2024", dt.date(2024, 3, 5)),
    (DATE, "5th of March, 2024", dt.date(2024, 3, 5)), (DATE, "sept. 30 2024", dt.date(2024, 9, 30)),
    (DATETIME, "2024-03-05 14:30", dt.datetime(2024, 3, 5, 14, 30)),
    (DATETIME, "2024-03-05T14:30:15", dt.datetime(2024, 3, 5, 14, 30, 15)),
    (DATETIME, "5 March 2024 at 2:30 pm", dt.datetime(2024, 3, 5, 14, 30)),
    (DATETIME, "March 5, 2024, 12:05 am", dt.datetime(2024, 3, 5, 0, 5)),
    (DURATION, "3 days", dt.timedelta(days=3)), (DURATION, "2 hours 30 minutes", dt.timedelta(hours=2, minutes=30)),
    (DURATION, "1 hour and 30 minutes", dt.timedelta(minutes=90)), (DURATION, "2h 30m", dt.timedelta(minutes=150)),
    (DURATION, "1.5 hours", dt.timedelta(minutes=90)), (DURATION, "1 week, 2 days", dt.timedelta(days=9)),
    (DURATION, "-3 days", dt.timedelta(days=-3)),
    (ListT(INT), "1, 2 and 3", [1, 2, 3]), (ListT(INT), "[1, 2, 3]", [1, 2, 3]), (ListT(INT), "1 2 3", [1, 2, 3]),
    (ListT(INT), "[1,234]", [1, 234]), (ListT(INT), "1,234, 5 and 6", [1234, 5, 6]), (ListT(INT), "[]", []),
    (ListT(INT), "7", [7]), (ListT(INT), "1, 2, and 3", [1, 2, 3]),
    (ListT(STR), "pear fig apple", ["pear", "fig", "apple"]), (ListT(STR), "salt, pepper and oil", ["salt", "pepper", "oil"]),
    (ListT(STR), '"salt and pepper", oil', ["salt and pepper", "oil"]), (ListT(STR), "[New York, Paris]", ["New York", "Paris"]),
    (ListT(ListT(INT)), "[1, 2], [3]", [[1, 2], [3]]), (ListT(ListT(INT)), "[[1, 2], []]", [[1, 2], []]),
    (ListT(DATE), "2024-01-01 and 5 March 2024", [dt.date(2024, 1, 1), dt.date(2024, 3, 5)]),
    (ListT(DECIMAL), "$1.10, $2 and 20%", [D("1.10"), D("2"), D("0.20")]),
    (TupleT((INT, STR)), "(3, pens)", (3, "pens")), (TupleT((INT, STR)), "3 and pens", (3, "pens")),
    (MapT(STR, INT), '{"a": 1, "b": 2}', {"a": 1, "b": 2}), (MapT(INT, DATE), '{"1": "5 March 2024"}', {1: dt.date(2024, 3, 5)}),
    (MapT(STR, DECIMAL), '{"pen": 1.10}', {"pen": D("1.10")}),
    (OptionalT(INT), "none", None), (OptionalT(INT), "", None), (OptionalT(INT), "5", 5), (OptionalT(STR), "NULL", None),
]


@pytest.mark.parametrize(("t", "text", "value"), READS, ids=[f"{t}:{s}" for t, s, _ in READS])
def test_reads(t: Type, text: str, value: Any) -> None:
    got = read(t, text)
    assert got == value and type(got) is type(value)


REJECTS: list[tuple[Type, str]] = [
    (INT, "4.0"), (INT, "1e3"), (INT, "12,34"), (INT, "1,2345"), (INT, "four"), (INT, "4 apples"), (INT, ""),
    (INT, "١٢"), (INT, "9" * 5000), (INT, "--3"),
    (FLOAT, "nan"), (FLOAT, "inf"), (FLOAT, "1e999"), (FLOAT, "3.5.1"), (FLOAT, "3,5"),
    (DECIMAL, "1e3"), (DECIMAL, "$20%"), (DECIMAL, "NaN"), (DECIMAL, "3.50 dollars"),
    (BOOL, "maybe"), (BOOL, "1"), (BOOL, "y"),
    (STR, "   "),
    (DATE, "03/05/2024"), (DATE, "05.03.2024"), (DATE, "2024-02-30"), (DATE, "5 Marchy 2024"), (DATE, "March 2024"),
    (DATE, "2024-03-05 extra"), (DATE, "2024-3-5"), (DATE, "tomorrow"),
    (DATETIME, "2024-03-05"), (DATETIME, "2024-03-05 25:00"), (DATETIME, "2024-03-05 13:00 pm"),
    (DATETIME, "2024-03-05T10:00+02:00"),
    (DURATION, "3 months"), (DURATION, "2 years"), (DURATION, "3"), (DURATION, "3 fortnights"), (DURATION, "1 day 1 day"),
    (DURATION, "0.5 microseconds"), (DURATION, ""),
    (ListT(INT), "1, two and 3"), (ListT(INT), "[1, 2"), (ListT(INT), "[1,,2]"), (ListT(INT), "1.5 2"),
    (TupleT((INT, STR)), "(3, pens, 4)"), (TupleT((INT, INT)), "3"),
    (MapT(STR, INT), '{"a": 1.5}'), (MapT(STR, INT), '{"a": true}'), (MapT(STR, INT), "[1]"), (MapT(STR, INT), "a: 1"),
    (MapT(INT, INT), '{"x": 1}'), (MapT(STR, FLOAT), '{"a": NaN}'),
    (OptionalT(INT), "nothing"),
]


@pytest.mark.parametrize(("t", "text"), REJECTS, ids=[f"{t}:{s[:20]}" for t, s in REJECTS])
def test_rejects(t: Type, text: str) -> None:
    with pytest.raises(ReadError):
        read(t, text)


_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_finite_floats = st.floats(allow_nan=False, allow_infinity=False)
_decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: abs(d.adjusted()) < 40)
_durations = st.timedeltas(min_value=dt.timedelta(days=-10**6), max_value=dt.timedelta(days=10**6))


def _strategy(t: Type) -> st.SearchStrategy[Any]:
    base: dict[Type, st.SearchStrategy[Any]] = {
        INT: st.integers(-10**30, 10**30), FLOAT: _finite_floats, DECIMAL: _decimals, BOOL: st.booleans(),
        STR: _texts.filter(lambda s: s.strip() != "" or s == ""), DATE: st.dates(min_value=dt.date(1000, 1, 1)),
        DATETIME: st.datetimes(min_value=dt.datetime(1000, 1, 1)), DURATION: _durations,
    }
    if t in base:
        return base[t]
    if isinstance(t, ListT):
        return st.lists(_strategy(t.elem), max_size=4)
    if isinstance(t, TupleT):
        return st.tuples(*map(_strategy, t.elems))
    if isinstance(t, MapT):
        return st.dictionaries(_strategy(t.key), _strategy(t.value), max_size=3)
    if isinstance(t, OptionalT):
        return st.none() | _strategy(t.inner)
    raise AssertionError(t)


ROUND_TRIP_TYPES = [INT, FLOAT, DECIMAL, BOOL, STR, DATE, DATETIME, DURATION, ListT(INT), ListT(STR), ListT(DECIMAL),
                    ListT(ListT(STR)), ListT(DATE), TupleT((INT, STR, DATE)), MapT(STR, INT), MapT(INT, ListT(DECIMAL)),
                    MapT(DATE, FLOAT), OptionalT(INT), OptionalT(DATE), ListT(OptionalT(INT))]


@pytest.mark.parametrize("t", ROUND_TRIP_TYPES, ids=str)
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_round_trip(t: Type, data: st.DataObject) -> None:
    value = data.draw(_strategy(t))
    text = write(value, t)
    got = read(t, text)
    assert got == value, text
    if isinstance(value, Decimal):
        assert got.as_tuple().exponent == value.as_tuple().exponent or value.is_zero() or value.as_tuple().exponent > 0


def test_sets_and_records_read_through_the_runtime() -> None:
    import seglam_lang
    from seglam_lang.check.types import SetT
    from seglam_lang.runtime.values import format_value

    s = read(SetT(INT), "{3, 1, 3, 2}")
    assert list(s) == [3, 1, 2]
    m = seglam_lang.loads('record Item:\n    name: Str\n    qty: Int = 1\n\nproc f(x: Item) -> Int:\n    return x.qty\n',
                          "rec")
    item_t = m.procs["f"].sig.params[0].type
    items = read(ListT(item_t), '[{"name": "pen", "qty": 3}, {"name": "ink", "qty": 1}]')
    assert [format_value(i) for i in items] == ['Item(name="pen", qty=3)', 'Item(name="ink", qty=1)']
    for bad in ('[{"name": "pen", "colour": "red"}]', '[{"qty": 2}]', '[{"name": 5}]', '[{"name": "ink"}]'):
        with pytest.raises(ReadError):
            read(ListT(item_t), bad)
