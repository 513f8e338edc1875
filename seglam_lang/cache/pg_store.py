"""The PostgreSQL backend of the cache store: one database shared by a fleet of processes.

Python API (psycopg 3, the `seglam-lang[postgres]` extra):

    from seglam_lang.cache import ReasoningCache
    cache = ReasoningCache("postgresql://postgres@127.0.0.1:5432/seglam", compiler=...)  # any process, any machine
    cache.ask("...")           # a hit reads nothing from the database
    cache.close()              # flushes the request log, ends the background threads

    from seglam_lang.cache.pg_store import PostgresStore, migrate
    store = PostgresStore(url, lease_s=30.0, retry_s=10.0)   # what `backends.open_store(url)` returns

Owns `PostgresStore` (the PostgreSQL implementation of `index.CacheStore`), the schema and
its versioning (`MIGRATIONS`, `migrate`), the connection rules and the fleet machinery:

- *Schema.* Created on first use. `schema_version` holds the versions applied; `migrate`
  applies the missing ones of `MIGRATIONS` in order, in one transaction, under a
  transaction-level advisory lock (two processes starting at once do not both migrate). A
  database whose schema is newer than this sgl knows is refused with one line.
- *Sources* live in `versions.source`; the current one is `families.version`'s. Before a
  version first runs in a process its source is hashed and compared with `families.hash`
  (`read_current`): a source edited in the database is tampered, never run.
- *Writes.* Each change is one transaction; `lock()` is a session advisory lock (the writer
  lock of every process on the database). A structural transaction bumps `meta.generation`
  and sends `NOTIFY seglam_cache, '<generation>'`, delivered at commit.
- *Matcher refresh.* A listener thread (its own connection) LISTENs; woken by a notification,
  or every `CONFIRM_S` without one, it reads the generation and, when it moved, records it
  and calls the `watch` callbacks (the lookup rebuilds its matcher there, off the hot path),
  within a few milliseconds of the commit. Each read also confirms that the listener is
  connected; when none has for `FRESH_S` (at start, after a connection loss, a silent
  network) `generation()` reads the database itself. So a process answers from an index at
  most `FRESH_S` old, whatever happens to its connections.
- *Hits* cost no round trip: `generation()` is in memory while confirmed, the loaded module
  is kept, and `log_request` appends to a `request_log.RequestLog`, which writes batches
  off the answer's path (and before any read of the log, and on close).
- *Single flight.* A compile in flight is a row of `claims` (its request, the holder's
  backend pid and start time, a lease renewed every `lease_s / 3` by a thread of the
  claim). A claim
  ends when its holder deletes it, when its holder's connection is gone (a killed process:
  the server drops its connection at once), or when its lease runs out (a machine that
  vanished). Nothing of a compile is stored before its one `put` transaction commits.
- *Connection loss.* A read, or a transaction that has not begun, is retried on a new
  connection with exponential backoff (a one-line warning each time, on the
  `seglam_lang.cache` logger, once the store had been connected) for up to `retry_s`
  (`OPEN_RETRY_S` when opening); then a `StoreError` of one line. A
  connection lost inside a transaction rolls it back and raises a `StoreError` (never
  retried blindly: the body is the caller's); one lost while committing says the outcome
  is unknown. Every psycopg error leaves this module as a one-line `StoreError`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg

from seglam_lang.cache.errors import StoreError, redacted
from seglam_lang.cache.index import TAMPERED, CacheStore, content_hash
from seglam_lang.cache.request_log import RequestLog

log = logging.getLogger("seglam_lang.cache")

CHANNEL = "seglam_cache"
LEASE_S = 30.0  # a compile claim's lease: how long a machine that vanished holds up its kind
RETRY_S = 10.0  # how long an operation is retried after a connection loss before it fails
OPEN_RETRY_S = 2.0  # ... and opening a store (a wrong host or port should not take long to say so)
CONFIRM_S = 0.25  # the listener reads the generation at least this often
FRESH_S = 1.0  # how old the listener's last read may be before lookups ask the database
_WRITER_LOCK = 0x5E61A4_0001  # advisory lock keys (64-bit, any fixed values unlikely to clash)
_MIGRATION_LOCK = 0x5E61A4_0002
_NOW = "extract(epoch from clock_timestamp())"  # the server's clock: one clock for every machine's leases
_RETRYABLE_STATES = ("08", "57P")  # connection exceptions; the server shutting down or terminating us
_CONFIGURATION_STATES = ("28", "3D")  # a wrong password or user; no such database

MIGRATIONS: tuple[str, ...] = (
    # 1: the index tables, as in a folder's SQLite index, with each version's source.
    """
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta(key, value) VALUES ('generation', '0');
    CREATE TABLE families(
        name TEXT PRIMARY KEY, version INTEGER NOT NULL, hash TEXT NOT NULL, status TEXT NOT NULL,
        reason TEXT, origin TEXT NOT NULL DEFAULT '{}', created DOUBLE PRECISION NOT NULL,
        updated DOUBLE PRECISION NOT NULL);
    CREATE TABLE versions(
        family TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL, source TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, note TEXT, origin TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY(family, version));
    CREATE TABLE triggers(
        id BIGSERIAL PRIMARY KEY, family TEXT NOT NULL, proc TEXT NOT NULL, pattern TEXT NOT NULL,
        is_regex INTEGER NOT NULL, anchors TEXT NOT NULL);
    CREATE INDEX triggers_family ON triggers(family);
    CREATE TABLE verifications(
        id BIGSERIAL PRIMARY KEY, family TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL,
        passed INTEGER NOT NULL, time DOUBLE PRECISION NOT NULL, summary TEXT NOT NULL, report TEXT);
    CREATE TABLE rejections(
        id BIGSERIAL PRIMARY KEY, family TEXT NOT NULL, version INTEGER NOT NULL, request TEXT NOT NULL,
        expected TEXT NOT NULL, time DOUBLE PRECISION NOT NULL);
    CREATE TABLE failures(
        key TEXT PRIMARY KEY, request TEXT, outcome TEXT NOT NULL, detail TEXT, time DOUBLE PRECISION NOT NULL);
    CREATE TABLE requests(
        id BIGSERIAL PRIMARY KEY, time DOUBLE PRECISION NOT NULL, request TEXT NOT NULL, outcome TEXT NOT NULL,
        family TEXT, version INTEGER, answer TEXT, elapsed_ms DOUBLE PRECISION NOT NULL,
        llm_calls INTEGER NOT NULL DEFAULT 0, tokens_in INTEGER NOT NULL DEFAULT 0,
        tokens_out INTEGER NOT NULL DEFAULT 0, tokens_cache_read INTEGER NOT NULL DEFAULT 0, detail TEXT);
    """,
    # 2: compile claims with leases (single flight across machines); indexes for per-family reads.
    """
    CREATE TABLE claims(
        id TEXT PRIMARY KEY, request TEXT NOT NULL, holder_pid INTEGER NOT NULL,
        holder_start TIMESTAMPTZ, lease_until DOUBLE PRECISION NOT NULL);
    CREATE INDEX requests_family ON requests(family);
    CREATE INDEX verifications_family ON verifications(family);
    CREATE INDEX rejections_family ON rejections(family);
    """,
    # 3: probation (`ReasoningCache(probation=K)`): hits of each version checked by the LLM.
    """
    CREATE TABLE probation(
        family TEXT NOT NULL, version INTEGER NOT NULL, checked INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(family, version));
    """,
)


def migrate(conn: psycopg.Connection[Any], target: int | None = None) -> int:
    """Bring the schema of `conn`'s database to version `target` (default: the newest), applying
    the missing migrations in order in one transaction; return the version it is at."""
    target = len(MIGRATIONS) if target is None else target
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version("
                     "version INTEGER PRIMARY KEY, applied DOUBLE PRECISION NOT NULL)")
        row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
        current = row[0] if row else 0
        if current > len(MIGRATIONS):
            raise StoreError(f"the cache's schema is version {current}, newer than this sgl knows "
                             f"({len(MIGRATIONS)}): upgrade seglam-lang")
        for version in range(current + 1, target + 1):
            conn.execute(MIGRATIONS[version - 1])  # type: ignore[arg-type]  # fixed text, several statements
            conn.execute("INSERT INTO schema_version(version, applied) VALUES (%s, %s)", (version, time.time()))
        return max(current, target)


@functools.lru_cache(maxsize=256)
def _pg(sql: str) -> str:
    """The shared SQL (`?` placeholders) in psycopg's form (`%s`; a literal `%` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _Db:
    """A transaction's connection, taking the shared SQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, args: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(_pg(sql), args)  # type: ignore[arg-type]

    def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> psycopg.Cursor[Any]:
        cur = self.conn.cursor()
        cur.executemany(_pg(sql), args)  # type: ignore[arg-type]
        return cur


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _retryable(e: psycopg.Error, connecting: bool) -> bool:
    """A lost or refused connection (worth a new one), not an answer the server gave. Connecting,
    anything but a wrong password or database name (the server starting, full, or closed for a
    while) is worth another try."""
    state = e.sqlstate or ""
    if not isinstance(e, psycopg.OperationalError):
        return False
    if connecting:
        return not state.startswith(_CONFIGURATION_STATES)
    return not state or state.startswith(_RETRYABLE_STATES)


class PostgresStore(CacheStore):
    """One cache in a PostgreSQL database. Safe to use from several threads and processes."""

    def __init__(self, url: str, *, lease_s: float = LEASE_S, retry_s: float = RETRY_S) -> None:
        self.url = url
        self.location = redacted(url)
        self.lease_s = lease_s
        self.retry_s = retry_s
        self._mutex = threading.RLock()  # the main connection, one user at a time
        self._conn: psycopg.Connection[Any] | None = None
        self._connected = False  # once connected, a loss is announced on each retry
        self._generation = 0
        self._confirmed = 0.0  # monotonic time of the listener's last read of the generation
        self._closed = threading.Event()
        self._watchers: list[Callable[[], None]] = []
        self._run(migrate, retry_s=min(retry_s, OPEN_RETRY_S))
        self._generation = self._read_generation()
        self._log_settings = self._read_log_settings()
        self.request_log = RequestLog(self._write_requests)
        self._listener = threading.Thread(target=self._listen, name="sgl-pg-listen", daemon=True)
        self._listener.start()

    def close(self) -> None:
        """Write the queued request-log rows (a failure is a one-line warning: they are lost),
        stop the listener, close the connection."""
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            self.request_log.close()
        except StoreError as e:
            log.warning("sgl: %s: %d request-log rows not written: %s", self.location, len(self.request_log), e)
        with contextlib.suppress(StoreError):  # wakes the listener now rather than at its next read
            self._query("SELECT pg_notify(?, 'closing')", (CHANNEL,))
        self._listener.join(timeout=5.0)
        with self._mutex:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # ------------------------------------------------------------ connections

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=5, application_name="seglam")

    def _run(self, fn: Callable[[psycopg.Connection[Any]], Any], retry_s: float | None = None) -> Any:
        """`fn(connection)`, retried on a new connection after a connection loss (see the module)
        for up to `retry_s` (default: the store's)."""
        budget = self.retry_s if retry_s is None else retry_s
        delay, start, tries = 0.05, time.monotonic(), 0
        while True:
            with self._mutex:
                connecting = self._conn is None or self._conn.closed
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = self._connect()
                        connecting, self._connected = False, True
                    return fn(self._conn)
                except psycopg.Error as e:
                    if not _retryable(e, connecting):
                        raise StoreError(f"{self.location}: {_one_line(e)}") from None
                    self._drop()
                    tries += 1
                    if self._lock_depth:  # the server let go of the writer lock with the connection
                        raise StoreError(f"{self.location}: connection lost while holding the writer lock "
                                         f"({_one_line(e)}); nothing more was done") from None
                    if time.monotonic() - start + delay > budget:
                        raise StoreError(f"{self.location}: cannot reach PostgreSQL ({_one_line(e)}); "
                                         f"gave up after {tries} tries in {budget:g}s") from None
                    if self._connected:  # opening, the final error says enough
                        log.warning("sgl: %s: PostgreSQL connection lost (%s); retrying in %.2fs",
                                    self.location, _one_line(e), delay)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    @contextlib.contextmanager
    def _writer_lock(self) -> Iterator[None]:
        """A session advisory lock: exclusive across every process on the database, and let go
        by the server when the connection ends."""
        self._run(lambda c: c.execute("SELECT pg_advisory_lock(%s)", (_WRITER_LOCK,)))
        try:
            yield
        finally:
            try:
                if self._conn is not None:
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (_WRITER_LOCK,))
            except psycopg.Error:
                self._drop()  # the lock went with the connection

    @contextlib.contextmanager
    def _tx(self, structural: bool = True) -> Iterator[_Db]:
        with self._mutex:
            conn = self._run(_begin)  # a dead connection is found (and replaced) here, before any change
            generation = None
            try:
                yield _Db(conn)
                if structural:
                    row = conn.execute("UPDATE meta SET value = (CAST(value AS BIGINT) + 1)::text "
                                       "WHERE key = 'generation' RETURNING value").fetchone()
                    generation = int(row[0]) if row else 0
                    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(generation)))
            except psycopg.Error as e:
                self._abort(conn)
                raise StoreError(f"{self.location}: {_one_line(e)}; the change was rolled back") from None
            except BaseException:
                self._abort(conn)
                raise
            try:
                conn.execute("COMMIT")
            except psycopg.Error as e:
                self._drop()
                raise StoreError(f"{self.location}: connection lost while committing ({_one_line(e)}): "
                                 "the change may or may not be stored") from None
            if generation is not None:
                self._generation = max(self._generation, generation)

    def _abort(self, conn: psycopg.Connection[Any]) -> None:
        try:
            conn.execute("ROLLBACK")
        except psycopg.Error:
            self._drop()  # a lost connection: the server rolled it back

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._run(lambda c: c.execute(_pg(sql), args).fetchall())  # type: ignore[arg-type]

    # ------------------------------------------------------------ generation and the listener

    def _read_generation(self) -> int:
        rows = self._query("SELECT value FROM meta WHERE key = 'generation'")
        return int(rows[0][0]) if rows else 0

    def generation(self) -> int:
        if time.monotonic() - self._confirmed > FRESH_S:  # changes may go unannounced: ask the database
            self._generation = max(self._generation, self._read_generation())
        return self._generation

    def watch(self, on_change: Callable[[], None]) -> None:
        self._watchers.append(on_change)

    def _listen(self) -> None:
        delay = 0.1
        while not self._closed.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    delay = 0.1
                    while not self._closed.is_set():
                        row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
                        self._confirmed = time.monotonic()
                        generation = int(row[0]) if row else 0
                        if generation > self._generation:
                            self._changed(generation)
                        for _ in conn.notifies(timeout=CONFIRM_S, stop_after=1):
                            pass  # woken (by a change, or by `close`): the generation is read above
            except psycopg.Error as e:
                self._confirmed = 0.0
                if self._closed.is_set():
                    return
                log.warning("sgl: %s: change listener lost its connection (%s); reconnecting in %.1fs",
                            self.location, _one_line(e), delay)
                self._closed.wait(delay)
                delay = min(delay * 2, 5.0)

    def _changed(self, generation: int) -> None:
        self._generation = max(self._generation, generation)
        try:
            self._log_settings = self._read_log_settings()
            for callback in self._watchers:
                callback()
        except Exception as e:  # the listener must live on: the next lookup refreshes again (and reports it)
            log.warning("sgl: %s: refreshing after a change failed: %s", self.location, _one_line(e))

    # ------------------------------------------------------------ sources

    def _add_version(self, db: _Db, name: str, version: int, source: str, digest: str, now: float, note: str,
                     origin_json: str) -> None:
        db.execute("INSERT INTO versions(family, version, hash, source, created, note, origin) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", (name, version, digest, source, now, note, origin_json))

    def read_current(self, name: str) -> tuple[str | None, str | None]:
        rows = self._query("SELECT f.hash, f.version, f.status, v.source FROM families f LEFT JOIN versions v "
                           "ON v.family = f.name AND v.version = f.version WHERE f.name = ?", (name,))
        if not rows:
            return None, f"no procedure family {name!r}"
        digest, version, status, source = rows[0]
        if source is not None and content_hash(source.encode()) == digest:
            return source, None
        problem = (f"{name} version {version} in {self.location} does not match its hash (edited or corrupt); "
                   "run `sgl cache verify`")
        if status != TAMPERED:
            self.set_status(name, TAMPERED, problem)
        return None, problem

    def read_version(self, name: str, version: int) -> str:
        rows = self._query("SELECT source FROM versions WHERE family = ? AND version = ?", (name, version))
        if not rows:
            raise StoreError(f"{name} has no stored version {version}")
        return rows[0][0]

    def current_text(self, name: str) -> str | None:
        rows = self._query("SELECT v.source FROM families f JOIN versions v ON v.family = f.name "
                           "AND v.version = f.version WHERE f.name = ?", (name,))
        return rows[0][0] if rows else None

    def current_sources(self) -> list[tuple[str, str]]:
        return [(n, s) for n, s in self._query("SELECT f.name, v.source FROM families f JOIN versions v "
                                               "ON v.family = f.name AND v.version = f.version ORDER BY f.name")]

    # ------------------------------------------------------------ compiles in flight

    _LIVE = ("lease_until >= " + _NOW + " AND EXISTS (SELECT 1 FROM pg_stat_activity a "
             "WHERE a.pid = claims.holder_pid AND a.backend_start = claims.holder_start)")

    def compiles_in_flight(self) -> list[tuple[str, str]]:
        """Also brings the generation up to date: a compile that just ended may have stored a
        family whose notification the listener has not yet seen, and the miss path is about to
        match again before it compiles."""
        with self._tx(structural=False) as db:
            db.execute(f"DELETE FROM claims WHERE NOT ({self._LIVE})")
            claims = [(k, r) for k, r in db.execute("SELECT id, request FROM claims ORDER BY id").fetchall()]
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        self._generation = max(self._generation, int(row[0]) if row else 0)
        return claims

    @contextlib.contextmanager
    def claim_compile(self, request: str) -> Iterator[None]:
        key = uuid.uuid4().hex
        with self._tx(structural=False) as db:
            db.execute("INSERT INTO claims(id, request, holder_pid, holder_start, lease_until) "
                       "SELECT ?, ?, pid, backend_start, " + _NOW + " + ? FROM pg_stat_activity "
                       "WHERE pid = pg_backend_pid()", (key, request, self.lease_s))
        ended = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(key, ended), name="sgl-pg-claim", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            ended.set()
            renewer.join()
            try:
                self._query("DELETE FROM claims WHERE id = ? RETURNING id", (key,))
            except StoreError as e:  # its lease ends it
                log.warning("sgl: %s: could not end a compile claim (%s); its lease will", self.location, e)

    def _renew(self, key: str, ended: threading.Event) -> None:
        """Extend a claim's lease until it ends (and move it to the current connection, if that
        changed after a connection loss)."""
        while not ended.wait(self.lease_s / 3):
            try:
                with self._tx(structural=False) as db:
                    db.execute("UPDATE claims SET lease_until = " + _NOW + " + ?, holder_pid = a.pid, "
                               "holder_start = a.backend_start FROM pg_stat_activity a "
                               "WHERE a.pid = pg_backend_pid() AND claims.id = ?", (self.lease_s, key))
            except StoreError as e:
                log.warning("sgl: %s: could not renew a compile claim: %s", self.location, e)

    def wait_compile(self, key: str, deadline: float) -> bool:
        """When the claim ended, the generation is brought up to date (as in `compiles_in_flight`)."""
        while True:
            if not self._query(f"SELECT 1 FROM claims WHERE id = ? AND {self._LIVE}", (key,)):
                self._generation = max(self._generation, self._read_generation())
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def _begin(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    conn.execute("BEGIN")
    return conn
