"""A REPL session: SGL inputs evaluated one after another, keeping declarations and bindings.

Owns: turning one input (statements, an expression, or declarations) into a module that the
ordinary pipeline loads (`seglam_lang.runtime.embedding.loads`: parse, check, compile), running
it, and keeping what the input defined for the next input.

How an input runs. The session keeps the source text of its declarations (procs, records,
`use`s, and the constants of loaded files) and its *bindings* (name, annotation, SGL value).
Statements and expressions become the body of a generated `proc __repl__` whose parameters
are the bindings, each annotated with its type. A first load (returning `None`) asks the
checker for the type of the input's expression and of the names the input assigns at its
top level; a second load returns them (`-> Tuple[...]`), and the call's result becomes the
new bindings. Declarations are added to (or replace, by name) the kept ones once the
whole module checks. `example`s and `property`s typed in are verified at once, not kept.

Invariants:
- nothing is re-implemented: the parser, the checker, the compiler and the verifier decide
  what an input means; the session only writes the wrapper around it;
- every problem is reported as the parser's, checker's or runtime's diagnostic, located in
  what the user typed (file `<input>`, its own lines and columns) or in a loaded file, never
  in the generated wrapper; an input that fails changes nothing in the session;
- a binding whose type cannot be written as an annotation (a function, an iterator, a
  view, the `List[Any]` of an empty `[]`) is not kept, and a note says how to keep it;
- every run is bounded by the session's limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seglam_lang.check.types import NONE, Type, UnknownType, from_annotation
from seglam_lang.codes import E_USAGE, E_USED_BEFORE_ASSIGNMENT
from seglam_lang.errors import (
    NO_SPAN,
    Diagnostic,
    SglError,
    SglRuntimeError,
    SglUsageError,
    Span,
    TraceFrame,
    trace_lines,
)
from seglam_lang.frozen import define, evolve, field, frozen
from seglam_lang.runtime.limits import DEFAULT_LIMITS, Limits
from seglam_lang.syntax import ast

INPUT = "<input>"
_GENERATED = "<repl>"
_PROC = "__repl__"
_RESULT = "__it__"
_INDENT = 4
# An input whose first word is one of these is declarations; anything else is statements.
DECL_KEYWORDS = ("proc", "record", "use", "example", "property", "origin")


@frozen
class Binding:
    """A name kept between inputs: its type as an annotation, and its SGL value."""

    name: str
    annotation: str
    value: Any


@frozen
class Decl:
    """A kept declaration: its source text and where it came from."""

    key: str
    text: str
    file: str
    line: int


@define
class Outcome:
    """What one input produced: results (for stdout) and messages (diagnostics, notes: for stderr)."""

    ok: bool = True
    results: list[str] = field(factory=list)
    messages: list[str] = field(factory=list)


class _Source:
    """A generated module under construction, remembering where each line came from."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._origin: list[tuple[str, int, int] | None] = []  # per line: (file, line, columns added)

    def add(self, text: str, file: str | None = None, line: int = 1, indent: int = 0) -> None:
        """Append `text`, indented by `indent` except for lines that continue a string literal."""
        inside = string_continuations(text)
        for i, ln in enumerate(text.split("\n")):
            pad = indent if ln.strip() and i not in inside else 0
            self.lines.append(" " * pad + ln)
            self._origin.append((file, line + i, pad) if file is not None else None)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def relocate_text(self, text: str) -> str:
        """`text` with each `<repl>:LINE:COL` position replaced by where it came from."""

        def sub(m: re.Match[str]) -> str:
            line, col = int(m.group(1)), int(m.group(2))
            file, span = self.locate(_GENERATED, Span(line, col, line, col + 1))
            return f"{file}:{span.line}:{span.col}" if span != NO_SPAN else file

        return re.sub(re.escape(_GENERATED) + r":(\d+):(\d+)", sub, text)

    def locate(self, file: str, span: Span) -> tuple[str, Span]:
        """Where a position in the generated module came from (`NO_SPAN` when it is generated text)."""
        if file != _GENERATED:
            return file, span
        origin = self._origin[span.line - 1] if 0 < span.line <= len(self._origin) else None
        if origin is None:
            return INPUT, NO_SPAN
        where, line, pad = origin
        end = self._origin[span.end_line - 1] if 0 < span.end_line <= len(self._origin) else None
        if end is None or end[0] != where:
            end = (where, line, pad)
            end_col = span.col - pad + 1
        else:
            end_col = span.end_col - end[2]
        return where, Span(line, max(span.col - pad, 1), end[1], max(end_col, 1))


