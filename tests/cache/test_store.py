"""The cache folder: integrity, correction, history, moving, rebuilding, concurrency, crashes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seglam_lang.cache import CacheError, CacheMiss, ReasoningCache
from seglam_lang.cache.index import ACTIVE, SUSPENDED, TAMPERED, UNVERIFIED
from seglam_lang.cache.store import Store

MODULES = Path(__file__).parent / "modules"


def test_layout_and_index(cache: ReasoningCache) -> None:
    root = cache.dir
    assert sorted(p.name for p in (root / "procedures").iterdir()) == ["arith.sgl", "dates.sgl", "vat.sgl", "words.sgl"]
    assert (root / "history" / "arith" / "1.sgl").read_text() == (MODULES / "arith.sgl").read_text()
    db = sqlite3.connect(root / "index.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT COUNT(*) FROM triggers").fetchone()[0] == 10
    assert not (root / "tmp").exists()  # staging exists only during a write


def test_add_rejects_bad_modules_with_a_reason(cache: ReasoningCache) -> None:
    with pytest.raises(CacheError, match="does not load"):
        cache.add("proc f(x: Int) -> Int:\n    return x +\n", name="broken")
    with pytest.raises(CacheError, match="rejected: example"):
        cache.add('@when("double {x}")\nproc double(x: Int) -> Int:\n    return x * 3\n\nexample double(2) == 4\n')
    with pytest.raises(CacheError, match="no default"):
        cache.add('@when("greet [{name}]")\nproc greet(name: Str) -> Str:\n    return name\n')
    with pytest.raises(CacheError, match="already in the cache"):
        cache.add(MODULES / "arith.sgl")
    assert [f.name for f in cache.ls()] == ["arith", "dates", "vat", "words"]


def test_tampered_file_is_reported_and_never_run(cache: ReasoningCache) -> None:
    path = cache.store.current_path("arith")
    path.write_text(path.read_text().replace("Sum of two integers.", "Sum of two integers (edited)."))
    fresh = ReasoningCache(cache.dir)
    with pytest.raises(CacheMiss):
        fresh.ask("what is 1+1")
    assert any("does not match the index" in p for p in fresh.problems)
    assert fresh.store.family("arith").status == TAMPERED
    # `verify --accept` re-checks the edited file; it passes, so it becomes version 2 and runs again
    results = {r.family: r.passed for r in fresh.verify(["arith"], accept=True)}
    assert results == {"arith": True}
    assert fresh.store.family("arith").version == 2
    assert fresh.ask("what is 1+1").answer == 2


def test_edit_that_breaks_examples_stays_out(cache: ReasoningCache) -> None:
    path = cache.store.current_path("arith")
    path.write_text(path.read_text().replace("return a + b", "return a + b + 1"))
    assert [r.passed for r in cache.verify(["arith"])] == [False]
    with pytest.raises(CacheMiss):
        cache.ask("what is 1+1")
    assert cache.store.family("arith").status == TAMPERED


def test_corrupt_file_stays_out(cache: ReasoningCache) -> None:
    cache.store.current_path("dates").write_bytes(b"\xff\xfe garbage")
    fresh = ReasoningCache(cache.dir)
    with pytest.raises(CacheMiss):
        fresh.ask("days between 2024-01-01 and 2024-01-02")
    assert [r.passed for r in fresh.verify(["dates"])] == [False]
    assert fresh.store.family("dates").status == TAMPERED


def test_interrupted_write_is_repaired_from_history(cache: ReasoningCache) -> None:
    # The index names version 2, but procedures/ still holds version 1 (killed before the copy).
    new = (MODULES / "arith.sgl").read_text().replace('"hand"', '"hand, v2"')
    cache.replace("arith", new)
    cache.store.current_path("arith").write_text((MODULES / "arith.sgl").read_text())
    fresh = ReasoningCache(cache.dir)
    assert fresh.ask("what is 2+2").answer == 4
    assert fresh.store.current_path("arith").read_text() == new


def test_reject_suspends_and_replace_needs_old_examples_and_cases(cache: ReasoningCache) -> None:
    cache.reject("arith", "what is 2+2", "5")
    assert cache.store.family("arith").status == SUSPENDED
    with pytest.raises(CacheMiss):
        cache.ask("what is 2+2")
    wrong = (MODULES / "arith.sgl").read_text().replace("return a - b", "return b - a").replace(
        "example sub(1, 2) == -1", "example sub(1, 2) == 1")
    with pytest.raises(CacheError, match="old example"):
        cache.replace("arith", wrong)
    same = (MODULES / "arith.sgl").read_text() + "\n"
    with pytest.raises(CacheError, match="rejected case"):
        cache.replace("arith", same)
    odd = (MODULES / "arith.sgl").read_text().replace(
        "    return a + b", "    if a == 2 and b == 2:\n        return 5\n    return a + b")
    assert cache.replace("arith", odd) == 2
    assert cache.ask("what is 2+2").answer == 5
    assert [h["version"] for h in cache.history("arith")] == [1, 2]
    assert "return a + b" in cache.show("arith", 1)
    why = cache.why("arith")
    assert why["origin"]["request"] == "what is 1+1?" and why["rejected_cases"][0]["expected"] == "5"
    assert all(v["passed"] for v in why["verifications"])


def test_export_import_verifies(cache: ReasoningCache, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    assert sorted(cache.export(out)) == ["arith", "dates", "vat", "words"]
    (out / "evil.sgl").write_text('@when("what is {a}+{b}")\nproc evil(a: Int, b: Int) -> Int:\n'
                                  '    return 0\n\nexample evil(1, 1) == 2\n')
    other = ReasoningCache(tmp_path / "other")
    results = dict(other.import_(out))
    assert results["evil"].startswith("rejected")
    assert results["arith"] == "added"
    assert other.ask("what is 40+2").answer == 42
    assert dict(other.import_(out))["arith"] == "unchanged"


def test_rm_forgets_but_keeps_history(cache: ReasoningCache) -> None:
    cache.rm("vat")
    assert not cache.store.current_path("vat").exists()
    assert (cache.dir / "history" / "vat" / "1.sgl").exists()
    with pytest.raises(CacheMiss):
        cache.ask("price 10.00 with 20% vat")
    with pytest.raises(CacheError, match="no procedure family"):
        cache.rm("vat")


def test_reindex_rebuilds_from_files(cache: ReasoningCache) -> None:
    cache.ask("what is 1+1")
    (cache.dir / "index.sqlite").unlink()
    for extra in ("index.sqlite-wal", "index.sqlite-shm"):
        (cache.dir / extra).unlink(missing_ok=True)
    cache.close()
    fresh = ReasoningCache(cache.dir)
    assert fresh.ls() == []
    problems = fresh.reindex()
    # The verification records went with the index: every family must be re-verified.
    assert {f.status for f in fresh.ls()} == {UNVERIFIED} and len(problems) == 4
    with pytest.raises(CacheMiss):
        fresh.ask("what is 1+1")
    assert all(r.passed for r in fresh.verify())
    assert {f.status for f in fresh.ls()} == {ACTIVE}
    assert fresh.ask("what is 1+1").answer == 2


def test_reindex_keeps_verified_status(cache: ReasoningCache) -> None:
    cache.store.current_path("words").write_text("this is not SGL\n")
    problems = cache.reindex()
    statuses = {f.name: f.status for f in cache.ls()}
    assert statuses == {"arith": ACTIVE, "dates": ACTIVE, "vat": ACTIVE, "words": TAMPERED}
    assert len(problems) == 1 and "words" in problems[0]


_WORKER = """
import sys
from seglam_lang.cache import ReasoningCache
rc = ReasoningCache(sys.argv[1], verify_options={"max_examples": 5, "time_budget": 1.0})
i = int(sys.argv[2])
src = f'@when("triple{i} {{x}}")\\nproc t{i}(x: Int) -> Int:\\n    return 3 * x\\n\\nexample t{i}(1) == 3\\n'
rc.add(src, name=f"fam{i}")
for k in range(20):
    assert rc.ask(f"what is {k}+{i}").answer == k + i
