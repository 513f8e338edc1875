"""What an editor asks of one SGL document, answered from the parser and the checker.

Owns: analysing a document's text (`analyze`: parse, load its `use`s, check: the same
diagnostics `sgl check` gives), and the queries of the language server on the result:
the node at a position, hover text, definitions (in the file and in the stdlib), names in
scope and members for completion, references for rename, document symbols, and the fix a
diagnostic's hint suggests. Positions here are SGL's: 1-based lines and columns counted
in characters; the server converts them to the protocol's.

Invariants:
- no pygls here (it is tested without a server) and no rule of the language: types,
  bindings and diagnostics are the checker's (`check_module`, `Resolution`), signatures
  are the checker's tables (`check.builtins`) and the stdlib index (`runtime.stdlib_index`);
- `analyze` never raises on any text: a syntax error is a diagnostic and an analysis
  without a tree;
- nothing is written to disk (no parse cache entries per keystroke).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from seglam_lang.errors import Diagnostic, SglError, Span
from seglam_lang.frozen import define, frozen
from seglam_lang.syntax import ast

SGL_KEYWORDS = ("proc", "record", "use", "example", "property", "origin", "require", "fail", "if", "elif", "else",
                "for", "in", "while", "break", "continue", "pass", "return", "assert", "lambda", "and", "or", "not",
                "is", "None", "True", "False", "as")
_DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")
_IDENT = re.compile(r"[^\W\d]\w*\Z")
RESERVED = frozenset(keyword.kwlist) | {"require", "fail"}


@frozen
class Location:
    file: str
    span: Span


@define
class Analysis:
    """One version of a document: its tree and checked module when it parses, and its diagnostics."""

    file: str
    text: str
    tree: ast.Module | None
    checked: Any  # CheckedModule | None
    imports: Any  # runtime.loader.Imports | None
    diagnostics: list[Diagnostic]


def analyze(text: str, file: str) -> Analysis:
    """Parse and check `text` as the module in `file` (its `use`s loaded); never raises."""
    from seglam_lang.check import check_module
    from seglam_lang.runtime.embedding import module_diagnostics, std_imports
    from seglam_lang.syntax.parser import parse

    try:
        tree = parse(text, file)
    except SglError as e:
        return Analysis(file, text, None, None, None, list(e.diagnostics))
    imports = std_imports(file)
    try:
        checked = check_module(tree, name=Path(file).stem, imports=imports)
    except SglError as e:  # a stdlib module that does not load: reported, never raised
        return Analysis(file, text, tree, None, imports, list(e.diagnostics))
    return Analysis(file, text, tree, checked, imports, module_diagnostics(checked, imports))


# ---------------------------------------------------------------- walking the tree


def children(node: Any) -> Iterator[Any]:
    for a in getattr(node, "__frozen_fields__", ()):
        if a.name == "span":
            continue
        value = getattr(node, a.name)
        items = value if isinstance(value, tuple) else (value,)
        for v in items:
            if hasattr(v, "__frozen_fields__"):
                yield v
            elif isinstance(v, tuple):  # a pair inside a tuple (origin entries)
                yield from (x for x in v if hasattr(x, "__frozen_fields__"))


def walk(node: Any) -> Iterator[Any]:
    yield node
    for c in children(node):
        yield from walk(c)


def contains(span: Span, line: int, col: int) -> bool:
    if span.line == 0:
        return False
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


def path_at(tree: ast.Module, line: int, col: int) -> list[Any]:
    """The nodes around a position, outermost first (the declaration, ..., the innermost node)."""
    path: list[Any] = []
    nodes = list(tree.decls)
    while True:
        inner = [n for n in nodes if contains(getattr(n, "span", Span(0, 0, 0, 0)), line, col)]
        if not inner:
            return path
        node = min(inner, key=lambda n: (n.span.end_line - n.span.line, n.span.end_col - n.span.col))
        path.append(node)
        nodes = list(children(node))


def enclosing_function(path: list[Any]) -> ast.ProcDecl | ast.PropertyDecl | None:
    return next((n for n in reversed(path) if isinstance(n, ast.ProcDecl | ast.PropertyDecl)), None)


def name_span(decl: Any, text: str) -> Span:
    """The span of a declaration's (or parameter's, field's) own name."""
    name = decl.name
    lines = text.split("\n")
    line = decl.span.line
    # A proc's span starts at its first trigger: its name is on the `proc` line.
    for n in range(decl.span.line, min(decl.span.end_line, len(lines)) + 1):
        m = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", lines[n - 1][decl.span.col - 1 if n == line else 0:])
        if m and not lines[n - 1].lstrip().startswith("@"):
            start = m.start() + 1 + (decl.span.col - 1 if n == line else 0)
            return Span(n, start, n, start + len(name))
    return Span(line, decl.span.col, line, decl.span.col + len(name))


