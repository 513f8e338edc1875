"""The protocol between the reasoning cache and an LLM compiler (the cache's miss path).

Owns: the `Compiler` protocol the cache calls on a miss, and the data that crosses it:
`CompileRequest` (what to compile), `CompileContext` (what the cache offers to help, and the
`Meter` the compiler charges its calls to), `CompileResult` (what came back), `Spend` (what
calls cost). Nothing here imports an LLM SDK; the backends live in `seglam_lang.compilers`.

Contract:
- `compile(request, context)` returns one of four kinds of result:
  `compile` (a new module: `source`, stored as family `family` or a name derived from
  it), `link` (an existing family applies: `source` is the new full text of family
  `family`, typically with one more `@when`), `decline` (not a procedural request:
  `answer` is returned to the caller, nothing is cached), or `prompt` (a dry run,
  `--show-prompt`: `prompt` is the text that would have been sent; nothing was attempted,
  so nothing is logged or stored);
- the cache verifies every `compile`/`link` source itself before storing it (the
  compiler may verify and repair first, using `context.check`), refuses one that would
  not answer the request that caused it, then answers the request by matching it again;
- a compiler reports every LLM call as soon as it is made, to `context.meter`
  (`Meter.charge`), failed calls included (they may have been billed). The cache logs what
  the meter holds whatever happens next: a result, a failed verification, an exception;
- a compiler that gives up on a request (rounds spent) raises `NoModule`; a request it
  gave up on, or declined, is remembered by the cache and asked again with `answer_only`;
- concurrent misses are compiled once: see `seglam_lang.cache.miss` for the policy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

from seglam_lang.cache.errors import CacheError
from seglam_lang.frozen import field, frozen


@frozen
class Spend:
    """What LLM calls cost: how many, and their tokens (`tokens_in` excludes cache reads)."""

    llm_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cache_read: int = 0

    def __add__(self, other: Spend) -> Spend:
        return Spend(self.llm_calls + other.llm_calls, self.tokens_in + other.tokens_in,
                     self.tokens_out + other.tokens_out, self.tokens_cache_read + other.tokens_cache_read)


class Meter:
    """The running cost of one compile, charged call by call (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spent = Spend()

    def charge(self, spend: Spend) -> None:
        with self._lock:
            self._spent += spend

    @property
    def spent(self) -> Spend:
        with self._lock:
            return self._spent


@frozen
class FailingCase:
    """A case a person rejected: `request` should have answered `expected` (SGL literal)."""

    family: str
    request: str
    expected: str


@frozen
class NearProcedure:
    """An existing family whose triggers share words with the request."""

    family: str
    source: str


@frozen
class CompileRequest:
    """What to compile. `answer_only`: this request was declined or failed to compile before
    (the cache remembers it), so the compiler makes one call for an answer and writes no
    module: it returns a `decline` result."""

    text: str
    failing_cases: tuple[FailingCase, ...] = ()
    answer_only: bool = False


@frozen
class CompileContext:
    """What the cache gives a compiler: nearby procedures, and `check(source, name)`:
    `(passed, diagnostics_text)` after parse, check and verification, as `add` would do; on a
    pass, the text's first line is the summary and each further line a warning (`add` stores
    the module with them, a compiler may ask for a repair)."""

    nearest: tuple[NearProcedure, ...]
    check: Callable[[str, str], tuple[bool, str]]
    families: tuple[str, ...] = ()  # names already taken in the cache (a new family needs another)
    host: Mapping[str, Any] | None = None  # the cache's host functions: a module may call them
    meter: Meter = field(factory=Meter)  # where the compiler reports each LLM call it makes


@frozen
class CompileResult:
    kind: Literal["compile", "link", "decline", "prompt"]
    source: str | None = None
    family: str | None = None
    answer: Any = None  # for `decline`: the LLM's answer
    compiler: str = ""  # e.g. "anthropic/claude-sonnet-5" (goes to the module's origin)
    prompt: str | None = None  # for `prompt`: the text that would have been sent


class NoModule(CacheError):
    """The compiler gave up on a request: no module it wrote verifies (its repair rounds are
    spent). The cache remembers the request, so asking it again costs one call, not a compile."""


class Compiler(Protocol):
    """Anything with this method can be given to `ReasoningCache(compiler=...)`."""

    def compile(self, request: CompileRequest, context: CompileContext) -> CompileResult: ...
