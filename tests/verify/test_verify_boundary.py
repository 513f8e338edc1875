"""Boundary-first inputs (spec/verification.md, "Boundary-first inputs"): a property runs on
the edges of its parameters' types before any random input, so bugs at one small value
(`qty == 1`, a leap day, an equal pair, a threshold) are caught with the default settings.

The corpus `corpus/boundaries.txt` (format: tests/corpus.py) holds small modules: `[fail]`
cases each have a bug at a boundary value that `sgl test` must catch *with a boundary
input*, and `[pass]` cases are correct modules (most the fixed twin of a buggy one) that
must pass.
"""

from __future__ import annotations

import decimal
import textwrap
from pathlib import Path

import corpus
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_verify_strategies import TYPES, conforms

from seglam_lang import Module, loads
from seglam_lang.check import types as T
from seglam_lang.runtime.values import format_value, record_field
from seglam_lang.verify import verify
from seglam_lang.verify.edges import DEFAULT_LIMIT, MAX_EDGES, Boundary, boundary_inputs, edges
from seglam_lang.verify.narrowing import Constraint, compared_numbers
from seglam_lang.verify.report import FAILED, PASSED

CASES = corpus.read(Path(__file__).parent / "corpus" / "boundaries.txt")
BUGGY = [c for c in CASES if c.flags == {"fail"}]
CORRECT = [c for c in CASES if c.flags == {"pass"}]
assert len(BUGGY) + len(CORRECT) == len(CASES)


def module(name: str, flag: str) -> Module:
    """The corpus case `name` marked `[flag]`, loaded."""
    (case,) = [c for c in CASES if c.name == name and flag in c.flags]
    return loads(case.source, name=case.name)


def shown(values: list[object]) -> list[str]:
    return [f"{type(v).__name__}:{format_value(v)}" for v in values]


# ---------------------------------------------------------------- the corpus


def test_the_corpus_is_there() -> None:
    assert len(BUGGY) >= 8 and len(CORRECT) >= 8


@pytest.mark.parametrize("case", BUGGY, ids=lambda c: c.name)
def test_a_bug_at_a_boundary_is_caught_by_a_boundary_input(case: corpus.Case) -> None:
    report = verify(loads(case.source, name=case.name))
    assert not report.passed
    failed = [c for c in report.checks if c.status != PASSED]
    assert [c.kind for c in failed] == ["property"], [c.message for c in failed]
    assert failed[0].status == FAILED and failed[0].counterexample
    assert "(found by a boundary input)" in failed[0].message


@pytest.mark.parametrize("case", CORRECT, ids=lambda c: c.name)
def test_a_correct_module_passes(case: corpus.Case) -> None:
    report = verify(loads(case.source, name=case.name))
    assert report.passed, [(c.name, c.status, c.message) for c in report.checks if c.status != PASSED]


def test_the_issue_example_is_caught_with_the_default_seed_and_settings() -> None:
    # Issue 12: lines with qty == 1 are skipped; 100 random inputs never draw q == 1.
    report = verify(module("skip_single_quantity", "fail"))
    (prop,) = [c for c in report.checks if c.kind == "property"]
    assert prop.status == FAILED
    assert prop.counterexample is not None and prop.counterexample["q"] == "1"
    assert prop.examples_run < 10  # found among the first boundary inputs


def test_boundary_inputs_can_be_turned_off() -> None:
    module = loads(textwrap.dedent("""\
        proc f(x: Int) -> Int:
            if x == 1:
                return 0
            return x

        property identity(x: Int):
            assert f(x) == x
        """), name="m")
    assert not verify(module).passed
    (prop,) = verify(module, boundary=0, max_examples=5).checks
    assert prop.examples_run == 5  # only the random inputs ran


# ---------------------------------------------------------------- edges of types


@pytest.mark.parametrize("t", TYPES, ids=str)
def test_edges_are_runtime_values_of_their_type_bounded_and_deterministic(t: T.Type) -> None:
    values = edges(t)
    assert 1 <= len(values) <= MAX_EDGES
    assert all(conforms(v, t) for v in values), values
    assert shown(values) == shown(edges(t))
    assert len(set(shown(values))) == len(values)  # no value twice


