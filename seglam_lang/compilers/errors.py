"""The compilers' error types.

Invariant (inherited from `CacheError`): `str(error)` is one line a user can act on; the CLI
prints it as is (exit 1). An error raised after LLM calls were made carries their `usage`, so
the cache can still count the tokens that were spent.
"""

from __future__ import annotations

from seglam_lang.cache.errors import CacheError


class CompilerError(CacheError):
    """The compiler could not produce a verified module (backend failure, budget, repairs spent)."""

    default_code = "E0603"

    def __init__(self, message: str, usage: dict[str, int] | None = None) -> None:
        super().__init__(" ".join(message.split()))
        self.usage = usage


class BackendError(CompilerError):
    """A backend call failed for good (after its retries): network, auth, rate limit, bad config."""


class PromptShown(CacheError):
    """`--show-prompt`: the prompt was printed instead of sent (not a failure for the CLI)."""

    dry_run = True  # the cache does not log a request that was only shown
