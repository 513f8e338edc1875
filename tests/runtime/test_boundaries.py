"""Boundary battery: data crossing into a run is checked against its type, and runtime faults are SGL errors.

- `json.parse` reads by the type the program declares: a value that does not fit is a clear
  E0307 naming the type, never a wrong value and never an internal error (E0399); Decimals
  are exact from the JSON text; deep or huge JSON ends with E0307 or a limit error.
- A JSON bomb in `sgl exec --args-json` or in an LLM reply ends with a clear error, not exit 3.
- Runtime faults of Python become SGL errors: a map or set changed while iterated (E0307), a
  Float overflow (E0308 in words), ints from the host beyond `int_bits`, `math.comb` of huge n.
- The RE2 pattern cache stays bounded.
"""

from __future__ import annotations

import decimal
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import seglam_lang
from seglam_lang import Limits, SglError
from seglam_lang.check import regex
from seglam_lang.compilers.protocol import ReplyError, parse_reply
from seglam_lang.runtime.natives import std_re

PARSERS = """
use std.json as json

record Item:
    name: Str
    qty: Int = 1

proc as_int(s: Str) -> Int:
    x: Int = json.parse(s)
    return x

proc as_float(s: Str) -> Float:
    x: Float = json.parse(s)
    return x

proc as_decimal(s: Str) -> Decimal:
    x: Decimal = json.parse(s)
    return x

proc as_bool(s: Str) -> Bool:
    x: Bool = json.parse(s)
    return x

proc as_pair(s: Str) -> Tuple[Int, Int]:
    return json.parse(s)

proc as_items(s: Str) -> List[Item]:
    return json.parse(s)

proc as_map(s: Str) -> Map[Str, List[Int?]]:
    return json.parse(s)

proc as_opt(s: Str) -> Str?:
    x: Str? = json.parse(s)
    return x

proc rounded(s: Str) -> Decimal:
    x: Decimal = json.parse(s)
    return round(x, 2)

proc length(s: Str) -> Int:
    return len(json.parse(s))
"""


@pytest.fixture(scope="module")
def parsers() -> seglam_lang.Module:
    return seglam_lang.loads(PARSERS, name="parsers")


def outcome(m: seglam_lang.Module, proc: str, *args: Any, limits: Limits | None = None) -> Any:
    """The value, or ("error", code) for an SGL error; anything else escapes and fails the test."""
    try:
        return m.call_sgl(proc, list(args), {}, limits=limits)
    except SglError as e:
        assert e.diagnostic.code != "E0399", e
        return ("error", e.diagnostic.code)


# (proc, JSON text, the value or ("error", code))
TYPED: list[tuple[str, str, Any]] = [
    ("as_int", "5", 5),
    ("as_int", "-12", -12),
    ("as_int", "1.5", ("error", "E0307")),
    ("as_int", "1e400", ("error", "E0307")),
    ("as_int", "1.0", ("error", "E0307")),
    ("as_int", "true", ("error", "E0307")),
    ("as_int", "null", ("error", "E0307")),
    ("as_int", "[1]", ("error", "E0307")),
    ("as_int", "NaN", ("error", "E0307")),
    ("as_int", "Infinity", ("error", "E0307")),
    ("as_int", "9" * 5000, ("error", "E0307")),
    ("as_int", "[" * 60000 + "]" * 60000, ("error", "E0307")),
    ("as_float", "0.1", 0.1),
    ("as_float", "3", 3.0),
    ("as_float", "1e400", ("error", "E0307")),
    ("as_float", '"x"', ("error", "E0307")),
    ("as_decimal", "2.675", decimal.Decimal("2.675")),
    ("as_decimal", "0.1", decimal.Decimal("0.1")),
    ("as_decimal", "1.00000000000000000000000000001", decimal.Decimal("1.00000000000000000000000000001")),
    ("as_decimal", "7", decimal.Decimal(7)),
    ("as_decimal", "false", ("error", "E0307")),
    ("rounded", "2.675", decimal.Decimal("2.68")),  # a float would give 2.67
    ("as_bool", "true", True),
    ("as_bool", "5", ("error", "E0307")),
    ("as_bool", "0", ("error", "E0307")),
    ("as_pair", "[1, 2]", (1, 2)),
    ("as_pair", "[1, 2, 3]", ("error", "E0307")),
    ("as_pair", "[1]", ("error", "E0307")),
    ("as_pair", "[1, 2.5]", ("error", "E0307")),
    ("as_pair", '{"a": 1}', ("error", "E0307")),
    ("as_map", '{"a": [1, null], "b": []}', {"a": [1, None], "b": []}),
    ("as_map", '{"a": [1.5]}', ("error", "E0307")),
    ("as_map", '{"a": 1}', ("error", "E0307")),
    ("as_map", "[]", ("error", "E0307")),
    ("as_opt", "null", None),
    ("as_opt", '"x"', "x"),
    ("as_opt", "3", ("error", "E0307")),
    ("as_items", '[{"name": "pen", "qty": 3}]', "Item(name='pen', qty=3)"),
    ("as_items", '[{"name": "pen"}]', "Item(name='pen', qty=1)"),  # the field's default
    ("as_items", '[{"qty": 3}]', ("error", "E0307")),
    ("as_items", '[{"name": "pen", "colour": "red"}]', ("error", "E0307")),
    ("as_items", '[{"name": 5}]', ("error", "E0307")),
    ("length", "[1, 2.5, null]", 3),  # left open by the program: the JSON as it is
    ("length", "[" * 600 + "]" * 600, ("error", "E0307")),
    ("length", "[1, 2", ("error", "E0307")),
]


