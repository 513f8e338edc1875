"""The checker corpora: every bad line reports exactly its codes; every good program checks clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from check_support import ERROR_FILES, OK_FILES, expectations, fake_imports

from seglam_lang.check import check_module
from seglam_lang.syntax.parser import parse


def check_file(path: Path):
    source = path.read_text()
    return source, check_module(parse(source, path.name), name=path.stem, imports=fake_imports)


def test_corpus_is_big_enough() -> None:
    cases = sum(len(expectations(p.read_text())[0]) for p in ERROR_FILES)
    assert cases >= 60
    assert len(OK_FILES) >= 5


@pytest.mark.parametrize("path", ERROR_FILES, ids=lambda p: p.name)
def test_error_corpus(path: Path) -> None:
    source, checked = check_file(path)
    expected, hints, messages = expectations(source)
    got = sorted((d.span.line, d.code) for d in checked.diagnostics)
    report = "\n".join(d.render(source) for d in checked.diagnostics)
    assert got == expected, report
    for line, text in hints.items():
        found = [d.hint or "" for d in checked.diagnostics if d.span.line == line]
        assert any(text in h for h in found), (line, text, found)
    for line, text in messages.items():
        found = [d.message for d in checked.diagnostics if d.span.line == line]
        assert any(text in m for m in found), (line, text, found)


@pytest.mark.parametrize("path", OK_FILES, ids=lambda p: p.name)
def test_ok_corpus(path: Path) -> None:
    source, checked = check_file(path)
    assert checked.diagnostics == [], "\n".join(d.render(source) for d in checked.diagnostics)
    checked.raise_for_errors()
