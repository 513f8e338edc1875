"""AST to canonical SGL text: `print_module`, `print_expr`, `print_type`.

Owns: the one canonical layout of SGL source (4-space indentation, spaces around binary
operators, one statement per line, double-quoted strings with minimal escapes, minimal
parentheses from Python's precedence and associativity) and `layout()`, the printed lines
of a module tagged with the source lines they stand for (used by `syntax.format` to put
comments back).

Invariants:
- `parse(print_module(m)) == m` for every tree the parser can produce (and every tree of
  the same shapes: see `tests/strategies/ast_strategies.py`);
- literals print so that they parse back to the same value: ints in decimal, floats by
  `repr` (which round-trips exactly), infinity as `1e999` (the literal that reads as
  infinity); NaN has no literal and prints as `float("nan")`;
- only a docstring prints as a triple-quoted string; every other string is one line;
- a tree that no source can produce (e.g. a string nested two f-string fields deep,
  an empty body) prints the nearest valid text or raises ValueError, never bad syntax
  silently: empty bodies print `pass`, an empty set prints `set()`.
- the printer recurses on expression depth, which the parser bounds (`MAX_NESTING`);
  statement blocks and `elif` chains are printed without recursion on their length.
"""

from __future__ import annotations

import ast as pyast
import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from seglam_lang.syntax import ast

INDENT = "    "

# Python's precedence levels, lowest first.
LAMBDA, IFEXP, OR, AND, NOT, CMP, BOR, BXOR, BAND, SHIFT, ARITH, TERM, UNARY, POWER, POSTFIX, ATOM = range(16)

BINARY_PREC = {
    "|": BOR, "^": BXOR, "&": BAND, "<<": SHIFT, ">>": SHIFT, "+": ARITH, "-": ARITH,
    "*": TERM, "/": TERM, "//": TERM, "%": TERM, "**": POWER,
}

BLOCK_DECLS = (ast.RecordDecl, ast.ProcDecl, ast.PropertyDecl, ast.OriginDecl)


@attrs.frozen
class Line:
    """One printed line (a docstring may span several) and the source lines it stands for.

    `gap` says which blank lines may precede it: "decl" (first line of a declaration),
    "block" (first line of a block: never a blank line), "tight" (part of a header:
    never), "stmt" (a statement: one blank line if the source had one).
    `start`/`end` are source lines (0 when unknown); `col` the source column.
    """

    depth: int
    text: str
    gap: str
    start: int = 0
    end: int = 0
    col: int = 0
    decl: int = 0


# ---------------------------------------------------------------- literals


def _escape_char(c: str, quote: str, field_depth: int) -> str:
    if c == "\\":
        return "\\\\"
    if c == "\n":
        return "\\n"
    if c == "\t":
        return "\\t"
    if c == "\r":
        return "\\r"
    if field_depth and c in "\"'#":
        # Inside an f-string field neither quote may appear (the enclosing string would
        # end there) and `#` would read as a comment: hex escapes avoid all three.
        return f"\\x{ord(c):02x}"
    if c == quote:
        return "\\" + c
    if not c.isprintable():
        o = ord(c)
        return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"
    return c


def _quote_for(field_depth: int) -> str:
    if field_depth >= 2:
        raise ValueError("a string nested in two f-string fields has no SGL spelling")
    return "'" if field_depth else '"'


def string_literal(value: str, field_depth: int = 0) -> str:
    """`value` as a one-line string literal, double-quoted at the top level."""
    q = _quote_for(field_depth)
    return q + "".join(_escape_char(c, q, field_depth) for c in value) + q


def docstring_literal(value: str) -> str:
    """`value` as a triple-quoted string; newlines stay literal, as written."""
    out = []
    for i, c in enumerate(value):
        if c == '"':
            # Escape a quote that starts a run (or ends the text) so no `\"\"\"` forms.
            out.append('\\"' if value[i + 1: i + 2] in ('"', "") else '"')
        elif c == "\n":
            out.append("\n")
        else:
            out.append(_escape_char(c, "", 0))
    return '"""' + "".join(out) + '"""'


