"""The reasoning cache's error types (one module so that every cache layer can raise them).

Invariants: every cache error is an `SglError` (one hierarchy for the whole package, see
spec/errors.md), with a code in E06xx; `str(error)` is its one-line message, which a user
can act on and the CLI prints as is.
"""

from __future__ import annotations

from seglam_lang.errors import SglError


class CacheError(SglError):
    """A cache operation that cannot be done."""

    default_code = "E0600"

    def __init__(self, message: str) -> None:
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class StoreError(CacheError):
    """The cache folder or its index refused an operation (unknown family, bad name...)."""

    default_code = "E0602"
