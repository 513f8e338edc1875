"""Untested preconditions: every `require` of a module's procs must be seen holding and failing
by its examples and properties, else `verify` and `sgl test` warn, with its line and an
example that covers the missing side (spec/verification.md, "Untested preconditions")."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from seglam_lang import loads
from seglam_lang.cli import main
from seglam_lang.verify.report import UNTESTED_PRECONDITION
from seglam_lang.verify.runner import verify

MODULE = textwrap.dedent('''\
    use std.math

    proc steps(n: Int) -> Int:
        require n >= 0
        count = 0
        while n > 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            count += 1
        return count

    proc total(xs: List[Int], rate: Decimal = Decimal("0.2")) -> Decimal:
        require len(xs) > 0
        require rate >= Decimal("0")
        return Decimal(sum(xs)) * (1 + rate)

    proc big(x: Int) -> Int:
        require x > 5
        return x

    proc unused(x: Int) -> Int:
        require x != 3
        return x

    proc parsed(text: Str) -> Int:
        words = text.split()
        require len(words) == 3, "three words"
        require words[1] == "plus", "a sum of two numbers"
        return int(words[0]) + int(words[2])

    proc covered(n: Int) -> Int:
        require n % 2 == 0
        return math.gcd(n, 4)

    example steps(6) == 8
    example total([1]) == Decimal("1.2")
    example big(1) is not applicable
    example parsed("1 plus 2") == 3

    property small(n: Int):
        require 0 <= n <= 10
        assert steps(n) >= 0

    property halves(n: Int):
        assert covered(n) >= 0
''')


def warnings_of(source: str, **options: object) -> list[tuple[int, int, str]]:
    report = verify(loads(source, name="m"), max_examples=20, **options)
    assert report.passed
    return [(w.line, w.col, w.message) for w in report.warnings]


def test_each_side_never_seen_is_a_warning_with_a_checked_suggestion() -> None:
    found = warnings_of(MODULE)
    assert found == [
        (4, 5, "precondition 'n >= 0' is never seen failing by any example or property; "
               "add example steps(-1) is not applicable"),
        (12, 5, "precondition 'len(xs) > 0' is never seen failing by any example or property; "
                "add example total([]) is not applicable"),
        (13, 5, "precondition 'rate >= Decimal(\"0\")' is never seen failing by any example or property; "
                "add example total([1], Decimal(\"-0.01\")) is not applicable"),
        (17, 5, "precondition 'x > 5' is never seen holding by any example or property; "
                "add an example of a call it accepts, such as big(6)"),
        (21, 5, "precondition 'x != 3' is never reached by any example or property; "
                "add examples of unused on both sides of it"),
        (26, 5, "precondition 'len(words) == 3' is never seen failing by any example or property; "
                "add example parsed(\"\") is not applicable"),
        # No boundary input of a Str has three words: the generic advice.
        (27, 5, "precondition 'words[1] == \"plus\"' is never seen failing by any example or property; "
                "add an `example parsed(...) is not applicable` with an input it rejects"),
    ]
    # `covered` is refused by the odd inputs of a property: a property input counts, as does
    # a proc's own `require` in a property; the std module's `require`s are its own to cover.
    assert found == warnings_of(MODULE), "the same warnings on every run"


def test_suggestions_hold_when_pasted() -> None:
    covered = MODULE + "".join(f"example {s}\n" for s in (
        "steps(-1) is not applicable", "total([]) is not applicable", 'total([1], Decimal("-0.01")) is not applicable',
        "big(6) == 6", "unused(3) is not applicable", "unused(4) == 4", 'parsed("") is not applicable',
        'parsed("1 minus 2") is not applicable'))
    assert warnings_of(covered) == []


def test_no_warnings_unless_every_check_ran() -> None:
    assert warnings_of(MODULE, select=lambda label: True) == []
    assert warnings_of(MODULE, preconditions=False) == []
    report = verify(loads(MODULE + "example steps(1) == 5\n", name="m"), max_examples=20, fail_fast=True)
    assert not report.passed and report.warnings == ()


def test_sgl_test_prints_them_and_still_passes(tmp_path: Path) -> None:
    f = tmp_path / "m.sgl"
    f.write_text(MODULE)
    r = CliRunner().invoke(main, ["test", "-q", "--max-examples", "20", str(f)])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert len(lines) == 8 and lines[0] == (f"{f}:4:5: warning: precondition 'n >= 0' is never seen failing by any example or "
                        "property; add example steps(-1) is not applicable")
    assert lines[-1].startswith("6 passed, 0 failed, 7 warnings in ")
    r = CliRunner().invoke(main, ["test", "--json", "--max-examples", "20", str(f)])
    data = json.loads(r.output)
    assert data["passed"] and len(data["warnings"]) == 7
    assert data["warnings"][0] == {"kind": UNTESTED_PRECONDITION, "file": str(f), "line": 4, "col": 5,
                                   "proc": "steps", "message": data["warnings"][0]["message"],
                                   "suggestion": "steps(-1) is not applicable"}


def test_a_run_without_a_recorder_is_unchanged() -> None:
    m = loads(MODULE, name="m")
    assert m.call("steps", 6) == 8
    seen = []

    class Recorder:
        def require(self, where: object, held: bool) -> None:
            seen.append((where.span.line, held))  # type: ignore[attr-defined]

    assert m.call_sgl("steps", [6], recorder=Recorder()) == 8
    assert seen == [(4, True)]
