"""Limits battery: every bomb of architecture.md ends quickly, without a memory spike, with a clear error.

A bomb is a small program that would take unbounded time or memory in CPython. Each must end
with `LimitExceeded` in well under a second, and its peak of traced Python memory must stay far
below what the bomb asks for (`tracemalloc`, measured on a second run so the first one's timing
is not skewed by tracing). A few end otherwise, by design: Python's own error where Python has
one (Decimal overflow, date overflow), a static rejection where the bomb is visible in the
source (format widths, deep nesting).

Bombs run under `BATTERY`: the default limits scaled down to 250,000 steps, characters and
items. The default step budget (5,000,000) is sized for a few seconds of honest work, which
step-bound bombs would spend in full, twice (the traced run is slow); a collection filled up to
its limit is a legitimate value, not a spike (about 85 bytes per Map[Int, Int] entry: 85 MB at the
default limit of 1,000,000). The size bombs exceed any of these limits by orders of magnitude.
The step limit itself, its per-call override and the timeout have their own tests. Time is the
process's CPU time, so a busy machine does not make the battery flaky.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable

import pytest

import seglam_lang
from seglam_lang import LimitExceeded, Limits, SglRuntimeError, SglSyntaxError

# Every case runs on both execution tiers (spec/tiers.md).
pytestmark = pytest.mark.usefixtures("both_tiers")

BATTERY = Limits(steps=250_000, str_len=250_000, collection_len=250_000)
Bounded = Callable[..., None]  # the `assert_bounded` fixture of tests/runtime/conftest.py
SECONDS = 1.0
PEAK_BYTES = 50_000_000


def main(body: str, returns: str = "Int") -> seglam_lang.Module:
    return seglam_lang.loads(f"proc main() -> {returns}:\n" + textwrap.indent(body, "    ") + "\n", name="bomb")


# (id, body of `proc main() -> Int`, the LimitExceeded code)
BOMBS: list[tuple[str, str, str]] = [
    ("power tower", "return 9 ** 9 ** 9", "E0405"),
    ("big power", "return 2 ** 10 ** 8", "E0405"),
    ("big shift", "return 1 << 10 ** 9", "E0405"),
    ("power in a loop", "x = 3\nwhile True:\n    x = x ** 3\nreturn x", "E0405"),
    ("product in a loop", "x = 3\nwhile True:\n    x = x * x\nreturn x", "E0405"),
    ("string repetition", 'return len("a" * 10 ** 9)', "E0403"),
    ("list repetition", "return len([0] * 10 ** 9)", "E0404"),
    ("string doubling", 's = "ab"\nwhile True:\n    s = s + s\nreturn len(s)', "E0403"),
    ("string doubling in place", 's = "ab"\nwhile True:\n    s += s\nreturn len(s)', "E0403"),
    ("list doubling", "xs = [0]\nwhile True:\n    xs = xs + xs\nreturn len(xs)", "E0404"),
    ("list extending itself", "xs = [0]\nwhile True:\n    xs.extend(xs)\nreturn len(xs)", "E0404"),
    ("list repetition in place", "xs = [0, 1]\nwhile True:\n    xs *= 2\nreturn len(xs)", "E0404"),
    ("str of a huge int", "return len(str(10 ** 5000))", "E0405"),
    ("str of an int past 4,300 digits", "return len(str(10 ** 4400))", "E0405"),
    ("int of a long text", 'return int("9" * 5000)', "E0405"),
    ("f-string of an int past 4,300 digits", 'return len(f"{10 ** 4400}")', "E0405"),
    ("nested comprehensions",
     "return len([[[0 for a in range(1000)] for b in range(1000)] for c in range(1000)])", "E0401"),
    ("deep recursion", "return main()", "E0406"),
    ("infinite loop", "while True:\n    pass\nreturn 0", "E0401"),
    ("huge range materialised", "return len(list(range(10 ** 10)))", "E0404"),
    ("huge range sorted", "return len(sorted(range(10 ** 9)))", "E0404"),
    ("huge range summed", "return sum(range(10 ** 12))", "E0401"),
    ("huge range searched", "return min(range(10 ** 12))", "E0401"),
    ("generator over a huge range", "return 1 if any(x < 0 for x in range(10 ** 12)) else 0", "E0401"),
    ("huge ranges zipped", "return sum(a - b for a, b in zip(range(10 ** 9), range(10 ** 9)))", "E0401"),
    ("huge range in a set", "return len(set(range(10 ** 9)))", "E0404"),
    ("huge center", 'return len("x".center(10 ** 9))', "E0403"),
    ("huge zfill", 'return len("x".zfill(10 ** 9))', "E0403"),
    ("join repeated", 't = 0\nfor i in range(1000):\n    t += len("-".join(["a"] * 10 ** 6))\nreturn t', "E0403|E0404"),
    ("replace of the empty string", 'return len(("a" * 1000).replace("", "x" * 1000))', "E0403"),
    ("dict comprehension over a huge range", "return len({i: i for i in range(10 ** 9)})", "E0401|E0404"),
    ("list comprehension over a huge range", "return len([i for i in range(10 ** 9)])", "E0401|E0404"),
    # printing pays a step per part first: a print this big may exhaust the steps before the length
    ("printing a shared nested list", "xs = [[0] * 1000] * 1000\nreturn len(str(xs))", "E0403|E0401"),
    ("f-string of a shared nested list", 'xs = [["abcdefgh"] * 1000] * 1000\nreturn len(f"{xs}")', "E0403|E0401"),
    ("appending forever", "xs = [0]\nwhile True:\n    xs.append(1)\nreturn len(xs)", "E0401|E0404"),
    ("setting keys forever", "m = {0: 0}\ni = 0\nwhile True:\n    i += 1\n    m[i] = i\nreturn len(m)", "E0401|E0404"),
    ("Decimal bomb to int", 'return int(Decimal("1e999999") + 1)', "E0405"),
    ("Decimal bomb in fixed point", 'return len(f"{Decimal(\'1e999999\'):f}")', "E0403"),
    ("Decimal bomb rounded", 'return round(Decimal("1e999999"))', "E0405"),
]


@pytest.mark.parametrize(("body", "code"), [(b, c) for _, b, c in BOMBS], ids=[n for n, _, _ in BOMBS])
def test_bomb_ends_with_limit_exceeded(body: str, code: str, assert_bounded: Bounded) -> None:
    module = main(body)
    assert_bounded(lambda: module.call("main", limits=BATTERY), code=code, seconds=SECONDS, peak_bytes=PEAK_BYTES)


def test_mutual_recursion_ends_with_the_depth_limit(assert_bounded: Bounded) -> None:
    module = seglam_lang.loads(textwrap.dedent("""
        proc ping(n: Int) -> Int:
            return pong(n + 1)

        proc pong(n: Int) -> Int:
            return ping(n + 1)
    """))
    assert_bounded(lambda: module.call("ping", 0), code="E0406", seconds=SECONDS, peak_bytes=PEAK_BYTES)


def test_recursion_with_a_huge_depth_limit_is_still_a_limit_error(assert_bounded: Bounded) -> None:
    """Raising `call_depth` far past Python's default stack must end in LimitExceeded, never a crash."""
    module = main("return main()")
    # not traced: tracing 20,000 nested calls takes half a minute
    assert_bounded(lambda: module.call("main", limits=Limits(call_depth=20_000)), code="E0406", seconds=SECONDS,
                   traced=False)


