"""Where a cache lives: a folder path or a database URL, and opening the store there.

    from seglam_lang.cache.backends import open_store
    store = open_store("postgresql://postgres@127.0.0.1:5432/seglam")   # a PostgresStore
    store = open_store("~/my-cache")                                     # a folder Store
    store = open_store(None)                                             # $SGL_CACHE, else the default folder

`ReasoningCache(location)` calls `open_store` itself: a host program (or `sgl batch`, or a
benchmark) opens a shared cache with `ReasoningCache("postgresql://...", compiler=...)`.

Owns the location rules (`is_url`, `is_postgres_url`, `default_location`, `open_store`,
and, from `errors`, `redacted`), shared by `ReasoningCache` and the CLI:
- `postgresql://` and `postgres://` URLs (libpq's URL form: user, password, host, port,
  database, `?options`) open the PostgreSQL backend (`pg_store`), which needs psycopg 3,
  the `seglam-lang[postgres]` extra: without it, opening fails with one line saying what
  to install;
- any other `scheme://` names a backend there is none of: a `StoreError`, never a folder
  called `scheme:`;
- anything else is a folder path (`~` expanded).
Nothing here imports psycopg or SQLite: each backend's module is imported when opened.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from seglam_lang.cache.errors import StoreError, redacted
from seglam_lang.settings import env

if TYPE_CHECKING:
    from seglam_lang.cache.index import CacheStore

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
POSTGRES_SCHEMES = ("postgresql", "postgres")
INSTALL_HINT = "pip install 'seglam-lang[postgres]'"


def is_url(location: str | os.PathLike[str]) -> bool:
    return isinstance(location, str) and _URL.match(location) is not None


def is_postgres_url(location: str | os.PathLike[str]) -> bool:
    return is_url(location) and str(location).split("://", 1)[0].lower() in POSTGRES_SCHEMES


def default_location() -> str:
    """`$SGL_CACHE` (a folder or a URL), else the platform's user data folder."""
    location = env("SGL_CACHE")
    if location:
        return location
    from seglam_lang.cache.store import default_cache_dir

    return str(default_cache_dir())


def unknown_backend(location: str) -> str | None:
    """Why `location` names no store here (a URL of another scheme), else None."""
    if is_url(location) and not is_postgres_url(location):
        scheme = location.split("://", 1)[0]
        return (f"{redacted(location)!r} is a URL: a {scheme} store is not available in this sgl "
                f"(use a cache folder or a postgresql:// URL)")
    return None


def open_store(location: str | os.PathLike[str] | None = None) -> CacheStore:
    """The store at `location` (see the module's rules); StoreError when it cannot be opened."""
    where = default_location() if location is None else location
    if isinstance(where, str):
        problem = unknown_backend(where)
        if problem:
            raise StoreError(problem)
        if is_postgres_url(where):
            try:
                import psycopg  # noqa: F401 - only to say what is missing, before anything else
            except ImportError:
                raise StoreError(f"a PostgreSQL cache needs psycopg 3: {INSTALL_HINT}") from None
            from seglam_lang.cache.pg_store import PostgresStore

            return PostgresStore(where)
    from seglam_lang.cache.store import Store

    return Store(Path(where).expanduser())
