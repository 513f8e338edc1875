"""How every `sgl` command fails: exit codes, `fail`, `echo`, and the last line of defence.

Owns the exit codes (`EXIT_*`, listed in the package docstring), `fail` (one message on
stderr and, under `--json`, one JSON object on stdout), `echo`, `emit_json_failure`,
`json_requested` and `guarded` (any exception escaping a command becomes a message and an
exit code, never a traceback). Imports neither click nor any command.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from seglam_lang.codes import E_CACHE_MISS, E_INTERNAL, E_USAGE
from seglam_lang.errors import SglError, SglUsageError
from seglam_lang.settings import env

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_MISS = 4
# The diagnostic code a failure of each exit code has when nothing more specific is known.
_ERROR_CODES = {EXIT_USAGE: E_USAGE, EXIT_INTERNAL: E_INTERNAL, EXIT_MISS: E_CACHE_MISS}


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
        if env("SGL_DEBUG"):
            import traceback

            traceback.print_exc()
        fail(f"internal error: {type(e).__name__}: {e} (a bug in sgl; set SGL_DEBUG=1 for the traceback)",
             EXIT_INTERNAL, error_code=E_INTERNAL, as_json=as_json)
