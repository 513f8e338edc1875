"""The SGL stack trace: a runaway recursion is shown as a few frames and a count, never
hundreds of identical lines, and the collapsed trace still says exactly which calls ran."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import seglam_lang
from seglam_lang.errors import NO_SPAN, TRACE_HEADER, SglRuntimeError, Span, TraceFrame, trace_lines

_MORE = re.compile(r"^  \.\.\. (\d+) more calls? of (.+)$")


def expand(lines: list[str], frames_by_name: dict[str, TraceFrame]) -> list[str]:
    """The frame lines a collapsed trace stands for (the inverse of the collapsing)."""
    out: list[str] = []
    for ln in lines[1:]:
        m = _MORE.match(ln)
        if m:
            cycle = [str(frames_by_name[n]) for n in m.group(2).split(" -> ")]
            out.extend(cycle * (int(m.group(1)) // len(cycle)))
        else:
            out.append(ln)
    return out


FRAMES = {n: TraceFrame(n, "m.sgl", Span(i + 1, 5, i + 1, 9)) for i, n in enumerate("abcde")}


@given(st.lists(st.sampled_from(sorted(FRAMES)), max_size=120))
def test_collapsing_loses_no_call(names: list[str]) -> None:
    frames = [FRAMES[n] for n in names]
    lines = trace_lines(frames)
    assert lines[0] == TRACE_HEADER
    assert expand(lines, FRAMES) == [str(f) for f in frames]


@given(st.integers(min_value=4, max_value=500), st.integers(min_value=1, max_value=4))
def test_a_repeated_cycle_shows_three_times_then_a_count(reps: int, period: int) -> None:
    cycle = [FRAMES[n] for n in "abcd"[:period]]
    lines = trace_lines(cycle * reps)
    assert len(lines) == 1 + 3 * period + 1
    assert lines[-1] == f"  ... {(reps - 3) * period} more call{'s' if (reps - 3) * period != 1 else ''} of " + \
        " -> ".join(f.name for f in cycle)


def test_short_repeats_are_printed_in_full() -> None:
    frames = [TraceFrame("f", "m.sgl", NO_SPAN)] * 3
    assert trace_lines(frames) == [TRACE_HEADER, *map(str, frames)]


@pytest.mark.parametrize(("source", "entry", "tail"), [
    ("proc deep(n: Int) -> Int:\n    return deep(n + 1)\n", "deep", "of deep"),
    ("proc a(n: Int) -> Int:\n    return b(n + 1)\n\n\nproc b(n: Int) -> Int:\n    return a(n)\n", "a", "of a -> b"),
])
def test_runaway_recursion_trace_is_collapsed(source: str, entry: str, tail: str) -> None:
    module = seglam_lang.loads(source)
    with pytest.raises(SglRuntimeError) as raised:
        module.call(entry, 1)
    text = raised.value.traceback().splitlines()
    assert raised.value.diagnostic.code == "E0406"
    assert len(text) < 12, text
    assert re.match(r"^  \.\.\. \d+ more calls ", text[-2]) and text[-2].endswith(tail)
