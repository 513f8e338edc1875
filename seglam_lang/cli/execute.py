"""What `sgl exec` does once its command line is read, shared by the click command and the lean path.

Owns `run_exec(...)` (load the file, choose the proc, bind the command-line arguments to its
parameters, run it under the limits given, print the result), `read_source` and `Sources`
(a file's text, and diagnostics rendered with their source lines), and `fail_with`.

Invariants: imports neither click nor the runtime until called; every failure is a message
on stderr and an exit code (1 when the program or its run fails, 2 for usage errors: see
`seglam_lang.cli`), never a traceback; the result goes to stdout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from seglam_lang.cli.failures import EXIT_FAILURE, EXIT_USAGE, echo, fail
from seglam_lang.errors import Diagnostic, SglError, SglRuntimeError, trace_lines

if TYPE_CHECKING:
    from seglam_lang.check.types import ParamSig, RecordT, Type

_IDENT = re.compile(r"[^\W\d]\w*\Z")
_KEYWORD_ARG = re.compile(r"([^\W\d]\w*)\s*=(?!=)(.*)\Z", re.S)
_NOT_PROC_NAMES = {"True", "False", "None"}


def read_source(path: Path) -> str:
    """The text of an input file; a usage error (or exit 1 for text that is not UTF-8) otherwise."""
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


class Sources:
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


def run_exec(file: Path, words: tuple[str, ...], args_json: str | None, as_json: bool, steps: int | None,
             timeout: float | None, tier: str = "auto") -> None:
    """Run PROC of FILE with ARGs (see `sgl exec`) and print its result."""
    from seglam_lang.runtime.convert import ConvertError, to_json
    from seglam_lang.runtime.embedding import load
    from seglam_lang.runtime.limits import Limits
    from seglam_lang.runtime.values import format_value

    source = read_source(file)
    sources = Sources()
    sources.add(str(file), source)
    try:
        module = load(file, limits=Limits(tier=tier), image=True)  # a file run before: no parse or check
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
        echo(text)
    else:
        echo(format_value(result))


def fail_with(sources: Sources, e: SglError) -> NoReturn:
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
