"""Admission: what it takes for a module to be stored in the cache, and storing it.

Owns `prepare` (load = parse + check, which validates the triggers (`check.triggers`), then
their index rows: `validate_triggers`), `Admission` (the verification policy: `verify`,
`specific_in_fact`, `check_source` for compilers; `add` and `replace`, which store), and the
comparison of an answer with a value a person wrote (`answers_match`, `check_case`).

Invariants:
- nothing is stored without verification (static checks + examples + properties; the
  trusted bulk path runs the examples only); a module's triggers are valid for its procs
  because it loaded (`check.triggers` owns the rule), and take none of the requests that
  are not theirs (`specific_in_fact`: the shipped corpus of unrelated requests, recent
  requests other families answered or that were declined); its origin block has only keys
  that SEGLAM writes (`provenance` owns the rule);
- `replace` (and a recompilation) accepts a module only if it passes every rejected case and
  the regression check against the old version (`regression`: its examples, and the same
  answers on generated inputs, but for rejected cases or changes the person accepted); the
  old version stays in history;
- the verifier (Hypothesis) is imported only when a module is verified, never with this
  module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seglam_lang.cache import readers
from seglam_lang.cache.errors import CacheError
from seglam_lang.cache.index import ACTIVE, CacheStore, TriggerRow, Verification, check_family_name
from seglam_lang.cache.lookup import answer_of, load_module, miss_detail, show, trigger_rows
from seglam_lang.cache.matcher import same_answer
from seglam_lang.cache.provenance import origin_problem
from seglam_lang.cache.regression import Regression, refuse, regression
from seglam_lang.errors import SglError
from seglam_lang.frozen import frozen
from seglam_lang.runtime.limits import Limits
from seglam_lang.verify.options import VerifyOptions

if TYPE_CHECKING:
    from seglam_lang.check.types import Type
    from seglam_lang.runtime.embedding import Module

RECENT_REQUESTS = 500  # logged requests a new version is tried on (besides the shipped corpus)


class NameTaken(CacheError):
    """A new family's name is in the cache already (`replace` stores a new version)."""


@frozen
class Prepared:
    """A module that loads and whose triggers can work: what admission decides on."""

    name: str
    source: str
    module: Module
    triggers: tuple[TriggerRow, ...]


def prepare(source: str, name: str, limits: Limits | None, host: Mapping[str, Any] | None = None) -> Prepared:
    """Load (parse + check: this validates the triggers, see `check.triggers`) and compute the
    index rows of its triggers; raise CacheError with the reason."""
    check_family_name(name)
    try:
        module = load_module(source, name, limits, host)
    except SglError as e:
        raise CacheError(f"{name} does not load: {e}") from None
    problem = origin_problem(module.origin)
    if problem:
        raise CacheError(f"{name} rejected: {problem}")
    return Prepared(name, source, module, tuple(validate_triggers(module)))


def validate_triggers(module: Module) -> list[TriggerRow]:
    """The index rows of a loaded module's triggers. Loading checked them (`check.triggers`
    owns what a valid trigger is), so every one parses and fits its proc. Whether the
    triggers are specific in fact needs the request log: `Admission.specific_in_fact`."""
    return trigger_rows(module)


