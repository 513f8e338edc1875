"""A cache shared by a fleet: several processes on one PostgreSQL database (issue 14 §3-4).

Every test uses a fresh database on the real server (`postgres_url`). What is checked: the
schema's versioning; single flight across processes; a killed compile or a killed write
leaves nothing stuck and nothing half-stored; every process's matcher follows another's
stores, suspensions and replacements within a second; a hit does not touch the database;
connection loss is retried, then reported in one line, never answered wrongly.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from seglam_lang.cache import CacheMiss, ReasoningCache, StoreError

MODULES = Path(__file__).parent / "modules"
FAST = {"max_examples": 10, "time_budget": 1.0}

MUL = """
@when("what is {a}*{b}")
proc mul(a: Int, b: Int) -> Int:
    return a * b

example mul(3, 4) == 12
"""

# A process of the fleet: a cache on the database argv[1] whose compiler (if `argv[2]` is
# not "none") writes MUL after `argv[2]` seconds, noting each call in the file argv[3].
_COMPILER = f"""
import sys, time
from seglam_lang.cache import CompileResult, ReasoningCache, Spend

class Slow:
    def compile(self, request, context):
        with open(sys.argv[3], "a") as f:
            f.write(request.text + "\\n")
        print("compiling", flush=True)
        time.sleep(float(sys.argv[2]))
        context.meter.charge(Spend(1, 100, 50))
        return CompileResult("compile", source=MUL, family="mul", compiler="test/slow")

MUL = {MUL!r}
rc = ReasoningCache(sys.argv[1], compiler=None if sys.argv[2] == "none" else Slow(),
                    verify_options={{"max_examples": 10, "time_budget": 1.0}})
"""


def _fleet_process(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _COMPILER + code, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _sql(url: str, query: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        cur = db.execute(query, args)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


@pytest.fixture
def shared(postgres_url: str) -> ReasoningCache:
    rc = ReasoningCache(postgres_url, verify_options=FAST)
    rc.add(MODULES / "arith.sgl")
    yield rc
    rc.close()


# ---------------------------------------------------------------- schema versions


def test_schema_is_versioned_and_upgraded_in_order(postgres_url: str) -> None:
    import psycopg

    from seglam_lang.cache.pg_store import MIGRATIONS, migrate

    with psycopg.connect(postgres_url, autocommit=True) as db:
        assert migrate(db, 1) == 1  # a database as the first release of the schema left it
    _sql(postgres_url, "INSERT INTO requests(time, request, outcome, elapsed_ms, llm_calls) "
                       "VALUES (1.0, 'what is 1+1', 'compiled', 3.0, 1)")
    assert not _sql(postgres_url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'claims'")
    rc = ReasoningCache(postgres_url, verify_options=FAST)
    try:
        assert [v for (v,) in _sql(postgres_url, "SELECT version FROM schema_version ORDER BY version")] == \
            list(range(1, len(MIGRATIONS) + 1))
        stats = rc.stats()
        assert (stats["requests"], stats["llm_calls"]) == (1, 1)  # the data came through
        assert rc.store.compiles_in_flight() == []  # the claims table of version 2 is there
        rc.add(MODULES / "arith.sgl")
        assert rc.ask("what is 2+2").answer == 4
    finally:
        rc.close()
    _sql(postgres_url, "INSERT INTO schema_version(version, applied) VALUES (99, 0)")
    with pytest.raises(StoreError, match="schema is version 99, newer than this sgl knows"):
        ReasoningCache(postgres_url)


# ---------------------------------------------------------------- single flight


_ASK = """
print("asked", flush=True)
print(rc.ask(sys.argv[4]).answer, flush=True)
rc.close()
"""


def test_one_compile_for_a_kind_across_processes(shared: ReasoningCache, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    requests = ["what is 6*7", "what is 8*9", "what is 2*3", "what is 5*5"]
    procs = [_fleet_process(_ASK, shared.location, "1.0", str(calls), r) for r in requests]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e for _, e in outs]
    assert [o.split()[-1] for o, _ in outs] == ["42", "72", "6", "25"]
    assert len(calls.read_text().splitlines()) == 1  # one LLM call for the whole fleet
    assert [h["version"] for h in shared.history("mul")] == [1]
    assert shared.stats()["llm_calls"] == 1 and shared.stats()["hits"] == 3
    assert _sql(shared.location, "SELECT COUNT(*) FROM claims") == [(0,)]


def test_a_killed_compile_is_released_and_nothing_is_stored(shared: ReasoningCache, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    stuck = _fleet_process(_ASK, shared.location, "600", str(calls), "what is 6*7")
    assert stuck.stdout is not None
    while stuck.stdout.readline().strip() != "compiling":
        assert stuck.poll() is None, stuck.stderr.read() if stuck.stderr else ""
    assert len(_sql(shared.location, "SELECT id FROM claims")) == 1
    stuck.send_signal(signal.SIGKILL)
    stuck.wait()
    t0 = time.monotonic()
    rescuer = _fleet_process(_ASK, shared.location, "0", str(calls), "what is 3*4")
    out, err = rescuer.communicate(timeout=120)
    assert rescuer.returncode == 0 and out.split()[-1] == "12", err
    # released with its process, not after the lease (30 s): the server dropped its connection
    assert time.monotonic() - t0 < 15
    assert len(calls.read_text().splitlines()) == 2
    assert [h["version"] for h in shared.history("mul")] == [1] and "Traceback" not in err
    assert _sql(shared.location, "SELECT COUNT(*) FROM claims") == [(0,)]


def test_a_claim_ends_with_its_lease(shared: ReasoningCache) -> None:
    """A claim whose holder is alive but whose lease ran out (a machine that stopped renewing)
    is not waited for; one with a lease to run is."""
    import psycopg

    with psycopg.connect(shared.location, autocommit=True) as holder:
        for key, lease in (("expired", -1.0), ("live", 60.0)):
            holder.execute("INSERT INTO claims(id, request, holder_pid, holder_start, lease_until) "
                           "SELECT %s, 'what is 1*1', pid, backend_start, extract(epoch from clock_timestamp()) + %s "
                           "FROM pg_stat_activity WHERE pid = pg_backend_pid()", (key, lease))
        assert shared.store.compiles_in_flight() == [("live", "what is 1*1")]
        assert shared.store.wait_compile("expired", time.monotonic()) is True
        assert shared.store.wait_compile("live", time.monotonic() + 0.2) is False
    # the holder's connection is gone now: its claim ended with it, lease or not
    assert shared.store.wait_compile("live", time.monotonic() + 5) is True


_KILLED_WRITE = """
from seglam_lang.cache import pg_store
original = pg_store.PostgresStore._add_version
def slow(self, db, *args):
    original(self, db, *args)
    print("in the transaction", flush=True)
    time.sleep(600)
