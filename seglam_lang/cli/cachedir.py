"""Which cache folder an `sgl ask` / `sgl cache ...` command uses, checked before it is opened.

Owns `cache_folder(value)`: the folder a `--cache` value (else `$SGL_CACHE`, else the user
data directory) names, and the rules that keep a typo from becoming a new cache:
- a value that looks like a URL (`postgresql://host/db`, `sqlite:///x`) names a store
  backend, never a folder: it is refused with a clear message (no such backend here);
- the read-only commands (`READ_ONLY`: ls, why, show, history, stats, export, verify)
  need an existing cache folder (one holding `procedures/`); they fail and create
  nothing otherwise. Commands that add to a cache (`ask`, `add`, `import`...) create it.

Failures are usage errors (exit 2), reported through `seglam_lang.cli.fail`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from seglam_lang.cli import EXIT_USAGE, fail

READ_ONLY = frozenset({"ls", "why", "show", "history", "stats", "export", "verify"})
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def check_cache_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback for `--cache`: a URL is a usage error, whatever the command."""
    if value is not None and _URL.match(value):
        raise click.BadParameter(_url_message(value), ctx=ctx, param=param)
    return value


def _url_message(value: str) -> str:
    scheme = value.split("://", 1)[0]
    return (f"{value!r} is a URL: a {scheme} store is not available in this sgl; "
            "give the path of a cache folder")


def cache_folder(value: str | None) -> Path:
    """The cache folder for the running command (see the module's rules)."""
    if value is None:
        env = os.environ.get("SGL_CACHE")
        if env and _URL.match(env):
            fail(f"$SGL_CACHE: {_url_message(env)}", EXIT_USAGE)
        from seglam_lang.cache.store import default_cache_dir

        folder = default_cache_dir()
    else:
        folder = Path(value).expanduser()
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.info_name in READ_ONLY and not (folder / "procedures").is_dir():
        what = "does not exist" if not folder.exists() else "is not a cache folder"
        fail(f"{folder}: {what} (nothing was created; `sgl cache add` or `sgl ask` create a cache)", EXIT_USAGE)
    return folder