def scan_code(text: str) -> tuple[str, bool, set[int]]:
    """`text` with comments removed and strings emptied (`""`, newlines kept), whether a
    triple-quoted string is left open, and the (0-based) lines that begin inside a string."""
    out: list[str] = []
    inside: set[int] = set()
    line = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
            continue
        if c in "\"'":
            quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n":
                    if len(quote) == 1:
                        break  # an unterminated one-line string: the parser will say so
                    line += 1
                    inside.add(line)
                j += 1
            if j >= n and len(quote) == 3:
                return "".join(out), True, inside
            out.append('""' + "\n" * text.count("\n", i, min(j, n)))
            i = j + len(quote)
            continue
        if c == "\n":
            line += 1
        out.append(c)
        i += 1
    return "".join(out), False, inside


def string_continuations(text: str) -> set[int]:
    """The (0-based) lines of `text` that begin inside a multi-line string literal."""
    return scan_code(text)[2]


def _walk_stmts(stmts: tuple[ast.Stmt, ...]) -> Iterator[ast.Stmt]:
    for s in stmts:
        yield s
        if isinstance(s, ast.If):
            yield from _walk_stmts(s.body)
            yield from _walk_stmts(s.orelse)
        elif isinstance(s, ast.For | ast.While):
            yield from _walk_stmts(s.body)


def _target_names(target: ast.Expr) -> Iterator[ast.Name]:
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, ast.TupleExpr):
        for t in target.elts:
            yield from _target_names(t)


def _assigned(stmts: tuple[ast.Stmt, ...], *, nested: bool) -> dict[str, ast.Name]:
    """Names the input assigns (each with its first target node): at its top level, or anywhere."""
    out: dict[str, ast.Name] = {}
    for s in _walk_stmts(stmts) if nested else stmts:
        # A loop's target is bound only if the loop ran: like a name assigned in a block.
        if isinstance(s, ast.Assign | ast.AnnAssign | ast.AugAssign) or (nested and isinstance(s, ast.For)):
            for n in _target_names(s.target):
                out.setdefault(n.id, n)
    return out


def _rebound(stmts: tuple[ast.Stmt, ...]) -> set[str]:
    """Names given a fresh value (`x = ...`, `x: T = ...`) at the top level: a new binding may replace the old."""
    return {n.id for s in stmts if isinstance(s, ast.Assign | ast.AnnAssign) for n in _target_names(s.target)}


def _split_decls(tree: ast.Module, text: str, file: str) -> list[tuple[ast.Decl, str, int]]:
    """Each declaration with its source text (to the next declaration) and first line."""
    lines = text.split("\n")
    starts = [d.span.line for d in tree.decls]
    out = []
    for i, d in enumerate(tree.decls):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else len(lines)
        out.append((d, "\n".join(lines[d.span.line - 1:end]).rstrip() + "\n", d.span.line))
    return out


def _decl_key(d: ast.Decl) -> str | None:
    """The name a kept declaration is replaced by; None for what is verified and not kept."""
    if isinstance(d, ast.Use):
        return d.local_name
    if isinstance(d, ast.ProcDecl | ast.RecordDecl | ast.ConstDecl):
        return d.name
    return None


