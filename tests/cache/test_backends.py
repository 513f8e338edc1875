"""The same guarantees on both store backends (a folder with its SQLite index, a PostgreSQL
database): every test here runs once per backend (`any_cache` / `store_url`), each on a fresh
folder or a fresh database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ask import HITS, MISSES

from seglam_lang.cache import CacheError, CacheMiss, ReasoningCache, StoreError
from seglam_lang.cache.backends import is_postgres_url
from seglam_lang.cache.index import (
    ACTIVE,
    SUSPENDED,
    TAMPERED,
    CacheStore,
    LogSettings,
    TriggerRow,
    Verification,
)
from seglam_lang.cli import main
from seglam_lang.frozen import evolve

MODULES = Path(__file__).parent / "modules"
FAST = {"max_examples": 10, "time_budget": 1.0}


def tamper(cache: ReasoningCache, family: str, edit: str) -> None:
    """Change a family's current source behind the cache's back, as a person with access could."""
    if is_postgres_url(cache.store.location):
        import psycopg

        with psycopg.connect(cache.location, autocommit=True) as db:
            db.execute("UPDATE versions v SET source = v.source || %s FROM families f "
                       "WHERE f.name = %s AND v.family = f.name AND v.version = f.version", (edit, family))
    else:
        path = cache.store.current_path(family)  # type: ignore[attr-defined]
        path.write_text(path.read_text() + edit)


def test_hits_and_misses(any_cache: ReasoningCache) -> None:
    for text, value, procedure in HITS:
        a = any_cache.ask(text)
        assert (a.hit, a.procedure, a.answer, type(a.answer), a.version) == (True, procedure, value, type(value), 1)
    for text in MISSES:
        with pytest.raises(CacheMiss):
            any_cache.ask(text)
    stats = any_cache.stats()
    assert (stats["requests"], stats["hits"], stats["misses"]) == (len(HITS) + len(MISSES), len(HITS), len(MISSES))
    assert [r.outcome for r in any_cache.logged_requests()] == ["hit"] * len(HITS) + ["miss"] * len(MISSES)


def test_verification_before_storing(any_cache: ReasoningCache) -> None:
    with pytest.raises(CacheError, match="does not load"):
        any_cache.add("proc f(x: Int) -> Int:\n    return x +\n", name="broken")
    with pytest.raises(CacheError, match="rejected: example"):
        any_cache.add('@when("double {x}")\nproc double(x: Int) -> Int:\n    return x * 3\n\nexample double(2) == 4\n')
    with pytest.raises(CacheError, match="already in the cache"):
        any_cache.add(MODULES / "arith.sgl")
    assert [f.name for f in any_cache.ls()] == ["arith", "dates", "vat", "words"]
    assert not any_cache.store.has_history("double") and not any_cache.store.has_history("broken")


def test_versions_history_reject_restore_replace(any_cache: ReasoningCache) -> None:
    cache = any_cache
    cache.reject("arith", "what is 2+2", "5")
    assert cache.store.require("arith").status == SUSPENDED
    with pytest.raises(CacheMiss):
        cache.ask("what is 2+2")
    with pytest.raises(CacheError, match="rejected case"):
        cache.replace("arith", (MODULES / "arith.sgl").read_text() + "\n")
    odd = (MODULES / "arith.sgl").read_text().replace(
        "    return a + b", "    if a == 2 and b == 2:\n        return 5\n    return a + b")
    assert cache.replace("arith", odd) == 2
    assert cache.ask("what is 2+2").answer == 5
    history = cache.history("arith")
    assert [h["version"] for h in history] == [1, 2] and history[1]["note"].startswith("replaces version 1")
    assert history[0]["origin"] == {"compiler": "hand", "request": "what is 1+1?"}
    assert "return a + b" in cache.show("arith", 1) and cache.show("arith") == odd
    why = cache.why("arith")
    assert why["rejected_cases"] == [{"request": "what is 2+2", "expected": "5"}]
    assert all(v["passed"] for v in why["verifications"])
    with pytest.raises(CacheError, match="answers differently from version 2"):
        cache.restore("arith", 1)  # it brings back the answer a person rejected: a change to accept
    assert cache.restore("arith", 1, accept_changes=True) == 3  # a new version; the rejected case it fails goes
    assert cache.ask("what is 2+2").answer == 4 and cache.why("arith")["rejected_cases"] == []
    cache.rm("vat")
    with pytest.raises(CacheMiss):
        cache.ask("price 10.00 with 20% vat")
    assert [h["version"] for h in cache.history("vat")] == [1]  # the history stays
    assert cache.add(MODULES / "vat.sgl") == 2  # the same module again continues the family


def test_conflicts_are_never_answered(any_cache: ReasoningCache) -> None:
    any_cache.add('@when("what is {a}+{b}")\nproc plus_one(a: Int, b: Int) -> Int:\n    return a + b + 1\n\n'
                  "example plus_one(1, 1) == 3\n", name="plus", trusted=True)
    with pytest.raises(CacheMiss, match="disagree"):
        any_cache.ask("what is 1+1")
    assert any_cache.stats()["conflicts"] == 1


def test_tampered_source_is_never_run(any_cache: ReasoningCache) -> None:
    tamper(any_cache, "arith", "\n# edited behind the cache's back\n")
    fresh = ReasoningCache(any_cache.location)
    try:
        with pytest.raises(CacheMiss):
            fresh.ask("what is 1+1")
        assert fresh.store.require("arith").status == TAMPERED
        assert any("does not match" in p for p in fresh.problems)
        assert fresh.ask("days between 2024-01-01 and 2024-01-02").answer == 1  # the others still run
        # layout and comments only: `verify` stores it as the next version, and it runs again
        assert [r.passed for r in fresh.verify(["arith"])] == [True]
        assert fresh.store.require("arith").version == 2 and fresh.ask("what is 1+1").answer == 2
    finally:
        fresh.close()


def test_request_log_settings_and_forget(any_cache: ReasoningCache) -> None:
    any_cache.log_settings(rows=3, text="hash")
    for i in range(40):
        any_cache.ask(f"what is {i}+1")
    stats = any_cache.stats()
    assert stats["requests"] == 40 and stats["hits"] == 40 and stats["kept"] <= 3 + 32
    assert any_cache.log_settings().text == "hash"
    any_cache.store.remember_failure("k", "a request", "declined", "no")
    assert any_cache.store.failure("k", 60) == ("declined", "no")
    assert any_cache.forget() == 1 and any_cache.store.failure("k", 60) is None


@pytest.mark.parametrize("other_backend", ["folder", "postgres"])
def test_export_and_import_between_any_two_stores(any_cache: ReasoningCache, other_backend: str, tmp_path: Path,
                                                  request: pytest.FixtureRequest) -> None:
    other_url = (str(tmp_path / "other") if other_backend == "folder"
                 else request.getfixturevalue("new_postgres_database")())
    out = tmp_path / "exported"
    assert sorted(any_cache.export(out)) == ["arith", "dates", "vat", "words"]
    (out / "evil.sgl").write_text('@when("what is {a}+{b}")\nproc evil(a: Int, b: Int) -> Int:\n'
                                  "    return 0\n\nexample evil(1, 1) == 2\n")
    other = ReasoningCache(other_url, verify_options=FAST)
    try:
        results = dict(other.import_(out))
        assert results["evil"].startswith("rejected") and results["arith"] == "added"
        assert other.ask("what is 40+2").answer == 42
        assert dict(other.import_(out))["arith"] == "unchanged"
        back = tmp_path / "back"
        assert sorted(other.export(back)) == ["arith", "dates", "vat", "words"]
        assert all((back / f"{n}.sgl").read_text() == (out / f"{n}.sgl").read_text() for n in ["arith", "vat"])
    finally:
        other.close()


def test_reindex_rebuilds_from_current_sources(any_cache: ReasoningCache) -> None:
    assert any_cache.reindex() == []
    assert {f.name: f.status for f in any_cache.ls()} == dict.fromkeys(["arith", "dates", "vat", "words"], ACTIVE)
    assert any_cache.ask("what is 1+1").answer == 2


def test_cli_on_either_store(any_cache: ReasoningCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = any_cache.location
    runner = CliRunner()
    r = runner.invoke(main, ["ask", "what is 20+22", "--json", "--cache", url])
    assert r.exit_code == 0 and json.loads(r.stdout)["answer"] == 42, r.output
    r = runner.invoke(main, ["cache", "ls", "--json", "--cache", url])
    assert [f["family"] for f in json.loads(r.stdout)] == ["arith", "dates", "vat", "words"]
    monkeypatch.setenv("SGL_CACHE", url)
    r = runner.invoke(main, ["cache", "stats", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["hits"] == 1, r.output
    assert not (tmp_path / "postgresql:").exists() and not (tmp_path / "postgres:").exists()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_postgres_url_is_a_database_never_a_folder(postgres_url: str, scheme: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = scheme + postgres_url.removeprefix("postgresql")
    r = CliRunner().invoke(main, ["cache", "add", str(MODULES / "arith.sgl"), "--cache", url])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["cache", "ls", "--cache", url])
    assert r.exit_code == 0 and r.stdout.startswith("arith  v1  active")
    assert list(tmp_path.iterdir()) == []  # no folder called `postgresql:` (or anything else)


def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-c", "from seglam_lang.cli import main; main()", "cache", "ls", "--cache",
                        "postgresql://postgres@127.0.0.1:1/nothing"], capture_output=True, text=True, timeout=120,
                       cwd=tmp_path)
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr
    assert "cannot reach PostgreSQL" in r.stderr and "gave up after" in r.stderr and list(tmp_path.iterdir()) == []


_NO_PSYCOPG = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "psycopg" or name.startswith("psycopg."):
            raise ImportError("blocked for the test")
sys.meta_path.insert(0, Block())
from seglam_lang.cli import main
sys.argv = ["sgl", *sys.argv[1:]]
main()
"""


