"""Run limits: what bounds every SGL run, and the per-run budget that enforces them.

Owns: `Limits` (the knobs, with their defaults) and `RunContext` (one run's budget:
steps left, deadline, call depth), plus the size checks natives call *before* they
allocate (`check_str_len`, `check_collection_len`, `check_int_bits`).

Invariants:
- every limit has a finite default; a run that exceeds one raises `LimitExceeded`
  naming the limit and how to raise it;
- size checks are done on the size a result *would* have, never after building it;
- steps are charged at calls and loop back-edges (by the interpreter), not per node, and by
  natives for their own work (`charge_items`: ITEMS_PER_STEP items of C-speed work per step),
  BEFORE the work, so an operation the budget cannot pay for is refused without running;
- the clock is read at least every TIME_CHECK_EVERY steps and before every operation of
  BIG_WORK items or more; an operation that would not finish before the deadline at the
  reference speed ITEMS_PER_SECOND is refused at once (E0402);
- memory is bounded by the growth of the process's resident memory during the run
  (`memory_mb`), read from `/proc/self/statm` (or the peak RSS where there is no /proc)
  at each clock check and before each large allocation. It is best effort (threads
  share one process), and costs nothing to a short run: the baseline is taken at the
  first check, never at the start of a run.
"""

from __future__ import annotations

import os
import resource
import time
from typing import Any, Protocol

from seglam_lang.codes import E_COLLECTION_SIZE, E_DEPTH, E_INT_SIZE, E_MEMORY, E_STEPS, E_STRING_LENGTH, E_TIME
from seglam_lang.errors import LimitExceeded
from seglam_lang.frozen import Field, evolve, field, frozen

# The range each limit may be set to: wide enough for any honest run, narrow enough that the
# limit itself is enforceable (a call depth of 10**8 cannot be held by any stack).
LIMIT_RANGES: dict[str, tuple[float, float]] = {
    "steps": (1, 10**18),  # a counter: a huge value means "no step limit" (the clock still holds)
    "call_depth": (1, 100_000),
    "int_bits": (64, 100_000_000),
    "str_len": (1, 1_000_000_000),
    "collection_len": (1, 1_000_000_000),
    "timeout": (0.001, 1_000_000.0),
    "memory_mb": (1, 1 << 20),
}


def _in_range(instance: object, attribute: Field, value: object) -> None:
    lo, hi = LIMIT_RANGES[attribute.name]
    is_float = attribute.name == "timeout"
    ok_type = isinstance(value, int | float) if is_float else isinstance(value, int)
    if isinstance(value, bool) or not ok_type or not lo <= value <= hi:  # type: ignore[operator]
        kind = "a number of seconds" if is_float else "an integer"
        raise ValueError(f"Limits.{attribute.name} must be {kind} from {_num(lo)} to {_num(hi)} (got {value!r})")


TIERS = ("auto", "tree", "jit")


def _tier(instance: object, attribute: Field, value: object) -> None:
    if value not in TIERS:
        raise ValueError(f"Limits.tier must be one of {', '.join(TIERS)} (got {value!r})")


def _num(x: float) -> str:
    return f"{int(x):,}" if x == int(x) else f"{x:g}"


@frozen
class Limits:
    """Bounds for one run. Every field can be overridden: `Limits(steps=10**7)`.

    A value outside its range (`LIMIT_RANGES`) is refused with a ValueError stating the range.
    """

    steps: int = field(default=5_000_000, validator=_in_range)             # calls + loop iterations
    call_depth: int = field(default=200, validator=_in_range)              # nested SGL calls
    int_bits: int = field(default=16_384, validator=_in_range)             # ~4,900 decimal digits
    str_len: int = field(default=1_000_000, validator=_in_range)           # characters in one string
    collection_len: int = field(default=1_000_000, validator=_in_range)    # items in one list / map / set / tuple
    timeout: float = field(default=10.0, validator=_in_range)              # wall-clock seconds for one run
    memory_mb: int = field(default=512, validator=_in_range)               # resident memory growth in one run
    # Which execution tier runs the module's procs, fixed when it is loaded (spec/tiers.md):
    # "auto" follows $SGL_TIER, else translates what it can; "tree" or "jit" forces one.
    tier: str = field(default="auto", validator=_tier)

    def replace(self, **changes: object) -> Limits:
        return evolve(self, **changes)


