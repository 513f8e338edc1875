"""The `sgl` command: its entry point, the table of sub-commands, failures and exit codes.

Owns: `run()` (the `sgl` console script: the lean path of `seglam_lang.cli.lean` for a
plain `sgl ask` / `sgl exec` command line, else the click group `main` of
`seglam_lang.cli.group`, imported on first use as `seglam_lang.cli.main`), the table of
sub-commands (`COMMANDS`: name -> "module:attribute" + one line of help), `fail` and
`echo`, and the last line of defence (`guarded`) that turns any escaping exception into a
clear message and an exit code, for both paths.

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

import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from seglam_lang.codes import E_CACHE_MISS, E_INTERNAL, E_USAGE
from seglam_lang.errors import SglError, SglUsageError

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_MISS = 4
# The diagnostic code a failure of each exit code has when nothing more specific is known.
_ERROR_CODES = {EXIT_USAGE: E_USAGE, EXIT_INTERNAL: E_INTERNAL, EXIT_MISS: E_CACHE_MISS}

# name -> ("module:attribute", short help). The order here is the order `sgl --help` shows.
COMMANDS: dict[str, tuple[str, str]] = {
    "exec": ("seglam_lang.cli.lang:exec_command", "Run a procedure of an SGL file and print its result."),
    "check": ("seglam_lang.cli.lang:check_command", "Parse and type-check SGL files; print diagnostics."),
    "fmt": ("seglam_lang.cli.lang:fmt_command", "Format SGL files in place (or check that they are formatted)."),
    "test": ("seglam_lang.cli.test:test_command", "Run the examples and properties of SGL files."),
    "ask": ("seglam_lang.cli.cache:ask_command", "Answer a request through the reasoning cache."),
    "batch": ("seglam_lang.cli.batch:batch_command", "Answer every request of a JSONL file through the reasoning cache."),
    "cache": ("seglam_lang.cli.cache:cache_group", "Inspect and manage a reasoning cache."),
    "repl": ("seglam_lang.tooling.repl:repl_command", "Evaluate SGL interactively (or each line of a pipe)."),
    "explain": ("seglam_lang.tooling.explain:explain_command", "Explain an error code, with a mistake and its fix."),
    "lsp": ("seglam_lang.tooling.lsp:lsp_command", "Run the SGL language server on stdio (for editors)."),
}


def fail(message: str, code: int = EXIT_FAILURE, *, error_code: str | None = None,
         details: dict[str, Any] | None = None, text: str | None = None, as_json: bool | None = None) -> NoReturn:
    """Report a failure and exit with `code`: `text` (default `sgl: message`) on stderr and,
    under `--json` (`as_json`, found from the running command when None), one JSON object
    on stdout."""
    if json_requested() if as_json is None else as_json:
        emit_json_failure(message, code, error_code, details)
    echo(text if text is not None else f"sgl: {message}", err=True)
    sys.exit(code)


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Write a line to stdout (stderr with `err`), as `click.echo` does: a text with an ANSI
    escape goes through click itself (which strips styles when the stream is no terminal)."""
    if "\x1b" in text:
        import click

        click.echo(text, err=err, nl=nl)
        return
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n" if nl else text)
    stream.flush()


def emit_json_failure(message: str, code: int, error_code: str | None = None,
                      details: dict[str, Any] | None = None) -> None:
    """The JSON form of a failure, on stdout (see the module's invariants)."""
    data: dict[str, Any] = {"error": message, "code": code}
    error_code = error_code or _ERROR_CODES.get(code)
    if error_code:
        data["error_code"] = error_code
    echo(json.dumps({**data, **(details or {})}, ensure_ascii=False, default=str))


def json_requested(ctx: Any = None) -> bool:
    """Whether the running command was given `--json`: under click, the running command or one
    of its parents; on the lean path, what `guarded` was told."""
    click = sys.modules.get("click")
    if ctx is None and click is not None:
        ctx = click.get_current_context(silent=True)
    if ctx is None:
        return _lean_json
    while ctx is not None:
        if ctx.params.get("as_json"):
            return True
        ctx = ctx.parent
    return False


_lean_json = False  # the lean path's command was given --json (it runs one command per process)


def guarded(body: Callable[[], Any], as_json: bool, passed: tuple[type[BaseException], ...] = ()) -> Any:
    """Run a command's `body`: an `SglError` that escapes it becomes its one-line message and
    exit code, any other exception (a bug) an internal error without a traceback (`SGL_DEBUG=1`
    shows it); `passed` exceptions (click's own) go through."""
    global _lean_json
    _lean_json = as_json
    try:
        return body()
    except SglError as e:
        code = e.diagnostic.code
        exit_code = EXIT_MISS if code == E_CACHE_MISS else EXIT_USAGE if isinstance(e, SglUsageError) else EXIT_FAILURE
        fail(str(e), exit_code, error_code=code, as_json=as_json)
    except (*passed, KeyboardInterrupt, SystemExit, EOFError):
        raise
    except Exception as e:  # the last line of defence: a bug, reported without a traceback
        if os.environ.get("SGL_DEBUG"):
            import traceback

            traceback.print_exc()
        fail(f"internal error: {type(e).__name__}: {e} (a bug in sgl; set SGL_DEBUG=1 for the traceback)",
             EXIT_INTERNAL, error_code=E_INTERNAL, as_json=as_json)


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