def regex_literal(pattern: str) -> str:
    """`re"..."` spelling a trigger regex as a raw string that reads back exactly."""
    for q in ('"', "'", '"""', "'''"):
        if len(q) == 1 and "\n" in pattern:
            continue
        text = "r" + q + pattern + q
        try:
            if pyast.literal_eval(text) == pattern:
                return "re" + q + pattern + q
        except (SyntaxError, ValueError):
            continue
    raise ValueError(f"the regex {pattern!r} cannot be written as a raw string")


def float_literal(v: float) -> str:
    if math.isnan(v):
        return 'float("nan")'
    if math.isinf(v):
        return "1e999" if v > 0 else "-1e999"
    return repr(v)


# ---------------------------------------------------------------- types


def print_type(t: ast.TypeName) -> str:
    """`Int`, `List[Str]`, `Map[Str, Int?]?`."""
    args = f"[{', '.join(print_type(a) for a in t.args)}]" if t.args else ""
    return f"{t.name}{args}{'?' if t.optional else ''}"


# ---------------------------------------------------------------- expressions


class _ExprPrinter:
    """Expression text with the precedence of its outermost operator."""

    def __init__(self, field_depth: int = 0) -> None:
        self.fd = field_depth  # how many f-string fields enclose the expression

    def text(self, e: Any, min_prec: int = LAMBDA) -> str:
        s, p = self.prec_text(e)
        return f"({s})" if p < min_prec else s

    def testlist(self, e: Any) -> str:
        """An expression where a bare tuple is allowed (`a, b = b, a`, `return x, y`)."""
        if isinstance(e, ast.TupleExpr) and len(e.elts) >= 2:
            return ", ".join(self.text(x) for x in e.elts)
        return self.text(e)

    def target(self, e: Any) -> str:
        """An assignment or loop target: a bare tuple of bitwise-or-level items."""
        if isinstance(e, ast.TupleExpr) and len(e.elts) >= 2:
            return ", ".join(self.text(x, BOR) for x in e.elts)
        return self.text(e, BOR)

    def prec_text(self, e: Any) -> tuple[str, int]:
        method: Callable[[Any], tuple[str, int]] = getattr(self, "p_" + type(e).__name__)
        return method(e)

    def seq(self, items: Sequence[Any]) -> str:
        return ", ".join(self.text(x) for x in items)

    # ---- atoms

    def p_Name(self, e: ast.Name) -> tuple[str, int]:
        return e.id, ATOM

    def p_IntLit(self, e: ast.IntLit) -> tuple[str, int]:
        return str(e.value), ATOM if e.value >= 0 else UNARY

    def p_FloatLit(self, e: ast.FloatLit) -> tuple[str, int]:
        if math.isnan(e.value):
            return f"float({string_literal('nan', self.fd)})", POSTFIX
        s = float_literal(e.value)
        return s, UNARY if s.startswith("-") else ATOM

    def p_StrLit(self, e: ast.StrLit) -> tuple[str, int]:
        return string_literal(e.value, self.fd), ATOM

    def p_BoolLit(self, e: ast.BoolLit) -> tuple[str, int]:
        return ("True" if e.value else "False"), ATOM

    def p_NoneLit(self, e: ast.NoneLit) -> tuple[str, int]:
        return "None", ATOM

    def p_FString(self, e: ast.FString) -> tuple[str, int]:
        specs = [p.spec for p in e.parts if isinstance(p, ast.FormattedValue) and p.spec]
        q = _quote_for(self.fd)
        if any(q in s for s in specs) and not self.fd:
            q = "'"  # a fill character `"` needs the other quote
        if any(q in s or "\n" in s or "\\" in s or (self.fd and "#" in s) for s in specs):
            raise ValueError(f"format spec {specs!r} cannot be written in this f-string")
        inner = _ExprPrinter(self.fd + 1)
        out = []
        for p in e.parts:
            if isinstance(p, str):
                out.append("".join(
                    "{{" if c == "{" else "}}" if c == "}" else _escape_char(c, q, self.fd) for c in p
                ))
                continue
            field = inner.text(p.value)
            if field.startswith("{"):
                field = " " + field  # `{{` would read as an escaped brace
            conv = f"!{p.conversion}" if p.conversion else ""
            spec = f":{p.spec}" if p.spec is not None else ""
            out.append("{" + field + conv + spec + "}")
        return "f" + q + "".join(out) + q, ATOM

    def p_TupleExpr(self, e: ast.TupleExpr) -> tuple[str, int]:
        if len(e.elts) == 1:
            return f"({self.text(e.elts[0])},)", ATOM
        return f"({self.seq(e.elts)})", ATOM

    def p_ListExpr(self, e: ast.ListExpr) -> tuple[str, int]:
        return f"[{self.seq(e.elts)}]", ATOM

    def p_SetExpr(self, e: ast.SetExpr) -> tuple[str, int]:
        if not e.elts:
            return "set()", POSTFIX
        return "{" + self.seq(e.elts) + "}", ATOM

    def p_DictExpr(self, e: ast.DictExpr) -> tuple[str, int]:
        items = ", ".join(f"{self.text(k, IFEXP)}: {self.text(v)}" for k, v in zip(e.keys, e.values))
        return "{" + items + "}", ATOM

    def comprehension(self, gens: Sequence[ast.Comprehension]) -> str:
        parts = []
        for g in gens:
            parts.append(f"for {self.target(g.target)} in {self.text(g.iter, OR)}")
            parts.extend(f"if {self.text(c, OR)}" for c in g.ifs)
        return " ".join(parts)

    def p_ListComp(self, e: ast.ListComp) -> tuple[str, int]:
        return f"[{self.text(e.elt)} {self.comprehension(e.generators)}]", ATOM

    def p_SetComp(self, e: ast.SetComp) -> tuple[str, int]:
        return "{" + f"{self.text(e.elt)} {self.comprehension(e.generators)}" + "}", ATOM

    def p_DictComp(self, e: ast.DictComp) -> tuple[str, int]:
        return "{" + f"{self.text(e.key, IFEXP)}: {self.text(e.value)} {self.comprehension(e.generators)}" + "}", ATOM

    def p_GeneratorExp(self, e: ast.GeneratorExp) -> tuple[str, int]:
        return f"({self.text(e.elt)} {self.comprehension(e.generators)})", ATOM

    # ---- operators

    def p_UnaryOp(self, e: ast.UnaryOp) -> tuple[str, int]:
        if e.op == "not":
            return f"not {self.text(e.operand, NOT)}", NOT
        return f"{e.op}{self.text(e.operand, UNARY)}", UNARY

    def p_BinOp(self, e: ast.BinOp) -> tuple[str, int]:
        p = BINARY_PREC[e.op]
        if e.op == "**":  # right-associative; the exponent may be a unary: `2 ** -1`
            left, right = self.text(e.left, POSTFIX), self.text(e.right, UNARY)
        else:
            left, right = self.text(e.left, p), self.text(e.right, p + 1)
        return f"{left} {e.op} {right}", p

    def p_BoolOp(self, e: ast.BoolOp) -> tuple[str, int]:
        p = OR if e.op == "or" else AND
        return f"{self.text(e.left, p)} {e.op} {self.text(e.right, p + 1)}", p

    def p_Compare(self, e: ast.Compare) -> tuple[str, int]:
        parts = [self.text(e.left, BOR)]
        for op, c in zip(e.ops, e.comparators):
            parts.append(f"{op} {self.text(c, BOR)}")
        return " ".join(parts), CMP

    def p_IfExp(self, e: ast.IfExp) -> tuple[str, int]:
        return f"{self.text(e.body, OR)} if {self.text(e.test, OR)} else {self.text(e.orelse)}", IFEXP

    def p_Lambda(self, e: ast.Lambda) -> tuple[str, int]:
        params = " " + ", ".join(e.params) if e.params else ""
        s = f"lambda{params}: {self.text(e.body)}"
        # In an f-string field the lambda's `:` would start the format spec.
        return (f"({s})", ATOM) if self.fd else (s, LAMBDA)

    # ---- postfix

    def p_Call(self, e: ast.Call) -> tuple[str, int]:
        func = self.text(e.func, POSTFIX)
        if len(e.args) == 1 and not e.keywords and isinstance(e.args[0], ast.GeneratorExp):
            g = e.args[0]
            return f"{func}({self.text(g.elt)} {self.comprehension(g.generators)})", POSTFIX
        args = [self.text(a) for a in e.args] + [f"{k.name}={self.text(k.value)}" for k in e.keywords]
        return f"{func}({', '.join(args)})", POSTFIX

    def p_Attribute(self, e: ast.Attribute) -> tuple[str, int]:
        # `1.real` would read as the float `1.` followed by a name.
        value = self.text(e.value, ATOM if isinstance(e.value, ast.IntLit) else POSTFIX)
        if isinstance(e.value, ast.IntLit) and not value.startswith("("):
            value = f"({value})"
        return f"{value}.{e.attr}", POSTFIX

    def p_Subscript(self, e: ast.Subscript) -> tuple[str, int]:
        if isinstance(e.index, ast.Slice):
            s = e.index
            parts = [self.text(s.lower, IFEXP) if s.lower else "", self.text(s.upper, IFEXP) if s.upper else ""]
            if s.step is not None:
                parts.append(self.text(s.step, IFEXP))
            index = ":".join(parts)
        else:
            index = self.text(e.index)
        return f"{self.text(e.value, POSTFIX)}[{index}]", POSTFIX


