"""Request-log batching: log rows kept in memory and written in batches, off the answer's path.

Owns `RequestLog`, a bounded buffer in front of any store's request log. A store gives it
one function, `write(rows)`, that writes a batch of rows in one transaction (each row a
tuple the store defines; `RequestLog` never looks inside); `append(row)` is all a request
pays (a list append under a lock; no formatting: a store queues values and formats them when
the batch is written). Rows are written:
- by a background thread that wakes every `interval_s`, or when `batch_rows` rows are
  pending (whichever comes first);
- by the appending thread itself when `max_rows` rows are pending (the writer cannot keep
  up: back-pressure, so memory stays bounded);
- by `flush()` (a store calls it before reading its request log, so this process reads
  its own writes), `close()`, and at interpreter exit (`atexit`) for every open log.

Invariants:
- the buffer never holds more than `max_rows` rows: an append that finds it full writes
  the pending rows first, and raises the store's error if that write fails;
- rows are written in the order they were appended, each at most once; a failed batch
  stays pending, in front, and is tried again by the next flush (only while the store keeps
  failing with the buffer full are the newest rows dropped, and counted in `dropped`);
- on a clean exit (normal return, `sys.exit`, an unhandled exception) nothing is lost;
  a crash (SIGKILL, power loss) loses at most the rows appended since the writer's last
  wake-up (`interval_s`, plus the time the last batch took to write) and that batch, never
  more than `max_rows` (spec/embedding.md);
- `write` is called by one thread at a time;
- a child made by `fork` starts with every log empty (its parent writes the rows it had
  queued, once) and with no writer thread until it appends.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

# Pending rows that wake the writer. Large, because every wake-up costs the thread answering
# requests more than the rows do: the writer needs the interpreter lock back after each wait and
# each database step, and until it gets it (up to the switch interval, 5 ms) the answering thread
# loses the lock at every release it makes (RE2 releases it on every match).
BATCH_ROWS = 2048
MAX_ROWS = 16384  # the bound: pending rows never exceed it
INTERVAL_S = 0.5  # the writer wakes this often: a pending row is written within about this long
LINGER = 10  # wake-ups with nothing pending before the writer thread ends

Writer = Callable[[Sequence[Any]], None]

_open_logs: weakref.WeakSet[RequestLog] = weakref.WeakSet()


class RequestLog:
    """A bounded, batching buffer of request-log rows in front of `write` (see the module)."""

    def __init__(self, write: Writer, *, batch_rows: int = BATCH_ROWS, max_rows: int = MAX_ROWS,
                 interval_s: float = INTERVAL_S) -> None:
        if not 1 <= batch_rows <= max_rows or not interval_s > 0:
            raise ValueError("need 1 <= batch_rows <= max_rows and interval_s > 0")
        self._write = write
        self.batch_rows, self.max_rows, self.interval_s = batch_rows, max_rows, interval_s
        self._closed = False
        self._start_fresh()
        self.dropped = 0  # rows dropped because the store kept failing with the buffer full
        _open_logs.add(self)

    def _start_fresh(self) -> None:
        """An empty buffer, new locks, no writer thread (at creation, and in a forked child)."""
        self._rows: list[Any] = []
        self._lock = threading.Lock()  # guards _rows
        self._writing = threading.Lock()  # held while a batch is written: one writer at a time
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def append(self, row: Any) -> None:
        """Queue one row. Writes synchronously only when the buffer is full or the log is closed.
        It wakes no thread but when `batch_rows` rows are pending: a wake-up hands the
        interpreter to the writer, which is what a request would then wait for."""
        lock = self._lock
        while True:
            with lock:
                rows = self._rows
                n = len(rows)
                if n < self.max_rows:
                    rows.append(row)
                    if self._thread is not None and n + 1 != self.batch_rows:
                        return  # every append but one in `batch_rows`: this is all it does
                    if self._closed:
                        break
                    if self._thread is None:
                        self._start()
                    else:
                        self._wake.notify()
                    return
            self.flush()  # full: the writer cannot keep up, so this thread writes (back-pressure)
        self.flush()  # closed: write through

    def flush(self) -> None:
        """Write every pending row now. On failure the rows stay pending (in front, so order is
        kept) and the store's error is raised; rows past the bound are then dropped and counted
        in `dropped` (the store is failing, and memory stays bounded)."""
        with self._writing:
            with self._lock:
                batch, self._rows = self._rows, []
            if not batch:
                return
            try:
                self._write(batch)
            except BaseException:
                with self._lock:
                    self._rows[:0] = batch
                    self.dropped += max(0, len(self._rows) - self.max_rows)
                    del self._rows[self.max_rows:]
                raise

    def close(self) -> None:
        """Write what is pending and stop the writer thread; later appends write through."""
        with self._lock:
            self._closed = True
            self._wake.notify()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._lock:
            self._thread = None  # from now on an append takes the slow branch, which sees `_closed`
        self.flush()
        _open_logs.discard(self)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sgl-request-log", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        """The writer thread: wakes every `interval_s` (or when `batch_rows` are pending) and
        writes what is pending; ends after `LINGER` wake-ups with nothing pending (so an idle or
        forgotten log holds no thread), and `append` starts it again."""
        idle = 0
        while True:
            with self._lock:
                if not self._closed and not self._due():
                    self._wake.wait(self.interval_s)
                if self._closed:
                    return
                if not self._rows:
                    idle += 1
                    if idle >= LINGER:
                        self._thread = None
                        return
                    continue
            idle = 0
            try:
                self.flush()
            except Exception:  # kept pending and retried; the next `flush` or `close` raises it
                with self._lock:
                    self._wake.wait(self.interval_s)

    def _due(self) -> bool:
        return len(self._rows) >= self.batch_rows


def _forget_in_child() -> None:
    """In a child made by `fork`: the parent's pending rows are the parent's to write (the child
    would write them a second time), its writer thread does not exist here, and a lock may have
    been held at the fork. Each open log starts empty, with new locks."""
    for log in list(_open_logs):
        log._start_fresh()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


@atexit.register
def _flush_all() -> None:
    """At a clean exit: write every open log's pending rows (a failure is one line on stderr)."""
    for log in list(_open_logs):
        try:
            log.close()
        except Exception as e:
            print(f"sgl: warning: {len(log)} request-log rows not written: {e}", file=sys.stderr)
