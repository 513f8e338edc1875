"""Precondition coverage: is every `require` of a module seen both holding and failing?

A `require` states the inputs a procedure is for. A check that never sees it fail cannot
tell it from a looser one (`n >= 0` from `n >= -1`), and one that never sees it hold
cannot tell it from a stricter one: a loosened precondition is exactly how a procedure
starts answering requests it does not apply to. So verification records the outcome of
every `require` its examples and properties evaluate (`Coverage`, attached to each run as
its recorder), and each `require` of the module's own procedures that was not seen on both
sides becomes a warning (`untested`), with an example that would cover the missing side
when one is found.

Owns: `sites(module)` (the module's own `require`s), `Coverage`, `untested(...)`, and the
search for a suggested example (the procedure's boundary inputs, in order).

Invariants:
- a site is a `require` inside a `proc` of the module itself: a property's `require`s only
  filter its inputs, and an imported module's `require`s are that module's to cover;
- every outcome counts, whatever the check's result: an applicability example, an example
  whose call was refused, a property input its own `require`s accepted or a proc refused;
- deterministic: sites in source order, suggestions from the fixed boundary inputs, each
  suggestion checked by loading the module with it as an example and running that example
  (so a suggestion always holds when pasted); none is offered when that fails;
- bounded: at most `SEARCH` calls per uncovered site, each under the module's limits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from seglam_lang.errors import NotApplicable, SglError
from seglam_lang.frozen import frozen
from seglam_lang.runtime.embedding import loads
from seglam_lang.runtime.values import deep_copy, format_value
from seglam_lang.syntax import ast
from seglam_lang.syntax.printer import print_expr
from seglam_lang.verify import report as R
from seglam_lang.verify.edges import boundary_inputs
from seglam_lang.verify.narrowing import compared_numbers

SEARCH = 64  # boundary inputs tried per uncovered `require` for a suggested example


@frozen
class Site:
    """One `require` of a proc of the module: where it is and what it says."""

    proc: str
    line: int
    col: int
    text: str


def sites(module: Any) -> list[Site]:
    """The `require` statements inside the module's own procs, in source order."""
    found = [Site(decl.name, node.span.line, node.span.col, print_expr(node.test))
             for decl in module.tree.decls if isinstance(decl, ast.ProcDecl)
             for node in ast.walk(decl) if isinstance(node, ast.Require)]
    return sorted(found, key=lambda s: (s.line, s.col))


class Coverage:
    """A run recorder (`RunContext.recorder`): counts, per `require` of one file, the runs where
    it held and where it failed."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.seen: dict[tuple[int, int], list[int]] = {}  # (line, col) -> [held, failed]

    def require(self, where: Any, held: bool) -> None:
        if where.file != self.file:
            return
        key = (where.span.line, where.span.col)
        counts = self.seen.get(key)
        if counts is None:
            counts = self.seen[key] = [0, 0]
        counts[0 if held else 1] += 1

    def counts(self, site: Site) -> tuple[int, int]:
        held, failed = self.seen.get((site.line, site.col), (0, 0))
        return held, failed


class _Probe:
    """A recorder for one site: did it hold, did it fail, in the calls made so far."""

    def __init__(self, file: str, site: Site) -> None:
        self.file = file
        self.key = (site.line, site.col)
        self.outcomes: set[bool] = set()

    def require(self, where: Any, held: bool) -> None:
        if where.file == self.file and (where.span.line, where.span.col) == self.key:
            self.outcomes.add(held)


def untested(module: Any, coverage: Coverage, *, limits: Any = None) -> list[R.CheckWarning]:
    """A warning for each `require` of the module's procs not seen both holding and failing."""
    warnings = []
    for site in sites(module):
        held, failed = coverage.counts(site)
        if held and failed:
            continue
        quoted = f"'{site.text}'"
        if held:
            example = _suggest(module, site, want_held=False, limits=limits)
            message = (f"precondition {quoted} is never seen failing by any example or property; "
                       + (f"add example {example}" if example else
                          f"add an `example {site.proc}(...) is not applicable` with an input it rejects"))
        elif failed:
            example = _suggest(module, site, want_held=True, limits=limits)
            message = (f"precondition {quoted} is never seen holding by any example or property; "
                       + (f"add an example of a call it accepts, such as {example}" if example else
                          f"add an example of {site.proc} on an input it accepts"))
        else:
            example = None
            message = (f"precondition {quoted} is never reached by any example or property; add examples of "
                       f"{site.proc} on both sides of it")
        warnings.append(R.CheckWarning(module.file, site.line, site.col, message, site.proc, example))
    return warnings


def _suggest(module: Any, site: Site, *, want_held: bool, limits: Any) -> str | None:
    """An example call of the site's proc on which the site holds (`want_held`) or fails, found
    among the proc's boundary inputs; written `example CALL is not applicable` for a failing one.
    None when no input does, or the example would not hold as written."""
    info = module.procs[site.proc]
    try:
        defaults = info.defaults()
        inputs = boundary_inputs(info.sig.params, defaults, numbers=compared_numbers(module.tree), limit=SEARCH)
    except SglError:
        return None  # a parameter type without edges (a function), or a default that fails
    for kwargs in inputs:
        probe = _Probe(module.file, site)
        try:
            module.call_sgl(site.proc, [], _copy(kwargs), limits=limits, recorder=probe)
        except NotApplicable:
            pass
        except SglError:
            continue  # a runtime error or a limit: not an input that states the precondition
        if want_held not in probe.outcomes:
            continue
        call = f"{site.proc}({_args(info.sig.params, kwargs, defaults)})"
        text = f"{call} is not applicable" if not want_held else call
        if not want_held and not _holds(module, text):
            continue
        return text
    return None


def _copy(kwargs: dict[str, object]) -> dict[str, object]:
    return {k: deep_copy(v) for k, v in kwargs.items()}


def _args(params: Iterable[Any], kwargs: dict[str, object], defaults: dict[str, object]) -> str:
    """The arguments as SGL literals, positionally; trailing ones equal to their defaults left out."""
    shown = [(p.name, format_value(kwargs[p.name])) for p in params]
    while shown and shown[-1][0] in defaults and shown[-1][1] == format_value(defaults[shown[-1][0]]):
        shown.pop()
    return ", ".join(v for _, v in shown)


def _holds(module: Any, example: str) -> bool:
    """Does `example <example>` load in the module and pass?"""
    try:
        probe = loads(f"{module.source}\nexample {example}\n", name=module.name)
    except SglError:
        return False
    try:
        return probe.examples[-1].run().passed
    except SglError:
        return False
