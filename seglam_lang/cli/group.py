"""The full `sgl` command line: a click group whose sub-commands are imported only when run.

Owns the lazy group (`main`) that lists the commands of `seglam_lang.cli.commands.COMMANDS` without
importing them, and the stand-in for a command whose module cannot be imported. Every
command line that the lean path (`seglam_lang.cli.lean`) does not take comes here: `--help`,
`--version`, usage errors and every option it does not know; its behaviour is the reference
the lean path is tested against.
"""

from __future__ import annotations

import importlib
from typing import Any, NoReturn

import click

from seglam_lang.cli.commands import COMMANDS
from seglam_lang.cli.failures import emit_json_failure, fail, guarded


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
            return guarded(lambda: super(LazyGroup, self).invoke(ctx), as_json,
                           passed=(click.exceptions.ClickException, click.exceptions.Exit,
                                   click.exceptions.Abort))
        except click.exceptions.ClickException as e:
            # A bad command line, found by click before the command ran: its --json is in the raw words.
            if as_json:
                emit_json_failure(e.format_message(), e.exit_code)
            raise


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seglam-lang", prog_name="sgl")
def main() -> None:
    """SEGLAM's SGL language and reasoning cache.

    Run `sgl COMMAND --help` for the options of one command.
    """
