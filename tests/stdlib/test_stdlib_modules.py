"""The standard library: its own checks pass, its reference page is current, misuse is a clear error.

- every `stdlib/*.sgl` passes its examples and properties through the verify API, with no
  untested precondition
  (the equivalent of `sgl test stdlib/`, with fewer generated inputs per property);
- `spec/stdlib.md` is exactly what `seglam_lang.runtime.stdlib_index` generates, and every
  function has a docstring and an example;
- calling a stdlib function wrongly is a check error naming the function (data-driven);
- a literal bad `std.re` pattern is a check error, a computed one a runtime error;
- combinatorial and text-building natives refuse results over the limits before building them.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import seglam_lang
from seglam_lang.errors import LimitExceeded, SglRuntimeError, SglTypeError
from seglam_lang.runtime.limits import Limits
from seglam_lang.runtime.stdlib_index import entries, stdlib_index
from seglam_lang.verify import verify

ROOT = Path(__file__).resolve().parents[2]
STDLIB_FILES = sorted((ROOT / "stdlib").glob("*.sgl"))


def test_the_issue_modules_exist() -> None:
    names = {p.stem for p in STDLIB_FILES}
    assert {"text", "re", "math", "stats", "collections", "dates", "money", "json", "csv", "units"} <= names


@pytest.mark.parametrize("path", STDLIB_FILES, ids=lambda p: p.stem)
def test_module_passes_its_own_checks(path: Path) -> None:
    module = seglam_lang.load(path)
    report = verify(module, max_examples=25, time_budget=3.0)
    failures = [c for c in report.checks if c.status != "passed"]
    assert not failures, "\n".join(f"{c.kind} {c.name}: {c.status} {c.message}" for c in failures)
    assert any(c.kind == "example" for c in report.checks)
    # Every `require` is stated from both sides (spec/verification.md, "Untested preconditions").
    assert [w.render() for w in report.warnings] == []


def test_spec_page_is_generated() -> None:
    page = (ROOT / "spec" / "stdlib.md").read_text(encoding="utf-8")
    assert page == stdlib_index(), "spec/stdlib.md is stale: run `python -m seglam_lang.runtime.stdlib_index > spec/stdlib.md`"


def test_every_function_is_documented_with_an_example() -> None:
    functions = [e for e in entries() if e.kind == "function"]
    assert len(functions) > 90
    missing = [f"{e.module}.{e.name}" for e in functions if e.doc == "(undocumented)" or e.example is None]
    assert not missing


def test_examples_in_the_reference_are_qualified() -> None:
    words = next(e for e in entries() if e.module == "std.text" and e.name == "words_to_number")
    assert words.example is not None and words.example.startswith("text.words_to_number(")


# (program body using the module, the error code, a fragment of the message)
MISUSE = [
    ("use std.text\nproc f() -> Str:\n    return text.slugify(3)\n", "E0210", "argument `text` of `text.slugify` must be Str"),
    ("use std.text\nproc f() -> Int:\n    return text.words_to_number(\"x\", 2)\n", "E0207", "`text.words_to_number` takes 1"),
    ("use std.math\nproc f() -> Int:\n    return math.gcd(1.5, 2)\n", "E0210", "argument `a` of `math.gcd` must be Int"),
    ("use std.math\nproc f() -> Int:\n    return math.isqrt(\"9\")\n", "E0210", "`math.isqrt` must be Int"),
    ("use std.stats\nproc f(xs: List[Str]) -> Float:\n    return stats.mean(xs)\n", "E0210", "`stats.mean` must be List[Float]"),
    ("use std.dates\nproc f() -> Date:\n    return dates.add_months(\"2024-01-01\", 1)\n", "E0210", "`dates.add_months` must be Date"),
    ("use std.money\nproc f() -> Decimal:\n    return money.round_half_up(1.5)\n", "E0210", "must be Decimal, got Float"),
    ("use std.units\nproc f() -> Float:\n    return units.convert(1.0, \"m\")\n", "E0209", "missing argument `to_unit`"),
    ("use std.collections\nproc f(xs: List[Str]) -> List[Int]:\n    return collections.unique(xs)\n", "E0216", "returns List[Str]"),
    ("use std.collections\nproc f(xs: List[Str]) -> Int:\n    return len(collections.chunk(xs, \"2\"))\n", "E0210", "`collections.chunk` must be Int"),
    ("use std.collections\nproc f(xs: List[Str]) -> Map[Str, List[Str]]:\n    return collections.group_by(xs, lambda w: len(w))\n", "E0216", "Map[Int, List[Str]]"),
    ("use std.re\nproc f(s: Str) -> Bool:\n    return re.is_match(s)\n", "E0209", "missing argument `text`"),
    ("use std.re\nproc f(s: Str) -> Str:\n    return re.search(\"a\", s).text\n", "E0237", "may be None"),
    ("use std.csv\nproc f(rows: List[List[Int]]) -> Str:\n    return csv.write(rows)\n", "E0210", "`csv.write` must be List[List[Str]]"),
    ("use std.json\nproc f() -> Str:\n    return json.nope(1)\n", "E0206", "has no member `nope`"),
    ("use std.re\nproc f(s: Str) -> Bool:\n    return re.is_match(r\"(a\", s)\n", "E0226", "not a valid RE2 regular expression"),
    ("use std.re\nproc f(s: Str) -> Str:\n    return re.replace(pattern=r\"a**\", replacement=\"\", text=s)\n", "E0226", "bad repetition"),
]


@pytest.mark.parametrize(("source", "code", "fragment"), MISUSE)
def test_wrong_calls_are_check_errors(source: str, code: str, fragment: str) -> None:
    with pytest.raises(SglTypeError) as info:
        seglam_lang.loads(source, name="misuse")
    found = [(d.code, d.message) for d in info.value.diagnostics]
    assert any(c == code and fragment in m for c, m in found), found


def test_a_valid_literal_pattern_checks() -> None:
    m = seglam_lang.loads("use std.re\nproc f(s: Str) -> Int:\n    return re.count(r\"\\d\", s)\n", name="ok")
    assert m.call("f", "a1b2") == 2


def test_a_computed_bad_pattern_is_a_runtime_error() -> None:
    m = seglam_lang.loads("use std.re\nproc f(p: Str) -> Bool:\n    return re.is_match(p, \"x\")\n", name="p")
    with pytest.raises(SglRuntimeError) as info:
        m.call("f", "(?<=a)b")
    assert info.value.diagnostic.code == "E0307" and "invalid regular expression" in info.value.message


# (call, limits): each must end with LimitExceeded at once, without building the result.
BOMBS = [
    ("collections.permutations(list(range(12)))", Limits()),
    ("collections.combinations(list(range(60)), 30)", Limits()),
    ("collections.product([list(range(100)), list(range(100)), list(range(100)), list(range(100))])", Limits()),
    ("collections.window(list(range(5000)), 2500)", Limits()),
    ("math.factorial(10 ** 7)", Limits()),
    ("math.comb(10 ** 6, 5 * 10 ** 5)", Limits()),
    ("re.replace(\"\", \"x\" * 1000, \"a\" * 200000)", Limits()),
    ("len(re.find_all(\"\", \"a\" * 900000))", Limits(steps=20000)),
    ("len(csv.write([[\"x\" * 1000] * 1000] * 2))", Limits()),
]


@pytest.mark.parametrize(("call", "limits"), BOMBS)
def test_size_bombs_are_refused_quickly(call: str, limits: Limits) -> None:
    source = ("use std.collections\nuse std.math\nuse std.re\nuse std.csv\n"
              f"proc f() -> Int:\n    x = {call}\n    return 0\n")
    m = seglam_lang.loads(source, name="bomb", limits=limits)
    t0 = time.perf_counter()
    with pytest.raises(LimitExceeded):
        m.call("f")
    assert time.perf_counter() - t0 < 2.0
