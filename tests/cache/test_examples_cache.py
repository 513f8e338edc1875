"""The example cache in `examples/cache` answers offline (a real hit, no API key)."""

from __future__ import annotations

import shutil
from pathlib import Path

from seglam_lang.cache import ReasoningCache

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cache"


def test_example_cache_hits(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "cache")  # asking logs requests: keep the checkout clean
    rc = ReasoningCache(tmp_path / "cache")
    a = rc.ask("How many days between 2024-01-03 and 2024-03-05?")
    assert (a.answer, a.hit, a.llm_calls) == (62, True, 0)
    assert rc.ask("Sort the following words alphabetically: List: pear fig apple").answer == "apple fig pear"
    assert {f.name: f.status for f in rc.ls()} == {"basket": "active", "days_between": "active", "words": "active"}
    assert rc.problems == []
