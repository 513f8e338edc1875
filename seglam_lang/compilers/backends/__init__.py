"""LLM backends: one call in, one raw reply out.

Owns `from_spec(spec)`, which reads a backend specification (`--compiler` / `$SGL_COMPILER`);
the `Backend` protocol, `Completion` and `Usage` are in `base` (re-exported here):

    anthropic[:MODEL]          the Anthropic Messages API (official SDK)
    openai:MODEL@BASE_URL      any OpenAI-compatible chat endpoint (llama.cpp, vLLM, Ollama...)
    replay:FILE.jsonl          recorded replies, keyed by a hash of the request

Invariants: parsing a specification imports no SDK (the hit path must stay light); a backend
raises `BackendError` with a one-line message for every failure it cannot retry away; its
`complete` returns the reply *raw* (a dict for a tool call, else text): parsing it is the
loop's job, so a malformed reply is a repair round, not a backend failure.
"""

from __future__ import annotations

from typing import Any

from seglam_lang.compilers.backends.base import Backend, Completion, Usage
from seglam_lang.compilers.errors import BackendError


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


__all__ = ["Backend", "Completion", "Usage", "check_spec", "from_spec"]