@pytest.mark.parametrize(("proc", "text", "expected"), TYPED, ids=[f"{p}:{t[:24]}" for p, t, _ in TYPED])
def test_json_parse_reads_by_the_declared_type(parsers: seglam_lang.Module, proc: str, text: str,
                                               expected: Any) -> None:
    got = outcome(parsers, proc, text)
    if isinstance(got, list) and got and type(got[0]).__name__ == "Record":
        got = repr(got[0])
    assert got == expected
    assert type(got) is type(expected)


def test_json_parse_checks_ints_against_int_bits(parsers: seglam_lang.Module) -> None:
    assert outcome(parsers, "as_int", str(2**100), limits=Limits(int_bits=64)) == ("error", "E0405")
    assert outcome(parsers, "as_int", str(2**60), limits=Limits(int_bits=64)) == 2**60


def test_json_parse_as_a_function_value_never_reads_untyped() -> None:
    m = seglam_lang.loads(textwrap.dedent("""
        use std.json as json

        proc mapped(texts: List[Str]) -> List[Int]:
            return list(map(json.parse, texts))

        proc each(texts: List[Str]) -> List[Int]:
            return [json.parse(t) for t in texts]
    """), name="valued")
    # The checker leaves the type of a function value open: refused, never an Int holding 2.5.
    assert outcome(m, "mapped", ["1", "2.5"]) == ("error", "E0310")
    assert outcome(m, "each", ["1", "2"]) == [1, 2]
    assert outcome(m, "each", ["1", "2.5"]) == ("error", "E0307")


# ---------------------------------------------------------------- JSON bombs outside a run

BOMBS = {"a 5000-digit int": "9" * 5000, "60,000 nested arrays": "[" * 60000 + "]" * 60000}


