"""Recording and replaying a compiler's replies (`--record FILE.jsonl`, `replay:FILE.jsonl`).

Owns: `request_key(request)`, the record format, `Recorder` (wraps any backend and appends
every reply it gets) and `ReplayBackend` (serves recorded replies, offline).

Record format: one JSON object per line,
    {"key": request_key(request), "request": "...", "call": 0, "compiler": "anthropic/MODEL",
     "reply": <the raw reply: object or text>, "usage": {"tokens_in": ..., ...}}
`call` counts the calls made for one compile of that request (0, then 1, 2... for repairs).

Invariants:
- the key is a hash of the request's normalised text (whitespace runs folded, case folded),
  so a replay does not depend on the cache's contents or on the prompt's wording;
- replay serves, for the n-th call of a compile of a request, the n-th recorded reply for its
  key (file order); with none, a `BackendError` names the request and the file;
- a replayed call reports zero tokens (nothing was spent) but counts as an LLM call;
- each recorded line is appended with one write under an exclusive lock, so processes
  recording to one file do not interleave lines.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from seglam_lang.compilers.backends.base import Backend, Completion, Usage
from seglam_lang.compilers.errors import BackendError
from seglam_lang.compilers.prompt import Prompt


def request_key(request: str) -> str:
    return hashlib.sha256(" ".join(request.split()).casefold().encode()).hexdigest()[:32]


class Recorder:
    """A backend that forwards to `inner` and appends each reply to `path`."""

    def __init__(self, inner: Backend, path: str | Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.path = Path(path)

    def complete(self, prompt: Prompt) -> Completion:
        completion = self.inner.complete(prompt)
        entry = {"key": request_key(prompt.request), "request": prompt.request, "call": prompt.call,
                 "compiler": completion.compiler or f"{self.inner.name}/{self.inner.model}",
                 "reply": completion.reply, "usage": completion.usage.to_json()}
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
        try:
            with open(self.path, "ab") as f:
                _lock(f)
                f.write(line)
        except OSError as e:
            raise BackendError(f"cannot record to {self.path}: {e.strerror or e}") from None
        return completion


class ReplayBackend:
    name = "replay"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.model = self.path.name
        self._replies: dict[str, list[dict[str, Any]]] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise BackendError(f"replay: cannot read {self.path}: {getattr(e, 'strerror', None) or e}") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                key, reply = entry["key"], entry["reply"]
            except (ValueError, KeyError, TypeError):
                raise BackendError(f"replay: {self.path}:{number} is not a recorded reply") from None
            if not isinstance(reply, (str, dict)):
                raise BackendError(f"replay: {self.path}:{number}: the reply must be text or an object")
            self._replies.setdefault(key, []).append(entry)

    def complete(self, prompt: Prompt) -> Completion:
        recorded = self._replies.get(request_key(prompt.request), [])
        if prompt.call >= len(recorded):
            what = "no recorded reply" if not recorded else f"only {len(recorded)} recorded repl{'y' if len(recorded) == 1 else 'ies'}"
            raise BackendError(f"replay: {what} for the request {_short(prompt.request)!r} (call {prompt.call + 1}, "
                               f"key {request_key(prompt.request)}) in {self.path}; record it with --record")
        entry = recorded[prompt.call]
        return Completion(entry["reply"], Usage(), f"replay/{entry.get('compiler', 'unknown')}")


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 80 else line[:77] + "..."


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(f: Any) -> None:
        msvcrt.locking(f.fileno(), msvcrt.LK_LOCK, 1)
else:
    import fcntl

    def _lock(f: Any) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # released when the file is closed