def print_expr(e: Any) -> str:
    """One expression as canonical source text (no surrounding parentheses)."""
    return _ExprPrinter().text(e)


# ---------------------------------------------------------------- statements and declarations


class _Layout:
    """Builds the printed `Line`s of a module; with the source, tags them with source lines."""

    def __init__(self, source_lines: Sequence[str] | None = None) -> None:
        self.src = source_lines
        self.x = _ExprPrinter()
        self.lines: list[Line] = []
        self.decl = 0

    def emit(self, depth: int, text: str, gap: str, span: Any = None, start: int = 0, end: int = 0) -> None:
        if span is not None and span.line > 0:
            start, end = start or span.line, end or span.end_line
        col = span.col if span is not None else 0
        self.lines.append(Line(depth, text, gap, start, end, col, self.decl))

    def find_line(self, after: int, before: int, accept: Callable[[str], bool]) -> int:
        """The first source line in (after, before) whose stripped text `accept`s, else 0."""
        if self.src is None or after <= 0:
            return 0
        for n in range(after + 1, min(before, len(self.src) + 1)):
            if accept(self.src[n - 1].strip()):
                return n
        return 0

    def doc(self, depth: int, doc: str, after: int, before: int) -> None:
        """A docstring line; in the source it is the first code line after the header."""
        start = self.find_line(after, before, lambda s: bool(s) and not s.startswith("#"))
        end = start + doc.count("\n") if start else 0
        self.emit(depth, INDENT * depth + docstring_literal(doc), "block", start=start, end=end)

    # ---- declarations

    def module(self, tree: ast.Module) -> list[Line]:
        for i, d in enumerate(tree.decls):
            self.decl = i
            getattr(self, "d_" + type(d).__name__)(d)
        return self.lines

    def d_Use(self, d: ast.Use) -> None:
        alias = f" as {d.alias}" if d.alias else ""
        self.emit(0, f"use {'.'.join(d.path)}{alias}", "decl", d.span)

    def d_ConstDecl(self, d: ast.ConstDecl) -> None:
        ann = f": {print_type(d.annotation)}" if d.annotation else ""
        self.emit(0, f"{d.name}{ann} = {self.x.testlist(d.value)}", "decl", d.span)

    def d_ExampleDecl(self, d: ast.ExampleDecl) -> None:
        self.emit(0, f"example {self.x.text(d.expr)}", "decl", d.span)

    def d_RecordDecl(self, d: ast.RecordDecl) -> None:
        self.emit(0, f"record {d.name}:", "decl", d.span, end=d.span.line)
        first_field = d.fields[0].span.line if d.fields and d.fields[0].span.line else 1 << 30
        if d.doc is not None:
            self.doc(1, d.doc, d.span.line, first_field)
        for i, f in enumerate(d.fields):
            default = f" = {self.x.text(f.default)}" if f.default is not None else ""
            gap = "block" if i == 0 and d.doc is None else "stmt"
            self.emit(1, f"{INDENT}{f.name}: {print_type(f.type)}{default}", gap, f.span)

    def params(self, params: Sequence[ast.Param]) -> str:
        out = []
        for p in params:
            default = f" = {self.x.text(p.default)}" if p.default is not None else ""
            out.append(f"{p.name}: {print_type(p.type)}{default}")
        return ", ".join(out)

    def d_ProcDecl(self, d: ast.ProcDecl) -> None:
        for i, t in enumerate(d.triggers):
            pattern = regex_literal(t.pattern) if t.is_regex else string_literal(t.pattern)
            self.emit(0, f"@when({pattern})", "decl" if i == 0 else "tight", t.span)
        start = d.triggers[-1].span.end_line + 1 if d.triggers and d.span.line else d.span.line
        header = f"proc {d.name}({self.params(d.params)}) -> {print_type(d.returns)}:"
        self.emit(0, header, "tight" if d.triggers else "decl", d.span, start=start, end=d.returns.span.end_line)
        self.body_with_doc(d.body, d.doc, d.returns.span.end_line)

    def d_PropertyDecl(self, d: ast.PropertyDecl) -> None:
        end = max([d.span.line, *(p.span.end_line for p in d.params)])
        self.emit(0, f"property {d.name}({self.params(d.params)}):", "decl", d.span, end=end)
        self.body_with_doc(d.body, d.doc, end)

    def d_OriginDecl(self, d: ast.OriginDecl) -> None:
        self.emit(0, "origin:", "decl", d.span, end=d.span.line)
        line = d.span.line
        for i, (key, value) in enumerate(d.entries):
            found = self.find_line(line, d.span.end_line + 1, lambda s, k=key: s.startswith(k) and s[len(k):].lstrip().startswith(":"))
            line = found or line
            self.emit(1, f"{INDENT}{key}: {string_literal(value)}", "block" if i == 0 else "stmt", start=found, end=found)

    def body_with_doc(self, body: Sequence[Any], doc: str | None, header_end: int) -> None:
        first = body[0].span.line if body and body[0].span.line else 1 << 30
        if doc is None:
            self.block(body, 1)
            return
        self.doc(1, doc, header_end, first)
        if len(body) == 1 and isinstance(body[0], ast.Pass):
            return  # a docstring alone is a complete body (it reads back as `pass`)
        self.block(body, 1, first_gap="stmt")

    # ---- statements

    def block(self, body: Sequence[Any], depth: int, first_gap: str = "block") -> None:
        """Print a block; nested blocks go on an explicit stack, not the Python stack."""
        stack: list[tuple[Sequence[Any], int, int, str]] = [(body, 0, depth, first_gap)]
        while stack:
            stmts, i, d, gap = stack.pop()
            if not stmts and i == 0:
                self.emit(d, INDENT * d + "pass", gap)
                continue
            if i >= len(stmts):
                continue
            stack.append((stmts, i + 1, d, "stmt"))
            s = stmts[i]
            pad = INDENT * d
            simple = self.simple(s)
            if simple is not None:
                self.emit(d, pad + simple, gap if i == 0 else "stmt", s.span)
                continue
            # A compound statement: push its blocks (last first) with their header lines.
            pending: list[tuple[Sequence[Any], int, int, str]] = []
            if isinstance(s, ast.If):
                self.emit(d, f"{pad}if {self.x.text(s.test)}:", gap if i == 0 else "stmt", s.span, end=s.test.span.end_line)
                pending.append((s.body, 0, d + 1, "block"))
                node = s
                while node.orelse:
                    orelse = node.orelse
                    if len(orelse) == 1 and isinstance(orelse[0], ast.If):
                        node = orelse[0]
                        pending.append(((_Header(f"{pad}elif {self.x.text(node.test)}:", node.span, node.test.span.end_line),), 0, d, "tight"))
                        pending.append((node.body, 0, d + 1, "block"))
                        continue
                    last = node.body[-1].span.end_line if node.body else 0
                    line = self.find_line(last, orelse[0].span.line or 1 << 30, lambda t: t.startswith("else") and t[4:].lstrip().startswith(":"))
                    pending.append(((_Header(f"{pad}else:", None, line, line),), 0, d, "tight"))
                    pending.append((orelse, 0, d + 1, "block"))
                    break
            elif isinstance(s, ast.For):
                self.emit(d, f"{pad}for {self.x.target(s.target)} in {self.x.text(s.iter)}:", gap if i == 0 else "stmt", s.span, end=s.iter.span.end_line)
                pending.append((s.body, 0, d + 1, "block"))
            elif isinstance(s, ast.While):
                self.emit(d, f"{pad}while {self.x.text(s.test)}:", gap if i == 0 else "stmt", s.span, end=s.test.span.end_line)
                pending.append((s.body, 0, d + 1, "block"))
            elif isinstance(s, _Header):
                self.emit(d, s.text, gap, s.span, start=s.start, end=s.end)
            else:
                raise TypeError(f"not a statement: {type(s).__name__}")
            stack.extend(reversed(pending))

    def simple(self, s: Any) -> str | None:
        x = self.x
        if isinstance(s, ast.Assign):
            return f"{x.target(s.target)} = {x.testlist(s.value)}"
        if isinstance(s, ast.AnnAssign):
            return f"{s.target.id}: {print_type(s.annotation)} = {x.testlist(s.value)}"
        if isinstance(s, ast.AugAssign):
            return f"{x.text(s.target, BOR)} {s.op}= {x.testlist(s.value)}"
        if isinstance(s, ast.ExprStmt):
            return x.text(s.value)
        if isinstance(s, ast.Return):
            return "return" if s.value is None else f"return {x.testlist(s.value)}"
        if isinstance(s, (ast.Require, ast.Assert)):
            kw = "require" if isinstance(s, ast.Require) else "assert"
            msg = f", {x.text(s.msg)}" if s.msg is not None else ""
            return f"{kw} {x.text(s.test)}{msg}"
        if isinstance(s, ast.Fail):
            return f"fail {x.text(s.msg)}"
        if isinstance(s, ast.Pass):
            return "pass"
        if isinstance(s, ast.Break):
            return "break"
        if isinstance(s, ast.Continue):
            return "continue"
        return None


