"""The compilers' error types.

Invariant (inherited from `CacheError`): `str(error)` is one line a user can act on; the CLI
prints it as is (exit 1). What the calls before an error cost is already on the compile's
meter (`seglam_lang.cache.llm_protocol.Meter`), so the errors carry no accounting.
"""

from __future__ import annotations

from seglam_lang.cache.errors import CacheError
from seglam_lang.cache.llm_protocol import NoModule
from seglam_lang.codes import E_COMPILER


class CompilerError(CacheError):
    """The compiler could not produce a verified module (backend failure, budget, repairs spent)."""

    default_code = E_COMPILER

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class BackendError(CompilerError):
    """A backend call failed for good (after its retries): network, auth, rate limit, bad config."""


class RoundsSpent(CompilerError, NoModule):
    """No reply verified within the repair rounds (the cache remembers the request)."""