assert rc.ask(f"triple{i} 5").answer == 15
"""


def test_concurrent_processes_ask_and_add(cache: ReasoningCache) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(cache.dir), str(i)]) for i in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    fresh = ReasoningCache(cache.dir)
    assert {f"fam{i}" for i in range(4)} <= {f.name for f in fresh.ls()}
    assert fresh.stats()["hits"] == 4 * 21
    assert fresh.ask("triple2 7").answer == 21  # seen by a process that did not add it


_OPEN_AT_ONCE = """
import sys, time
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))  # every process starts on the new folder at the same moment
from seglam_lang.cache.store import Store
for _ in range(40):
    store = Store(sys.argv[1])
    assert store.families() == [] and store.generation() >= 0
    store.close()
"""


def test_processes_that_open_and_close_a_new_folder_at_once_all_survive(tmp_path: Path) -> None:
    """Processes opening and closing one new folder at the same time: each gets through. Two
    turning on SQLite's WAL at once made one fail with "database is locked" (a traceback, seen in
    bench/fleet.py), and the WAL-index mapped into memory killed a process with SIGBUS when
    another truncated it (now it is read with pread)."""
    for round_ in range(3):
        folder = tmp_path / f"new{round_}"
        start = time.time() + 2.0  # after every interpreter has started and imported
        procs = [subprocess.Popen([sys.executable, "-c", _OPEN_AT_ONCE, str(folder), str(start)],
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        outcomes = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
        assert [code for code, _ in outcomes] == [0] * 4, [err[-500:] for _, err in outcomes]


_SLOW_ADD = """
import sys, time
from seglam_lang.cache import store
original = store.Store._write_atomic
def slow(self, path, data):
    original(self, path, data)
    if path.parent.name == "procedures":
        return
    print("written", path, flush=True)
    time.sleep(60)
