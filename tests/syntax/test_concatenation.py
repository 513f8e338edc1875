"""Adjacent string literals are one literal (spec/lexical.md): the parser joins them, in
every expression position, in `@when` triggers and in docstrings, whatever the pieces'
spellings (plain, raw, triple-quoted, f-strings) and the lines between them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from seglam_lang.errors import SglSyntaxError
from seglam_lang.syntax import ast
from seglam_lang.syntax.parser import parse
from seglam_lang.syntax.printer import docstring_literal, print_expr, raw_string_literal, regex_literal, string_literal

_values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=10)


def spelling(value: str, kind: str) -> str:
    """`value` as one literal of the given kind (plain when it has no such spelling)."""
    if kind == "raw":
        return raw_string_literal(value) or string_literal(value)
    if kind == "triple":
        return docstring_literal(value)
    if kind == "single":
        return "'" + string_literal(value)[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"
    if kind == "f" and value:
        return print_expr(ast.FString((value,)))
    return string_literal(value)


_pieces = st.lists(st.tuples(_values, st.sampled_from(["plain", "raw", "triple", "single", "f"])), min_size=1, max_size=5)
_seps = st.sampled_from([" ", "\n", "\n    ", "  \n\n "])
_settings = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@_settings
@given(_pieces, _seps)
def test_adjacent_pieces_parse_as_the_joined_literal(pieces: list[tuple[str, str]], sep: str) -> None:
    text = sep.join(spelling(v, k) for v, k in pieces)
    joined = "".join(v for v, _ in pieces)
    value = parse(f"X = ({text})\n").decls[0].value
    if any(k == "f" and v for v, k in pieces):
        assert value == ast.FString((joined,))
    else:
        assert value == ast.StrLit(joined)


@_settings
@given(st.lists(_values, min_size=1, max_size=4), _seps, st.booleans())
def test_trigger_pieces_parse_as_the_joined_pattern(values: list[str], sep: str, regex: bool) -> None:
    if regex:
        values = [v for v in values if v.isprintable() and "\\" not in v]  # each has a raw spelling
        assume(values)
        text = sep.join(regex_literal(v) for v in values)
    else:
        text = sep.join(spelling(v, "raw") for v in values)
    tree = parse(f"@when({text})\nproc f() -> Int:\n    return 1\n")
    assert tree.decls[0].triggers == (ast.Trigger("".join(values), regex),)


@pytest.mark.parametrize("source", [
    'X = "a" "b" r"\\d" f"{1}" """c"""\n',
    'X = ("a"\n     "b"\n  r"\\d"   # a comment between pieces\n  f"{1}" """c""")\n',
    'X = [("a" "b"), r"\\d" f"{1}" """c"""][0]\n',
])
def test_pieces_on_one_line_or_several(source: str) -> None:
    value = parse(source).decls[0].value
    if isinstance(value, ast.Subscript):
        value = value.value.elts[0]
        assert value == ast.StrLit("ab")
        return
    assert value == ast.FString(("ab\\d", ast.FormattedValue(ast.IntLit(1), None, None), "c"))


def test_a_docstring_may_be_adjacent_literals() -> None:
    tree = parse('record R:\n    ("A point "\n     r"in \\d space")\n    x: Int\n\n\n'
                 'proc f() -> Int:\n    "Adds " "one."\n    return 1\n')
    assert tree.decls[0].doc == "A point in \\d space"
    assert tree.decls[1].doc == "Adds one."


def test_an_origin_value_may_be_adjacent_literals() -> None:
    tree = parse('proc f() -> Int:\n    return 1\n\n\norigin:\n    request: (\n        "how many "\n'
                 '        r"days\\?"  # a comment\n    )\n    compiler: "x" "y"\n')
    assert tree.origin == {"request": "how many days\\?", "compiler": "xy"}


def test_a_regex_trigger_spans_lines() -> None:
    tree = parse('@when(\n    re"^(?P<a>\\d+) plus "  # the first operand\n    re\'(?P<b>\\d+)$\'\n)\n'
                 "proc add(a: Int, b: Int) -> Int:\n    return a + b\n")
    assert tree.decls[0].triggers == (ast.Trigger(r"^(?P<a>\d+) plus (?P<b>\d+)$", True),)


@pytest.mark.parametrize(("source", "message"), [
    ('@when(re"a" "b")\nproc f() -> Int:\n    return 1\n', "a regex trigger is made of regex literals only"),
    ('@when("a" f"b")\nproc f() -> Int:\n    return 1\n', "a trigger template must be a plain string"),
    ('X = "a" re"b"\n', 'a regex literal re"..." is only allowed in @when(...)'),
    ('X = "a" b"b"\n', "bytes literals are not supported"),
    ('origin:\n    request: ("a" f"{1}")\n', "an origin value must be a plain string"),
])
def test_pieces_that_do_not_join(source: str, message: str) -> None:
    with pytest.raises(SglSyntaxError) as e:
        parse(source)
    assert e.value.diagnostic.message == message
