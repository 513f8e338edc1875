"""The miss path: a request no procedure answers is compiled by the configured LLM compiler.

Owns `MissPath.answer(text, compiler, t0)`: single flight (below), what the compiler is
offered (the nearest procedures, the cases a person rejected, the names taken), the call
through the `llm_protocol` seam, admission of the module it returns, and the accounting of
what it cost.

Single flight, by kind of request, across threads, processes and machines. A compile in flight
is a claim in the store (`CacheStore.claim_compile`: a folder's lock file, a PostgreSQL
claims row with a lease) held by its compiler and holding its request text. A miss
registers its own compile only when no compile in flight *may be of its kind*; otherwise it
waits for those compiles to end, matches again (a hit now costs no call) and, if it still
misses, tries again. Registration is atomic (under the store's writer lock), so of many
concurrent misses of one kind exactly one calls the LLM and the others hit when it is done.
"May be of its kind" (`may_share_kind`) compares the requests' words, numbers left out: at
least half of the smaller set of words is shared. Requests of unrelated kinds do not wait for
each other at all; a miss waits for a look-alike of another kind at most for that compile
(then compiles itself), and never longer than `WAIT_LIMIT_S` in all.

Invariants:
- every LLM call the compiler reports is logged, whatever happens next (a failed
  verification, a module that would not answer, an exception); a dry run (`prompt`) is not
  logged, since nothing was attempted;
- a module is stored only when, matched as if it were stored, it answers the request that
  caused it; otherwise nothing is stored and the compile fails with one line;
- a compile never replaces a family by accident: it replaces one only when the family
  existed when the compile began (a link, or the recompilation of a rejected family). A
  name another compile took meanwhile is left alone and the module is stored under the next
  free name (`name_2`, `name_3`...), unless that other family already answers the request;
- claims are ended by their holders, or end when a holder dies (see the store backends);
- failure memory: a request the compiler declined or gave up on (`NoModule`, or a module that
  would not answer) is remembered by its normalised text (`failure_key`) for
  `FAILURE_MEMORY_S`; asked again, the compiler is asked for an answer only (one call), not
  for a compile (up to 1 + its repair rounds). `sgl cache forget` clears the memory.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterable

from seglam_lang.cache.admission import Admission, NameTaken, Prepared, family_from_source
from seglam_lang.cache.errors import CacheError
from seglam_lang.cache.index import SUSPENDED, content_hash
from seglam_lang.cache.llm_protocol import (
    CompileContext,
    Compiler,
    CompileRequest,
    CompileResult,
    FailingCase,
    NearProcedure,
    NoModule,
)
from seglam_lang.cache.lookup import Answer, Lookup, miss_detail, show, trigger_index
from seglam_lang.cache.matcher import Hit, Matcher, Outcome, decode_anchors
from seglam_lang.syntax.trigger_templates import normalise, words

WAIT_LIMIT_S = 300.0  # the longest a miss waits for compiles of its kind before compiling itself
FAILURE_MEMORY_S = 7 * 86400.0  # how long a declined or failed request is answered without a compile


def failure_key(text: str) -> str:
    """A request's key in the failure memory: its normalised, casefolded text, hashed."""
    return content_hash(normalise(text).text.casefold().encode())


class WouldNotAnswer(CacheError):
    """A compiled module that would not answer the request that caused it (nothing stored)."""


def kind_words(text: str) -> frozenset[str]:
    """The words of a request that may belong to its kind: numbers are values, never kind."""
    return frozenset(w for w in words(text) if not w.isdigit())


def may_share_kind(a: frozenset[str], b: frozenset[str]) -> bool:
    """Could two requests with these `kind_words` be answered by one procedure?"""
    if not a or not b:
        return True  # nothing but numbers: nothing tells them apart
    return 2 * len(a & b) >= min(len(a), len(b))