# ---------------------------------------------------------------- what a name refers to


def binding_of(a: Analysis, node: Any) -> Any:
    return a.checked.resolution.bindings.get(id(node)) if a.checked is not None else None


def type_of(a: Analysis, node: Any) -> Any:
    return a.checked.types.get(id(node)) if a.checked is not None else None


def decl_named(tree: ast.Module, name: str) -> Any:
    return next((d for d in tree.decls if getattr(d, "name", None) == name and not isinstance(d, ast.ExampleDecl)),
                None)


def use_named(tree: ast.Module, alias: str) -> ast.Use | None:
    return next((d for d in tree.decls if isinstance(d, ast.Use) and d.local_name == alias), None)


def std_module(a: Analysis, alias: str) -> Any:
    """The loaded stdlib module (`runtime.loader.StdModule`) a `use` alias names, if it loaded."""
    return a.imports.by_alias.get(alias) if a.imports is not None else None


@cache
def stdlib_entries() -> dict[tuple[str, str], Any]:
    """Every documented stdlib member by (module, name): signature, first doc line, example."""
    from seglam_lang.runtime.stdlib_index import entries

    return {(e.module, e.name): e for e in entries()}


def local_occurrences(fn: Any, name: str) -> list[Span]:
    """Where a parameter or local `name` of a proc/property is bound or used (lambdas and
    comprehensions that rebind the name keep theirs)."""
    spans = [Span(p.span.line, p.span.col, p.span.line, p.span.col + len(name)) for p in fn.params if p.name == name]

    def visit(node: Any, shadowed: bool) -> None:
        if isinstance(node, ast.Lambda) and name in node.params:
            shadowed = True
        if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            targets = {n.id for g in node.generators for n in walk(g.target) if isinstance(n, ast.Name)}
            if name in targets:
                shadowed = True
        if isinstance(node, ast.Name) and node.id == name and not shadowed:
            spans.append(node.span)
        for c in children(node):
            visit(c, shadowed)

    for s in fn.body:
        visit(s, False)
    return sorted(set(spans), key=lambda s: (s.line, s.col))


def global_occurrences(a: Analysis, name: str) -> list[Span]:
    """Where a module-level proc, record or constant is named: its declaration and every use."""
    from seglam_lang.check.scope import Kind

    assert a.tree is not None
    spans = []
    decl = decl_named(a.tree, name)
    if decl is not None:
        spans.append(name_span(decl, a.text))
    for node in walk(a.tree):
        if isinstance(node, ast.Name) and node.id == name:
            b = binding_of(a, node)
            if b is not None and b.kind is Kind.GLOBAL:
                spans.append(node.span)
        elif isinstance(node, ast.TypeName) and node.name == name:
            spans.append(Span(node.span.line, node.span.col, node.span.line, node.span.col + len(name)))
    return sorted(set(spans), key=lambda s: (s.line, s.col))


def trigger_slots(a: Analysis, proc: ast.ProcDecl, name: str) -> list[Span]:
    """The `{name}` slots of a proc's `@when` templates (renaming a parameter renames them)."""
    lines = a.text.split("\n")
    out = []
    for t in proc.triggers:
        text = lines[t.span.line - 1] if 0 < t.span.line <= len(lines) else ""
        for m in re.finditer(r"\{" + re.escape(name) + r"\}" if not t.is_regex else r"\(\?P<" + re.escape(name) + ">",
                             text):
            start = m.start() + (1 if not t.is_regex else 4) + 1
            out.append(Span(t.span.line, start, t.span.line, start + len(name)))
    return out


