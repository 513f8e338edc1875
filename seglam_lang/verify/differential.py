"""Differential runs: a new version of a module against the old one, on generated inputs.

Owns `compare(old, new, procs) -> Comparison`: for each named proc that both versions have
with the same signature, the same inputs go to both, boundary-first (the edges of the
parameters' types within the bounds of both versions' leading `require`s, see `edges`),
then random ones drawn by Hypothesis from a fixed seed (see `strategies`); every input on
which both versions apply (neither stops at a failed `require`) is compared, and each one
where their answers differ is a `Difference`. A host may add inputs of its own first
(`extra`: the arguments of rejected cases, say).

Invariants:
- deterministic: the same two modules and options give the same inputs in the same order
  and the same report (boundary inputs are a fixed list; random ones come from `seed`);
- bounded: at most `boundary + max_examples` inputs per proc (plus `extra`), each a run
  under `limits`, and at most `time_budget` seconds per proc; at most `MAX_DIFFERENCES`
  differences are kept per proc (the count of all of them is still exact);
- two answers agree when they are the same SGL value (type and value, as the cache's
  conflict rule says), or both runs failed with the same error code; a run cut short by a
  limit says nothing, so such an input is not compared;
- every input is copied before each run: a version that changes a list it was given does
  not change what the other one sees.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, assume, given, settings
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

from seglam_lang.check import types as T
from seglam_lang.errors import LimitExceeded, NotApplicable, SglError
from seglam_lang.frozen import fields, frozen, has
from seglam_lang.runtime.embedding import same_value
from seglam_lang.runtime.limits import Limits
from seglam_lang.runtime.values import deep_copy, format_value_capped
from seglam_lang.syntax import ast
from seglam_lang.verify.edges import DEFAULT_LIMIT as DEFAULT_BOUNDARY
from seglam_lang.verify.edges import Boundary
from seglam_lang.verify.narrowing import Constraint, compared_numbers, constraints_for
from seglam_lang.verify.runner import record_defaults
from seglam_lang.verify.strategies import params_strategy

MAX_DIFFERENCES = 20  # kept per proc; `Comparison.differing` counts them all
SHOWN_CHARS = 200     # an argument or answer in a Difference is capped at this many characters


@frozen
class Difference:
    """One input on which the versions answer differently: the arguments and both answers
    as SGL text (an answer that is an error reads `error E0305: ...`)."""

    proc: str
    args: tuple[tuple[str, str], ...]
    old: str
    new: str

    @property
    def call(self) -> str:
        return f"{self.proc}({', '.join(f'{k}={v}' for k, v in self.args)})"

    def describe(self) -> str:
        return f"{self.call}: old: {self.old}, new: {self.new}"

    def to_json(self) -> dict[str, Any]:
        return {"proc": self.proc, "args": dict(self.args), "old": self.old, "new": self.new}


@frozen
class Comparison:
    """What a differential run compared: the procs compared, those it could not (with why),
    how many inputs both versions applied to, and the differences found."""

    procs: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    inputs: int
    differing: int
    differences: tuple[Difference, ...]

    def to_json(self) -> dict[str, Any]:
        return {"procs": list(self.procs), "skipped": {p: why for p, why in self.skipped}, "inputs": self.inputs,
                "differing": self.differing, "differences": [d.to_json() for d in self.differences]}


def args_key(proc: str, args: Mapping[str, object]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """How an input is named in a `Difference` (to recognise a known one, e.g. a rejected case)."""
    return proc, tuple((k, format_value_capped(v, SHOWN_CHARS)) for k, v in sorted(args.items()))


def compare(old: Any, new: Any, procs: Sequence[str], *, extra: Sequence[tuple[str, Mapping[str, object]]] = (),
            max_examples: int = 50, boundary: int = DEFAULT_BOUNDARY, seed: int = 0, time_budget: float = 5.0,
            limits: Limits | None = None, **_ignored: Any) -> Comparison:
    """Compare loaded modules `old` and `new` on the procs named (see the module docstring).
    `extra` inputs `(proc, {param: SGL value})` run first. Options a verification takes but
    that mean nothing here (`_ignored`) are accepted, so one set of options serves both."""
    compared: list[str] = []
    skipped: list[tuple[str, str]] = []
    inputs = differing = 0
    differences: list[Difference] = []
    for proc in procs:
        why = _incomparable(old, new, proc)
        if why:
            skipped.append((proc, why))
            continue
        run = _ProcRun(old, new, proc, limits, time_budget)
        run.inputs([args for p, args in extra if p == proc])
        run.boundary(boundary)
        run.random(max_examples, seed)
        compared.append(proc)
        inputs += run.compared
        differing += len(run.found)
        differences.extend(list(run.found.values())[:MAX_DIFFERENCES])
    return Comparison(tuple(compared), tuple(skipped), inputs, differing, tuple(differences))


def _incomparable(old: Any, new: Any, proc: str) -> str | None:
    """Why `proc` cannot be compared (missing from a version, or a changed signature), or None."""
    if proc not in old.procs or proc not in new.procs:
        return f"not in the {'old' if proc not in old.procs else 'new'} version"
    a, b = old.procs[proc].sig, new.procs[proc].sig
    if [(p.name, p.has_default) for p in a.params] != [(p.name, p.has_default) for p in b.params] or not all(
            same_shape(p.type, q.type) for p, q in zip(a.params, b.params)) or not same_shape(a.returns, b.returns):
        return f"its signature changed ({a} -> {b})"
    return None


def same_shape(a: T.Type, b: T.Type, seen: set[tuple[T.RecordT, T.RecordT]] | None = None) -> bool:
    """Are two types the same, records field by field (`RecordT` equality is by name only,
    and two versions of a module may both have an `Item` with other fields)?"""
    if isinstance(a, T.RecordT) and isinstance(b, T.RecordT):
        seen = set() if seen is None else seen
        if (a, b) in seen:
            return True
        seen.add((a, b))
        return a == b and len(a.fields) == len(b.fields) and all(
            f.name == g.name and same_shape(f.type, g.type, seen) for f, g in zip(a.fields, b.fields))
    if type(a) is not type(b) or not has(type(a)):
        return a == b
    for field in fields(type(a)):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, T.Type) and isinstance(y, T.Type):
            if not same_shape(x, y, seen):
                return False
        elif isinstance(x, tuple) and isinstance(y, tuple) and all(isinstance(v, T.Type) for v in (*x, *y)):
            if len(x) != len(y) or not all(same_shape(u, v, seen) for u, v in zip(x, y)):
                return False
        elif x != y:
            return False
    return True


class _BudgetSpent(BaseException):
    """The proc's time budget is over (a BaseException, so Hypothesis lets it through)."""