class Admission:
    """Verifies and stores modules in one cache folder."""

    def __init__(self, store: CacheStore, limits: Limits | None, host: Mapping[str, Any] | None,
                 verify_options: Mapping[str, Any] | VerifyOptions | None) -> None:
        self.store = store
        self.limits = limits
        self.host = dict(host or {})
        self.verify_options = VerifyOptions.from_mapping(verify_options).as_kwargs()

    def prepare(self, source: str, name: str) -> Prepared:
        return prepare(source, name, self.limits, self.host)

    def verify(self, module: Module, *, trusted: bool = False) -> Verification:
        """The verification record of a loaded module. `trusted` runs the examples only."""
        if trusted:
            failures = []
            for ex in module.examples:
                out = ex.run(limits=self.limits)
                if not out.passed:
                    failures.append(f"example {ex.text} failed" + (f": {out.error.message}" if out.error else ""))
            if failures:
                return Verification(False, failures[0])
            return Verification(True, f"trusted bulk path: parsed, checked, {len(module.examples)} example(s) passed")
        from seglam_lang.verify import verify  # imports Hypothesis: only here

        report = verify(module, limits=self.limits, **self.verify_options)
        try:
            report_json: str | None = json.dumps(report.to_json())
        except (TypeError, ValueError):
            report_json = None
        if report.passed:
            counts = ", ".join(f"{v} {k}" for k, v in report.counts.items() if v)
            warned = f", {len(report.warnings)} warning(s)" if report.warnings else ""
            return Verification(True, f"verified: {counts or 'no checks'}{warned}", report_json)
        first = report.failures[0]
        return Verification(False, f"{first.kind} {first.name} {first.status}: {first.message}", report_json)

    def specific_in_fact(self, prepared: Prepared, request: str | None = None) -> None:
        """CacheError when a trigger of the module takes a request that is not its own: one
        of the shipped unrelated requests, or a recent request another active family
        answered or that was declined (spec/triggers.md, "Specific in fact"). `request` is
        the one the module was compiled for: its own, never held against it."""
        from seglam_lang.cache import overbroad

        name = prepared.name
        own = {request_key(request)} if request is not None else set()
        recent = self.store.answered_elsewhere(name, RECENT_REQUESTS)
        active = {f.name for f in self.store.families() if f.status == ACTIVE} if recent else set()
        logged = [overbroad.Request(text, f"a request family {family} answered" if family else "a declined request")
                  for text, family in recent if (family is None or family in active) and request_key(text) not in own]
        found = overbroad.taken(prepared.module, prepared.triggers, [*logged, *overbroad.unrelated_requests()],
                                self.limits)
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            raise CacheError(f"{name} rejected: {found[0].describe(name)}{more}")

    def check_source(self, source: str, name: str, request: str | None = None,
                     existing: Collection[str] | None = None) -> tuple[bool, str]:
        """What storing `source` would say of it (for compilers repairing a module, `request`
        the one it is compiled for): (passed, why); a pass's warnings (an untested precondition:
        `add` stores the module with them) follow the summary, one per line. For a family it
        would replace (a recompilation or a link: one of `existing`, the families when the
        compile began; None: those in the cache now) that includes the regression check
        against its current version. A name another compile took meanwhile is not replaced
        (the module is stored under a free name), so it is not compared."""
        try:
            prepared = self.prepare(source, name)
            self.specific_in_fact(prepared, request)
        except CacheError as e:
            return False, str(e)
        verification = self.verify(prepared.module)
        row = self.store.family(name) if existing is None or name in existing else None
        if verification.passed and row is not None:
            try:
                verification = self.regression(prepared, row.version).record(verification)
            except CacheError as e:
                return False, str(e)
        report = json.loads(verification.report) if verification.passed and verification.report else {}
        lines = [f"line {w['line']}:{w['col']}: warning: {w['message']}" for w in report.get("warnings", [])]
        return verification.passed, "\n".join([verification.summary, *lines])

    def add(self, path_or_source: str | os.PathLike[str], *, name: str | None = None, trusted: bool = False,
            note: str = "added") -> int:
        """Verify a module, then store it as a new family; return its version (1).

        `trusted=True` is the bulk path (benchmarks, imports of already verified
        caches): still parsed, checked and its examples run, but no properties.
        """
        source, derived = source_and_name(path_or_source, name)
        if name is None and self.store.family(derived) is None:
            # The same module as a removed family's: it continues that family (name and history).
            derived = self.store.removed_family_with(source) or derived
        return self.admit_new(self.prepare(source, derived), trusted=trusted, note=note)

    def admit_new(self, prepared: Prepared, *, trusted: bool = False, note: str = "added",
                  verification: Verification | None = None, request: str | None = None) -> int:
        """Store a new family (after verifying it, unless `verification` says it was; `request`
        is the one it was compiled for). The name is checked again under the writer lock: a
        family is never created twice."""
        name = prepared.name
        if self.store.family(name) is not None:
            raise NameTaken(f"{name} is already in the cache; use `replace` to store a new version")
        self.specific_in_fact(prepared, request)
        if verification is None:
            verification = self.verify(prepared.module, trusted=trusted)
        if not verification.passed:
            raise CacheError(f"{name} rejected: {verification.summary}")
        with self.store.lock():
            if self.store.family(name) is not None:  # stored by another process or thread meanwhile
                raise NameTaken(f"{name} is already in the cache; use `replace` to store a new version")
            return self._put(prepared, verification, note)

    def replace(self, name: str, path_or_source: str | os.PathLike[str], *, accept_changes: bool = False) -> int:
        """Store a new version of `name`; it must pass every rejected case and the regression
        check against the old version, whose differences `accept_changes` accepts. The old
        version stays in history; a suspended family is re-activated."""
        self.store.require(name)
        source, _ = source_and_name(path_or_source, name)
        where = "" if isinstance(path_or_source, str) and "\n" in path_or_source else f" (from {os.fspath(path_or_source)})"
        return self.admit_replacement(self.prepare(source, name), where=where, accept_changes=accept_changes)

    def admit_replacement(self, prepared: Prepared, *, where: str = "", request: str | None = None,
                          accept_changes: bool = False) -> int:
        """Store `prepared` as the next version of its family (`where` says where it came from,
        `request` the request it was compiled for) after the regression check against the
        current version (`regression`; `accept_changes`: the person accepts its differences)."""
        name, module = prepared.name, prepared.module
        row = self.store.require(name)
        self.specific_in_fact(prepared, request)
        verification = self.verify(module)
        if not verification.passed:
            raise CacheError(f"{name} rejected: {verification.summary}")
        checked = self.regression(prepared, row.version, accept_changes=accept_changes)
        for case, expected in self.store.rejections(name):
            problem = check_case(module, prepared.triggers, case, expected, self.limits)
            if problem:
                raise CacheError(f"{name} rejected: rejected case {case!r} -> {expected}: {problem}")
        was = f"; it was {row.status}: {row.reason}" if row.reason else ""
        return self._put(prepared, checked.record(verification), f"replaces version {row.version}{where}{was}")

    def regression(self, prepared: Prepared, old_version: int, *, accept_changes: bool = False,
                   rejected: list[tuple[str, str]] | None = None) -> Regression:
        """`prepared` against the stored `old_version` of its family (see `regression`): the
        comparison, or CacheError with the refusal. `rejected` defaults to the family's cases."""
        name = prepared.name
        cases = self.store.rejections(name) if rejected is None else rejected
        checked = regression(prepared.module, prepared.source, self.store.read_version(name, old_version), old_version,
                             rejected=cases, limits=self.limits, host=self.host, options=self.verify_options,
                             accept_changes=accept_changes, answered=self.store.answered_by(name, RECENT_REQUESTS))
        refuse(checked, name)
        return checked

    def _put(self, prepared: Prepared, verification: Verification, note: str) -> int:
        return self.store.put(prepared.name, prepared.source, origin=prepared.module.origin,
                              triggers=prepared.triggers, verification=verification, note=note)


