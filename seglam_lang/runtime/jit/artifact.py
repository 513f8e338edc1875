"""Translated modules and module images on disk: marshal in the private cache directory.

Owns: the on-disk form of two derived artifacts, so that a module version is translated (and
checked) once, not once per process:
- a *translation* (`read(key)` / `write(key, ...)`): the code object and its link keys, the
  names of the translated procs and properties, and why the others were declined; files in
  `<private_cache_dir()>/jit/<key>.marshal`;
- a *module image* (`read_image(key)` / `write_image(key, image)`): everything a loaded module
  needs to answer calls without parsing or checking its source (`runtime.jit.image` builds and
  reads it); files in `<private_cache_dir()>/modules/<key>.marshal`.

Format: `marshal` data only (never pickle): a tuple (MAGIC, sha256 of the payload, payload),
payload = marshal of the artifact. The magic names the kind and CPython's version.

Trust: a code object is run as it is read, so a cache file is trusted only as CPython trusts
its `__pycache__`: the directory is created 0700, and a file is read only when it is owned by
the current user and writable by nobody else. A corrupt, truncated or stale file (bad magic,
bad checksum, wrong shape) is ignored (and rewritten by the load that follows); an unwritable
directory only costs speed. Writes are atomic (`privatedir.write_private`).

Invariants: this module imports nothing of Lark, `syntax`, `check`, `attrs` or the runtime
(only `seglam_lang.privatedir`): reading an artifact costs a file read and `marshal.loads`.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
from pathlib import Path
from typing import Any

from seglam_lang.privatedir import private_cache_dir, sha256, write_private

MAGIC = b"SGLJIT1" + sys.version.encode()[:16]
IMAGE_MAGIC = b"SGLIMG1" + sys.version.encode()[:16]


def path_of(key: str) -> Path:
    return private_cache_dir() / "jit" / f"{key}.marshal"


def image_path_of(key: str) -> Path:
    return private_cache_dir() / "modules" / f"{key}.marshal"


def _read(path: Path, magic: bytes) -> Any:
    """The payload stored at `path` if the file is trusted and intact, else None."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if (hasattr(os, "getuid") and st.st_uid != os.getuid()) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return None
            head, digest, payload = marshal.loads(f.read())
        if head != magic or sha256(payload).digest() != digest:
            return None
        return marshal.loads(payload)
    except (OSError, ValueError, EOFError, TypeError):
        return None


def _write(path: Path, magic: bytes, artifact: Any, prefix: str) -> None:
    try:
        payload = marshal.dumps(artifact)
    except ValueError:  # a constant marshal cannot write: the artifact is simply not kept
        return
    write_private(path, marshal.dumps((magic, sha256(payload).digest(), payload)), prefix)


def read(key: str) -> tuple[Any, ...] | None:
    """The translation stored under `key`: (code, keys, procs, properties, declined), or None."""
    art = _read(path_of(key), MAGIC)
    if not (isinstance(art, tuple) and len(art) == 5 and type(art[0]).__name__ == "code"):
        return None
    return art


def write(key: str, code: Any, keys: list[Any], procs: dict[str, str], properties: dict[str, str],
          declined: dict[str, str]) -> None:
    _write(path_of(key), MAGIC, (code, tuple(keys), procs, properties, declined), ".jit-")


def read_image(key: str) -> dict[str, Any] | None:
    """The module image stored under `key` (a dict of marshal data; `runtime.jit.image`), or None."""
    image = _read(image_path_of(key), IMAGE_MAGIC)
    return image if isinstance(image, dict) else None


def write_image(key: str, image: dict[str, Any]) -> None:
    _write(image_path_of(key), IMAGE_MAGIC, image, ".img-")
