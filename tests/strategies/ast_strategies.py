"""Hypothesis strategies for SGL syntax trees (reusable by any test).

Owns: `modules()`, `decls()`, `statements()`, `expressions()`, `types()`, `names()`:
trees of every node type of `seglam_lang.syntax.ast` in the shapes the parser produces,
so that `parse(print_module(tree)) == tree` must hold. The shapes:
- names are identifiers, never reserved words; top-level constant names are also not
  the soft keywords that start declarations (`record`, `proc`, ...), which stay valid
  names inside bodies and expressions;
- numeric literals are non-negative (`-1` is a unary minus applied to `1`); no NaN;
- targets are names, subscripts, attributes, or non-empty tuples of targets;
- f-string literal parts are non-empty and never adjacent; strings appear at most one
  f-string field deep (deeper has no spelling in source); format specs are valid;
- string literals, f-string text and trigger patterns are sometimes longer than a line
  (words and spaces), so that the printer's cutting of literals is exercised;
- bodies are non-empty; a proc/property body never starts with a bare string unless
  it has a docstring (a first string *is* the docstring); a docstring-only body is `pass`.
The trees are not type-correct: they exercise syntax only. Strategies are built once
(cached): building recursive strategies is the slow part.
"""

from __future__ import annotations

import keyword
from functools import cache

from hypothesis import strategies as st

from seglam_lang.syntax import ast
from seglam_lang.syntax.parser import RESERVED as SGL_RESERVED
from seglam_lang.syntax.parser import SOFT_KEYWORDS

RESERVED = SGL_RESERVED | set(keyword.softkwlist)

_plain_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True).filter(lambda s: s not in RESERVED)
_unicode_names = st.sampled_from(["π", "größe", "naïve", "变量", "_x1"])


@cache
def names(soft: bool = True) -> st.SearchStrategy[str]:
    """Identifiers; with `soft`, the declaration soft keywords may appear too."""
    pool = [_plain_names.filter(lambda s: s not in SOFT_KEYWORDS), _unicode_names]
    if soft:
        pool.append(st.sampled_from(sorted(SOFT_KEYWORDS)))
    return st.one_of(*pool)


@cache
def types() -> st.SearchStrategy[ast.TypeName]:
    base = st.builds(ast.TypeName, st.sampled_from(["Int", "Str", "Float", "Decimal", "Item", "T"]),
                     st.just(()), st.booleans())
    none = st.builds(ast.TypeName, st.just("None"), st.just(()), st.booleans())
    return st.recursive(
        st.one_of(base, none),
        lambda inner: st.builds(ast.TypeName, st.sampled_from(["List", "Map", "Set", "Tuple"]),
                                st.lists(inner, min_size=1, max_size=3).map(tuple), st.booleans()),
        max_leaves=5,
    )


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
# Longer than a line: words and separators, so that `sgl fmt` cuts the literal into pieces.
_long_text = st.lists(
    st.tuples(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=9) | st.just("word"),
              st.sampled_from([" ", " ", "  ", "\n", ""])),
    min_size=12, max_size=40,
).map(lambda ws: "".join(w + sep for w, sep in ws))
_strings = st.one_of(_text, _long_text)
_specs = st.sampled_from([None, ">8", ".2f", ",", "08.3f", "x", "<10", "^5", "+.1e", "_d", "%", "*^12", ".3", "#>4"])
_field_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)


def _leaves(field_depth: int) -> st.SearchStrategy[ast.Expr]:
    pool = [
        names().map(ast.Name),
        st.integers(min_value=0, max_value=10**30).map(ast.IntLit),
        st.one_of(st.floats(min_value=0, allow_nan=False), st.just(float("inf"))).map(ast.FloatLit),
        st.booleans().map(ast.BoolLit),
        st.just(ast.NoneLit()),
    ]
    if field_depth < 2:
        pool.append(st.builds(lambda v, raw: ast.StrLit(v, raw=raw), _strings, st.booleans()))
    return st.one_of(*pool)