def request_key(text: str) -> str:
    """Requests that differ only in case, spacing or a final `?.!` are one request."""
    from seglam_lang.syntax.trigger_templates import normalise

    return normalise(text).text.casefold()


def check_case(module: Module, triggers: tuple[TriggerRow, ...], request: str, expected: str,
               limits: Limits | None) -> str | None:
    """None if the module answers `request` with `expected`, else what went wrong."""
    outcome = answer_of(module, triggers, request, limits)
    if outcome.hit is None:
        return "the new module does not answer it (" + miss_detail(outcome) + ")"
    value = outcome.hit.value
    if answers_match(value, expected, module.procs[outcome.hit.proc].sig.returns):
        return None
    return f"it answers {show(value)}"


def answers_match(value: object, expected: str, returns: Type) -> bool:
    """Does an answer equal the expected value a person wrote (read as the return type)?"""
    try:
        if same_answer(value, readers.read(returns, expected)):
            return True
    except (readers.ReadError, TypeError, ValueError):
        pass
    from seglam_lang.runtime.values import format_value

    try:
        return format_value(value, limit=len(expected)) == expected.strip()  # never longer than what it must equal
    except SglError:
        return False


def source_and_name(path_or_source: str | os.PathLike[str], name: str | None) -> tuple[str, str]:
    """A module given as a path (`*.sgl`, named after the file) or as source text."""
    text = os.fspath(path_or_source)
    if not isinstance(path_or_source, str) or ("\n" not in text and text.endswith(".sgl")):
        path = Path(text)
        try:
            return path.read_text(), name or path.stem
        except (OSError, UnicodeDecodeError) as e:
            raise CacheError(f"cannot read {path}: {e}") from None
    return text, name or family_from_source(text)


def family_from_source(source: str) -> str:
    """A family name for a module given as text: its first procedure's name."""
    from seglam_lang.errors import SglSyntaxError
    from seglam_lang.syntax.parser import parse

    try:
        procs = parse(source, "<source>").procs
    except SglSyntaxError as e:
        raise CacheError(f"module does not parse: {e}") from None
    if not procs:
        raise CacheError("a module without procedures cannot be cached")
    return procs[0].name
