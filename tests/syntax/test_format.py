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


SHIPPED = sorted([*REPO.glob("stdlib/*.sgl"), *REPO.glob("examples/**/*.sgl")])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))
def test_shipped_files_keep_to_the_width(path: Path) -> None:
    """The files an LLM imitates keep to `sgl fmt`'s width with no exception: fmt cuts long
    literals; docstrings and comments, which it leaves as written, are wrapped by hand."""
    long = [(n, len(line)) for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1)
            if len(line) > WIDTH]
    assert not long, f"lines (number, length) longer than {WIDTH}: {long}"


def test_there_are_shipped_files() -> None:
    assert len(SHIPPED) >= 20


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
    source = ('proc g(arrangements: List[Int]) -> Int:\n    require len(arrangements) == 1, '
              'message_about_the_arrangements_which_satisfy_the_statements_not_only_one\n    return 1\n')
    out = _lines(source)
    assert out[1:4] == [
        "    require (",
        "        len(arrangements) == 1",
        "    ), message_about_the_arrangements_which_satisfy_the_statements_not_only_one",
    ]


def test_a_long_message_goes_in_parentheses_of_its_own() -> None:
    source = ('proc g(arrangements: List[Int]) -> Int:\n    require len(arrangements) == 1, '
              'f"{len(arrangements)} arrangements satisfy the statements, not only one"\n    return 1\n')
    assert _lines(source)[1:4] == [
        "    require len(arrangements) == 1, (",
        '        f"{len(arrangements)} arrangements satisfy the statements, not only one"',
        "    )",
    ]


def test_long_operand_chains_split_before_their_operators() -> None:
    calls = " and ".join(f"check_value({i}) == {i}" for i in range(6))
    out = _lines(f"example {calls}\n")
    assert out[0] == "example ("
    assert out[1] == "    check_value(0) == 0"
    assert out[2:6] == [f"    and check_value({i}) == {i}" for i in range(1, 5)]


def test_one_item_gets_no_trailing_comma_several_lines_do() -> None:
    one = _lines(f'example f("{"x" * 94}")\n')
    assert one == ["example f(", f'    "{"x" * 94}"', ")"]
    many = _lines(f"X = [{', '.join(str(10**8 + i) for i in range(20))}]\n")
    assert many[-2].endswith(",") and many[-1] == "]"


def test_a_literal_that_cannot_be_cut_to_fit_stays_on_its_line() -> None:
    long_word = "y" * 150
    assert _lines(f'X = "{long_word}"\n') == [f'X = "{long_word}"']
    assert _lines(f'example f("{"x" * 95}")\n') == [f'example f("{"x" * 95}")']  # `f(` would not fit it either
    source = f'X = "{long_word}".join(first_argument_of_the_call, second_argument, third_argument_here)\n'
    assert _lines(source) == [  # another group opens instead
        f'X = "{long_word}".join(',
        "    first_argument_of_the_call, second_argument, third_argument_here",
        ")",
    ]


# ---------------------------------------------------------------- long string literals

SENTENCE = "the quick brown fox jumps over the lazy dog and "


def test_a_long_literal_is_cut_at_spaces_inside_parentheses_it_opens() -> None:
    text = SENTENCE * 5
    out = _lines(f'proc f() -> Str:\n    x = "{text}"\n    return x\n')
    assert out[1] == "    x = ("
    pieces = out[2:out.index("    )")]
    assert len(pieces) == 3 and all(len(p) <= WIDTH for p in pieces)
    assert all(p.startswith('        "') and p.endswith(' "') for p in pieces)  # each piece ends at a space
    assert "".join(p.strip()[1:-1] for p in pieces) == text


@pytest.mark.parametrize(("prefix", "statement"), [
    ("fail", 'fail "{t}"'), ("return", 'return "{t}"'), ("require", 'require x > 0, "{t}"'),
    ("assert", 'assert x > 0, "{t}"'), ("call", 'y = g(x, "{t}", z)'), ("compare", 'y = x == "{t}"'),
    ("dict", 'y = {{"key": "{t}"}}'), ("keyword", 'y = g(message="{t}")'), ("method", 'y = "{t}".upper()'),
    ("if", 'if x == "{t}":\n        pass'), ("augmented", 'y += "{t}"'),
])
def test_every_expression_position_cuts_a_long_literal(prefix: str, statement: str) -> None:
    text = SENTENCE * 4
    source = f"proc f(x: Int) -> Str:\n    {statement.format(t=text)}\n    return y\n"
    once = format_source(source)
    assert max(len(line) for line in once.split("\n")) <= WIDTH, once
    assert parse(once) == parse(source)
    assert format_source(once) == once


