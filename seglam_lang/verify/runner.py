"""Running a module's `example`s and `property`s: `verify(module) -> Report`.

Owns: evaluating each example and explaining a failure (the expression, both sides of a
comparison, file:line); running each property first on its boundary inputs (the edges
of its parameters' types, see `edges`), then under Hypothesis on arguments drawn from
its parameters' types (narrowed to the bounds its leading `require`s state, see
`narrowing`), with `require` as `assume`; shrinking a failure to a minimal
counterexample printed as SGL literals (a boundary failure to its simplest edges); the per-property time budget; and the rules
that turn Hypothesis' outcomes into a check status.

Invariants:
- deterministic by default: boundary inputs are a fixed list, and `seed=0` fixes every draw, so the same module gives the same
  report on every run and machine; `seed=None` draws a fresh random seed;
- no example database is read or written unless `database` names a directory;
- one check never stops the others: any error in a check (even a bug in SGL) becomes that
  check's status "error";
- a property "passes" only if enough inputs satisfied its `require`s; if Hypothesis gives up
  (health check `filter_too_much`, `Unsatisfiable`) or fewer than `MIN_ACCEPTED` inputs
  were accepted while most were rejected, it is "unsatisfiable", which is a failure (judged
  on the random inputs: boundary inputs are a fixed set its `require`s may well reject; a
  run the time budget stopped is unsatisfiable only if no random input passed them);
- the time budget bounds the search for a failure and, separately, the shrinking of one:
  a property stopped by it reports how many examples it ran (status "passed", with a note);
  a case running when the budget ends is stopped by its time limit (cut to what is left of
  the budget), so a property never runs past its budget by more than the time limit's margin;
- every example and every property case is one run under `limits` (steps, time, sizes);
- every `require` a run evaluates is recorded (`preconditions.Coverage`), and each one of
  the module's procs not seen both holding and failing is a warning of the report, which
  never fails it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, assume, given, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import FailedHealthCheck, Flaky, Unsatisfiable

from seglam_lang.check import types as T
from seglam_lang.codes import E_TIME
from seglam_lang.errors import LimitExceeded, NotApplicable, SglError, SglRuntimeError
from seglam_lang.runtime.closures import RecordCtor
from seglam_lang.runtime.embedding import loads, run_envelope
from seglam_lang.runtime.limits import LIMIT_RANGES, Limits
from seglam_lang.runtime.values import format_value
from seglam_lang.syntax import ast
from seglam_lang.syntax.printer import print_expr
from seglam_lang.verify import report as R
from seglam_lang.verify.edges import DEFAULT_LIMIT as DEFAULT_BOUNDARY
from seglam_lang.verify.edges import Boundary
from seglam_lang.verify.narrowing import Constraint, compared_numbers, constraints_for
from seglam_lang.verify.options import DEFAULT_VERIFY
from seglam_lang.verify.preconditions import Coverage, untested
from seglam_lang.verify.strategies import RecordDefaults, params_strategy

MIN_TIMEOUT = LIMIT_RANGES["timeout"][0]
MIN_ACCEPTED = 10   # a property must see this many inputs pass its `require`s (or max_examples if fewer)

OnStart = Callable[[str], None]
OnResult = Callable[[R.CheckResult], None]


class _BudgetSpent(BaseException):
    """Raised inside the Hypothesis test when the time budget is over.

    A BaseException (like KeyboardInterrupt) so Hypothesis does not take it for a failure
    of the property to shrink, but stops and lets it through.
    """


def verify(
    module: Any,
    *,
    max_examples: int = DEFAULT_VERIFY.max_examples,
    seed: int | None = 0,
    time_budget: float = DEFAULT_VERIFY.time_budget,
    database: str | None = None,
    limits: Limits | None = None,
    allow_nan: bool = False,
    fail_fast: bool = False,
    shrink: bool = True,
    boundary: int = DEFAULT_BOUNDARY,
    preconditions: bool = True,
    on_start: OnStart | None = None,
    on_result: OnResult | None = None,
    select: Callable[[str], bool] | None = None,
) -> R.Report:
    """Run every example and property of a loaded `Module`; return the report.

    `max_examples` bounds the random inputs tried per property, which come after at most
    `min(boundary, max_examples)` boundary inputs (see `edges`; 0: none); `time_budget`
    (seconds) bounds a property's search and, separately, its shrinking; `limits` bounds each single run; `fail_fast` stops at the
    first check that does not pass; `shrink=False` reports a property's first failing
    input as found (faster, for mutation testing); `preconditions` records the outcome of
    every `require` of the module's procs and warns of each one not seen both holding and
    failing (see `preconditions`; only when every check ran: not with `select`, nor after
    `fail_fast` stopped the run); `on_start(label)` and
    `on_result(check)` are called around each check (for progress output); `select(label)`
    (labels are `example <text>` and `property <name>`) keeps only the checks it accepts.
    """
    t0 = time.perf_counter()
    coverage = Coverage(module.file) if preconditions and select is None else None
    checks: list[R.CheckResult] = []
    jobs: list[tuple[str, Callable[[], R.CheckResult], R.CheckResult]] = []
    for ex in module.examples:
        base = R.CheckResult("example", ex.text, module.file, ex.span.line, R.ERROR)
        jobs.append((f"example {ex.text}", lambda ex=ex: _run_example(module, ex, limits, coverage), base))
    for name, case in module.properties.items():
        base = R.CheckResult("property", name, module.file, case.span.line, R.ERROR)
        runner = _PropertyRun(module, case, max_examples=max_examples, seed=seed, time_budget=time_budget,
                              database=database, limits=limits, allow_nan=allow_nan, shrink=shrink,
                              boundary=min(boundary, max_examples), recorder=coverage)
        jobs.append((f"property {name}", runner.run, base))
    for label, job, base in jobs:
        if select is not None and not select(label):
            continue
        if on_start:
            on_start(label)
        result = _guarded(job, base)
        checks.append(result)
        if on_result:
            on_result(result)
        if fail_fast and not result.passed:
            coverage = None  # the checks that did not run would have covered what they cover
            break
    warnings = tuple(untested(module, coverage, limits=limits)) if coverage is not None else ()
    return R.Report(tuple(checks), seed=seed, seconds=time.perf_counter() - t0, warnings=warnings)


def _guarded(job: Callable[[], R.CheckResult], base: R.CheckResult) -> R.CheckResult:
    """Run one check; an exception escaping it (a bug, not an SGL failure) becomes status "error"."""
    t0 = time.perf_counter()
    try:
        return job()
    except SglError as e:
        message = describe_error(e)
    except Exception as e:  # a bug in SGL itself: report it on this check, keep verifying the rest
        message = f"internal error (a bug in SGL, please report it): {type(e).__name__}: {e}"
    return R.CheckResult(base.kind, base.name, base.file, base.line, R.ERROR, message,
                         seconds=time.perf_counter() - t0)


def describe_error(e: SglError) -> str:
    """An SGL error as text: the SGL stack trace when it goes through calls, the headline otherwise."""
    text = e.traceback() if isinstance(e, SglRuntimeError) and len(e.frames) > 1 else str(e)
    if isinstance(e, NotApplicable):
        text += "\n(a `require` failed: the procedure does not apply to these arguments)"
    return text


# ---------------------------------------------------------------- examples


def _run_example(module: Any, ex: Any, limits: Limits | None, recorder: Coverage | None) -> R.CheckResult:
    t0 = time.perf_counter()
    outcome = ex.run(limits=limits, recorder=recorder)
    seconds = time.perf_counter() - t0
    if outcome.passed:
        return R.CheckResult("example", ex.text, module.file, ex.span.line, R.PASSED, seconds=seconds)
    if ex.expect is not None and not isinstance(outcome.error, LimitExceeded):
        return R.CheckResult("example", ex.text, module.file, ex.span.line, R.FAILED,
                             explain_unexpected(ex.text, ex.expect, outcome.left, outcome.error), seconds=seconds)
    if outcome.error is not None:
        return R.CheckResult("example", ex.text, module.file, ex.span.line, R.ERROR,
                             describe_error(outcome.error), seconds=seconds)
    return R.CheckResult("example", ex.text, module.file, ex.span.line, R.FAILED,
                         explain_false(ex.text, outcome.op, outcome.left, outcome.right), seconds=seconds)


def explain_unexpected(text: str, expect: str, value: object, error: SglError | None) -> str:
    """Why `example CALL is not applicable` / `CALL fails` did not hold: what the call
    returned, or how it stopped instead."""
    want = "stop at a failed `require`" if expect == ast.NOT_APPLICABLE else "fail with a runtime error"
    if error is None:
        return f"`{text}` does not hold: the call should {want} but returned {format_value(value)}"
    return f"`{text}` does not hold: the call should {want} but stopped with\n{describe_error(error)}"


def explain_false(text: str, op: str | None, left: object, right: object) -> str:
    """Why an expression was False: for a comparison `a OP b`, the values of both sides."""
    if op is None:
        return f"`{text}` is False"
    return "\n".join([
        f"`{text}` is False:",
        f"  left:  {format_value(left)}",
        f"  right: {format_value(right)}",
    ])


# ---------------------------------------------------------------- properties


def record_defaults(module: Any) -> RecordDefaults:
    """Evaluated field defaults of the module's own record types (imported records get none:
    their fields are generated like any other, which is still a valid record)."""
    cache: dict[T.RecordT, dict[str, object]] = {}

    def get(rt: T.RecordT) -> dict[str, object]:
        if rt not in cache:
            ctor = module.member(rt.name) if rt.module == module.name else None
            cache[rt] = run_envelope(module.limits, lambda ctx: {n: c.get(ctx) for n, c in ctor.defaults.items()}) \
                if isinstance(ctor, RecordCtor) else {}
        return cache[rt]

    return get


class _PropertyRun:
    """The state of one property's Hypothesis run: counts, the budget, the last failure."""

    def __init__(self, module: Any, case: Any, *, max_examples: int, seed: int | None, time_budget: float,
                 database: str | None, limits: Limits | None, allow_nan: bool, shrink: bool,
                 boundary: int, recorder: Coverage | None = None) -> None:
        self.module = module
        self.case = case
        self.max_examples = max_examples
        self.seed = seed
        self.time_budget = time_budget
        self.database = database
        self.limits = limits
        self.allow_nan = allow_nan
        self.shrink = shrink
        self.boundary = boundary
        self.recorder = recorder
        self.accepted = 0
        self.rejected = 0
        self.stop_at = 0.0
        self.failure: tuple[dict[str, object], BaseException] | None = None

    def result(self, status: str, message: str = "", counterexample: dict[str, str] | None = None,
               *, seconds: float) -> R.CheckResult:
        return R.CheckResult("property", self.case.name, self.module.file, self.case.span.line, status, message,
                             counterexample, self.accepted + self.rejected, seconds)

    def attempt(self, kwargs: dict[str, object]) -> bool:
        """Run the property body on `kwargs`: False when a `require` rejects them; a failure
        is recorded in `self.failure` and raised."""
        left = self.stop_at - time.monotonic()
        if left < MIN_TIMEOUT:  # less than the shortest time limit a run can have: the budget is spent
            raise _BudgetSpent
        limits = self.limits or self.module.limits
        cut = left < limits.timeout  # this case may run only until the budget ends
        try:
            self.case.run(kwargs, limits=limits.replace(timeout=left) if cut else limits, recorder=self.recorder)
        except NotApplicable:
            self.rejected += 1
            return False
        except Exception as e:
            if cut and isinstance(e, LimitExceeded) and e.diagnostic.code == E_TIME:
                raise _BudgetSpent from None  # the budget ran out, not the case's own time
            self.accepted += 1
            if self.failure is None:
                # Shrinking gets a budget of its own, so a late failure is still minimised.
                self.stop_at = time.monotonic() + self.time_budget
            # Hypothesis replays the minimal failing input last, so this ends as the shrunk one.
            self.failure = (kwargs, e)
            raise
        self.accepted += 1
        return True

    def test(self, kwargs: dict[str, object]) -> None:
        """One Hypothesis test case."""
        if not self.attempt(kwargs):
            assume(False)

    def run_boundary(self, param_defaults: Mapping[str, object], defaults: RecordDefaults,
                     constraints: Mapping[str, Constraint]) -> bool:
        """Run the boundary inputs in order until one fails (True; the failure is then reduced
        to simpler edges, see `Boundary.simpler`) or all have run (False)."""
        b = Boundary(self.case.params, param_defaults, constraints=constraints,
                     numbers=compared_numbers(self.module.tree), record_defaults=defaults)
        for idx in b.combinations(self.boundary):
            if self._fails(b.input(idx)):
                while self.shrink:
                    idx = next((s for s in b.simpler(idx) if self._fails(b.input(s))), None)
                    if idx is None:
                        break
                return True
        return False

    def _fails(self, kwargs: dict[str, object]) -> bool:
        try:
            self.attempt(kwargs)
        except _BudgetSpent:
            raise
        except Exception:
            return True
        return False

    def run(self) -> R.CheckResult:
        t0 = time.perf_counter()
        param_defaults, defaults, constraints = self.case.defaults(), record_defaults(self.module), self._constraints()
        strategy = params_strategy(self.case.params, param_defaults, defaults=defaults, allow_nan=self.allow_nan,
                                   constraints=constraints)
        test = given(strategy)(self.test)
        test = settings(
            max_examples=self.max_examples,
            database=DirectoryBasedExampleDatabase(self.database) if self.database else None,
            deadline=None,
            derandomize=False,
            verbosity=Verbosity.quiet,
            print_blob=False,
            report_multiple_bugs=False,
            # No "explain" phase: it re-runs variations of the shrunk input under a tracer
            # (slow for an interpreter), and we print the counterexample ourselves.
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, *([Phase.shrink] if self.shrink else [])],
            # SGL runs are slower than Python and records make big inputs; only a `require`
            # that filters out nearly everything is worth a health-check failure.
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                   HealthCheck.large_base_example],
        )(test)
        # Two Hypothesis hooks, set directly: `hypothesis.seed()` sets the first but also
        # turns the database off, and `--database` must work with a seed; the second is the
        # one `hypothesis.find` uses, as every property is the same Python function here.
        if self.seed is not None:
            test._hypothesis_internal_use_seed = self.seed  # type: ignore[attr-defined]
        key = f"{self.module.file}::{self.case.name}".encode()
        test._hypothesis_internal_database_key = hashlib.sha256(key).digest()  # type: ignore[attr-defined]
        self.stop_at = time.monotonic() + self.time_budget
        note = ""
        random_from = (0, 0)  # (accepted, rejected) when the random inputs began
        try:
            if self.run_boundary(param_defaults, defaults, constraints):
                note = "found by a boundary input"
            else:
                random_from = (self.accepted, self.rejected)
                test()
        except _BudgetSpent:
            note = (f"time budget of {self.time_budget:g}s reached after {self.accepted + self.rejected} examples"
                    + (" (while shrinking a failure)" if self.failure else ""))
        except (FailedHealthCheck, Unsatisfiable):
            return self.result(R.UNSATISFIABLE, self._unsatisfiable_message(), seconds=time.perf_counter() - t0)
        except Flaky as e:
            return self.result(R.ERROR, f"the property gave different results on the same input: {e}",
                               seconds=time.perf_counter() - t0)
        except Exception:
            # The property failed: reported from self.failure below (the shrunk input).
            pass
        seconds = time.perf_counter() - t0
        if self.failure is not None:
            kwargs, error = self.failure
            counterexample = {name: format_value(v) for name, v in kwargs.items()}
            # An SGL error (an assertion, a runtime error) is the property failing; anything
            # else is a bug in SGL, still reported with the input that triggers it.
            status = R.FAILED if isinstance(error, SglError) else R.ERROR
            return self.result(status, self._failure_message(kwargs, error, note), counterexample, seconds=seconds)
        # Whether a property tested anything is judged on its random inputs, as boundary
        # inputs are a fixed set that its `require`s may well reject.
        # A run the time budget stopped early (a slow property, a loaded machine) tried too few
        # inputs to judge its `require`s by the ratio: it is unsatisfiable only if none passed.
        accepted, rejected = self.accepted - random_from[0], self.rejected - random_from[1]
        too_few = accepted == 0 if note.startswith("time budget") else accepted < min(MIN_ACCEPTED, self.max_examples)
        if too_few and rejected > accepted:
            return self.result(R.UNSATISFIABLE, self._unsatisfiable_message(), seconds=seconds)
        return self.result(R.PASSED, note, seconds=seconds)

    def _constraints(self) -> Mapping[str, Constraint]:
        for decl in self.module.tree.decls:
            if isinstance(decl, ast.PropertyDecl) and decl.name == self.case.name:
                return constraints_for(decl)
        return {}

    def _failure_message(self, kwargs: dict[str, object], error: BaseException, note: str) -> str:
        if isinstance(error, SglError):
            text = describe_error(error)
            operands = explain_assertion(self.module, self.case.name, kwargs, error)
            if operands:
                text = operands + "\n" + text
        else:
            text = f"internal error (a bug in SGL, please report it): {type(error).__name__}: {error}"
        return text + (f"\n({note})" if note else "")

    def _unsatisfiable_message(self) -> str:
        return (f"its `require`s rejected {self.rejected} of {self.accepted + self.rejected} generated inputs; "
                "too few were tested for the property to mean anything\n"
                "(loosen the `require`, or give the parameters narrower types)")


