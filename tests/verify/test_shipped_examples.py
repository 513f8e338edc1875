"""Every module under `examples/` (the BBH models, the small examples, the example cache's
stored procedures) passes `sgl test` (its default settings) with every `require` stated from both sides: no check
fails and no precondition is left untested (spec/verification.md, "Untested preconditions").
The standard library is held to the same in tests/stdlib/test_stdlib_modules.py."""

from __future__ import annotations

from pathlib import Path

import pytest

import seglam_lang
from seglam_lang.verify import verify

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FILES = sorted(EXAMPLES.rglob("*.sgl"))


def test_the_examples_are_found() -> None:
    assert len(FILES) >= 15 and any(p.parent.name == "bbh" for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_module_passes_with_every_precondition_tested(path: Path) -> None:
    report = verify(seglam_lang.load(path))  # as `sgl test` runs it
    failures = [f"{c.kind} {c.name}: {c.status} {c.message}" for c in report.checks if not c.passed]
    assert failures == []
    assert [w.render() for w in report.warnings] == []
