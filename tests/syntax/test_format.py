"""`format_source`: comments kept and placed, AST preserved, idempotent; over every
`.sgl` file of the repository and the hand-written samples in `tests/syntax/samples/`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from corpus import read_all
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies.ast_strategies import modules

from seglam_lang.errors import SglSyntaxError
from seglam_lang.syntax import ast
from seglam_lang.syntax.format import format_source
from seglam_lang.syntax.parser import parse
from seglam_lang.syntax.printer import INDENT, WIDTH, layout, print_module

REPO = Path(__file__).resolve().parents[2]
SAMPLES = sorted((REPO / "tests" / "syntax" / "samples").glob("*.sgl"))
ALL_FILES = sorted(set(REPO.glob("**/*.sgl")) | set(SAMPLES))


def test_there_are_samples() -> None:
    assert len(SAMPLES) >= 10


def comment_texts(tree: ast.Module) -> Counter[str]:
    return Counter(c.text.rstrip() for c in tree.comments)


# Every case of the corpora (`tests/*/corpus/*.txt`) is a source too.
CORPUS_CASES = [c for folder in sorted(REPO.glob("tests/*/corpus")) for c in read_all(folder)]


def test_there_are_corpus_cases() -> None:
    assert len(CORPUS_CASES) >= 200


@pytest.mark.parametrize("source", [
    *(pytest.param(p.read_text(encoding="utf-8"), id=str(p.relative_to(REPO))) for p in ALL_FILES),
    *(pytest.param(c.source, id=str(c)) for c in CORPUS_CASES),
])
def test_fmt_is_idempotent_and_keeps_ast_and_comments(source: str) -> None:
    try:
        tree = parse(source)
    except SglSyntaxError as e:  # the syntax-error corpus: fmt reports the same error
        with pytest.raises(SglSyntaxError) as raised:
            format_source(source)
        assert raised.value.diagnostic == e.diagnostic
        return
    once = format_source(source)
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


# ---------------------------------------------------------------- the project's own files


def test_fmt_check_passes_on_examples_and_stdlib() -> None:
    """`sgl fmt --check examples/ stdlib/`, as CI runs it: every shipped file is canonical."""
    from click.testing import CliRunner

    from seglam_lang.cli import main

    result = CliRunner().invoke(main, ["fmt", "--check", str(REPO / "examples"), str(REPO / "stdlib")])
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- line width


def _lines(source: str) -> list[str]:
    return format_source(source).rstrip("\n").split("\n")


def test_long_lines_wrap_inside_brackets() -> None:
    words = ", ".join(f'"word{i}": {i}' for i in range(30))
    source = (
        f"WORDS: Map[Str, Int] = {{{words}}}\n\n"
        "proc f(first_parameter: Int, second_parameter: Str, third_parameter: List[Int], fourth: Bool) -> Int:\n"
        "    require first_parameter > 0 and fourth and second_parameter != \"\" and len(third_parameter) == 3, \"bad input\"\n"
        "    total = some_function(first_parameter, second_parameter, third_parameter, fourth, first_parameter)\n"
        "    return total\n"
    )
    out = _lines(source)
    assert max(map(len, out)) <= WIDTH
    assert out[0] == "WORDS: Map[Str, Int] = {"
    assert out[1].startswith('    "word0": 0, "word1": 1,') and "}" in out
    assert "proc f(" in out and ") -> Int:" in out
    assert "    require (" in out and '    ), "bad input"' in out
    assert "    total = some_function(" in out


def test_a_short_group_is_not_split_when_parentheses_read_better() -> None:
    source = 'proc g(arrangements: List[Int]) -> Int:\n    require len(arrangements) == 1, f"{len(arrangements)} arrangements satisfy the statements, not only one"\n    return 1\n'
    out = _lines(source)
    assert out[1:4] == [
        "    require (",
        "        len(arrangements) == 1",
        '    ), f"{len(arrangements)} arrangements satisfy the statements, not only one"',
    ]


def test_long_operand_chains_split_before_their_operators() -> None:
    calls = " and ".join(f"check_value({i}) == {i}" for i in range(6))
    out = _lines(f"example {calls}\n")
    assert out[0] == "example ("
    assert out[1] == "    check_value(0) == 0"
    assert out[2:6] == [f"    and check_value({i}) == {i}" for i in range(1, 5)]


def test_one_item_gets_no_trailing_comma_several_lines_do() -> None:
    one = _lines(f'example f("{"x" * 95}")\n')
    assert one == ["example f(", f'    "{"x" * 95}"', ")"]
    many = _lines(f"X = [{', '.join(str(10**8 + i) for i in range(20))}]\n")
    assert many[-2].endswith(",") and many[-1] == "]"


def test_text_outside_brackets_stays_long() -> None:
    long_string = "y" * 150
    assert _lines(f'X = "{long_string}"\n') == [f'X = "{long_string}"']


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(modules())
def test_wrapped_output_keeps_ast_and_is_stable(tree: ast.Module) -> None:
    once = format_source(print_module(tree))
    assert parse(once) == tree
    assert format_source(once) == once


# ---------------------------------------------------------------- string spelling


@pytest.mark.parametrize("literal", [
    r'r"P(?:(\d+)Y)?"', r"r'\d+\.\d*'", r'r"a\"b"', r"r'say \"hi\"'", r'r"C:\path"', 'r""',
])
def test_raw_strings_stay_raw(literal: str) -> None:
    source = f"X = {literal}\n"
    out = format_source(source)
    assert out.startswith("X = r"), out
    assert parse(out) == parse(source)


def test_a_raw_string_with_an_unprintable_character_is_printed_escaped() -> None:
    out = format_source('X = r"a\tb"\n')  # a real tab inside a raw string
    assert out == 'X = "a\\tb"\n'


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"])
def test_line_separators_in_strings_print_escaped(char: str) -> None:
    source = f'X = "a{char}b"  # after\n# next\nY = 1\n'
    out = format_source(source)
    assert char not in out
    assert out == f'X = "a\\{"x" if ord(char) < 0x100 else "u"}{ord(char):0{2 if ord(char) < 0x100 else 4}x}b"  # after\n# next\nY = 1\n'
    assert parse(out) == parse(source)


def test_a_line_separator_in_a_string_does_not_move_comments() -> None:
    source = 'proc f() -> Str:\n    # c1\n    x = "a\u2028b"  # t\n    # c2\n    return x\n'
    assert format_source(source) == (
        'proc f() -> Str:\n    # c1\n    x = "a\\u2028b"  # t\n    # c2\n    return x\n'
    )
    tree = parse(source)
    assert [(c.text, c.line, c.own_line) for c in tree.comments] == [
        ("# c1", 2, True), ("# t", 3, False), ("# c2", 4, True),
    ]


def test_a_line_separator_in_a_comment_stays_in_it() -> None:
    source = "# top \u2028 comment\nproc f() -> Int:\n    x = 1  # one\n    # c2\n    return x\n"
    assert format_source(source) == source
