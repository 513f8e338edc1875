"""bench/mutation.py: the operators produce real, single-point changes, and the accounting
(killed, killed by the checker, equivalent, survived) is right on a small module."""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path

import pytest

from seglam_lang.syntax.parser import parse
from seglam_lang.syntax.printer import print_module

BENCH = Path(__file__).resolve().parents[2] / "bench" / "mutation.py"

SOURCE = textwrap.dedent('''\
    proc clamp(x: Int, lo: Int, hi: Int) -> Int:
        """x, or the nearest bound."""
        require lo <= hi
        if x < lo:
            return lo
        if x > hi and True:
            return hi
        return min(x, hi) + 0

    example clamp(5, 0, 10) == 5
    example clamp(-1, 0, 10) == 0
    example clamp(11, 0, 10) == 10

    property within(x: Int, lo: Int, hi: Int):
        require lo <= hi
        assert lo <= clamp(x, lo, hi) and clamp(x, lo, hi) <= hi
''')


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("sgl_mutation_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_operator_fires_and_each_mutant_is_one_change(bench) -> None:
    tree = parse(SOURCE, "clamp.sgl")
    original = print_module(tree)
    mutants = list(bench.mutants(tree))
    ops = {op for op, *_ in mutants}
    assert ops == {"compare", "const", "boolop", "arith", "negate-if", "drop", "minmax", "return"}
    for op, desc, line, mutated in mutants:
        text = print_module(mutated)
        # Only procedures are mutated: examples and properties stay as written.
        assert text.split("example", 1)[1] == original.split("example", 1)[1], desc
        assert 1 <= line <= 8, desc
        if op != "drop":
            assert sum(a != b for a, b in zip(text.splitlines(), original.splitlines())) == 1, desc


def test_accounting_on_a_small_module(bench, tmp_path: Path) -> None:
    f = tmp_path / "clamp.sgl"
    f.write_text(SOURCE)
    r = bench.run_file(f, max_examples=30, time_budget=1.0, limit=None, diff_inputs=0)
    assert r.status == "ok"
    counts = {s: r.count(s) for s in ("killed", "killed-by-checker", "equivalent", "survived")}
    assert sum(counts.values()) == len(r.mutants) > 20
    assert counts["killed"] > counts["survived"]
    # `+ 0` -> `- 0` is a different program that no check (nor any input) can tell apart.
    survived = {m.description for m in r.mutants if m.status == "survived"}
    assert "clamp: + -> -" in survived
    assert r.to_json()["score"] == round(r.killed / r.non_equivalent, 4)


def test_the_survivor_diff_tries_boundary_inputs(bench, tmp_path: Path) -> None:
    # Only examples: moving the magic number survives them, and only an input equal to one
    # of the two numbers tells the programs apart (a random Int never is).
    f = tmp_path / "magic.sgl"
    f.write_text(textwrap.dedent('''\
        proc f(x: Int) -> Int:
            if x == 4099:
                return 0
            return x

        example f(1) == 1
    '''))
    r = bench.run_file(f, max_examples=10, time_budget=1.0, limit=None, diff_inputs=20)
    moved = {m.description: m for m in r.mutants if m.status == "survived"}
    assert moved["f: 4099 -> 4100"].detail.startswith("distinguishable: f(x=4099)")


def test_a_reviewed_equivalent_is_excluded_and_a_stale_one_reported(bench, tmp_path: Path) -> None:
    f = tmp_path / "clamp.sgl"
    f.write_text(SOURCE)
    first = bench.run_file(f, max_examples=30, time_budget=1.0, limit=None, diff_inputs=0)
    plus = next(m for m in first.mutants if m.description == "clamp: + -> -")
    assert plus.status == "survived" and len(plus.key) == 16
    name = bench.repo_path(f)
    reviewed = tmp_path / "equivalent.json"
    reviewed.write_text(json.dumps({"mutants": [
        {"file": name, "mutant": plus.description, "key": plus.key, "reason": "x + 0 == x - 0"},
        {"file": name, "mutant": "clamp: gone", "key": "0" * 16, "reason": "a mutant of an older clamp"},
    ]}))
    again = bench.run_file(f, max_examples=30, time_budget=1.0, limit=None, diff_inputs=0,
                           equivalents=bench.load_equivalents(reviewed))
    same = next(m for m in again.mutants if m.key == plus.key)
    assert (same.status, same.detail) == ("equivalent", "reviewed: x + 0 == x - 0")
    assert again.non_equivalent == first.non_equivalent - 1
    assert again.stale == (f"clamp: gone ({'0' * 16})",)
    reviewed.write_text(json.dumps({"mutants": [{"file": name, "mutant": "m", "key": plus.key, "reason": " "}]}))
    with pytest.raises(ValueError, match="gives no reason"):
        bench.load_equivalents(reviewed)


def test_only_the_checks_that_reach_the_mutated_proc_run(bench) -> None:
    from seglam_lang import loads

    module = loads(textwrap.dedent('''\
        proc double(x: Int) -> Int:
            return 2 * x

        proc quad(x: Int) -> Int:
            return double(double(x))

        proc neg(x: Int) -> Int:
            return -x

        TWO = double(1)

        example quad(1) == 4
        example neg(1) == -1
        example TWO == 2

        property odd(x: Int):
            assert neg(neg(x)) == x
    '''), name="m")
    assert bench.checks_reaching(module, "double") == {"example quad(1) == 4", "example TWO == 2"}
    assert bench.checks_reaching(module, "neg") == {"example neg(1) == -1", "property odd"}
