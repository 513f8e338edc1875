"""`verify(module)`: examples, properties, counterexamples, budgets, determinism."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import seglam_lang.verify
from seglam_lang import loads
from seglam_lang.syntax.parser import parse
from seglam_lang.verify import Report
from seglam_lang.verify.report import ERROR, FAILED, PASSED, UNSATISFIABLE
from seglam_lang.verify.runner import verify

BUGGY = textwrap.dedent('''\
    proc double(x: Int) -> Int:
        return x + x

    proc bigger(x: Int, y: Int) -> Int:
        """The larger of two ints (wrong when x > y)."""
        if x > y:
            return y
        return y

    example double(2) == 4
    example double(3) == 7
    example double(1) // (double(0)) == 1
    example not (double(0) == 0)

    property doubles(x: Int):
        assert double(x) == 2 * x

    property short(xs: List[Int]):
        assert len(xs) < 3

    property bigger_is_upper(x: Int, y: Int):
        assert bigger(x, y) >= x

    property picky(x: Int):
        require x > 0 and x % 1000 == 7
        assert x > 0

    property divides(x: Int):
        assert 10 // x <= 10
''')


def _load(source: str, name: str = "m") -> object:
    return loads(source, name=name)


@pytest.fixture(scope="module")
def report() -> Report:
    return verify(_load(BUGGY), max_examples=100)


def check(report: Report, name: str):
    (c,) = [c for c in report.checks if c.name == name]
    return c


def test_each_example_and_property_is_one_check_in_source_order(report: Report) -> None:
    assert [c.kind for c in report.checks] == ["example"] * 4 + ["property"] * 5
    assert [c.line for c in report.checks] == sorted(c.line for c in report.checks)
    assert all(c.file == report.checks[0].file for c in report.checks)
    assert not report.passed
    assert report.counts == {PASSED: 2, FAILED: 5, ERROR: 1, UNSATISFIABLE: 1}


def test_passing_checks(report: Report) -> None:
    assert check(report, "double(2) == 4").status == PASSED
    doubles = check(report, "doubles")
    assert doubles.status == PASSED and doubles.examples_run >= 100 and doubles.counterexample is None


def test_failing_example_shows_both_sides_and_the_line(report: Report) -> None:
    c = check(report, "double(3) == 7")
    assert c.status == FAILED
    assert c.line == 11
    assert "left:  6" in c.message and "right: 7" in c.message
    assert "double(3) == 7" in c.message


def test_false_example_that_is_not_a_comparison(report: Report) -> None:
    c = check(report, "not (double(0) == 0)")
    assert c.status == FAILED and "is False" in c.message


def test_example_that_raises_is_an_error(report: Report) -> None:
    c = check(report, "double(1) // (double(0)) == 1")
    assert c.status == ERROR and "zero" in c.message.lower()


def test_failing_property_shrinks_to_a_minimal_counterexample(report: Report) -> None:
    assert check(report, "short").counterexample == {"xs": "[0, 0, 0]"}
    c = check(report, "bigger_is_upper")
    assert c.status == FAILED
    # Either minimal pair: x shrinks toward 0 and then y has to go below it, or the other way.
    assert c.counterexample in ({"x": "1", "y": "0"}, {"x": "0", "y": "-1"})
    assert "assertion failed: bigger(x, y) >= x" in c.message
    assert f"{c.file}:{c.line + 1}" in c.message  # where the failing assert is


def test_runtime_error_fails_a_property_with_its_input(report: Report) -> None:
    c = check(report, "divides")
    assert c.status == FAILED and c.counterexample == {"x": "0"}
    assert "zero" in c.message.lower()


def test_require_that_rejects_nearly_everything_is_unsatisfiable(report: Report) -> None:
    c = check(report, "picky")
    assert c.status == UNSATISFIABLE and "require" in c.message


def test_counterexample_pasted_into_an_example_reproduces_the_failure(report: Report) -> None:
    # Each `name = literal` line is valid SGL; with them as constants, the property's
    # assertion written as an `example` fails the same way.
    c = check(report, "bigger_is_upper")
    consts = "".join(f"{k} = {v}\n" for k, v in c.counterexample.items())
    procs = BUGGY.split("example")[0]
    repro = _load(procs + consts + "example bigger(x, y) >= x\n", name="repro")
    parse(consts, "consts.sgl")  # the literals parse on their own, too
    (ex,) = verify(repro).checks
    x, y = c.counterexample["x"], c.counterexample["y"]
    assert ex.status == FAILED and f"left:  {y}" in ex.message and f"right: {x}" in ex.message


def test_same_seed_same_report() -> None:
    def strip(r: Report) -> list[tuple]:
        return [(c.name, c.status, c.counterexample, c.examples_run, c.message) for c in r.checks]

    a = verify(_load(BUGGY), max_examples=50, seed=7)
    b = verify(_load(BUGGY), max_examples=50, seed=7)
    assert strip(a) == strip(b) and a.seed == 7


def test_module_is_callable_as_the_contract_says() -> None:
    r = seglam_lang.verify(_load("example 1 + 1 == 2\n"))
    assert isinstance(r, Report) and r.passed and r.counts[PASSED] == 1


def test_time_budget_stops_generation_and_says_so() -> None:
    slow = textwrap.dedent('''\
        property slow(n: Int):
            total = 0
            for i in range(200000):
                total += i
            assert total >= 0
    ''')
    (c,) = verify(_load(slow), max_examples=1000, time_budget=0.3).checks
    assert c.status == PASSED
    assert "time budget" in c.message and 0 < c.examples_run < 1000
    assert c.seconds < 3


def test_parameter_defaults_are_tried() -> None:
    source = textwrap.dedent('''\
        property with_default(xs: List[Int], cap: Int = 5):
            assert cap != 5
    ''')
    (c,) = verify(_load(source)).checks
    assert c.status == FAILED and c.counterexample == {"xs": "[]", "cap": "5"}


def test_no_database_is_written_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    verify(_load(BUGGY), max_examples=20)
    assert list(tmp_path.iterdir()) == []
    db = tmp_path / "db"
    verify(_load(BUGGY), max_examples=20, database=str(db))
    assert db.is_dir() and any(db.rglob("*"))


def test_record_field_defaults_are_tried() -> None:
    source = textwrap.dedent('''\
        record Item:
            name: Str
            qty: Int = 1 + 2

        property no_three(it: Item):
            assert it.qty != 3
    ''')
    (c,) = verify(_load(source, name="shop")).checks
    assert c.status == FAILED and c.counterexample == {"it": 'Item(name="", qty=3)'}


def test_fail_fast_stops_at_the_first_failure_and_no_shrink_reports_it_as_found() -> None:
    r = verify(_load(BUGGY), fail_fast=True)
    assert [c.status for c in r.checks] == [PASSED, FAILED]
    source = "property short(xs: List[Int]):\n    assert len(xs) < 3\n"
    (c,) = verify(_load(source), shrink=False).checks
    assert c.status == FAILED and c.counterexample["xs"].count(",") >= 2


def test_verify_is_reachable_from_the_package_in_a_fresh_process() -> None:
    """`seglam_lang.verify(module)` works without importing the subpackage first (the documented API)."""
    import subprocess
    import sys

    code = (
        "import seglam_lang\n"
        "m = seglam_lang.loads('proc f(x: Int) -> Int:\\n    return x + 1\\n\\nexample f(1) == 3\\n')\n"
        "r = seglam_lang.verify(m)\n"
        "print(r.passed, r.counts['failed'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "1"]


def test_a_budget_ending_within_the_shortest_time_limit_stops_the_property() -> None:
    """A case that would start with less left of the budget than any run's time limit can be
    (Limits refuse a timeout under 1 ms) ends the search: it is not a failure of the property."""
    import time

    from seglam_lang.verify import runner

    module = loads("property p(n: Int):\n    assert n == n\n", name="m")
    run = runner._PropertyRun(module, module.properties["p"], max_examples=10, seed=0, time_budget=1.0,
                              database=None, limits=None, allow_nan=False, shrink=True, boundary=0)
    run.stop_at = time.monotonic() + runner.MIN_TIMEOUT / 2
    with pytest.raises(runner._BudgetSpent):
        run.attempt({"n": 1})
    assert run.failure is None
