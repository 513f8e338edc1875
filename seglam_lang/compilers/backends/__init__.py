"""LLM backends: one call in, one raw reply out.

Owns: the `Backend` protocol, `Completion` and `Usage`, and `from_spec(spec)`, which reads a
backend specification (`--compiler` / `$SGL_COMPILER`):

    anthropic[:MODEL]          the Anthropic Messages API (official SDK)
    openai:MODEL@BASE_URL      any OpenAI-compatible chat endpoint (llama.cpp, vLLM, Ollama...)
    replay:FILE.jsonl          recorded replies, keyed by a hash of the request

Invariants: parsing a specification imports no SDK (the hit path must stay light); a backend
raises `BackendError` with a one-line message for every failure it cannot retry away; its
`complete` returns the reply *raw* (a dict for a tool call, else text): parsing it is the
loop's job, so a malformed reply is a repair round, not a backend failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import attrs

from seglam_lang.compilers.errors import BackendError

if TYPE_CHECKING:  # the prompt module is imported with a backend, not with a spec check
    from seglam_lang.compilers.prompt import Prompt


@attrs.frozen
class Usage:
    """Tokens of one or more calls. `tokens_in` excludes tokens read from the provider's cache."""

    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cache_read: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.tokens_in + other.tokens_in, self.tokens_out + other.tokens_out,
                     self.tokens_cache_read + other.tokens_cache_read)

    def to_json(self) -> dict[str, int]:
        return attrs.asdict(self)


@attrs.frozen
class Completion:
    reply: str | dict[str, Any]
    usage: Usage = Usage()
    compiler: str | None = None  # who really answered, when not the backend itself (replay)


class Backend(Protocol):
    name: str  # "anthropic", "openai", "replay"
    model: str

    def complete(self, prompt: Prompt) -> Completion: ...


def from_spec(spec: str, **options: Any) -> Backend:
    """The backend a specification names; BackendError for a malformed one.

    `options` go to the backend's constructor (tests pass `http_client=`, `max_retries=`...).
    """
    problem = check_spec(spec)
    if problem:
        raise BackendError(problem)
    kind, _, rest = spec.strip().partition(":")
    if kind == "anthropic":
        from seglam_lang.compilers.backends.anthropic_api import AnthropicBackend

        return AnthropicBackend(rest or None, **options)
    if kind == "openai":
        from seglam_lang.compilers.backends.openai_compat import OpenAIBackend

        model, _, url = rest.partition("@")
        return OpenAIBackend(model, url or None, **options)
    from seglam_lang.compilers.backends.replay import ReplayBackend

    return ReplayBackend(rest, **options)


def check_spec(spec: str) -> str | None:
    """Why a specification is malformed (for a usage error before any work), or None."""
    kind, _, rest = spec.strip().partition(":")
    if kind == "anthropic":
        return None
    if kind == "openai":
        return None if rest.partition("@")[0] else "openai needs a model: openai:MODEL@BASE_URL"
    if kind == "replay":
        return None if rest else "replay needs a file: replay:FILE.jsonl"
    return f"unknown compiler {spec!r}: use anthropic[:MODEL], openai:MODEL@BASE_URL or replay:FILE.jsonl"
