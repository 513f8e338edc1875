"""`sgl repl`: the interactive loop around a `Session` (seglam_lang.tooling.session).

Owns: cutting the input stream into inputs (one line, or a block), the `:` commands,
line editing and history on a terminal, and where output goes.

Inputs. A line is an input of its own unless it opens a block or leaves something open:
- an open bracket, an unterminated triple-quoted string or a trailing backslash: the
  next lines belong to it until it is closed;
- a line ending with `:` (or starting with `@`, a trigger) opens a block, which ends at a
  blank line, or at a line that is not indented and does not continue it (`elif`, `else`,
  or the `proc` under a trigger); that line then starts the next input.

Invariants:
- an error never ends the session: only the end of the input, `:quit` or Ctrl-D do;
  Ctrl-C abandons the input being typed or run and returns to the prompt;
- results go to stdout, diagnostics and notes to stderr;
- on a terminal: prompts (`>>> `, `... `), line editing and a history kept in
  `~/.sgl_history` (or the file named by `$SGL_HISTORY`); from a pipe: no prompt, no
  banner, no history, and the exit status is 1 if any input failed, 0 otherwise.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import click

from seglam_lang.settings import env
from seglam_lang.tooling.session import Outcome, Session, scan_code

PS1 = ">>> "
PS2 = "... "
_CONTINUATIONS = ("elif", "else")

HELP = """\
Type SGL statements and expressions; an expression's value is printed. Names you assign
are kept for the next inputs; procs, records and `use` lines are kept too (typing one
again replaces it). `example` and `property` lines are checked at once.
A line ending with `:` opens a block; end it with a blank line.

  :type EXPR   the type of an expression, as the checker infers it
  :load FILE   bring the procs, records, constants and `use`s of an .sgl file in
  :help        this text
  :quit        leave (Ctrl-D too)"""


def incomplete(text: str) -> bool:
    """Whether `text` leaves a bracket, a triple-quoted string or a line continuation open."""
    code, open_string, _ = scan_code(text)
    depth = sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
    return open_string or depth > 0 or code.rstrip().endswith("\\")


def _opens_block(lines: list[str]) -> bool:
    code, _, _ = scan_code("\n".join(lines))
    return code.lstrip().startswith("@") or any(ln.rstrip().endswith(":") for ln in code.split("\n"))


def _continues(line: str, lines: list[str]) -> bool:
    """Whether an unindented line continues the block in `lines` rather than starting a new input."""
    word = line.strip().split(maxsplit=1)[0].rstrip(":") if line.strip() else ""
    if word in _CONTINUATIONS or line.startswith("@"):
        return True
    only_triggers = all(ln.lstrip().startswith("@") for ln in lines if ln.strip())
    return only_triggers and word in ("proc", "property")


class Reader:
    """Cuts lines (from `next_line(prompt)`, None at the end) into inputs."""

    def __init__(self, next_line: Callable[[str], str | None], *, look_past_blanks: bool = False) -> None:
        self._next = next_line
        # From a pipe a blank line inside a block does not end it when the next line is indented
        # (a file piped in reads as it would load); on a terminal the blank line must end it now.
        self._look_past_blanks = look_past_blanks
        self._pending: str | None = None

    def _line(self, prompt: str) -> str | None:
        if self._pending is not None:
            line, self._pending = self._pending, None
            return line
        return self._next(prompt)

    def discard(self) -> None:
        self._pending = None

    def read(self) -> str | None:
        """The next input (a `:` command is one line), or None at the end of the input."""
        line = self._line(PS1)
        while line is not None and not line.strip():
            line = self._line(PS1)
        if line is None:
            return None
        if line.lstrip().startswith(":"):
            return line.strip()
        lines = [line]
        while True:
            text = "\n".join(lines)
            still_open = incomplete(text)
            if not still_open and not _opens_block(lines):
                return text
            nxt = self._next(PS2)
            if nxt is None:
                return text
            if not still_open:
                if not nxt.strip():
                    if not self._look_past_blanks:
                        return text
                    blanks = [nxt]
                    while nxt is not None and not nxt.strip():
                        nxt = self._next(PS2)
                        blanks.append(nxt or "")
                    if nxt is None or nxt[0] not in " \t":
                        self._pending = nxt
                        return text
                    lines.extend(blanks[:-1])
                if nxt[0] not in " \t" and not _continues(nxt, lines):
                    self._pending = nxt
                    return text
            lines.append(nxt)


class Repl:
    """The loop: read an input, run it in the session, print what it produced."""

    def __init__(self, session: Session, *, interactive: bool) -> None:
        self.session = session
        self.interactive = interactive
        self.failed = False
        self.done = False

    def emit(self, outcome: Outcome) -> None:
        for line in outcome.results:
            click.echo(line)
        for message in outcome.messages:
            click.echo(message, err=True)
        if not outcome.ok:
            self.failed = True

    def command(self, text: str) -> None:
        name, _, arg = text[1:].partition(" ")
        arg = arg.strip()
        if name in ("q", "quit", "exit"):
            self.done = True
        elif name in ("h", "help", "?"):
            click.echo(HELP)
        elif name in ("t", "type"):
            if not arg:
                self.emit(Outcome(False, messages=["usage: :type EXPR"]))
            else:
                self.emit(self.session.type_of(arg))
        elif name in ("l", "load"):
            if not arg:
                self.emit(Outcome(False, messages=["usage: :load FILE"]))
            else:
                self.emit(self.session.load_file(os.path.expanduser(arg)))
        else:
            self.emit(Outcome(False, messages=[f"unknown command :{name} (:help lists the commands)"]))

    def loop(self, reader: Reader) -> None:
        while not self.done:
            try:
                text = reader.read()
                if text is None:
                    break
                if text.startswith(":"):
                    self.command(text)
                else:
                    self.emit(self.session.run(text))
            except KeyboardInterrupt:
                reader.discard()
                click.echo("\nKeyboardInterrupt", err=True)
                if not self.interactive:
                    self.failed = True
                    break
            except Exception as e:  # a bug in sgl: reported, and the session goes on
                if env("SGL_DEBUG"):
                    traceback.print_exc()
                self.emit(Outcome(False, messages=[
                    f"internal error: {type(e).__name__}: {e} (a bug in sgl; set SGL_DEBUG=1 for the traceback)"]))


def _history_file() -> Path:
    return Path(env("SGL_HISTORY") or Path.home() / ".sgl_history")


def _terminal_reader() -> tuple[Reader, Callable[[], None]]:
    """A reader with readline editing and a persistent history, and the function that saves it."""
    try:
        import readline
    except ImportError:  # a Python built without readline: plain input() still works
        return Reader(_prompted), lambda: None
    history = _history_file()
    try:
        readline.read_history_file(history)
    except (OSError, ValueError):
        pass
    readline.set_history_length(1000)

    def save() -> None:
        try:
            readline.write_history_file(history)
        except OSError:
            pass

    return Reader(_prompted), save


def _prompted(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        click.echo()
        return None


def _piped(prompt: str) -> str | None:
    line = sys.stdin.readline()
    return line.rstrip("\r\n") if line else None


@click.command("repl")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--steps", type=click.IntRange(min=1), help="Step limit of each input (calls and loop iterations).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Wall-clock limit of each input, seconds.")
def repl_command(files: tuple[Path, ...], steps: int | None, timeout: float | None) -> None:
    """Evaluate SGL interactively; FILES are loaded first (as `:load FILE`).

    Fed from a pipe, it prints each result and exits 1 if any input failed:
    printf '1 + 2\\n' | sgl repl
    """
    from seglam_lang.runtime.limits import DEFAULT_LIMITS

    limits = DEFAULT_LIMITS
    if steps is not None:
        limits = limits.replace(steps=steps)
    if timeout is not None:
        limits = limits.replace(timeout=timeout)
    interactive = sys.stdin.isatty()
    repl = Repl(Session(limits), interactive=interactive)
    for f in files:
        repl.emit(repl.session.load_file(str(f)))
    if not interactive:
        repl.loop(Reader(_piped, look_past_blanks=True))
        sys.exit(1 if repl.failed else 0)
    from importlib.metadata import version

    click.echo(f"sgl {version('seglam-lang')} repl: :help for help, Ctrl-D to quit")
    reader, save = _terminal_reader()
    try:
        repl.loop(reader)
    finally:
        save()
