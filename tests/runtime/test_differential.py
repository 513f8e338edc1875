"""Differential test: generated Python-shaped programs mean the same in SGL and in CPython.

Language rule 1 ("Python's meaning, or an error") makes CPython the oracle. Programs come from
`strategies.program_strategies` (well-typed by construction); each is loaded and run by SGL,
translated (`proc main() -> T:` to `def main():`) and run by CPython, and the two must agree:
- both return, with equal values (compared after `to_python`, types included; floats by `repr`,
  so NaN equals NaN and -0.0 differs from 0.0; maps in order), or
- both fail: SGL with an `SglRuntimeError` whose code is the one for CPython's exception class
  (ZeroDivisionError -> E0304 ...) and, but for KeyError, whose message is CPython's.
Programs SGL rejects statically are discarded and counted: the generator means them to be
well-typed, so more than a few percent rejected is a bug in the generator or in the checker.
A run that hits an SGL limit (small limits here) is discarded too, and CPython does not run it:
the limits are what keeps CPython from running a generated program for long.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from strategies.program_strategies import programs, random_program, to_python

import seglam_lang
from seglam_lang import LimitExceeded, Limits, SglRuntimeError, SglSyntaxError, SglTypeError
from seglam_lang.frozen import frozen

# Every case runs on both execution tiers (spec/tiers.md).
pytestmark = pytest.mark.usefixtures("both_tiers")

LIMITS = Limits(steps=100_000, str_len=100_000, collection_len=100_000, int_bits=4_096, timeout=2.0)

# The code of the SGL error for each Python exception class a generated program can raise.
CODES: dict[type[BaseException], str] = {
    ZeroDivisionError: "E0304", IndexError: "E0305", KeyError: "E0306", ValueError: "E0307",
    OverflowError: "E0308", TypeError: "E0310",
}


@frozen
class Outcome:
    kind: str  # "value" | "error" | "rejected" | "limit"
    value: Any = None
    error: BaseException | None = None


def run_sgl(source: str) -> Outcome:
    try:
        module = seglam_lang.loads(source, name="generated")
    except (SglSyntaxError, SglTypeError) as e:
        return Outcome("rejected", error=e)
    try:
        return Outcome("value", module.call("main", limits=LIMITS))
    except LimitExceeded as e:
        return Outcome("limit", error=e)
    except SglRuntimeError as e:
        return Outcome("error", error=e)


def run_cpython(source: str) -> Outcome:
    namespace: dict[str, Any] = {}
    try:
        exec(compile(to_python(source), "<generated>", "exec"), namespace)
        return Outcome("value", namespace["main"]())
    except Exception as e:
        return Outcome("error", error=e)


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types, all the way down; floats by repr (NaN == NaN, -0.0 != 0.0)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return repr(a) == repr(b)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def assert_agree(source: str, sgl: Outcome) -> None:
    py = run_cpython(source)
    where = f"\n{source}\nSGL: {sgl}\nCPython: {py}"
    if sgl.kind == "value":
        assert py.kind == "value", where
        assert same(sgl.value, py.value), where
        return
    assert py.kind == "error", where
    err = sgl.error
    assert isinstance(err, SglRuntimeError)
    expected = next((code for cls, code in CODES.items() if isinstance(py.error, cls)), None)
    assert err.diagnostic.code == (expected or err.diagnostic.code) != "E0399", where + "\n" + err.render(source)
    # SGL keeps Python's message, except a KeyError's and the C library's errno pair for a
    # Float overflow ("(34, 'Numerical result out of range')"), which SGL says in words.
    errno_pair = isinstance(py.error, OverflowError) and isinstance(py.error.args[0], int)
    if expected is not None and not isinstance(py.error, KeyError) and not errno_pair:
        assert err.message == str(py.error), where


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(programs())
def test_sgl_agrees_with_cpython(source: str) -> None:
    sgl = run_sgl(source)
    assume(sgl.kind in ("value", "error"))
    assert_agree(source, sgl)


SEEDS = range(200)


def test_seeded_programs_agree_and_are_mostly_accepted() -> None:
    """A fixed set of programs (reproducible by seed): all agree, few are rejected or limited,
    and a good share returns a value (a battery where everything fails would test little)."""
    kinds: Counter[str] = Counter()
    rejected: list[str] = []
    for seed in SEEDS:
        source = random_program(random.Random(seed))
        sgl = run_sgl(source)
        kinds[sgl.kind] += 1
        if sgl.kind == "rejected":
            rejected.append(f"seed {seed}: {sgl.error}")
        elif sgl.kind != "limit":
            assert_agree(source, sgl)
    n = len(SEEDS)
    assert kinds["rejected"] <= n * 0.05, rejected
    assert kinds["limit"] <= n * 0.05, kinds
    assert kinds["value"] >= n * 0.35, kinds


def test_the_oracle_sees_a_difference() -> None:
    """The comparison is not vacuous: values of different types, NaN and -0.0 are told apart."""
    assert same([1.0, float("nan")], [1.0, float("nan")])
    assert not same(1, 1.0) and not same(True, 1) and not same(-0.0, 0.0)
    assert not same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    wrong = "proc main() -> Int:\n    return 7 // 2\n"
    assert run_sgl(wrong) == Outcome("value", 3)
    assert run_cpython(wrong.replace("//", "/")).value == 3.5
