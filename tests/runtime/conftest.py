"""Shared helpers of the runtime tests: a fresh run context and the size-bomb assertion."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from seglam_lang.errors import LimitExceeded
from seglam_lang.runtime.limits import RunContext


@pytest.fixture
def ctx() -> RunContext:
    return RunContext()


def _assert_bounded(bomb: Callable[[], Any], seconds: float = 0.5, peak_bytes: int = 20_000_000) -> None:
    """`bomb()` raises LimitExceeded quickly (timed alone) and without a memory spike (traced)."""
    t0 = time.perf_counter()
    with pytest.raises(LimitExceeded):
        bomb()
    assert time.perf_counter() - t0 < seconds
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceeded):
            bomb()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < peak_bytes


@pytest.fixture
def assert_bounded() -> Callable[..., None]:
    return _assert_bounded
