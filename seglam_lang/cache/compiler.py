"""The seam between the reasoning cache and an LLM compiler (issue "LLM compilers").

Owns: the `Compiler` protocol the cache calls on a miss, and the data that crosses it:
`CompileRequest` (what to compile), `CompileContext` (what the cache offers to help),
`CompileResult` (what came back). Nothing here imports an LLM SDK.

Contract:
- `compile(request, context)` returns one of three kinds of result:
  `compile` (a new module: `source`, stored as family `family` or a name derived from
  it), `link` (an existing family applies: `source` is the new full text of family
  `family`, typically with one more `@when`), or `decline` (not a procedural request:
  `answer` is returned to the caller, nothing is cached);
- the cache verifies every `compile`/`link` source itself before storing it (the
  compiler may verify and repair first, using `context.check`), then answers the
  request by matching it again: a stored procedure that does not answer the request
  that caused it is an error, not an answer;
- the token and call counts of the result go to the request log (statistics); a
  `CacheError` raised by `compile` is logged as a miss before it propagates, with the
  counts of its `usage` attribute (a dict: llm_calls, tokens_in, ...) when it has one,
  and not at all when its `dry_run` attribute is true (nothing was attempted);
- concurrent misses for one request (threads or processes) compile once: the cache holds
  a lock file per request around `compile`, and looks the request up again once it has it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

import attrs


@attrs.frozen
class FailingCase:
    """A case a person rejected: `request` should have answered `expected` (SGL literal)."""

    family: str
    request: str
    expected: str


@attrs.frozen
class NearProcedure:
    """An existing family whose triggers share words with the request."""

    family: str
    source: str


@attrs.frozen
class CompileRequest:
    text: str
    failing_cases: tuple[FailingCase, ...] = ()


@attrs.frozen
class CompileContext:
    """What the cache gives a compiler: nearby procedures, and `check(source, name)`:
    `(passed, diagnostics_text)` after parse, check and verification, as `add` would do."""

    nearest: tuple[NearProcedure, ...]
    check: Callable[[str, str], tuple[bool, str]]
    families: tuple[str, ...] = ()  # names already taken in the cache (a new family needs another)
    host: Mapping[str, Any] | None = None  # the cache's host functions: a module may call them


@attrs.frozen
class CompileResult:
    kind: Literal["compile", "link", "decline"]
    source: str | None = None
    family: str | None = None
    answer: Any = None  # for `decline`: the LLM's answer
    compiler: str = ""  # e.g. "anthropic/claude-sonnet-5" (goes to the module's origin)
    llm_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cache_read: int = 0


class Compiler(Protocol):
    """Anything with this method can be given to `ReasoningCache(compiler=...)`."""

    def compile(self, request: CompileRequest, context: CompileContext) -> CompileResult: ...
