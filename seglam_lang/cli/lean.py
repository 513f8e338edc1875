"""The lean path of `sgl`: a plain `ask` or `exec` command line run without click.

Owns `parse(argv)` (the command and its arguments, for the command lines this path takes;
None for any other) and `dispatch(argv)`. Starting click and building its commands costs a
process more than SGL's own work on a cache hit, so the two commands a program runs in a
loop read their command line here: `ask REQUEST` with `--json` and `--cache DIR`
(`--cache=DIR`), and `exec FILE [PROC] [ARG]...` with `--json`. Anything else (`--help`,
`--version`, any other option, a word that starts with `-`, a missing or extra argument,
a `--cache` URL of no backend) goes to the click group, so help, usage errors and their
messages come from one place.

Invariants: a command line this path takes prints and exits exactly as the click group
would (tests/cli/test_lean.py runs a corpus of command lines both ways); it imports no
click (but for a broken pipe, handled as click handles it) and does no work of its own:
the command bodies are the click commands' own (`seglam_lang.cli.asking`,
`seglam_lang.cli.execute`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from seglam_lang.cli.failures import guarded


def parse(argv: list[str]) -> tuple[str, dict[str, Any]] | None:
    """(command, keyword arguments of its body) for a command line the lean path takes, else None."""
    if not argv or argv[0] not in ("ask", "exec"):
        return None
    command, rest = argv[0], argv[1:]
    as_json = False
    cache_dir: str | None = None
    words: list[str] = []
    i = 0
    while i < len(rest):
        w = rest[i]
        if w == "--json":
            as_json = True
        elif command == "ask" and (w == "--cache" or w.startswith("--cache=")):
            if cache_dir is not None:
                return None  # given twice: click's rule (the last wins) is click's to apply
            if w == "--cache":
                if i + 1 == len(rest):
                    return None
                i += 1
                cache_dir = rest[i]
            else:
                cache_dir = w.removeprefix("--cache=")
        elif w.startswith("-") or not w:
            return None
        else:
            words.append(w)
        i += 1
    if command == "ask":
        if len(words) != 1 or (cache_dir is not None and not _plain_cache_value(cache_dir)):
            return None
        return "ask", {"request": words[0], "as_json": as_json, "cache_dir": cache_dir}
    if not words:
        return None
    return "exec", {"file": Path(words[0]), "words": tuple(words[1:]), "args_json": None, "as_json": as_json,
                    "steps": None, "timeout": None, "tier": "auto"}


def _plain_cache_value(value: str) -> bool:
    """A `--cache` value click would accept without a word (its callback refuses URLs of no backend)."""
    from seglam_lang.cache.backends import unknown_backend

    return bool(value) and unknown_backend(value) is None


def dispatch(argv: list[str]) -> bool:
    """Run `argv` on the lean path and exit; False (having done nothing) when it does not take it."""
    parsed = parse(argv)
    if parsed is None:
        return False
    command, kwargs = parsed
    if command == "ask":
        from seglam_lang.cli.asking import ask as body
    else:
        from seglam_lang.cli.execute import run_exec as body
    try:
        guarded(lambda: body(**kwargs), kwargs["as_json"])
    except (EOFError, KeyboardInterrupt):  # as click reports them
        print("\nAborted!", file=sys.stderr)
        sys.exit(1)
    except BrokenPipeError:  # as click does: a closed stdout ends the command quietly
        from click.utils import _PacifyFlushWrapper

        sys.stdout = _PacifyFlushWrapper(sys.stdout)  # type: ignore[assignment]
        sys.stderr = _PacifyFlushWrapper(sys.stderr)  # type: ignore[assignment]
        sys.exit(1)
    sys.exit(0)
