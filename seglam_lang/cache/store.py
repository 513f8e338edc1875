"""The cache folder: readable `.sgl` files plus an SQLite index, safe for many processes.

Layout of a cache directory:

    procedures/<family>.sgl          the current version of each family (what people read)
    history/<family>/<version>.sgl   every stored version, the current one included
    index.sqlite                     WAL-mode index: families, versions, triggers, verification
                                     records, rejected cases, the request log (statistics)
    .lock                            the writers' lock file
    tmp/                             staging area for atomic writes (exists only during a write)
    locks/                           compiles in flight (see `miss`; exists only while one is)

Owns: `Store` (all reads and writes of that layout), `default_cache_dir()`, the
`FamilyRow`, `TriggerRow` and `Verification` records it reads and writes, and the
integrity rules below.

Invariants:
- the index is the source of truth for what may run: a family runs only with status
  `active` and only when the bytes of `procedures/<family>.sgl` hash to the index's
  hash. A file that does not is *tampered*: reported, marked, never run until
  `verify` re-checks it;
- writes are atomic: a file is written to `tmp/`, fsynced, then `os.replace`d into
  place. A new version is written to `history/` first, then committed to the index,
  then copied to `procedures/`; a process killed between the last two steps leaves
  a `procedures/` file that `read_current` repairs from `history/` (its hash is the
  index's), so a killed `add` never leaves a partial module visible;
- every writer holds the folder's file lock (`lock()`) around read-modify-write
  sequences; SQLite transactions (WAL, busy timeout) make each index change atomic;
- the index can be rebuilt from the files (`reindex`); the request log survives it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from seglam_lang.cache.errors import StoreError
from seglam_lang.cache.locks import held

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

ACTIVE = "active"
SUSPENDED = "suspended"  # a person reported a wrong answer (`reject`)
UNVERIFIED = "unverified"  # not yet (re)verified, e.g. after `reindex` or `import`
TAMPERED = "tampered"  # the file does not match the index, or does not parse/check

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS families(
    name TEXT PRIMARY KEY, version INTEGER NOT NULL, hash TEXT NOT NULL, status TEXT NOT NULL,
    reason TEXT, origin TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS versions(
    family TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL, created REAL NOT NULL,
    note TEXT, origin TEXT NOT NULL DEFAULT '{}', PRIMARY KEY(family, version));
CREATE TABLE IF NOT EXISTS triggers(
    id INTEGER PRIMARY KEY, family TEXT NOT NULL, proc TEXT NOT NULL, pattern TEXT NOT NULL,
    is_regex INTEGER NOT NULL, anchors TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS triggers_family ON triggers(family);
CREATE TABLE IF NOT EXISTS verifications(
    id INTEGER PRIMARY KEY, family TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL,
    passed INTEGER NOT NULL, time REAL NOT NULL, summary TEXT NOT NULL, report TEXT);
CREATE TABLE IF NOT EXISTS rejections(
    id INTEGER PRIMARY KEY, family TEXT NOT NULL, version INTEGER NOT NULL, request TEXT NOT NULL,
    expected TEXT NOT NULL, time REAL NOT NULL);
CREATE TABLE IF NOT EXISTS failures(
    key TEXT PRIMARY KEY, request TEXT, outcome TEXT NOT NULL, detail TEXT, time REAL NOT NULL);
CREATE TABLE IF NOT EXISTS requests(
    id INTEGER PRIMARY KEY, time REAL NOT NULL, request TEXT NOT NULL, outcome TEXT NOT NULL,
    family TEXT, version INTEGER, answer TEXT, elapsed_ms REAL NOT NULL, llm_calls INTEGER NOT NULL DEFAULT 0,
    tokens_in INTEGER NOT NULL DEFAULT 0, tokens_out INTEGER NOT NULL DEFAULT 0,
    tokens_cache_read INTEGER NOT NULL DEFAULT 0, detail TEXT);
"""


