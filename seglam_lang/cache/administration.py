"""Administration: the management verbs behind `sgl cache ...`.

Owns `Administration`: inspecting (`ls`, `show`, `why`, `history`, `stats`,
`logged_requests`), settings (`log_settings`, `forget`), correcting (`reject`, `restore`, `rm`), re-checking (`verify`,
`reindex`) and moving caches (`export`, `import_`). Storing goes through `admission`; this
module only decides what to store and reports. Every verb that names a family accepts the
family's name or `family.proc` as `sgl ask --json` prints it.

Invariants:
- a family whose file changed, or which no longer loads or verifies, is marked tampered by
  `verify` and never run. A hand edit that changes the syntax tree is reported as a unified
  diff (stored version against the file) and stored only with `accept`, after it passes the
  admission checks; an edit of layout or comments only (the same tree) is stored without;
- `reindex` rebuilds the index from the files: content that passed verification before
  keeps its status, anything else is `unverified` (or `tampered` when it does not load); a
  file whose name is not a family name is skipped and reported (a name becomes a path);
- `import_` verifies before it trusts; `export` copies only families that run;
- `reject` records a case only when the family matches the request and answers it otherwise
  than the expected value; `restore` serves a version only after verifying it again and,
  for an earlier version, after the regression check against the current one;
- `rm` keeps the history: `history` and `show --version` still read it, and adding the same
  module again continues the family under its old name.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from seglam_lang.cache.admission import Admission, answers_match, check_case
from seglam_lang.cache.errors import CacheError, StoreError
from seglam_lang.cache.index import (
    ACTIVE,
    SUSPENDED,
    TAMPERED,
    UNVERIFIED,
    CacheStore,
    FamilyRow,
    LoggedRequest,
    LogSettings,
    check_family_name,
    content_hash,
)
from seglam_lang.cache.lookup import answer_of, miss_detail, show
from seglam_lang.frozen import frozen


@frozen
class VerifyResult:
    family: str
    passed: bool
    summary: str
    # A hand edit that changes behaviour, not accepted: the stored version against the file.
    diff: str | None = None


class Administration:
    """The management verbs of one cache folder."""

    def __init__(self, store: CacheStore, admission: Admission) -> None:
        self.store = store
        self.admission = admission

    # ------------------------------------------------------------ inspecting

    def ls(self) -> list[FamilyRow]:
        return self.store.families()

    def family_of(self, target: str) -> str:
        """The family `target` names: a family (present, or removed with its history kept), or
        `family.proc` as `sgl ask --json` prints it."""
        if self.store.family(target) is not None or self.store.has_history(target):
            return target
        family, dot, proc = target.partition(".")
        if not dot:
            return target  # unknown: the store says so in its own words
        self.store.require(family)
        source = self.show(family)
        from seglam_lang.errors import SglError
        from seglam_lang.syntax.parser import parse

        try:
            procs = [p.name for p in parse(source, family).procs]
        except SglError:
            procs = []  # a file that does not parse: the family is still what was named
        if procs and proc not in procs:
            raise StoreError(f"family {family} has no procedure {proc!r} (its procedures: {', '.join(procs)})")
        return family

    def show(self, name: str, version: int | None = None) -> str:
        name = self.family_of(name)
        if version is not None:
            return self.store.read_version(name, version)
        row = self.store.require(name)
        current = self.store.current_text(row.name)
        return current if current is not None else self.store.read_version(name, row.version)

    def why(self, name: str) -> dict[str, Any]:
        """Why a family exists: its origin (the current version's, else the first version's
        that has one: a replacement written by hand keeps its family's origin), every later
        version (when, what it replaced and from which file), verifications, rejected cases."""
        name = self.family_of(name)
        row = self.store.require(name)
        versions = self.store.history(name)
        origin, origin_version = row.origin, row.version
        if not origin:
            first = next((v for v in versions if v["origin"]), None)
            if first is not None:
                origin, origin_version = first["origin"], first["version"]
        return {"family": name, "version": row.version, "status": row.status, "reason": row.reason,
                "origin": origin, "origin_version": origin_version, "created": row.created, "updated": row.updated,
                "changes": [{"version": v["version"], "time": v["created"], "note": v["note"]} for v in versions[1:]],
                "verifications": self.store.verifications(name),
                "rejected_cases": [{"request": r, "expected": e} for r, e in self.store.rejections(name)]}

    def history(self, name: str) -> list[dict[str, Any]]:
        name = self.family_of(name)
        if not self.store.has_history(name):
            self.store.require(name)
        return self.store.history(name)

    def stats(self) -> dict[str, Any]:
        return self.store.stats()

    def log_settings(self, *, rows: int | None = None, days: float | None = None, text: str | None = None) -> LogSettings:
        """How the request log is kept; the arguments given change it (0 removes a bound)."""
        current = self.store.log_settings()
        if rows is None and days is None and text is None:
            return current
        settings = LogSettings(current.rows if rows is None else rows or None,
                               current.days if days is None else days or None,
                               current.text if text is None else text)
        self.store.set_log_settings(settings)
        return settings

    def forget(self) -> int:
        """Forget the requests remembered as declined or failed; return how many."""
        return self.store.forget_failures()

    def logged_requests(self) -> list[LoggedRequest]:
        """Every request the log keeps, oldest first."""
        return self.store.logged_requests()

    # ------------------------------------------------------------ correcting

    def reject(self, name: str, request: str, expected: str) -> str:
        """Suspend a family: it gave a wrong answer to `request`; `expected` (an SGL
        literal) is kept as a failing case for the next compile or `replace`. Refused when
        the family does not match the request or already answers `expected`. Returns the
        family's wrong answer."""
        name = self.family_of(name)
        row = self.store.require(name)
        prepared = self.admission.prepare(self.store.read_version(name, row.version), name)
        outcome = answer_of(prepared.module, prepared.triggers, request, self.admission.limits)
        if outcome.hit is None:
            raise CacheError(f"{name} does not answer {request!r} ({miss_detail(outcome)}); nothing to reject")
        returns = prepared.module.procs[outcome.hit.proc].sig.returns
        if answers_match(outcome.hit.value, expected, returns):
            raise CacheError(f"{name} already answers {request!r} with {expected}; nothing to reject")
        self.store.add_rejection(name, request, expected)
        return show(outcome.hit.value)

    def restore(self, name: str, version: int | None = None, *, accept_changes: bool = False) -> int:
        """Serve a family again: its current version (re-activate a suspended or tampered
        family) or an earlier one (roll back; stored as a new version). The version is
        verified again first, and an earlier one is checked against the current one
        (`regression`; `accept_changes`: the person accepts its differences); rejected cases
        it fails are withdrawn (restoring it says they were wrong). Returns the version that
        now serves."""
        name = self.family_of(name)
        row = self.store.require(name)
        version = row.version if version is None else version
        source = self.store.read_version(name, version)
        prepared = self.admission.prepare(source, name)
        verification = self.admission.verify(prepared.module)
        if not verification.passed:
            raise CacheError(f"{name} version {version} does not verify ({verification.summary}); nothing restored")
        cases = self.store.rejections(name)
        failed = [r for r, e in cases if check_case(prepared.module, prepared.triggers, r, e, self.admission.limits)]
        if version != row.version:
            # Only the rejected cases the restored version gets right are allowed to change;
            # bringing back a rejected answer is a change the person accepts.
            passed = [(r, e) for r, e in cases if r not in failed]
            try:
                verification = self.admission.regression(prepared, row.version, accept_changes=accept_changes,
                                                         rejected=passed).record(verification)
            except CacheError as e:
                raise CacheError(f"{e}; nothing restored") from None
        self.store.withdraw_rejections(name, failed)
        withdrawn = f"; withdrew {len(failed)} rejected case(s)" if failed else ""
        if version == row.version and self.store.read_current(name)[0] == source:
            self.store.record_verification(name, verification, status=ACTIVE, reason=None)
            return version
        return self.store.put(name, source, origin=prepared.module.origin, triggers=prepared.triggers,
                              verification=verification, note=f"restores version {version}{withdrawn}")

    def rm(self, name: str) -> None:
        self.store.remove(self.family_of(name))

    # ------------------------------------------------------------ re-checking

    def verify(self, names: Iterable[str] | None = None, *, accept: bool = False) -> list[VerifyResult]:
        """Re-check families (all by default) from their files. A file whose syntax tree
        differs from the stored version's is a hand edit: without `accept` it is reported
        with a diff, marked tampered and nothing is stored; with `accept` (or when only
        layout and comments changed) it is verified and stored as a new version when it
        passes. A file that fails is marked and never run."""
        results = []
        for row in [self.store.require(n) for n in names] if names is not None else self.store.families():
            try:
                # A file left by an interrupted write is repaired first; an edited one is re-checked as it is.
                source = self.store.read_current(row.name)[0] or self.store.current_text(row.name)
                if source is None:
                    raise StoreError(f"{row.name}: its current source is missing")
                edit = None if _hash(source) == row.hash else self._hand_edit(row, source)
                if edit is not None and edit.diff and not accept:
                    reason = (f"the file was edited by hand and its code differs from version {row.version}; "
                              f"nothing stored (review the diff, then `sgl cache verify --accept {row.name}`)")
                    self.store.set_status(row.name, TAMPERED, reason)
                    results.append(VerifyResult(row.name, False, reason, edit.diff))
                    continue
                prepared = self.admission.prepare(source, row.name)
                self.admission.specific_in_fact(prepared)
                verification = self.admission.verify(prepared.module)
            except (CacheError, OSError, UnicodeDecodeError) as e:
                self.store.set_status(row.name, TAMPERED, str(e))
                results.append(VerifyResult(row.name, False, str(e)))
                continue
            status = SUSPENDED if row.status == SUSPENDED else ACTIVE
            if verification.passed and edit is not None:
                self.store.put(row.name, source, origin=prepared.module.origin, triggers=prepared.triggers,
                               verification=verification, note=edit.note, status=status)
            else:
                self.store.record_verification(row.name, verification,
                                               status=status if verification.passed else TAMPERED,
                                               reason=None if verification.passed else verification.summary)
            results.append(VerifyResult(row.name, verification.passed, verification.summary))
        return results

    def _hand_edit(self, row: FamilyRow, source: str) -> _HandEdit:
        """How the file differs from the stored version: layout and comments only (the same
        syntax tree; no diff), or code (a unified diff). A file or stored version that
        does not parse differs in code."""
        from seglam_lang.errors import SglError
        from seglam_lang.syntax.parser import parse

        try:
            stored = self.store.read_version(row.name, row.version)
        except StoreError:
            stored = ""
        try:
            same_tree = parse(stored, row.name) == parse(source, row.name)
        except SglError:
            same_tree = False
        if same_tree:
            return _HandEdit(None, "hand edit of layout or comments only (same syntax tree), stored by verify")
        diff = "".join(difflib.unified_diff(
            stored.splitlines(keepends=True), source.splitlines(keepends=True),
            fromfile=f"{row.name} version {row.version} (stored)", tofile=f"{row.name}.sgl (file)"))
        if diff and not diff.endswith("\n"):
            diff += "\n"
        return _HandEdit(diff, "hand edit accepted by `sgl cache verify --accept`")

    def reindex(self) -> list[str]:
        """Rebuild the index from the current sources (a folder's `procedures/*.sgl`); return
        problems found. Sources whose content passed verification before keep their status;
        others are `unverified` (run `verify`) or `tampered` (they do not load)."""
        previous = {f.name: f for f in self.store.families()}
        entries = []
        problems = []
        for name, source in self.store.current_sources():
            try:
                check_family_name(name)
            except StoreError as e:  # e.g. `procedures/...sgl`: never registered, never a path
                problems.append(f"{name}.sgl: skipped: {e}")
                continue
            try:
                prepared = self.admission.prepare(source, name)
            except (CacheError, StoreError) as e:
                problems.append(str(e))
                entries.append((name, source, (), {}, TAMPERED, str(e)))
                continue
            origin = prepared.module.origin
            if _hash(source) in self.store.passed_hashes(name):
                old = previous.get(name)
                status = SUSPENDED if old is not None and old.status == SUSPENDED else ACTIVE
                entries.append((name, source, prepared.triggers, origin, status, None))
            else:
                problems.append(f"{name}: not verified in this form; run `sgl cache verify`")
                entries.append((name, source, prepared.triggers, origin, UNVERIFIED, "found by reindex"))
        self.store.rebuild(entries)
        return problems

    # ------------------------------------------------------------ moving caches

    def export(self, directory: str | os.PathLike[str]) -> list[str]:
        """Copy the current `.sgl` file of every family that runs (active) into `directory`."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        names = []
        for row in self.store.families():
            source, _ = self.store.read_current(row.name)
            if source is None or row.status != ACTIVE:
                continue
            (out / f"{row.name}.sgl").write_text(source)
            names.append(row.name)
        return names

    def import_(self, directory: str | os.PathLike[str]) -> list[tuple[str, str]]:
        """Add (or replace) every `.sgl` file of `directory`, verifying each first.
        Returns (name, outcome) per file; a file that fails is reported, not stored."""
        results = []
        for path in sorted(Path(directory).glob("*.sgl")):
            name = path.stem
            try:
                row = self.store.family(name)
                if row is not None and row.hash == _hash(path.read_text()):
                    results.append((name, "unchanged"))
                elif row is not None:
                    results.append((name, f"replaced (version {self.admission.replace(name, path)})"))
                else:
                    self.admission.add(path, note=f"imported from {path.parent}")
                    results.append((name, "added"))
            except (CacheError, StoreError, OSError) as e:
                results.append((name, f"rejected: {e}"))
        return results


@frozen
class _HandEdit:
    diff: str | None  # None: the same syntax tree as the stored version
    note: str  # the history note of the version it becomes


def _hash(source: str) -> str:
    return content_hash(source.encode())

