"""The hot path: answer a request from the procedures already in the cache.

Owns `Lookup` (the in-memory trigger index of one cache folder, the modules loaded from it,
`find(text) -> Outcome`, `hit(...) -> Answer`, `solve` with structured inputs), `Answer`,
and how a miss is described (`miss_detail`).

Invariants:
- nothing here imports the verifier (Hypothesis), the parser tables beyond what loading a
  module needs, or any LLM SDK; a module is parsed once per process (on first use) and kept
  while its index entry is unchanged;
- any change to the store (this process's or another's) is noticed on the next `find`
  (`CacheStore.generation`, bumped by every change but the request log; a store that pushes
  changes, PostgreSQL, has `refresh` called from its listener thread as soon as one is
  announced), and a thread that sees a generation also sees the index built for it;
- a hit reads nothing from the store when the family's module is loaded: the generation
  of a pushing store is kept in memory, and the request log may be batched by the store;
- a family runs only when active and its file matches the index (see `store`), and only
  through triggers its file declares: when a module is loaded, the index's triggers for it
  are compared with the module's own; a stored module that no longer loads, or whose
  triggers the index misstates, is marked tampered and reported in `problems`, never run.
"""

from __future__ import annotations

import decimal
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from seglam_lang.cache.errors import CacheError, CacheMiss
from seglam_lang.cache.index import ACTIVE, TAMPERED, CacheStore, FamilyRow, TriggerRow
from seglam_lang.cache.matcher import (
    Hit,
    Matcher,
    Outcome,
    Trigger,
    TriggerIndex,
    decode_anchors,
    encode_anchors,
    trigger_anchors,
)
from seglam_lang.errors import SglError
from seglam_lang.runtime.limits import Limits

if TYPE_CHECKING:
    from seglam_lang.cache.llm_protocol import Spend
    from seglam_lang.runtime.embedding import Module


class Answer:
    """How a request was answered. `answer` and `args` are plain Python values, exactly as
    `Module.call` returns them (a record is a dict); `value` and `arg_values` are the same
    as SGL values (for `format_value` and typed JSON). `elapsed_ms` is the answer path
    (match, read, run, and a compile on a miss); `load_ms` is the part of the request spent
    loading (parsing and checking) stored modules, once per module and process. `prompt` is
    set (and `value` None) only for a dry run that shows the compiler's prompt instead of
    sending it. Made on every hit: a plain slotted class (a `frozen` one costs three times
    as much to make); a record of what happened, not to be changed."""

    __slots__ = ("arg_values", "elapsed_ms", "hit", "llm_calls", "load_ms", "procedure", "prompt", "value",
                 "version")

    def __init__(self, value: Any, hit: bool, procedure: str | None, version: int | None,
                 arg_values: dict[str, Any], elapsed_ms: float, llm_calls: int = 0, prompt: str | None = None,
                 load_ms: float = 0.0) -> None:
        self.value = value
        self.hit = hit
        self.procedure = procedure  # "family.proc"
        self.version = version
        self.arg_values = arg_values
        self.elapsed_ms = elapsed_ms
        self.llm_calls = llm_calls
        self.prompt = prompt
        self.load_ms = load_ms

    def __repr__(self) -> str:
        return (f"Answer(value={self.value!r}, hit={self.hit}, procedure={self.procedure!r}, version={self.version}, "
                f"arg_values={self.arg_values!r}, elapsed_ms={self.elapsed_ms:.3f}, llm_calls={self.llm_calls})")

    @property
    def answer(self) -> Any:
        from seglam_lang.runtime.values import to_python

        return to_python(self.value)

    @property
    def args(self) -> dict[str, Any]:
        from seglam_lang.runtime.values import to_python

        return {k: to_python(v) for k, v in self.arg_values.items()}


def load_module(source: str, name: str, limits: Limits | None, host: Mapping[str, Any] | None,
                served: bool = False) -> Module:
    """A stored module loaded as `seglam_lang.loads` loads it. `served`: for answering requests
    only (the hit path), from its image when an earlier process left one (`runtime.jit.image`:
    no parsing or checking); verification and admission load the full way."""
    from seglam_lang.runtime.embedding import loads

    return loads(source, name, limits=limits, host=host or None, image=served)


