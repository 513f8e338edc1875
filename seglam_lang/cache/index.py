"""The store interface of the reasoning cache, and the index tables every backend shares.

A *store* keeps a cache's procedure families: their sources (every version), the index the
hot path reads (families, triggers), verification records, rejected cases, remembered
failures and the request log. Two backends implement it:

- `store.Store`: a folder of `.sgl` files with an SQLite index (the default; readable,
  diffable, committable);
- `pg_store.PostgresStore`: a PostgreSQL database shared by a fleet of processes.

`backends.open_store(location)` opens either from a path or a URL. Upper layers (lookup,
admission, administration, miss) use only the methods of `CacheStore` below.

Owns `CacheStore` (the interface: what every backend guarantees, stated per method; the SQL
of the tables both backends have in common, written once, in the dialect SQLite and
PostgreSQL share: `?` placeholders, which a PostgreSQL backend translates), the records it
reads and writes (`FamilyRow`, `TriggerRow`, `Verification`, `LogSettings`, `LoggedRequest`), the statuses,
`content_hash` and `check_family_name`.

Invariants (every backend):
- the index is the source of truth for what may run: a family runs only with status
  `active` and only when its current source hashes to the index's hash (`read_current`);
  anything else is *tampered*: reported, marked, never run until `verify` re-checks it;
- a new version is stored all at once or not at all: a writer killed half-way leaves no
  version visible (`put`);
- every writer holds `lock()` (exclusive across processes, re-entrant in one store) around
  read-modify-write sequences; each `_tx` is one atomic transaction, and a *structural* one
  (anything but the request log and the failure memory) changes `generation()`, which tells
  every process to reload its triggers;
- a compile in flight is claimed (`claim_compile`) so that other processes wait for it
  instead of compiling the same kind again; a claim ends when its holder ends it or dies.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from seglam_lang.cache.errors import StoreError
from seglam_lang.cache.request_log import RequestLog
from seglam_lang.frozen import asdict, frozen
from seglam_lang.privatedir import sha256

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

ACTIVE = "active"
SUSPENDED = "suspended"  # a person reported a wrong answer (`reject`)
UNVERIFIED = "unverified"  # not yet (re)verified, e.g. after `reindex` or `import`
TAMPERED = "tampered"  # the source does not match the index, or does not parse/check

# Integer sums are cast: PostgreSQL sums BIGINT as NUMERIC (a Decimal in Python).
_TOTALS = ("COUNT(*), CAST(COALESCE(SUM(CASE WHEN outcome = 'hit' THEN 1 ELSE 0 END), 0) AS BIGINT), "
           "CAST(COALESCE(SUM(CASE WHEN outcome != 'hit' THEN 1 ELSE 0 END), 0) AS BIGINT), "
           "CAST(COALESCE(SUM(CASE WHEN outcome = 'conflict' THEN 1 ELSE 0 END), 0) AS BIGINT), "
           "CAST(COALESCE(SUM(llm_calls), 0) AS BIGINT), CAST(COALESCE(SUM(tokens_in), 0) AS BIGINT), "
           "CAST(COALESCE(SUM(tokens_out), 0) AS BIGINT), CAST(COALESCE(SUM(tokens_cache_read), 0) AS BIGINT)")
_COUNTERS = ("requests", "hits", "misses", "conflicts", "llm_calls", "tokens_in", "tokens_out", "tokens_cache_read")
_FAMILY_COLUMNS = "name, version, hash, status, reason, origin, created, updated"
_REQUEST_COLUMNS = ("time, request, outcome, family, version, answer, elapsed_ms, llm_calls, tokens_in, tokens_out,"
                    " tokens_cache_read, detail")
_REQUEST_WIDTH = len(_REQUEST_COLUMNS.split(","))
_REQUEST_ROW = "(" + ", ".join(["?"] * _REQUEST_WIDTH) + ")"
_PG_MAX_PARAMETERS = 65_535  # per statement (the protocol's 16-bit count)
_PRUNE_EVERY = 32  # log rows between two applications of the log's bounds (each a cheap DELETE)


def content_hash(data: bytes) -> str:
    return sha256(data).hexdigest()  # not hashlib: its OpenSSL import costs every sgl ask a few ms


def check_family_name(name: str) -> str:
    if not _NAME.match(name):
        raise StoreError(f"bad procedure family name {name!r}: use letters, digits and _ (a module name)")
    return name


@frozen
class FamilyRow:
    name: str
    version: int
    hash: str
    status: str
    reason: str | None
    origin: dict[str, str]
    created: float
    updated: float


@frozen
class Verification:
    """The outcome of verifying one version: passed or not, a one-line summary, the report as JSON."""

    passed: bool
    summary: str
    report: str | None = None


@frozen
class LogSettings:
    """How the request log is kept (a setting of the store, shared by every process): at most
    `rows` rows and `days` days of requests (None: no bound); `text` is "text" (each request
    as asked) or "hash" (only its SHA-256: requests can hold personal data). Statistics count
    the requests a bound removed too."""

    rows: int | None = None
    days: float | None = None
    text: str = "text"

    def __post_init__(self) -> None:
        if (self.rows is not None and self.rows < 1) or (self.days is not None and not self.days > 0):
            raise StoreError("the request log keeps at least 1 row and more than 0 days")
        if self.text not in ("text", "hash"):
            raise StoreError(f"the request log keeps 'text' or 'hash', not {self.text!r}")


@frozen
class LoggedRequest:
    """One row of the request log: `request` as the log keeps it (text, or `sha256:...`)."""

    time: float
    request: str
    outcome: str  # hit, compiled, declined, miss, conflict
    family: str | None
    version: int | None
    llm_calls: int
    detail: str | None


@frozen
class TriggerRow:
    family: str
    proc: str
    pattern: str
    is_regex: bool
    anchors: str  # the matcher's `encode_anchors(...)`: the words every match contains


class Db(Protocol):
    """What a transaction offers: the DB-API `execute`/`executemany` with `?` placeholders."""

    def execute(self, sql: str, args: Sequence[Any] = ...) -> Any: ...

    def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> Any: ...


class CacheStore(abc.ABC):
    """One cache's store. Safe to use from several threads and from several processes."""

    location: str  # the folder or URL it was opened from (without a password), for messages

    # ------------------------------------------------------------ what a backend provides

    @abc.abstractmethod
    def close(self) -> None:
        """Flush what is buffered and let go of connections and files."""

    _mutex: threading.RLock  # one user of the store's connection at a time
    _lock_depth = 0

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """The store's exclusive writer lock (held across processes; re-entrant in one store)."""
        with self._mutex:
            if self._lock_depth:
                self._lock_depth += 1
                try:
                    yield
                finally:
                    self._lock_depth -= 1
                return
            with self._writer_lock():
                self._lock_depth = 1
                try:
                    yield
                finally:
                    self._lock_depth = 0

    @abc.abstractmethod
    def _writer_lock(self) -> contextlib.AbstractContextManager[object]:
        """Hold the lock every process's writers share (taken under `_mutex`, once per `lock()`)."""

    @abc.abstractmethod
    def _tx(self, structural: bool = True) -> contextlib.AbstractContextManager[Db]:
        """One write transaction. A *structural* one (anything but the request log and the
        failure memory) changes the generation, which tells every process to reload triggers."""

    @abc.abstractmethod
    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one read."""

    @abc.abstractmethod
    def generation(self) -> int:
        """A number that changes whenever families or triggers change, in any process. Cheap:
        called before every lookup."""

    def watch(self, on_change: Callable[[], None]) -> None:  # noqa: B027 - a hook: nothing to do unless a backend says so
        """Call `on_change` (from another thread) soon after another process changes the store.
        A backend that cannot push changes never calls it: `generation()` is checked instead."""

    @abc.abstractmethod
    def _add_version(self, db: Db, name: str, version: int, source: str, digest: str, now: float, note: str,
                     origin_json: str) -> None:
        """Keep `source` as `version` of `name` (inside the transaction `db`)."""

    def _published(self, name: str, source: str | None) -> None:  # noqa: B027 - a hook: nothing to do unless a backend says so
        """After a commit: the family's current source is now `source` (None: removed)."""

    @abc.abstractmethod
    def read_current(self, name: str) -> tuple[str | None, str | None]:
        """(source, None) when the current source matches the index's hash, else (None, problem),
        and the family is marked tampered. Called before a version is first run in a process."""

    @abc.abstractmethod
    def read_version(self, name: str, version: int) -> str:
        """The source of a stored version (StoreError when there is none)."""

    @abc.abstractmethod
    def current_text(self, name: str) -> str | None:
        """The family's current source as it stands, edited or not (None when there is none)."""

    @abc.abstractmethod
    def current_sources(self) -> list[tuple[str, str]]:
        """(name, source as it stands) of every current source, for `reindex`. A folder's file
        names need not be family names: `reindex` checks them."""

    @abc.abstractmethod
    def compiles_in_flight(self) -> list[tuple[str, str]]:
        """(claim key, request) of every compile in flight (call under `lock()`)."""

    @abc.abstractmethod
    def claim_compile(self, request: str) -> contextlib.AbstractContextManager[None]:
        """Claim a compile of `request` while the context is open (enter it under `lock()`).
        The claim ends with the context, or when its holder dies."""

    @abc.abstractmethod
    def wait_compile(self, key: str, deadline: float) -> bool:
        """Wait until the claim `key` ended (True) or `time.monotonic()` passed `deadline` (False)."""

    # ------------------------------------------------------------ the request log, written in batches

    request_log: RequestLog  # made by each backend, with `_write_requests` as its writer

    def log_request(self, request: str, outcome: str, *, family: str | None = None, version: int | None = None,
                    answer: object = None, elapsed_ms: float = 0.0, llm_calls: int = 0, tokens_in: int = 0,
                    tokens_out: int = 0, tokens_cache_read: int = 0, detail: str | None = None) -> None:
        """Queue one row; `request_log` writes it in a batch, off the caller's path (what a crash
        can lose is stated there and in spec/embedding.md). `answer` is the answer's text, or an
        object whose `str()` is, made when the batch is written (formatting is not paid by a hit)."""
        self.request_log.append((time.time(), request, outcome, family, version, answer, elapsed_ms, llm_calls,
                                 tokens_in, tokens_out, tokens_cache_read, detail))

    def _write_requests(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Write queued request-log rows in one transaction (the `RequestLog`'s writer), as
        few statements as the database's parameter limit allows (see `request_inserts`). The
        log's bounds are applied after the batch when `prune_due`; under concurrent PostgreSQL
        writers the ids a batch spans may include another process's rows, which can only add
        a (harmless) prune."""
        inserts = request_inserts(self._request_values(rows), _PG_MAX_PARAMETERS)
        with self._log_tx() as db:
            before = _max_request_id(db)
            for sql, values in inserts:
                db.execute(sql, values)
            if prune_due(before, _max_request_id(db)):
                self._prune(db)

    def _request_values(self, rows: Sequence[tuple[Any, ...]]) -> list[Any]:
        """Queued rows as one flat list of column values (answers formatted here, off the hit)."""
        values: list[Any] = []
        for t, request, outcome, family, version, answer, *rest in rows:
            values += (t, self.request_text(request), outcome, family, version,
                       answer if answer is None or type(answer) is str else str(answer), *rest)
        return values

    def _log_tx(self) -> contextlib.AbstractContextManager[Db]:
        """The transaction a batch of request-log rows is written in (the store's own, unless a
        backend writes the log on a connection of its own)."""
        return self._tx(structural=False)

    def flush_request_log(self) -> None:
        """Write the request-log rows this process has queued (`close` does too)."""
        self._before_log_read()

    def _before_log_read(self) -> None:
        """Make the rows this process queued visible to reads of the log."""
        self.request_log.flush()

    # ------------------------------------------------------------ families

    def families(self) -> list[FamilyRow]:
        return [_family(r) for r in self._query(f"SELECT {_FAMILY_COLUMNS} FROM families ORDER BY name")]

    def family(self, name: str) -> FamilyRow | None:
        rows = self._query(f"SELECT {_FAMILY_COLUMNS} FROM families WHERE name = ?", (name,))
        return _family(rows[0]) if rows else None

    def require(self, name: str) -> FamilyRow:
        row = self.family(name)
        if row is None:
            raise StoreError(f"no procedure family {name!r} in {self.location}")
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
        digest = content_hash(source.encode())
        now = time.time()
        with self.lock():
            row = self.family(name)
            version = 1 + max(row.version if row else 0, self._max_version(name))
            origin_json = json.dumps(origin, sort_keys=True)
            with self._tx() as db:
                self._add_version(db, name, version, source, digest, now, note, origin_json)
                db.execute(f"INSERT INTO families({_FAMILY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT(name) DO UPDATE SET version = excluded.version, hash = excluded.hash, "
                           "status = excluded.status, reason = excluded.reason, origin = excluded.origin, "
                           "updated = excluded.updated",
                           (name, version, digest, status, None, origin_json, row.created if row else now, now))
                self._set_triggers(db, name, triggers)
                db.execute("INSERT INTO verifications(family, version, hash, passed, time, summary, report) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", (name, version, digest, int(verification.passed), now,
                                                            verification.summary, verification.report))
            self._published(name, source)
        return version

    def _max_version(self, name: str) -> int:
        rows = self._query("SELECT MAX(version) FROM versions WHERE family = ?", (name,))
        return rows[0][0] or 0

    @staticmethod
    def _set_triggers(db: Db, name: str, triggers: Sequence[TriggerRow]) -> None:
        db.execute("DELETE FROM triggers WHERE family = ?", (name,))
        if triggers:
            db.executemany("INSERT INTO triggers(family, proc, pattern, is_regex, anchors) VALUES (?, ?, ?, ?, ?)",
                           [(name, t.proc, t.pattern, int(t.is_regex), t.anchors) for t in triggers])

    def set_status(self, name: str, status: str, reason: str | None = None) -> None:
        with self._tx() as db:
            db.execute("UPDATE families SET status = ?, reason = ?, updated = ? WHERE name = ?",
                       (status, reason, time.time(), name))

    def remove(self, name: str) -> None:
        """Forget a family: its current source and index rows go; its history stays."""
        with self.lock():
            self.require(name)
            with self._tx() as db:
                db.execute("DELETE FROM families WHERE name = ?", (name,))
                db.execute("DELETE FROM triggers WHERE family = ?", (name,))
            self._published(name, None)

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

    def passed_hashes(self, name: str) -> set[str]:
        """Hashes of this family's content that passed a verification."""
        return {h for (h,) in self._query("SELECT hash FROM verifications WHERE family = ? AND passed = 1", (name,))}

    def known_hashes(self, name: str) -> set[str]:
        """Hashes of every stored version of this family."""
        return {h for (h,) in self._query("SELECT hash FROM versions WHERE family = ?", (name,))}

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
        if requests:
            with self._tx() as db:
                db.executemany("DELETE FROM rejections WHERE family = ? AND request = ?",
                               [(name, r) for r in requests])

    def rejections(self, name: str) -> list[tuple[str, str]]:
        return [(r, e) for r, e in self._query("SELECT request, expected FROM rejections WHERE family = ? "
                                                "ORDER BY id", (name,))]

    # ------------------------------------------------------------ probation (see `probation`)

    def claim_probation(self, name: str, version: int, hits: int) -> bool:
        """Take one of the first `hits` probation checks of this version: True when one was
        left (atomic, so that concurrent hits in any process never take more than `hits`)."""
        with self._tx(structural=False) as db:
            db.execute("INSERT INTO probation(family, version) VALUES (?, ?) ON CONFLICT(family, version) DO NOTHING",
                       (name, version))
            taken = db.execute("UPDATE probation SET checked = checked + 1 WHERE family = ? AND version = ? "
                               "AND checked < ?", (name, version, hits))
            return bool(taken.rowcount)

    def release_probation(self, name: str, version: int) -> None:
        """Give back a check taken by `claim_probation` that did not happen (the LLM call failed)."""
        with self._tx(structural=False) as db:
            db.execute("UPDATE probation SET checked = checked - 1 WHERE family = ? AND version = ? AND checked > 0",
                       (name, version))

    def count_probation_failure(self, name: str, version: int) -> None:
        """The LLM disagreed with this version on a probation check (it was suspended)."""
        with self._tx(structural=False) as db:
            db.execute("UPDATE probation SET failed = failed + 1 WHERE family = ? AND version = ?", (name, version))

    # ------------------------------------------------------------ request log and statistics

    def request_text(self, request: str) -> str:
        """A request as the log keeps it (its text, or its hash: see `LogSettings`)."""
        return request if self._log_settings.text == "text" else "sha256:" + content_hash(request.encode())

    _log_settings: LogSettings = LogSettings()

    def log_settings(self) -> LogSettings:
        return self._read_log_settings()

    def set_log_settings(self, settings: LogSettings) -> None:
        """Change how the request log is kept (for every process) and apply the bounds now."""
        self._before_log_read()
        with self._tx() as db:
            _set_meta(db, "log.settings", json.dumps(asdict(settings)))
            self._log_settings = settings
            self._prune(db)

    def _read_log_settings(self) -> LogSettings:
        rows = self._query("SELECT value FROM meta WHERE key = 'log.settings'")
        return LogSettings(**json.loads(rows[0][0])) if rows else LogSettings()

    def _prune(self, db: Db) -> None:
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
        pruned = _pruned(db)
        totals = {k: pruned.get(k, 0) + v for k, v in zip(_COUNTERS, gone[:-1])}
        totals["first"] = min(t for t in (pruned.get("first"), gone[-1]) if t is not None)
        _set_meta(db, "log.pruned", json.dumps(totals))
        db.execute(f"DELETE FROM requests WHERE {cond}", args)

    def stats(self) -> dict[str, Any]:
        self._before_log_read()
        row = self._query(f"SELECT {_TOTALS}, MIN(time), MAX(time) FROM requests")[0]
        pruned_rows = self._query("SELECT value FROM meta WHERE key = 'log.pruned'")
        pruned = json.loads(pruned_rows[0][0]) if pruned_rows else {}
        counts = {k: v + pruned.get(k, 0) for k, v in zip(_COUNTERS, row[:-2])}
        first = min((t for t in (row[-2], pruned.get("first")) if t is not None), default=None)
        n, hits = counts["requests"], counts["hits"]
        checked, failed = self._query("SELECT COALESCE(SUM(checked), 0), COALESCE(SUM(failed), 0) FROM probation")[0]
        return {**counts, "hit_rate": hits / n if n else 0.0, "first": first, "last": row[-1],
                "procedures": len(self.families()), "kept": row[0], "probation_calls": int(checked),
                "probation_suspended": int(failed)}

    def answered_elsewhere(self, family: str, limit: int) -> list[tuple[str, str | None]]:
        """The `limit` most recent distinct requests that another family answered (hit or
        compiled) or that were declined, leaving out any that `family` itself answered:
        (request, the family that answered it, or None when it was declined)."""
        self._before_log_read()
        return [(r, f) for r, f in self._query(
            "SELECT request, MAX(family) FROM requests WHERE ((outcome IN ('hit', 'compiled') AND family != ?)"
            " OR outcome = 'declined') AND request NOT IN (SELECT request FROM requests WHERE family = ?"
            " AND outcome IN ('hit', 'compiled')) GROUP BY request ORDER BY MAX(id) DESC LIMIT ?",
            (family, family, limit))]

    def logged_requests(self) -> list[LoggedRequest]:
        """Every request the log keeps, oldest first (the learning curve, `sgl cache report`)."""
        self._before_log_read()
        return [LoggedRequest(*row) for row in self._query(
            "SELECT time, request, outcome, family, version, llm_calls, detail FROM requests ORDER BY id")]

    def answered_by(self, family: str, limit: int) -> list[str]:
        """The `limit` most recent distinct requests `family` answered (hit or compiled), as
        the log keeps them (a hashed request is of no use to a reader of triggers)."""
        self._before_log_read()
        return [r for (r,) in self._query(
            "SELECT request FROM requests WHERE family = ? AND outcome IN ('hit', 'compiled') GROUP BY request "
            "ORDER BY MAX(id) DESC LIMIT ?", (family, limit))]

    # ------------------------------------------------------------ failure memory

    def remember_failure(self, key: str, request: str, outcome: str, detail: str) -> None:
        """Remember that the request with normalised key `key` was declined or failed to compile."""
        with self._tx(structural=False) as db:
            db.execute("INSERT INTO failures(key, request, outcome, detail, time) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET request = excluded.request, outcome = excluded.outcome, "
                       "detail = excluded.detail, time = excluded.time",
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

    # ------------------------------------------------------------ rebuilding

    def rebuild(self, entries: Sequence[tuple[str, str, Sequence[TriggerRow], dict[str, str], str, str | None]]) -> None:
        """Replace the families and triggers tables by `entries`:
        (name, source, triggers, origin, status, reason). Versions, verification
        records, rejections and the request log are kept."""
        for name, *_ in entries:
            check_family_name(name)  # a name becomes a path under a folder's history/: never `..` or `a/b`
        now = time.time()
        with self.lock(), self._tx() as db:
            db.execute("DELETE FROM families")
            db.execute("DELETE FROM triggers")
            for name, source, triggers, origin, status, reason in entries:
                digest = content_hash(source.encode())
                origin_json = json.dumps(origin, sort_keys=True)
                rows = db.execute("SELECT version FROM versions WHERE family = ? AND hash = ? ORDER BY version DESC",
                                  (name, digest)).fetchall()
                if rows:
                    version = rows[0][0]
                else:
                    version = 1 + (db.execute("SELECT MAX(version) FROM versions WHERE family = ?",
                                              (name,)).fetchone()[0] or 0)
                    self._add_version(db, name, version, source, digest, now, "found by reindex", origin_json)
                db.execute(f"INSERT INTO families({_FAMILY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (name, version, digest, status, reason, origin_json, now, now))
                self._set_triggers(db, name, triggers)


def _set_meta(db: Db, key: str, value: str) -> None:
    db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
               (key, value))


def request_inserts(values: list[Any], max_parameters: int) -> list[tuple[str, list[Any]]]:
    """The INSERTs that write request-log rows (`values`: their columns, flat): as many
    rows per statement as `max_parameters` allows, since a statement is one step of the
    database whatever its size. Why it matters: the sqlite3 module lets go of the interpreter
    lock at every step, and each time the writer thread wants it back, the thread answering
    requests loses it at its next release (RE2 releases it on every match) for up to the
    switch interval; a batch written row by row (`executemany`) did that hundreds of times,
    and doubled `ask`'s p50 with the log on (bench/cache_latency.py)."""
    rows = len(values) // _REQUEST_WIDTH
    per = max(1, min(rows, max_parameters // _REQUEST_WIDTH))
    return [(_insert_requests(min(per, rows - start)), values[start * _REQUEST_WIDTH:(start + per) * _REQUEST_WIDTH])
            for start in range(0, rows, per)]


@functools.lru_cache(maxsize=64)
def _insert_requests(rows: int) -> str:
    return f"INSERT INTO requests({_REQUEST_COLUMNS}) VALUES " + ", ".join([_REQUEST_ROW] * rows)


def prune_due(before: int, after: int) -> bool:
    """Whether a batch that took the log's largest id from `before` to `after` applies the
    log's bounds: when it reaches a multiple of `_PRUNE_EVERY`, the same rhythm for every
    process and both stores."""
    return after // _PRUNE_EVERY > before // _PRUNE_EVERY


def _max_request_id(db: Db) -> int:
    return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM requests").fetchone()[0])


def _pruned(db: Db) -> dict[str, Any]:
    row = db.execute("SELECT value FROM meta WHERE key = 'log.pruned'").fetchone()
    return json.loads(row[0]) if row else {}


def _family(r: tuple[Any, ...]) -> FamilyRow:
    name, version, digest, status, reason, origin, created, updated = r
    return FamilyRow(name, version, digest, status, reason, json.loads(origin), created, updated)
