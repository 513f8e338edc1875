"""The private cache directory of derived artifacts: parse tables, parsed modules, JIT translations.

Owns: `private_cache_dir()` (`$SGL_PARSER_CACHE`, else `$XDG_CACHE_HOME/seglam`, else
`~/.cache/seglam`), the one rule every cache of derived data follows.

Invariants: imports nothing but the standard library (and `settings`, which imports only it), so that reading a cached artifact
(`runtime.jit.artifact`) pulls in no front end; everything stored there can be rebuilt.
"""

from __future__ import annotations

import os
from pathlib import Path

from seglam_lang.settings import env


def private_cache_dir() -> Path:
    explicit = env("SGL_PARSER_CACHE")
    if explicit:
        return Path(explicit)
    base = env("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "seglam"
