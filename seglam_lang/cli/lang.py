"""The language commands of `sgl`: `exec`, `check` and `fmt`.

Owns: choosing the procedure and binding command-line arguments to its parameters
(`exec`), walking files and reporting diagnostics (`check`), and rewriting files
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
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from seglam_lang.cli import EXIT_FAILURE, EXIT_USAGE, emit_json_failure, fail
from seglam_lang.cli.atomic import atomic_output
from seglam_lang.errors import Diagnostic, SglError, SglRuntimeError, trace_lines

if TYPE_CHECKING:
    from seglam_lang.check.types import ParamSig, RecordT, Type

_IDENT = re.compile(r"[^\W\d]\w*\Z")
_KEYWORD_ARG = re.compile(r"([^\W\d]\w*)\s*=(?!=)(.*)\Z", re.S)
_NOT_PROC_NAMES = {"True", "False", "None"}


# ---------------------------------------------------------------- shared helpers


def _read_source(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{path}: no such file", EXIT_USAGE)
    except IsADirectoryError:
        fail(f"{path}: is a directory", EXIT_USAGE)
    except UnicodeDecodeError as e:
        fail(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})")
    except OSError as e:
        fail(f"{path}: cannot read ({e.strerror})", EXIT_USAGE)


class _Sources:
    """Source text by file name, for rendering diagnostics (stdlib files are read on demand)."""

    def __init__(self) -> None:
        self._texts: dict[str, str | None] = {}

    def add(self, file: str, text: str) -> None:
        self._texts[file] = text

    def get(self, file: str) -> str | None:
        if file not in self._texts:
            try:
                self._texts[file] = Path(file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._texts[file] = None
        return self._texts[file]

    def render(self, err: SglError) -> str:
        """Every diagnostic with its source line and caret; runtime errors with the SGL traceback."""
        lines: list[str] = []
        if isinstance(err, SglRuntimeError) and err.frames:
            lines.extend(trace_lines(err.frames))
        lines.extend(self.render_diagnostic(d) for d in err.diagnostics)
        return "\n".join(lines)

    def render_diagnostic(self, d: Diagnostic) -> str:
        return d.render(self.get(d.file))


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
    import seglam_lang
    from seglam_lang.runtime.convert import ConvertError, to_json
    from seglam_lang.runtime.values import format_value

    source = _read_source(file)
    sources = _Sources()
    sources.add(str(file), source)
    try:
        module = seglam_lang.load(file, limits=seglam_lang.Limits(tier=tier))
    except SglError as e:
        fail_with(sources, e)

    words = tuple(words)
    for w in words:
        if re.match(r"--?[A-Za-z]", w):
            fail(f"no such option: {w} (see `sgl exec --help`; write -- before an argument that starts with '-')",
                 EXIT_USAGE)
    proc, words = _choose_proc(module, file, words)
    sig = module.procs[proc].sig
    try:
        args, kwargs = _bind(sig.params, words, args_json, _record_defaults(module))
    except ConvertError as e:
        fail(f"{proc}: {e}", EXIT_USAGE)

    limits = module.limits
    try:
        if steps is not None:
            limits = limits.replace(steps=steps)
        if timeout is not None:
            limits = limits.replace(timeout=timeout)
    except ValueError as e:  # outside the range a limit can hold
        fail(str(e), EXIT_USAGE)
    try:
        result = module.call_sgl(proc, args, kwargs, limits=limits)
    except SglError as e:
        fail_with(sources, e)
    if as_json:
        try:
            text = json.dumps(to_json(result), ensure_ascii=False)
        except ConvertError as e:
            fail(f"{proc}: cannot write the result as JSON: {e}", EXIT_FAILURE, error_code=e.diagnostic.code)
        click.echo(text)
    else:
        click.echo(format_value(result))


def fail_with(sources: _Sources, e: SglError) -> NoReturn:
    """Fail (exit 1) with an SGL error rendered with its source lines (and, under --json, as data)."""
    details: dict[str, Any] = {"diagnostics": [d.to_json() for d in e.diagnostics]}
    if isinstance(e, SglRuntimeError) and e.frames:
        details["traceback"] = [str(f).strip() for f in e.frames]
    fail(e.diagnostic.headline(), EXIT_FAILURE, error_code=e.diagnostic.code, details=details, text=sources.render(e))


def _choose_proc(module: Any, file: Path, words: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The proc to run and the remaining words: PROC if given, else `main`, else the only proc."""
    procs = list(module.procs)
    if words and _IDENT.match(words[0]) and words[0] not in _NOT_PROC_NAMES:
        if words[0] not in module.procs:
            listing = ", ".join(procs) or "none"
            fail(f"{file}: no proc named {words[0]!r} (procs: {listing})", EXIT_USAGE)
        return words[0], words[1:]
    if "main" in module.procs:
        return "main", words
    if len(procs) == 1:
        return procs[0], words
    if not procs:
        fail(f"{file}: has no procs to run", EXIT_USAGE)
    fail(f"{file}: has {len(procs)} procs and no `main`; name one: {', '.join(procs)}", EXIT_USAGE)


