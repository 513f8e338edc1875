"""The `sgl` command: its entry point, the table of sub-commands, failures and exit codes.

Owns: `run()` (the `sgl` console script: the lean path of `seglam_lang.cli.lean` for a
plain `sgl ask` / `sgl exec` command line, else the click group `main` of
`seglam_lang.cli.group`, imported on first use as `seglam_lang.cli.main`), the table of
sub-commands (`COMMANDS`, in `commands`), and, re-exported from `failures`, `fail`, `echo`
and the last line of defence (`guarded`) that turns any escaping exception into a clear
message and an exit code, for both paths.

Invariants:
- importing this module imports neither click nor any command; a command's
  module (and whatever it needs: the runtime, Hypothesis, the LLM SDK) is imported only
  when that command is invoked, so `sgl exec` never pays for `sgl test` or `sgl ask`;
- `sgl --help` lists every command from the table, without importing any of them;
- a command whose module is not there (not written yet, or a broken install) fails with
  a one-line message naming the missing module, never with a traceback;
- exit codes (`EXIT_*`): 0 success, 1 the program or its run failed (syntax, type,
  runtime, limit, not applicable, a check or test failed, a cache operation refused), 2
  usage error (bad command line, no such proc, bad argument literal, a missing input file
  or cache folder), 3 internal error only (a bug in sgl; `SGL_DEBUG=1` shows the
  traceback), 4 a request no cached procedure answers while no compiler is configured;
- every failure goes through `fail`: one message on stderr and, when the command was
  given `--json`, one JSON object on stdout as well (`error`: the message, `code`: the
  exit code, `error_code`: the diagnostic code `E0xxx` when there is one, and details).
"""

from __future__ import annotations

import sys
from typing import Any

from seglam_lang.cli.commands import COMMANDS
from seglam_lang.cli.failures import (
    EXIT_FAILURE,
    EXIT_INTERNAL,
    EXIT_MISS,
    EXIT_USAGE,
    echo,
    emit_json_failure,
    fail,
    guarded,
    json_requested,
)


def run(argv: list[str] | None = None) -> None:
    """The `sgl` command: a plain `ask` or `exec` command line takes the lean path (no click),
    anything else the click group. Both print the same and exit with the same code."""
    from seglam_lang.cli.lean import dispatch

    args = sys.argv[1:] if argv is None else argv
    if not dispatch(args):
        from seglam_lang.cli.group import main

        main(args, prog_name="sgl" if argv is not None else None)


def __getattr__(name: str) -> Any:
    if name in ("main", "LazyGroup"):  # the click group, imported on first use
        from seglam_lang.cli import group

        return getattr(group, name)
    raise AttributeError(f"module 'seglam_lang.cli' has no attribute {name!r}")


__all__ = ["COMMANDS", "EXIT_FAILURE", "EXIT_INTERNAL", "EXIT_MISS", "EXIT_USAGE", "echo", "emit_json_failure", "fail",
           "guarded", "json_requested", "run"]
