"""The `sgl` command: a click group whose sub-commands are imported only when run.

Owns: the table of sub-commands (`COMMANDS`: name -> "module:attribute" + one line of
help), the lazy group that lists them without importing them, and the last line of
defence that turns any escaping exception into a clear message and an exit code.

Invariants:
- importing this module imports click, attrs and `seglam_lang.errors` only; a command's
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

import importlib
import json
import os
import sys
import traceback
from typing import Any, NoReturn

import click

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
    click.echo(text if text is not None else f"sgl: {message}", err=True)
    sys.exit(code)


def emit_json_failure(message: str, code: int, error_code: str | None = None,
                      details: dict[str, Any] | None = None) -> None:
    """The JSON form of a failure, on stdout (see the module's invariants)."""
    data: dict[str, Any] = {"error": message, "code": code}
    error_code = error_code or _ERROR_CODES.get(code)
    if error_code:
        data["error_code"] = error_code
    click.echo(json.dumps({**data, **(details or {})}, ensure_ascii=False, default=str))


def json_requested(ctx: click.Context | None = None) -> bool:
    """Whether the running command (or one of its parents) was given `--json`."""
    ctx = ctx or click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.params.get("as_json"):
            return True
        ctx = ctx.parent
    return False


def _unavailable(name: str, target: str, error: ImportError) -> click.Command:
    """A stand-in for a command whose module cannot be imported."""

    def run() -> NoReturn:
        fail(f"`sgl {name}` is not available: cannot import {target.split(':')[0]} ({error})")

    return click.Command(name, callback=run, help=COMMANDS[name][1],
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True})


class LazyGroup(click.Group):
    """A click group that resolves sub-commands from `COMMANDS` on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        target = entry[0]
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            # Only a missing command module is "unavailable"; a missing dependency of a
            # present module is reported the same way, as it is just as fatal and as clear.
            return _unavailable(cmd_name, target, e)
        command = getattr(module, attr, None)
        if not isinstance(command, click.Command):
            return _unavailable(cmd_name, target, ImportError(f"{target} is not a click command"))
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The short help comes from the table, so listing commands imports none of them.
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, help_) in COMMANDS.items()])

    def invoke(self, ctx: click.Context) -> Any:
        # The words after `sgl`, kept before click consumes them (a usage error found while
        # parsing them comes before any command's --json flag is known).
        words = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        as_json = "--json" in (words[: words.index("--")] if "--" in words else words)
        try:
            return super().invoke(ctx)
        except SglError as e:
            code = e.diagnostic.code
            exit_code = EXIT_MISS if code == E_CACHE_MISS else EXIT_USAGE if isinstance(e, SglUsageError) else EXIT_FAILURE
            fail(str(e), exit_code, error_code=code, as_json=as_json)
        except click.exceptions.ClickException as e:
            # A bad command line, found by click before the command ran: its --json is in the raw words.
            if as_json:
                emit_json_failure(e.format_message(), e.exit_code)
            raise
        except (click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt, SystemExit, EOFError):
            raise
        except Exception as e:  # the last line of defence: a bug, reported without a traceback
            if os.environ.get("SGL_DEBUG"):
                traceback.print_exc()
            fail(f"internal error: {type(e).__name__}: {e} (a bug in sgl; set SGL_DEBUG=1 for the traceback)",
                 EXIT_INTERNAL, error_code=E_INTERNAL, as_json=as_json)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seglam-lang", prog_name="sgl")
def main() -> None:
    """SEGLAM's SGL language and reasoning cache.

    Run `sgl COMMAND --help` for the options of one command.
    """
