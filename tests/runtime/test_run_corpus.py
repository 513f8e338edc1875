"""The run corpus `tests/runtime/corpus/*.txt` (format: `tests/corpus.py`): SGL programs with
their expected value or error.

A case's source is a module, or one line `expr <Type>: <expression>`, short for `proc
main() -> <Type>:` / `    return <expression>`. Its fields: `call` (default `main()`; any
SGL expression, evaluated as an `example` appended to the module) and exactly one of
`expect` (the result printed as an SGL literal by `format_value`, compared as text:
`Decimal("1.10")` is not `Decimal("1.1")`, `1.0` is not `1`) and `error` (the code that
loading or the call fails with). A case flagged `[py]` is also Python (after `proc` ->
`def`, annotations left unevaluated): CPython runs it too and must agree (same value, or an
error in both), the free oracle of language rule 1.
"""

from __future__ import annotations

import datetime
import decimal
import re
from pathlib import Path
from typing import Any

import pytest
from corpus import read_all

import seglam_lang
from seglam_lang.errors import SglError
from seglam_lang.frozen import frozen
from seglam_lang.runtime.values import format_value, to_python

# Every case runs on both execution tiers (spec/tiers.md).
pytestmark = pytest.mark.usefixtures("both_tiers")

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPR = re.compile(r"^expr (?P<type>[^:]+(?:\[[^\]]*\])?[?]?): (?P<e>.*)$")


@frozen
class Case:
    file: str
    line: int
    name: str
    py: bool
    source: str
    call: str
    expect: str | None
    error: str | None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.name}"


def run_case(c: Any) -> Case:
    """A corpus case as a run case: comment lines dropped, the `expr` shorthand expanded."""
    body = [ln for ln in c.source.rstrip("\n").split("\n") if not ln.startswith("#")]
    src = "\n".join(body)
    em = EXPR.match(src) if len(body) == 1 else None
    if em:
        src = f"proc main() -> {em.group('type')}:\n    return {em.group('e')}"
    if ("expect" in c.fields) == ("error" in c.fields):
        raise ValueError(f"{c}: a case needs exactly one of `expect` and `error`")
    return Case(c.file, c.line, c.name, "py" in c.flags, src + "\n", c.fields.get("call", "main()"),
                c.fields.get("expect"), c.fields.get("error"))


CASES = [run_case(c) for c in read_all(CORPUS)]


def run_sgl(case: Case) -> tuple[Any, SglError | None]:
    source = case.source + f"\nexample {case.call} == {case.call}\n"
    try:
        module = seglam_lang.loads(source, name=case.name, file=f"{case.file}:{case.name}")
    except SglError as e:
        return None, e
    outcome = module.examples[-1].run()
    return outcome.left, outcome.error


PY_ENV = {
    "Decimal": decimal.Decimal, "date": datetime.date, "datetime": datetime.datetime,
}


def run_python(case: Case) -> tuple[Any, BaseException | None]:
    text = re.sub(r"^proc (\w+)", r"def \1", case.source, flags=re.M)
    text = re.sub(r"([\w\]])\?", r"\1", text)  # `Int?` is not Python syntax; annotations are not evaluated
    ns: dict[str, Any] = dict(PY_ENV)
    try:
        with decimal.localcontext(decimal.Context(prec=28)):
            exec(compile("from __future__ import annotations\n" + text, case.name, "exec"), ns)
            return eval(case.call, ns), None
    except Exception as e:
        return None, e


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 150
    names = [str(c) for c in CASES]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case(case: Case) -> None:
    value, error = run_sgl(case)
    if case.error is not None:
        assert error is not None, f"expected {case.error}, got {format_value(value)}"
        assert error.diagnostic.code == case.error, error.render(case.source)
    else:
        assert error is None, error.render(case.source) if error else ""
        assert format_value(value) == case.expect
    if case.py:
        py_value, py_error = run_python(case)
        if case.error is not None:
            assert py_error is not None, f"CPython gave {py_value!r} where SGL fails with {case.error}"
        else:
            assert py_error is None, f"CPython failed: {py_error!r}"
            mine = to_python(value)
            assert mine == py_value and type(mine) is type(py_value), f"CPython: {py_value!r}, SGL: {mine!r}"
