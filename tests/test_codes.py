"""The code registry `seglam_lang.codes`: spec/errors.md's tables are generated from it,
every code the sources raise is registered, and every registered code is raised."""

from __future__ import annotations

import re
from pathlib import Path

import seglam_lang.codes as codes

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "seglam_lang"
SOURCES = {p: p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py") if p.name != "codes.py"}
NAMES = {name: value for name, value in vars(codes).items() if re.fullmatch(r"E_[A-Z0-9_]+", name)}


def test_spec_tables_are_generated_from_the_registry() -> None:
    page = (ROOT / "spec" / "errors.md").read_text(encoding="utf-8")
    assert codes.with_tables(page) == page, "spec/errors.md is stale: run `python -m seglam_lang.codes`"
    assert set(re.findall(r"^\| (E\d{4}) \|", page, re.M)) == set(codes.MEANINGS)


def test_one_name_per_code() -> None:
    assert sorted(NAMES.values()) == sorted(codes.MEANINGS)
    assert list(codes.MEANINGS) == sorted(codes.MEANINGS)


def test_every_code_in_the_sources_and_the_spec_is_registered() -> None:
    literal = re.compile(r"[\"'](E\d{4})[\"']")
    found = {(p.relative_to(ROOT), c) for p, text in SOURCES.items() for c in literal.findall(text)}
    assert {(p, c) for p, c in found if c not in codes.MEANINGS} == set()
    spec = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "spec").glob("*.md"))
    assert set(re.findall(r"# error: (E\d{4})", spec)) - set(codes.MEANINGS) == set()


def test_every_registered_code_is_raised_somewhere() -> None:
    text = "\n".join(SOURCES.values())
    by_name = {v for n, v in NAMES.items() if re.search(rf"\b{n}\b", text)}
    by_literal = set(re.findall(r"[\"'](E\d{4})[\"']", text))
    assert set(codes.MEANINGS) - by_name - by_literal == set()


def test_codes_are_written_by_name_outside_the_registry() -> None:
    """A code spelled as a literal elsewhere would be a second home for it."""
    literal = re.compile(r"[\"'](E\d{4})[\"']")
    assert {str(p.relative_to(ROOT)) for p, text in SOURCES.items() if literal.search(text)} == set()
