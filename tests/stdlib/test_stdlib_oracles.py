"""The standard library against Python's own modules as oracles (Hypothesis, small budgets).

Each SGL or native stdlib function that has a Python counterpart must agree with it:
`dates` with `datetime` (ISO weeks, month arithmetic via calendar), `stats` with
`statistics`, `money` with `decimal` rounding, `collections` with `itertools`, `re` with
Python's `re` on patterns both engines read the same way.
"""

from __future__ import annotations

import calendar
import datetime
import decimal
import itertools
import re
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seglam_lang

SETTINGS = settings(max_examples=60, deadline=None)


@pytest.fixture(scope="module")
def lib() -> seglam_lang.Module:
    return seglam_lang.loads(
        "use std.dates\nuse std.stats\nuse std.money\nuse std.collections\nuse std.re\nuse std.text\n"
        "proc iso_week(d: Date) -> Tuple[Int, Int]:\n    return dates.iso_week(d)\n"
        "proc add_months(d: Date, n: Int) -> Date:\n    return dates.add_months(d, n)\n"
        "proc leap(y: Int) -> Bool:\n    return dates.is_leap_year(y)\n"
        "proc business(a: Date, b: Date) -> Int:\n    return dates.business_days_between(a, b)\n"
        "proc median(xs: List[Float]) -> Float:\n    return stats.median(xs)\n"
        "proc variance(xs: List[Float]) -> Float:\n    return stats.variance(xs)\n"
        "proc mode(xs: List[Float]) -> Float:\n    return stats.mode(xs)\n"
        "proc round_to(x: Decimal, p: Int, m: Str) -> Decimal:\n    return money.round_to(x, p, m)\n"
        "proc half_up(x: Decimal) -> Decimal:\n    return money.round_half_up(x)\n"
        "proc perms(xs: List[Int], r: Int) -> List[List[Int]]:\n    return collections.permutations(xs, r)\n"
        "proc combs(xs: List[Int], r: Int) -> List[List[Int]]:\n    return collections.combinations(xs, r)\n"
        "proc split(p: Str, s: Str) -> List[Str]:\n    return re.split(p, s)\n"
        "proc find_all(p: Str, s: Str) -> List[Str]:\n    return re.find_all(p, s)\n"
        "proc slug(s: Str) -> Str:\n    return text.slugify(s)\n",
        name="oracles",
    )


dates_ = st.dates(min_value=datetime.date(1000, 1, 1), max_value=datetime.date(9000, 12, 31))


@SETTINGS
@given(d=dates_)
def test_iso_week_is_isocalendar(lib: seglam_lang.Module, d: datetime.date) -> None:
    year, week, _ = d.isocalendar()
    assert lib.call("iso_week", d) == (year, week)


@SETTINGS
@given(d=dates_, n=st.integers(-500, 500))
def test_add_months_clamps_like_calendar(lib: seglam_lang.Module, d: datetime.date, n: int) -> None:
    index = d.year * 12 + d.month - 1 + n
    y, m = divmod(index, 12)
    expected = datetime.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))
    assert lib.call("add_months", d, n) == expected


@SETTINGS
@given(y=st.integers(1, 9999))
def test_leap_years_are_calendar_leap_years(lib: seglam_lang.Module, y: int) -> None:
    assert lib.call("leap", y) == calendar.isleap(y)


@SETTINGS
@given(a=dates_, days=st.integers(-60, 60))
def test_business_days_count_weekdays(lib: seglam_lang.Module, a: datetime.date, days: int) -> None:
    b = a + datetime.timedelta(days=days)
    lo, hi = min(a, b), max(a, b)
    count = sum(1 for i in range((hi - lo).days) if (lo + datetime.timedelta(days=i)).weekday() < 5)
    assert lib.call("business", a, b) == (count if b >= a else -count)


floats = st.lists(st.integers(-10**6, 10**6).map(float), min_size=2, max_size=30)


@SETTINGS
@given(xs=floats)
def test_stats_agree_with_statistics(lib: seglam_lang.Module, xs: list[float]) -> None:
    assert lib.call("median", xs) == statistics.median(xs)
    assert lib.call("variance", xs) == pytest.approx(statistics.variance(xs), rel=1e-9, abs=1e-6)
    assert lib.call("mode", xs) == statistics.mode(xs)


MODES = {"half_up": decimal.ROUND_HALF_UP, "half_even": decimal.ROUND_HALF_EVEN, "down": decimal.ROUND_DOWN,
         "up": decimal.ROUND_UP, "ceiling": decimal.ROUND_CEILING, "floor": decimal.ROUND_FLOOR,
         "half_down": decimal.ROUND_HALF_DOWN}


@SETTINGS
@given(x=st.decimals(min_value=-10**9, max_value=10**9, places=4), p=st.integers(0, 3), mode=st.sampled_from(sorted(MODES)))
def test_rounding_modes_are_decimal_modes(lib: seglam_lang.Module, x: decimal.Decimal, p: int, mode: str) -> None:
    expected = x.quantize(decimal.Decimal(1).scaleb(-p), rounding=MODES[mode])
    got = lib.call("round_to", x, p, mode)
    assert got == expected and str(got) == str(expected)


def test_unknown_rounding_mode_is_an_error(lib: seglam_lang.Module) -> None:
    with pytest.raises(seglam_lang.SglRuntimeError, match="unknown rounding mode 'bankers'"):
        lib.call("round_to", decimal.Decimal("1.5"), 0, "bankers")


@SETTINGS
@given(xs=st.lists(st.integers(0, 9), max_size=6), r=st.integers(0, 6))
def test_combinatorics_are_itertools(lib: seglam_lang.Module, xs: list[int], r: int) -> None:
    assert lib.call("perms", xs, r) == [list(p) for p in itertools.permutations(xs, r)]
    assert lib.call("combs", xs, r) == [list(c) for c in itertools.combinations(xs, r)]


PATTERNS = [r"\s+", r",", r"[0-9]+", r"a|b", r"x*", r"(?:ab)+"]


@SETTINGS
@given(pattern=st.sampled_from(PATTERNS), text=st.text(alphabet="ab ,01x", max_size=20))
def test_re_agrees_with_python_re(lib: seglam_lang.Module, pattern: str, text: str) -> None:
    assert lib.call("split", pattern, text) == re.split(pattern, text)
    assert lib.call("find_all", pattern, text) == [m.group(0) for m in re.finditer(pattern, text)]


@SETTINGS
@given(s=st.text(max_size=30))
def test_slug_is_the_documented_regex(lib: seglam_lang.Module, s: str) -> None:
    assert lib.call("slug", s) == "-".join(re.findall(r"[a-z0-9]+", s.lower()))
