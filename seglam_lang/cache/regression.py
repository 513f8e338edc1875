"""Regression on change: a new version of a family checked against the version it replaces.

Owns `regression(...) -> Regression`, run by `replace`, `restore` (of another version) and
every recompilation of an existing family (after a `reject`): the old version's examples
must pass on the new one, and a differential run (`verify.differential`: the arguments of
the rejected cases and of the requests the old version answered (the request log), then
boundary-first and seeded random inputs, on which both versions' `require`s hold) compares
the answers of every proc a trigger of either version reaches. Each input where the answers differ
is a difference. A difference (or a failing old example) is allowed when it is one of the
family's rejected cases (the same proc and arguments as the request a person rejected, as
the old version's triggers read it); any other one refuses the new version, unless the
person accepted the changes (`accept_changes`, `--accept-changes`).

Invariants:
- a refusal is one line naming the old version and the first differing inputs
  (`old: X, new: Y`); nothing is stored;
- the record of an accepted comparison says what was compared (old version, old examples,
  procs, inputs, differences allowed as rejected cases and accepted by the person): it is
  added to the version's verification record (`Verification.summary` and the report JSON's
  `regression`);
- the verifier (Hypothesis) is imported only when a comparison runs, never with this module.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from seglam_lang.cache.errors import CacheError
from seglam_lang.cache.index import TriggerRow, Verification
from seglam_lang.cache.lookup import answer_of, load_module, trigger_rows
from seglam_lang.errors import SglError
from seglam_lang.frozen import frozen
from seglam_lang.runtime.limits import Limits
from seglam_lang.syntax import ast

if TYPE_CHECKING:
    from seglam_lang.runtime.embedding import Module
    from seglam_lang.verify.differential import Comparison, Difference

SHOWN = 3  # differing inputs named in a refusal

Key = tuple[str, tuple[tuple[str, str], ...]]  # `differential.args_key`: a proc and its arguments as SGL text


@frozen
class Regression:
    """What a new version was compared with, and what came of it."""

    old_version: int
    examples: int  # old examples run on the new version
    failing_examples: tuple[str, ...]  # those that failed, other than rejected cases
    allowed_examples: int  # failing old examples that are rejected cases
    comparison: Comparison | None  # None: the old version does not load (nothing to compare)
    allowed: int  # differences that are rejected cases
    refused: tuple[Difference, ...]  # other differences (all of them accepted when `accepted`)
    accepted: bool

    @property
    def changes(self) -> int:
        """Changes that need the person's consent: failing old examples and other differences."""
        differing = self.comparison.differing - self.allowed if self.comparison is not None else 0
        return len(self.failing_examples) + differing

    def problem(self, name: str) -> str | None:
        """The refusal, in one line, or None when the new version may be stored."""
        if self.accepted or not self.changes:
            return None
        parts = []
        if self.failing_examples:
            parts.append(f"it fails the old example `{self.failing_examples[0]}`"
                         + (f" (and {len(self.failing_examples) - 1} more)" if len(self.failing_examples) > 1 else ""))
        if self.refused:
            assert self.comparison is not None
            shown = "; ".join(d.describe() for d in _first_of_each_proc(self.refused)[:SHOWN])
            more = self.comparison.differing - self.allowed - min(SHOWN, len(self.refused))
            parts.append(f"it answers differently from version {self.old_version} on "
                         f"{self.comparison.differing - self.allowed} input(s) where both apply: {shown}"
                         + (f" (and {more} more)" if more > 0 else ""))
        return (f"{name} rejected: " + "; ".join(parts) +
                " (only rejected cases may change; a person accepts other changes with --accept-changes)")

    def summary(self) -> str:
        """The record of what was compared, for the verification summary."""
        c = self.comparison
        compared = ("the old version does not load: nothing compared" if c is None else
                    f"{c.inputs} input(s) compared on {', '.join(c.procs) or 'no proc'}"
                    + (f" (not compared: {', '.join(p for p, _ in c.skipped)})" if c.skipped else "")
                    + f", {c.differing} difference(s)")
        allowed = self.allowed + self.allowed_examples
        notes = [f"{allowed} rejected case(s)"] if allowed else []
        if self.accepted and self.changes:
            notes.append(f"{self.changes} accepted by --accept-changes")
        return (f"against version {self.old_version}: {self.examples - len(self.failing_examples)}/{self.examples}"
                f" old example(s) passed, {compared}" + (f" ({', '.join(notes)})" if notes else ""))

    def to_json(self) -> dict[str, Any]:
        return {"old_version": self.old_version, "old_examples": self.examples,
                "old_examples_failing": list(self.failing_examples), "old_examples_rejected_cases": self.allowed_examples,
                "comparison": self.comparison.to_json() if self.comparison is not None else None,
                "rejected_cases": self.allowed, "accepted_changes": self.changes if self.accepted else 0}

    def record(self, verification: Verification) -> Verification:
        """`verification` with this comparison added to its summary and report."""
        try:
            report = json.loads(verification.report) if verification.report else {}
        except ValueError:
            report = {}
        report["regression"] = self.to_json()
        return Verification(verification.passed, f"{verification.summary}; {self.summary()}", json.dumps(report))


