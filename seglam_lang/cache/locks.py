"""Exclusive file locks held across processes: the store's writer lock and the compile locks.

Owns `held(path, transient=...)`, a context manager that holds an exclusive lock on the file
at `path` (created when missing, with its folder) for as long as it is open and yields the
open file (a holder may write a note in it for others), and `wait_released(path, deadline)`,
which waits until nobody holds a lock file (or the deadline passes).

Invariants:
- the lock is the OS's advisory lock on an open file (`flock` on POSIX, `msvcrt.locking`
  on Windows): it is released when its holder exits or dies, so a killed process never
  leaves a lock held;
- a *transient* lock file is removed by its holder before it lets go, so that locks taken
  per request kind do not accumulate. A waiter that acquires a lock on a file that was
  removed meanwhile (its path now names another file, or none) lets go and tries again,
  so two holders can never hold "the same" path at once. The folder of transient locks is
  removed with its last lock file (a process that finds it gone creates it again).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def held(path: Path, *, transient: bool = False) -> Iterator[BinaryIO]:
    """Hold the exclusive lock of `path` (blocking until it is free)."""
    while True:
        try:
            f = open(path, "a+b")  # closed below, after the lock is let go
        except FileNotFoundError:  # the folder of transient locks goes when its last lock goes
            path.parent.mkdir(parents=True, exist_ok=True)
            continue
        try:
            _lock(f)
            if not transient or _same_file(f, path):
                break
        except BaseException:
            f.close()
            raise
        f.close()  # the file was removed by its last holder: lock the one that replaced it
    try:
        yield f
    finally:
        try:
            if transient:
                with contextlib.suppress(OSError):  # on Windows an open file cannot be removed: it stays
                    path.unlink()
                with contextlib.suppress(OSError):  # not empty: other locks are held there
                    path.parent.rmdir()
            _unlock(f)
        finally:
            f.close()


def wait_released(path: Path, deadline: float, poll: float = 0.02) -> bool:
    """Wait until no one holds the lock of `path` (True), or until `time.monotonic()` passes
    `deadline` (False). A transient lock file left by a holder that died is removed."""
    while True:
        try:
            f = open(path, "r+b")  # closed below
        except FileNotFoundError:
            return True  # its holder let go and removed it
        try:
            if _try_lock(f):
                try:
                    if _same_file(f, path):  # still there: its holder died without removing it
                        with contextlib.suppress(OSError):
                            path.unlink()
                finally:
                    _unlock(f)
                return True
        finally:
            f.close()
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)


def _same_file(f: BinaryIO, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(f.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(f: BinaryIO) -> None:
        f.seek(0)
        while True:
            try:
                msvcrt.locking(f.fileno(), msvcrt.LK_LOCK, 1)
                return
            except OSError:
                time.sleep(0.05)

    def _try_lock(f: BinaryIO) -> bool:
        f.seek(0)
        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(f: BinaryIO) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(f: BinaryIO) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)

    def _try_lock(f: BinaryIO) -> bool:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(f: BinaryIO) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
