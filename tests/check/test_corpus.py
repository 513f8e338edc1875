"""The checker corpus `tests/check/corpus/*.txt` (format: `tests/corpus.py`): in every case,
each line marked `# error: CODE...` reports exactly those codes and no other line reports
any (a case without marks checks clean); `# hint:` / `# message:` notes hold."""

from __future__ import annotations

import pytest
from check_support import CASES, fake_imports
from corpus import Case

from seglam_lang.check import check_module
from seglam_lang.syntax.parser import parse


def test_corpus_is_big_enough() -> None:
    assert sum(len(c.line_errors) for c in CASES) >= 60
    assert sum(not c.line_errors for c in CASES) >= 5


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case(case: Case) -> None:
    checked = check_module(parse(case.source, case.name), name=case.name, imports=fake_imports)
    got = sorted((d.span.line, d.code) for d in checked.diagnostics)
    report = "\n".join(d.render(case.source) for d in checked.diagnostics)
    assert got == case.line_errors, report
    for line, text in case.hints.items():
        found = [d.hint or "" for d in checked.diagnostics if d.span.line == line]
        assert any(text in h for h in found), (line, text, found)
    for line, text in case.messages.items():
        found = [d.message for d in checked.diagnostics if d.span.line == line]
        assert any(text in m for m in found), (line, text, found)
    if not case.line_errors:
        checked.raise_for_errors()
