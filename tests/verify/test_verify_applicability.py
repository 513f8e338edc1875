"""Applicability examples (`example CALL is not applicable`, `example CALL fails`): how
`verify` and `sgl test` judge them, and that they catch a loosened `require`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from seglam_lang import loads
from seglam_lang.cli import main
from seglam_lang.runtime.limits import Limits
from seglam_lang.syntax.parser import parse
from seglam_lang.syntax.printer import print_module
from seglam_lang.verify.report import ERROR, FAILED, PASSED
from seglam_lang.verify.runner import verify

MODULE = textwrap.dedent('''\
    proc fact(n: Int) -> Int:
        require n >= 1, "n must be positive"
        out = 1
        for i in range(2, n + 1):
            out *= i
        return out

    proc fact_of_len(xs: List[Int]) -> Int:
        return fact(len(xs))

    proc nth(xs: List[Int], i: Int) -> Int:
        return xs[i]

    proc checked(n: Int) -> Bool:
        if n < 0:
            fail "negative"
        assert n != 13, "unlucky"
        return n % 2 == 0

    proc spin(n: Int) -> Int:
        while n >= 0:
            n += 1
        return n
''')

# (example, status, text the message must contain)
CASES = [
    ("fact(0) is not applicable", PASSED, ""),
    ("fact(-5) is not applicable", PASSED, ""),
    ("fact_of_len([]) is not applicable", PASSED, ""),          # a callee's require
    ("nth([], 0) fails", PASSED, ""),                           # index out of range
    ("checked(-1) fails", PASSED, ""),                          # `fail`
    ("checked(13) fails", PASSED, ""),                          # a failed `assert`
    ("fact(3) is not applicable", FAILED, "should stop at a failed `require` but returned 6"),
    ("checked(2) fails", FAILED, "should fail with a runtime error but returned True"),
    ("checked(-1) is not applicable", FAILED, "but stopped with\n"),
    ("fact(0) fails", FAILED, "n must be positive"),
    ("nth([1, 2], 1) is not applicable", FAILED, "returned 2"),
    ("spin(0) fails", ERROR, "step"),                           # a limit is not a failure
]


@pytest.fixture(scope="module")
def checks() -> dict[str, object]:
    source = MODULE + "".join(f"\nexample {text}" for text, _, _ in CASES) + "\n"
    report = verify(loads(source, name="m"), limits=Limits(steps=10_000))
    return {c.name: c for c in report.checks}


@pytest.mark.parametrize(("text", "status", "says"), CASES, ids=[c[0] for c in CASES])
def test_applicability_example_status_and_report(checks: dict[str, object], text: str, status: str,
                                                 says: str) -> None:
    c = checks[text]
    assert c.kind == "example" and c.status == status, c.message
    assert says in c.message


def test_wrong_way_stop_names_both_expectation_and_error(checks: dict[str, object]) -> None:
    c = checks["checked(-1) is not applicable"]
    assert "should stop at a failed `require`" in c.message and "negative" in c.message


LOOSE = textwrap.dedent('''\
    proc triangle(n: Int) -> Int:
        """1 + 2 + ... + n, for n at least 1."""
        require n >= {bound}
        return n * (n + 1) // 2

    example triangle(1) == 1
    example triangle(4) == 10
    example triangle(0) is not applicable
''')


def test_a_loosened_require_is_caught() -> None:
    strict = verify(loads(LOOSE.replace("{bound}", "1"), name="strict"))
    assert strict.passed and strict.counts["passed"] == 3
    loose = verify(loads(LOOSE.replace("{bound}", "0"), name="loose"))
    (failed,) = [c for c in loose.checks if c.status != PASSED]
    assert failed.name == "triangle(0) is not applicable" and failed.status == FAILED and failed.line == 8
    assert failed.message.endswith("but returned 0")


def test_sgl_test_prints_the_returned_value_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "loose.sgl").write_text(LOOSE.replace("{bound}", "0"))
    result = CliRunner().invoke(main, ["test", str(tmp_path / "loose.sgl")])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    fail = next(i for i, line in enumerate(lines) if line.startswith("FAIL"))
    assert "loose.sgl:8  example triangle(0) is not applicable (" in lines[fail]
    assert lines[fail + 1].strip() == ("`triangle(0) is not applicable` does not hold: the call should stop "
                                       "at a failed `require` but returned 0")
    assert lines[-1].startswith("2 passed, 1 failed")
    as_json = json.loads(CliRunner().invoke(main, ["test", "--json", str(tmp_path / "loose.sgl")]).stdout)
    (bad,) = [c for c in as_json["checks"] if c["status"] != PASSED]
    assert bad["name"] == "triangle(0) is not applicable" and bad["line"] == 8


@pytest.mark.parametrize("spelling", ["example f(0) is   not\tapplicable", "example   f(0)  fails"])
def test_fmt_prints_one_canonical_spelling(spelling: str) -> None:
    source = "proc f(n: Int) -> Int:\n    require n > 0\n    return n\n\n" + spelling + "\n"
    printed = print_module(parse(source))
    assert printed.endswith("\nexample f(0) is not applicable\n" if "applicable" in spelling
                            else "\nexample f(0) fails\n")
    assert print_module(parse(printed)) == printed and parse(printed) == parse(source)


def test_fails_and_applicable_stay_ordinary_names() -> None:
    source = textwrap.dedent('''\
        proc fails(applicable: Int?) -> Bool:
            return applicable is not None

        example fails(1)
        example fails(None) == False
        example fails(None) fails
    ''')
    report = verify(loads(source, name="names"))
    assert [c.status for c in report.checks] == [PASSED, PASSED, FAILED]
