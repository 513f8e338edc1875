"""Shared fixtures for the reasoning-cache tests: a cache filled with the modules of `modules/`."""

from __future__ import annotations

from pathlib import Path

import pytest

from seglam_lang.cache import ReasoningCache

MODULES = Path(__file__).parent / "modules"


@pytest.fixture
def cache(tmp_path: Path) -> ReasoningCache:
    rc = ReasoningCache(tmp_path / "cache", verify_options={"max_examples": 20, "time_budget": 2.0})
    for path in sorted(MODULES.glob("*.sgl")):
        rc.add(path)
    yield rc
    rc.close()
