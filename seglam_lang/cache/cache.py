"""`ReasoningCache`: answer requests from crystallised SGL procedures; manage them.

Owns the cache's operations: `ask` (match, read slots, run; on a miss the configured
`Compiler`), `solve` (structured inputs, no slot reading), and the management verbs
behind `sgl cache ...`: `add`, `ls`, `show`, `why`, `history`, `reject`, `replace`,
`verify`, `export`, `import_`, `rm`, `stats`, `reindex`.

Invariants:
- the hit path imports neither the verifier (Hypothesis) nor any LLM SDK; modules are
  parsed once per process (on first use) and kept while their index entry is unchanged;
  any change to the store (this process's or another's) is noticed on the next ask
  (`Store.generation`, bumped by every change but the request log);
- nothing is stored without verification (static checks + examples + properties);
  a module's triggers are valid for its procs because it loaded (`check.triggers`);
- a family runs only when active and its file matches the index (see `store`);
- `replace` accepts a module only if it passes every example of the old version and
  every rejected case; `import_` verifies before it trusts;
- every failure a user can cause is a `CacheError` with a one-line message.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from seglam_lang.cache import readers
from seglam_lang.cache.compiler import (
    CompileContext,
    Compiler,
    CompileRequest,
    CompileResult,
    FailingCase,
    NearProcedure,
)
from seglam_lang.cache.errors import CacheError, StoreError
from seglam_lang.cache.matcher import (
    Hit,
    Matcher,
    Outcome,
    Trigger,
    TriggerIndex,
    decode_anchors,
    encode_anchors,
    same_answer,
    trigger_anchors,
)
from seglam_lang.cache.store import (
    ACTIVE,
    SUSPENDED,
    TAMPERED,
    UNVERIFIED,
    FamilyRow,
    Store,
    TriggerRow,
    check_family_name,
    default_cache_dir,
)
from seglam_lang.errors import SglError
from seglam_lang.runtime.limits import Limits
from seglam_lang.syntax.templates import words


class CacheMiss(CacheError):
    """No procedure answers the request and no compiler is configured (`sgl ask` exits 4)."""

    default_code = "E0601"

    def __init__(self, message: str, outcome: Outcome | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome


@attrs.frozen
class Answer:
    """How a request was answered. `answer` and `args` are plain Python values, exactly as
    `Module.call` returns them (a record is a dict); `value` and `arg_values` are the same
    as SGL values (for `format_value` and typed JSON)."""

    value: Any
    hit: bool
    procedure: str | None  # "family.proc"
    version: int | None
    arg_values: dict[str, Any]
    elapsed_ms: float
    llm_calls: int = 0

    @property
    def answer(self) -> Any:
        from seglam_lang.runtime.values import to_python

        return to_python(self.value)

    @property
    def args(self) -> dict[str, Any]:
        from seglam_lang.runtime.values import to_python

        return {k: to_python(v) for k, v in self.arg_values.items()}


@attrs.frozen
class VerifyResult:
    family: str
    passed: bool
    summary: str


class ReasoningCache:
    """A reasoning cache on one folder. Thread-safe for `ask`; one instance per process
    is the intended use (it keeps loaded modules)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None, *, compiler: Compiler | None = None,
                 limits: Limits | None = None, host: Mapping[str, Any] | None = None, log_requests: bool = True,
                 verify_options: dict[str, Any] | None = None) -> None:
        self.dir = Path(directory) if directory is not None else default_cache_dir()
        self.store = Store(self.dir)
        self.compiler = compiler
        self.limits = limits
        self.host = dict(host or {})  # host functions cached procedures may call, as with `seglam_lang.load`
        self.log_requests = log_requests
        self.verify_options = verify_options or {"max_examples": 50, "time_budget": 5.0}
        self._modules: dict[str, tuple[str, Any]] = {}  # family -> (hash, Module)
        self._families: dict[str, FamilyRow] = {}
        self._seen_version: int | None = None
        self._refresh_lock = threading.Lock()
        self._matcher = Matcher(TriggerIndex(), self._load_family, limits)
        self.problems: list[str] = []  # tampered files and the like, found while answering

    # ------------------------------------------------------------ the hot path

    def _refresh(self) -> None:
        """Rebuild the in-memory index when the store changed (in any process)."""
        version = self.store.generation()
        if version == self._seen_version:
            return
        with self._refresh_lock:
            if version == self._seen_version:
                return
            families = {f.name: f for f in self.store.families()}
            self._modules = {k: v for k, v in self._modules.items() if k in families and families[k].hash == v[0]}
            self._families = families
            index = TriggerIndex(Trigger(t.family, t.proc, t.pattern, t.is_regex, decode_anchors(t.anchors))
                                 for t in self.store.triggers())
            self._matcher = Matcher(index, self._load_family, self.limits)
            # Last: a thread that sees this version must also see the index built for it.
            self._seen_version = version

    def _load_family(self, family: str) -> Any:
        """The loaded module of an active family whose file matches the index, else None."""
        row = self._families.get(family)
        if row is None or row.status != ACTIVE:
            return None
        cached = self._modules.get(family)
        if cached is not None and cached[0] == row.hash:
            return cached[1]
        source, problem = self.store.read_current(family)
        if source is None:
            self.problems.append(problem or f"{family}: unreadable")
            return None
        try:
            module = _loads(source, family, self.limits, self.host)
        except SglError as e:
            problem = f"{family}: stored module no longer loads: {e}"
            self.problems.append(problem)
            self.store.set_status(family, TAMPERED, problem)
            return None
        self._modules[family] = (row.hash, module)
        return module

    def lookup(self, text: str) -> Outcome:
        """Match a request against the cache without logging or compiling."""
        self._refresh()
        return self._matcher.find(text)

    def ask(self, text: str) -> Answer:
        """Answer a request: a hit runs a cached procedure; a miss calls the compiler."""
        t0 = time.perf_counter()
        outcome = self.lookup(text)
        if outcome.hit is not None:
            return self._answer_hit(text, outcome.hit, t0)
        detail = _miss_detail(outcome)
        if outcome.conflict:
            names = ", ".join(sorted({f"{h.family}.{h.proc}" for h in outcome.hits}))
            self.problems.append(f"conflict for {text!r}: {names} disagree")
        if self.compiler is None:
            if self.log_requests:
                self.store.log_request(text, "conflict" if outcome.conflict else "miss",
                                       elapsed_ms=(time.perf_counter() - t0) * 1000, detail=detail)
            raise CacheMiss(f"no cached procedure answers this request ({detail}) and no compiler is configured",
                            outcome)
        return self._compile(text, outcome, t0)

    def _answer_hit(self, text: str, hit: Hit, t0: float) -> Answer:
        version = self._families[hit.family].version
        answer = Answer(hit.value, True, f"{hit.family}.{hit.proc}", version, hit.args,
                        (time.perf_counter() - t0) * 1000)
        if self.log_requests:
            self.store.log_request(text, "hit", family=hit.family, version=version,
                                   answer=_show(hit.value), elapsed_ms=answer.elapsed_ms)
        return answer

    @contextlib.contextmanager
    def _request_lock(self, text: str) -> Iterator[None]:
        """One compile per request at a time, across processes: a lock file per request hash."""
        from seglam_lang.cache.store import _lock_file, _unlock_file, content_hash
        from seglam_lang.syntax.templates import normalise

        locks = self.dir / "locks"
        locks.mkdir(exist_ok=True)
        with open(locks / f"{content_hash(normalise(text).text.casefold().encode())[:32]}.lock", "a+b") as f:
            _lock_file(f)
            try:
                yield
            finally:
                _unlock_file(f)

    def _compile(self, text: str, outcome: Outcome, t0: float) -> Answer:
        with self._request_lock(text):
            again = self.lookup(text)
            if again.hit is not None:  # another process or thread compiled it while this one waited
                return self._answer_hit(text, again.hit, t0)
            return self._compile_locked(text, t0)

    def _compile_locked(self, text: str, t0: float) -> Answer:
        assert self.compiler is not None
        request = CompileRequest(text, tuple(self._failing_cases()))
        context = CompileContext(tuple(self._nearest(text)), self._check_source,
                                 tuple(f.name for f in self.store.families()), self.host)
        try:
            result: CompileResult = self.compiler.compile(request, context)
        except CacheError as e:
            if self.log_requests and not getattr(e, "dry_run", False):  # count the miss and what its calls cost
                self.store.log_request(text, "miss", elapsed_ms=(time.perf_counter() - t0) * 1000,
                                       detail=f"compile failed: {e}", **(getattr(e, "usage", None) or {}))
            raise
        usage = {"llm_calls": result.llm_calls, "tokens_in": result.tokens_in, "tokens_out": result.tokens_out,
                 "tokens_cache_read": result.tokens_cache_read}
        if result.kind == "decline":
            elapsed = (time.perf_counter() - t0) * 1000
            if self.log_requests:
                self.store.log_request(text, "declined", answer=_show(result.answer), elapsed_ms=elapsed, **usage)
            return Answer(result.answer, False, None, None, {}, elapsed, result.llm_calls)
        if not result.source:
            raise CacheError(f"the compiler returned a {result.kind!r} result without source")
        family = result.family or _family_from_source(result.source)
        if self.store.family(family) is None:
            self.add(result.source, name=family)
        else:
            self.replace(family, result.source)
        again = self.lookup(text)
        elapsed = (time.perf_counter() - t0) * 1000
        if again.hit is None:
            if self.log_requests:
                self.store.log_request(text, "miss", elapsed_ms=elapsed, detail="compiled procedure does not answer",
                                       **usage)
            raise CacheError(f"the compiled procedure {family} was stored but does not answer this request "
                             f"({_miss_detail(again)})")
        hit = again.hit
        version = self._families[hit.family].version
        if self.log_requests:
            self.store.log_request(text, "compiled", family=hit.family, version=version, answer=_show(hit.value),
                                   elapsed_ms=elapsed, **usage)
        return Answer(hit.value, False, f"{hit.family}.{hit.proc}", version, hit.args, elapsed, result.llm_calls)

    def _failing_cases(self) -> Iterable[FailingCase]:
        for f in self.store.families():
            if f.status == SUSPENDED:
                for request, expected in self.store.rejections(f.name):
                    yield FailingCase(f.name, request, expected)

    def _nearest(self, text: str, limit: int = 3) -> Iterable[NearProcedure]:
        request_words = words(text)
        scored = []
        for t in self.store.triggers():
            shared = len({w for a in decode_anchors(t.anchors) for w in a} & request_words)
            if shared:
                scored.append((-shared, t.family))
        seen: list[str] = []
        for _, family in sorted(scored):
            if family not in seen:
                seen.append(family)
        for family in seen[:limit]:
            source, _ = self.store.read_current(family)
            if source is not None:
                yield NearProcedure(family, source)

    def solve(self, target: str, **inputs: Any) -> Answer:
        """Run a procedure with structured inputs: `target` is `family.proc`, a proc name,
        or the exact text of one of its templates. Inputs are Python values."""
        from seglam_lang import from_python

        t0 = time.perf_counter()
        self._refresh()
        family, proc = self._resolve(target)
        module = self._load_family(family)
        if module is None:
            raise CacheError(f"{family} cannot run: {self.store.require(family).reason or 'not active'}")
        info = module.procs[proc]
        params = {p.name: p for p in info.sig.params}
        unknown = sorted(set(inputs) - set(params))
        if unknown:
            raise CacheError(f"{family}.{proc} has no parameter(s) {', '.join(unknown)}")
        missing = sorted(p.name for p in info.sig.params if not p.has_default and p.name not in inputs)
        if missing:
            raise CacheError(f"{family}.{proc} needs {', '.join(missing)}")
        try:
            args = {k: from_python(v, params[k].type) for k, v in inputs.items()}
            value = module.call_sgl(proc, [], args, limits=self.limits)
        except SglError as e:
            raise CacheError(f"{family}.{proc}: {e.message}") from None
        except (TypeError, ValueError) as e:
            raise CacheError(f"{family}.{proc}: bad input: {e}") from None
        return Answer(value, True, f"{family}.{proc}", self._families[family].version, args,
                      (time.perf_counter() - t0) * 1000)

    def _resolve(self, target: str) -> tuple[str, str]:
        rows = self.store.triggers()
        if "{" in target or " " in target:
            found = {(t.family, t.proc) for t in rows if t.pattern == target}
        elif "." in target:
            family, _, proc = target.partition(".")
            found = {(family, proc)} if family in self._families else set()
        else:
            found = {(t.family, t.proc) for t in rows if t.proc == target}
            if not found and target in self._families:
                found = {(target, target)}
        if len(found) != 1:
            why = "is ambiguous" if found else "names no active procedure or template"
            raise CacheError(f"{target!r} {why}; use family.proc")
        family, proc = found.pop()
        module = self._load_family(family)
        if module is not None and proc not in module.procs:
            raise CacheError(f"{family} has no procedure {proc!r}")
        return family, proc

    # ------------------------------------------------------------ adding and verifying

    def _prepare(self, source: str, name: str) -> tuple[Any, list[TriggerRow]]:
        """Load (parse + check) and validate triggers; raise CacheError with the reason."""
        check_family_name(name)
        try:
            module = _loads(source, name, self.limits, self.host)
        except SglError as e:
            raise CacheError(f"{name} does not load: {e}") from None
        return module, validate_triggers(module)

    def _verify(self, module: Any, *, trusted: bool = False) -> tuple[bool, str, str | None]:
        """(passed, one-line summary, JSON report). `trusted` runs the examples only."""
        if trusted:
            failures = []
            for ex in module.examples:
                out = ex.run(limits=self.limits)
                if not out.passed:
                    failures.append(f"example {ex.text} failed" + (f": {out.error.message}" if out.error else ""))
            if failures:
                return False, failures[0], None
            return True, f"trusted bulk path: parsed, checked, {len(module.examples)} example(s) passed", None
        from seglam_lang.verify import verify  # imports Hypothesis: only here

        report = verify(module, limits=self.limits, **self.verify_options)
        counts = ", ".join(f"{v} {k}" for k, v in report.counts.items() if v)
        if report.passed:
            return True, f"verified: {counts or 'no checks'}", _report_json(report)
        first = report.failures[0]
        return False, f"{first.kind} {first.name} {first.status}: {first.message}", _report_json(report)

    def _check_source(self, source: str, name: str) -> tuple[bool, str]:
        try:
            module, _ = self._prepare(source, name)
        except CacheError as e:
            return False, str(e)
        passed, summary, _ = self._verify(module)
        return passed, summary

    def add(self, path_or_source: str | os.PathLike[str], *, name: str | None = None, trusted: bool = False,
            note: str = "added") -> int:
        """Verify a module, then store it as a new family; return its version (1).

        `trusted=True` is the bulk path (benchmarks, imports of already verified
        caches): still parsed, checked and its examples run, but no properties.
        """
        source, name = _source_and_name(path_or_source, name)
        module, triggers = self._prepare(source, name)
        if self.store.family(name) is not None:
            raise CacheError(f"{name} is already in the cache; use `replace` to store a new version")
        verification = self._verify(module, trusted=trusted)
        if not verification[0]:
            raise CacheError(f"{name} rejected: {verification[1]}")
        return self.store.put(name, source, origin=module.origin, triggers=triggers, verification=verification,
                              note=note)

    def replace(self, name: str, path_or_source: str | os.PathLike[str]) -> int:
        """Store a new version of `name`; it must pass the old version's examples and every
        rejected case. The old version stays in history; a suspended family is re-activated."""
        row = self.store.require(name)
        source, _ = _source_and_name(path_or_source, name)
        module, triggers = self._prepare(source, name)
        verification = self._verify(module)
        if not verification[0]:
            raise CacheError(f"{name} rejected: {verification[1]}")
        old_source = self.store.read_version(name, row.version)
        old_examples = _example_texts(old_source, name, self.limits, self.host)
        if old_examples:
            combined = source.rstrip("\n") + "\n\n" + "\n".join(f"example {t}" for t in old_examples) + "\n"
            try:
                checked = _loads(combined, name, self.limits, self.host)
            except SglError as e:
                raise CacheError(f"{name} rejected: the old examples do not apply to the new module: {e}") from None
            for ex in checked.examples[len(module.examples):]:
                out = ex.run(limits=self.limits)
                if not out.passed:
                    raise CacheError(f"{name} rejected: it fails the old example `{ex.text}`")
        for request, expected in self.store.rejections(name):
            problem = _check_case(module, triggers, request, expected, self.limits)
            if problem:
                raise CacheError(f"{name} rejected: rejected case {request!r} -> {expected}: {problem}")
        return self.store.put(name, source, origin=module.origin, triggers=triggers, verification=verification,
                              note=f"replaces version {row.version}")

    def verify(self, names: Iterable[str] | None = None) -> list[VerifyResult]:
        """Re-check families (all by default) from their files. A file that changed is
        stored as a new version when it passes; one that fails is marked and never run."""
        results = []
        for row in [self.store.require(n) for n in names] if names is not None else self.store.families():
            try:
                # A file left by an interrupted write is repaired first; an edited one is re-checked as it is.
                source = self.store.read_current(row.name)[0] or self.store.current_path(row.name).read_text()
                module, triggers = self._prepare(source, row.name)
                passed, summary, report = self._verify(module)
            except (CacheError, OSError, UnicodeDecodeError) as e:
                self.store.set_status(row.name, TAMPERED, str(e))
                results.append(VerifyResult(row.name, False, str(e)))
                continue
            status = SUSPENDED if row.status == SUSPENDED else ACTIVE
            if passed and _hash(source) != row.hash:
                self.store.put(row.name, source, origin=module.origin, triggers=triggers,
                               verification=(passed, summary, report), note="re-verified after the file changed",
                               status=status)
            else:
                self.store.record_verification(row.name, (passed, summary, report),
                                               status=status if passed else TAMPERED,
                                               reason=None if passed else summary)
            results.append(VerifyResult(row.name, passed, summary))
        return results

    def reindex(self) -> list[str]:
        """Rebuild the index from `procedures/*.sgl`; return problems found. Files whose
        content passed verification before keep their status; others are `unverified`
        (run `verify`) or `tampered` (they do not load)."""
        previous = {f.name: f for f in self.store.families()}
        entries = []
        problems = []
        for path in self.store.current_files():
            name = path.stem
            source = path.read_text(errors="replace")
            try:
                module, triggers = self._prepare(source, name)
            except (CacheError, StoreError) as e:
                problems.append(str(e))
                entries.append((name, source, [], {}, TAMPERED, str(e)))
                continue
            if _hash(source) in self.store.passed_hashes(name):
                old = previous.get(name)
                status = SUSPENDED if old is not None and old.status == SUSPENDED else ACTIVE
                entries.append((name, source, triggers, module.origin, status, None))
            else:
                problems.append(f"{name}: not verified in this form; run `sgl cache verify`")
                entries.append((name, source, triggers, module.origin, UNVERIFIED, "found by reindex"))
        self.store.rebuild(entries)
        return problems

    # ------------------------------------------------------------ inspecting

    def ls(self) -> list[FamilyRow]:
        return self.store.families()

    def show(self, name: str, version: int | None = None) -> str:
        row = self.store.require(name)
        if version is not None:
            return self.store.read_version(name, version)
        try:
            return self.store.current_path(row.name).read_text()
        except FileNotFoundError:
            return self.store.read_version(name, row.version)

    def why(self, name: str) -> dict[str, Any]:
        row = self.store.require(name)
        return {"family": name, "version": row.version, "status": row.status, "reason": row.reason,
                "origin": row.origin, "created": row.created, "updated": row.updated,
                "verifications": self.store.verifications(name),
                "rejected_cases": [{"request": r, "expected": e} for r, e in self.store.rejections(name)]}

    def history(self, name: str) -> list[dict[str, Any]]:
        self.store.require(name)
        return self.store.history(name)

    def stats(self) -> dict[str, Any]:
        return self.store.stats()

    def plot(self, path: str | os.PathLike[str]) -> None:
        """Draw the hit rate over time to a PNG (needs matplotlib)."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise CacheError("--plot needs matplotlib, which is not installed (pip install matplotlib)") from None
        outcomes = self.store.request_outcomes()
        if not outcomes:
            raise CacheError("no requests logged yet: nothing to plot")
        xs, ys, hits = [], [], 0
        for i, (_, outcome) in enumerate(outcomes, 1):
            hits += outcome == "hit"
            xs.append(i)
            ys.append(hits / i)
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot(xs, ys)
        ax.set_xlabel("requests")
        ax.set_ylabel("cumulative hit rate")
        ax.set_ylim(0, 1)
        ax.set_title(f"SEGLAM cache {self.dir}")
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)

    # ------------------------------------------------------------ correcting

    def reject(self, name: str, request: str, expected: str) -> None:
        """Suspend a family: it gave a wrong answer to `request`; `expected` (an SGL
        literal) is kept as a failing case for the next compile or `replace`."""
        self.store.require(name)
        self.store.add_rejection(name, request, expected)

    def rm(self, name: str) -> None:
        self.store.remove(name)

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
                    results.append((name, f"replaced (version {self.replace(name, path)})"))
                else:
                    self.add(path, note=f"imported from {path.parent}")
                    results.append((name, "added"))
            except (CacheError, StoreError, OSError) as e:
                results.append((name, f"rejected: {e}"))
        return results

    def close(self) -> None:
        self.store.close()


# ---------------------------------------------------------------- helpers


def _loads(source: str, name: str, limits: Limits | None, host: Mapping[str, Any] | None) -> Any:
    import seglam_lang

    return seglam_lang.loads(source, name, limits=limits, host=host or None)


def validate_triggers(module: Any) -> list[TriggerRow]:
    """The index rows of a loaded module's triggers. Loading checked them (`check.triggers`
    owns what a valid trigger is), so every one parses and fits its proc."""
    return [TriggerRow(module.name, proc, trig.pattern, trig.is_regex,
                       encode_anchors(trigger_anchors(trig.pattern, trig.is_regex)))
            for proc, info in module.procs.items() for trig in info.triggers]


def _check_case(module: Any, triggers: list[TriggerRow], request: str, expected: str, limits: Limits | None) -> str | None:
    """None if the module answers `request` with `expected`, else what went wrong."""
    index = TriggerIndex(Trigger(t.family, t.proc, t.pattern, t.is_regex, decode_anchors(t.anchors))
                         for t in triggers)
    outcome = Matcher(index, lambda _family: module, limits).find(request)
    if outcome.hit is None:
        return "the new module does not answer it (" + _miss_detail(outcome) + ")"
    value = outcome.hit.value
    if answers_match(value, expected, module.procs[outcome.hit.proc].sig.returns):
        return None
    return f"it answers {_show(value)}"


def answers_match(value: Any, expected: str, returns: Any) -> bool:
    """Does an answer equal the expected value a person wrote (read as the return type)?"""
    try:
        if same_answer(value, readers.read(returns, expected)):
            return True
    except (readers.ReadError, TypeError, ValueError):
        pass
    return _show(value) == expected.strip()


def _example_texts(source: str, name: str, limits: Limits | None, host: Mapping[str, Any] | None) -> list[str]:
    try:
        return [ex.text for ex in _loads(source, name, limits, host).examples]
    except SglError:
        return []


def _source_and_name(path_or_source: str | os.PathLike[str], name: str | None) -> tuple[str, str]:
    text = os.fspath(path_or_source)
    if not isinstance(path_or_source, str) or ("\n" not in text and text.endswith(".sgl")):
        path = Path(text)
        try:
            return path.read_text(), name or path.stem
        except (OSError, UnicodeDecodeError) as e:
            raise CacheError(f"cannot read {path}: {e}") from None
    return text, name or _family_from_source(text)


def _family_from_source(source: str) -> str:
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


def _hash(source: str) -> str:
    from seglam_lang.cache.store import content_hash

    return content_hash(source.encode())


def _show(value: Any) -> str:
    from seglam_lang.runtime.values import format_value

    return format_value(value)


def _miss_detail(outcome: Outcome) -> str:
    if outcome.conflict:
        return "conflict: " + "; ".join(f"{h.family}.{h.proc} says {_show(h.value)}" for h in outcome.hits)
    if outcome.rejected:
        family, proc, reason = outcome.rejected[0]
        more = f" (+{len(outcome.rejected) - 1} more)" if len(outcome.rejected) > 1 else ""
        return f"{family}.{proc}: {reason}{more}"
    return "no trigger matches"


def _report_json(report: Any) -> str | None:
    to_json = getattr(report, "to_json", None)
    try:
        return json.dumps(to_json()) if to_json else None
    except (TypeError, ValueError):
        return None

