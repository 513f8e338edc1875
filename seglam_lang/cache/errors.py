"""The reasoning cache's error types (one module so that every cache layer can raise them),
and `redacted`, how a message shows a store URL (without its password).

Invariants: every cache error is an `SglError` (one hierarchy for the whole package, see
spec/errors.md), with a code in E06xx; `str(error)` is its one-line message, which a user
can act on and the CLI prints as is.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from seglam_lang.codes import E_CACHE, E_CACHE_MISS, E_STORE
from seglam_lang.errors import SglError

if TYPE_CHECKING:
    from seglam_lang.cache.matcher import Outcome


class CacheError(SglError):
    """A cache operation that cannot be done."""

    default_code = E_CACHE

    def __init__(self, message: str) -> None:
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class StoreError(CacheError):
    """The cache folder or its index refused an operation (unknown family, bad name...)."""

    default_code = E_STORE


class CacheMiss(CacheError):
    """No procedure answers the request and no compiler is configured (`sgl ask` exits 4)."""

    default_code = E_CACHE_MISS

    def __init__(self, message: str, outcome: Outcome | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome


def redacted(url: str) -> str:
    """A URL for messages: any password replaced by `***`."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*):[^@/]*@", r"\1:***@", url)