def test_without_psycopg_one_line_says_what_to_install(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-c", _NO_PSYCOPG, "cache", "ls", "--cache",
                        "postgresql://postgres@127.0.0.1:5432/postgres"], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert r.returncode != 0 and "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1
    assert "pip install 'seglam-lang[postgres]'" in r.stderr
    embedded = _NO_PSYCOPG.split("from seglam_lang.cli")[0] + (
        "from seglam_lang.cache import ReasoningCache, StoreError\n"
        "try:\n    ReasoningCache('postgres://x@127.0.0.1/y')\nexcept StoreError as e:\n    print(e)\n")
    r = subprocess.run([sys.executable, "-c", embedded], capture_output=True, text=True, timeout=120)
    assert r.stdout == "a PostgreSQL cache needs psycopg 3: pip install 'seglam-lang[postgres]'\n", r.stderr


# ---------------------------------------------------------------- the shared SQL, differentially

_NAMES = st.sampled_from(["alpha", "beta", "gamma"])
_TEXT = st.text(alphabet="ab ?%'\\\"é", max_size=6)
_OPS = st.one_of(
    st.tuples(st.just("put"), _NAMES, _TEXT, st.integers(0, 2), st.booleans()),
    st.tuples(st.just("status"), _NAMES, st.sampled_from([ACTIVE, SUSPENDED, TAMPERED]), _TEXT),
    st.tuples(st.just("remove"), _NAMES),
    st.tuples(st.just("reject"), _NAMES, _TEXT, _TEXT),
    st.tuples(st.just("withdraw"), _NAMES, _TEXT),
    st.tuples(st.just("log"), _TEXT, st.sampled_from(["hit", "compiled", "declined", "miss", "conflict"]),
              st.one_of(st.none(), _NAMES), st.integers(0, 3)),
    st.tuples(st.just("failure"), _TEXT, _TEXT),
    st.tuples(st.just("forget")),
    st.tuples(st.just("bound"), st.one_of(st.none(), st.integers(1, 4)), st.sampled_from(["text", "hash"])),
)


