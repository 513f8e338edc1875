"""Probation: the first hits of a newly stored version are also answered by the LLM.

Owns `Probation.hit(text, hit, t0)`, used by `ReasoningCache.ask` for a hit when the cache
was made with `probation=K > 0` (`sgl ask --probation K`). The first K hits of each
stored version (counted in the store, across processes: `Store.claim_probation`) are asked
of the compiler too, for an answer only (one call, as for a request it remembers), and the
two answers compared as `reject` compares an expected value (`answers_match`):
- they agree: the cached answer is served, the call counted (`llm_calls` 1);
- they disagree: the version is suspended and the request kept as a failing case with the
  LLM's answer, as `sgl cache reject` does (the next request of its kind recompiles with
  it), and the caller gets the LLM's answer (`hit` False).

Invariants:
- nothing here runs with probation off: `ReasoningCache.ask` tests one int before it
  imports this module, so a hit then costs what it costs without probation;
- a version that finished its probation is remembered in this process, so its later hits
  cost one set lookup, not a query;
- a probation call that fails (the backend, the budget) gives its slot back and serves the
  cached answer, with the failure in `problems`; a hit with probation on and no compiler
  is an error, never an unchecked answer passed off as checked.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from seglam_lang.cache.errors import CacheError
from seglam_lang.cache.llm_protocol import CompileContext, CompileRequest
from seglam_lang.cache.lookup import Answer, Lookup, show

if TYPE_CHECKING:
    from seglam_lang.cache.admission import Admission
    from seglam_lang.cache.llm_protocol import Compiler
    from seglam_lang.cache.matcher import Hit


class Probation:
    """Probation of new versions on one cache folder (thread-safe: the store counts)."""

    def __init__(self, lookup: Lookup, admission: Admission, hits: int) -> None:
        if hits < 0:
            raise ValueError("probation must be 0 or more hits")
        self.lookup = lookup
        self.admission = admission
        self.store = lookup.store
        self.hits = hits
        self._done: set[tuple[str, int]] = set()  # (family, version) past its probation

    def hit(self, text: str, hit: Hit, t0: float, compiler: Compiler | None) -> Answer:
        version = self.lookup.version(hit.family)
        key = (hit.family, version)
        if key in self._done:
            return self.lookup.hit(text, hit, t0)
        if not self.store.claim_probation(hit.family, version, self.hits):
            self._done.add(key)
            return self.lookup.hit(text, hit, t0)
        if compiler is None:
            self.store.release_probation(hit.family, version)
            raise CacheError(f"{hit.family} version {version} is on probation (its first {self.hits} hits are "
                             "checked by the LLM) and no compiler is configured")
        context = CompileContext((), self.admission.check_source, (), self.admission.host)
        try:
            result = compiler.compile(CompileRequest(text, answer_only=True), context)
            if result.answer is None:
                raise CacheError(f"the compiler gave no answer ({result.kind} result)")
        except Exception as e:
            self.store.release_probation(hit.family, version)
            problem = str(e) if isinstance(e, CacheError) else f"{type(e).__name__}: {e}"
            self.lookup.problems.append(f"probation of {hit.family} version {version}: the LLM call failed: {problem}")
            return self.lookup.hit(text, hit, t0, spent=context.meter.spent)
        spent = context.meter.spent
        module = self.lookup.load_family(hit.family)
        from seglam_lang.cache.admission import answers_match

        llm = str(result.answer)
        if module is not None and answers_match(hit.value, llm, module.procs[hit.proc].sig.returns):
            return self.lookup.hit(text, hit, t0, spent=spent)
        # A disagreement: the LLM is taken at its word, as a person's `reject` is.
        self.store.add_rejection(hit.family, text, llm)
        self.store.count_probation_failure(hit.family, version)
        elapsed = (time.perf_counter() - t0) * 1000
        self.lookup.log(text, "probation", spent, family=hit.family, version=version, answer=show(llm),
                        elapsed_ms=elapsed, detail=f"probation: {hit.family}.{hit.proc} answered "
                                                   f"{show(hit.value)}, the LLM {show(llm)}; suspended")
        self.lookup.problems.append(f"{hit.family} version {version} suspended on probation: it answered "
                                    f"{show(hit.value)} to {text!r}, the LLM {show(llm)}")
        return Answer(llm, False, None, None, {}, elapsed, spent.llm_calls)