class MissPath:
    """Compiles misses for one cache folder through one compiler."""

    def __init__(self, lookup: Lookup, admission: Admission) -> None:
        self.lookup = lookup
        self.admission = admission
        self.store = lookup.store

    def answer(self, text: str, compiler: Compiler, t0: float) -> Answer:
        with contextlib.ExitStack() as flight:
            answered = self._wait_or_register(text, flight, t0)
            if answered is not None:
                return answered
            return self._compile(text, compiler, t0)
        raise AssertionError("unreachable")  # for type checkers: an ExitStack swallows nothing here

    def _wait_or_register(self, text: str, flight: contextlib.ExitStack, t0: float) -> Answer | None:
        """Wait for compiles that may be of this request's kind: the answer when one of them
        answers it, else None once this miss holds its own in-flight lock (in `flight`)."""
        mine = kind_words(text)
        deadline = time.monotonic() + WAIT_LIMIT_S
        while True:
            with self.store.lock():
                others = [key for key, request in self.store.compiles_in_flight()
                          if may_share_kind(mine, kind_words(request))]
                if not others or time.monotonic() >= deadline:
                    flight.enter_context(self.store.claim_compile(text))
                    break
            for key in others:
                self.store.wait_compile(key, deadline)
            again = self.lookup.find(text)
            if again.hit is not None:  # a compile of its kind answers it now
                return self.lookup.hit(text, again.hit, t0)
        again = self.lookup.find(text)  # a compile may have ended between the last match and now
        if again.conflict:  # never compiled: see `Lookup.conflict`
            self.lookup.conflict(text, again, t0)
        return self.lookup.hit(text, again.hit, t0) if again.hit is not None else None

    def _compile(self, text: str, compiler: Compiler, t0: float) -> Answer:
        key = failure_key(text)
        remembered = self.store.failure(key, FAILURE_MEMORY_S)
        request = CompileRequest(text, tuple(self._failing_cases()), answer_only=remembered is not None)
        names = tuple(f.name for f in self.store.families())
        context = CompileContext(tuple(self._nearest(text)),
                                 functools.partial(self.admission.check_source, request=text, existing=names), names,
                                 self.admission.host)
        try:
            result = compiler.compile(request, context)
            if result.kind == "prompt":  # a dry run: nothing was attempted, nothing is logged
                return Answer(None, False, None, None, {}, (time.perf_counter() - t0) * 1000, prompt=result.prompt)
            if result.kind == "decline":
                elapsed = (time.perf_counter() - t0) * 1000
                spent = context.meter.spent
                if remembered is None:
                    self.store.remember_failure(key, text, "declined", "the compiler declined it")
                detail = f"answer only: {remembered[0]} before ({remembered[1]})" if remembered else None
                self.lookup.log(text, "declined", spent, answer=show(result.answer), elapsed_ms=elapsed, detail=detail)
                return Answer(result.answer, False, None, None, {}, elapsed, spent.llm_calls)
            hit = self._admit(text, result, context)
        except (NoModule, WouldNotAnswer) as e:
            self.store.remember_failure(key, text, "failed", str(e))
            self._log_failure(text, context, t0, e)
            raise
        except BaseException as e:
            self._log_failure(text, context, t0, e)
            raise
        return self.lookup.hit(text, hit, t0, outcome="compiled", spent=context.meter.spent)

    def _log_failure(self, text: str, context: CompileContext, t0: float, e: BaseException) -> None:
        """Whatever failed, the calls made so far were paid for: they are counted."""
        problem = str(e) if isinstance(e, CacheError) else f"{type(e).__name__}: {e}"
        self.lookup.log(text, "miss", context.meter.spent, elapsed_ms=(time.perf_counter() - t0) * 1000,
                        detail=f"compile failed: {problem}")

    def _admit(self, text: str, result: CompileResult, context: CompileContext) -> Hit:
        """Verify and store a compiled (or linked) module, then answer `text` from it."""
        if not result.source:
            raise CacheError(f"the compiler returned a {result.kind!r} result without source")
        family = result.family or family_from_source(result.source)
        prepared = self.admission.prepare(result.source, family)
        # Nothing is stored that would not answer the request that caused it (a conflict with
        # another family, say): refused here, the compile leaves no family behind.
        trial = self._trial(text, prepared)
        if trial.hit is None:
            raise WouldNotAnswer(f"the compiled procedure {family} would not answer this request "
                                 f"({miss_detail(trial)}); nothing was stored")
        if family in context.families:  # it existed when the compile began: a link or a recompilation
            self.admission.admit_replacement(prepared, request=text)
        else:
            verification = self.admission.verify(prepared.module)
            while True:
                try:
                    self.admission.admit_new(prepared, verification=verification, request=text)
                    break
                except NameTaken:  # another compile stored this name meanwhile: never replace it
                    again = self.lookup.find(text)
                    if again.hit is not None:
                        return again.hit
                    prepared = self.admission.prepare(result.source, self._free_name(family))
        again = self.lookup.find(text)
        if again.hit is None:
            raise CacheError(f"the compiled procedure {prepared.name} was stored but does not answer this "
                             f"request ({miss_detail(again)})")
        return again.hit

    def _free_name(self, name: str) -> str:
        taken = {f.name for f in self.store.families()}
        family, n = name, 2
        while family in taken:
            family, n = f"{name}_{n}", n + 1
        return family

    def _trial(self, text: str, prepared: Prepared) -> Outcome:
        """Match `text` as if `prepared` were stored (its triggers replacing its family's)."""
        self.lookup.refresh()
        family = prepared.name
        rows = [t for t in self.store.triggers() if t.family != family] + list(prepared.triggers)
        return Matcher(trigger_index(rows), lambda f: prepared.module if f == family else self.lookup.load_family(f),
                       self.lookup.limits).find(text)

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

