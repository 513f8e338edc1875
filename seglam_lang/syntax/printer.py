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
- only a docstring prints as a triple-quoted string, never cut; every other string is
  one literal or pieces of one, raw (`r"..."`) when the source wrote it raw and it has a
  raw spelling; tabs, line separators (U+2028, U+2029, U+0085, VT, FF...) and other
  unprintables print escaped;
- a line longer than `WIDTH` is split inside brackets where the syntax allows (`render`),
  and a string literal that does not fit is cut into adjacent literals (`Lit`) inside
  brackets, or inside parentheses the printer adds; the parser joins them back, so the
  tree is the same. The layout depends on the tree only, never on the source's line
  breaks or on where the source cut its literals;
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

from seglam_lang.frozen import frozen
from seglam_lang.syntax import ast

INDENT = "    "
WIDTH = 100  # the longest line `sgl fmt` writes where a bracket allows a split

# Python's precedence levels, lowest first.
LAMBDA, IFEXP, OR, AND, NOT, CMP, BOR, BXOR, BAND, SHIFT, ARITH, TERM, UNARY, POWER, POSTFIX, ATOM = range(16)

BINARY_PREC = {
    "|": BOR, "^": BXOR, "&": BAND, "<<": SHIFT, ">>": SHIFT, "+": ARITH, "-": ARITH,
    "*": TERM, "/": TERM, "//": TERM, "%": TERM, "**": POWER,
}

BLOCK_DECLS = (ast.RecordDecl, ast.ProcDecl, ast.PropertyDecl, ast.OriginDecl)


@frozen
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


def _raw(value: str, quotes: Sequence[str]) -> str | None:
    """The first `r<q>value<q>` that reads back as `value`, else None."""
    for q in quotes:
        if len(q) == 1 and "\n" in value:
            continue
        text = "r" + q + value + q
        try:
            if pyast.literal_eval(text) == value:
                return text
        except (SyntaxError, ValueError):
            continue
    return None


def raw_string_literal(value: str) -> str | None:
    """`value` as a one-line raw string (`r"P(?:(\\d+)Y)?"`), or None when it has no such spelling."""
    if not value.isprintable():
        return None  # a tab, a line separator or a control character is only ever printed escaped
    return _raw(value, ('"', "'"))


def regex_literal(pattern: str) -> str:
    """`re"..."` spelling a trigger regex as a raw string that reads back exactly."""
    text = _raw(pattern, ('"', "'", '"""', "'''"))
    if text is None:
        raise ValueError(f"the regex {pattern!r} cannot be written as a raw string")
    return "re" + text[1:]


def float_literal(v: float) -> str:
    if math.isnan(v):
        return 'float("nan")'
    if math.isinf(v):
        return "1e999" if v > 0 else "-1e999"
    return repr(v)


class Lit(str):
    """A string literal that the layout may cut into adjacent literals inside brackets.

    The text is `head + "".join(chunks) + tail` (`r"`, the printed characters, `"`). A cut
    goes only between chunks: after a run of spaces or after a `\\n` escape, never inside
    an escape sequence or an f-string field; every piece keeps the prefix (`r`, `f`, `re`),
    so the pieces read back as the same literal (the parser joins them).
    """

    head: str
    tail: str
    chunks: tuple[str, ...]

    def __new__(cls, head: str, chunks: Sequence[str], tail: str) -> Lit:
        lit = super().__new__(cls, head + "".join(chunks) + tail)
        lit.head, lit.tail, lit.chunks = head, tail, tuple(chunks)
        return lit

    @classmethod
    def cut(cls, head: str, items: Sequence[tuple[str, bool]], tail: str) -> Lit:
        """A literal from its printed items, each `(text, a cut may follow)`."""
        chunks: list[str] = []
        cur = ""
        for i, (text, breakable) in enumerate(items):
            cur += text
            if breakable and not (text == " " and i + 1 < len(items) and items[i + 1][0] == " "):
                chunks.append(cur)
                cur = ""
        if cur or not chunks:
            chunks.append(cur)
        return cls(head, chunks, tail)

    def pieces(self, first: int, rest: int) -> list[str] | None:
        """The literal as pieces, the first at most `first` columns wide and the others at
        most `rest`, each as long as it can be; None when a chunk alone cannot fit."""
        out: list[str] = []
        cur = ""
        for chunk in self.chunks:
            room = rest if out else first
            if cur and len(self.head + cur + chunk + self.tail) > room:
                out.append(self.head + cur + self.tail)
                cur = ""
            cur += chunk
        out.append(self.head + cur + self.tail)
        if len(out[0]) > first or any(len(t) > rest for t in out[1:]):
            return None
        return out