pg_store.PostgresStore._add_version = slow
rc.add(MUL, name="mul")
"""


def test_a_write_killed_in_its_transaction_stores_nothing(shared: ReasoningCache, tmp_path: Path) -> None:
    writer = _fleet_process(_KILLED_WRITE, shared.location, "none", str(tmp_path / "calls"))
    assert writer.stdout is not None and writer.stdout.readline().strip() == "in the transaction"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert _sql(shared.location, "SELECT COUNT(*) FROM versions WHERE family = 'mul'") == [(0,)]
    assert shared.store.family("mul") is None
    shared.add(MUL, name="mul")  # the writer lock went with the killed process
    assert shared.ask("what is 6*7").answer == 42


# ---------------------------------------------------------------- matcher refresh

_WATCH = """
print("ready", flush=True)
for line in sys.stdin:
    what, text = line.rstrip("\\n").split(" ", 1)
    while True:
        outcome = rc.lookup(text)
        found = None if outcome.hit is None else str(outcome.hit.value)
        if (what == "miss" and found is None) or found == what:
            break
        time.sleep(0.002)
    print(time.time(), flush=True)
"""


def test_every_process_follows_stores_suspensions_and_replacements(shared: ReasoningCache, tmp_path: Path) -> None:
    watcher = _fleet_process(_WATCH, shared.location, "none", str(tmp_path / "calls"))
    assert watcher.stdin is not None and watcher.stdout is not None
    assert watcher.stdout.readline().strip() == "ready"

    def seen_after(expect: str, text: str, change: Any) -> float:
        watcher.stdin.write(f"{expect} {text}\n")  # type: ignore[union-attr]
        watcher.stdin.flush()  # type: ignore[union-attr]
        time.sleep(0.2)  # the watcher is polling now
        change()
        done = time.time()
        return float(watcher.stdout.readline()) - done  # type: ignore[union-attr]

    delays = [
        seen_after("42", "what is 6*7", lambda: shared.add(MUL, name="mul")),  # a store
        seen_after("miss", "what is 2*2", lambda: shared.reject("mul", "what is 2*2", "5")),  # a suspension
        seen_after("5", "what is 2*2", lambda: shared.replace("mul", MUL.replace(
            "    return a * b", "    if a == 2 and b == 2:\n        return 5\n    return a * b"))),  # a replacement
    ]
    watcher.stdin.close()
    assert watcher.wait(timeout=30) == 0, watcher.stderr.read() if watcher.stderr else ""
    assert all(d < 1.0 for d in delays), delays


# ---------------------------------------------------------------- the hit path and connection loss


def test_a_hit_makes_no_database_round_trip(postgres_url: str) -> None:
    rc = ReasoningCache(postgres_url, verify_options=FAST, log_requests=False)
    try:
        rc.add(MODULES / "arith.sgl")
        assert rc.ask("what is 1+1").answer == 2  # loads the module
        time.sleep(0.5)
        pid = rc.store._conn.info.backend_pid  # type: ignore[attr-defined]
        before = _sql(postgres_url, "SELECT query_start, xact_start, state FROM pg_stat_activity WHERE pid = %s",
                      (pid,))
        assert [rc.ask(f"what is {i}+1").answer for i in range(300)] == [i + 1 for i in range(300)]
        time.sleep(0.5)
        after = _sql(postgres_url, "SELECT query_start, xact_start, state FROM pg_stat_activity WHERE pid = %s",
                     (pid,))
        assert before == after and before[0][2] == "idle"
        rc.log_requests = True
        for i in range(50):
            rc.ask(f"what is {i}+2")
        assert rc.stats()["hits"] == 50  # batched, and every one counted
    finally:
        rc.close()


def test_a_process_that_exits_without_closing_leaves_every_row(shared: ReasoningCache, tmp_path: Path) -> None:
    code = "for i in range(37):\n    assert rc.ask(f'what is {i}+1').answer == i + 1\n"  # fewer than a batch
    p = _fleet_process(code, shared.location, "none", str(tmp_path / "calls"))
    assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
    assert shared.stats()["hits"] == 37


def _terminate_all(admin: str, url: str) -> int:
    """End every connection to `url`'s database, as an administrator or a failover would."""
    return len(_sql(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (url.rsplit("/", 1)[1],)))


