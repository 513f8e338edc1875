"""Source text to AST: `parse(source, file) -> ast.Module`.

Owns: running the LALR parser (tables from `tables.py`, indentation and comments from
`indenter.py`), the translation of Lark's parse tree into `seglam_lang.syntax.ast` nodes,
string and f-string literal decoding, keeping the comments on the module, and turning
every Lark error into an `SglSyntaxError` (with a hint where a Python habit explains it).

Invariants:
- nothing here recurses on the depth of the input: Lark's LALR parser is iterative and
  the tree is translated bottom-up with an explicit order; a tree deeper than
  `MAX_NESTING` is rejected with E0103 before any later (recursive) pass sees it;
- every node gets the span of the source it came from;
- the only exception that leaves `parse` is `SglSyntaxError`.
"""

from __future__ import annotations

import ast as pyast
import keyword
import re
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from seglam_lang.codes import E_FORMAT_SPEC, E_GRAMMAR, E_INDENTATION, E_PARSER_BOUND, E_RESERVED_WORD
from seglam_lang.errors import Diagnostic, SglSyntaxError, Span, source_lines
from seglam_lang.syntax import ast
from seglam_lang.syntax.formatspec import FORMAT_SPEC_RE
from seglam_lang.syntax.indenter import MAX_NESTING, parse_context
from seglam_lang.syntax.tables import parser as _parser

MAX_SOURCE_CHARS = 2_000_000


_NOT_SGL = {
    "def": "declare a procedure with `proc name(x: T) -> R:`",
    "class": "declare a record type with `record Name:` and typed fields",
    "import": "SGL has no Python imports; use `use std.<module>` for the standard library",
    "from": "SGL has no Python imports; use `use std.<module>` for the standard library",
    "try": "SGL has no exceptions to catch; use `require` for preconditions",
    "raise": "use `fail \"message\"` to end a run with an error",
    "with": "SGL has no `with`",
    "yield": "SGL has no generators; build and return a list",
    "global": "SGL has no `global`; module constants are frozen",
    "nonlocal": "SGL has no `nonlocal`",
    "async": "SGL has no `async`",
    "await": "SGL has no `await`",
    "del": "SGL has no `del`; build a new collection without the item",
}

# Python's keywords stay reserved (a valid SGL name is a valid Python name), plus SGL's
# statement keywords. The declaration words (use, record, proc, example, property, origin)
# are soft: keywords only at the start of a top-level line, names everywhere else.
RESERVED = frozenset(keyword.kwlist) | {"require", "fail"}
SOFT_KEYWORDS = frozenset({"use", "record", "proc", "example", "property", "origin"})

_TERMINAL_TEXT = {
    "_NEWLINE": "a new line", "_INDENT": "an indented block", "_DEDENT": "the end of a block",
    "NAME": "a name", "STRING": "a string", "DEC_NUMBER": "a number", "FLOAT_NUMBER": "a number",
    "$END": "the end of the file",
}


def _tok_span(t: Token) -> Span:
    return Span(t.line or 1, t.column or 1, t.end_line or t.line or 1, t.end_column or t.column or 1)



_ESCAPE = re.compile(r"\\(.)", re.S)
_PYTHON_ESCAPES = frozenset("\n\r\\'\"abfnrtv01234567xNuU")


def keep_unknown_escapes(body: str) -> str:
    """A non-raw string's text with the backslash of every escape Python does not know (`\\d`)
    doubled, so that it is kept as written, a backslash and the character: what CPython 3.11
    does, but with no DeprecationWarning, whose filters (`-W error`) would otherwise decide
    whether the program parses."""
    return _ESCAPE.sub(lambda m: m.group(0) if m.group(1) in _PYTHON_ESCAPES else "\\" + m.group(0), body)