def _breakable(c: str, raw: bool = False) -> bool:
    return c == " " or (c == "\n" and not raw)


# ---------------------------------------------------------------- types


def print_type(t: ast.TypeName) -> str:
    """`Int`, `List[Str]`, `Map[Str, Int?]?`."""
    args = f"[{', '.join(print_type(a) for a in t.args)}]" if t.args else ""
    return f"{t.name}{args}{'?' if t.optional else ''}"


# ---------------------------------------------------------------- documents


@frozen
class Group:
    """A bracketed run of items that the layout may split over lines (see `render`).

    Printed flat as `open item<sep>item close`. Split, the items go on the lines between
    the brackets, indented one level, packed as many to a line as fit the width. An
    `optional` group stands for parentheses the syntax allows but the flat line does not
    need (around `a and b` in `require a and b, "msg"`): flat it prints without them.
    """

    open: str
    items: tuple[Doc, ...]
    close: str
    sep: str = ", "  # ", " between arguments and entries, " " between comprehension clauses
    trailing: bool = False  # a trailing comma may end the items when split (not in `a[i]`, `(x)`)
    optional: bool = False


class Op(str):
    """A binary operator with its spaces (` and `, ` == `) and its precedence.

    Inside brackets a long operand chain splits before its lowest-precedence operators;
    a bracket split never goes around one (see `render`).
    """

    prec: int

    def __new__(cls, text: str, prec: int) -> Op:
        op = super().__new__(cls, text)
        op.prec = prec
        return op


# A document: text pieces and groups, printed one after the other.
Doc = tuple["str | Group", ...]


def cat(*parts: str | Group | Doc) -> Doc:
    """One document from pieces and documents."""
    out: list[str | Group] = []
    for p in parts:
        if isinstance(p, tuple):
            out.extend(p)
        else:
            out.append(p)
    return tuple(out)


def flat(doc: Doc) -> str:
    """A document on one line."""
    out = []
    for p in doc:
        if isinstance(p, str):
            out.append(p)
        elif p.optional:
            out.append(p.sep.join(flat(i) for i in p.items))
        else:
            out.append(p.open + p.sep.join(flat(i) for i in p.items) + p.close)
    return "".join(out)


def render(doc: Doc, indent: str, width: int = WIDTH, bracketed: bool = False) -> list[str]:
    """The lines of `doc` printed at `indent`, splitting groups while a line is too long.

    Right-hand split, as black does: the last group whose opening line fits and whose
    closing bracket with what follows it fits opens; failing that the last group whose
    opening line fits, failing that the first group. Optional parentheses are left out
    when a split inside them fits every line and falls before any of their operators
    (`example f(\n    ...\n) == 3`). Inside brackets (`bracketed`), a line with no group
    left to open cuts its longest string literal into adjacent pieces (`Lit.pieces`). A
    group that holds only a string literal opens only if every line then fits, so a
    literal that cannot be cut to fit (one long word) stays on its line, as does text
    outside groups. The result depends only on `doc`, which keeps formatting idempotent.
    """
    line = indent + flat(doc)
    if len(line) <= width:
        return [line]
    pick = _pick(doc, indent, width)
    if pick is None:
        return (_cut_literal(doc, indent, width) if bracketed else None) or [line]
    g = doc[pick]
    assert isinstance(g, Group)
    lines = _split(doc, pick, indent, width, bracketed)
    if len(g.items) == 1 and _lone_lit(g.items[0]) and max(map(len, lines)) > width:
        # The literal cannot be cut to fit: it stays as it is, and another group may open.
        return render((*doc[:pick], flat((g,)), *doc[pick + 1:]), indent, width, bracketed)
    if g.optional and len(g.items) == 1:
        inner = cat(doc[:pick], g.items[0], doc[pick + 1:])
        at = _pick(inner, indent, width)
        if at is not None and at >= pick and not any(isinstance(x, Op) for x in inner[pick:at]):
            # Without the parentheses when the group split holds most of the line, so that
            # `len(\n    x\n) == 1` does not happen, and no line grows longer.
            body = flat((inner[at],))
            if 2 * len(body) >= len(flat(inner)):
                bare = _split(inner, at, indent, width, bracketed)
                if max(map(len, bare)) <= max(width, max(map(len, lines))):
                    return bare
    return lines


