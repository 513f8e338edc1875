"""Which cache an `sgl ask` / `sgl cache ...` command uses, checked before it is opened.

Owns `cache_location(value)`: the cache a `--cache` value (else `$SGL_CACHE`, else the user
data directory) names, as a folder path or a `postgresql://` URL, and the rules that keep a
typo from becoming a new cache:
- a `postgresql://` (or `postgres://`) URL names a PostgreSQL store (`cache.backends`); any
  other URL (`sqlite:///x`, `s3://b`) names a backend there is none of, never a folder: it is
  refused with a clear message;
- the read-only commands (`READ_ONLY`: ls, why, show, history, stats, export, verify, report)
  need an existing cache folder (one holding `procedures/`); they fail and create
  nothing otherwise. Commands that add to a cache (`ask`, `add`, `import`...) create it.
  (A PostgreSQL store's schema is created by whichever command opens it first.)

Failures are usage errors (exit 2), reported through `seglam_lang.cli.failures.fail`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from seglam_lang.cache.backends import default_location, is_postgres_url, unknown_backend
from seglam_lang.cli.failures import EXIT_USAGE, fail

READ_ONLY = frozenset({"ls", "why", "show", "history", "stats", "export", "verify", "report"})


def check_cache_value(ctx: Any, param: Any, value: str | None) -> str | None:
    """Click callback for `--cache`: a URL of no backend is a usage error, whatever the command."""
    import click

    problem = unknown_backend(value) if value is not None else None
    if problem:
        raise click.BadParameter(problem, ctx=ctx, param=param)
    return value


def cache_location(value: str | None) -> str:
    """The cache for the running command, a folder path or a URL (see the module's rules)."""
    if value is None:
        value = default_location()
        problem = unknown_backend(value)
        if problem:
            fail(f"$SGL_CACHE: {problem}", EXIT_USAGE)
    if is_postgres_url(value):
        return value
    folder = Path(value).expanduser()
    click = sys.modules.get("click")  # the lean path (no click) runs `ask`, which is not read-only
    ctx = click.get_current_context(silent=True) if click is not None else None
    if ctx is not None and ctx.info_name in READ_ONLY and not (folder / "procedures").is_dir():
        what = "does not exist" if not folder.exists() else "is not a cache folder"
        fail(f"{folder}: {what} (nothing was created; `sgl cache add` or `sgl ask` create a cache)", EXIT_USAGE)
    return str(folder)