def trigger_rows(module: Module) -> list[TriggerRow]:
    """The index rows of a loaded module's triggers (loading checked them: `check.triggers`)."""
    return [TriggerRow(module.name, proc, trig.pattern, trig.is_regex,
                       encode_anchors(trigger_anchors(trig.pattern, trig.is_regex)))
            for proc, info in module.procs.items() for trig in info.triggers]


def trigger_index(rows: list[TriggerRow]) -> TriggerIndex:
    return TriggerIndex(Trigger(t.family, t.proc, t.pattern, t.is_regex, decode_anchors(t.anchors)) for t in rows)


def answer_of(module: Module, triggers: tuple[TriggerRow, ...], request: str, limits: Limits | None) -> Outcome:
    """How `module` (with these triggers) answers `request`, ignoring every other family."""
    return Matcher(trigger_index(list(triggers)), lambda _family: module, limits).find(request)


LOGGED_ANSWER_CHARS = 2_000  # an answer in the request log or a message is capped: it is a record, not the answer
_SMALL = 10**18


def show(value: object) -> str:
    """An answer for the log and for messages: its SGL text, capped at LOGGED_ANSWER_CHARS."""
    if value is None or type(value) is bool or (type(value) is int and -_SMALL < value < _SMALL):
        return str(value)  # the commonest answers: their SGL literal is Python's str (on every hit)
    from seglam_lang.runtime.values import format_value_capped

    return format_value_capped(value, LOGGED_ANSWER_CHARS)