@cache
def _fstrings(field_depth: int, inner: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.FString]:
    value = st.builds(ast.FormattedValue, inner, st.sampled_from([None, "r", "s"]),
                      _specs if field_depth == 0 else _specs.filter(lambda s: s is None or "#" not in s))

    @st.composite
    def build(draw: st.DrawFn) -> ast.FString:
        parts: list[object] = []
        for _ in range(draw(st.integers(0, 4))):
            if (parts and isinstance(parts[-1], str)) or draw(st.booleans()):
                parts.append(draw(value))
            else:
                parts.append(draw(_field_text | _long_text))
        return ast.FString(tuple(parts))

    return build()


@cache
def targets(exprs: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    single = st.one_of(
        names().map(ast.Name),
        st.builds(ast.Subscript, exprs, exprs),
        st.builds(ast.Attribute, exprs, names()),
    )
    return st.one_of(single, st.lists(single, min_size=1, max_size=3).map(lambda xs: ast.TupleExpr(tuple(xs))))


@cache
def expressions(field_depth: int = 0, max_leaves: int = 12) -> st.SearchStrategy[ast.Expr]:
    """Expressions of every kind; `field_depth` is how many f-string fields enclose them."""
    leaves = _leaves(field_depth)
    if field_depth < 2:
        leaves = st.one_of(leaves, st.deferred(lambda: _fstrings(field_depth, expressions(field_depth + 1, 4))))

    def extend(e: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
        tup = st.lists(e, max_size=3).map(tuple)
        comps = st.lists(
            st.builds(ast.Comprehension, targets(e), e, st.lists(e, max_size=2).map(tuple)), min_size=1, max_size=2
        ).map(tuple)
        unique_names = st.lists(names(), max_size=3, unique=True).map(tuple)
        keywords = st.lists(st.builds(ast.Keyword, names(), e), max_size=2, unique_by=lambda k: k.name).map(tuple)
        slices = st.builds(ast.Slice, st.none() | e, st.none() | e, st.none() | e)
        return st.one_of(
            tup.map(ast.TupleExpr), tup.map(ast.ListExpr),
            st.lists(e, min_size=1, max_size=3).map(lambda xs: ast.SetExpr(tuple(xs))),
            st.lists(st.tuples(e, e), max_size=3).map(lambda kv: ast.DictExpr(tuple(k for k, _ in kv), tuple(v for _, v in kv))),
            st.builds(ast.ListComp, e, comps), st.builds(ast.SetComp, e, comps),
            st.builds(ast.DictComp, e, e, comps), st.builds(ast.GeneratorExp, e, comps),
            st.builds(ast.UnaryOp, st.sampled_from(["-", "+", "~", "not"]), e),
            st.builds(ast.BinOp, e, st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^"]), e),
            st.builds(ast.BoolOp, e, st.sampled_from(["and", "or"]), e),
            st.lists(st.tuples(st.sampled_from(["<", ">", "==", ">=", "<=", "!=", "in", "not in", "is", "is not"]), e),
                     min_size=1, max_size=3).flatmap(
                lambda pairs: st.builds(ast.Compare, e, st.just(tuple(p for p, _ in pairs)), st.just(tuple(c for _, c in pairs)))),
            st.builds(ast.IfExp, e, e, e),
            st.builds(ast.Lambda, unique_names, e),
            st.builds(ast.Call, e, tup, keywords),
            st.builds(lambda f, g: ast.Call(f, (g,)), e, st.builds(ast.GeneratorExp, e, comps)),
            st.builds(ast.Attribute, e, names()),
            st.builds(ast.Subscript, e, e | slices),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


@cache
def statements(depth: int = 2) -> st.SearchStrategy[ast.Stmt]:
    e = expressions(max_leaves=6)
    simple = st.one_of(
        st.builds(ast.Assign, targets(e), e),
        st.builds(ast.AnnAssign, names().map(ast.Name), types(), e),
        st.builds(ast.AugAssign, targets(e).filter(lambda t: not isinstance(t, ast.TupleExpr)),
                  st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>"]), e),
        st.builds(ast.ExprStmt, e),
        st.just(ast.Pass()), st.just(ast.Break()), st.just(ast.Continue()),
        st.builds(ast.Return, st.none() | e),
        st.builds(ast.Require, e, st.none() | e), st.builds(ast.Assert, e, st.none() | e),
        st.builds(ast.Fail, e),
    )
    if depth == 0:
        return simple
    inner = bodies(depth - 1)
    return st.one_of(
        simple,
        st.builds(ast.If, e, inner, st.just(()) | inner),
        st.builds(ast.For, targets(e), e, inner),
        st.builds(ast.While, e, inner),
    )


@cache
def bodies(depth: int = 2) -> st.SearchStrategy[tuple[ast.Stmt, ...]]:
    return st.lists(st.deferred(lambda: statements(depth)), min_size=1, max_size=3).map(tuple)


def _doc_and_body(draw: st.DrawFn) -> tuple[str | None, tuple[ast.Stmt, ...]]:
    doc = draw(st.none() | _text)
    body = draw(bodies())
    if doc is None and isinstance(body[0], ast.ExprStmt) and isinstance(body[0].value, ast.StrLit):
        body = (ast.Pass(), *body)  # a first bare string would read back as the docstring
    return doc, body


def _params(draw: st.DrawFn) -> tuple[ast.Param, ...]:
    ps = draw(st.lists(st.builds(ast.Param, names(), types(), st.none() | expressions(max_leaves=4)),
                       max_size=3, unique_by=lambda p: p.name))
    return tuple(ps)


_regexes = st.text(st.sampled_from("ab (?P<x>\\d+)[]*+.|^$"), max_size=15).filter(
    lambda s: not s.endswith("\\") or s.endswith("\\\\"))
_long_regexes = st.lists(_regexes, min_size=8, max_size=20).map(" ".join).filter(
    lambda s: not s.endswith("\\") or s.endswith("\\\\"))


@st.composite
def decls(draw: st.DrawFn) -> ast.Decl:
    kind = draw(st.sampled_from(["use", "record", "const", "proc", "example", "property", "origin"]))
    e = expressions(max_leaves=8)
    if kind == "use":
        return ast.Use(tuple(draw(st.lists(names(soft=False), min_size=1, max_size=3))), draw(st.none() | names(soft=False)))
    if kind == "record":
        fields = draw(st.lists(st.builds(ast.Field, names(), types(), st.none() | e), min_size=1, max_size=3,
                               unique_by=lambda f: f.name))
        return ast.RecordDecl(draw(names(soft=False)), tuple(fields), draw(st.none() | _text))
    if kind == "const":
        value = draw(e)
        return ast.ConstDecl(draw(names(soft=False)), draw(st.none() | types()), value)
    if kind == "example":
        return ast.ExampleDecl(draw(e), expect=draw(st.sampled_from([None, ast.NOT_APPLICABLE, ast.FAILS])))
    if kind == "origin":
        entries = draw(st.lists(st.tuples(names(), _strings), min_size=1, max_size=3))
        return ast.OriginDecl(tuple(entries))
    doc, body = _doc_and_body(draw)
    params = _params(draw)
    if kind == "proc":
        triggers = draw(st.lists(st.one_of(st.builds(ast.Trigger, _strings, st.just(False)),
                                           st.builds(ast.Trigger, _regexes | _long_regexes, st.just(True))),
                                 max_size=2))
        return ast.ProcDecl(draw(names(soft=False)), params, draw(types()), body, doc, tuple(triggers))
    return ast.PropertyDecl(draw(names(soft=False)), params, body, doc)


def modules(max_decls: int = 4) -> st.SearchStrategy[ast.Module]:
    return st.lists(decls(), max_size=max_decls).map(lambda ds: ast.Module(tuple(ds)))