def _bind(params: tuple[ParamSig, ...], words: tuple[str, ...], args_json: str | None,
          record_defaults: Callable[[RecordT], Mapping[str, Any]]) -> tuple[list[Any], dict[str, Any]]:
    """Positional ARGs, then `name=value` ARGs, then --args-json, each read by its parameter's type
    (`seglam_lang.runtime.convert`); ConvertError names the argument that did not read."""
    from seglam_lang.runtime.convert import ConvertError, from_json, load_json, read_literal

    by_name = {p.name: p for p in params}
    given: dict[str, Any] = {}

    def convert(name: str, read: Callable[[Type], Any]) -> Any:
        try:
            return read(by_name[name].type)
        except ConvertError as e:
            raise ConvertError(f"argument {name!r}: {e}") from None

    positional = 0
    named = False
    for w in words:
        m = _KEYWORD_ARG.match(w)
        if m:
            name, text, named = m.group(1), m.group(2).strip(), True
        elif named:
            raise ConvertError(f"positional argument {w!r} follows a named one")
        else:
            if positional >= len(params):
                raise ConvertError(f"takes {len(params)} argument(s), got more ({_signature(params)})")
            name, text = params[positional].name, w
            positional += 1
        if name not in by_name:
            raise ConvertError(f"no parameter named {name!r} ({_signature(params)})")
        if name in given:
            raise ConvertError(f"argument {name!r} given twice")
        given[name] = convert(name, lambda t, text=text: read_literal(text, t, record_defaults))
    if args_json is not None:
        try:
            data = load_json(args_json)
        except ConvertError as e:
            raise ConvertError(f"--args-json: {e}") from None
        if not isinstance(data, dict):
            raise ConvertError("--args-json must be a JSON object of named arguments")
        for name, value in data.items():
            if name not in by_name:
                raise ConvertError(f"--args-json: no parameter named {name!r} ({_signature(params)})")
            if name in given:
                raise ConvertError(f"argument {name!r} given twice")
            given[name] = convert(name, lambda t, value=value: from_json(value, t, record_defaults))
    missing = [p.name for p in params if not p.has_default and p.name not in given]
    if missing:
        raise ConvertError(f"missing argument(s): {', '.join(missing)} ({_signature(params)})")
    return [], given


def _record_defaults(module: Any) -> Callable[[RecordT], Mapping[str, Any]]:
    """The evaluated field defaults of a record type of `module` (for records given without them)."""
    from seglam_lang.runtime.embedding import run_envelope

    def defaults(rt: RecordT) -> Mapping[str, Any]:
        # The record's constructor holds one constant cell per field default (evaluated once).
        cells = getattr(module.member(rt.name), "defaults", None) or {}
        return run_envelope(module.limits, lambda ctx: {n: c.get(ctx) for n, c in cells.items()})

    return defaults


def _signature(params: tuple[ParamSig, ...]) -> str:
    return "expects " + (", ".join(f"{p.name}: {p.type}" + (" = ..." if p.has_default else "") for p in params)
                         or "no arguments")


# ---------------------------------------------------------------- sgl check


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object (for tools).")
def check_command(paths: tuple[Path, ...], as_json: bool) -> None:
    """Parse and type-check FILES (directories are searched for *.sgl; `-`: stdin).

    Exit 0 when every file is clean, 1 with every diagnostic otherwise.
    """
    import seglam_lang

    sources = _Sources()
    found: list[Diagnostic] = []
    if any(str(p) == "-" for p in paths):
        if len(paths) != 1:
            fail("`-` (stdin) cannot be combined with files", EXIT_USAGE)
        inputs: list[tuple[str, str]] = [("<stdin>", sys.stdin.read())]
    else:
        inputs = [(str(path), _read_source(path)) for path in _sgl_files(paths)]
    for file, source in inputs:
        sources.add(file, source)
        try:
            module = seglam_lang.loads(source, Path(file).stem, file=file)
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
            stdin = _Sources()
            stdin.add("<stdin>", source)
            fail_with(stdin, e)
        if check_only:
            sys.exit(EXIT_FAILURE if formatted != source else 0)
        sys.stdout.write(formatted)
        return

    sources = _Sources()
    changed: list[Path] = []
    failed = False
    for path in _sgl_files(paths):
        source = _read_source(path)
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
