"""The cache fixture of the compiler tests (shared material is in `compiler_support`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seglam_lang.cache import ReasoningCache


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[ReasoningCache]:
    rc = ReasoningCache(tmp_path / "cache", verify_options={"max_examples": 20, "time_budget": 2.0})
    yield rc
    rc.close()