@attrs.frozen
class _Header:
    """An `elif ...:` / `else:` line, queued among statements so blocks print in order."""

    text: str
    span: Any
    start: int = 0
    end: int = 0


def layout(tree: ast.Module, source_lines: Sequence[str] | None = None) -> list[Line]:
    """The printed lines of `tree`; given its source lines, each tagged with its source range."""
    return _Layout(source_lines).module(tree)


def decl_gap(prev: Any, cur: Any, source_had_blank: bool) -> int:
    """Blank lines between two top-level declarations.

    Two around a record, proc, property or origin block; one between declarations of
    different kinds; between two of the same kind (two `use`s, two constants, two
    examples) none, or one where the source had a blank line (grouping is kept).
    """
    if isinstance(prev, BLOCK_DECLS) or isinstance(cur, BLOCK_DECLS):
        return 2
    if type(prev) is not type(cur):
        return 1
    return 1 if source_had_blank else 0


def print_module(tree: ast.Module) -> str:
    """A module as canonical SGL source (comments are not part of the tree: see `format_source`)."""
    out: list[str] = []
    lines = layout(tree)
    for i, line in enumerate(lines):
        if i and line.gap == "decl":
            out.extend([""] * decl_gap(tree.decls[lines[i - 1].decl], tree.decls[line.decl], False))
        out.append(line.text)
    return "\n".join(out) + "\n" if out else ""
