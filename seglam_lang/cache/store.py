"""The folder backend of the cache store: readable `.sgl` files plus an SQLite index.

Layout of a cache directory:

    procedures/<family>.sgl          the current version of each family (what people read)
    history/<family>/<version>.sgl   every stored version, the current one included
    index.sqlite                     WAL-mode index: families, versions, triggers, verification
                                     records, rejected cases, the request log (statistics)
    .lock                            the writers' lock file
    tmp/                             staging area for atomic writes (exists only during a write)
    locks/                           compiles in flight (exists only while one is)

Owns `Store` (the folder implementation of `index.CacheStore`: all reads and writes of that
layout), `default_cache_dir()`, `move_broken_index_aside()`, and the folder's integrity rules
below. What every backend guarantees is stated in `index`.

Invariants:
- a family runs only when the bytes of `procedures/<family>.sgl` hash to the index's hash;
- writes are atomic: a file is written to `tmp/`, fsynced, then `os.replace`d into
  place. A new version is written to `history/` first, then committed to the index,
  then copied to `procedures/`; a process killed between the last two steps leaves
  a `procedures/` file that `read_current` repairs from `history/` (its hash is the
  index's), so a killed `add` never leaves a partial module visible;
- every writer holds the folder's file lock (`lock()`) around read-modify-write
  sequences; SQLite transactions (WAL, busy timeout) make each index change atomic;
- a compile in flight is a lock file `locks/<id>.flight` held by its compiler and holding
  its request (`locks.held`): the OS lets go of it when its holder dies;
- the index can be rebuilt from the files (`reindex`); the request log survives it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from seglam_lang.cache.errors import StoreError
from seglam_lang.cache.index import TAMPERED, CacheStore, content_hash, prune_due, request_inserts
from seglam_lang.cache.locks import held, wait_released
from seglam_lang.cache.request_log import RequestLog
from seglam_lang.settings import env

_WAL_HEADER_BYTES = 96  # the two copies of the WAL-index header at the start of `index.sqlite-shm`

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
CREATE TABLE IF NOT EXISTS probation(
    family TEXT NOT NULL, version INTEGER NOT NULL, checked INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(family, version));
"""
# The schema's own version, kept in the index's `user_version`: a change to `_SCHEMA` changes it.
_SCHEMA_VERSION = zlib.crc32(_SCHEMA.encode()) & 0x7FFFFFFF


