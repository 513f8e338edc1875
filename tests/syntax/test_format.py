"""`format_source`: comments kept and placed, AST preserved, idempotent; over every
`.sgl` file of the repository and the hand-written samples in `tests/syntax/samples/`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies.ast_strategies import modules

from seglam_lang.errors import SglSyntaxError
from seglam_lang.syntax import ast
from seglam_lang.syntax.format import format_source
from seglam_lang.syntax.parser import parse
from seglam_lang.syntax.printer import INDENT, layout, print_module

REPO = Path(__file__).resolve().parents[2]
SAMPLES = sorted((REPO / "tests" / "syntax" / "samples").glob("*.sgl"))
ALL_FILES = sorted(set(REPO.glob("**/*.sgl")) | set(SAMPLES))


def test_there_are_samples() -> None:
    assert len(SAMPLES) >= 10


def comment_texts(tree: ast.Module) -> Counter[str]:
    return Counter(c.text.rstrip() for c in tree.comments)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_fmt_is_idempotent_and_keeps_ast_and_comments(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    try:
        tree = parse(source, str(path))
    except SglSyntaxError as e:  # the syntax-error corpus: fmt reports the same error
        with pytest.raises(SglSyntaxError) as raised:
            format_source(source, str(path))
        assert raised.value.diagnostic == e.diagnostic
        return
    once = format_source(source, str(path))
    again = parse(once)
    assert again == tree
    assert comment_texts(again) == comment_texts(tree)
    assert format_source(once) == once


def test_comment_placement() -> None:
    source = (
        "# header\n\nuse std.text  # why\n# before f\n@when('x')  # on trigger\nproc f() -> Int:  # header\n"
        "  '''Doc.'''  # on doc\n  # first\n  x = [1,\n    # inside\n    2]  # after list\n\n\n  return x  # done\n"
        "  # end of body\n# tail\n"
    )
    assert format_source(source) == (
        "# header\n\nuse std.text  # why\n\n\n# before f\n@when(\"x\")  # on trigger\nproc f() -> Int:  # header\n"
        '    """Doc."""  # on doc\n    # first\n    # inside\n    x = [1, 2]  # after list\n\n    return x  # done\n'
        "    # end of body\n# tail\n"
    )


def test_several_trailing_comments_of_one_statement_go_before_it() -> None:
    source = "X = [\n    1,  # one\n    2,  # two\n]\n"
    assert format_source(source) == "# one\n# two\nX = [1, 2]\n"


def test_crlf_bom_and_no_final_newline() -> None:
    assert format_source("\ufeffX = 1\r\nY = 2  # c") == "X = 1\nY = 2  # c\n"


def test_empty_and_comment_only_files() -> None:
    assert format_source("") == ""
    assert format_source("\n\n# only\n\n") == "# only\n"


_settings = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@_settings
@given(modules())
def test_canonical_text_is_a_fixed_point(tree: ast.Module) -> None:
    text = print_module(tree)
    assert format_source(text) == text


@_settings
@given(modules(), st.data())
def test_comments_anywhere_survive(tree: ast.Module, data: st.DataObject) -> None:
    """Comments added at the end of printed lines and on lines of their own (at a
    random indentation) are all kept, and formatting stays AST-preserving and stable."""
    out: list[str] = []
    for i, line in enumerate(layout(tree)):
        if data.draw(st.booleans(), label="own-line"):
            out.append(INDENT * data.draw(st.integers(0, line.depth)) + f"# own {i}")
        text = line.text
        if "\n" not in text and data.draw(st.booleans(), label="trailing"):
            text += f"  # trail {i}"
        out.append(text)
    source = "\n".join(out) + "\n"
    before = parse(source)
    once = format_source(source)
    after = parse(once)
    assert after == before == tree
    assert comment_texts(after) == comment_texts(before)
    assert format_source(once) == once