def test_raw_and_fstring_pieces_keep_their_prefix() -> None:
    raw = _lines('X = r"' + "\\d+ words\\. " * 12 + '"\n')
    assert raw[0] == "X = (" and all(line.startswith('    r"') for line in raw[1:-1])
    fstr = _lines('X = f"{a} ' + "text with {b!r:>8} fields " * 6 + '"\n')
    assert fstr[0] == "X = (" and all(line.startswith('    f"') for line in fstr[1:-1])
    for source in ('X = r"' + "\\d+ words\\. " * 12 + '"\n', 'X = f"{a} ' + "text with {b!r:>8} fields " * 6 + '"\n'):
        assert parse(format_source(source)) == parse(source)


def test_a_cut_never_falls_inside_an_escape_or_a_field() -> None:
    text = "".join(f'say \\"{i}\\" \\t\\u2028 {{x + {i}}} ' for i in range(12))
    source = f'X = f"{text}"\n'
    out = _lines(source)
    assert len(out) > 3 and parse(format_source(source)) == parse(source)
    for line in out[1:-1]:
        body = line.strip()[2:-1]
        assert not body.endswith("\\") and body.count("{") == body.count("}")


def test_long_triggers_are_cut_into_pieces_of_their_kind() -> None:
    regex = r"^(?P<person>\w+) went to the (?P<place>[^.]+)\. " * 3
    template = "how many days are there between {start} and {end} counting " * 2
    source = f'@when(re"{regex}")\n@when("{template}")\nproc f(person: Str, place: Str, start: Int, end: Int) -> Int:\n    return 1\n'
    out = _lines(source)
    assert out[0] == "@when(" and out[1].startswith('    re"') and out[2].startswith('    re"')
    closing = out.index(")")
    assert out[closing + 1] == "@when(" and out[closing + 2].startswith('    "')
    assert max(map(len, out)) <= WIDTH
    tree = parse(source)
    assert parse(format_source(source)) == tree
    assert [t.pattern for t in tree.decls[0].triggers] == [regex, template]


def test_a_long_origin_value_is_cut_in_parentheses() -> None:
    request = SENTENCE * 4
    source = f'origin:\n    request: "{request}"  # why\n    compiler: "x"\n'
    out = _lines(source)
    assert out[:2] == ["origin:", "    request: ("] and out[-2:] == ["    )  # why", '    compiler: "x"']
    assert max(map(len, out)) <= WIDTH
    assert parse(format_source(source)).origin == {"request": request, "compiler": "x"}


def test_a_long_docstring_is_printed_as_written() -> None:
    """A docstring's line breaks are part of its value: fmt joins adjacent pieces into one
    triple-quoted string and never cuts it (spec/tooling.md)."""
    text = SENTENCE * 3
    source = f'proc f() -> Int:\n    ("{text}"\n     "end.")\n    return 1\n'
    assert _lines(source)[1] == f'    """{text}end."""'


_words = st.lists(st.text(st.sampled_from("abc xyz\\\"'{}\n\té\u2028"), min_size=1, max_size=8), min_size=10, max_size=30)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(_words, st.integers(0, 3), st.sampled_from(["plain", "raw", "f"]))
def test_cut_literals_fit_and_read_back(words: list[str], depth: int, kind: str) -> None:
    """A literal of short words, at any depth, is cut so that every line fits, and the
    pieces read back as the same literal."""
    value = " ".join(words)
    lit: ast.Expr = ast.StrLit(value, raw=kind == "raw") if kind != "f" else ast.FString((value, ast.FormattedValue(ast.Name("x"), None, None)))
    body: tuple[ast.Stmt, ...] = (ast.Return(lit),)
    for _ in range(depth):
        body = (ast.If(ast.Name("c"), body, ()),)
    tree = ast.Module((ast.ProcDecl("f", (), ast.TypeName("Str"), body, None, ()),))
    once = format_source(print_module(tree))
    assert parse(once) == tree
    assert format_source(once) == once
    assert all(len(line) <= WIDTH for line in once.split("\n")), once


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
