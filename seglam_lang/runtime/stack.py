"""The C stack: what one thread's stack holds, and Python's recursion limit while SGL runs.

Owns:
- `thread_stack_bytes()`: the size of the current thread's stack (estimated once per thread);
- `StackBudget` / `stack_budget()`: what that stack holds, as a cap on Python's recursion limit
  (`units`) and as the number of nested entries into SGL code from native code (`reentries`);
- `enter_run(limits)` / `leave_run(token)`: Python's recursion limit during runs.

Why two budgets (CPython 3.11, measured on x86-64 Linux): a Python-to-Python call uses no C
stack, so plain SGL recursion costs heap, not stack. Two things do use the C stack:
- C recursion over nested values (list comparison, repr, hashing, the json scanner), which
  CPython counts against the recursion limit: 130 to 350 bytes per level. Capping the
  recursion limit at `units` = usable stack / UNIT_BYTES keeps it within the stack.
- every entry into SGL code from C (a lambda called by `sorted`, a generator pulled by `sum`):
  about 5.5 KB each. The run counts them (`RunContext.reentries`) and stops at `reentries` =
  usable stack / REENTRY_BYTES with E0406.
Values deeper than either (a linked list of records) are compared, hashed, printed, copied and
written as JSON without C recursion (`runtime.values`, `natives.std_json`), so data never
reaches these caps.

Invariants:
- while any run is active, Python's recursion limit is min(max(needs), min(caps)) over the
  active runs: never above what the smallest running thread's stack holds;
- when the last active run ends the host's own limit is restored: nothing is sticky;
- the estimate is conservative: a thread's stack is what `threading.stack_size()` says it is
  for new threads when it is not the main thread (a thread started before the host changed
  that setting is not supported), and 512 KB on platforms whose default is unknown.
"""

from __future__ import annotations

import itertools
import os
import resource
import sys
import threading

from seglam_lang.frozen import frozen
from seglam_lang.runtime.limits import Limits

UNIT_BYTES = 256            # C stack per unit of Python's recursion limit (<= 350 measured for C recursion)
REENTRY_BYTES = 16 * 1024   # C stack per entry into SGL code from C (about 5.5 KB measured)
PY_FRAMES_PER_CALL = 60     # Python frames one SGL call may use (about 3 to 10 measured); generous
BASE_FRAMES = 2_000         # the host's own frames below the run
_KB = 1024
_MAIN_DEFAULT = 8 * _KB * _KB    # an unlimited RLIMIT_STACK: assume Linux's usual 8 MB
_THREAD_DEFAULT_UNKNOWN = 512 * _KB


@frozen
class StackBudget:
    bytes: int        # the thread's stack
    units: int        # the highest safe recursion limit in this thread
    reentries: int    # nested entries into SGL code from native code this thread holds


def thread_stack_bytes() -> int:
    """The current thread's stack size in bytes (conservative where it cannot be known)."""
    if threading.current_thread() is threading.main_thread():
        soft = resource.getrlimit(resource.RLIMIT_STACK)[0]
        return soft if 0 < soft != resource.RLIM_INFINITY else _MAIN_DEFAULT
    size = threading.stack_size()
    if size:
        return size
    if sys.platform.startswith("linux"):
        # glibc gives new threads RLIMIT_STACK (8 MB when it is unlimited); musl gives 128 KB.
        soft = resource.getrlimit(resource.RLIMIT_STACK)[0]
        if _is_glibc():
            return soft if 0 < soft != resource.RLIM_INFINITY else _MAIN_DEFAULT
        return 128 * _KB
    return _THREAD_DEFAULT_UNKNOWN


def _is_glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (ValueError, OSError):
        return False


_local = threading.local()


def stack_budget() -> StackBudget:
    """The budget of the current thread (computed once per thread)."""
    budget: StackBudget | None = getattr(_local, "budget", None)
    if budget is None:
        size = thread_stack_bytes()
        usable = size - min(size // 4, 256 * _KB)  # the host's own frames, and a margin
        budget = StackBudget(size, max(usable // UNIT_BYTES, 200), max(usable // REENTRY_BYTES, 4))
        _local.budget = budget
    return budget


# ---------------------------------------------------------------------------- the recursion limit

_lock = threading.Lock()
_active: dict[int, tuple[int, int]] = {}   # run token -> (need, cap)
_host_limit = 0                            # the host's limit, saved when the first run starts
_tokens = itertools.count(1)               # next() is atomic under the GIL


def enter_run(limits: Limits, budget: StackBudget) -> int:
    """Set Python's recursion limit for a run starting in this thread; the token is for `leave_run`.
    Every cache hit pays this: the common case (no other run active) does no scan of `_active`."""
    global _host_limit
    need = limits.call_depth * PY_FRAMES_PER_CALL + BASE_FRAMES
    cap = budget.units
    token = next(_tokens)
    with _lock:
        if _active:
            _active[token] = (need, cap)
            _apply()
        else:
            _active[token] = (need, cap)
            _host_limit = current = sys.getrecursionlimit()
            target = need if need < cap else cap
            if current != target:
                _set(target)
    return token


def leave_run(token: int) -> None:
    with _lock:
        _active.pop(token, None)
        if _active:
            _apply()
        elif _host_limit and sys.getrecursionlimit() != _host_limit:
            _set(_host_limit)


def _apply() -> None:
    if _active:
        target = min(max(n for n, _ in _active.values()), min(c for _, c in _active.values()))
    else:
        target = _host_limit
    if target and sys.getrecursionlimit() != target:
        _set(target)


def _set(target: int) -> None:
    try:
        sys.setrecursionlimit(target)
    except RecursionError:  # this thread is already deeper than the target: keep the current limit
        pass
