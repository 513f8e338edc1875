"""The private cache directory of derived artifacts: parse tables, parsed modules, JIT translations, module images.

Owns: `private_cache_dir()` (`$SGL_PARSER_CACHE`, else `$XDG_CACHE_HOME/seglam`, else
`~/.cache/seglam`), the one rule every cache of derived data follows; `write_private`, the one
way an artifact is written there (atomically, in a folder only this user can use); and
`sha256`, the hash the JIT tier's keys and checksums use.

Invariants: imports nothing but the standard library (and `settings`, which imports only it),
so that reading a cached artifact (`runtime.jit.artifact`) pulls in no front end (nor OpenSSL);
everything stored there can be rebuilt."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from seglam_lang.settings import env


def sha256(data: bytes = b"") -> Any:
    """A SHA-256 hash object, from CPython's own `_sha2` / `_sha256` when it has one: `hashlib`
    loads OpenSSL (`_hashlib`, 4-12 ms a process), which reading a cached artifact need not pay."""
    try:
        from _sha2 import sha256 as make  # type: ignore[import-not-found]  # CPython 3.12+
    except ImportError:
        try:
            from _sha256 import sha256 as make  # type: ignore[import-not-found,no-redef]  # CPython 3.11
        except ImportError:
            from hashlib import sha256 as make  # type: ignore[assignment]
    return make(data)


def private_cache_dir() -> Path:
    explicit = env("SGL_PARSER_CACHE")
    if explicit:
        return Path(explicit)
    base = env("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "seglam"


def write_private(path: Path, blob: bytes, prefix: str) -> None:
    """Write `blob` to `path` atomically (a temporary file in the same folder, then `os.replace`),
    creating the folder with mode 0700. Best effort: an unwritable cache only costs speed, so a
    failure writes nothing (no temporary file is left behind) and is not an error."""
    import tempfile  # only when an artifact is written: reading one does not pay for it

    tmp = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
