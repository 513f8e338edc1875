"""LLM compilers: the reasoning cache's miss path (a request in, a verified SGL module out).

Owns the public entry points:
- `configured(spec=None, *, record=None, max_rounds=3, max_llm_calls=None, show_prompt=False)`:
  the compiler for this environment, or None when none is configured. `spec` (else
  `$SGL_COMPILER`) names a backend (`anthropic[:MODEL]`, `openai:MODEL@BASE_URL`,
  `replay:FILE.jsonl`); with neither, `anthropic` when `ANTHROPIC_API_KEY` is set
  (`resolve_spec`);
- `Deferred(build)`: a compiler built on the first miss (what `sgl ask` gives the cache);
- `check_spec(spec)`: why a specification is malformed (cheap; for the CLI's usage errors).

Layout: `protocol` (the JSON reply), `reference` (the SGL card generated from spec/),
`prompt` (stable prefix + variable part), `checks` (reply -> candidate module -> problems),
`loop` (`LLMCompiler`: calls, repair rounds, origin, accounting), `backends/` (Anthropic,
OpenAI-compatible, replay and recording), `errors`.

Invariant: importing this package imports no LLM SDK, no verifier and no runtime; they are
imported when a compiler is built (on a miss), so the cache's hit path stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from seglam_lang.settings import env

if TYPE_CHECKING:
    from seglam_lang.cache.llm_protocol import CompileContext, Compiler, CompileRequest, CompileResult
    from seglam_lang.compilers.backends import check_spec
    from seglam_lang.compilers.errors import BackendError, CompilerError
    from seglam_lang.compilers.loop import LLMCompiler

__all__ = ["BackendError", "CompilerError", "Deferred", "check_spec", "configured", "resolve_spec"]


def resolve_spec(spec: str | None = None) -> str | None:
    """The backend specification in force: `spec`, else `$SGL_COMPILER`, else `anthropic` when
    `ANTHROPIC_API_KEY` is set, else None (no compiler)."""
    return spec or env("SGL_COMPILER") or ("anthropic" if env("ANTHROPIC_API_KEY") else None)


def configured(spec: str | None = None, *, record: str | None = None, max_rounds: int = 3,
               max_llm_calls: int | None = None, show_prompt: bool = False,
               **backend_options: Any) -> LLMCompiler | None:
    """The `LLMCompiler` for `resolve_spec(spec)`, or None when no compiler is configured.
    Raises `CompilerError` for a bad spec or a backend that cannot be set up."""
    spec = resolve_spec(spec)
    if spec is None:
        return None
    from seglam_lang.compilers.backends import from_spec
    from seglam_lang.compilers.backends.replay import Recorder
    from seglam_lang.compilers.loop import LLMCompiler

    backend = from_spec(spec, **backend_options)
    if record:
        backend = Recorder(backend, record)
    return LLMCompiler(backend, max_rounds=max_rounds, max_llm_calls=max_llm_calls, show_prompt=show_prompt)


class Deferred:
    """A `Compiler` that builds the real one (`build()`) on its first miss, so that a hit never
    pays for the SDK, the prompt or the loop, and a request is asked (and logged) once."""

    def __init__(self, build: Callable[[], Compiler | None]) -> None:
        self._build = build
        self._compiler: Compiler | None = None

    def compile(self, request: CompileRequest, context: CompileContext) -> CompileResult:
        if self._compiler is None:
            self._compiler = self._build()
            assert self._compiler is not None, "Deferred is built only when a compiler is configured"
        return self._compiler.compile(request, context)


_LAZY = {"check_spec": "seglam_lang.compilers.backends", "BackendError": "seglam_lang.compilers.errors",
         "CompilerError": "seglam_lang.compilers.errors"}


def __getattr__(name: str) -> Any:
    """`check_spec` and the errors, imported on first use: `sgl ask` on a hit asks only
    `resolve_spec` (no backend table, no protocol types)."""
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seglam_lang.compilers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