class _ProcRun:
    """The inputs tried on one proc and the differences found (keyed by `args_key`)."""

    def __init__(self, old: Any, new: Any, proc: str, limits: Limits | None, time_budget: float) -> None:
        self.old, self.new, self.proc = old, new, proc
        self.limits = limits
        self.params = old.procs[proc].sig.params
        self.defaults = old.procs[proc].defaults()
        self.constraints = _constraints(old, proc, new)
        self.stop_at = time.monotonic() + time_budget
        self.compared = 0
        self.seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        self.found: dict[tuple[str, tuple[tuple[str, str], ...]], Difference] = {}

    def inputs(self, inputs: Sequence[Mapping[str, object]]) -> None:
        try:
            for args in inputs:
                self.attempt(args)
        except _BudgetSpent:
            pass

    def boundary(self, limit: int) -> None:
        numbers = tuple(dict.fromkeys((*compared_numbers(self.old.tree), *compared_numbers(self.new.tree))))
        b = Boundary(self.params, self.defaults, constraints=self.constraints, numbers=numbers,
                     record_defaults=record_defaults(self.old))
        self.inputs([b.input(idx) for idx in b.combinations(limit)])

    def random(self, max_examples: int, seed: int) -> None:
        if max_examples <= 0 or time.monotonic() >= self.stop_at:
            return
        strategy = params_strategy(self.params, self.defaults, defaults=record_defaults(self.old),
                                   constraints=self.constraints)

        def case(kwargs: dict[str, object]) -> None:
            if not self.attempt(kwargs):
                assume(False)

        try:
            test = settings(max_examples=max_examples, database=None, deadline=None, derandomize=False,
                            verbosity=Verbosity.quiet, print_blob=False, phases=[Phase.generate],
                            suppress_health_check=list(HealthCheck))(given(strategy)(case))
            test._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]  (as `runner` does)
            test()
        except (_BudgetSpent, Unsatisfiable, FailedHealthCheck):
            # Out of time, the `require`s reject nearly everything, or this runs inside another
            # Hypothesis test (nested `given`: a host's test): what was compared stands.
            pass

    def attempt(self, args: Mapping[str, object]) -> bool:
        """Run both versions on `args`; False when either does not apply (or a limit cut a run short)."""
        if time.monotonic() >= self.stop_at:
            raise _BudgetSpent
        key = args_key(self.proc, args)
        if key in self.seen:
            return True
        self.seen.add(key)
        a, b = self._run(self.old, args), self._run(self.new, args)
        if a is None or b is None:
            return False
        self.compared += 1
        if not _agree(a, b, self.limits):
            self.found[key] = Difference(self.proc, key[1], _show(a), _show(b))
        return True

    def _run(self, module: Any, args: Mapping[str, object]) -> tuple[bool, Any] | None:
        """(True, value) or (False, error); None when the version does not apply or ran out of a limit."""
        try:
            return True, module.call_sgl(self.proc, [], {k: deep_copy(v) for k, v in args.items()},
                                         limits=self.limits)
        except (NotApplicable, LimitExceeded):
            return None
        except SglError as e:
            return False, e


def _constraints(old: Any, proc: str, new: Any) -> dict[str, Constraint]:
    """Bounds every input both versions accept satisfies: both versions' leading `require`s."""
    out: dict[str, Constraint] = {}
    for module in (old, new):
        decl = next((d for d in module.tree.decls if isinstance(d, ast.ProcDecl) and d.name == proc), None)
        for name, c in (constraints_for(decl) if decl is not None else {}).items():
            out[name] = out[name].meet(c) if name in out else c
    return out


def _agree(a: tuple[bool, Any], b: tuple[bool, Any], limits: Limits | None) -> bool:
    if a[0] and b[0]:
        try:
            return same_value(a[1], b[1], limits)
        except SglError:
            return False  # too big to compare within the limits: not shown to agree
    if not a[0] and not b[0]:
        return bool(a[1].diagnostic.code == b[1].diagnostic.code)
    return False


def _show(outcome: tuple[bool, Any]) -> str:
    ok, v = outcome
    if ok:
        return format_value_capped(v, SHOWN_CHARS)
    return f"error {v.diagnostic.code}: {v.message}"[:SHOWN_CHARS]