DEFAULT_LIMITS = Limits()
TIME_CHECK_EVERY = 1024  # steps between two reads of the clock (and of the memory)
# At most this many steps between two calls of `RunContext.tick`: the count a call or a loop
# decrements (`fuel`) then stays among the small ints CPython keeps cached, so charging a step
# allocates nothing.
FUEL = 256
LARGE_ALLOCATION = 1 << 16  # a result at least this big triggers a memory check first
# Native work is counted in items (an element compared, hashed, copied or visited; 64
# characters of a string). One interpreted step (a loop iteration, a call) costs about as
# much as 16 items handled at C speed (measured: ~90 ns a step, 1-10 ns an item).
ITEMS_PER_STEP = 16
BIG_WORK = ITEMS_PER_STEP * TIME_CHECK_EVERY  # an operation this big reads the clock first
# The reference speed of native work, on the slow side (most operations measured at 1 to
# 10 ns an item): an operation that would not end before the deadline at this speed is
# refused at once, so the time limit holds even when the step budget is raised.
ITEMS_PER_SECOND = 50_000_000
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


_statm = -1  # /proc/self/statm, held open: a pread costs ~1 us where open/read/close cost ~12 us


def resident_bytes() -> int:
    """The process's resident memory now (Linux), else its peak so far.

    Read once every `TIME_CHECK_EVERY` steps of every run, so the file stays open and is read
    with `pread` (procfs makes it afresh at each read from offset 0). A child made by `fork`
    opens its own: the inherited descriptor names the parent's /proc entry."""
    global _statm
    try:
        if _statm < 0:
            _statm = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
        return int(os.pread(_statm, 128, 0).split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reopen_statm_in_child() -> None:
    global _statm
    if _statm >= 0:
        os.close(_statm)
        _statm = -1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reopen_statm_in_child)


class RequireRecorder(Protocol):
    """Told the outcome of every `require` a run evaluates (verification's precondition coverage)."""

    def require(self, where: Any, held: bool) -> None:
        """`where` is the statement's `tracebacks.Where` (proc, file, span)."""