@pytest.mark.parametrize("body", [
    "return int(Decimal(10) ** 10 ** 9)",
    'return int(Decimal("9e999999") * 10)',
])
def test_decimal_overflow_is_pythons_error_quickly(body: str, assert_bounded: Bounded) -> None:
    """CPython's default context traps Overflow past Emax=999999: SGL gives the same error, fast."""
    module = main(body)
    assert_bounded(lambda: module.call("main"), SglRuntimeError, code="E0308", seconds=SECONDS, peak_bytes=PEAK_BYTES)


@pytest.mark.parametrize("body", [
    "return (date(9999, 12, 31) + duration(days=1)).day",
    "return (date(1, 1, 1) - duration(days=1)).day",
    "return (datetime(9999, 12, 31, 23, 59) + duration(weeks=10 ** 6)).day",
    "return duration(days=10 ** 12).days",
])
def test_date_overflow_is_a_clear_runtime_error(body: str) -> None:
    module = main(body)
    with pytest.raises(SglRuntimeError) as info:
        module.call("main")
    assert not isinstance(info.value, LimitExceeded)
    assert info.value.diagnostic.code == "E0308"
    assert info.value.span.line == 2


@pytest.mark.parametrize("text", [
    'x = 1\nreturn len(f"{x:>999999999}")',
    'x = 1.5\nreturn len(f"{x:.999999999f}")',
    'x = 1\nreturn len(f"{x:0999999999d}")',
])
def test_format_width_bombs_are_rejected_before_running(text: str) -> None:
    with pytest.raises(SglSyntaxError) as info:
        main(text)
    assert info.value.diagnostic.code == "E0105"


@pytest.mark.parametrize(("opening", "closing"), [("(", ")"), ("[", "]"), ("-", ""), ("not ", "")])
def test_deep_source_nesting_is_a_syntax_error(opening: str, closing: str) -> None:
    depth = 10_000
    body = "return " + opening * depth + "1" + closing * depth
    t0 = time.process_time()
    with pytest.raises(SglSyntaxError) as info:
        main(body, returns="Bool" if opening == "not " else "Int")
    assert info.value.diagnostic.code == "E0103"
    assert time.process_time() - t0 < SECONDS