def test_the_edges_the_issue_asks_for() -> None:
    assert edges(T.INT)[:5] == [0, 1, -1, 2, -2]
    assert shown(edges(T.DECIMAL))[:3] == ['Decimal:Decimal("0")', 'Decimal:Decimal("0.01")',
                                          'Decimal:Decimal("-0.01")']
    assert edges(T.STR)[:2] == ["", "a"]
    lists = edges(T.ListT(T.INT))
    assert [] in lists and [1] in lists and [0, 0] in lists and [1, 1] in lists
    dates = {str(d) for d in edges(T.DATE)}
    assert {"2024-02-29", "2000-02-29", "2023-12-31", "2024-01-01", "2024-04-30"} <= dates
    assert edges(T.OptionalT(T.INT))[0] is None


@settings(max_examples=150, deadline=None)
@given(lo=st.integers(-50, 50), width=st.integers(0, 30), strict_lo=st.booleans())
def test_int_edges_keep_within_the_bounds_and_include_them(lo: int, width: int, strict_lo: bool) -> None:
    hi = lo + width
    values = edges(T.INT, Constraint(lo=lo, hi=hi))
    assert values and all(lo <= v <= hi for v in values)
    assert {lo, hi} <= set(values)
    assert {v for v in (lo + 1, hi - 1) if lo <= v <= hi} <= set(values)


def test_a_strict_decimal_bound_is_tried_one_cent_inside() -> None:
    # `require p > 0` on a Decimal is drawn as p >= 0: 0 is rejected at run time, 0.01 is not.
    values = edges(T.DECIMAL, Constraint(lo=0))
    assert decimal.Decimal("0.01") in values and all(v >= 0 for v in values)


def test_lengths_from_require_are_respected() -> None:
    values = edges(T.ListT(T.INT), Constraint(min_len=3, max_len=4))
    assert values and all(3 <= len(v) <= 4 for v in values)
    assert edges(T.ListT(T.INT), Constraint(min_len=20)) == []  # no edge fits: random inputs only


def test_compared_numbers_and_their_neighbours_are_edges() -> None:
    tree = loads(textwrap.dedent("""\
        proc band(x: Int, d: Decimal) -> Int:
            require x != -7
            if x >= 37 or d < Decimal("9.99"):
                return 1
            return 0
        """), name="m").tree
    numbers = compared_numbers(tree)
    assert shown(list(numbers)) == ["int:-7", "int:37", 'Decimal:Decimal("9.99")']
    ints = edges(T.INT, numbers=numbers)
    assert {-8, -7, -6, 36, 37, 38, 9, 10} <= set(ints)
    assert {decimal.Decimal("9.98"), decimal.Decimal("9.99"), decimal.Decimal("10.00")} <= set(
        edges(T.DECIMAL, numbers=numbers))


def test_a_magic_number_in_the_code_is_tried() -> None:
    module = loads(textwrap.dedent("""\
        proc double(x: Int) -> Int:
            if x == 4099:
                return 0
            return 2 * x

        property doubles(x: Int):
            assert double(x) == x + x
        """), name="m")
    (prop,) = verify(module).checks
    assert prop.status == FAILED and prop.counterexample == {"x": "4099"}


def test_record_edges_use_defaults_and_both_bases() -> None:
    line = T.RecordT("Line", "m", (T.FieldSig("qty", T.INT, has_default=True), T.FieldSig("price", T.DECIMAL)))
    values = edges(line, record_defaults=lambda rt: {"qty": 5})
    first, second = values[0], values[1]
    assert record_field(first, "qty") == 5 and record_field(first, "price") == 0  # the default, the zero
    assert record_field(second, "qty") == 0 and record_field(second, "price") == decimal.Decimal("0.01")  # the second edge of each field
    assert any(record_field(v, "qty") == 1 for v in values)


# ---------------------------------------------------------------- combinations of parameters


def params(*types: T.Type) -> list[T.ParamSig]:
    return [T.ParamSig(f"p{i}", t) for i, t in enumerate(types)]


