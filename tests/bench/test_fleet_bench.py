"""`bench/fleet.py`: a fleet of worker processes on one PostgreSQL cache and on one folder cache.

A small run through the real command line (3 BBH families x 4 rows, 2 workers, 2 probes): every
answer right, every module paid for, the propagation probes all seen by the other worker, and the
figures' shape. The full-data figures are in the README, not asserted here. Needs the BBH data
(`../shared/data/bbh` or `$SEGLAM_BBH_DATA`) and a PostgreSQL server (skips, or fails in CI, as
the other PostgreSQL tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("SEGLAM_BBH_DATA", REPO.parent / "shared" / "data" / "bbh"))
FAMILIES = ("boolean_expressions", "navigate", "word_sorting")


@pytest.mark.skipif(not DATA.is_dir(), reason=f"BBH data not found at {DATA}")
def test_a_small_fleet_on_both_backends(postgres_server: str) -> None:
    done = subprocess.run([sys.executable, str(REPO / "bench" / "fleet.py"), "--requests",
                           *(str(DATA / f"{f}.json") for f in FAMILIES), "--per-family", "4", "--workers", "2",
                           "--probes", "2", "--postgres", postgres_server, "--json"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["stream"] == {"requests": 12, "families": 3, "seed": 0} and result["workers"] == 2
    assert set(result["backends"]) == {"postgres", "folder"}
    for figs in result["backends"].values():
        assert figs["requests"] == 12 and figs["wrong"] == 0 and figs["modules"] == 3
        assert set(figs["calls_by_module"]) == set(FAMILIES)  # each module written once at least...
        assert figs["llm_calls"] == sum(figs["calls_by_module"].values()) <= 12 - figs["hits"] + 3
        assert figs["hits"] + figs["llm_calls"] >= 12 and figs["hits"] >= 6
        assert [w["requests"] for w in figs["per_worker"]] == [6, 6]
        assert figs["propagation_ms"]["observations"] == 2 and figs["propagation_ms"]["missed"] == 0
        assert figs["throughput_rps"] > 0 and figs["p50_us"] is not None
    assert set(result["ratios_postgres_to_folder"]) >= {"p50_us", "throughput_rps", "llm_calls"}


def test_bad_input_is_exit_2(tmp_path: Path) -> None:
    for args, message in ((["--workers", "1"], "--workers must be at least 2"),
                          (["--backends", "mysql"], "--backends"),
                          (["--requests", str(tmp_path)], "no *.json or *.jsonl files")):
        done = subprocess.run([sys.executable, str(REPO / "bench" / "fleet.py"), *args], cwd=REPO,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
