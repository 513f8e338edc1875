"""The language commands of `sgl`: `exec`, `check` and `fmt`.

Owns: the click commands; what `exec` does is in `seglam_lang.cli.execute` (shared with
the lean path); walking files and reporting diagnostics (`check`), and rewriting files
atomically (`fmt`).

Invariants:
- every failure is a message on stderr and an exit code (see `seglam_lang.cli`): 1 when
  the program or its run fails, 2 for usage errors; never a Python traceback;
- results go to stdout, diagnostics to stderr;
- `fmt` never leaves a half-written file: it writes a temporary file in the same
  directory and renames it over the original (`os.replace`), keeping the file's mode;
- the runtime is imported inside the commands that need it (`fmt` needs only the printer).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from seglam_lang.cli.atomic import atomic_output
from seglam_lang.cli.execute import Sources, fail_with, read_source, run_exec
from seglam_lang.cli.failures import EXIT_FAILURE, EXIT_USAGE, emit_json_failure, fail
from seglam_lang.errors import Diagnostic, SglError

# ---------------------------------------------------------------- shared helpers


def _sgl_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; directories walked for `*.sgl`, in sorted order."""
    for p in paths:
        if p.is_dir():
            yield from sorted(x for x in p.rglob("*.sgl") if x.is_file())
        else:
            yield p


# ---------------------------------------------------------------- sgl exec


@click.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("words", nargs=-1, metavar="[PROC] [ARG]...")
@click.option("--args-json", metavar="JSON", help='Named arguments as a JSON object, e.g. \'{"start": "2024-01-03"}\'.')
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON instead of an SGL literal.")
@click.option("--steps", type=click.IntRange(min=1), help="Step limit (calls and loop iterations).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Wall-clock limit in seconds.")
@click.option("--tier", type=click.Choice(["auto", "tree", "jit"]), default="auto", show_default=True,
              help="Execution tier (spec/tiers.md): auto follows $SGL_TIER, else translates what it can.")
def exec_command(file: Path, words: tuple[str, ...], args_json: str | None, as_json: bool,
                 steps: int | None, timeout: float | None, tier: str) -> None:
    """Run PROC of FILE (default: `main`, or the file's only proc) and print its result.

    Each ARG is an SGL literal read as its parameter's type: 42, -1.5, '"text"',
    '[1, 2]', 'date("2024-01-03")', 'Decimal("1.10")', 'Item(name="pen", qty=3)'.
    Arguments may be named: 'qty=3'.
    """
    run_exec(file, words, args_json, as_json, steps, timeout, tier)


# ---------------------------------------------------------------- sgl check


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object (for tools).")
def check_command(paths: tuple[Path, ...], as_json: bool) -> None:
    """Parse and type-check FILES (directories are searched for *.sgl; `-`: stdin).

    Exit 0 when every file is clean, 1 with every diagnostic otherwise.
    """
    from seglam_lang.runtime.embedding import loads

    sources = Sources()
    found: list[Diagnostic] = []
    if any(str(p) == "-" for p in paths):
        if len(paths) != 1:
            fail("`-` (stdin) cannot be combined with files", EXIT_USAGE)
        inputs: list[tuple[str, str]] = [("<stdin>", sys.stdin.read())]
    else:
        inputs = [(str(path), read_source(path)) for path in _sgl_files(paths)]
    for file, source in inputs:
        sources.add(file, source)
        try:
            module = loads(source, Path(file).stem, file=file)
        except SglError as e:
            found.extend(e.diagnostics)
            continue
        # Warnings do not fail a check, but they are shown.
        found.extend(getattr(module.checked, "diagnostics", ()))
    errors = [d for d in found if d.severity == "error"]
    summary = (f"{len(errors)} error(s) in {len({d.file for d in errors})} of {len(inputs)} file(s)" if errors
               else f"ok: {len(inputs)} file(s)")
    if as_json:
        result: dict[str, Any] = {"files": len(inputs), "errors": len(errors),
                                  "diagnostics": [d.to_json() for d in found]}
        if errors:
            emit_json_failure(errors[0].headline(), EXIT_FAILURE, errors[0].code, result)
        else:
            click.echo(json.dumps(result, indent=2))
    if errors or not as_json:
        for d in found:
            click.echo(sources.render_diagnostic(d), err=True)
        click.echo(summary, err=bool(errors))
    sys.exit(EXIT_FAILURE if errors else 0)


# ---------------------------------------------------------------- sgl fmt


@click.command("fmt")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 listing files that would change.")
def fmt_command(paths: tuple[Path, ...], check_only: bool) -> None:
    """Format FILES in the canonical SGL layout, in place (`-`: stdin to stdout).

    Directories are searched for *.sgl. Comments are kept.
    """
    try:
        from seglam_lang.syntax.format import format_source
    except ImportError:  # where the contract first put it
        from seglam_lang.syntax.printer import format_source

    if any(str(p) == "-" for p in paths):
        if len(paths) != 1:
            fail("`-` (stdin) cannot be combined with files", EXIT_USAGE)
        source = sys.stdin.read()
        try:
            formatted = format_source(source, file="<stdin>")
        except SglError as e:
            stdin = Sources()
            stdin.add("<stdin>", source)
            fail_with(stdin, e)
        if check_only:
            sys.exit(EXIT_FAILURE if formatted != source else 0)
        sys.stdout.write(formatted)
        return

    sources = Sources()
    changed: list[Path] = []
    failed = False
    for path in _sgl_files(paths):
        source = read_source(path)
        sources.add(str(path), source)
        try:
            formatted = format_source(source, file=str(path))
        except SglError as e:
            click.echo(sources.render(e), err=True)
            failed = True
            continue
        if formatted == source:
            continue
        changed.append(path)
        if check_only:
            click.echo(f"would reformat {path}")
        else:
            _write_atomically(path, formatted)
            click.echo(f"reformatted {path}")
    sys.exit(EXIT_FAILURE if failed or (check_only and changed) else 0)


def _write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so a reader sees the old file or the new one, never half of one."""
    with atomic_output(path, newline="") as f:
        f.write(text)
