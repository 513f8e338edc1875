"""Files the `sgl` command writes whole: a reader sees the old file or the new one, never half of one.

Owns `atomic_output(path)`: a context manager yielding a text file that, when the block ends
without an exception, is fsynced and renamed over `path` (`os.replace`); on an exception
(including Ctrl-C) the temporary file is removed and `path` is left as it was.

Invariants: the temporary file is in `path`'s folder (a rename never crosses file systems);
the result keeps the mode of the file it replaces, or gets the mode a new file would get
(0o666 less the umask), never the 0o600 of a temporary file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, newline: str | None = None) -> Iterator[TextIO]:
    """Write `path` through the yielded file, all at once at the end of the block."""
    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