def _apply(store: CacheStore, op: tuple[Any, ...]) -> Any:
    """One operation of the store's API; what it returned or the error it raised, by kind."""
    kind, *args = op
    try:
        if kind == "put":
            name, text, triggers, passed = args
            rows = [TriggerRow(name, "p", f"{text} {{x}} {i}", False, f"{i}") for i in range(triggers)]
            return store.put(name, f"# {text}\n", origin={"request": text}, triggers=rows,
                             verification=Verification(passed, f"summary {text}"), note=f"note {text}")
        if kind == "status":
            return store.set_status(args[0], args[1], args[2])
        if kind == "remove":
            return store.remove(args[0])
        if kind == "reject":
            return store.add_rejection(*args)
        if kind == "withdraw":
            return store.withdraw_rejections(args[0], [args[1]])
        if kind == "log":
            text, outcome, family, calls = args
            return store.log_request(text, outcome, family=family, version=1 if family else None, llm_calls=calls)
        if kind == "failure":
            return store.remember_failure(args[0], args[1], "declined", "why")
        if kind == "forget":
            return store.forget_failures()
        return store.set_log_settings(LogSettings(rows=args[0], text=args[1]))
    except StoreError as e:
        return f"StoreError: {e}".replace(store.location, "<store>")


def _observed(store: CacheStore) -> dict[str, Any]:
    """Everything the store answers, without the times (each backend's clock reading)."""
    names = ["alpha", "beta", "gamma"]
    stats = store.stats()
    return {
        "families": [evolve(f, created=0, updated=0) for f in store.families()],
        "triggers": store.triggers(),
        "history": {n: [{**h, "created": 0} for h in store.history(n)] for n in names},
        "verifications": {n: [{**v, "time": 0} for v in store.verifications(n)] for n in names},
        "rejections": {n: store.rejections(n) for n in names},
        "current": {n: (store.read_current(n)[0], store.current_text(n)) for n in names},
        "sources": store.current_sources(),
        "passed": {n: store.passed_hashes(n) for n in names},
        "removed": {t: store.removed_family_with(f"# {t}\n") for t in ["", "a", "b"]},
        "elsewhere": {n: sorted(store.answered_elsewhere(n, 50), key=repr) for n in names},
        "failures": {k: store.failure(k, 3600) for k in ["", "a", "b"]},
        "stats": {k: v for k, v in stats.items() if k not in ("first", "last")},
        "settings": store.log_settings(),
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(_OPS, max_size=12))
def test_both_stores_answer_every_sequence_of_operations_alike(postgres_url: str, tmp_path_factory: Any,
                                                               ops: list[tuple[Any, ...]]) -> None:
    """The SQL both backends share (`index.CacheStore`) means the same in SQLite and PostgreSQL."""
    import psycopg

    from seglam_lang.cache.pg_store import PostgresStore
    from seglam_lang.cache.store import Store

    with psycopg.connect(postgres_url, autocommit=True) as db:  # an empty database for each example
        tables = [t for (t,) in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                           "AND tablename != 'schema_version'")]
        if tables:
            db.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY; "
                       "INSERT INTO meta(key, value) VALUES ('generation', '0')")
    folder, database = Store(tmp_path_factory.mktemp("differential")), PostgresStore(postgres_url)
    try:
        for op in ops:
            assert _apply(folder, op) == _apply(database, op), op
        assert _observed(folder) == _observed(database)
    finally:
        folder.close()
        database.close()
