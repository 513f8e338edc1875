"""What every LLM backend shares: the `Backend` protocol, `Completion` and `Usage`.

Invariant: importing this imports no SDK; each backend module builds on it alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from seglam_lang.frozen import asdict, frozen

if TYPE_CHECKING:  # the prompt module is imported with a backend, not with a spec check
    from seglam_lang.compilers.prompt import Prompt


@frozen
class Usage:
    """Tokens of one or more calls. `tokens_in` excludes tokens read from the provider's cache."""

    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cache_read: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.tokens_in + other.tokens_in, self.tokens_out + other.tokens_out,
                     self.tokens_cache_read + other.tokens_cache_read)

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@frozen
class Completion:
    reply: str | dict[str, Any]
    usage: Usage = Usage()
    compiler: str | None = None  # who really answered, when not the backend itself (replay)


class Backend(Protocol):
    name: str  # "anthropic", "openai", "replay"
    model: str

    def complete(self, prompt: Prompt) -> Completion: ...
