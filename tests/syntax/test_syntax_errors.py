"""The syntax-error corpus `tests/syntax/corpus/*.txt` (format: `tests/corpus.py`): each case
must fail to parse with exactly its `error` field (code, position and message), rendered
as a headline, the source line, a caret (and a hint, which contains the `hint` field)."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import Case, read_all

from seglam_lang.errors import SglSyntaxError
from seglam_lang.syntax.parser import parse

CASES = read_all(Path(__file__).resolve().parent / "corpus")


def test_corpus_is_large() -> None:
    assert len(CASES) >= 50
    assert all(c.error() is not None and c.error()[1] is not None for c in CASES)  # type: ignore[index]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_syntax_error(case: Case) -> None:
    code, line, col, message = case.error()  # type: ignore[misc]
    with pytest.raises(SglSyntaxError) as raised:
        parse(case.source, case.name)
    d = raised.value.diagnostic
    assert (d.code, d.span.line, d.span.col, d.message) == (code, line, col, message)
    assert d.file == case.name
    rendered = raised.value.render(case.source).splitlines()
    assert rendered[0] == f"{case.name}:{line}:{col}: error[{code}]: {message}"
    assert rendered[1].startswith(f"{line:>4} | ")
    assert rendered[2].strip().startswith("|") and "^" in rendered[2]
    assert rendered[2].index("^") == len(f"{line:>4} | ") + col - 1  # the caret sits under the column
    assert len(rendered) == 3 or (len(rendered) == 4 and rendered[3].startswith("     = hint: "))
    if case.hint() is not None:
        assert case.hint() in (d.hint or ""), d.hint