def default_cache_dir() -> Path:
    """The platform's user data directory + `seglam` (where a cache lives when neither `--cache`
    nor `$SGL_CACHE` says: `backends.default_location`)."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(env("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(env("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "seglam"


class Store(CacheStore):
    """One cache folder. Safe to use from several threads (one connection, one lock)
    and from several processes (file lock + SQLite)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()
        self.location = str(self.root)
        for sub in ("procedures", "history"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._mutex = threading.RLock()
        self._db = self._connect()
        if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            # A new index: one process at a time turns WAL on. Two at once failed at once with
            # "database is locked" (SQLite avoids the deadlock of two readers that both want to
            # write by not waiting), so processes starting together on a new folder crashed.
            with self.lock():
                self._db.execute("PRAGMA journal_mode=WAL")
        self._log_db = self._connect()  # the request log's writer's own (see `_log_tx`)
        self._own_change = True
        self._seen_data_version = -1
        self._generation = 0
        if self._db.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
            # Only a new (or older) index is written to at open: opening a current one is a read,
            # so a hit pays for no write transaction and changes nobody's generation.
            with self.lock(), self._tx(structural=False) as db:
                for stmt in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(stmt)
                db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        self._log_settings = self._read_log_settings()
        self._seen_header: bytes | None = None
        self._shm = self._open_wal_index()  # after the first transaction: the file exists
        self.request_log = RequestLog(self._write_requests)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.root / "index.sqlite", timeout=30.0, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL keeps it consistent
        return db

    def close(self) -> None:
        """Write the queued request-log rows, then close the index."""
        self.request_log.close()
        with self._mutex:
            shm, self._shm = self._shm, None
            if shm is not None:
                os.close(shm)
            self._db.close()
            self._log_db.close()

    # ------------------------------------------------------------ locking and transactions

    def _writer_lock(self) -> contextlib.AbstractContextManager[object]:
        """The folder's lock file `.lock` (the OS lets go of it when its holder dies)."""
        return held(self.root / ".lock")

    @contextlib.contextmanager
    def _tx(self, structural: bool = True) -> Iterator[sqlite3.Connection]:
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
        """Cheap when nothing changed (every lookup asks). First the WAL-index header in
        `index.sqlite-shm` (see `_open_wal_index`): when its bytes are the ones last seen, no
        connection has committed since, and nothing is read from SQLite (one `pread`). Else
        SQLite's `data_version` (no disk read) says whether another connection committed; this
        connection's own changes are tracked."""
        shm = self._shm
        header = os.pread(shm, _WAL_HEADER_BYTES, 0) if shm is not None else None
        if header is not None and header == self._seen_header and not self._own_change:
            return self._generation
        with self._mutex:
            dv = self._db.execute("PRAGMA data_version").fetchone()[0]
            if dv != self._seen_data_version or self._own_change:
                row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
                self._generation = int(row[0]) if row else 0
                self._log_settings = self._read_log_settings()
                self._seen_data_version, self._own_change = dv, False
            # Read before the query: a commit between the two changes it again, and is seen next time.
            self._seen_header = header
            return self._generation

    def _open_wal_index(self) -> int | None:
        """The WAL-index (`index.sqlite-shm`) open for reading, or None where it cannot be.

        Its first 96 bytes are two copies of the WAL-index header, which every commit rewrites
        (`iChange`, `mxFrame`, salts and checksums: https://sqlite.org/walformat.html, section
        2.5); SQLite's own readers compare it to see whether the database changed. Equal bytes
        therefore mean no commit. Read with `pread`, never mapped: a mapped page of a file that
        another process truncates is a SIGBUS that kills the process (seen with processes
        opening and closing one new folder at once), where a read just comes back short, and a
        short header is a changed one. `close` closes it before the connections."""
        if os.name != "posix":
            return None
        try:
            return os.open(self.root / "index.sqlite-shm", os.O_RDONLY)
        except OSError:
            return None

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
        tmp = staging / f"{path.stem}.{os.getpid()}.{_unique()}.tmp"
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

    # ------------------------------------------------------------ sources

    def _add_version(self, db: sqlite3.Connection, name: str, version: int, source: str, digest: str, now: float,
                     note: str, origin_json: str) -> None:
        self._write_atomic(self.version_path(name, version), source.encode())  # history first, then the index
        db.execute("INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?, ?, ?)",
                   (name, version, digest, now, note, origin_json))

    def _published(self, name: str, source: str | None) -> None:
        if source is not None:
            self._write_atomic(self.current_path(name), source.encode())
        else:
            with contextlib.suppress(FileNotFoundError):
                self.current_path(name).unlink()

    def read_current(self, name: str) -> tuple[str | None, str | None]:
        """A file left behind by an interrupted write (the previous version, while the index
        already names the next) is repaired from `history/`. Anything else that does not
        match is marked tampered."""
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
            known = self.known_hashes(name)
            kept = self.version_path(name, row.version)
            kept_data = kept.read_bytes() if kept.exists() else b""
            if (not data or content_hash(data) in known) and content_hash(kept_data) == row.hash:
                self._write_atomic(self.current_path(name), kept_data)
                return kept_data.decode(), None
        problem = f"{self.current_path(name)} does not match the index (edited or corrupt); run `sgl cache verify`"
        if row.status != TAMPERED:
            self.set_status(name, TAMPERED, problem)
        return None, problem

    def read_version(self, name: str, version: int) -> str:
        try:
            return self.version_path(name, version).read_text()
        except FileNotFoundError:
            raise StoreError(f"{name} has no stored version {version}") from None

    def current_text(self, name: str) -> str | None:
        try:
            return self.current_path(name).read_text()
        except FileNotFoundError:
            return None

    def current_sources(self) -> list[tuple[str, str]]:
        return [(path.stem, path.read_text(errors="replace"))
                for path in sorted((self.root / "procedures").glob("*.sgl"))]

    # ------------------------------------------------------------ request log

    def _write_requests(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """`CacheStore._write_requests` in as few steps of SQLite as can be: a batch that fits
        in one INSERT (the common case) is that statement alone, its own transaction, and its
        ids are consecutive (one writer at a time; `lastrowid` is the last), so no query for
        the largest id is made either. Each statement is one release of the interpreter lock,
        and one more time the thread answering requests may lose it (see `request_inserts`)."""
        n, last = len(rows), 0
        limit = self._log_db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        inserts = request_inserts(self._request_values(rows), limit)
        if len(inserts) == 1:
            last = self._log_db.execute(*inserts[0]).lastrowid or 0
        else:
            with self._log_tx() as db:
                for sql, values in inserts:
                    last = db.execute(sql, values).lastrowid or 0
        if prune_due(last - n, last):
            with self._log_tx() as db:
                self._prune(db)

    @contextlib.contextmanager
    def _log_tx(self) -> Iterator[sqlite3.Connection]:
        """Request-log batches are written on a connection of their own, so that a batch being
        written never holds up a request reading the index on the main one (WAL: readers do not
        wait for the writer). `RequestLog` writes one batch at a time."""
        db = self._log_db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # ------------------------------------------------------------ compiles in flight

    def _flights(self) -> Path:
        return self.root / "locks"

    def compiles_in_flight(self) -> list[tuple[str, str]]:
        folder = self._flights()
        found = []
        for path in sorted(folder.glob("*.flight")) if folder.is_dir() else ():
            try:
                request = json.loads(path.read_bytes() or b"{}").get("request", "")
            except (OSError, ValueError, AttributeError):
                request = ""  # unreadable: it may be of any kind, so it is waited for
            found.append((str(path), request))
        return found

    @contextlib.contextmanager
    def claim_compile(self, request: str) -> Iterator[None]:
        with held(self._flights() / f"{_unique()}.flight", transient=True) as note:
            note.write(json.dumps({"request": request}).encode())
            note.flush()
            yield

    def wait_compile(self, key: str, deadline: float) -> bool:
        return wait_released(Path(key), deadline)


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
    aside = root / f"index.sqlite.broken-{time.strftime('%Y%m%dT%H%M%S')}-{_unique()[:6]}"
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            (root / f"index.sqlite{suffix}").replace(aside.with_name(aside.name + suffix))
    index.replace(aside)
    return aside


def _unique() -> str:
    """A random name part for a staging file (uuid is imported when first needed: a hit writes no file)."""
    import uuid

    return uuid.uuid4().hex


def _fsync_dir(path: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

