"""The Pygments lexer: registered as `sgl`, no error token on any SGL text the parser accepts
(every `.sgl` file of the repository, the spec's SGL blocks, generated modules), and the
token classes of each kind of lexeme."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String, _TokenType
from strategies.ast_strategies import modules

from seglam_lang.syntax.printer import print_module
from seglam_lang.tooling.lexer import SglLexer

REPO = Path(__file__).resolve().parents[2]
# Files that are syntax errors on purpose: an error token there is right.
NOT_SGL = REPO / "tests" / "conformance" / "syntax_errors"
SGL_FILES = sorted(p for p in REPO.rglob("*.sgl")
                   if ".git" not in p.parts and "node_modules" not in p.parts and NOT_SGL not in p.parents)


def errors(text: str) -> list[str]:
    return [v for t, v in SglLexer().get_tokens(text) if t in Error]


def test_registered_by_name_alias_and_file_name() -> None:
    assert isinstance(get_lexer_by_name("sgl"), SglLexer)
    assert isinstance(get_lexer_by_name("sgl-run"), SglLexer)
    assert isinstance(get_lexer_for_filename("basket.sgl"), SglLexer)


def test_every_sgl_file_of_the_repository_lexes_without_error_tokens() -> None:
    assert len(SGL_FILES) > 50
    bad = {str(p.relative_to(REPO)): e for p in SGL_FILES if (e := errors(p.read_text(encoding="utf-8")))}
    assert not bad, bad


def test_spec_sgl_blocks_lex_without_error_tokens() -> None:
    fence = re.compile(r"^```(sgl(?:-run)?)\b[^\n]*\n(.*?)^```", re.S | re.M)
    blocks = [m.group(2) for doc in (REPO / "spec").glob("*.md") for m in fence.finditer(doc.read_text("utf-8"))]
    assert len(blocks) > 40
    assert [b for b in blocks if errors(b)] == []


def test_text_outside_the_language_gives_error_tokens() -> None:
    """The lexer has no catch-all: text outside the language does give error tokens."""
    assert errors("x = `y`\n")
    assert errors("x = f'{a}}'\n")
    assert errors("x = $\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules())
def test_generated_modules_lex_without_error_tokens(tree: object) -> None:
    text = print_module(tree)  # type: ignore[arg-type]
    assert errors(text) == [], text


SAMPLE = '''use std.math as m
record Item:
    """One line."""
    qty: Int? = None

@when("total of {items}")
@when(re"(?P<n>\\d+) items")
proc total(items: List[Item], n: Int = 0x1F) -> Decimal:
    # a comment
    label = f"{items[0].qty!r:>10} {{x}}"
    if label is not None and 1.5e3 >= .5:
        return Decimal("1.0")
    fail "no"

example total([]) == 0
property positive(record: Int):
    require record >= 0
'''


def tokens_of(text: str) -> dict[str, _TokenType]:
    out: dict[str, _TokenType] = {}
    for t, v in SglLexer().get_tokens(text):
        out.setdefault(v, t)
    return out


@pytest.mark.parametrize(("lexeme", "kind"), [
    ("use", Keyword.Namespace), ("std", Name.Namespace), ("record", Keyword.Declaration), ("Item", Name.Class),
    ('"""', String), ("Int", Keyword.Type), ("List", Keyword.Type), ("Decimal", Keyword.Type),
    ("None", Keyword.Constant), ("@", Name.Decorator), ("when", Name.Decorator), ("{items}", String.Interpol),
    ('re"', String.Affix), ("proc", Keyword.Declaration), ("total", Name.Function), ("0x1F", Number.Hex),
    ("->", Operator), ("# a comment", Comment.Single), ('f"', String.Affix), ("!r", String.Interpol),
    ("{{", String.Escape), ("if", Keyword), ("is", Operator.Word), ("1.5e3", Number.Float), (".5", Number.Float),
    ("return", Keyword), ("fail", Keyword), ("example", Keyword.Declaration), ("property", Keyword.Declaration),
    ("positive", Name.Function), ("require", Keyword), ("0", Number.Integer),
])
def test_token_kinds(lexeme: str, kind: _TokenType) -> None:
    assert tokens_of(SAMPLE)[lexeme] in kind


def test_soft_keywords_are_names_inside_code() -> None:
    # `record` as a parameter name: the first one is a declaration keyword only at a line start.
    kinds = [t for t, v in SglLexer().get_tokens("proc f(record: Int) -> Int:\n    return record\n") if v == "record"]
    assert kinds == [Name, Name]