def test_connection_loss_is_retried_and_never_answers_wrongly(shared: ReasoningCache, postgres_url: str,
                                                              postgres_server: str,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    other = ReasoningCache(postgres_url, verify_options=FAST)
    try:
        assert shared.ask("what is 2+2").answer == 4
        with caplog.at_level(logging.WARNING, logger="seglam_lang.cache"):
            assert _terminate_all(postgres_server, postgres_url) >= 4  # both stores' connections and listeners
            other.reject("arith", "what is 2+2", "5")  # while `shared`'s listener is down
            rejected = time.monotonic()
            while shared.lookup("what is 2+2").hit is not None:  # the suspended family's answer...
                assert time.monotonic() - rejected < 1.5  # ... for no more than the index may be old
                time.sleep(0.01)
            with pytest.raises(CacheMiss):
                shared.ask("what is 2+2")
            assert shared.stats()["hits"] == 1
            shared.restore("arith")
            assert shared.ask("what is 3+3").answer == 6
        warnings = [r.getMessage() for r in caplog.records]
        assert warnings and all("\n" not in w and "connection" in w for w in warnings)
    finally:
        other.close()


def test_an_unreachable_database_is_one_line_and_the_log_waits(postgres_url: str, postgres_server: str) -> None:
    from seglam_lang.cache.pg_store import PostgresStore

    store = PostgresStore(postgres_url, retry_s=1.0)
    name = postgres_url.rsplit("/", 1)[1]
    try:
        store.log_request("what is 1+1", "hit")
        _sql(postgres_server, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        _terminate_all(postgres_server, postgres_url)
        t0 = time.monotonic()
        with pytest.raises(StoreError) as e:
            store.stats()
        assert "cannot reach PostgreSQL" in str(e.value) and "gave up after" in str(e.value)
        assert "\n" not in str(e.value) and time.monotonic() - t0 < 10
        _sql(postgres_server, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        assert store.stats()["requests"] == 1  # the row logged while it was away is kept
    finally:
        _sql(postgres_server, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        store.close()


def test_ci_runs_the_postgres_tests() -> None:
    """`.ci/run` makes a missing server a failure, not a skip (see tests/conftest.py)."""
    ci = (Path(__file__).parents[2] / ".ci" / "run")
    if not ci.is_file():
        pytest.skip("needs the source checkout")
    assert "export SGL_TEST_POSTGRES_REQUIRED=1" in ci.read_text()