def test_two_small_parameters_get_every_combination() -> None:
    inputs = boundary_inputs(params(T.INT, T.BOOL))
    assert len(inputs) == 5 * 2
    assert {(i["p0"], i["p1"]) for i in inputs} == {(x, b) for x in (0, 1, -1, 2, -2) for b in (False, True)}


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 7), limit=st.integers(0, 200))
def test_many_parameters_are_capped_deterministically(n: int, limit: int) -> None:
    ps = params(*[T.INT, T.DECIMAL, T.STR, T.ListT(T.INT)][:4] * 2)[:n]
    inputs = boundary_inputs(ps, limit=limit)
    assert len(inputs) <= limit
    texts = [repr({k: format_value(v) for k, v in i.items()}) for i in inputs]
    assert len(set(texts)) == len(texts)
    again = [repr({k: format_value(v) for k, v in i.items()}) for i in boundary_inputs(ps, limit=limit)]
    assert texts == again
    if n >= 3 and limit <= DEFAULT_LIMIT:
        assert len(inputs) == limit  # three parameters' edges give more inputs than the default limit


def test_equal_pairs_of_parameters_are_tried() -> None:
    inputs = boundary_inputs(params(T.INT, T.STR, T.INT), limit=DEFAULT_LIMIT)
    assert {(i["p0"], i["p2"]) for i in inputs} >= {(v, v) for v in (0, 1, -1, 2, -2)}


def test_a_parameter_default_is_its_first_edge_and_no_edges_means_no_inputs() -> None:
    b = Boundary(params(T.INT), {"p0": 42})
    assert b.choices[0][:3] == [42, 0, 1]
    assert boundary_inputs(params(T.INT, T.FnT((T.INT,), T.INT))) == []


def test_inputs_are_fresh_copies() -> None:
    b = Boundary(params(T.ListT(T.INT), T.BOOL))
    (first, *_) = b.combinations()
    a = b.input(first)
    a["p0"].append(99)
    assert 99 not in b.input(first)["p0"]


def test_simpler_moves_one_parameter_to_an_earlier_edge() -> None:
    assert list(Boundary.simpler((0, 2, 1))) == [(0, 0, 1), (0, 1, 1), (0, 2, 0)]


# ---------------------------------------------------------------- in the runner


def test_reports_stay_deterministic() -> None:
    pages = module("pages_exact_multiple", "pass")

    def stable(report) -> list[tuple]:
        return [(c.name, c.status, c.examples_run, c.counterexample, c.message) for c in report.checks]

    assert stable(verify(pages)) == stable(verify(pages))


def test_the_budget_per_property_is_bounded() -> None:
    module = loads(textwrap.dedent("""\
        property many(a: Int, b: Decimal, c: Str, d: List[Int], e: Date):
            assert True
        """), name="m")
    (prop,) = verify(module, max_examples=10).checks
    assert prop.status == PASSED and prop.examples_run <= 10 + 10
    (prop,) = verify(module).checks
    assert prop.examples_run <= DEFAULT_LIMIT + 100


def test_a_boundary_failure_is_reduced_to_simpler_edges() -> None:
    module = loads(textwrap.dedent("""\
        property small(xs: List[Int], n: Int):
            assert len(xs) < 2 or n < 1
        """), name="m")
    (prop,) = verify(module).checks
    assert prop.status == FAILED and prop.counterexample == {"xs": "[0, 0]", "n": "1"}


def test_boundary_rejections_do_not_make_a_property_unsatisfiable() -> None:
    report = verify(module("rejected_edges", "pass"))
    assert report.passed


def test_sgl_test_boundary_switch(tmp_path: Path) -> None:
    """`--boundary 0` runs only the random inputs: the bug at qty == 1 is then missed with the
    default seed, and found by the boundary inputs otherwise (spec/verification.md)."""
    from click.testing import CliRunner

    from seglam_lang.cli import main

    f = tmp_path / "lines.sgl"
    f.write_text(textwrap.dedent('''\
        record Line:
            qty: Int
            price: Decimal

        proc total(lines: List[Line]) -> Decimal:
            t = Decimal("0")
            for line in lines:
                if line.qty == 1:
                    continue
                t += line.price * line.qty
            return t

        property one_line(p: Decimal, q: Int):
            require q >= 0
            assert total([Line(qty=q, price=p)]) == p * q
    '''))
    found = CliRunner().invoke(main, ["test", "-q", str(f)])
    assert found.exit_code == 1 and "(found by a boundary input)" in found.output
    missed = CliRunner().invoke(main, ["test", "-q", "--boundary", "0", str(f)])
    assert missed.exit_code == 0, missed.output
    assert CliRunner().invoke(main, ["test", "--boundary", "-1", str(f)]).exit_code == 2