class _Shown:
    """An answer in the request log, formatted by `show` when its batch is written (off the
    answer's path). Only for immutable values: what is written is what was answered."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return show(self.value)


_FORMATTED_LATER = frozenset({str, float, decimal.Decimal})  # immutable, and several µs to format


def logged_answer(value: object) -> object:
    """What the request log is given for an answer (see `CacheStore.log_request`)."""
    return _Shown(value) if type(value) in _FORMATTED_LATER else show(value)


def miss_detail(outcome: Outcome) -> str:
    """Why a lookup did not hit, in one line."""
    if outcome.conflict:
        return "conflict: " + "; ".join(f"{h.family}.{h.proc} says {show(h.value)}" for h in outcome.hits)
    if outcome.rejected:
        family, proc, reason = outcome.rejected[0]
        more = f" (+{len(outcome.rejected) - 1} more)" if len(outcome.rejected) > 1 else ""
        return f"{family}.{proc}: {reason}{more}"
    return "no trigger matches"


class Lookup:
    """The cache folder's procedures as this process sees them. Thread-safe."""

    def __init__(self, store: CacheStore, limits: Limits | None, host: Mapping[str, Any] | None,
                 log_requests: bool) -> None:
        self.store = store
        self.limits = limits
        self.host = dict(host or {})  # host functions cached procedures may call, as with `seglam_lang.load`
        self.log_requests = log_requests
        self._modules: dict[str, tuple[str, Module]] = {}  # family -> (hash, loaded module)
        self._families: dict[str, FamilyRow] = {}
        self._served: dict[str, set[tuple[str, str, bool]]] = {}  # family -> the triggers the index serves
        self._seen_version: int | None = None
        self._refresh_lock = threading.Lock()
        self._loading = threading.local()  # per thread: ms spent loading modules since `start`
        self.matcher = Matcher(TriggerIndex(), self.load_family, limits)
        self.problems: list[str] = []  # tampered files and the like, found while answering
        store.watch(self.refresh)  # a store that pushes changes has the index rebuilt off the hot path

    def refresh(self) -> None:
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
            rows = self.store.triggers()
            self._served = {}
            for t in rows:
                self._served.setdefault(t.family, set()).add((t.proc, t.pattern, t.is_regex))
            self.matcher = Matcher(trigger_index(rows), self.load_family, self.limits)
            # Last: a thread that sees this version must also see the index built for it.
            self._seen_version = version

    def load_family(self, family: str) -> Module | None:
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
        t0 = time.perf_counter()
        try:
            module = load_module(source, family, self.limits, self.host, served=True)
        except SglError as e:
            problem = f"{family}: stored module no longer loads: {e}"
            self.problems.append(problem)
            self.store.set_status(family, TAMPERED, problem)
            return None
        finally:
            self._loading.ms = self.load_ms() + (time.perf_counter() - t0) * 1000
        if {(t.proc, t.pattern, t.is_regex) for t in trigger_rows(module)} != self._served.get(family, set()):
            # The index serves triggers its file does not have (an edited index): never trusted.
            problem = f"{family}: the index's triggers do not match its file; run `sgl cache reindex`"
            self.problems.append(problem)
            self.store.set_status(family, TAMPERED, problem)
            return None
        self._modules[family] = (row.hash, module)
        return module

    def start(self) -> float:
        """Start timing one request in this thread: its t0."""
        self._loading.ms = 0.0
        return time.perf_counter()

    def load_ms(self) -> float:
        """Milliseconds this thread spent loading modules since `start`."""
        return getattr(self._loading, "ms", 0.0)

    def find(self, text: str) -> Outcome:
        """Match a request against the cache without logging or compiling."""
        self.refresh()
        return self.matcher.find(text)

    def version(self, family: str) -> int:
        return self._families[family].version

    def log(self, text: str, outcome: str, spent: Spend | None = None, **fields: Any) -> None:
        """One row of the request log (when logging is on): what happened and what it cost
        (`spent`: the LLM's part; None when nothing was spent, as on a hit)."""
        if not self.log_requests:
            return
        if spent is None:
            self.store.log_request(text, outcome, **fields)
        else:
            self.store.log_request(text, outcome, llm_calls=spent.llm_calls, tokens_in=spent.tokens_in,
                                   tokens_out=spent.tokens_out, tokens_cache_read=spent.tokens_cache_read, **fields)

    def conflict(self, text: str, outcome: Outcome, t0: float) -> NoReturn:
        """Families disagree on the request: it is logged as a conflict (`stats` counts them)
        and not compiled, since one more procedure cannot settle a disagreement (it would only
        be stored beside them, and compiled again on every ask). A person rejects the wrong one."""
        detail = miss_detail(outcome)
        names = ", ".join(sorted({f"{h.family}.{h.proc}" for h in outcome.hits}))
        self.problems.append(f"conflict for {text!r}: {names} disagree")
        self.log(text, "conflict", elapsed_ms=(time.perf_counter() - t0) * 1000, detail=detail)
        raise CacheMiss(f"no answer: cached procedures disagree on this request ({detail}); reject the wrong one "
                        "with `sgl cache reject FAMILY REQUEST EXPECTED`", outcome)

    def hit(self, text: str, hit: Hit, t0: float, *, outcome: str = "hit", spent: Spend | None = None) -> Answer:
        """The answer of a hit (logged as `outcome`: a plain hit, or the end of a compile)."""
        version = self._families[hit.family].version
        load = getattr(self._loading, "ms", 0.0)
        elapsed = (time.perf_counter() - t0) * 1000 - load
        if self.log_requests:
            self.log(text, outcome, spent, family=hit.family, version=version, answer=logged_answer(hit.value),
                     elapsed_ms=elapsed)
        return Answer(hit.value, outcome == "hit", hit.procedure, version, hit.args, elapsed,
                      spent.llm_calls if spent is not None else 0, None, load)

    def solve(self, target: str, inputs: dict[str, Any]) -> Answer:
        """Run a procedure with structured inputs: `target` is `family.proc`, a proc name,
        or the exact text of one of its templates. Inputs are Python values."""
        from seglam_lang.runtime.values import from_python

        t0 = time.perf_counter()
        self.refresh()
        family, proc = self._resolve(target)
        module = self.load_family(family)
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
        return Answer(value, True, f"{family}.{proc}", self.version(family), args,
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
        module = self.load_family(family)
        if module is not None and proc not in module.procs:
            raise CacheError(f"{family} has no procedure {proc!r}")
        return family, proc
