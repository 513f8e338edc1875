"""The environment: every variable SEGLAM reads is listed here and read through `env`.

Owns `VARIABLES` (name -> what it does; spec/cli.md's "Environment" table lists the same
names, kept equal by tests/test_settings.py) and `env(name)`, the one reader of
`os.environ`.

Invariants: a variable is read when it is needed, never cached at import (a host or a test
may set it between two calls); an unset and an empty variable are the same (None); a name
not in `VARIABLES` is a bug (`KeyError`), so no module can read a variable the table does
not document. Imports nothing but the standard library (every layer may use it).
"""

from __future__ import annotations

import os

VARIABLES: dict[str, str] = {
    "SGL_CACHE": "the reasoning cache `sgl ask`, `sgl batch` and `sgl cache` use when `--cache` is not given "
                 "(a folder or a `postgresql://` URL)",
    "SGL_COMPILER": "the LLM compiler of a miss when `--compiler` is not given (`anthropic[:MODEL]`, "
                    "`openai:MODEL@BASE_URL`, `replay:FILE.jsonl`)",
    "SGL_MODEL": "the Anthropic model when the compiler names none",
    "ANTHROPIC_API_KEY": "the Anthropic API key; when set and no compiler is named, the compiler is `anthropic`",
    "OPENAI_API_KEY": "the key sent to an `openai:` compiler's endpoint",
    "OPENAI_BASE_URL": "the endpoint of an `openai:MODEL` compiler given without `@BASE_URL`",
    "SGL_TIER": "the execution tier of modules loaded with `Limits.tier=\"auto\"`: `auto` (default), `tree` or `jit`",
    "SGL_PARSER_CACHE": "the private folder of derived artifacts (parse tables, parsed modules, JIT translations)",
    "XDG_CACHE_HOME": "where that folder is by default (`$XDG_CACHE_HOME/seglam`, else `~/.cache/seglam`)",
    "XDG_DATA_HOME": "where the default cache folder is on Linux (`$XDG_DATA_HOME/seglam`)",
    "LOCALAPPDATA": "where the default cache folder is on Windows",
    "SGL_HISTORY": "the history file of `sgl repl` (default `~/.sgl_history`)",
    "SGL_DEBUG": "when set, an internal error also prints its Python traceback",
}


def env(name: str) -> str | None:
    """The value of the environment variable `name` (one of `VARIABLES`); None when unset or empty."""
    if name not in VARIABLES:
        raise KeyError(f"{name} is not a documented environment variable (seglam_lang.settings.VARIABLES)")
    return os.environ.get(name) or None