@pytest.mark.parametrize("bomb", BOMBS.values(), ids=BOMBS.keys())
def test_args_json_bombs_end_with_a_clear_error(tmp_path: Path, bomb: str) -> None:
    prog = tmp_path / "p.sgl"
    prog.write_text("proc main(xs: List[Int]) -> Int:\n    return len(xs)\n", encoding="utf-8")
    code = "import sys; from seglam_lang.cli import main; sys.argv[0] = 'sgl'; main()"
    proc = subprocess.run([sys.executable, "-c", code, "exec", str(prog), "--args-json", '{"xs": ' + bomb + "}"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (1, 2), proc.stderr[-1000:]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2, proc.stderr[-1000:]


@pytest.mark.parametrize("bomb", BOMBS.values(), ids=BOMBS.keys())
def test_llm_reply_bombs_are_reply_errors(bomb: str) -> None:
    with pytest.raises(ReplyError, match="not valid JSON"):
        parse_reply('{"action": "decline", "answer": ' + bomb + "}")


# ---------------------------------------------------------------- runtime faults

FAULTS: list[tuple[str, str, Any]] = [
    ("a map grown while iterated", "m = {1: 1}\nfor k in m:\n    m[k + 1] = 1\nreturn len(m)", ("error", "E0307")),
    ("a map's keys replaced while iterated",
     "m = {1: 1, 2: 2}\nn = 0\nfor k in m:\n    m.pop(k)\n    m[k + 10] = 1\n    n += 1\nreturn n", ("error", "E0307")),
    ("a set grown while iterated", "s = {1}\nfor k in s:\n    s.add(k + 1)\nreturn len(s)", ("error", "E0307")),
    ("a map popped in a comprehension over it", "m = {1: 1, 2: 2}\nreturn len([m.pop(k) for k in m])",
     ("error", "E0307")),
    ("a map grown by a generator over it", "m = {1: 1}\nreturn sum(m.setdefault(k + 1, 1) for k in m)",
     ("error", "E0307")),
    ("a list grown while iterated (Python allows it)",
     "xs = [1]\nfor x in xs:\n    if x < 5:\n        xs.append(x + 1)\nreturn len(xs)", 5),
    ("a Float power overflowing", "return int(2.0 ** 10 ** 100)", ("error", "E0308")),
    ("a Float power overflowing (small exponent)", "return int(10.0 ** 400)", ("error", "E0308")),
]


@pytest.mark.parametrize(("body", "expected"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_runtime_faults_are_sgl_errors(body: str, expected: Any) -> None:
    m = seglam_lang.loads("proc main() -> Int:\n" + textwrap.indent(body, "    ") + "\n", name="fault")
    assert outcome(m, "main") == expected


def test_float_overflow_is_said_in_words() -> None:
    m = seglam_lang.loads("proc main() -> Float:\n    return 2.0 ** 10 ** 100\n", name="pow")
    with pytest.raises(SglError, match=r"numeric result out of range \(a Float result too large\)") as e:
        m.call("main")
    assert "34" not in str(e.value)


COMB = """
use std.math as math

proc comb(n: Int, k: Int) -> Int:
    return math.comb(n, k)

proc perm(n: Int, k: Int) -> Int:
    return math.perm(n, k)

proc factorial(n: Int) -> Int:
    return math.factorial(n)
"""


@pytest.mark.parametrize(("fn", "args"), [
    ("comb", (10**4000, 3)), ("comb", (10**4000, 10**4000 - 2)), ("comb", (10**20, 3)), ("comb", (1000, 500)),
    ("comb", (5, 7)), ("perm", (10**4000, 3)), ("perm", (10**30, 20)), ("factorial", (1000,)),
])
def test_math_of_huge_n_works_within_the_int_limit(fn: str, args: tuple[int, ...]) -> None:
    import math

    m = seglam_lang.loads(COMB, name="comb")
    assert m.call(fn, *args, limits=Limits(int_bits=50_000)) == getattr(math, fn)(*args)


@pytest.mark.parametrize(("fn", "args"), [
    ("comb", (10**4000, 3)), ("comb", (10**6, 500_000)), ("perm", (10**4000, 5)), ("factorial", (10**4000,)),
    ("factorial", (10**7,)),
])
def test_math_of_huge_n_beyond_the_int_limit_is_a_limit_error(fn: str, args: tuple[int, ...]) -> None:
    m = seglam_lang.loads(COMB, name="comb")
    assert outcome(m, fn, *args) == ("error", "E0405")


def test_ints_from_host_functions_are_checked_against_int_bits() -> None:
    m = seglam_lang.loads("proc main() -> Int:\n    return big() % 10\n", name="host",
                          host={"big": ("big() -> Int", lambda: 10**6000)})
    assert outcome(m, "main") == ("error", "E0311")
    with pytest.raises(SglError, match="integer too large"):
        m.call("main")
    assert m.call("main", limits=Limits(int_bits=30_000)) == 0


def test_ints_from_the_host_as_arguments_are_checked_against_int_bits() -> None:
    m = seglam_lang.loads("proc main(n: Int, xs: List[Decimal]) -> Int:\n    return n % 10\n", name="args")
    with pytest.raises(SglError, match=r"integer too large \(19,932 bits; limit 16,384\)"):
        m.call("main", 10**6000, [])
    with pytest.raises(SglError, match="integer too large"):
        m.call("main", 1, [10**6000])
    assert m.call("main", 10**6000, [], limits=Limits(int_bits=30_000)) == 0


def test_the_re2_pattern_cache_is_bounded() -> None:
    m = seglam_lang.loads("use std.re as re\n\nproc hit(p: Str, t: Str) -> Bool:\n    return re.is_match(p, t)\n",
                          name="re")
    std_re._compile.cache_clear()
    for i in range(3 * std_re.CACHED_PATTERNS):
        pattern = "(?:" + "|".join(f"x{i}{'a' * j}[a-z]{{1,20}}" for j in range(20)) + ")+"
        assert m.call("hit", pattern, f"x{i}" + "a" * 5 + "bcd" * 50)
    assert std_re._compile.cache_info().currsize == std_re.CACHED_PATTERNS
    assert regex.MAX_MEM <= 4 << 20


def test_json_text_written_by_json_write_is_what_python_writes() -> None:
    m = seglam_lang.loads(textwrap.dedent("""
        use std.json as json

        proc w(m: Map[Str, List[Int]], indent: Int) -> Str:
            return json.write(m, indent=indent, sort_keys=True)
    """), name="w")
    data = {"b": [1, 2], "a": [], "c": [3]}
    for indent in (-1, 0, 2):
        want = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=None if indent < 0 else indent,
                          separators=(", ", ": ") if indent < 0 else None)
        assert m.call("w", data, indent) == want
