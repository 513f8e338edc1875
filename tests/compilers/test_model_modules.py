"""The cache modules in `examples/` follow the compile prompt's own rules.

The prompt shows some of them to the LLM as model modules (`reference.MODEL_MODULES`), and the
simulated compiler of `bench/workload.py` replies with the BBH ones: an LLM imitates what it
is shown, so every module with a trigger is held to the rules it would be held to
(`prompt.RULES`): examples and a property, a descriptive name, a docstring, no origin block,
shared helpers from the stdlib rather than pasted, and `sgl fmt`'s layout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seglam_lang.compilers.reference import MODEL_MODULES
from seglam_lang.syntax import ast
from seglam_lang.syntax.format import format_source
from seglam_lang.syntax.parser import parse

REPO = Path(__file__).resolve().parents[2]
CACHE_MODULES = sorted(
    p for p in [*REPO.glob("examples/*.sgl"), *REPO.glob("examples/bbh/*.sgl")] if "@when(" in p.read_text()
)
IDS = [str(p.relative_to(REPO)) for p in CACHE_MODULES]


def decls(path: Path) -> tuple[ast.Decl, ...]:
    return parse(path.read_text(), str(path)).decls


def test_the_model_modules_are_cache_modules() -> None:
    assert {*MODEL_MODULES} <= {*IDS}
    assert len(CACHE_MODULES) >= 12


@pytest.mark.parametrize("path", CACHE_MODULES, ids=IDS)
def test_examples_and_a_property(path: Path) -> None:  # rule 5
    found = decls(path)
    assert sum(isinstance(d, ast.ExampleDecl) for d in found) >= 3
    assert any(isinstance(d, ast.PropertyDecl) for d in found)


@pytest.mark.parametrize("path", CACHE_MODULES, ids=IDS)
def test_triggered_procs_are_named_and_documented(path: Path) -> None:  # rule 6
    for d in decls(path):
        if isinstance(d, ast.ProcDecl) and d.triggers:
            assert d.name != "main", f"{d.name}: name the procedure after what it computes"
            assert d.doc and "\n" not in d.doc.strip(), f"{d.name} needs a one-line docstring"


@pytest.mark.parametrize("path", CACHE_MODULES, ids=IDS)
def test_no_origin_block(path: Path) -> None:  # rule 8: SEGLAM writes it
    assert not any(isinstance(d, ast.OriginDecl) for d in decls(path))


def test_no_helper_is_pasted_into_two_modules() -> None:
    """A proc with the same body in two modules belongs in the stdlib (`use std.x`)."""
    seen: dict[tuple[ast.Stmt, ...], str] = {}
    for path in CACHE_MODULES:
        for d in decls(path):
            if isinstance(d, ast.ProcDecl) and len(d.body) > 1:
                key = d.body  # AST equality ignores positions
                assert key not in seen, f"{d.name} of {path.name} repeats {seen.get(key)}: move it to the stdlib"
                seen[key] = f"{d.name} of {path.name}"


@pytest.mark.parametrize("path", CACHE_MODULES, ids=IDS)
def test_formatted(path: Path) -> None:
    source = path.read_text()
    assert format_source(source, str(path)) == source