store.Store._write_atomic = slow
from seglam_lang.cache import ReasoningCache
ReasoningCache(sys.argv[1]).add('@when("half of {x}")\\nproc half(x: Int) -> Int:\\n    return x // 2\\n', name="half")
"""


def test_killed_add_leaves_nothing_visible(cache: ReasoningCache) -> None:
    p = subprocess.Popen([sys.executable, "-c", _SLOW_ADD, str(cache.dir)], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().startswith("written")
    p.send_signal(signal.SIGKILL)
    p.wait()
    fresh = ReasoningCache(cache.dir)
    assert "half" not in {f.name for f in fresh.ls()}
    assert not fresh.store.current_path("half").exists()
    with pytest.raises(CacheMiss):
        fresh.ask("half of 10")
    assert fresh.ask("what is 1+1").answer == 2
    # the lock was released by the kill: a new add goes through
    fresh.add('@when("half of {x}")\nproc half(x: Int) -> Int:\n    return x // 2\n', name="half")
    assert fresh.ask("half of 10").answer == 5


def test_atomic_write_never_shows_a_partial_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    target = tmp_path / "s" / "procedures" / "x.sgl"
    big = b"x" * 2_000_000
    store._write_atomic(target, big)
    assert target.read_bytes() == big
    assert not (tmp_path / "s" / "tmp").exists()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_lock_excludes_other_processes(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    code = ("import sys, time\nfrom seglam_lang.cache.store import Store\n"
            "print('ready', flush=True)\nt = time.time()\ns = Store(sys.argv[1])\nwith s.lock():\n"
            "    print(time.time() - t)\n")
    with store.lock():
        p = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "s")], stdout=subprocess.PIPE, text=True)
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        time.sleep(1.0)
    out, _ = p.communicate(timeout=60)
    assert float(out) >= 0.5


def _tripler(i: int) -> str:
    return f'@when("triple{i} {{x}}")\nproc t{i}(x: Int) -> Int:\n    return 3 * x\n\nexample t{i}(1) == 3\n'


def test_a_change_by_another_connection_is_seen_by_the_very_next_ask(tmp_path: Path) -> None:
    """The generation check a hit makes without asking SQLite (the WAL-index header) never
    misses a commit: each change made through one instance is answered by the other at once."""
    writer = ReasoningCache(tmp_path / "shared", log_requests=False)
    reader = ReasoningCache(tmp_path / "shared")  # its own log writes commit too, in between
    for i in range(5):
        writer.add(_tripler(i), name=f"fam{i}", trusted=True)
        assert reader.ask(f"triple{i} 5").answer == 15
        assert reader.ask(f"triple{i} 6").answer == 18  # and again, with nothing changed
        if i:
            writer.rm(f"fam{i - 1}")
            with pytest.raises(CacheMiss):
                reader.ask(f"triple{i - 1} 5")
    writer.close()
    reader.close()