_TOTALS = ("COUNT(*), COALESCE(SUM(outcome = 'hit'), 0), COALESCE(SUM(outcome != 'hit'), 0), "
           "COALESCE(SUM(outcome = 'conflict'), 0), COALESCE(SUM(llm_calls), 0), COALESCE(SUM(tokens_in), 0), "
           "COALESCE(SUM(tokens_out), 0), COALESCE(SUM(tokens_cache_read), 0)")


def default_cache_dir() -> Path:
    """`$SGL_CACHE`, else the platform's user data directory + `seglam`."""
    env = os.environ.get("SGL_CACHE")
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "seglam"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_family_name(name: str) -> str:
    if not _NAME.match(name):
        raise StoreError(f"bad procedure family name {name!r}: use letters, digits and _ (a module name)")
    return name


@attrs.frozen
class FamilyRow:
    name: str
    version: int
    hash: str
    status: str
    reason: str | None
    origin: dict[str, str]
    created: float
    updated: float


@attrs.frozen
class Verification:
    """The outcome of verifying one version: passed or not, a one-line summary, the report as JSON."""

    passed: bool
    summary: str
    report: str | None = None


@attrs.frozen
class LogSettings:
    """How the request log is kept (a setting of the folder, shared by every process): at most
    `rows` rows and `days` days of requests (None: no bound); `text` is "text" (each request
    as asked) or "hash" (only its SHA-256: requests can hold personal data). Statistics count
    the requests a bound removed too."""

    rows: int | None = None
    days: float | None = None
    text: str = "text"

    def __attrs_post_init__(self) -> None:
        if (self.rows is not None and self.rows < 1) or (self.days is not None and not self.days > 0):
            raise StoreError("the request log keeps at least 1 row and more than 0 days")
        if self.text not in ("text", "hash"):
            raise StoreError(f"the request log keeps 'text' or 'hash', not {self.text!r}")


_PRUNE_EVERY = 32  # log writes between two applications of the log's bounds (each a cheap DELETE)
_COUNTERS = ("requests", "hits", "misses", "conflicts", "llm_calls", "tokens_in", "tokens_out", "tokens_cache_read")


@attrs.frozen
class TriggerRow:
    family: str
    proc: str
    pattern: str
    is_regex: bool
    anchors: str  # the matcher's `encode_anchors(...)`: the words every match contains