def keyword_occurrences(a: Analysis, proc: str, name: str) -> list[Span]:
    """Keyword arguments `name=` in calls of `proc` (renaming its parameter renames them)."""
    assert a.tree is not None
    out = []
    for node in walk(a.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == proc:
            for k in node.keywords:
                if k.name == name:
                    out.append(Span(k.span.line, k.span.col, k.span.line, k.span.col + len(name)))
    return out


# ---------------------------------------------------------------- queries


def hover(a: Analysis, line: int, col: int) -> tuple[str, Span] | None:
    """Markdown for what is at a position (signature and docstring, or the type), and its span."""
    from seglam_lang.check.builtins import BUILTIN_FUNCTIONS, METHODS
    from seglam_lang.check.scope import Kind

    if a.tree is None:
        return None
    path = path_at(a.tree, line, col)
    if not path:
        return None
    node = path[-1]
    if isinstance(node, ast.ProcDecl | ast.RecordDecl | ast.PropertyDecl | ast.ConstDecl):
        if contains(name_span(node, a.text), line, col):
            return declaration_text(a, node), name_span(node, a.text)
        return None
    if isinstance(node, ast.Param):
        from seglam_lang.syntax.printer import print_type

        return _code(f"(parameter) {node.name}: {print_type(node.type)}"), node.span
    if isinstance(node, ast.Attribute):
        value = node.value
        if isinstance(value, ast.Name) and (b := binding_of(a, value)) is not None and b.kind is Kind.MODULE:
            module = std_module(a, value.id)
            if module is not None:
                entry = stdlib_entries().get((module.name, node.attr))
                if entry is not None:
                    return _code(f"{module.name}.{entry.signature}") + "\n\n" + entry.doc, node.span
        recv = type_of(a, value)
        t = type_of(a, node)
        method = METHODS.get(_type_key(recv), {}).get(node.attr) if recv is not None else None
        if method is not None:
            return _code(f"({recv}).{method}"), node.span
        if t is not None:
            return _code(f"{node.attr}: {t}"), node.span
    if isinstance(node, ast.Name):
        b = binding_of(a, node)
        if b is not None and b.kind is Kind.GLOBAL:
            decl = decl_named(a.tree, node.id)
            if decl is not None:
                return declaration_text(a, decl), node.span
        if b is not None and b.kind is Kind.BUILTIN and node.id in BUILTIN_FUNCTIONS:
            return _code(BUILTIN_FUNCTIONS[node.id]) + "\n\n(built-in)", node.span
        if b is not None and b.kind is Kind.MODULE:
            module = std_module(a, node.id)
            return _code(f"use {module.name if module else node.id}" + (f" as {node.id}" if module else "")), node.span
        t = type_of(a, node)
        if t is not None:
            return _code(f"{node.id}: {t}"), node.span
        return None
    if isinstance(node, ast.TypeName):
        decl = decl_named(a.tree, node.name)
        if isinstance(decl, ast.RecordDecl):
            return declaration_text(a, decl), node.span
        return _code(f"(type) {node.name}"), node.span
    t = type_of(a, node)
    return (_code(str(t)), node.span) if t is not None else None


def _code(text: str) -> str:
    return f"```sgl\n{text}\n```"


def _type_key(t: Any) -> str:
    from seglam_lang.check.types import PrimT, strip_optional

    t = strip_optional(t)
    if isinstance(t, PrimT):
        return t.name
    return type(t).__name__.removesuffix("T")


def declaration_text(a: Analysis, decl: Any) -> str:
    """A declaration's signature (as written) and docstring, as hover Markdown."""
    from seglam_lang.syntax.printer import print_expr, print_type

    if isinstance(decl, ast.ProcDecl | ast.PropertyDecl):
        params = ", ".join(f"{p.name}: {print_type(p.type)}" + (f" = {print_expr(p.default)}" if p.default else "")
                           for p in decl.params)
        head = (f"proc {decl.name}({params}) -> {print_type(decl.returns)}" if isinstance(decl, ast.ProcDecl)
                else f"property {decl.name}({params})")
        triggers = "".join(f'@when({"re" if t.is_regex else ""}"{t.pattern}")\n' for t in getattr(decl, "triggers", ()))
        return _code(triggers + head) + (f"\n\n{decl.doc.strip()}" if decl.doc else "")
    if isinstance(decl, ast.RecordDecl):
        fields = "\n".join(f"    {f.name}: {print_type(f.type)}" + (f" = {print_expr(f.default)}" if f.default else "")
                           for f in decl.fields)
        return _code(f"record {decl.name}:\n{fields}") + (f"\n\n{decl.doc.strip()}" if decl.doc else "")
    if isinstance(decl, ast.ConstDecl):
        t = a.checked.interface.consts.get(decl.name) if a.checked is not None else None
        return _code(f"{decl.name}: {t if t is not None else '?'} = {print_expr(decl.value)}")
    if isinstance(decl, ast.Use):
        return _code(f"use {'.'.join(decl.path)}")
    return _code(str(decl))


def definition(a: Analysis, line: int, col: int) -> Location | None:
    """Where the name at a position is defined: in this file, or in a stdlib module's file."""
    from seglam_lang.check.scope import Kind

    if a.tree is None:
        return None
    path = path_at(a.tree, line, col)
    if not path:
        return None
    node = path[-1]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        b = binding_of(a, node.value)
        if b is not None and b.kind is Kind.MODULE:
            module = std_module(a, node.value.id)
            if module is not None and module.sgl is not None:
                decl = decl_named(module.sgl.tree, node.attr)
                if decl is not None:
                    return Location(module.sgl.file, name_span(decl, module.sgl.source))
            return None
        recv = type_of(a, node.value)
        decl = decl_named(a.tree, getattr(_strip(recv), "name", "")) if recv is not None else None
        if isinstance(decl, ast.RecordDecl):
            field = next((f for f in decl.fields if f.name == node.attr), None)
            if field is not None:
                return Location(a.file, name_span(field, a.text))
        return None
    if isinstance(node, ast.TypeName):
        decl = decl_named(a.tree, node.name)
        return Location(a.file, name_span(decl, a.text)) if isinstance(decl, ast.RecordDecl) else None
    if not isinstance(node, ast.Name):
        return None
    b = binding_of(a, node)
    if b is None:
        return None
    if b.kind is Kind.GLOBAL:
        decl = decl_named(a.tree, node.id)
        return Location(a.file, name_span(decl, a.text)) if decl is not None else None
    if b.kind is Kind.MODULE:
        module = std_module(a, node.id)
        if module is not None and module.sgl is not None:
            return Location(module.sgl.file, Span(1, 1, 1, 1))
        use = use_named(a.tree, node.id)
        return Location(a.file, use.span) if use is not None else None
    if b.kind in (Kind.LOCAL, Kind.FREE):
        fn = enclosing_function(path)
        if fn is None:
            return None
        spans = local_occurrences(fn, node.id)
        return Location(a.file, spans[0]) if spans else None
    return None


def _strip(t: Any) -> Any:
    from seglam_lang.check.types import strip_optional

    return strip_optional(t)


@frozen
class Completion:
    label: str
    kind: str  # function, record, constant, module, variable, keyword, method, field, type
    detail: str = ""
    doc: str = ""


def completions(a: Analysis | None, text: str, line: int, col: int) -> list[Completion]:
    """What may be typed at a position of `text`: members after `x.`, else the names in scope.
    `a` is the last analysis that checked (the text being typed usually does not parse)."""
    from seglam_lang.check.builtins import ANNOTATION_TYPE_NAMES, BUILTIN_FUNCTIONS, FIELDS, METHODS, RECORD_METHODS

    lines = text.split("\n")
    prefix = lines[line - 1][:col - 1] if 0 < line <= len(lines) else ""
    member = re.search(r"((?:[^\W\d]\w*\.)*[^\W\d]\w*)\.(\w*)$", prefix)
    if member:
        first, *rest = member.group(1).split(".")
        if a is None or a.tree is None:
            return []
        module = std_module(a, first) if use_named(a.tree, first) and not rest else None
        if module is not None:
            out = []
            entries = stdlib_entries()
            for name, sig in module.interface.procs.items():
                e = entries.get((module.name, name))
                out.append(Completion(name, "function", e.signature if e else str(sig), e.doc if e else ""))
            out += [Completion(n, "record", f"record {n}") for n in module.interface.records]
            out += [Completion(n, "constant", str(t)) for n, t in module.interface.consts.items()]
            return out
        from seglam_lang.check.types import RecordT

        t = _type_of_name(a, first, line)
        for field in rest:  # `it.name.`: through fields of records and of built-in values
            t = _strip(t) if t is not None else None
            if isinstance(t, RecordT):
                t = f.type if (f := t.field(field)) is not None else None
            elif t is not None:
                t = FIELDS.get(_type_key(t), {}).get(field)
        if t is None:
            return []
        t = _strip(t)

        if isinstance(t, RecordT):
            return ([Completion(f.name, "field", str(f.type)) for f in t.fields]
                    + [Completion(m, "method", "replace(field=value, ...)") for m in sorted(RECORD_METHODS)])
        key = _type_key(t)
        return ([Completion(n, "method", str(m)) for n, m in METHODS.get(key, {}).items()]
                + [Completion(n, "field", str(ft)) for n, ft in FIELDS.get(key, {}).items()])
    out: list[Completion] = []
    if a is not None and a.tree is not None:
        for d in a.tree.decls:
            if isinstance(d, ast.ProcDecl):
                out.append(Completion(d.name, "function", _first_code_line(declaration_text(a, d)), d.doc or ""))
            elif isinstance(d, ast.RecordDecl):
                out.append(Completion(d.name, "record", f"record {d.name}", d.doc or ""))
            elif isinstance(d, ast.ConstDecl):
                out.append(Completion(d.name, "constant"))
            elif isinstance(d, ast.Use):
                out.append(Completion(d.local_name, "module", f"use {'.'.join(d.path)}"))
        fn = _function_at_line(a.tree, line)
        if fn is not None and a.checked is not None:
            scope = a.checked.resolution.functions.get(id(fn))
            names = scope.slot_names if scope is not None else tuple(p.name for p in fn.params)
            out += [Completion(n, "variable") for n in dict.fromkeys(names) if _IDENT.match(n)]
    out += [Completion(n, "function", sig, "(built-in)") for n, sig in BUILTIN_FUNCTIONS.items()]
    out += [Completion(n, "type") for n in sorted(ANNOTATION_TYPE_NAMES)]
    out += [Completion(k, "keyword") for k in SGL_KEYWORDS]
    if not prefix.strip() and line > 0:
        from seglam_lang.runtime.loader import available

        out += [Completion(f"use {m}", "module") for m in sorted(available())]
    seen: set[str] = set()
    return [c for c in out if not (c.label in seen or seen.add(c.label))]  # type: ignore[func-returns-value]


def _first_code_line(markdown: str) -> str:
    lines = [ln for ln in markdown.split("\n") if ln and not ln.startswith(("```", "@"))]
    return lines[0] if lines else ""


def _function_at_line(tree: ast.Module, line: int) -> Any:
    for d in tree.decls:
        if isinstance(d, ast.ProcDecl | ast.PropertyDecl) and d.span.line <= line <= d.span.end_line + 1:
            return d
    return None


def _type_of_name(a: Analysis, name: str, line: int) -> Any:
    """The type the checker gave `name` in the function around `line` (or at module level)."""
    assert a.tree is not None
    fn = _function_at_line(a.tree, line)
    scope_nodes = walk(fn) if fn is not None else walk(a.tree)
    for node in scope_nodes:
        if isinstance(node, ast.Name) and node.id == name and (t := type_of(a, node)) is not None:
            return t
    if fn is not None:
        for p in fn.params:
            if p.name == name:
                from seglam_lang.check.types import UnknownType, from_annotation

                try:
                    return from_annotation(p.type, a.checked.interface.records if a.checked else {})
                except UnknownType:
                    return None
    decl = decl_named(a.tree, name)
    if isinstance(decl, ast.ConstDecl) and a.checked is not None:
        return a.checked.interface.consts.get(name)
    return None


def rename(a: Analysis, line: int, col: int, new: str) -> list[Span] | str:
    """The spans to rewrite to rename what is at a position (a local, a parameter, or a
    module-level proc, record or constant), or why it cannot be renamed."""
    from seglam_lang.check.scope import Kind

    if not _IDENT.match(new) or new in RESERVED:
        return f"`{new}` is not a valid name"
    if a.tree is None or a.checked is None:
        return "the file does not check: fix its errors first"
    path = path_at(a.tree, line, col)
    if not path:
        return "nothing to rename here"
    node = path[-1]
    fn = enclosing_function(path)
    if isinstance(node, ast.Param) and fn is not None and contains(name_span(node, a.text), line, col):
        name = node.name
        spans = local_occurrences(fn, name)
        if isinstance(fn, ast.ProcDecl):
            spans += trigger_slots(a, fn, name) + keyword_occurrences(a, fn.name, name)
        return spans
    if isinstance(node, ast.ProcDecl | ast.RecordDecl | ast.ConstDecl) and contains(name_span(node, a.text), line, col):
        return global_occurrences(a, node.name)
    if isinstance(node, ast.TypeName) and isinstance(decl_named(a.tree, node.name), ast.RecordDecl):
        return global_occurrences(a, node.name)
    if isinstance(node, ast.Name):
        b = binding_of(a, node)
        if b is None:
            return "nothing to rename here"
        if b.kind is Kind.GLOBAL and decl_named(a.tree, node.id) is not None:
            return global_occurrences(a, node.id)
        if b.kind in (Kind.LOCAL, Kind.FREE) and fn is not None:
            spans = local_occurrences(fn, node.id)
            if isinstance(fn, ast.ProcDecl) and any(p.name == node.id for p in fn.params):
                spans += trigger_slots(a, fn, node.id) + keyword_occurrences(a, fn.name, node.id)
            return spans
        return f"`{node.id}` is not defined in this file"
    return "only a local, a parameter, or a proc, record or constant of this file can be renamed"


@frozen
class Symbol:
    name: str
    kind: str  # function, record, constant, module, property, field, example
    span: Span
    selection: Span
    detail: str = ""
    children: tuple[Symbol, ...] = ()


def symbols(a: Analysis) -> list[Symbol]:
    """The outline: procs, records (with fields), constants, `use`s, properties and examples."""
    from seglam_lang.syntax.printer import print_expr, print_type

    if a.tree is None:
        return []
    out = []
    for d in a.tree.decls:
        if isinstance(d, ast.ProcDecl):
            out.append(Symbol(d.name, "function", d.span, name_span(d, a.text),
                              f"({', '.join(p.name for p in d.params)}) -> {print_type(d.returns)}"))
        elif isinstance(d, ast.RecordDecl):
            fields = tuple(Symbol(f.name, "field", f.span, name_span(f, a.text), print_type(f.type)) for f in d.fields)
            out.append(Symbol(d.name, "record", d.span, name_span(d, a.text), "record", fields))
        elif isinstance(d, ast.ConstDecl):
            out.append(Symbol(d.name, "constant", d.span, name_span(d, a.text)))
        elif isinstance(d, ast.PropertyDecl):
            out.append(Symbol(d.name, "property", d.span, name_span(d, a.text), "property"))
        elif isinstance(d, ast.Use):
            out.append(Symbol(d.local_name, "module", d.span, d.span, ".".join(d.path)))
        elif isinstance(d, ast.ExampleDecl):
            text = print_expr(d.expr)
            out.append(Symbol(text if len(text) <= 60 else text[:57] + "...", "example", d.span, d.span))
    return out


def suggested_fix(d: Diagnostic) -> str | None:
    """The replacement a diagnostic's hint suggests ("did you mean `len`?"), if any."""
    m = _DID_YOU_MEAN.search(d.hint or "")
    if m is None or not _IDENT.match(m.group(1).split(".")[-1]):
        return None
    return m.group(1)
