"""Parser fuzzing: random and mutated sources and pathological inputs give a tree or an
`SglSyntaxError` (with a position inside the text), never another exception, never a
`RecursionError`, never a hang."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seglam_lang.errors import SglSyntaxError
from seglam_lang.syntax.format import format_source
from seglam_lang.syntax.parser import normalize_source, parse

SAMPLES = sorted((Path(__file__).parent / "samples").glob("*.sgl"))
SEED_SOURCES = [p.read_text(encoding="utf-8") for p in SAMPLES]
TIME_LIMIT = 10.0  # CPU seconds for parse + fmt + parse: catches hangs, not a benchmark


def parse_or_error(source: str) -> None:
    """Parse; only SglSyntaxError may escape, quickly; if it parses, fmt must work too."""
    start = time.process_time()
    try:
        tree = parse(source)
    except SglSyntaxError as e:
        lines = normalize_source(source).count("\n") + 1
        assert e.diagnostic.span.line <= lines + 1, e
        assert e.diagnostic.code.startswith("E01")
        rendered = e.render(source)
        assert rendered.splitlines()[0] == e.diagnostic.headline()
    else:
        assert parse(format_source(source)) == tree
    assert time.process_time() - start < TIME_LIMIT


PATHOLOGICAL = {
    "parens 5000": "X = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
    "brackets 5000": "X = " + "[" * 5000 + "]" * 5000 + "\n",
    "unclosed parens": "X = " + "(" * 5000 + "\n",
    "minus 5000": "X = " + "-" * 5000 + "1\n",
    "not 3000": "X = " + "not " * 3000 + "a\n",
    "ternary 2000": "X = " + "a if b else " * 2000 + "c\n",
    "lambda 2000": "X = " + "lambda: " * 2000 + "1\n",
    "plus chain 5000": "X = " + " + ".join(["a"] * 5000) + "\n",
    "power chain 3000": "X = " + " ** ".join(["2"] * 3000) + "\n",
    "attribute chain 3000": "X = a" + ".b" * 3000 + "\n",
    "call chain 3000": "X = f" + "()" * 3000 + "\n",
    "indent 10000": "proc f() -> Int:\n" + " " * 10000 + "pass\n",
    "nested ifs 2000": "proc f() -> Int:\n" + "".join(" " * (4 * i + 4) + "if x:\n" for i in range(2000)) + " " * 8004 + "pass\n",
    "elif 3000": "proc f() -> Int:\n    if a:\n        pass\n" + "    elif a:\n        pass\n" * 3000,
    "unterminated string": 'X = "abc\n',
    "unterminated triple": 'X = """abc\n\n',
    "unterminated fstring field": 'X = f"{a\n',
    "tab indent": "proc f() -> Int:\n\treturn 1\n",
    "mixed indent": "proc f() -> Int:\n    if a:\n\t\tpass\n",
    "nul": "X = 1\0\n",
    "crlf": "proc f() -> Int:\r\n    return 1\r\n",
    "lone cr": "X = 1\rY = 2\r",
    "bom": "\ufeffX = 1\n",
    "bom twice": "\ufeff\ufeffX = 1\n",
    "only bom": "\ufeff",
    "huge int": "X = " + "9" * 100_000 + "\n",
    "long string": 'X = "' + "a" * 100_000 + '"\n',
    "many decls": "X = 1\n" * 2000,
    "deep fstring": "X = " + 'f"{' * 50 + "1" + '}"' * 50 + "\n",
    "line continuation at eof": "X = 1 + \\",
    "backslash": "X = \\ 1\n",
    "dedent mismatch": "proc f() -> Int:\n        x = 1\n    return x\n",
    "indent at start": "    X = 1\n",
    "unicode junk": "X = ‮1 ⁦\n",
    "surrogate": "X = '\ud800'\n",
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_inputs(name: str) -> None:
    parse_or_error(PATHOLOGICAL[name])


def test_deep_nesting_is_a_clear_error() -> None:
    with pytest.raises(SglSyntaxError) as e:
        parse(PATHOLOGICAL["parens 5000"])
    assert e.value.diagnostic.code == "E0103"


def test_bom_crlf_and_cr_are_accepted() -> None:
    expected = parse("proc f() -> Int:\n    return 1\n")
    assert parse("\ufeffproc f() -> Int:\r\n    return 1\r\n") == expected
    assert parse("proc f() -> Int:\r    return 1\r") == expected


_settings = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
_alphabet = st.sampled_from([*"abcxyz019_ ()[]{}:,.=+-*/%<>!~&|^@#'\"\\\n\t\r\0", "\ufeff", "é", "    ", "if", "proc", 'f"', 're"'])


@_settings
@given(st.lists(_alphabet, max_size=60).map("".join))
def test_random_text(source: str) -> None:
    parse_or_error(source)


@_settings
@given(st.text(max_size=60))
def test_random_unicode(source: str) -> None:
    parse_or_error(source)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A sample with a few char- or token-level edits: delete, duplicate, swap, insert."""
    source = draw(st.sampled_from(SEED_SOURCES))
    tokens = source.split(" ") if draw(st.booleans()) else list(source)
    glue = " " if len(tokens) < len(source) else ""
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert"]))
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        else:
            tokens.insert(i, draw(_alphabet))
    return glue.join(tokens)


@_settings
@given(mutated())
def test_mutated_samples(source: str) -> None:
    parse_or_error(source)