def test_deep_block_nesting_is_a_syntax_error() -> None:
    body = "".join("    " * i + "if True:\n" for i in range(300)) + "    " * 300 + "pass\nreturn 1"
    with pytest.raises(SglSyntaxError) as info:
        main(body)
    assert info.value.diagnostic.code == "E0103"


def test_a_finite_loop_under_a_small_step_limit() -> None:
    module = main("t = 0\nfor i in range(100_000):\n    t += i\nreturn t")
    assert module.call("main") == sum(range(100_000))
    t0 = time.perf_counter()
    with pytest.raises(LimitExceeded) as info:
        module.call("main", limits=Limits(steps=1_000))
    assert info.value.diagnostic.code == "E0401"
    assert time.perf_counter() - t0 < SECONDS


def test_limits_are_overridden_per_call_and_not_kept() -> None:
    module = main('return len("ab" * 1000)')
    assert module.call("main") == 2000
    with pytest.raises(LimitExceeded) as info:
        module.call("main", limits=Limits(str_len=1000))
    assert info.value.diagnostic.code == "E0403"
    assert module.call("main") == 2000  # the next call has the module's limits again
    numbers = main("return len([0] * 500) + 2 ** 100 // 2 ** 99")
    with pytest.raises(LimitExceeded):
        numbers.call("main", limits=Limits(collection_len=499))
    with pytest.raises(LimitExceeded):
        numbers.call("main", limits=Limits(int_bits=64))
    assert numbers.call("main", limits=Limits(collection_len=500, int_bits=101)) == 502


def test_module_limits_apply_to_every_call() -> None:
    module = seglam_lang.loads("proc main() -> Int:\n    return len([0] * 500)\n", limits=Limits(collection_len=10))
    with pytest.raises(LimitExceeded):
        module.call("main")
    assert module.call("main", limits=Limits()) == 500


def test_timeout_fires_on_a_slow_but_bounded_program() -> None:
    """A program that would finish (within its huge step budget), but not within its time."""
    module = main("t = 0\nfor i in range(10 ** 8):\n    t = (t + i * i) % 1000003\nreturn t")
    t0 = time.perf_counter()
    with pytest.raises(LimitExceeded) as info:
        module.call("main", limits=Limits(steps=10 ** 9, timeout=0.2))
    assert info.value.diagnostic.code == "E0402"
    assert time.perf_counter() - t0 < 0.2 + SECONDS


def test_timeout_covers_time_spent_inside_natives() -> None:
    """Each native call is bounded by the size limits; many of them are bounded by the clock."""
    module = main('t = 0\nwhile True:\n    t += len(sorted(list(range(200_000))))\nreturn t')
    t0 = time.perf_counter()
    with pytest.raises(LimitExceeded) as info:
        module.call("main", limits=Limits(steps=10 ** 12, timeout=0.3))
    assert info.value.diagnostic.code in ("E0401", "E0402")
    assert time.perf_counter() - t0 < 0.3 + SECONDS


@pytest.mark.parametrize("steps", [1, 255, 256, 257, 1023, 1024, 1025, 5000])
@pytest.mark.parametrize("chunk", [1, 3, 256, 700])
def test_the_step_budget_is_exact_and_the_clock_is_read_every_time_check(steps: int, chunk: int,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`RunContext` keeps the steps left as `bank + fuel` (a small `fuel` a charge decrements, refilled by
    `tick`): whatever the charges, the budget runs out at the step after the last one paid for, and the
    clock is read exactly when the steps left reach each multiple of TIME_CHECK_EVERY below the budget."""
    from seglam_lang.runtime import limits as limits_module

    reads: list[int] = []
    monkeypatch.setattr(limits_module.RunContext, "check_time", lambda self: reads.append(self.steps_left))
    monkeypatch.setattr(limits_module.RunContext, "check_memory", lambda self: None)
    ctx = limits_module.RunContext(Limits(steps=steps))
    spent = 0
    with pytest.raises(LimitExceeded) as info:
        while True:
            ctx.charge(chunk)
            spent += chunk
            assert ctx.steps_left == steps - spent and 0 <= ctx.fuel <= limits_module.FUEL
    assert info.value.diagnostic.code == "E0401"
    assert spent + chunk > steps >= spent  # refused at the first charge the budget cannot pay
    every = limits_module.TIME_CHECK_EVERY
    # the old rule (`checkpoint`): a read at the first charge that reaches each next mark
    marks, left, mark = [], steps, max(steps - every, -1)
    while left >= 0:
        left -= chunk
        if left <= mark and left >= 0:
            marks.append(left)
            mark = max(left - every, -1)
    assert reads == marks
