"""Bounds read off leading `require`s: sound (never exclude an accepted input), and useful
(a property over a narrow range is tested instead of being reported unsatisfiable)."""

from __future__ import annotations

import decimal
import operator
import textwrap

import pytest

from seglam_lang import loads
from seglam_lang.syntax import ast
from seglam_lang.syntax.parser import parse
from seglam_lang.verify.narrowing import Constraint, constraints_for
from seglam_lang.verify.report import FAILED, PASSED, UNSATISFIABLE
from seglam_lang.verify.runner import verify

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


def constraints(params: str, *requires: str) -> dict[str, Constraint]:
    body = "".join(f"    require {r}\n" for r in requires) + "    assert True\n"
    (decl,) = parse(f"property p({params}):\n{body}", "p.sgl").decls
    assert isinstance(decl, ast.PropertyDecl)
    return dict(constraints_for(decl))


def within(v: int, c: Constraint) -> bool:
    return (c.lo is None or v >= c.lo) and (c.hi is None or v <= c.hi)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("lit", [-7, 0, 3, 1000])
@pytest.mark.parametrize("flipped", [False, True])
def test_int_bounds_are_exact(op: str, lit: int, flipped: bool) -> None:
    # For ints the bound is tight: v is within it exactly when `v OP lit` holds.
    text = f"{lit} {op} x" if flipped else f"x {op} {lit}"
    (c,) = constraints("x: Int", text).values()
    for v in range(lit - 3, lit + 4):
        holds = OPS[op](lit, v) if flipped else OPS[op](v, lit)
        assert holds == within(v, c), (text, v, c)


def test_conjuncts_chains_lengths_and_elements() -> None:
    cs = constraints("n: Int, xs: List[Int], s: Str",
                     "0 < n <= 1000 and len(xs) > 0", "all(x >= 0 and x < 100 for x in xs) and len(s) <= 5")
    assert cs["n"] == Constraint(lo=1, hi=1000)
    assert cs["xs"] == Constraint(min_len=1, elem=Constraint(lo=0, hi=99))
    assert cs["s"] == Constraint(max_len=5)


def test_decimal_and_float_bounds() -> None:
    cs = constraints("rate: Decimal, f: Float", 'rate >= 0 and rate <= Decimal("0.25")', "f > -1.5")
    assert cs["rate"] == Constraint(lo=0, hi=decimal.Decimal("0.25"))
    assert cs["f"] == Constraint(lo=-1.5)  # strict bounds on non-ints stay inclusive (require rejects the edge)


@pytest.mark.parametrize("params", ["p: Decimal, xs: List[Decimal]", "p: Float, xs: List[Float]"])
def test_a_strict_int_literal_bound_on_a_non_int_stays_where_it_is(params: str) -> None:
    # Regression: `p > 0` on a Decimal was read as `p >= 1`, so 0.5 was never drawn.
    cs = constraints(params, "p > 0 and p < 3", "all(x > 0 for x in xs)")
    assert cs["p"] == Constraint(lo=0, hi=3)
    assert cs["xs"] == Constraint(elem=Constraint(lo=0))
    ints = constraints("n: Int, ns: List[Int]", "n > 0", "all(x > 0 for x in ns)")
    assert ints["n"] == Constraint(lo=1) and ints["ns"] == Constraint(elem=Constraint(lo=1))


def test_a_fraction_below_one_is_drawn_under_a_strict_zero_bound() -> None:
    source = textwrap.dedent('''\
        property below_one(p: Decimal):
            require p > 0
            assert p >= 1
    ''')
    (c,) = verify(loads(source), boundary=0).checks
    assert c.status == FAILED


@pytest.mark.parametrize(
    "requires",
    [
        ("x > 0 or x < -5",),            # a disjunction constrains nothing
        ("not x < 0",),                   # nor does anything not understood
        ("x > LIMIT",),                   # a name, not a literal
        ("y > 0",),                       # not a parameter
    ],
)
def test_what_is_not_understood_is_ignored(requires: tuple[str, ...]) -> None:
    assert "x" not in constraints("x: Int", *requires)


def test_only_requires_that_open_the_body_count() -> None:
    (decl,) = parse("property p(x: Int):\n    x = 5\n    require x > 3\n    assert x > 0\n", "p.sgl").decls
    assert constraints_for(decl) == {}


def test_narrow_range_is_tested_not_unsatisfiable() -> None:
    source = textwrap.dedent('''\
        property in_range(count: Int, xs: List[Int]):
            require 0 < count <= 1001 and len(xs) >= 2 and all(x >= 10 and x <= 20 for x in xs)
            assert count >= 1 and count <= 1001
            assert all(10 <= x and x <= 20 for x in xs)
    ''')
    (c,) = verify(loads(source)).checks
    assert c.status == PASSED and c.examples_run >= 100


def test_contradictory_bounds_are_unsatisfiable() -> None:
    source = "property never(x: Int):\n    require x > 5 and x < 3\n    assert False\n"
    (c,) = verify(loads(source)).checks
    assert c.status == UNSATISFIABLE