def _failing_assert(module: Any, prop: str, error: SglError) -> ast.Assert | None:
    """The `assert` statement of property `prop` that `error` points at, if it is one."""
    span = error.span
    for decl in module.tree.decls:
        if isinstance(decl, ast.PropertyDecl) and decl.name == prop:
            for node in ast.walk(decl):
                if isinstance(node, ast.Assert) and (node.span.line, node.span.col) == (span.line, span.col):
                    return node
    return None


def explain_assertion(module: Any, prop: str, kwargs: dict[str, object], error: SglError) -> str | None:
    """For a failed `assert a OP b` that reads only the property's parameters: both sides' values.

    Found the way a person would: the module plus one constant per parameter (the
    counterexample's literals) plus `example a OP b`, loaded and run. None when that
    does not apply (the assertion reads locals, is not a comparison, or names clash).
    """
    node = _failing_assert(module, prop, error)
    if node is None or not (isinstance(node.test, ast.Compare) and len(node.test.ops) == 1):
        return None
    text = print_expr(node.test)
    consts = "".join(f"{name} = {format_value(v)}\n" for name, v in kwargs.items())
    try:
        probe = loads(f"{module.source}\n{consts}example {text}\n", name=module.name)
    except SglError:
        return None
    outcome = probe.examples[-1].run()
    if outcome.passed or outcome.error is not None or outcome.op is None:
        return None
    return explain_false(text, outcome.op, outcome.left, outcome.right)
