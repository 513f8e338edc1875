"""The printer: canonical layout, minimal parentheses, literals that read back exactly,
and the round-trip property `parse(print_module(tree)) == tree` for generated trees."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies.ast_strategies import bodies, expressions, modules, types

from seglam_lang.syntax import ast
from seglam_lang.syntax.parser import parse
from seglam_lang.syntax.printer import print_expr, print_module, print_type, raw_string_literal


def expr_of(text: str) -> ast.Expr:
    decl = parse(f"X = {text}\n").decls[0]
    assert isinstance(decl, ast.ConstDecl)
    return decl.value


# Source already in canonical form prints back unchanged (minimal parentheses).
CANONICAL = [
    "a - (b - c)", "a - b - c", "(a + b) * c", "a + b * c", "-x ** 2", "(-x) ** 2", "2 ** -1",
    "2 ** 3 ** 4", "(2 ** 3) ** 4", "not (a and b)", "not a and b", "(a or b) and c", "a or b or c",
    "a or (b and c)", "(a and b) or c", "a or b or (c and d)", "(a and b) or (c and d)", "a and b and c",
    "a or (b or c)", "a < b < c", "(a < b) < c", "a < (b < c)", "not a == b", "(not a) == b",
    "a if b else c", "(a if b else c) if d else e", "a if b else c if d else e",
    "(lambda: 1)()", "f(lambda x, y: x + y)", "(lambda: 1) if a else b", "a if b else lambda: c",
    "[x for x in y if x for z in w]", "{k: v for k, v in d.items()}", "{a, b}", "{}", "{a: b}", "()", "(a,)",
    "(a, b)", "sum(x for x in xs)", "f((x for x in xs), 1)", "xs[1:2]", "xs[::2]", "xs[:]", "xs[a:b:c]",
    "xs[(a, b)]", "(1).real", "1.5.real", "(-1) ** 2", "--x",
    "a | b ^ c & d << e + f * g ** h", "(a | b) & c", "a in b not in c is d is not e", "f(a, b=1, c=d)",
    "(a + b).c", "(a + b)[0]", "a.b.c(d)[e]", "~a", "-a + +b", "f\"x{a!r:>8}{{}}{b:.2f}\"",
    "f\"{ {a: 1}}\"", "f\"{(lambda: 1)}\"", "f\"{'q'}\"", "x if (lambda: y) else z", "[lambda: x for x in y]",
    "(yield_ + 1) * 2", "a and not b", "a and (b or c)",
]


@pytest.mark.parametrize("text", CANONICAL)
def test_canonical_expressions_print_unchanged(text: str) -> None:
    assert print_expr(expr_of(text)) == text


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("((a))", "a"), ("(a + b) + c", "a + b + c"), ("a + (b * c)", "a + b * c"), ("-(x ** 2)", "-x ** 2"),
        ("(not a)", "not a"), ("'single'", '"single"'), ("'it''s'", '"its"'), ('"a" "b"', '"ab"'),
        ("'say \"hi\"'", '"say \\"hi\\""'), ("0x10", "16"), ("1_000", "1000"), ("0b11", "3"), ("1E3", "1000.0"),
        ("1e999", "1e999"), ("1e300", "1e+300"), (".5", "0.5"), ("'\\t\\x00é'", '"\\t\\x00é"'),
        ("f'{x}' 'y'", 'f"{x}y"'), ("[a,]", "[a]"), ("f(a,)", "f(a)"), ("xs[1:2:]", "xs[1:2]"),
        ("'''multi\nline'''", '"multi\\nline"'), ("f'{(a, b)}'", 'f"{(a, b)}"'), ("(x for x in y)", "(x for x in y)"),
    ],
)
def test_expression_layout(source: str, printed: str) -> None:
    assert print_expr(expr_of(source)) == printed


@pytest.mark.parametrize("value", [0.0, 1.0, 0.1, 1e16, 1e-7, 5e-324, 1.7976931348623157e308, math.inf, 123456789.123])
def test_floats_read_back_exactly(value: float) -> None:
    text = print_expr(ast.FloatLit(value))
    assert expr_of(text) == ast.FloatLit(value)


def test_nan_prints_as_a_call() -> None:
    assert print_expr(ast.FloatLit(math.nan)) == 'float("nan")'


@pytest.mark.parametrize("text", ["Int", "List[Int]", "Map[Str, List[Int?]]?", "None", "None?", "Tuple[Int, Str]"])
def test_types(text: str) -> None:
    decl = parse(f"X: {text} = 1\n").decls[0]
    assert isinstance(decl, ast.ConstDecl) and decl.annotation is not None
    assert print_type(decl.annotation) == text


def test_module_layout() -> None:
    source = (
        "use std.text\nuse std.money as m\nLIMIT: Int = 3\nrecord R:\n  'doc'\n  a: Int\n"
        "@when(re'(?P<x>\\d+) \"q\"')\n@when('total {x}')\nproc f(x: Int = 1) -> Int:\n  '''Doc.'''\n"
        "  if x:\n    return 1\n  else:\n    if y:\n      pass\n    else:\n      return 2\n  a, b = b, a\n  return x, 1\n"
        "example f(1) == 1\nexample f() == 1\nproperty p(x: Int):\n  '''only a doc'''\norigin:\n  by: 'me'\n"
    )
    assert print_module(parse(source)) == (
        'use std.text\nuse std.money as m\n\nLIMIT: Int = 3\n\n\nrecord R:\n    """doc"""\n    a: Int\n\n\n'
        '@when(re\'(?P<x>\\d+) "q"\')\n@when("total {x}")\nproc f(x: Int = 1) -> Int:\n    """Doc."""\n'
        "    if x:\n        return 1\n    elif y:\n        pass\n    else:\n        return 2\n"
        "    a, b = b, a\n    return x, 1\n\n\nexample f(1) == 1\nexample f() == 1\n\n\n"
        'property p(x: Int):\n    """only a doc"""\n\n\norigin:\n    by: "me"\n'
    )


def test_docstring_quotes_and_newlines() -> None:
    doc = 'He said "hi"\n  and left ""\\ "'
    tree = ast.Module((ast.RecordDecl("R", (ast.Field("a", ast.TypeName("Int")),), doc),))
    assert parse(print_module(tree)) == tree


def test_long_elif_chain_prints() -> None:
    source = "proc f(x: Int) -> Int:\n    if x == 0:\n        return 0\n"
    source += "".join(f"    elif x == {i}:\n        return {i}\n" for i in range(1, 90))
    tree = parse(source)
    assert print_module(tree) == source


def test_strings_two_fields_deep_have_no_spelling() -> None:
    inner = ast.FString((ast.FormattedValue(ast.StrLit("s")),))
    with pytest.raises(ValueError):
        print_expr(ast.FString((ast.FormattedValue(inner),)))


_settings = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@_settings
@given(modules())
def test_generated_modules_round_trip(tree: ast.Module) -> None:
    assert parse(print_module(tree)) == tree


@_settings
@given(bodies(3))
def test_generated_bodies_round_trip(body: tuple[ast.Stmt, ...]) -> None:
    tree = ast.Module((ast.ProcDecl("f", (), ast.TypeName("Int"), (ast.Pass(), *body)),))
    assert parse(print_module(tree)) == tree


@_settings
@given(expressions(max_leaves=20))
def test_generated_expressions_round_trip(e: ast.Expr) -> None:
    assert expr_of(print_expr(e)) == e


@_settings
@given(types())
def test_generated_types_round_trip(t: ast.TypeName) -> None:
    decl = parse(f"X: {print_type(t)} = 1\n").decls[0]
    assert isinstance(decl, ast.ConstDecl) and decl.annotation == t


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_a_raw_string_prints_raw_whenever_it_has_a_raw_spelling(value: str) -> None:
    printed = print_expr(ast.StrLit(value, raw=True))
    back = expr_of(printed)
    assert isinstance(back, ast.StrLit) and back.value == value
    assert back.raw == (raw_string_literal(value) is not None) == printed.startswith("r")