def _lone_lit(doc: Doc) -> bool:
    return len(doc) == 1 and isinstance(doc[0], Lit)


def _cut_literal(doc: Doc, indent: str, width: int) -> list[str] | None:
    """`doc` (no group to open) with its longest string literal cut into pieces, one a line
    after the first, at `indent`; None when it has none or the pieces cannot fit."""
    lits = [i for i, p in enumerate(doc) if isinstance(p, Lit)]
    if not lits:
        return None
    k = max(lits, key=lambda i: len(doc[i]))
    lit = doc[k]
    assert isinstance(lit, Lit)
    before, after = indent + flat(doc[:k]), flat(doc[k + 1:])
    # Every piece leaves room for what follows the literal (a comma), as the last one must.
    pieces = lit.pieces(width - len(before) - len(after), width - len(indent) - len(after))
    if pieces is None or len(pieces) < 2:
        return None
    return [before + pieces[0], *(indent + p for p in pieces[1:-1]), indent + pieces[-1] + after]


def _pick(doc: Doc, indent: str, width: int) -> int | None:
    """Which group of `doc` to split (see `render`), or None when it has none."""
    groups = [i for i, p in enumerate(doc) if isinstance(p, Group) and p.items]
    if not groups:
        return None

    def head_fits(i: int) -> bool:
        return len(indent + flat(doc[:i]) + doc[i].open) <= width  # type: ignore[union-attr]

    def tail_fits(i: int) -> bool:
        return len(indent + doc[i].close + flat(doc[i + 1:])) <= width  # type: ignore[union-attr]

    pick = next((i for i in reversed(groups) if head_fits(i) and tail_fits(i)), None)
    if pick is None:
        pick = next((i for i in reversed(groups) if head_fits(i)), groups[0])
    return pick


def _split(doc: Doc, pick: int, indent: str, width: int, bracketed: bool) -> list[str]:
    g = doc[pick]
    assert isinstance(g, Group)
    head = indent + flat(doc[:pick]) + g.open
    tail = render(cat(g.close, doc[pick + 1:]), indent, width, bracketed)
    return [head, *_render_items(g, indent + INDENT, width), *tail]


def _render_operands(doc: Doc, indent: str, width: int) -> list[str]:
    """An item inside brackets: split before its lowest-precedence operators, else as `render`."""
    ops = [p for p in doc if isinstance(p, Op)]
    if not ops:
        return render(doc, indent, width, bracketed=True)
    low = min(op.prec for op in ops)
    segments: list[Doc] = [()]
    for p in doc:
        if isinstance(p, Op) and p.prec == low:
            segments.append((p.lstrip(),))
        else:
            segments[-1] = (*segments[-1], p)
    return [ln for seg in segments for ln in render(seg, indent, width, bracketed=True)]


def _render_items(g: Group, indent: str, width: int) -> list[str]:
    one_line = indent + g.sep.join(flat(i) for i in g.items)
    if len(one_line) <= width:
        return [one_line]  # a trailing comma only where several items take several lines
    comma = g.sep.rstrip()
    lines: list[str] = []
    cur = ""
    for k, item in enumerate(g.items):
        suffix = comma if k < len(g.items) - 1 or (g.trailing and len(g.items) > 1) else ""
        piece = flat(item) + suffix
        if cur and len(indent + cur + " " + piece) <= width:
            cur += " " + piece
            continue
        if cur:
            lines.append(indent + cur)
            cur = ""
        if len(indent + piece) <= width:
            cur = piece
        else:
            lines.extend(_render_operands(cat(item, suffix), indent, width))
    if cur:
        lines.append(indent + cur)
    return lines


# ---------------------------------------------------------------- expressions