class Session:
    """One REPL session. Not thread-safe; every method returns an `Outcome` and never raises an SglError."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or DEFAULT_LIMITS
        self.decls: dict[str, Decl] = {}
        self.bindings: dict[str, Binding] = {}
        self._texts: dict[str, str] = {}  # file -> source, for rendering diagnostics

    # ------------------------------------------------------------------ entry points

    def run(self, text: str) -> Outcome:
        """Evaluate one input: declarations, or statements (an expression's value is a result)."""
        self._texts[INPUT] = text
        try:
            if is_declaration(text):
                return self._declare(text, INPUT)
            return self._statements(text)
        except SglError as e:
            return Outcome(False, messages=[self._render(e, None)])

    def type_of(self, text: str) -> Outcome:
        """The type of an expression, as the checker infers it (`:type EXPR`); nothing is run."""
        self._texts[INPUT] = text
        try:
            tree = self._parse_input(text)
            stmts = self._input_stmts(tree)
            if len(stmts) != 1 or not isinstance(stmts[0], ast.ExprStmt):
                raise SglUsageError(":type takes one expression", code=E_USAGE, file=INPUT)
            module, _, _, _ = self._first_pass(text, self.bindings)
            return Outcome(results=[str(module.checked.types[id(self._input_stmts(module.tree)[0].value)])])
        except SglError as e:
            return Outcome(False, messages=[self._render(e, None)])

    def load_file(self, path: str) -> Outcome:
        """Bring the procs, records, constants and `use`s of an `.sgl` file into the session."""
        from seglam_lang.runtime.embedding import loads

        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            return Outcome(False, messages=[f"{path}: cannot read: {e}"])
        self._texts[str(p)] = text
        try:
            loads(text, p.stem, file=str(p), limits=self.limits)  # the file alone must load
            outcome = self._declare(text, str(p), verify=False)
        except SglError as e:
            return Outcome(False, messages=[self._render(e, None)])
        return outcome

    # ------------------------------------------------------------------ declarations

    def _declare(self, text: str, file: str, *, verify: bool = True) -> Outcome:
        from seglam_lang.syntax.astcache import parse_cached

        tree = parse_cached(text, file)
        decls = dict(self.decls)
        transient: list[tuple[str, int]] = []
        names: list[str] = []
        for d, d_text, line in _split_decls(tree, text, file):
            key = _decl_key(d)
            if key is None:
                if verify and isinstance(d, ast.ExampleDecl | ast.PropertyDecl):
                    transient.append((d_text, line))
                continue
            decls[key] = Decl(key, d_text, file, line)
            names.append(key)
        src = _Source()
        for d in decls.values():
            src.add(d.text, d.file, d.line)
        for d_text, line in transient:
            src.add(d_text, file, line)
        module = self._load(src)
        self.decls = decls
        outcome = Outcome()
        replaced = [n for n in names if n in self.bindings]
        for n in replaced:
            outcome.messages.append(f"note: `{n}` now names the declaration; the earlier binding is gone")
            del self.bindings[n]
        if file != INPUT:
            outcome.results.append(f"loaded {', '.join(names) or 'nothing'} from {file}")
        if transient:
            self._verify(module, src, outcome)
        return outcome

    def _verify(self, module: Any, src: _Source, outcome: Outcome) -> None:
        """Run the examples and properties typed in, and report them as `sgl test` does."""
        from seglam_lang.verify import verify
        from seglam_lang.verify.report import render_check

        report = verify(module, limits=self.limits)
        for check in report.checks:
            # `sgl test`'s details under a headline without the time (a transcript reads the same every run)
            details = [src.relocate_text(ln) for ln in render_check(check).split("\n")[1:]]
            outcome.results.append("\n".join([f"{check.kind} {check.name}: {check.status}", *details]))
            outcome.ok = outcome.ok and check.passed

    # ------------------------------------------------------------------ statements

    def _statements(self, text: str) -> Outcome:
        tree = self._parse_input(text)
        stmts = self._input_stmts(tree)
        for s in _walk_stmts(stmts):
            if isinstance(s, ast.Return):
                src = self._wrap(text, self.bindings, "None")
                file, span = src.locate(_GENERATED, s.span)
                raise SglUsageError("`return` outside a proc", code=E_USAGE, file=file, span=span,
                                    hint="a REPL input is not a proc: write the expression itself to see its value")
        try:
            module, src, params, assigned = self._first_pass(text, self.bindings)
        except SglError as first_error:
            # `x = "a"` when `x` is an Int binding: the new value may replace the binding.
            fresh = _rebound(stmts) & set(self.bindings)
            if not fresh:
                raise
            try:
                module, src, params, assigned = self._first_pass(
                    text, {k: b for k, b in self.bindings.items() if k not in fresh})
            except SglError:
                raise first_error from None
        outcome = Outcome()
        outcome.messages.extend(self._render_diagnostic(src, d) for d in module.checked.diagnostics)
        stmts = self._input_stmts(module.tree)
        types = module.checked.types
        records = module.interface.records
        keep = {name: b.annotation for name, b in params.items()}  # name -> annotation, as returned
        for name, node in assigned.items():
            t = types[id(node)]
            annotation = _annotation(t, records)
            if annotation is None:
                keep.pop(name, None)
                outcome.messages.append(
                    f"note: `{name}` ({t}) is not kept for the next input: its type cannot be written as an "
                    f"annotation; give it one (`{name}: List[Int] = []`) or make it a proc")
            else:
                keep[name] = annotation
        shown: str | None = None  # the annotation of the value returned: `(EXPR)` or `list(EXPR)`
        prefix = ""
        if len(stmts) == 1 and isinstance(stmts[0], ast.ExprStmt):
            value_type = types[id(stmts[0].value)]
            if value_type != NONE:
                shown = _annotation(value_type, records)
                opener = "("
                if shown is None:
                    # An iterator or a view is shown as the list of its items; a function by its type only.
                    opener, shown = "list(", _annotation(_as_list(value_type), records)
                    prefix = f"<{value_type}> "
                    if shown is None:
                        outcome.results.append(f"<{value_type}>")
        if shown is not None:
            returns = f"Tuple[{', '.join([shown, *keep.values()])}]"
            src = self._wrap(text, params, returns, before=f"{_RESULT} = {opener}", after=")",
                             result=[_RESULT, *keep])
        elif keep:
            src = self._wrap(text, params, f"Tuple[{', '.join(keep.values())}]", result=list(keep))
        else:
            src = self._wrap(text, params, "None")
        module = self._load(src)
        try:
            result = module.call_sgl(_PROC, [b.value for b in params.values()], limits=self.limits)
        except SglError as e:
            raise _Located(e, src) from None
        values = list(result) if (shown is not None or keep) else []
        if shown is not None:
            from seglam_lang.runtime.values import format_value

            outcome.results.append(prefix + format_value(values.pop(0)))
        self.bindings = {k: b for k, b in self.bindings.items() if k not in keep and k not in assigned}
        self.bindings.update((name, Binding(name, ann, v)) for (name, ann), v in zip(keep.items(), values))
        return outcome

    def _first_pass(self, text: str, bindings: dict[str, Binding]
                    ) -> tuple[Any, _Source, dict[str, Binding], dict[str, ast.Name]]:
        """Load the input returning None: the checked module, its source, the parameters and
        the names the input certainly binds. A name assigned only inside a block is kept when
        the checker finds it assigned on every path: a probe line reads each such name after
        the input, and the names it reports as possibly unassigned (E0214) are left out."""
        tree = self._parse_input(text)
        stmts = self._input_stmts(tree)
        top = _assigned(stmts, nested=False)
        probe = [n for n in _assigned(stmts, nested=True) if n not in top and n not in bindings]
        while True:
            src = self._wrap(text, bindings, "None", probe=probe)
            try:
                module = self._load(src)
            except _Located as e:
                if not probe:
                    raise
                on_probe = [d for d in e.diagnostics if d.span.line == len(src.lines)]
                unbound = {src.lines[-1][d.span.col - 1:d.span.end_col - 1] for d in on_probe
                           if d.code == E_USED_BEFORE_ASSIGNMENT}
                if not unbound or len(on_probe) != len(unbound) or len(on_probe) != len(e.diagnostics):
                    raise
                probe = [n for n in probe if n not in unbound]
                continue
            names = {n: node for n, node in _assigned(self._input_stmts(module.tree), nested=True).items()
                     if n in top or n in probe}
            return module, src, bindings, names

    def _wrap(self, text: str, bindings: dict[str, Binding], returns: str, *, before: str | None = None,
              after: str | None = None, result: list[str] | None = None, probe: list[str] | None = None) -> _Source:
        src = _Source()
        for d in self.decls.values():
            src.add(d.text, d.file, d.line)
        params = ", ".join(f"{b.name}: {b.annotation}" for b in bindings.values())
        src.add(f"proc {_PROC}({params}) -> {returns}:")
        # `pass` first, so that a string typed alone is an expression, not the proc's docstring.
        src.add("pass", indent=_INDENT)
        if before is not None:
            src.add(before, indent=_INDENT)
        src.add(text.rstrip("\n"), INPUT, 1, _INDENT * (2 if before is not None else 1))
        if after is not None:
            src.add(after, indent=_INDENT)
        if probe:
            src.add(f"({', '.join(probe)},)", indent=_INDENT)
        if result is not None:
            src.add(f"return ({', '.join(result)},)", indent=_INDENT)
        return src

    # ------------------------------------------------------------------ shared

    def _parse_input(self, text: str) -> ast.Module:
        """The input wrapped as the body of a proc (syntax errors located in the input)."""
        from seglam_lang.syntax.astcache import parse_cached

        src = self._wrap(text, {}, "None")
        try:
            return parse_cached(src.text, _GENERATED)
        except SglError as e:
            raise _Located(e, src) from None

    @staticmethod
    def _input_stmts(tree: ast.Module) -> tuple[ast.Stmt, ...]:
        proc = next(d for d in tree.decls if isinstance(d, ast.ProcDecl) and d.name == _PROC)
        return proc.body[1:]

    def _load(self, src: _Source) -> Any:
        from seglam_lang.runtime.embedding import loads

        try:
            return loads(src.text, "repl", file=_GENERATED, limits=self.limits)
        except SglError as e:
            raise _Located(e, src) from None

    def _render_diagnostic(self, src: _Source | None, d: Diagnostic) -> str:
        if src is not None:
            file, span = src.locate(d.file, d.span)
            d = evolve(d, file=file, span=span)
        return d.render(self._source_of(d.file))

    def _source_of(self, file: str) -> str | None:
        if file not in self._texts:
            try:
                self._texts[file] = Path(file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
        return self._texts[file]

    def _render(self, e: SglError, src: _Source | None) -> str:
        if isinstance(e, _Located):
            e, src = e.error, e.source
        lines: list[str] = []
        if isinstance(e, SglRuntimeError) and len(e.frames) > 1:  # as `sgl test`: a trace when it goes through calls
            located = []
            for f in e.frames:
                file, span = src.locate(f.file, f.span) if src is not None else (f.file, f.span)
                located.append(TraceFrame(INPUT if f.name == _PROC else f.name, file, span))
            lines.extend(trace_lines(located))
        lines.extend(self._render_diagnostic(src, d) for d in e.diagnostics)
        return "\n".join(lines)


class _Located(SglError):
    """An error raised while loading or running a generated module, with that module (to locate it)."""

    def __init__(self, error: SglError, source: _Source) -> None:
        super().__init__(diagnostics=error.diagnostics)
        self.error = error
        self.source = source


def is_declaration(text: str) -> bool:
    """Whether an input declares (proc, record, use, example, property, a trigger) rather than runs."""
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        return stripped.startswith("@") or stripped.split(maxsplit=1)[0].rstrip(":") in DECL_KEYWORDS
    return False


def _as_list(t: Type) -> Type:
    from seglam_lang.check.types import IterT, ListT, ViewT

    if isinstance(t, IterT | ViewT):
        return ListT(t.elem)
    return t


def _annotation(t: Type, records: dict[str, Any]) -> str | None:
    """`str(t)` when it reads back, as an annotation, as the same type; None otherwise."""
    from seglam_lang.syntax.astcache import parse_cached

    text = str(t)
    try:
        tree = parse_cached(f"proc f(x: {text}) -> None:\n    pass\n", _GENERATED)
    except SglError:
        return None
    decl = tree.decls[0]
    assert isinstance(decl, ast.ProcDecl)
    try:
        back = from_annotation(decl.params[0].type, records)
    except UnknownType:
        return None
    return text if back == t else None
