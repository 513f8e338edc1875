"""LLM compilers: the reasoning cache's miss path (a request in, a verified SGL module out).

Owns the public entry points:
- `configured(spec=None, *, record=None, max_rounds=3, max_llm_calls=None, show_prompt=None)`:
  the compiler for this environment, or None when none is configured. `spec` (else
  `$SGL_COMPILER`) names a backend (`anthropic[:MODEL]`, `openai:MODEL@BASE_URL`,
  `replay:FILE.jsonl`); with neither, `anthropic` when `ANTHROPIC_API_KEY` is set;
- `check_spec(spec)`: why a specification is malformed (cheap; for the CLI's usage errors).

Layout: `protocol` (the JSON reply), `reference` (the SGL card generated from spec/),
`prompt` (stable prefix + variable part), `checks` (reply -> candidate module -> problems),
`loop` (`LLMCompiler`: calls, repair rounds, origin, accounting), `backends/` (Anthropic,
OpenAI-compatible, replay and recording), `errors`.

Invariant: importing this package imports no LLM SDK, no verifier and no runtime; they are
imported when a compiler is built (on a miss), so the cache's hit path stays light.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from seglam_lang.compilers.backends import check_spec

__all__ = ["check_spec", "configured"]


def configured(spec: str | None = None, *, record: str | None = None, max_rounds: int = 3,
               max_llm_calls: int | None = None, show_prompt: Callable[[str], None] | None = None,
               **backend_options: Any) -> Any:
    """The `LLMCompiler` for `spec` (else `$SGL_COMPILER`, else Anthropic when `ANTHROPIC_API_KEY`
    is set), or None when no compiler is configured. Raises `CompilerError` for a bad spec."""
    spec = spec or os.environ.get("SGL_COMPILER") or ("anthropic" if os.environ.get("ANTHROPIC_API_KEY") else None)
    if spec is None:
        return None
    from seglam_lang.compilers.backends import from_spec
    from seglam_lang.compilers.backends.replay import Recorder
    from seglam_lang.compilers.loop import LLMCompiler

    backend = from_spec(spec, **backend_options)
    if record:
        backend = Recorder(backend, record)
    return LLMCompiler(backend, max_rounds=max_rounds, max_llm_calls=max_llm_calls, show_prompt=show_prompt)
