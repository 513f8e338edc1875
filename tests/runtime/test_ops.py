"""SGL operators against CPython (same value, or both raise), and the size bombs."""

from __future__ import annotations

import datetime as dt
import decimal
import operator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seglam_lang.errors import LimitExceeded, SglRuntimeError
from seglam_lang.runtime import ops
from seglam_lang.runtime.limits import Limits, RunContext
from seglam_lang.runtime.values import SglSet

PY_BINARY = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "//": operator.floordiv,
    "%": operator.mod, "**": operator.pow, "<<": operator.lshift, ">>": operator.rshift,
    "|": operator.or_, "&": operator.and_, "^": operator.xor,
}
PY_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
              ">=": operator.ge}


def outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    """('ok', value) or ('error', None): Python's meaning, or an error, on both sides."""
    try:
        with decimal.localcontext(decimal.Context()):  # CPython's default context, like SGL's
            r = fn(*args)
    except (ArithmeticError, ValueError, TypeError, SglRuntimeError):
        return ("error", None)
    if type(r) is complex:  # SGL has no complex numbers: it refuses what Python would make complex
        return ("error", None)
    return ("ok", (type(r), r if r == r else "nan"))


numbers = st.one_of(
    st.integers(-10**6, 10**6), st.integers(-5, 5), st.floats(allow_nan=False, width=32),
    st.decimals(allow_nan=False, allow_infinity=False, places=2), st.booleans(),
)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(sorted(PY_BINARY)), numbers, numbers)
def test_binary_operators_match_python(op: str, a: Any, b: Any) -> None:
    if op in ("**", "<<") and type(b) is int and abs(b) > 60:  # limits aside (tested below)
        b = b % 60
    ctx = RunContext()
    assert outcome(ops.BINARY[op], ctx, a, b) == outcome(PY_BINARY[op], a, b)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(sorted(PY_COMPARE)), numbers, numbers)
def test_comparisons_match_python(op: str, a: Any, b: Any) -> None:
    assert outcome(ops.COMPARE[op], RunContext(), a, b) == outcome(PY_COMPARE[op], a, b)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["-", "+", "~", "not"]), numbers)
def test_unary_operators_match_python(op: str, a: Any) -> None:
    py = {"-": operator.neg, "+": operator.pos, "~": lambda x: ~int(x) if type(x) is bool else ~x,
          "not": operator.not_}[op]
    assert outcome(ops.UNARY[op], RunContext(), a) == outcome(py, a)


sequences = st.one_of(st.text(max_size=5), st.lists(st.integers(), max_size=4), st.tuples(st.integers()))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["+", "*", "%"]), st.one_of(sequences, st.integers(-3, 3)), st.one_of(sequences, st.integers(-3, 3)))
def test_sequence_operators_match_python(op: str, a: Any, b: Any) -> None:
    if op == "%" and type(a) is str:  # %-formatting is refused: SGL has f-strings
        with pytest.raises(SglRuntimeError, match="%-formatting"):
            ops.BINARY[op](RunContext(), a, b)
        return
    assert outcome(ops.BINARY[op], RunContext(), a, b) == outcome(PY_BINARY[op], a, b)


def test_dates_durations_sets_and_maps(ctx: RunContext) -> None:
    d, td = dt.date(2024, 1, 31), dt.timedelta(days=30)
    assert ops.BINARY["+"](ctx, d, td) == d + td and ops.BINARY["-"](ctx, d, dt.date(2024, 1, 1)) == dt.timedelta(30)
    assert ops.BINARY["/"](ctx, td, dt.timedelta(days=7)) == td / dt.timedelta(days=7)
    assert ops.BINARY["//"](ctx, td, 7) == td // 7
    with pytest.raises(OverflowError):
        ops.BINARY["+"](ctx, dt.date.max, td)
    assert ops.BINARY["|"](ctx, SglSet([1, 2]), SglSet([3])) == SglSet([1, 2, 3])
    assert ops.BINARY["|"](ctx, {"a": 1}, {"b": 2}) == {"a": 1, "b": 2}
    assert ops.COMPARE["<"](ctx, SglSet([1]), SglSet([1, 2])) and ops.COMPARE["in"](ctx, 2, SglSet([2]))
    with pytest.raises(TypeError):
        ops.BINARY["+"](ctx, 1.5, Decimal("1"))  # Float with Decimal: an error, as in Python


def test_decimal_ignores_the_threads_context(ctx: RunContext) -> None:
    with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_DOWN)):
        assert ops.BINARY["/"](ctx, Decimal(2), Decimal(3)) == Decimal("0.6666666666666666666666666667")
        assert ops.BINARY["+"](ctx, Decimal("1.00001"), 1) == Decimal("2.00001")


def test_in_place_operators_change_lists_and_sets_in_place(ctx: RunContext) -> None:
    xs = [1]
    alias = xs
    assert ops.INPLACE["+"](ctx, xs, range(2, 4)) is alias and alias == [1, 2, 3]
    s = SglSet([1])
    assert ops.INPLACE["|"](ctx, s, SglSet([2])) is s and s == SglSet([1, 2])
    n = 5
    assert ops.INPLACE["+"](ctx, n, 1) == 6


def test_complex_results_are_refused(ctx: RunContext) -> None:
    with pytest.raises(SglRuntimeError, match="complex"):
        ops.BINARY["**"](ctx, -8.0, 1 / 3)


BOMBS = {
    "str repeat": lambda c: ops.BINARY["*"](c, "a", 10**9),
    "list repeat": lambda c: ops.BINARY["*"](c, [0], 10**9),
    "repeat on the left": lambda c: ops.BINARY["*"](c, 10**9, (1, 2)),
    "tower": lambda c: ops.BINARY["**"](c, 9, ops.BINARY["**"](c, 9, 9)),
    "big power": lambda c: ops.BINARY["**"](c, 2, 10**7),
    "shift": lambda c: ops.BINARY["<<"](c, 1, 10**9),
    "multiply": lambda c: ops.BINARY["*"](c, 2**16000, 2**16000),
    "doubling": lambda c: ops.BINARY["+"](c, 2**16384, 2**16384),
    "concat": lambda c: ops.BINARY["+"](c, "a" * 600_000, "b" * 600_000),
    "list concat": lambda c: ops.BINARY["+"](c, [0] * 600_000, [1] * 600_000),
    "in-place repeat": lambda c: ops.INPLACE["*"](c, [1, 2], 10**9),
    "in-place extend": lambda c: ops.INPLACE["+"](c, [1], range(10**12)),
    "set union": lambda c: ops.BINARY["|"](c, SglSet(range(600_000)), SglSet(range(600_000, 1_200_000))),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_size_bombs_end_with_limit_exceeded_before_allocating(name: str, assert_bounded: Any) -> None:
    ctx = RunContext()
    build = BOMBS[name]
    # Operands of the set-union bomb are themselves large: build them outside the traced call.
    if name == "set union":
        a, b = SglSet(range(600_000)), SglSet(range(600_000, 1_200_000))
        assert_bounded(lambda: ops.BINARY["|"](ctx, a, b), seconds=1.0)
    else:
        assert_bounded(lambda: build(ctx))


def test_limits_are_the_runs_own() -> None:
    small = RunContext(Limits(int_bits=64, str_len=10))
    assert ops.BINARY["**"](small, 2, 62) == 2**62
    with pytest.raises(LimitExceeded):
        ops.BINARY["**"](small, 2, 64)
    with pytest.raises(LimitExceeded):
        ops.BINARY["*"](small, "ab", 6)
    assert ops.BINARY["*"](small, "ab", 5) == "ab" * 5