class _ExprPrinter:
    """Expression documents with the precedence of their outermost operator."""

    def __init__(self, field_depth: int = 0) -> None:
        self.fd = field_depth  # how many f-string fields enclose the expression

    def text(self, e: Any, min_prec: int = LAMBDA) -> str:
        return flat(self.doc(e, min_prec))

    def doc(self, e: Any, min_prec: int = LAMBDA) -> Doc:
        d, p = self.prec_doc(e)
        return (Group("(", (d,), ")"),) if p < min_prec else d

    def testlist(self, e: Any) -> Doc:
        """An expression where a bare tuple is allowed (`a, b = b, a`, `return x, y`)."""
        if isinstance(e, ast.TupleExpr) and len(e.elts) >= 2:
            return (Group("(", tuple(self.doc(x) for x in e.elts), ")", trailing=True, optional=True),)
        return self.slot(e)

    def slot(self, e: Any) -> Doc:
        """A statement's expression, which may be put in parentheses to split an operator
        expression over lines (`require (\n    a and b\n), "msg"`)."""
        d, p = self.prec_doc(e)
        if (p < POSTFIX or _lone_lit(d)) and not self.fd:
            return (Group("(", (d,), ")", optional=True),)
        return d

    def target(self, e: Any) -> Doc:
        """An assignment or loop target: a bare tuple of bitwise-or-level items."""
        if isinstance(e, ast.TupleExpr) and len(e.elts) >= 2:
            return self.joined([self.doc(x, BOR) for x in e.elts])
        return self.doc(e, BOR)

    @staticmethod
    def joined(docs: Sequence[Doc], sep: str = ", ") -> Doc:
        out: list[str | Group] = []
        for i, d in enumerate(docs):
            if i:
                out.append(sep)
            out.extend(d)
        return tuple(out)

    def prec_doc(self, e: Any) -> tuple[Doc, int]:
        method: Callable[[Any], tuple[Doc | str, int]] = getattr(self, "p_" + type(e).__name__)
        d, p = method(e)
        return ((d,) if isinstance(d, str) else d), p

    def group(self, open_: str, items: Sequence[Any], close: str, trailing: bool = True) -> Group:
        return Group(open_, tuple(self.doc(x) for x in items), close, trailing=trailing)

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
        if self.fd:
            return string_literal(e.value, self.fd), ATOM
        if e.raw:
            raw = raw_string_literal(e.value)
            if raw is not None:
                return Lit.cut(raw[:2], [(c, _breakable(c, raw=True)) for c in e.value], raw[-1]), ATOM
        return Lit.cut('"', [(_escape_char(c, '"', 0), _breakable(c)) for c in e.value], '"'), ATOM

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
        items: list[tuple[str, bool]] = []
        for p in e.parts:
            if isinstance(p, str):
                items.extend(("{{" if c == "{" else "}}" if c == "}" else _escape_char(c, q, self.fd), _breakable(c))
                             for c in p)
                continue
            field = inner.text(p.value)  # a field never splits over lines
            if field.startswith("{"):
                field = " " + field  # `{{` would read as an escaped brace
            conv = f"!{p.conversion}" if p.conversion else ""
            spec = f":{p.spec}" if p.spec is not None else ""
            items.append(("{" + field + conv + spec + "}", False))
        if self.fd:
            return "f" + q + "".join(t for t, _ in items) + q, ATOM
        return Lit.cut("f" + q, items, q), ATOM

    def p_TupleExpr(self, e: ast.TupleExpr) -> tuple[Doc, int]:
        if len(e.elts) == 1:
            return (Group("(", (cat(self.doc(e.elts[0]), ","),), ")"),), ATOM
        return (self.group("(", e.elts, ")"),), ATOM

    def p_ListExpr(self, e: ast.ListExpr) -> tuple[Doc, int]:
        return (self.group("[", e.elts, "]"),), ATOM

    def p_SetExpr(self, e: ast.SetExpr) -> tuple[Doc | str, int]:
        if not e.elts:
            return "set()", POSTFIX
        return (self.group("{", e.elts, "}"),), ATOM

    def p_DictExpr(self, e: ast.DictExpr) -> tuple[Doc, int]:
        items = tuple(cat(self.doc(k, IFEXP), ": ", self.doc(v)) for k, v in zip(e.keys, e.values))
        return (Group("{", items, "}", trailing=True),), ATOM

    def clauses(self, gens: Sequence[ast.Comprehension]) -> list[Doc]:
        parts: list[Doc] = []
        for g in gens:
            parts.append(cat("for ", self.target(g.target), " in ", self.doc(g.iter, OR)))
            parts.extend(cat("if ", self.doc(c, OR)) for c in g.ifs)
        return parts

    def comp(self, open_: str, head: Doc, gens: Sequence[ast.Comprehension], close: str) -> tuple[Doc, int]:
        return (Group(open_, (head, *self.clauses(gens)), close, sep=" "),), ATOM

    def p_ListComp(self, e: ast.ListComp) -> tuple[Doc, int]:
        return self.comp("[", self.doc(e.elt), e.generators, "]")

    def p_SetComp(self, e: ast.SetComp) -> tuple[Doc, int]:
        return self.comp("{", self.doc(e.elt), e.generators, "}")

    def p_DictComp(self, e: ast.DictComp) -> tuple[Doc, int]:
        return self.comp("{", cat(self.doc(e.key, IFEXP), ": ", self.doc(e.value)), e.generators, "}")

    def p_GeneratorExp(self, e: ast.GeneratorExp) -> tuple[Doc, int]:
        return self.comp("(", self.doc(e.elt), e.generators, ")")

    # ---- operators

    def p_UnaryOp(self, e: ast.UnaryOp) -> tuple[Doc, int]:
        if e.op == "not":
            return cat("not ", self.doc(e.operand, NOT)), NOT
        return cat(e.op, self.doc(e.operand, UNARY)), UNARY

    def p_BinOp(self, e: ast.BinOp) -> tuple[Doc, int]:
        p = BINARY_PREC[e.op]
        if e.op == "**":  # right-associative; the exponent may be a unary: `2 ** -1`
            left, right = self.doc(e.left, POSTFIX), self.doc(e.right, UNARY)
        else:
            left, right = self.doc(e.left, p), self.doc(e.right, p + 1)
        return cat(left, Op(f" {e.op} ", p), right), p

    def p_BoolOp(self, e: ast.BoolOp) -> tuple[Doc, int]:
        if e.op == "and":
            return cat(self.doc(e.left, AND), Op(" and ", AND), self.doc(e.right, NOT)), AND
        # An `and` under an `or` is printed in parentheses, `x or (y and z)`: the reader is not
        # left to recall which of the two binds tighter (the AST is the same either way).
        left_prec = NOT if isinstance(e.left, ast.BoolOp) and e.left.op == "and" else OR
        return cat(self.doc(e.left, left_prec), Op(" or ", OR), self.doc(e.right, NOT)), OR

    def p_Compare(self, e: ast.Compare) -> tuple[Doc, int]:
        out = self.doc(e.left, BOR)
        for op, c in zip(e.ops, e.comparators):
            out = cat(out, Op(f" {op} ", CMP), self.doc(c, BOR))
        return out, CMP

    def p_IfExp(self, e: ast.IfExp) -> tuple[Doc, int]:
        return cat(self.doc(e.body, OR), Op(" if ", IFEXP), self.doc(e.test, OR), Op(" else ", IFEXP), self.doc(e.orelse)), IFEXP

    def p_Lambda(self, e: ast.Lambda) -> tuple[Doc, int]:
        params = " " + ", ".join(e.params) if e.params else ""
        s = cat(f"lambda{params}: ", self.doc(e.body))
        # In an f-string field the lambda's `:` would start the format spec.
        return ((Group("(", (s,), ")"),), ATOM) if self.fd else (s, LAMBDA)

    # ---- postfix

    def p_Call(self, e: ast.Call) -> tuple[Doc, int]:
        func = self.postfix_value(e.func)
        if len(e.args) == 1 and not e.keywords and isinstance(e.args[0], ast.GeneratorExp):
            g = e.args[0]
            return cat(func, self.comp("(", self.doc(g.elt), g.generators, ")")[0]), POSTFIX
        args = [self.doc(a) for a in e.args] + [cat(f"{k.name}=", self.doc(k.value)) for k in e.keywords]
        return cat(func, Group("(", tuple(args), ")", trailing=True)), POSTFIX

    def postfix_value(self, e: Any) -> Doc:
        """The value of `x.a`, `x(...)` or `x[i]`: a string literal there may open parentheses
        to be cut over lines (`(\n    "a "\n    "b"\n).upper()`)."""
        d = self.doc(e, POSTFIX)
        return (Group("(", (d,), ")", optional=True),) if _lone_lit(d) else d

    def p_Attribute(self, e: ast.Attribute) -> tuple[Doc, int]:
        # `1.real` would read as the float `1.` followed by a name.
        if isinstance(e.value, ast.IntLit):
            value = self.doc(e.value, ATOM)  # a negative one is in parentheses already
            if not (len(value) == 1 and isinstance(value[0], Group)):
                value = (Group("(", (value,), ")"),)
        else:
            value = self.postfix_value(e.value)
        return cat(value, f".{e.attr}"), POSTFIX

    def p_Subscript(self, e: ast.Subscript) -> tuple[Doc, int]:
        if isinstance(e.index, ast.Slice):
            s = e.index
            parts = [self.doc(s.lower, IFEXP) if s.lower else (), self.doc(s.upper, IFEXP) if s.upper else ()]
            if s.step is not None:
                parts.append(self.doc(s.step, IFEXP))
            index = self.joined(parts, ":")
        else:
            index = self.doc(e.index)
        return cat(self.postfix_value(e.value), Group("[", (index,), "]")), POSTFIX


