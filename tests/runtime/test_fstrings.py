"""f-string fields against CPython's format() for every supported spec shape, and the refusals."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seglam_lang.check import types as T
from seglam_lang.errors import SglRuntimeError
from seglam_lang.runtime.fstrings import format_field
from seglam_lang.runtime.limits import RunContext
from seglam_lang.runtime.values import SglSet, make_record

ITEM = T.RecordT("Item", "test", (T.FieldSig("qty", T.INT),))


@st.composite
def specs(draw: st.DrawFn) -> str:
    align = draw(st.sampled_from(["", "<", ">", "^"]))
    fill = draw(st.sampled_from(["", "*", "0", " ", "x"])) if align else ""
    return "".join([
        fill, align, draw(st.sampled_from(["", "+", "-", " "])), draw(st.sampled_from(["", "0"])),
        draw(st.sampled_from(["", "1", "8", "12", "120"])), draw(st.sampled_from(["", ",", "_"])),
        draw(st.sampled_from(["", ".0", ".2", ".5", ".30"])),
        draw(st.sampled_from(["", "d", "f", "e", "E", "g", "G", "%", "s", "x", "X", "b", "o"])),
    ])


formattable = st.one_of(
    st.integers(), st.floats(), st.text(max_size=6), st.booleans(),
    st.decimals(places=3), st.decimals(),
)


def python_format(value: Any, spec: str) -> tuple[str, str | None]:
    try:
        with decimal.localcontext(decimal.Context()):
            return ("ok", format(value, spec))
    except (ValueError, TypeError, ArithmeticError):
        return ("error", None)


def sgl_format(value: Any, spec: str) -> tuple[str, str | None]:
    try:
        return ("ok", format_field(RunContext(), value, None, spec))
    except (ValueError, TypeError, ArithmeticError, SglRuntimeError):
        return ("error", None)


@settings(max_examples=800, deadline=None)
@given(formattable, specs())
def test_format_specs_match_python(value: Any, spec: str) -> None:
    assert sgl_format(value, spec) == python_format(value, spec)


@pytest.mark.parametrize(("value", "conversion", "spec", "expected"), [
    (3.14159, None, ".2f", "3.14"), (1234567, None, ",", "1,234,567"), ("ab", None, ">8", "      ab"),
    (0.256, None, ".1%", "25.6%"), (255, None, "08b", "11111111"), ("ab", "r", "", "'ab'"),
    (Decimal("2.675"), None, ".2f", "2.68"), (Decimal("1234.5"), None, ",.2f", "1,234.50"),
    (dt.date(2024, 1, 3), None, None, "2024-01-03"), (dt.date(2024, 1, 3), "s", ">12", "  2024-01-03"),
    (SglSet([2, 1]), None, "", "{2, 1}"), ([1, "a"], "r", "", "[1, 'a']"), (None, None, "", "None"),
])
def test_fields(value: Any, conversion: str | None, spec: str | None, expected: str) -> None:
    assert format_field(RunContext(), value, conversion, spec) == expected


@pytest.mark.parametrize("value", [None, dt.date(2024, 1, 3), dt.timedelta(1), [1], {"a": 1}, SglSet([1]),
                                   (1,), make_record(ITEM, (1,))])
def test_specs_on_other_types_are_errors(value: Any) -> None:
    with pytest.raises(SglRuntimeError, match="does not apply"):
        format_field(RunContext(), value, None, ">10")


def test_format_traversal_is_not_a_format_spec() -> None:
    with pytest.raises(SglRuntimeError, match="unsupported format spec"):
        format_field(RunContext(), "x", None, "{0.__class__}")


@pytest.mark.parametrize("bomb", [
    lambda c: format_field(c, Decimal("1e999999"), None, "f"),
    lambda c: format_field(c, Decimal("1e-999999"), None, "f"),
    lambda c: format_field(c, 7**5100, None, ",d"),  # 4,310 digits: CPython's limit
])
def test_formatting_bombs(bomb: Any, assert_bounded: Any) -> None:
    assert_bounded(lambda: bomb(RunContext()))
