"""The request log is written in batches off the answer's path: bounded, ordered, nothing
lost on a clean exit, and what a crash can lose is bounded (spec/embedding.md)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seglam_lang.cache import ReasoningCache
from seglam_lang.cache.index import request_inserts
from seglam_lang.cache.request_log import RequestLog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cache"
REQUEST = "How many days between 2024-01-03 and 2024-03-05?"


def logged(cache_dir: Path) -> list[tuple[str, str]]:
    """(request, outcome) of every row another connection sees in the cache's index."""
    with sqlite3.connect(cache_dir / "index.sqlite") as db:
        return db.execute("SELECT request, outcome FROM requests ORDER BY id").fetchall()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "cache")
    return tmp_path / "cache"


# ---------------------------------------------------------------- whole processes

ENDINGS = {
    "return": "",
    "sys.exit": "sys.exit(0)",
    "an unhandled exception": "raise RuntimeError('the host failed after asking')",
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_process_that_exits_cleanly_leaves_every_row(cache_dir: Path, ending: str) -> None:
    n = 37  # fewer than a batch: only the exit writes them
    code = ("import sys\nfrom seglam_lang.cache import ReasoningCache\n"
            f"cache = ReasoningCache({str(cache_dir)!r})\n"
            f"for i in range({n}):\n    assert cache.ask({REQUEST!r}).answer == 62\n" + ENDINGS[ending] + "\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (out.returncode != 0) == (ending == "an unhandled exception"), out.stderr
    assert logged(cache_dir) == [(REQUEST, "hit")] * n


def test_the_cli_logs_each_ask(cache_dir: Path) -> None:
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", "from seglam_lang.cli import main; main()", "ask", REQUEST, "--cache", str(cache_dir)],
                             capture_output=True, text=True, timeout=120)
        assert (out.returncode, out.stdout) == (0, "62\n"), out.stderr
    assert logged(cache_dir) == [(REQUEST, "hit")] * 3


def test_a_crash_loses_only_the_last_interval(cache_dir: Path) -> None:
    """Rows older than the interval are already written when the process is killed."""
    code = ("import os, time\nfrom seglam_lang.cache import ReasoningCache\n"
            f"cache = ReasoningCache({str(cache_dir)!r})\n"
            f"for i in range(5):\n    cache.ask({REQUEST!r})\n"
            "time.sleep(4 * cache.store.request_log.interval_s)\n"
            "os._exit(0)\n")  # no atexit, no close: what a kill leaves
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert len(logged(cache_dir)) == 5


# ---------------------------------------------------------------- in one process


def test_close_and_with_write_the_queued_rows(cache_dir: Path) -> None:
    cache = ReasoningCache(cache_dir)
    cache.ask(REQUEST)
    cache.close()
    assert len(logged(cache_dir)) == 1
    with ReasoningCache(cache_dir) as cache:
        cache.ask(REQUEST)
        cache.ask(REQUEST)
    assert len(logged(cache_dir)) == 3


def test_a_process_reads_its_own_rows(cache_dir: Path) -> None:
    with ReasoningCache(cache_dir) as cache:
        for _ in range(4):
            cache.ask(REQUEST)
        assert cache.stats()["requests"] == 4  # queued rows are written before the log is read
        assert len(cache.logged_requests()) == 4
        cache.log_requests = False
        cache.ask(REQUEST)
        cache.flush()
        assert len(logged(cache_dir)) == 4


def test_the_writer_thread_writes_without_another_request(cache_dir: Path) -> None:
    with ReasoningCache(cache_dir) as cache:
        cache.ask(REQUEST)
        deadline = time.monotonic() + 30
        while not logged(cache_dir) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(logged(cache_dir)) == 1
        assert len(cache.store.request_log) == 0


# ---------------------------------------------------------------- the component


class Gate:
    """A writer that records batches and can be held shut (a slow or locked store) or fail."""

    def __init__(self, log_ref: list[RequestLog]) -> None:
        self.batches: list[list[int]] = []
        self.open = threading.Event()
        self.open.set()
        self.failures = 0
        self.log_ref = log_ref
        self.largest_pending = 0

    def __call__(self, rows: list[int]) -> None:
        self.largest_pending = max(self.largest_pending, len(rows) + len(self.log_ref[0]))
        self.open.wait()
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database is locked")
        self.batches.append(list(rows))


def make(batch: int, bound: int, interval: float = 0.01) -> tuple[RequestLog, Gate]:
    ref: list[RequestLog] = []
    gate = Gate(ref)
    ref.append(RequestLog(gate, batch_rows=batch, max_rows=bound, interval_s=interval))
    return ref[0], gate


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 8), extra=st.integers(0, 16), n=st.integers(0, 200), threads=st.integers(1, 4))
def test_the_buffer_never_grows_past_its_bound_and_every_row_is_written_once_in_order(
        batch: int, extra: int, n: int, threads: int) -> None:
    log, gate = make(batch, batch + extra)
    gate.open.clear()  # the store is slow: the buffer fills up
    seen: list[int] = []

    def producer(k: int) -> None:
        for i in range(k, n, threads):
            log.append(i)
            seen.append(len(log))

    workers = [threading.Thread(target=producer, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    time.sleep(0.02)
    assert len(log) <= log.max_rows
    gate.open.set()
    for w in workers:
        w.join()
    log.close()
    written = [r for b in gate.batches for r in b]
    assert sorted(written) == list(range(n))  # each row exactly once
    for k in range(threads):  # each producer's rows in its order
        mine = [r for r in written if r % threads == k]
        assert mine == sorted(mine)
    assert max(seen, default=0) <= log.max_rows and gate.largest_pending <= log.max_rows
    assert all(len(b) <= log.max_rows for b in gate.batches)


def test_a_failed_batch_is_kept_and_written_later_in_order() -> None:
    log, gate = make(4, 8, interval=60)  # only size and explicit flushes write
    gate.failures = 1
    for i in range(3):
        log.append(i)
    with pytest.raises(sqlite3.OperationalError):
        log.flush()
    assert len(log) == 3
    log.append(3)
    log.flush()
    assert gate.batches[-1] == [0, 1, 2, 3]
    log.close()


def test_a_store_that_keeps_failing_with_a_full_buffer_costs_rows_not_memory() -> None:
    log, gate = make(2, 4, interval=60)
    gate.failures = 10**6
    with pytest.raises(sqlite3.OperationalError):
        for i in range(100):
            log.append(i)
    assert len(log) <= 4
    with pytest.raises(sqlite3.OperationalError):
        log.flush()
    assert len(log) <= 4
    gate.failures = 0
    log.close()
    written = [r for b in gate.batches for r in b]
    assert written == sorted(written) and len(written) + log.dropped <= 100


def test_appends_after_close_write_through() -> None:
    log, gate = make(4, 8)
    log.close()
    log.append("late")
    assert gate.batches == [["late"]] and len(log) == 0


@pytest.mark.parametrize(("batch", "bound", "interval"), [(0, 4, 1.0), (5, 4, 1.0), (1, 1, 0.0)])
def test_bad_settings_are_refused(batch: int, bound: int, interval: float) -> None:
    with pytest.raises(ValueError):
        RequestLog(lambda rows: None, batch_rows=batch, max_rows=bound, interval_s=interval)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is a POSIX call")
def test_a_forked_child_writes_only_its_own_rows(tmp_path: Path) -> None:
    out = tmp_path / "rows.txt"

    def write(rows: list[str]) -> None:
        with open(out, "a", encoding="utf-8") as f:
            f.writelines(f"{os.getpid()} {r}\n" for r in rows)

    log = RequestLog(write, interval_s=60)  # only explicit flushes write
    log.append("parent-1")
    pid = os.fork()
    if pid == 0:  # the child: its copy of the parent's queue must not be written again
        try:
            log.append("child-1")
            log.flush()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    log.append("parent-2")
    log.close()
    written = [line.split() for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r for _, r in written) == ["child-1", "parent-1", "parent-2"]
    assert {int(p) for p, r in written if r.startswith("parent")} == {os.getpid()}


_KINDS = '''@when("say text {s}")
proc say_text(s: Str) -> Str:
    return s + "!"

@when("say decimal {d}")
proc say_decimal(d: Decimal) -> Decimal:
    return d * Decimal("2")

@when("say float {f}")
proc say_float(f: Float) -> Float:
    return f / 4.0

@when("say list {n}")
proc say_list(n: Int) -> List[Int]:
    return [n, n + 1]

@when("say nothing {n}")
proc say_nothing(n: Int) -> Int?:
    return None

example say_list(1) == [1, 2]
'''


def test_each_kind_of_answer_is_logged_as_its_sgl_text(tmp_path: Path) -> None:
    """Some answers are formatted when their batch is written, not when they are answered:
    the log holds the same text either way."""
    cache = ReasoningCache(tmp_path / "cache")
    cache.add(_KINDS, name="kinds", trusted=True)
    expected = {
        'say text a "quoted" word': '"a \\"quoted\\" word!"',
        "say decimal 1.25": 'Decimal("2.50")',
        "say float 1": "0.25",
        "say list 7": "[7, 8]",
        "say nothing 3": "None",
    }
    for request in expected:
        cache.ask(request)
    cache.close()
    with sqlite3.connect(tmp_path / "cache" / "index.sqlite") as db:
        rows = dict(db.execute("SELECT request, answer FROM requests WHERE outcome = 'hit'").fetchall())
    assert rows == expected


# ---------------------------------------------------------------- how a batch reaches the database


@given(rows=st.integers(0, 60), max_parameters=st.integers(1, 200))
def test_a_batch_is_split_into_statements_within_the_parameter_limit_and_in_order(rows: int,
                                                                                    max_parameters: int) -> None:
    width = 12
    values = list(range(rows * width))
    inserts = request_inserts(values, max_parameters)
    assert [v for _, chunk in inserts for v in chunk] == values
    for sql, chunk in inserts:
        assert sql.count("?") == len(chunk) and len(chunk) % width == 0
        assert len(chunk) <= max(max_parameters, width)  # one row per statement when even one does not fit
    assert len(inserts) == (0 if rows == 0 else -(-rows // max(1, max_parameters // width)))


def test_a_batch_of_more_rows_than_one_statement_takes_is_written_whole_and_in_order(store_url: str) -> None:
    """More rows than one INSERT can carry (on SQLite the parameter limit is lowered to force
    it): every row is written once, and in order."""
    cache = ReasoningCache(store_url)
    store = cache.store
    if hasattr(store, "_log_db"):
        store._log_db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 12 * 7)
    rows = [(1000.0 + i, f"request {i}", "miss", None, None, None, 0.5, 0, 0, 0, 0, f"detail {i}")
            for i in range(50)]
    store._write_requests(rows[:3])
    store._write_requests(rows[3:])  # 47 rows: 7 statements on SQLite, in one transaction
    logged = cache.logged_requests()
    assert [r.request for r in logged] == [f"request {i}" for i in range(50)]
    cache.close()
