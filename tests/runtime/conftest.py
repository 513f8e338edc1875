"""Shared helpers of the runtime tests: a fresh run context and the size-bomb assertion."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from seglam_lang.errors import LimitExceeded, SglError
from seglam_lang.runtime.limits import RunContext


@pytest.fixture
def ctx() -> RunContext:
    return RunContext()


def _assert_bounded(bomb: Callable[[], Any], error: type[SglError] = LimitExceeded, code: str | None = None, *,
                    seconds: float = 0.5, peak_bytes: int = 20_000_000, traced: bool = True) -> None:
    """`bomb()` raises `error` (with one of the `|`-separated codes `code`, when given) within
    `seconds` of CPU time, timed untraced (CPU time, not wall time: a loaded machine must not
    fail a bomb that stops), then raises it again with a traced peak of Python memory under
    `peak_bytes` (skipped when not `traced`: tracing deep recursion is slow)."""
    t0 = time.process_time()
    with pytest.raises(error) as info:
        bomb()
    elapsed = time.process_time() - t0
    if code is not None:
        assert info.value.diagnostic.code in code.split("|"), info.value
    assert elapsed < seconds, f"took {elapsed:.2f} s: {info.value}"
    if not traced:
        return
    tracemalloc.start()
    try:
        with pytest.raises(error):
            bomb()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < peak_bytes, f"peak {peak / 1e6:.0f} MB: {info.value}"


@pytest.fixture
def assert_bounded() -> Callable[..., None]:
    return _assert_bounded
