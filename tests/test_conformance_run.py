"""The run conformance corpus (`tests/conformance/run/*.txt`): SGL programs with their expected value or error.

The format is documented in `tests/conformance/run/README.md`. Cases marked `[py]` are
also run by CPython, which must agree (same value, or an error in both).
"""

from __future__ import annotations

import datetime
import decimal
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

import seglam_lang
from seglam_lang.errors import SglError
from seglam_lang.runtime.values import format_value, to_python

CORPUS = Path(__file__).resolve().parent / "conformance" / "run"
HEADER = re.compile(r"^=== (?P<name>.+?)(?P<py>\s+\[py\])?\s*$")


@attrs.frozen
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


def parse_corpus(path: Path) -> list[Case]:
    cases: list[Case] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = HEADER.match(lines[i])
        if not m:
            if lines[i].strip() and not lines[i].startswith("#"):
                raise ValueError(f"{path.name}:{i + 1}: text outside a case: {lines[i]!r}")
            i += 1
            continue
        start = i + 1
        i += 1
        body: list[str] = []
        fields: dict[str, str] = {}
        while i < len(lines) and not HEADER.match(lines[i]):
            ln = lines[i]
            fm = re.match(r"^--- (call|expect|error): (.*)$", ln)
            if fm:
                fields[fm.group(1)] = fm.group(2).strip()
            elif fields:
                if ln.strip():
                    raise ValueError(f"{path.name}:{i + 1}: source after the case's fields")
            else:
                body.append(ln)
            i += 1
        while body and not body[-1].strip():
            body.pop()
        while body and body[0].startswith("#"):
            body.pop(0)
        src = "\n".join(body)
        em = re.match(r"^expr (?P<type>[^:]+(?:\[[^\]]*\])?[?]?): (?P<e>.*)$", src) if len(body) == 1 else None
        if em:
            src = f"proc main() -> {em.group('type')}:\n    return {em.group('e')}"
        if ("expect" in fields) == ("error" in fields):
            raise ValueError(f"{path.name}:{start}: a case needs exactly one of `expect` and `error`")
        cases.append(Case(path.name, start, m.group("name"), bool(m.group("py")), src + "\n",
                          fields.get("call", "main()"), fields.get("expect"), fields.get("error")))
    return cases


CASES = [c for p in sorted(CORPUS.glob("*.txt")) for c in parse_corpus(p)]


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
