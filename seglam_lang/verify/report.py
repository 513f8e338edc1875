"""The result of verifying SGL modules: one `CheckResult` per example, property or file.

Owns: the structured report (`Report`, `CheckResult`, `CheckWarning`), its JSON form (stable keys, for
tools and the reasoning cache's verification record) and its human rendering (one line
per check, details under each failure, a summary line `N passed, M failed`).

Invariants:
- a check's `status` is one of `STATUSES`; only "passed" counts as passing, so a
  property whose `require` rejects almost everything ("unsatisfiable") fails the run;
- a counterexample maps each parameter name to an SGL literal (`format_value`), so each
  `name = literal` line can be pasted into a module;
- nothing here imports Hypothesis or the runtime: a report can be built, merged and
  printed without them.
"""

from __future__ import annotations

from collections.abc import Iterable

from seglam_lang.frozen import frozen

PASSED = "passed"
FAILED = "failed"          # an example was False / an assertion failed on some input
ERROR = "error"            # the check could not run: an SGL error, or a file that does not load
UNSATISFIABLE = "unsatisfiable"  # a property's `require` rejected (almost) every input
STATUSES = (PASSED, FAILED, ERROR, UNSATISFIABLE)


@frozen
class CheckResult:
    """One check: an `example`, a `property`, or (kind "module") a file that failed to load."""

    kind: str
    name: str
    file: str
    line: int
    status: str
    message: str = ""
    counterexample: dict[str, str] | None = None
    examples_run: int = 0
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "name": self.name,
            "file": self.file,
            "line": self.line,
            "status": self.status,
            "message": self.message,
            "counterexample": self.counterexample,
            "examples_run": self.examples_run,
            "seconds": round(self.seconds, 4),
        }


UNTESTED_PRECONDITION = "untested-precondition"


@frozen
class CheckWarning:
    """Something the checks pass with but should not: a `require` of `proc` not exercised on both
    sides of its boundary (kind "untested-precondition"), with an example that would cover the
    missing side when one was found. It does not fail the run."""

    file: str
    line: int
    col: int
    message: str
    proc: str = ""
    suggestion: str | None = None
    kind: str = UNTESTED_PRECONDITION

    def render(self) -> str:
        """`file.sgl:12:5: warning: precondition 'n >= 0' is never seen failing ...`."""
        return f"{self.file}:{self.line}:{self.col}: warning: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "file": self.file, "line": self.line, "col": self.col, "proc": self.proc,
                "message": self.message, "suggestion": self.suggestion}


@frozen
class Report:
    """Every check of one or more modules, in source order, with the seed that produced them,
    and the warnings (in source order per module)."""

    checks: tuple[CheckResult, ...] = ()
    seed: int | None = 0
    seconds: float = 0.0
    warnings: tuple[CheckWarning, ...] = ()

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.passed)

    @property
    def counts(self) -> dict[str, int]:
        """How many checks ended in each status (every status present, zeros included)."""
        out = dict.fromkeys(STATUSES, 0)
        for c in self.checks:
            out[c.status] += 1
        return out

    @classmethod
    def merge(cls, reports: Iterable[Report], *, seconds: float | None = None) -> Report:
        reports = list(reports)
        return cls(
            checks=tuple(c for r in reports for c in r.checks),
            seed=reports[0].seed if reports else 0,
            seconds=sum(r.seconds for r in reports) if seconds is None else seconds,
            warnings=tuple(w for r in reports for w in r.warnings),
        )

    def summary(self) -> str:
        """`N passed, M failed in 1.23s` (`, K warning(s)` before `in` when there are any):
        every status but "passed" counts as failed."""
        n_failed = len(self.failures)
        n_warn = len(self.warnings)
        warned = f", {n_warn} warning{'s' if n_warn != 1 else ''}" if n_warn else ""
        return f"{len(self.checks) - n_failed} passed, {n_failed} failed{warned} in {self.seconds:.2f}s"

    def to_json(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "counts": self.counts,
            "seed": self.seed,
            "seconds": round(self.seconds, 4),
            "checks": [c.to_json() for c in self.checks],
            "warnings": [w.to_json() for w in self.warnings],
        }

    def render(self, *, verbose: bool = False) -> str:
        """Human text: a line per check (failures always, passes when `verbose`), the warnings,
        then the summary."""
        lines: list[str] = []
        for c in self.checks:
            if c.passed and not verbose:
                continue
            lines.append(render_check(c))
        lines.extend(w.render() for w in self.warnings)
        lines.append(self.summary())
        return "\n".join(lines)


_LABEL = {PASSED: "PASS", FAILED: "FAIL", ERROR: "ERROR", UNSATISFIABLE: "UNSAT"}


HEADLINE_NAME = 80  # characters of a check's name shown in its headline (examples can be long)


def check_headline(c: CheckResult) -> str:
    """`FAIL  file:12  property never_negative (100 examples, 0.31s)`."""
    extra = f"{c.examples_run} examples, " if c.kind == "property" else ""
    name = c.name if len(c.name) <= HEADLINE_NAME else c.name[:HEADLINE_NAME - 3] + "..."
    return f"{_LABEL[c.status]:<5} {c.where}  {c.kind} {name} ({extra}{c.seconds:.2f}s)"


def render_check(c: CheckResult) -> str:
    """The headline, then (for a failure, or a pass with a note) the details, indented."""
    lines = [check_headline(c)]
    if c.counterexample:
        lines.append("      counterexample:")
        lines.extend(f"        {k} = {v}" for k, v in c.counterexample.items())
    if c.message:
        lines.extend("      " + ln for ln in c.message.splitlines())
    return "\n".join(lines)
