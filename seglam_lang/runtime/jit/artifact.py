"""Translated modules on disk: `read(key)` / `write(key, artifact)`, marshal in the private cache directory.

Owns: the on-disk form of a translation (the code object and its link keys, the names of the
translated procs and properties, and why the others were declined), so that a module version
is translated once, not once per process.

Format: `marshal` data only (never pickle): a tuple (MAGIC, sha256 of the payload, payload),
payload = marshal of (code, keys, procs, properties, declined). Files live in
`<private_cache_dir()>/jit/<key>.marshal`, beside the parse tables (`seglam_lang.privatedir`).

Trust: a code object is run as it is read, so a cache file is trusted only as CPython trusts
its `__pycache__`: the directory is created 0700, and a file is read only when it is owned by
the current user and writable by nobody else. A corrupt, truncated or stale file (bad magic,
bad checksum, wrong shape) is ignored and rewritten; an unwritable directory only costs speed.
Writes are atomic (a temporary file, then `os.replace`).

Invariants: this module imports nothing of Lark, `syntax`, `check`, `attrs` or the runtime
(only `seglam_lang.privatedir`): reading an artifact costs a file read and `marshal.loads`.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
import sys
from pathlib import Path
from typing import Any

from seglam_lang.privatedir import private_cache_dir, write_private

MAGIC = b"SGLJIT1" + sys.version.encode()[:16]


def path_of(key: str) -> Path:
    return private_cache_dir() / "jit" / f"{key}.marshal"


def read(key: str) -> tuple[Any, ...] | None:
    """The artifact stored under `key`: (code, keys, procs, properties, declined), or None."""
    path = path_of(key)
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if (hasattr(os, "getuid") and st.st_uid != os.getuid()) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return None
            magic, digest, payload = marshal.loads(f.read())
        if magic != MAGIC or hashlib.sha256(payload).digest() != digest:
            return None
        art = marshal.loads(payload)
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not (isinstance(art, tuple) and len(art) == 5 and type(art[0]).__name__ == "code"):
        return None
    return art


def write(key: str, code: Any, keys: list[Any], procs: dict[str, str], properties: dict[str, str],
          declined: dict[str, str]) -> None:
    path = path_of(key)
    try:
        payload = marshal.dumps((code, tuple(keys), procs, properties, declined))
    except ValueError:  # a constant marshal cannot write: the translation is simply not kept
        return
    write_private(path, marshal.dumps((MAGIC, hashlib.sha256(payload).digest(), payload)), ".jit-")
