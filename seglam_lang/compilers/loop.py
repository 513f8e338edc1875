"""The compile loop: ask the LLM, check its reply, send diagnostics back, stop when it verifies.

Owns `LLMCompiler`, the cache's `Compiler` for every backend: `compile(request, context)`
returns a `CompileResult` (compile / link / decline, or the prompt itself when `show_prompt`
is set) or raises `CompilerError`.

One compile:
1. the first call sends the stable prefix and the request (with the nearest procedures and
   rejected cases); each reply is parsed (`protocol.parse_reply`);
2. `decline` returns the model's answer; nothing is cached;
3. `compile` / `link` become a candidate module with an `origin:` block written by SEGLAM
   (request, compiler, backend, model, created, rounds, tokens), which must pass every check
   of `checks.review`; a failure sends the diagnostics back (the conversation continues)
   for at most `max_rounds` repair rounds;
4. a module that verifies with warnings (an untested precondition) is sent back too while
   rounds are left; when they are spent it is the result, warnings and all (they are in its
   verification record), and so is the last module that verified with warnings when the
   replies after it failed;
5. when the rounds are spent with no module that verified, `CompilerError` says why the
   last reply failed.

Invariants: at most `1 + max_rounds` calls per compile, and at most `max_llm_calls` calls
over the compiler's life (None: no budget); every call is charged to `context.meter` as soon
as it returns or fails, before anything else can go wrong; a backend failure ends the compile
at once (its retries are the backend's).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable

from seglam_lang.cache.llm_protocol import CompileContext, CompileRequest, CompileResult, Meter, Spend
from seglam_lang.cache.provenance import with_origin
from seglam_lang.compilers import checks, prompt
from seglam_lang.compilers.backends import Backend, Completion
from seglam_lang.compilers.errors import CompilerError, RoundsSpent
from seglam_lang.compilers.protocol import Reply, ReplyError, parse_reply
from seglam_lang.runtime.limits import Limits

DEFAULT_MAX_ROUNDS = 3


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LLMCompiler:
    """A `Compiler` (see `seglam_lang.cache.llm_protocol`) backed by an LLM `Backend`."""

    def __init__(self, backend: Backend, *, max_rounds: int = DEFAULT_MAX_ROUNDS, max_llm_calls: int | None = None,
                 show_prompt: bool = False, limits: Limits | None = None,
                 clock: Callable[[], str] = _now) -> None:
        if max_rounds < 0 or (max_llm_calls is not None and max_llm_calls < 0):
            raise ValueError("max_rounds and max_llm_calls must not be negative")
        self.backend = backend
        self.max_rounds = max_rounds
        self.max_llm_calls = max_llm_calls
        self.show_prompt = show_prompt
        self.limits = limits
        self.clock = clock
        self.calls = 0  # over this compiler's life, for the max_llm_calls budget
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        return f"{self.backend.name}/{self.backend.model}"

    def compile(self, request: CompileRequest, context: CompileContext) -> CompileResult:
        if request.answer_only:
            return self._answer_only(request, context)
        messages = [prompt.Message("user", prompt.first_message(request.text, context.nearest,
                                                                request.failing_cases, context.host))]
        calls = 0
        compiler = self.label
        diagnostics: list[str] = []
        fallback: CompileResult | None = None  # the last reply that verified, with warnings
        for round_ in range(self.max_rounds + 1):
            p = prompt.build(request.text, messages, round_)
            if self.show_prompt:  # a dry run: the prompt is the result; nothing is sent
                return CompileResult("prompt", prompt=p.render(), compiler=compiler)
            completion = self._call(p, context.meter)
            calls += 1
            compiler = completion.compiler or compiler
            raw_text = completion.reply if isinstance(completion.reply, str) else json.dumps(completion.reply,
                                                                                              ensure_ascii=False)
            try:
                reply = parse_reply(completion.reply)
            except ReplyError as e:
                diagnostics = [f"{e}. Reply with one JSON object only, as the protocol says"]
            else:
                if reply.action == "decline":
                    return CompileResult("decline", answer=reply.answer, compiler=compiler)
                found, cand = self._check(reply, request, context, compiler, round_ + 1)
                diagnostics = found.problems or found.warnings
                if not found.problems:
                    assert cand is not None
                    result = CompileResult(cand.kind, source=cand.source, family=cand.family,  # type: ignore[arg-type]
                                           answer=reply.answer, compiler=compiler)
                    # Warnings ask for a repair while rounds are left; then the module is stored
                    # with them (they are in its verification record).
                    if not found.warnings or round_ == self.max_rounds:
                        return result
                    fallback = result
            if round_ == self.max_rounds:
                break
            messages += [prompt.Message("assistant", raw_text or "(empty reply)"),
                         prompt.Message("user", prompt.repair_message(diagnostics, round_ + 1, self.max_rounds))]
        if fallback is not None:  # a repair of the warnings failed: keep the module that verified
            return fallback
        first = diagnostics[0].splitlines()[0] if diagnostics else "no reply"
        raise RoundsSpent(f"{compiler} did not produce a module that verifies after {calls} call(s) "
                          f"({self.max_rounds} repair round(s)); last problem: {first}")

    def _answer_only(self, request: CompileRequest, context: CompileContext) -> CompileResult:
        """One call for the answer to a request the cache remembers as declined or failed."""
        p = prompt.build(request.text, [prompt.Message("user", prompt.answer_only_message(request.text))], 0)
        if self.show_prompt:
            return CompileResult("prompt", prompt=p.render(), compiler=self.label)
        completion = self._call(p, context.meter)
        compiler = completion.compiler or self.label
        try:
            reply = parse_reply(completion.reply)
        except ReplyError as e:
            raise CompilerError(f"{compiler} did not answer: {e}") from None
        return CompileResult("decline", answer=reply.answer, compiler=compiler)

    def _call(self, p: prompt.Prompt, meter: Meter) -> Completion:
        with self._lock:
            if self.max_llm_calls is not None and self.calls >= self.max_llm_calls:
                raise CompilerError(f"the LLM call budget is spent ({self.max_llm_calls} call(s), --max-llm-calls)")
            self.calls += 1
        try:
            completion = self.backend.complete(p)
        except BaseException:
            meter.charge(Spend(llm_calls=1))  # a failed call counts: it may have been billed
            raise
        u = completion.usage
        meter.charge(Spend(1, u.tokens_in, u.tokens_out, u.tokens_cache_read))
        return completion

    def _check(self, reply: Reply, request: CompileRequest, context: CompileContext, compiler: str,
               rounds: int) -> tuple[checks.Review, checks.Candidate | None]:
        try:
            cand = checks.candidate(reply, context.nearest, context.families, request.failing_cases)
        except checks.Rejected as e:
            return checks.Review([str(e)]), None
        origin = self._origin(reply, request.text, compiler, rounds, context.meter.spent, cand.kind)
        cand = checks.Candidate(cand.kind, cand.family, with_origin(cand.source, origin))
        return checks.review(cand, request.text, reply.answer, request.failing_cases, context, self.limits), cand

    def _origin(self, reply: Reply, request: str, compiler: str, rounds: int, usage: Spend,
                kind: str) -> dict[str, str]:
        tokens = f"in {usage.tokens_in}, out {usage.tokens_out}, cache-read {usage.tokens_cache_read}"
        backend, _, model = compiler.partition("/")
        if kind == "link":  # the family keeps its own origin; the link is recorded beside it
            return {"linked_request": request, "linked_by": compiler, "linked_at": self.clock(),
                    "linked_rounds": str(rounds), "linked_tokens": tokens}
        entries = {"request": request, "compiler": compiler, "backend": backend, "model": model,
                   "created": self.clock(), "rounds": str(rounds), "tokens": tokens}
        if reply.notes:
            entries["notes"] = reply.notes
        return entries
