"""Shared fixtures for the reasoning-cache tests: a cache filled with the modules of `modules/`,
in a folder (`cache`) or on either backend (`any_cache`, one test per backend: see `store_url`)."""

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


@pytest.fixture
def any_cache(store_url: str) -> ReasoningCache:
    rc = ReasoningCache(store_url, verify_options={"max_examples": 20, "time_budget": 2.0})
    for path in sorted(MODULES.glob("*.sgl")):
        rc.add(path)
    yield rc
    rc.close()