class _Builder:
    """Turns one Lark tree node into an AST node, its children already translated."""

    def __init__(self, file: str, line_offset: int = 0, col_offset: int = 0) -> None:
        self.file = file
        self.line_offset = line_offset
        self.col_offset = col_offset

    # ---- helpers

    def span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.line_offset + 1, 1, self.line_offset + 1, 1)
        return self._shift(Span(meta.line, meta.column, meta.end_line, meta.end_column))

    def tspan(self, t: Token) -> Span:
        return self._shift(_tok_span(t))

    def _shift(self, s: Span) -> Span:
        if not (self.line_offset or self.col_offset):
            return s
        col = s.col + (self.col_offset if s.line == 1 else 0)
        end_col = s.end_col + (self.col_offset if s.end_line == 1 else 0)
        return Span(s.line + self.line_offset, col, s.end_line + self.line_offset, end_col)

    def error(self, message: str, span: Span, code: str = E_GRAMMAR, hint: str | None = None) -> SglSyntaxError:
        return SglSyntaxError(message, span=span, file=self.file, code=code, hint=hint)

    def ident(self, t: Token) -> str:
        """A NAME token used as an identifier; reserved words are rejected."""
        name = str(t)
        if name in RESERVED:
            raise self.error(f"'{name}' is a reserved word and cannot be used as a name", self.tspan(t),
                             code=E_RESERVED_WORD, hint=_NOT_SGL.get(name, "choose another name"))
        return name

    def target(self, e: Any) -> Any:
        """Validate an expression used as an assignment target."""
        if isinstance(e, (ast.Name, ast.Subscript, ast.Attribute)):
            return e
        if isinstance(e, (ast.TupleExpr, ast.ListExpr)) and e.elts:
            return ast.TupleExpr(tuple(self.target(x) for x in e.elts), span=e.span)
        raise self.error("cannot assign to this expression", e.span,
                         hint="assign to a name, an item `xs[i]`, or a tuple of names")

    @staticmethod
    def body_with_doc(stmts: list[Any]) -> tuple[tuple[Any, ...], str | None]:
        if stmts and isinstance(stmts[0], ast.ExprStmt) and isinstance(stmts[0].value, ast.StrLit):
            if len(stmts) == 1:
                return (ast.Pass(span=stmts[0].span),), stmts[0].value.value
            return tuple(stmts[1:]), stmts[0].value.value
        return tuple(stmts), None

    # ---- strings

    def decode_string(self, t: Token) -> ast.StrLit | ast.FString | tuple[str, bool]:
        """A STRING token to StrLit / FString; `re"..."` gives (pattern, True)."""
        text = str(t.value)
        m = re.match(r"[A-Za-z]*", text)
        prefix = m.group(0).lower() if m else ""
        body = text[len(prefix):]
        span = self.tspan(t)
        if prefix == "re":
            return (pyast.literal_eval("r" + body), True)
        if "b" in prefix:
            raise self.error("bytes literals are not supported", span, hint="use a plain string")
        if "f" in prefix:
            return self.fstring(body, raw="r" in prefix, tok=t, span=span)
        try:
            return ast.StrLit(pyast.literal_eval(prefix + (body if "r" in prefix else keep_unknown_escapes(body))),
                              raw="r" in prefix, span=span)
        except (SyntaxError, ValueError) as e:
            raise self.error(f"invalid string literal: {e.msg if isinstance(e, SyntaxError) else e}", span) from None

    def fstring(self, body: str, raw: bool, tok: Token, span: Span) -> ast.FString:
        quote = body[:3] if body[:3] in ('"""', "'''") else body[0]
        inner = body[len(quote):-len(quote)]
        base_line, base_col = tok.line or 1, (tok.column or 1) + (len(tok.value) - len(body)) + len(quote)
        parts: list[Any] = []
        chunk: list[str] = []
        i = 0

        def flush() -> None:
            if chunk:
                lit = "".join(chunk)
                try:
                    parts.append(pyast.literal_eval("r" + quote + lit + quote if raw
                                                    else quote + keep_unknown_escapes(lit) + quote))
                except (SyntaxError, ValueError):
                    raise self.error("invalid escape in f-string", span) from None
                chunk.clear()

        while i < len(inner):
            c = inner[i]
            if c == "\\" and not raw:
                # An escape is literal text (`\\` pairs, `\N{NAME}` whose braces are no field);
                # a backslash before a brace stays alone, as in Python.
                if inner.startswith("N{", i + 1):
                    end = (inner.find("}", i) + 1) or len(inner)
                else:
                    end = i + 2 if inner[i + 1: i + 2] not in ("{", "}", "") else i + 1
                chunk.append(inner[i:end])
                i = end
            elif c == "{" and inner.startswith("{{", i):
                chunk.append("{")
                i += 2
            elif c == "}" and inner.startswith("}}", i):
                chunk.append("}")
                i += 2
            elif c == "}":
                raise self.error("single '}' is not allowed in an f-string", span, hint="write '}}' for a literal brace")
            elif c == "{":
                flush()
                end, field = self._fstring_field(inner, i + 1, span)
                expr_text, conversion, spec = field
                before = inner[: i + 1]
                line_off = before.count("\n")
                col = (len(before) - before.rfind("\n") - 1) if line_off else base_col - 1 + len(before)
                parts.append(self.fstring_value(expr_text, conversion, spec, base_line + line_off, col, span))
                i = end
            else:
                chunk.append(c)
                i += 1
        flush()
        merged: list[Any] = []
        for p in parts:
            if isinstance(p, str) and merged and isinstance(merged[-1], str):
                merged[-1] += p
            elif p != "":
                merged.append(p)
        return ast.FString(tuple(merged), span=span)

    def _fstring_field(self, s: str, i: int, span: Span) -> tuple[int, tuple[str, str | None, str | None]]:
        """Scan `expr[!c][:spec]}` from s[i]; return the index after '}' and the pieces."""
        depth = 0
        j = i
        quote: str | None = None
        while j < len(s):
            c = s[j]
            if quote:
                if c == quote:
                    quote = None
            elif c in "'\"":
                quote = c
            elif c in "([{":
                depth += 1
            elif c in ")]}" and depth:
                depth -= 1
            elif depth == 0 and (c == "}" or c == ":" or (c == "!" and not s.startswith("!=", j))):
                break
            j += 1
        if j >= len(s):
            raise self.error("unterminated '{' in f-string", span)
        expr_text = s[i:j]
        if not expr_text.strip():
            raise self.error("empty expression in f-string", span)
        conversion = spec = None
        if s[j] == "!":
            conversion = s[j + 1: j + 2]
            if conversion not in ("r", "s") or s[j + 2: j + 3] not in (":", "}"):
                raise self.error("f-string conversion must be '!r' or '!s'", span)
            j += 2
        if s[j] == ":":
            k = s.find("}", j)
            if k < 0:
                raise self.error("unterminated '{' in f-string", span)
            spec = s[j + 1: k]
            if "{" in spec:
                raise self.error("nested fields in a format spec are not supported", span)
            if not FORMAT_SPEC_RE.match(spec):
                raise self.error(f"unsupported format spec {spec!r}", span, code=E_FORMAT_SPEC,
                                 hint="SGL supports [[fill]align][sign][0][width][,][.precision][type] with type in d f e g % s x b o")
            j = k
        return j + 1, (expr_text, conversion, spec)

    def fstring_value(self, text: str, conversion: str | None, spec: str | None, line: int, col: int, span: Span) -> ast.FormattedValue:
        if "\n" in text or "#" in text:
            raise self.error("an f-string field must be one line without comments", span)
        sub = _Builder(self.file, line - 1, col)
        try:
            tree = _parser().parse(text.strip() + "\n", start="fstring_expr")
        except UnexpectedInput as e:
            raise self.error(f"invalid expression in f-string: {text.strip()!r}", span) from e
        value = _translate(tree, sub)
        return ast.FormattedValue(value, conversion, spec, span=value.span)

    # ---- rules: each takes (meta, children) and returns a node

    def start(self, meta: Any, c: list[Any]) -> list[Any]:
        return [x for x in c if x is not None]

    def fstring_expr(self, meta: Any, c: list[Any]) -> Any:
        return c[0]

    def use_decl(self, meta: Any, c: list[Any]) -> ast.Use:
        return ast.Use(tuple(c[0]), self.ident(c[1]) if c[1] is not None else None, span=self.span(meta))

    def dotted_name(self, meta: Any, c: list[Any]) -> list[str]:
        return [self.ident(t) for t in c]

    def record_decl(self, meta: Any, c: list[Any]) -> ast.RecordDecl:
        return ast.RecordDecl(self.ident(c[0]), tuple(c[2:]), c[1], span=self.span(meta))

    def field(self, meta: Any, c: list[Any]) -> ast.Field:
        return ast.Field(self.ident(c[0]), c[1], c[2], span=self.span(meta))

    def docstring(self, meta: Any, c: list[Any]) -> str:
        if not isinstance(c[0], ast.StrLit):
            raise self.error("a docstring must be a plain string", c[0].span)
        return c[0].value

    def const_decl(self, meta: Any, c: list[Any]) -> ast.ConstDecl:
        return ast.ConstDecl(self.ident(c[0]), c[1], c[2], span=self.span(meta))

    def proc_decl(self, meta: Any, c: list[Any]) -> ast.ProcDecl:
        *triggers, name, params, returns, (body, doc) = c
        return ast.ProcDecl(self.ident(name), tuple(params or ()), returns, body, doc, tuple(triggers), span=self.span(meta))

    def trigger(self, meta: Any, c: list[Any]) -> ast.Trigger:
        """`@when(...)`: the pattern is the concatenation of its adjacent literals, which are
        all regex literals (`re"a" re"b"`) or all plain/raw strings (`"a" r"b"`)."""
        name, *toks = c
        if str(name) != "when":
            raise self.error(f"unknown decorator @{name}", self.tspan(name), hint="the only decorator is @when(\"template\")")
        pieces = [self.decode_string(t) for t in toks]
        regex = [isinstance(p, tuple) for p in pieces]
        for tok, p in zip(toks, pieces):
            if isinstance(p, ast.FString):
                raise self.error("a trigger template must be a plain string", self.tspan(tok))
            if isinstance(p, tuple) != regex[0]:
                raise self.error("a regex trigger is made of regex literals only", self.tspan(tok),
                                 hint='write every piece of the pattern as re"..." (or none of them)')
        text = "".join(p[0] if isinstance(p, tuple) else p.value for p in pieces)  # type: ignore[union-attr]
        return ast.Trigger(text, regex[0], span=self.span(meta))

    def params(self, meta: Any, c: list[Any]) -> list[Any]:
        return [x for x in c if x is not None]

    def param(self, meta: Any, c: list[Any]) -> ast.Param:
        return ast.Param(self.ident(c[0]), c[1], c[2], span=self.span(meta))

    def example_decl(self, meta: Any, c: list[Any]) -> ast.ExampleDecl:
        expect = None if c[1] is None else ast.FAILS if str(c[1]) == ast.FAILS else ast.NOT_APPLICABLE
        return ast.ExampleDecl(c[0], span=self.span(meta), expect=expect)

    def property_decl(self, meta: Any, c: list[Any]) -> ast.PropertyDecl:
        name, params, (body, doc) = c
        return ast.PropertyDecl(self.ident(name), tuple(params or ()), body, doc, span=self.span(meta))

    def origin_decl(self, meta: Any, c: list[Any]) -> ast.OriginDecl:
        return ast.OriginDecl(tuple(c), span=self.span(meta))

    def origin_entry(self, meta: Any, c: list[Any]) -> tuple[str, str]:
        if not isinstance(c[1], ast.StrLit):
            raise self.error("an origin value must be a plain string", c[1].span)
        return (str(c[0]), c[1].value)

    def simple_type(self, meta: Any, c: list[Any]) -> ast.TypeName:
        return ast.TypeName(self.ident(c[0]), tuple(x for x in c[1:] if x is not None), span=self.span(meta))

    def none_type(self, meta: Any, c: list[Any]) -> ast.TypeName:
        return ast.TypeName("None", span=self.span(meta))

    def optional_type(self, meta: Any, c: list[Any]) -> ast.TypeName:
        t = c[0]
        return ast.TypeName(t.name, t.args, True, span=self.span(meta))

    # ---- statements

    def body(self, meta: Any, c: list[Any]) -> tuple[tuple[Any, ...], str | None]:
        return self.body_with_doc(c)

    def suite(self, meta: Any, c: list[Any]) -> tuple[Any, ...]:
        return tuple(c)

    def expr_stmt(self, meta: Any, c: list[Any]) -> ast.ExprStmt:
        return ast.ExprStmt(c[0], span=self.span(meta))

    def assign_stmt(self, meta: Any, c: list[Any]) -> ast.Assign:
        return ast.Assign(self.target(c[0]), c[1], span=self.span(meta))

    def annassign_stmt(self, meta: Any, c: list[Any]) -> ast.AnnAssign:
        return ast.AnnAssign(ast.Name(self.ident(c[0]), span=self.tspan(c[0])), c[1], c[2], span=self.span(meta))

    def augassign_stmt(self, meta: Any, c: list[Any]) -> ast.AugAssign:
        target = self.target(c[0])
        if isinstance(target, ast.TupleExpr):
            raise self.error("augmented assignment needs a single target", target.span)
        return ast.AugAssign(target, str(c[1])[:-1], c[2], span=self.span(meta))

    def pass_stmt(self, meta: Any, c: list[Any]) -> ast.Pass:
        return ast.Pass(span=self.span(meta))

    def break_stmt(self, meta: Any, c: list[Any]) -> ast.Break:
        return ast.Break(span=self.span(meta))

    def continue_stmt(self, meta: Any, c: list[Any]) -> ast.Continue:
        return ast.Continue(span=self.span(meta))

    def return_stmt(self, meta: Any, c: list[Any]) -> ast.Return:
        return ast.Return(c[0], span=self.span(meta))

    def require_stmt(self, meta: Any, c: list[Any]) -> ast.Require:
        return ast.Require(c[0], c[1], span=self.span(meta))

    def assert_stmt(self, meta: Any, c: list[Any]) -> ast.Assert:
        return ast.Assert(c[0], c[1], span=self.span(meta))

    def fail_stmt(self, meta: Any, c: list[Any]) -> ast.Fail:
        return ast.Fail(c[0], span=self.span(meta))

    def if_stmt(self, meta: Any, c: list[Any]) -> ast.If:
        test, body, *elifs, orelse = c
        tail: tuple[Any, ...] = orelse or ()
        for e in reversed(elifs):
            tail = (ast.If(e[0], e[1], tail, span=e[2]),)
        return ast.If(test, body, tail, span=self.span(meta))

    def elif_clause(self, meta: Any, c: list[Any]) -> tuple[Any, Any, Span]:
        return (c[0], c[1], self.span(meta))

    def for_stmt(self, meta: Any, c: list[Any]) -> ast.For:
        return ast.For(self.target(c[0]), c[1], c[2], span=self.span(meta))

    def while_stmt(self, meta: Any, c: list[Any]) -> ast.While:
        return ast.While(c[0], c[1], span=self.span(meta))

    # ---- expressions

    def if_exp(self, meta: Any, c: list[Any]) -> ast.IfExp:
        return ast.IfExp(c[1], c[0], c[2], span=self.span(meta))

    def lambda_exp(self, meta: Any, c: list[Any]) -> ast.Lambda:
        return ast.Lambda(tuple(c[0] or ()), c[1], span=self.span(meta))

    def lambda_params(self, meta: Any, c: list[Any]) -> list[str]:
        names = [self.ident(t) for t in c]
        if len(set(names)) != len(names):
            raise self.error("duplicate parameter in lambda", self.span(meta))
        return names

    def or_op(self, meta: Any, c: list[Any]) -> ast.BoolOp:
        return ast.BoolOp(c[0], "or", c[1], span=self.span(meta))

    def and_op(self, meta: Any, c: list[Any]) -> ast.BoolOp:
        return ast.BoolOp(c[0], "and", c[1], span=self.span(meta))

    def not_op(self, meta: Any, c: list[Any]) -> ast.UnaryOp:
        return ast.UnaryOp("not", c[0], span=self.span(meta))

    def compare(self, meta: Any, c: list[Any]) -> ast.Compare:
        return ast.Compare(c[0], tuple(c[1::2]), tuple(c[2::2]), span=self.span(meta))

    def comp_op(self, meta: Any, c: list[Any]) -> str:
        return " ".join(str(t) for t in c)

    def binop(self, meta: Any, c: list[Any]) -> ast.BinOp:
        return ast.BinOp(c[0], str(c[1]), c[2], span=self.span(meta))

    def unary(self, meta: Any, c: list[Any]) -> ast.UnaryOp:
        return ast.UnaryOp(str(c[0]), c[1], span=self.span(meta))

    def call(self, meta: Any, c: list[Any]) -> ast.Call:
        func, arglist = c
        args: list[Any] = []
        kws: list[ast.Keyword] = []
        for a in arglist or ():
            if isinstance(a, ast.Keyword):
                if any(k.name == a.name for k in kws):
                    raise self.error(f"keyword argument repeated: {a.name}", a.span)
                kws.append(a)
            elif kws:
                raise self.error("positional argument follows keyword argument", a.span)
            else:
                args.append(a)
        return ast.Call(func, tuple(args), tuple(kws), span=self.span(meta))

    def arguments(self, meta: Any, c: list[Any]) -> list[Any]:
        return [x for x in c if x is not None]

    def genexp_argument(self, meta: Any, c: list[Any]) -> list[Any]:
        return [ast.GeneratorExp(c[0], c[1], span=self.span(meta))]

    def keyword_arg(self, meta: Any, c: list[Any]) -> ast.Keyword:
        return ast.Keyword(self.ident(c[0]), c[1], span=self.span(meta))

    def subscript(self, meta: Any, c: list[Any]) -> ast.Subscript:
        return ast.Subscript(c[0], c[1], span=self.span(meta))

    def slice(self, meta: Any, c: list[Any]) -> ast.Slice:
        return ast.Slice(c[0], c[1], c[2], span=self.span(meta))

    def attribute(self, meta: Any, c: list[Any]) -> ast.Attribute:
        return ast.Attribute(c[0], self.ident(c[1]), span=self.span(meta))

    def name(self, meta: Any, c: list[Any]) -> ast.Name:
        return ast.Name(self.ident(c[0]), span=self.span(meta))

    def int_lit(self, meta: Any, c: list[Any]) -> ast.IntLit:
        text = str(c[0])
        if len(text) > 4300:
            raise self.error("integer literal too long", self.span(meta), code=E_PARSER_BOUND)
        return ast.IntLit(int(text, 0), span=self.span(meta))

    def float_lit(self, meta: Any, c: list[Any]) -> ast.FloatLit:
        return ast.FloatLit(float(str(c[0]).replace("_", "")), span=self.span(meta))

    def string_lit(self, meta: Any, c: list[Any]) -> Any:
        pieces = [self.decode_string(t) for t in c]
        if any(isinstance(p, tuple) for p in pieces):
            raise self.error("a regex literal re\"...\" is only allowed in @when(...)", self.span(meta),
                             hint="use a plain string for std.re patterns")
        if len(pieces) == 1:
            return pieces[0]
        parts: list[Any] = []
        for p in pieces:
            parts.extend(p.parts if isinstance(p, ast.FString) else [p.value])
        if not any(isinstance(p, ast.FString) for p in pieces):
            raw = all(isinstance(p, ast.StrLit) and p.raw for p in pieces)
            return ast.StrLit("".join(parts), raw=raw, span=self.span(meta))
        merged: list[Any] = []
        for p in parts:
            if isinstance(p, str) and merged and isinstance(merged[-1], str):
                merged[-1] += p
            elif p != "":
                merged.append(p)
        return ast.FString(tuple(merged), span=self.span(meta))

    def none_lit(self, meta: Any, c: list[Any]) -> ast.NoneLit:
        return ast.NoneLit(span=self.span(meta))

    def true_lit(self, meta: Any, c: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(True, span=self.span(meta))

    def false_lit(self, meta: Any, c: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(False, span=self.span(meta))

    def paren(self, meta: Any, c: list[Any]) -> Any:
        return c[0]

    def tuple_display(self, meta: Any, c: list[Any]) -> ast.TupleExpr:
        return ast.TupleExpr(tuple(x for x in c if x is not None), span=self.span(meta))

    def list_display(self, meta: Any, c: list[Any]) -> ast.ListExpr:
        return ast.ListExpr(tuple(x for x in c if x is not None), span=self.span(meta))

    def set_display(self, meta: Any, c: list[Any]) -> ast.SetExpr:
        return ast.SetExpr(tuple(x for x in c if x is not None), span=self.span(meta))

    def dict_display(self, meta: Any, c: list[Any]) -> ast.DictExpr:
        entries = [x for x in c if x is not None]
        return ast.DictExpr(tuple(k for k, _ in entries), tuple(v for _, v in entries), span=self.span(meta))

    def dict_entry(self, meta: Any, c: list[Any]) -> tuple[Any, Any]:
        return (c[0], c[1])

    def genexp(self, meta: Any, c: list[Any]) -> ast.GeneratorExp:
        return ast.GeneratorExp(c[0], c[1], span=self.span(meta))

    def list_comp(self, meta: Any, c: list[Any]) -> ast.ListComp:
        return ast.ListComp(c[0], c[1], span=self.span(meta))

    def set_comp(self, meta: Any, c: list[Any]) -> ast.SetComp:
        return ast.SetComp(c[0], c[1], span=self.span(meta))

    def dict_comp(self, meta: Any, c: list[Any]) -> ast.DictComp:
        (k, v), gens = c
        return ast.DictComp(k, v, gens, span=self.span(meta))

    def comp_for(self, meta: Any, c: list[Any]) -> tuple[ast.Comprehension, ...]:
        return tuple(c)

    def comp_clause(self, meta: Any, c: list[Any]) -> ast.Comprehension:
        return ast.Comprehension(self.target(c[0]), c[1], tuple(c[2:]), span=self.span(meta))

    def comp_if(self, meta: Any, c: list[Any]) -> Any:
        return c[0]


def _translate(tree: Tree, builder: _Builder) -> Any:
    """Bottom-up translation without recursion; rejects trees deeper than MAX_NESTING."""
    results: dict[int, Any] = {}
    depth: dict[int, int] = {}
    for sub in tree.iter_subtrees():  # children before parents
        d = 1 + max((depth[id(ch)] for ch in sub.children if isinstance(ch, Tree)), default=0)
        if sub.data == "if_stmt":
            # Each `elif` nests one `If` deeper in the AST, though Lark's tree is flat.
            d += sum(1 for ch in sub.children if isinstance(ch, Tree) and ch.data == "elif_clause")
        if d > MAX_NESTING:
            hint = ("use fewer `elif` branches (a dict lookup, or early returns)" if sub.data == "if_stmt"
                    else "split the expression with intermediate variables")
            raise builder.error(f"program nested too deeply (more than {MAX_NESTING} levels)",
                                builder.span(sub.meta), code=E_PARSER_BOUND, hint=hint)
        depth[id(sub)] = d
        kids = [results.pop(id(ch)) if isinstance(ch, Tree) else ch for ch in sub.children]
        handler = getattr(builder, str(sub.data))
        results[id(sub)] = handler(sub.meta, kids)
    return results[id(tree)]


def _syntax_error(e: UnexpectedInput, source: str, file: str) -> SglSyntaxError:
    line, col = e.line if e.line and e.line > 0 else 1, e.column if e.column and e.column > 0 else 1
    hint = None
    if isinstance(e, UnexpectedToken):
        tok = e.token
        if tok.type == "$END":
            lines = source_lines(source)
            while len(lines) > 1 and not lines[-1]:
                lines.pop()
            line, col = len(lines), len(lines[-1]) + 1
            msg = "unexpected end of file"
        elif tok.type == "_INDENT":
            msg = "unexpected indent"
        elif tok.type == "_DEDENT":
            msg = "unexpected end of block"
        elif tok.type == "_NEWLINE":
            msg = "unexpected end of line"
            line, col = tok.line or line, tok.column or col
        else:
            msg = f"unexpected {str(tok.value)!r}"
            if str(tok.value) in _NOT_SGL:
                hint = _NOT_SGL[str(tok.value)]
            all_lines = source_lines(source)
            src_line = all_lines[line - 1] if 0 < line <= len(all_lines) else ""
            before = src_line[: col - 1].rstrip()
            if str(tok.value) == ":" and src_line[col: col + 1] == "=":
                msg, hint = "the walrus operator ':=' is not supported", "assign on a line of its own first"
            elif before.endswith(":") and tok.type != "COLON" and "_NEWLINE" in (e.accepts or e.expected):
                msg = f"unexpected {str(tok.value)!r} after ':'"
                hint = "a block starts on a new line: put its statements on the next lines, indented"
            elif str(tok.value) == "=" and re.search(r"\blambda\b[^:]*$", before):
                hint = "lambda parameters have no default values"
        expected = sorted({_describe_terminal(t) for t in e.accepts or e.expected})
        if not hint and len(expected) == 1:
            msg = f"expected {expected[0]}, found {msg.removeprefix('unexpected ')}"
        elif not hint and expected and len(expected) <= 6:
            hint = "expected " + ", ".join(expected)
        hint = _python_habit(tok, source, line, col, expected) or hint
        end_col = col + max(len(str(tok.value)), 1) if tok.type not in ("$END", "_NEWLINE", "_INDENT", "_DEDENT") else col + 1
        span = Span(line, col, line, end_col)
    elif isinstance(e, UnexpectedCharacters):
        ch = source[e.pos_in_stream] if e.pos_in_stream < len(source) else ""
        if ch in "'\"":
            msg = "unterminated string literal"
        else:
            msg = f"unexpected character {ch!r}"
        span = Span.point(line, col)
    elif isinstance(e, UnexpectedEOF):
        msg = "unexpected end of file"
        span = Span.point(line, col)
    else:  # pragma: no cover - Lark has no other kinds
        msg, span = str(e), Span.point(line, col)
    # The first word of the line explains more than the token: `def f(x):`, `@cache`.
    all_lines = source_lines(source)
    text_line = all_lines[line - 1] if 0 < line <= len(all_lines) else ""
    first_word = re.match(r"\s*(@?\w+)", text_line)
    word = first_word.group(1) if first_word else ""
    if word in _NOT_SGL:
        msg, hint = f"'{word}' is not part of SGL", _NOT_SGL[word]
        span = Span(line, first_word.end(1) - len(word) + 1, line, first_word.end(1) + 1)  # type: ignore[union-attr]
    elif word.startswith("@") and word != "@when":
        msg, hint = f"unknown decorator {word}", "the only decorator is @when(\"template\")"
        span = Span(line, first_word.end(1) - len(word) + 1, line, first_word.end(1) + 1)  # type: ignore[union-attr]
    return SglSyntaxError(diagnostics=[Diagnostic(E_GRAMMAR, msg, span, file, hint)])


def _python_habit(tok: Token, source: str, line: int, col: int, expected: list[str]) -> str | None:
    """A hint for a token that Python would accept at this place (`f(*xs)`, `proc f(x)`), else None."""
    all_lines = source_lines(source)
    before = (all_lines[line - 1] if 0 < line <= len(all_lines) else "")[: col - 1].rstrip()
    value = str(tok.value)
    if value in ("*", "**") and before.endswith(("(", ",")):
        return "SGL has no argument unpacking: pass the list itself, or its items one by one (`f(xs[0], xs[1])`)"
    if value in ("*", "**") and before.endswith(("[", "{")):
        return "SGL has no unpacking in displays: join lists with `+`, merge maps with `|`"
    if expected == ["':'"] and value in (")", ",", "=") and re.match(r"\s*(proc|property)\b", before):
        return "parameters need types, as in `proc f(x: Int, name: Str = \"\") -> Int:`"
    return None


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_TEXT:
        return _TERMINAL_TEXT[name]
    try:
        pattern = _parser().get_terminal(name).pattern
    except (KeyError, AttributeError):
        return name.lower()
    if pattern.type == "str":
        return f"'{pattern.value}'"
    return name.lower().replace("_", " ")


def normalize_source(source: str) -> str:
    """The text the lexer sees: a leading byte-order mark dropped, CRLF and lone CR as LF.

    As in Python, this also applies inside triple-quoted strings. Spans refer to this
    text, whose lines and columns are those of the original.
    """
    return source.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse(source: str, file: str = "<input>") -> ast.Module:
    """Parse SGL source into a Module; raise SglSyntaxError (one diagnostic) on bad input."""
    if len(source) > MAX_SOURCE_CHARS:
        raise SglSyntaxError(f"source too large ({len(source)} characters; limit {MAX_SOURCE_CHARS})",
                             file=file, code=E_PARSER_BOUND)
    text = normalize_source(source)
    nul = text.find("\0")
    if nul >= 0:
        line, col = text.count("\n", 0, nul) + 1, nul - text.rfind("\n", 0, nul)
        raise SglSyntaxError("NUL character in source", span=Span.point(line, col), file=file, code=E_GRAMMAR)
    if not text.endswith("\n"):
        text += "\n"
    first = text[: text.index("\n")]
    if first[:1] in (" ", "\t") and first.strip() and not first.lstrip().startswith("#"):
        raise SglSyntaxError("unexpected indent", span=Span.point(1, 1), file=file, code=E_INDENTATION,
                             hint="top-level declarations start in column 1")
    comments: list[tuple[str, int, int]] = []
    try:
        with parse_context(file, comments):
            tree = _parser().parse(text, start="start")
    except UnexpectedInput as e:
        raise _syntax_error(e, text, file) from None
    except SglSyntaxError:
        raise
    except RecursionError:
        raise SglSyntaxError("program nested too deeply", file=file, code=E_PARSER_BOUND) from None
    decls = _translate(tree, _Builder(file))
    src_lines = source_lines(text)
    kept = tuple(
        ast.Comment(text_, line, col, own_line=not src_lines[line - 1][: col - 1].strip())
        for text_, line, col in comments
    )
    return ast.Module(tuple(decls), kept, file=file, source=source)
