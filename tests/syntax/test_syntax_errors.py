"""The syntax-error corpus `tests/conformance/syntax_errors/*.sgl`: each file's first line
is `# error: CODE at LINE:COL "message"`; parsing must fail with exactly that code,
position and message, rendered as a headline, the source line, a caret (and a hint).
An optional second line `# hint: "text"` requires the hint to contain that text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from seglam_lang.errors import SglSyntaxError
from seglam_lang.syntax.parser import parse

CORPUS = Path(__file__).resolve().parents[1] / "conformance" / "syntax_errors"
CASES = sorted(CORPUS.glob("*.sgl"))
EXPECT = re.compile(r'# error: (E\d{4}) at (\d+):(\d+) (".*")$')
HINT = re.compile(r'# hint: (".*")$')


def test_corpus_is_large() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_syntax_error(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    m = EXPECT.match(source.split("\n", 1)[0])
    assert m, f"{path.name}: first line must be `# error: CODE at L:C \"message\"`"
    code, line, col, message = m.group(1), int(m.group(2)), int(m.group(3)), json.loads(m.group(4))
    with pytest.raises(SglSyntaxError) as raised:
        parse(source, path.name)
    d = raised.value.diagnostic
    assert (d.code, d.span.line, d.span.col, d.message) == (code, line, col, message)
    assert d.file == path.name
    rendered = raised.value.render(source).splitlines()
    assert rendered[0] == f"{path.name}:{line}:{col}: error[{code}]: {message}"
    assert rendered[1].startswith(f"{line:>4} | ")
    assert rendered[2].strip().startswith("|") and "^" in rendered[2]
    assert rendered[2].index("^") == len(f"{line:>4} | ") + col - 1  # the caret sits under the column
    assert len(rendered) == 3 or (len(rendered) == 4 and rendered[3].startswith("     = hint: "))
    second = source.split("\n")[1] if source.count("\n") >= 1 else ""
    h = HINT.match(second)
    if h:  # an optional second line `# hint: "text"`: the hint contains the text
        assert json.loads(h.group(1)) in (d.hint or ""), d.hint