class RunContext:
    """The budget of one run (one top-level call). Not shared between threads."""

    __slots__ = ("bank", "clock_at", "deadline", "depth", "fuel", "limits", "max_depth", "max_reentries",
                 "memory_base", "recorder", "reentries")

    def __init__(self, limits: Limits = DEFAULT_LIMITS, max_reentries: int = 64,
                 recorder: RequireRecorder | None = None) -> None:
        self.limits = limits
        # Verification's observer of `require` outcomes (`recorder.require(where, held)`);
        # None in every other run, where it costs one attribute read per `require`.
        self.recorder = recorder
        self.depth = 0
        self.max_depth = limits.call_depth
        # Entries into SGL code from native code (a lambda called by `sorted`, a generator
        # pulled by `sum`) nested in each other: each holds C stack (see runtime.stack).
        self.reentries = 0
        self.max_reentries = max_reentries
        self.deadline = time.monotonic() + limits.timeout
        # The steps left are `bank + fuel`: a step is charged by `fuel -= 1`, and `tick()` runs
        # when `fuel` falls to 0, at most FUEL steps apart. The clock is read when the steps left
        # fall to `clock_at`, once per TIME_CHECK_EVERY steps, not at every step.
        self.clock_at = max(limits.steps - TIME_CHECK_EVERY, -1)
        self.bank, self.fuel = 0, 0
        self.refuel(limits.steps)
        self.memory_base = -1  # taken at the first memory check

    @property
    def steps_left(self) -> int:
        return self.bank + self.fuel

    def refuel(self, left: int) -> None:
        """`left` steps left: the next tick at the earliest of FUEL steps on, the clock's turn, and
        the end of the budget (-1 steps left)."""
        bank = left - FUEL
        if bank < self.clock_at:  # never below -1
            bank = self.clock_at
        self.bank = bank
        self.fuel = left - bank

    def charge(self, n: int) -> None:
        """Spend `n` steps (loops charge in chunks); raises when the budget or the time is out."""
        b = self.bank - n
        if b >= self.clock_at:  # the bank pays, and no tick is due: `bank + fuel` stays above the clock's turn
            self.bank = b
            return
        f = self.fuel - n
        self.fuel = f
        if f <= 0:
            self.tick()

    def charge_items(self, n: int) -> None:
        """Pay for `n` items of native work before doing it (see ITEMS_PER_STEP).

        Raises the step limit when the budget cannot pay, and the time limit when the
        deadline has passed or the work would not end before it at ITEMS_PER_SECOND.
        """
        if n >= ITEMS_PER_STEP:
            self.charge(n // ITEMS_PER_STEP)
            if n >= BIG_WORK:
                left = self.deadline - time.monotonic()
                if n > left * ITEMS_PER_SECOND:
                    raise self.out_of_time(f"an operation on {n:,} items would not end in time")

    def items_left(self) -> int:
        """How many items of native work the run can still pay for, in steps and in time (a cap
        for cost walks: past it, the work is refused whatever its exact cost)."""
        by_time = (self.deadline - time.monotonic()) * ITEMS_PER_SECOND
        return max(min(self.steps_left * ITEMS_PER_STEP, int(by_time)), 0) + ITEMS_PER_STEP

    def tick(self) -> None:
        """The slow path of step charging: check the budget, the clock at its turn, refuel."""
        left = self.bank + self.fuel
        if left < 0:
            raise self.out_of_steps()
        if left <= self.clock_at:
            self.check_time()
            self.check_memory()
            self.clock_at = max(left - TIME_CHECK_EVERY, -1)
        self.refuel(left)

    def check_memory(self) -> None:
        rss = resident_bytes()
        if self.memory_base < 0:
            self.memory_base = rss
        elif rss - self.memory_base > self.limits.memory_mb << 20:
            raise LimitExceeded(
                f"memory limit exceeded (the run grew memory by more than {self.limits.memory_mb:,} MB)",
                code=E_MEMORY, hint="build smaller values, or raise it with Limits(memory_mb=...)",
            )

    def out_of_depth(self) -> LimitExceeded:
        return LimitExceeded(
            f"call depth limit exceeded ({self.limits.call_depth:,} nested calls)", code=E_DEPTH,
            hint="look for unbounded recursion, or raise it with Limits(call_depth=...)",
        )

    def reenter(self) -> None:
        """Count one entry into SGL code from native code; `leave()` undoes it."""
        r = self.reentries + 1
        if r > self.max_reentries:
            raise LimitExceeded(
                f"call depth limit exceeded ({self.max_reentries:,} calls nested through built-ins such as "
                "sorted(key=...) or sum(...) of a generator: the thread's stack holds no more)", code=E_DEPTH,
                hint="look for recursion through a built-in, or run in a thread with a larger stack")
        self.reentries = r

    def leave(self) -> None:
        self.reentries -= 1

    def out_of_steps(self) -> LimitExceeded:
        return LimitExceeded(
            f"step limit exceeded ({self.limits.steps:,} steps: calls, loop iterations and work in built-ins)",
            code=E_STEPS, hint="raise it with Limits(steps=...) or --steps",
        )

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise self.out_of_time()

    def out_of_time(self, why: str = "") -> LimitExceeded:
        return LimitExceeded(
            f"time limit exceeded ({self.limits.timeout:g} s{': ' + why if why else ''})", code=E_TIME,
            hint="raise it with Limits(timeout=...) or --timeout",
        )

    def check_str_len(self, n: int) -> None:
        if n >= LARGE_ALLOCATION:
            self.check_memory()
        if n > self.limits.str_len:
            raise LimitExceeded(
                f"string too long ({n:,} characters; limit {self.limits.str_len:,})", code=E_STRING_LENGTH,
                hint="raise it with Limits(str_len=...)",
            )

    def check_collection_len(self, n: int) -> None:
        if n >= LARGE_ALLOCATION:
            self.check_memory()
        if n > self.limits.collection_len:
            raise LimitExceeded(
                f"collection too large ({n:,} items; limit {self.limits.collection_len:,})", code=E_COLLECTION_SIZE,
                hint="raise it with Limits(collection_len=...)",
            )

    def check_int_bits(self, bits: int) -> None:
        if bits > self.limits.int_bits:
            raise LimitExceeded(
                f"integer too large (about {bits:,} bits; limit {self.limits.int_bits:,})", code=E_INT_SIZE,
                hint="raise it with Limits(int_bits=...)",
            )