def print_expr(e: Any) -> str:
    """One expression as canonical source text (no surrounding parentheses), on one line."""
    return _ExprPrinter().text(e)


# ---------------------------------------------------------------- statements and declarations


class _Layout:
    """Builds the printed `Line`s of a module; with the source, tags them with source lines."""

    def __init__(self, source_lines: Sequence[str] | None = None) -> None:
        self.src = source_lines
        self.x = _ExprPrinter()
        self.lines: list[Line] = []
        self.decl = 0

    def emit(self, depth: int, text: str | Doc, gap: str, span: Any = None, start: int = 0, end: int = 0) -> None:
        """A line: `text` as printed, or a document to render at `depth` (maybe over several lines)."""
        if isinstance(text, tuple):
            text = "\n".join(render(text, INDENT * depth))
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
        self.emit(0, cat(f"{d.name}{ann} = ", self.x.testlist(d.value)), "decl", d.span)

    def d_ExampleDecl(self, d: ast.ExampleDecl) -> None:
        tail = f" {d.expect}" if d.expect else ""
        self.emit(0, cat("example ", self.x.slot(d.expr), tail), "decl", d.span)

    def d_RecordDecl(self, d: ast.RecordDecl) -> None:
        self.emit(0, f"record {d.name}:", "decl", d.span, end=d.span.line)
        first_field = d.fields[0].span.line if d.fields and d.fields[0].span.line else 1 << 30
        if d.doc is not None:
            self.doc(1, d.doc, d.span.line, first_field)
        for i, f in enumerate(d.fields):
            default = cat(" = ", self.x.slot(f.default)) if f.default is not None else ()
            gap = "block" if i == 0 and d.doc is None else "stmt"
            self.emit(1, cat(f"{f.name}: {print_type(f.type)}", default), gap, f.span)

    def params(self, params: Sequence[ast.Param]) -> Group:
        out = []
        for p in params:
            default = cat(" = ", self.x.doc(p.default)) if p.default is not None else ()
            out.append(cat(f"{p.name}: {print_type(p.type)}", default))
        return Group("(", tuple(out), ")", trailing=True)

    def d_ProcDecl(self, d: ast.ProcDecl) -> None:
        for i, t in enumerate(d.triggers):
            if t.is_regex:
                text = regex_literal(t.pattern)
                q = text[2:5] if text[2:5] in ('"""', "'''") else text[2]
                pattern: Doc = (Lit.cut("re" + q, [(c, _breakable(c, raw=True)) for c in t.pattern], q),)
            else:
                pattern = self.x.doc(ast.StrLit(t.pattern))
            self.emit(0, cat("@when", Group("(", (pattern,), ")")), "decl" if i == 0 else "tight", t.span)
        # A trigger added by an edit has no span: the header then starts where the proc did.
        start = d.triggers[-1].span.end_line + 1 if d.triggers and d.triggers[-1].span.line and d.span.line \
            else d.span.line
        header = cat(f"proc {d.name}", self.params(d.params), f" -> {print_type(d.returns)}:")
        self.emit(0, header, "tight" if d.triggers else "decl", d.span, start=start, end=d.returns.span.end_line)
        self.body_with_doc(d.body, d.doc, d.returns.span.end_line)

    def d_PropertyDecl(self, d: ast.PropertyDecl) -> None:
        end = max([d.span.line, *(p.span.end_line for p in d.params)])
        self.emit(0, cat(f"property {d.name}", self.params(d.params), ":"), "decl", d.span, end=end)
        self.body_with_doc(d.body, d.doc, end)

    def d_OriginDecl(self, d: ast.OriginDecl) -> None:
        self.emit(0, "origin:", "decl", d.span, end=d.span.line)
        line = d.span.line
        for i, (key, value) in enumerate(d.entries):
            found = self.find_line(line, d.span.end_line + 1, lambda s, k=key: s.startswith(k) and s[len(k):].lstrip().startswith(":"))
            line = found or line
            self.emit(1, cat(f"{key}: ", self.x.slot(ast.StrLit(value))), "block" if i == 0 else "stmt",
                      start=found, end=found)

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
            simple = self.simple(s)
            if simple is not None:
                self.emit(d, simple, gap if i == 0 else "stmt", s.span)
                continue
            # A compound statement: push its blocks (last first) with their header lines.
            pending: list[tuple[Sequence[Any], int, int, str]] = []
            if isinstance(s, ast.If):
                self.emit(d, cat("if ", self.x.slot(s.test), ":"), gap if i == 0 else "stmt", s.span, end=s.test.span.end_line)
                pending.append((s.body, 0, d + 1, "block"))
                node = s
                while node.orelse:
                    orelse = node.orelse
                    if len(orelse) == 1 and isinstance(orelse[0], ast.If):
                        node = orelse[0]
                        elif_ = cat("elif ", self.x.slot(node.test), ":")
                        pending.append(((_Header(elif_, node.span, node.test.span.end_line),), 0, d, "tight"))
                        pending.append((node.body, 0, d + 1, "block"))
                        continue
                    last = node.body[-1].span.end_line if node.body else 0
                    line = self.find_line(last, orelse[0].span.line or 1 << 30, lambda t: t.startswith("else") and t[4:].lstrip().startswith(":"))
                    pending.append(((_Header(("else:",), None, line, line),), 0, d, "tight"))
                    pending.append((orelse, 0, d + 1, "block"))
                    break
            elif isinstance(s, ast.For):
                header = cat("for ", self.x.target(s.target), " in ", self.x.slot(s.iter), ":")
                self.emit(d, header, gap if i == 0 else "stmt", s.span, end=s.iter.span.end_line)
                pending.append((s.body, 0, d + 1, "block"))
            elif isinstance(s, ast.While):
                self.emit(d, cat("while ", self.x.slot(s.test), ":"), gap if i == 0 else "stmt", s.span, end=s.test.span.end_line)
                pending.append((s.body, 0, d + 1, "block"))
            elif isinstance(s, _Header):
                self.emit(d, s.text, gap, s.span, start=s.start, end=s.end)
            else:
                raise TypeError(f"not a statement: {type(s).__name__}")
            stack.extend(reversed(pending))

    def simple(self, s: Any) -> Doc | None:
        x = self.x
        if isinstance(s, ast.Assign):
            return cat(x.target(s.target), " = ", x.testlist(s.value))
        if isinstance(s, ast.AnnAssign):
            return cat(f"{s.target.id}: {print_type(s.annotation)} = ", x.testlist(s.value))
        if isinstance(s, ast.AugAssign):
            return cat(x.doc(s.target, BOR), f" {s.op}= ", x.testlist(s.value))
        if isinstance(s, ast.ExprStmt):
            return x.slot(s.value)
        if isinstance(s, ast.Return):
            return ("return",) if s.value is None else cat("return ", x.testlist(s.value))
        if isinstance(s, (ast.Require, ast.Assert)):
            kw = "require" if isinstance(s, ast.Require) else "assert"
            msg = cat(", ", x.slot(s.msg)) if s.msg is not None else ()
            return cat(f"{kw} ", x.slot(s.test), msg)
        if isinstance(s, ast.Fail):
            return cat("fail ", x.slot(s.msg))
        if isinstance(s, ast.Pass):
            return ("pass",)
        if isinstance(s, ast.Break):
            return ("break",)
        if isinstance(s, ast.Continue):
            return ("continue",)
        return None


@frozen
class _Header:
    """An `elif ...:` / `else:` line, queued among statements so blocks print in order."""

    text: Doc
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
