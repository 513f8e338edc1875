"""The reasoning cache's error types (one module so that every cache layer can raise them).

Invariant: `str(error)` is one line a user can act on; the CLI prints it as is.
"""

from __future__ import annotations


class CacheError(Exception):
    """A cache operation that cannot be done."""


class StoreError(CacheError):
    """The cache folder or its index refused an operation (unknown family, bad name...)."""
