"""The checker never raises a Python exception on a program that parses.

Programs are made by mutating the good and bad corpora at the token level (delete,
duplicate, swap, replace an identifier or literal by another from the same file), so
they are near-valid SGL: exactly where a checker's assumptions break.
"""

from __future__ import annotations

import re

from check_support import CASES, fake_imports
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seglam_lang.check import check_module
from seglam_lang.errors import SglSyntaxError
from seglam_lang.syntax.parser import parse

_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d+)?|\"[^\"\n]*\"|'[^'\n]*'|\*\*|//|[-+*/%<>=!]=?|[()\[\]{}:,.]")
SOURCES = [c.source for c in CASES]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    source = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 3))):
        tokens = list(_TOKEN.finditer(source))
        victim = draw(st.sampled_from(tokens))
        other = draw(st.sampled_from(tokens)).group()
        kind = draw(st.sampled_from(["delete", "duplicate", "replace", "keyword"]))
        if kind == "delete":
            new = ""
        elif kind == "duplicate":
            new = victim.group() + " " + victim.group()
        elif kind == "replace":
            new = other
        else:
            new = draw(st.sampled_from(["None", "True", "x", "[]", "{}", "lambda y: y", "not", "-", "0", "Decimal"]))
        source = source[: victim.start()] + new + source[victim.end():]
    return source


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_checker_returns_diagnostics_never_raises(source: str) -> None:
    try:
        tree = parse(source, "fuzz.sgl")
    except SglSyntaxError:
        return
    checked = check_module(tree, name="fuzz", imports=fake_imports)
    for d in checked.diagnostics:
        assert d.code.startswith("E02")
        assert d.span.line >= 1, d
