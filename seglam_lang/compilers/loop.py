"""The compile loop: ask the LLM, check its reply, send diagnostics back, stop when it verifies.

Owns `LLMCompiler`, the cache's `Compiler` for every backend: `compile(request, context)`
returns a `CompileResult` (compile / link / decline) or raises `CompilerError`.

One compile:
1. the first call sends the stable prefix and the request (with the nearest procedures and
   rejected cases); each reply is parsed (`protocol.parse_reply`);
2. `decline` returns the model's answer; nothing is cached;
3. `compile` / `link` become a candidate module with an `origin:` block written by SEGLAM
   (request, compiler, backend, model, created, rounds, tokens), which must pass every check
   of `checks.problems`; a failure sends the diagnostics back (the conversation continues)
   for at most `max_rounds` repair rounds;
4. when the rounds are spent, `CompilerError` says why the last reply failed.

Invariants: at most `1 + max_rounds` calls per compile, and at most `max_llm_calls` calls
over the compiler's life (None: no budget); every call's tokens are in the result (or in the
error's `usage`); a backend failure ends the compile at once (its retries are the backend's).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable

from seglam_lang.cache.compiler import CompileContext, CompileRequest, CompileResult
from seglam_lang.compilers import checks, prompt
from seglam_lang.compilers.backends import Backend, Completion, Usage
from seglam_lang.compilers.errors import CompilerError, PromptShown
from seglam_lang.compilers.protocol import Reply, ReplyError, parse_reply
from seglam_lang.runtime.limits import Limits

DEFAULT_MAX_ROUNDS = 3


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LLMCompiler:
    """A `Compiler` (see `seglam_lang.cache.compiler`) backed by an LLM `Backend`."""

    def __init__(self, backend: Backend, *, max_rounds: int = DEFAULT_MAX_ROUNDS, max_llm_calls: int | None = None,
                 show_prompt: Callable[[str], None] | None = None, limits: Limits | None = None,
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
        messages = [prompt.Message("user", prompt.first_message(request.text, context.nearest,
                                                                request.failing_cases, context.host))]
        usage = Usage()
        calls = 0
        compiler = self.label
        diagnostics: list[str] = []
        for round_ in range(self.max_rounds + 1):
            p = prompt.build(request.text, messages, round_)
            if self.show_prompt is not None:
                self.show_prompt(p.render())
                raise PromptShown("--show-prompt: the prompt was printed, not sent")
            completion = self._call(p, usage, calls)
            calls += 1
            usage += completion.usage
            compiler = completion.compiler or compiler
            raw_text = completion.reply if isinstance(completion.reply, str) else json.dumps(completion.reply,
                                                                                              ensure_ascii=False)
            try:
                reply = parse_reply(completion.reply)
            except ReplyError as e:
                diagnostics = [f"{e}. Reply with one JSON object only, as the protocol says"]
            else:
                if reply.action == "decline":
                    return self._result("decline", None, None, reply.answer, compiler, calls, usage)
                diagnostics, cand = self._check(reply, request, context, compiler, round_ + 1, usage)
                if not diagnostics:
                    assert cand is not None
                    return self._result(cand.kind, cand.source, cand.family, reply.answer, compiler, calls, usage)
            messages += [prompt.Message("assistant", raw_text or "(empty reply)"),
                         prompt.Message("user", prompt.repair_message(diagnostics, round_ + 1, self.max_rounds))]
        first = diagnostics[0].splitlines()[0] if diagnostics else "no reply"
        raise CompilerError(f"{compiler} did not produce a module that verifies after {calls} call(s) "
                            f"({self.max_rounds} repair round(s)); last problem: {first}",
                            _usage_json(calls, usage))

    def _call(self, p: prompt.Prompt, usage: Usage, calls: int) -> Completion:
        with self._lock:
            if self.max_llm_calls is not None and self.calls >= self.max_llm_calls:
                raise CompilerError(f"the LLM call budget is spent ({self.max_llm_calls} call(s), --max-llm-calls)",
                                    _usage_json(calls, usage))
            self.calls += 1
        try:
            return self.backend.complete(p)
        except CompilerError as e:
            e.usage = _usage_json(calls + 1, usage)  # the failed call counts: it may have been billed
            raise

    def _check(self, reply: Reply, request: CompileRequest, context: CompileContext, compiler: str,
               rounds: int, usage: Usage) -> tuple[list[str], checks.Candidate | None]:
        try:
            cand = checks.candidate(reply, context.nearest, context.families, request.failing_cases)
        except checks.Rejected as e:
            return [str(e)], None
        origin = self._origin(reply, request.text, compiler, rounds, usage, cand.kind)
        cand = checks.Candidate(cand.kind, cand.family, checks.set_origin(cand.source, origin))
        return checks.problems(cand, request.text, reply.answer, request.failing_cases, context, self.limits), cand

    def _origin(self, reply: Reply, request: str, compiler: str, rounds: int, usage: Usage,
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

    def _result(self, kind: str, source: str | None, family: str | None, answer: str, compiler: str, calls: int,
                usage: Usage) -> CompileResult:
        return CompileResult(kind, source=source, family=family, answer=answer, compiler=compiler,  # type: ignore[arg-type]
                             llm_calls=calls, tokens_in=usage.tokens_in, tokens_out=usage.tokens_out,
                             tokens_cache_read=usage.tokens_cache_read)


def _usage_json(calls: int, usage: Usage) -> dict[str, int]:
    return {"llm_calls": calls, **usage.to_json()}