class Store:
    """One cache folder. Safe to use from several threads (one connection, one lock)
    and from several processes (file lock + SQLite)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()
        for sub in ("procedures", "history"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._mutex = threading.RLock()
        self._db = sqlite3.connect(self.root / "index.sqlite", timeout=30.0, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL keeps it consistent
        self._lock_depth = 0
        self._own_change = True
        self._seen_data_version = -1
        self._generation = 0
        self._log_settings = LogSettings()
        with self.lock(), self._tx() as db:
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                db.execute(stmt)
        self._log_settings = self._read_log_settings()

    def close(self) -> None:
        with self._mutex:
            self._db.close()

    # ------------------------------------------------------------ locking

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """The folder's exclusive writer lock (held across processes; re-entrant in one Store)."""
        with self._mutex:
            if self._lock_depth:
                self._lock_depth += 1
                try:
                    yield
                finally:
                    self._lock_depth -= 1
                return
            with held(self.root / ".lock"):
                self._lock_depth = 1
                try:
                    yield
                finally:
                    self._lock_depth = 0

    @contextlib.contextmanager
    def _tx(self, structural: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction. A *structural* one (anything but the request log)
        bumps the index generation, which tells every process to reload triggers."""
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                if structural:
                    self._db.execute("INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) "
                                     "DO UPDATE SET value = CAST(value AS INTEGER) + 1")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            if structural:
                self._own_change = True

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._mutex:
            return self._db.execute(sql, args).fetchall()

    def generation(self) -> int:
        """A number that changes whenever families or triggers change, in any process.
        Cheap when nothing changed: SQLite's `data_version` (no disk read) says whether
        another connection committed; this connection's own changes are tracked."""
        with self._mutex:
            dv = self._db.execute("PRAGMA data_version").fetchone()[0]
            if dv != self._seen_data_version or self._own_change:
                row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
                self._generation = int(row[0]) if row else 0
                self._log_settings = self._read_log_settings()
                self._seen_data_version, self._own_change = dv, False
            return self._generation

    # ------------------------------------------------------------ paths and files

    def current_path(self, family: str) -> Path:
        return self.root / "procedures" / f"{family}.sgl"

    def version_path(self, family: str, version: int) -> Path:
        return self.root / "history" / family / f"{version}.sgl"

    def _write_atomic(self, path: Path, data: bytes) -> None:
        """Write `path` so that readers see the old bytes or the new, never a part.
        Called under `lock()`, which is what makes removing the emptied `tmp/` safe."""
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = self.root / "tmp"
        staging.mkdir(exist_ok=True)
        tmp = staging / f"{path.stem}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            with contextlib.suppress(OSError):  # not empty: a killed writer's leftovers stay for inspection
                staging.rmdir()
        _fsync_dir(path.parent)

    # ------------------------------------------------------------ families

    def families(self) -> list[FamilyRow]:
        return [_family(r) for r in self._query("SELECT * FROM families ORDER BY name")]

    def family(self, name: str) -> FamilyRow | None:
        rows = self._query("SELECT * FROM families WHERE name = ?", (name,))
        return _family(rows[0]) if rows else None

    def require(self, name: str) -> FamilyRow:
        row = self.family(name)
        if row is None:
            raise StoreError(f"no procedure family {name!r} in {self.root}")
        return row

    def triggers(self) -> list[TriggerRow]:
        rows = self._query("SELECT t.family, t.proc, t.pattern, t.is_regex, t.anchors FROM triggers t "
                           "JOIN families f ON f.name = t.family WHERE f.status = ? ORDER BY t.id", (ACTIVE,))
        return [TriggerRow(f, p, pat, bool(rx), k) for f, p, pat, rx, k in rows]

    def put(self, name: str, source: str, *, origin: dict[str, str], triggers: Sequence[TriggerRow],
            verification: Verification, note: str, status: str = ACTIVE) -> int:
        """Store `source` as the next version of family `name`; return the version number.

        Call under `lock()` when the decision to store depended on reading the store.
        """
        check_family_name(name)
        data = source.encode()
        digest = content_hash(data)
        now = time.time()
        with self.lock():
            row = self.family(name)
            version = 1 + max(row.version if row else 0, self._max_version(name))
            self._write_atomic(self.version_path(name, version), data)
            origin_json = json.dumps(origin, sort_keys=True)
            with self._tx() as db:
                db.execute("INSERT OR REPLACE INTO families VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (name, version, digest, status, None, origin_json, row.created if row else now, now))
                db.execute("INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?, ?, ?)",
                           (name, version, digest, now, note, origin_json))
                self._set_triggers(db, name, triggers)
                db.execute("INSERT INTO verifications(family, version, hash, passed, time, summary, report) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", (name, version, digest, int(verification.passed), now,
                                                            verification.summary, verification.report))
            self._write_atomic(self.current_path(name), data)
        return version

    def _max_version(self, name: str) -> int:
        rows = self._query("SELECT MAX(version) FROM versions WHERE family = ?", (name,))
        return rows[0][0] or 0

    @staticmethod
    def _set_triggers(db: sqlite3.Connection, name: str, triggers: Sequence[TriggerRow]) -> None:
        db.execute("DELETE FROM triggers WHERE family = ?", (name,))
        db.executemany("INSERT INTO triggers(family, proc, pattern, is_regex, anchors) VALUES (?, ?, ?, ?, ?)",
                       [(name, t.proc, t.pattern, int(t.is_regex), t.anchors) for t in triggers])

    def set_status(self, name: str, status: str, reason: str | None = None) -> None:
        with self._tx() as db:
            db.execute("UPDATE families SET status = ?, reason = ?, updated = ? WHERE name = ?",
                       (status, reason, time.time(), name))

    def remove(self, name: str) -> None:
        """Forget a family: its current file and index rows go; its history stays on disk."""
        with self.lock():
            self.require(name)
            with self._tx() as db:
                db.execute("DELETE FROM families WHERE name = ?", (name,))
                db.execute("DELETE FROM triggers WHERE family = ?", (name,))
            with contextlib.suppress(FileNotFoundError):
                self.current_path(name).unlink()

    def read_current(self, name: str) -> tuple[str | None, str | None]:
        """(source, None) when the current file matches the index, else (None, problem).

        A file left behind by an interrupted write (the previous version, while the
        index already names the next) is repaired from `history/`. Anything else that
        does not match is marked tampered.
        """
        row = self.family(name)
        if row is None:
            return None, f"no procedure family {name!r}"
        try:
            data = self.current_path(name).read_bytes()
        except FileNotFoundError:
            data = b""
        if content_hash(data) == row.hash:
            return data.decode(), None
        with self.lock():
            known = {h for (h,) in self._query("SELECT hash FROM versions WHERE family = ?", (name,))}
            kept = self.version_path(name, row.version)
            kept_data = kept.read_bytes() if kept.exists() else b""
            if (not data or content_hash(data) in known) and content_hash(kept_data) == row.hash:
                self._write_atomic(self.current_path(name), kept_data)
                return kept_data.decode(), None
        problem = f"{self.current_path(name)} does not match the index (edited or corrupt); run `sgl cache verify`"
        if row.status != TAMPERED:
            self.set_status(name, TAMPERED, problem)
        return None, problem

    def record_verification(self, name: str, verification: Verification, status: str | None = None,
                            reason: str | None = None) -> None:
        row = self.require(name)
        with self._tx() as db:
            db.execute("INSERT INTO verifications(family, version, hash, passed, time, summary, report) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (name, row.version, row.hash, int(verification.passed),
                                                        time.time(), verification.summary, verification.report))
            if status is not None:
                db.execute("UPDATE families SET status = ?, reason = ?, updated = ? WHERE name = ?",
                           (status, reason, time.time(), name))

    def verifications(self, name: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT version, hash, passed, time, summary FROM verifications WHERE family = ? "
                           "ORDER BY id", (name,))
        return [{"version": v, "hash": h, "passed": bool(p), "time": t, "summary": s} for v, h, p, t, s in rows]

    def history(self, name: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT version, hash, created, note, origin FROM versions WHERE family = ? "
                           "ORDER BY version", (name,))
        return [{"version": v, "hash": h, "created": c, "note": n, "origin": json.loads(o)} for v, h, c, n, o in rows]

    def has_history(self, name: str) -> bool:
        """Was a family of this name ever stored (it may have been removed since)?"""
        return self._max_version(name) > 0

    def removed_family_with(self, source: str) -> str | None:
        """The removed family one of whose stored versions is exactly `source`, if any."""
        rows = self._query("SELECT v.family FROM versions v LEFT JOIN families f ON f.name = v.family "
                           "WHERE v.hash = ? AND f.name IS NULL ORDER BY v.created DESC", (content_hash(source.encode()),))
        return rows[0][0] if rows else None

    def read_version(self, name: str, version: int) -> str:
        try:
            return self.version_path(name, version).read_text()
        except FileNotFoundError:
            raise StoreError(f"{name} has no stored version {version}") from None

    # ------------------------------------------------------------ rejected cases

    def add_rejection(self, name: str, request: str, expected: str) -> None:
        row = self.require(name)
        with self._tx() as db:
            db.execute("INSERT INTO rejections(family, version, request, expected, time) VALUES (?, ?, ?, ?, ?)",
                       (name, row.version, request, expected, time.time()))
            db.execute("UPDATE families SET status = ?, reason = ?, updated = ? WHERE name = ?",
                       (SUSPENDED, f"rejected: {request!r} should be {expected}", time.time(), name))

    def withdraw_rejections(self, name: str, requests: Sequence[str]) -> None:
        """Forget rejected cases of `name` (a person restored a version that fails them)."""
        with self._tx() as db:
            db.executemany("DELETE FROM rejections WHERE family = ? AND request = ?", [(name, r) for r in requests])

    def rejections(self, name: str) -> list[tuple[str, str]]:
        return [(r, e) for r, e in self._query("SELECT request, expected FROM rejections WHERE family = ? "
                                                "ORDER BY id", (name,))]

    # ------------------------------------------------------------ request log and statistics

    def log_request(self, request: str, outcome: str, *, family: str | None = None, version: int | None = None,
                    answer: str | None = None, elapsed_ms: float = 0.0, llm_calls: int = 0, tokens_in: int = 0,
                    tokens_out: int = 0, tokens_cache_read: int = 0, detail: str | None = None) -> None:
        with self._tx(structural=False) as db:
            row = db.execute("INSERT INTO requests(time, request, outcome, family, version, answer, elapsed_ms,"
                             " llm_calls, tokens_in, tokens_out, tokens_cache_read, detail)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (time.time(), self.request_text(request), outcome, family, version, answer, elapsed_ms,
                              llm_calls, tokens_in, tokens_out, tokens_cache_read, detail)).lastrowid
            if row is not None and row % _PRUNE_EVERY == 0:  # by row id: the same rhythm for every process
                self._prune(db)

    def request_text(self, request: str) -> str:
        """A request as the log keeps it (its text, or its hash: see `LogSettings`)."""
        return request if self._log_settings.text == "text" else "sha256:" + content_hash(request.encode())

    def log_settings(self) -> LogSettings:
        with self._mutex:
            return self._read_log_settings()

    def set_log_settings(self, settings: LogSettings) -> None:
        """Change how the request log is kept (for every process) and apply the bounds now."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('log.settings', ?)",
                       (json.dumps(attrs.asdict(settings)),))
            self._log_settings = settings
            self._prune(db)

    def _read_log_settings(self) -> LogSettings:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'log.settings'").fetchone()
        return LogSettings(**json.loads(row[0])) if row else LogSettings()

    def _prune(self, db: sqlite3.Connection) -> None:
        """Apply the log's bounds: remove the oldest rows, adding them to the pruned totals first."""
        settings, where, args = self._log_settings, [], []
        if settings.rows is not None:
            where.append("id <= (SELECT MAX(id) FROM requests) - ?")
            args.append(settings.rows)
        if settings.days is not None:
            where.append("time < ?")
            args.append(time.time() - settings.days * 86400)
        if not where:
            return
        cond = " OR ".join(where)
        gone = db.execute(f"SELECT {_TOTALS}, MIN(time) FROM requests WHERE {cond}", args).fetchone()
        if not gone[0]:
            return
        pruned = self._pruned(db)
        totals = {k: pruned.get(k, 0) + v for k, v in zip(_COUNTERS, gone[:-1])}
        totals["first"] = min(t for t in (pruned.get("first"), gone[-1]) if t is not None)
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('log.pruned', ?)", (json.dumps(totals),))
        db.execute(f"DELETE FROM requests WHERE {cond}", args)

    @staticmethod
    def _pruned(db: sqlite3.Connection) -> dict[str, Any]:
        row = db.execute("SELECT value FROM meta WHERE key = 'log.pruned'").fetchone()
        return json.loads(row[0]) if row else {}

    def stats(self) -> dict[str, Any]:
        with self._mutex:
            row = self._db.execute(f"SELECT {_TOTALS}, MIN(time), MAX(time) FROM requests").fetchone()
            pruned = self._pruned(self._db)
        counts = {k: v + pruned.get(k, 0) for k, v in zip(_COUNTERS, row[:-2])}
        first = min((t for t in (row[-2], pruned.get("first")) if t is not None), default=None)
        n, hits = counts["requests"], counts["hits"]
        return {**counts, "hit_rate": hits / n if n else 0.0, "first": first, "last": row[-1],
                "procedures": len(self.families()), "kept": row[0]}

    # ------------------------------------------------------------ failure memory

    def remember_failure(self, key: str, request: str, outcome: str, detail: str) -> None:
        """Remember that the request with normalised key `key` was declined or failed to compile."""
        with self._tx(structural=False) as db:
            db.execute("INSERT OR REPLACE INTO failures(key, request, outcome, detail, time) VALUES (?, ?, ?, ?, ?)",
                       (key, self.request_text(request), outcome, detail, time.time()))

    def failure(self, key: str, max_age_s: float) -> tuple[str, str] | None:
        """(outcome, detail) of a failure remembered for `key` within `max_age_s`, else None."""
        rows = self._query("SELECT outcome, detail FROM failures WHERE key = ? AND time >= ?",
                           (key, time.time() - max_age_s))
        return (rows[0][0], rows[0][1]) if rows else None

    def forget_failures(self) -> int:
        """Forget every remembered failure; return how many there were."""
        with self._tx(structural=False) as db:
            return db.execute("DELETE FROM failures").rowcount

    def answered_elsewhere(self, family: str, limit: int) -> list[tuple[str, str | None]]:
        """The `limit` most recent distinct requests that another family answered (hit or
        compiled) or that were declined, leaving out any that `family` itself answered:
        (request, the family that answered it, or None when it was declined)."""
        return [(r, f) for r, f in self._query(
            "SELECT request, family FROM requests WHERE ((outcome IN ('hit', 'compiled') AND family != ?)"
            " OR outcome = 'declined') AND request NOT IN (SELECT request FROM requests WHERE family = ?"
            " AND outcome IN ('hit', 'compiled')) GROUP BY request ORDER BY MAX(id) DESC LIMIT ?",
            (family, family, limit))]

    def request_outcomes(self) -> list[tuple[float, str]]:
        """(time, outcome) of every logged request, oldest first (for the hit-rate curve)."""
        return [(t, o) for t, o in self._query("SELECT time, outcome FROM requests ORDER BY id")]

    # ------------------------------------------------------------ rebuilding

    def rebuild(self, entries: Sequence[tuple[str, str, Sequence[TriggerRow], dict[str, str], str, str | None]]) -> None:
        """Replace the families and triggers tables by `entries`:
        (name, source, triggers, origin, status, reason). Versions, verification
        records, rejections and the request log are kept."""
        for name, *_ in entries:
            check_family_name(name)  # a name becomes a path under history/: never `..` or `a/b`
        now = time.time()
        with self.lock(), self._tx() as db:
            db.execute("DELETE FROM families")
            db.execute("DELETE FROM triggers")
            for name, source, triggers, origin, status, reason in entries:
                digest = content_hash(source.encode())
                rows = db.execute("SELECT version FROM versions WHERE family = ? AND hash = ? ORDER BY version DESC",
                                  (name, digest)).fetchall()
                if rows:
                    version = rows[0][0]
                else:
                    version = 1 + (db.execute("SELECT MAX(version) FROM versions WHERE family = ?",
                                              (name,)).fetchone()[0] or 0)
                    db.execute("INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?)",
                               (name, version, digest, now, "found by reindex", json.dumps(origin, sort_keys=True)))
                    self._write_atomic(self.version_path(name, version), source.encode())
                db.execute("INSERT INTO families VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (name, version, digest, status, reason, json.dumps(origin, sort_keys=True), now, now))
                self._set_triggers(db, name, triggers)

    def passed_hashes(self, name: str) -> set[str]:
        """Hashes of this family's content that passed a verification."""
        return {h for (h,) in self._query("SELECT hash FROM verifications WHERE family = ? AND passed = 1", (name,))}

    def current_files(self) -> list[Path]:
        return sorted((self.root / "procedures").glob("*.sgl"))


def move_broken_index_aside(root: Path) -> Path | None:
    """If the index of the cache folder `root` cannot be read (truncated, garbage, corrupt),
    rename it (with its WAL files) to `index.sqlite.broken-<time>` and return the new path, so
    that a fresh index can be built from the files; None when the index is sound or absent."""
    index = root / "index.sqlite"
    if not index.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=30.0)
        try:
            ok = db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            db.execute("SELECT COUNT(*) FROM families").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError:
        ok = False
    if ok:
        return None
    aside = root / f"index.sqlite.broken-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            (root / f"index.sqlite{suffix}").replace(aside.with_name(aside.name + suffix))
    index.replace(aside)
    return aside


def _family(r: tuple[Any, ...]) -> FamilyRow:
    name, version, digest, status, reason, origin, created, updated = r
    return FamilyRow(name, version, digest, status, reason, json.loads(origin), created, updated)


def _fsync_dir(path: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