def regression(new: Module, new_source: str, old_source: str, old_version: int, *,
               rejected: list[tuple[str, str]], limits: Limits | None, host: Mapping[str, Any] | None,
               options: Mapping[str, Any], accept_changes: bool = False, answered: Sequence[str] = ()) -> Regression:
    """Compare `new` (loaded from `new_source`) with the stored `old_source` (see the module docstring).
    `rejected` are the family's rejected cases `(request, expected)`, `answered` requests the
    old version answered (real inputs, compared first); `options` the verification options
    (`max_examples`, `time_budget`)."""
    from seglam_lang.verify.differential import args_key, compare

    try:
        old = load_module(old_source, new.name, limits, host)
    except SglError:  # an old version that no longer loads has no behaviour to keep
        return Regression(old_version, 0, (), 0, None, 0, (), accept_changes)
    cases = _inputs(old, [request for request, _expected in rejected], limits)
    allowed_keys = {args_key(proc, args) for proc, args in cases}
    failing, allowed_examples = _old_examples(new, new_source, old, allowed_keys, limits, host)
    procs = sorted({proc for m in (old, new) for proc, info in m.procs.items() if info.triggers})
    comparison = compare(old, new, procs, extra=[*cases, *_inputs(old, answered, limits)], limits=limits, **options)
    allowed = sum((d.proc, d.args) in allowed_keys for d in comparison.differences)
    refused = tuple(d for d in comparison.differences if (d.proc, d.args) not in allowed_keys)
    return Regression(old_version, len(old.examples), tuple(failing), allowed_examples, comparison, allowed, refused,
                      accept_changes)


def _inputs(old: Module, requests: Sequence[str], limits: Limits | None) -> list[tuple[str, dict[str, object]]]:
    """(proc, arguments) of each request the old version answers, as its triggers read it."""

    rows: tuple[TriggerRow, ...] = tuple(trigger_rows(old))
    out = []
    for request in requests:
        hit = answer_of(old, rows, request, limits).hit
        if hit is not None:
            out.append((hit.proc, dict(hit.args)))
    return out


def _old_examples(new: Module, new_source: str, old: Module, allowed: set[Key], limits: Limits | None,
                  host: Mapping[str, Any] | None) -> tuple[list[str], int]:
    """The old examples the new version fails (their texts), other than those of a rejected
    case, and how many of those there were. They are appended to the new source, so that
    they are checked (and their names resolved) as the new module's own."""
    if not old.examples:
        return [], 0
    combined = new_source.rstrip("\n") + "\n\n" + "\n".join(f"example {ex.text}" for ex in old.examples) + "\n"
    try:
        checked = load_module(combined, new.name, limits, host)
    except SglError as e:
        return [f"(the old examples do not apply to the new version: {e.message})"], 0
    failing: list[str] = []
    of_cases = 0
    for old_ex, ex in zip(old.examples, checked.examples[len(new.examples):]):
        if ex.run(limits=limits).passed:
            continue
        if _example_key(old, old_ex.span.line) in allowed:
            of_cases += 1
        else:
            failing.append(ex.text)
    return failing, of_cases


def _example_key(module: Module, line: int) -> Key | None:
    """The input an example `CALL == VALUE` (or `VALUE == CALL`) pins, as `args_key` names it:
    a call of one of the module's procs whose arguments print as the SGL text of values."""
    from seglam_lang.syntax.printer import print_expr
    from seglam_lang.verify.differential import SHOWN_CHARS

    decl = next((d for d in module.tree.decls if isinstance(d, ast.ExampleDecl) and d.span.line == line), None)
    if decl is None or decl.expect is not None or not isinstance(decl.expr, ast.Compare) or decl.expr.ops != ("==",):
        return None
    for call in (decl.expr.left, decl.expr.comparators[0]):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in module.procs:
            params = module.procs[call.func.id].sig.params
            if len(call.args) > len(params):
                return None
            given = {p.name: print_expr(a) for p, a in zip(params, call.args)}
            given.update({k.name: print_expr(k.value) for k in call.keywords})
            return call.func.id, tuple(sorted((k, v[:SHOWN_CHARS]) for k, v in given.items()))
    return None


def _first_of_each_proc(differences: tuple[Difference, ...]) -> list[Difference]:
    """The differences in turns by proc (the first of each, then the second...): a refusal
    names a change in every proc that changed before more of one."""
    by_proc: dict[str, list[Difference]] = {}
    for d in differences:
        by_proc.setdefault(d.proc, []).append(d)
    return [d for turn in itertools.zip_longest(*by_proc.values()) for d in turn if d is not None]


def refuse(regression_: Regression, name: str) -> None:
    """Raise the refusal of `regression_` as a CacheError, if it has one."""
    problem = regression_.problem(name)
    if problem:
        raise CacheError(problem)
