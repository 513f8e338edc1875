"""The JIT tier against the tree-walker, its sandbox, its cache and its coverage (spec/tiers.md).

The tree-walker is the reference: every generated program is run on both tiers and the two
outcomes must be the same value, or the same error (class, code, message, position and SGL
frames), or the same limit. The corpora and batteries run on both tiers through the
`both_tiers` fixture (tests/conftest.py); this file adds what is particular to the new tier.
"""

from __future__ import annotations

import os
import random
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from strategies.program_strategies import programs, random_program

import seglam_lang
from seglam_lang import Limits, SglError, SglRuntimeError, SglUsageError
from seglam_lang.runtime.jit import artifact, cache_key, generated_source
from seglam_lang.runtime.jit.validate import Unsafe, validate
from seglam_lang.runtime.values import to_python

ROOT = Path(__file__).resolve().parents[2]
SMALL = dict(steps=20_000, str_len=50_000, collection_len=50_000, int_bits=2_048, timeout=5.0)


def outcome(source: str, tier: str, **limits: Any) -> tuple[Any, ...]:
    """What loading and running `main` does on one tier, as comparable data."""
    try:
        module = seglam_lang.loads(source, name="generated", limits=Limits(tier=tier, **{**SMALL, **limits}))
    except SglError as e:
        return ("load", type(e).__name__, str(e))
    try:
        return ("value", repr(to_python(module.call_sgl("main", [], {}))))
    except SglRuntimeError as e:
        d = e.diagnostic
        return ("error", type(e).__name__, d.code, e.message, d.span, tuple(e.frames))


def assert_same_on_both_tiers(source: str, **limits: Any) -> tuple[Any, ...]:
    tree, jit = outcome(source, "tree", **limits), outcome(source, "jit", **limits)
    assert tree == jit, f"\n{source}\ntree: {tree}\njit:  {jit}"
    return tree


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(programs())
def test_generated_programs_mean_the_same_on_both_tiers(source: str) -> None:
    assert_same_on_both_tiers(source)


def test_seeded_programs_mean_the_same_on_both_tiers() -> None:
    kinds = [assert_same_on_both_tiers(random_program(random.Random(seed)))[0] for seed in range(150)]
    assert kinds.count("value") >= 40 and kinds.count("error") >= 5, kinds


ERRORS = {
    "index in a callee": """
        proc at(xs: List[Int], i: Int) -> Int:
            return xs[i] * 2
        proc main() -> Int:
            total = 0
            for i in range(5):
                total += at([1, 2, 3], i)
            return total
        """,
    "error in a lambda under sorted": """
        proc key(x: Int) -> Int:
            return 10 // x
        proc main() -> List[Int]:
            return sorted([3, 0, 1], key=lambda x: key(x))
        """,
    "error in a generator pulled by sum": """
        proc main() -> Int:
            xs = [1, 2, 0]
            return sum(6 // x for x in xs)
        """,
    "error in a comprehension": """
        proc main() -> List[Int]:
            d = {"a": 1}
            return [d[k] for k in ["a", "b"]]
        """,
    "require and assert and fail": """
        proc f(n: Int) -> Int:
            require n > 0, f"n is {n}"
            assert n < 10
            if n == 5:
                fail "five"
            return n
        proc main() -> Int:
            return f(3) + f(5)
        """,
    "depth": """
        proc down(n: Int) -> Int:
            return down(n + 1)
        proc main() -> Int:
            return down(0)
        """,
    # A proc that calls nothing which may call SGL back never writes `_c.depth` (its depth is the
    # argument `_r`); the depth a callback starts from must still be exact, at every nesting.
    "depth through a callback after a chain that never writes it": """
        proc deep(n: Int) -> Int:
            return deep(n + 1)
        proc via(k: Int) -> Int:
            return sorted([k], key=lambda x: deep(x))[0]
        proc plain(n: Int) -> Int:
            if n == 0:
                return via(0)
            return plain(n - 1)
        proc main() -> Int:
            return plain(100)
        """,
    "depth through a callback after a call that wrote it": """
        proc deep(n: Int) -> Int:
            return deep(n + 1)
        proc r(n: Int) -> Int:
            return len(sorted([n, 1]))
        proc q(n: Int) -> Int:
            return r(n) + 1
        proc p(n: Int) -> Int:
            a = q(n)
            return sorted([a], key=lambda x: deep(x))[0]
        proc chain(n: Int) -> Int:
            if n == 0:
                return p(0)
            return chain(n - 1)
        proc main() -> Int:
            return chain(50)
        """,
    "depth through a proc value": """
        proc deep(n: Int) -> Int:
            return deep(n + 1)
        proc apply(n: Int) -> Int:
            f = deep
            return f(n) + list(map(deep, [n]))[0]
        proc chain(n: Int) -> Int:
            if n == 0:
                return apply(0)
            return chain(n - 1)
        proc main() -> Int:
            return chain(30)
        """,
    "steps in a loop": """
        proc main() -> Int:
            n = 0
            while True:
                n += 1
            return n
        """,
    "steps at a return in nested loops": """
        proc main() -> Int:
            for i in range(1000):
                for j in range(1000):
                    if i * j > 19990:
                        return i + j
            return 0
        """,
    "repetition too large": """
        proc main() -> Int:
            xs = [0] * 10
            for i in range(20):
                xs = xs + xs
            return len(xs)
        """,
    "int too large": """
        proc main() -> Int:
            return 3 ** 100000
        """,
    "string building": """
        proc main() -> Int:
            s = "ab"
            while True:
                s = s + s
            return len(s)
        """,
    "map changed while iterated": """
        proc main() -> Int:
            d = {1: 1}
            for k in d:
                d[k + 1] = 1
            return len(d)
        """,
    "unpacking": """
        proc main() -> Int:
            a, b, c = [1, 2]
            return a
        """,
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_and_limits_are_the_same_on_both_tiers(name: str) -> None:
    result = assert_same_on_both_tiers(textwrap.dedent(ERRORS[name]))
    assert result[0] in ("error", "value"), result
    if name != "steps at a return in nested loops":
        assert result[0] == "error", result


# The edges of the JIT's fast paths (Python's own operation where the checker's types prove it is
# the checked one; spec/tiers.md): each case runs on both tiers with these limits and must give
# the same value or the same error (code, message, span, frames). `value` marks the cases that
# must not fail.
LIMITED = dict(collection_len=100, str_len=300, int_bits=256)
FAST_PATH_EDGES = {
    "append at the collection limit": """
        proc main() -> Int:
            xs = []
            for i in range(200):
                xs.append(i)
            return len(xs)
        """,
    "append in a callee, from a comprehension": """
        proc fill(n: Int) -> Int:
            xs = [0] * 98
            for i in range(n):
                xs.append(i)
            return len(xs)
        proc main() -> Int:
            ys = [fill(i) for i in range(5)]
            return len(ys)
        """,
    "append to a list in a map": """
        proc main() -> Int:
            index = {"a": [0] * 99}
            for i in range(2):
                index["a"].append(i)
            return len(index["a"])
        """,
    "map store at the collection limit": """
        proc main() -> Int:
            d = {}
            for i in range(200):
                d[i] = i
            return len(d)
        """,
    "map store of an existing key at the limit (value)": """
        proc main() -> Int:
            d = {}
            for i in range(100):
                d[f"k{i}"] = i
            for i in range(100):
                d[f"k{i}"] = d.get(f"k{i}", 0) + 1
            return sum(d.values())
        """,
    "key error message": """
        proc main() -> Int:
            d = {"apple": 1}
            n = d.get("pear", 0) + len(d.keys()) + len(d.items())
            return d["pear"] + n
        """,
    "decimal division by zero": """
        proc main() -> Decimal:
            total = Decimal("0")
            for i in range(3):
                total += Decimal(1) / Decimal(i)
            return total
        """,
    "decimal overflow trap": """
        proc main() -> Decimal:
            x = Decimal("9E+999998")
            return x * 100
        """,
    "decimal invalid operation": """
        proc main() -> Decimal:
            x = Decimal("1") - Decimal("1")
            return x / x
        """,
    "decimal bad text at run time": """
        proc main() -> Decimal:
            t = "1.5x"
            return Decimal(t) + 1
        """,
    "decimal-typed ints stay ints (value)": """
        proc f(a: Decimal, b: Decimal) -> Decimal:
            return a * b + a // b - a % b + round(a, 2)
        proc main() -> Decimal:
            t: Decimal = 0
            t += f(7, 2)
            return t
        """,
    "decimal mixed with ints (value)": """
        proc main() -> Decimal:
            total = Decimal("0.00")
            for i in range(20):
                total += round(Decimal(i) / 7 * Decimal("1.10") - i // 3, 2)
                total = total % 1000 + 3 * Decimal("0.5") - Decimal(-2)
            return total
        """,
    "decimal round past the precision": """
        proc main() -> Decimal:
            return round(Decimal("1E+30"), 2)
        """,
    "int division and modulo by zero": """
        proc main() -> Int:
            n = 10
            d = {"z": 0}
            return n // 2 + n % 3 + n // d["z"]
        """,
    "int bit limit at *": """
        proc main() -> Int:
            x = 3
            for i in range(20):
                x = x * x
            return x
        """,
    "int bit limit at <<": """
        proc main() -> Int:
            n = 200
            return 1 << (n + 100)
        """,
    "int bit limit at **": """
        proc main() -> Int:
            n = 300
            return 2 ** n
        """,
    "int + grows by steps (value)": """
        proc main() -> Int:
            x = 1
            for i in range(300):
                x = x + x
            return x.bit_length()
        """,
    "str concatenation at the limit": """
        proc main() -> Int:
            s = ""
            for i in range(400):
                s = s + "x"
            return len(s)
        """,
    "str += at the limit": """
        proc main() -> Int:
            s = "ab"
            while True:
                s += s[:7]
            return len(s)
        """,
    "str concatenation charged past SMALL_COPY": """
        proc main() -> Int:
            s = "x" * 250
            n = 0
            for i in range(100000):
                n += len(s + "yyyyyyyy")
            return n
        """,
    "f-string at the limit": """
        proc main() -> Int:
            s = "abc" * 40
            t = f"{s}-{s}"
            return len(f"{t}{s}")
        """,
    "records: equality, hashing, replace (value)": """
        record P:
            x: Int
            name: Str = "p"
        proc main() -> Tuple[Bool, Int, Int]:
            a = P(x=1)
            b = P(x=1, name="p")
            seen = {a: 1}
            seen[b] = seen.get(b, 0) + 1
            c = a.replace(x=2)
            return (a == b and c != a and b in {a, c}, len(seen), seen[a] + c.x)
        """,
    "records: built, read, replaced in and out of field order, nested, optional, printed (value)": """
        record Inner:
            v: Int
            tag: Str = "i"
        record Outer:
            a: Int
            inner: Inner
            b: Str = "b"
            next: Outer? = None
        proc main() -> Tuple[Str, Int, Bool, Int, Str]:
            o = Outer(a=1, inner=Inner(v=2))
            p = o.replace(b="c", a=5)
            q = o.replace(a=3, next=o)
            r = q.replace(inner=q.inner.replace(tag="j"))
            n = 0
            if r.next is not None:
                n = r.next.inner.v + r.next.a
            keys = {o: 1, p: 2, q: 3, r: 4}
            same = Outer(a=1, inner=Inner(v=2, tag="i")) == o and r != q and q.next == o
            return (f"{p}|{r}", n + keys[Outer(a=3, inner=Inner(v=2), next=o)], same, len(keys), str([o.inner]))
        """,
}


@pytest.mark.parametrize("name", sorted(FAST_PATH_EDGES))
def test_fast_path_edges_are_the_same_on_both_tiers(name: str) -> None:
    result = assert_same_on_both_tiers(textwrap.dedent(FAST_PATH_EDGES[name]), **LIMITED)
    assert result[0] == ("value" if "(value)" in name else "error"), result


def test_errors_inside_fast_paths_name_sgl_lines() -> None:
    """An error raised in the slow path of a fast path (the native, `ops`) is located at its SGL node."""
    source = textwrap.dedent(FAST_PATH_EDGES["append in a callee, from a comprehension"])
    module = seglam_lang.loads(source, limits=Limits(tier="jit", **LIMITED))
    with pytest.raises(SglRuntimeError) as info:
        module.call("main")
    assert [(f.name, f.span.line) for f in info.value.frames] == [("main", 8), ("fill", 5)]
    assert info.value.diagnostic.span.line == 5


def test_a_trace_has_one_frame_per_activation_with_sgl_lines() -> None:
    source = textwrap.dedent(ERRORS["index in a callee"])
    module = seglam_lang.loads(source, limits=Limits(tier="jit"))
    with pytest.raises(SglRuntimeError) as info:
        module.call("main")
    frames = info.value.frames
    assert [(f.name, f.span.line) for f in frames] == [("main", 7), ("at", 3)]


# ---------------------------------------------------------------------- calls inlined

# A small proc of `if test: return value` statements is inlined at a call from a statement (its
# body emitted in the caller, a self-recursive one unrolled once): each program must mean the
# same as on the tree-walker, errors included (frames of the inlined proc, its SGL lines).
INLINED = {
    "division by zero in an inlined helper": """
        proc ratio(a: Int, b: Int) -> Int:
            if a < 0:
                return 0
            return a // b
        proc main() -> Int:
            x = 1
            return ratio(4, x - 1) + 1
        """,
    "an error in an inlined call's arguments": """
        proc ratio(a: Int, b: Int) -> Int:
            return a // b
        proc main() -> Int:
            return ratio(ratio(4, 2), 0)
        """,
    "an error in a real call made by an inlined body": """
        proc at(xs: List[Int], i: Int) -> Int:
            return xs[i]
        proc two(i: Int) -> Int:
            if i > 5:
                return at([1], i)
            return two(i + 1) * 2
        proc main() -> Int:
            return two(0)
        """,
    "depth at an inlined call": """
        proc down(n: Int) -> Int:
            if n < 0:
                return 0
            return down(n + 1) + 1
        proc main() -> Int:
            return down(0)
        """,
    "the call left of an inlined one runs first": """
        proc boom(n: Int) -> Int:
            fail "boom"
        proc ratio(a: Int, b: Int) -> Int:
            return a // b
        proc main() -> Int:
            return boom(1) + ratio(1, 0)
        """,
    "the operand left of an inlined one is evaluated first": """
        proc ratio(a: Int, b: Int) -> Int:
            return a // b
        proc main() -> Int:
            xs = [1]
            return xs[3] + ratio(1, 0)
        """,
    "an inlined call under a condition runs only when it is taken (value)": """
        proc ratio(a: Int, b: Int) -> Int:
            return a // b
        proc main() -> Int:
            n = 0
            a = 0 if n == 0 else ratio(1, n)
            b = n != 0 and ratio(1, n) == 1
            while n < 3 and ratio(6, n + 1) > 0:
                n += 1
            return a + n + (1 if b else 0)
        """,
    "fib, inlined and unrolled (value)": """
        proc fib(n: Int) -> Int:
            if n < 2:
                return n
            return fib(n - 1) + fib(n - 2)
        proc main() -> Int:
            return fib(15) + fib(0) + fib(1) + fib(2)
        """,
    "a helper that calls a native is called, not inlined": """
        proc pick(xs: List[Int]) -> Int:
            return sorted(xs, key=lambda x: 10 // x)[0]
        proc main() -> Int:
            return pick([3, 1]) + pick([0])
        """,
}


@pytest.mark.parametrize("name", sorted(INLINED))
def test_inlined_calls_mean_the_same_on_both_tiers(name: str) -> None:
    result = assert_same_on_both_tiers(textwrap.dedent(INLINED[name]))
    assert result[0] == ("value" if "(value)" in name else "error"), result


@pytest.mark.parametrize("steps", range(40, 60))
def test_the_step_limit_at_inlined_and_real_calls_is_the_same_on_both_tiers(steps: int) -> None:
    # fib(8) makes 67 calls: one budget after another runs out at an inlined call, then a real one
    result = assert_same_on_both_tiers(textwrap.dedent(INLINED["fib, inlined and unrolled (value)"]), steps=steps)
    assert result[0] == "error" and result[3].startswith("step limit"), result


@pytest.mark.parametrize("depth", [50, 51, 52])
def test_the_depth_limit_at_inlined_and_real_calls_is_the_same_on_both_tiers(depth: int) -> None:
    # the calls alternate between inlined and real: one limit stops at each kind
    result = assert_same_on_both_tiers(textwrap.dedent(INLINED["depth at an inlined call"]), call_depth=depth)
    assert result[0] == "error" and result[3].startswith("call depth") and len(result[5]) == depth, result


def test_an_inlined_proc_keeps_its_frame_and_lines() -> None:
    module = seglam_lang.loads(textwrap.dedent(INLINED["division by zero in an inlined helper"]),
                               limits=Limits(tier="jit"))
    assert "_v101_0" in generated_source(module._compiled), "ratio is inlined in main"
    with pytest.raises(SglRuntimeError) as info:
        module.call("main")
    assert [(f.name, f.span.line) for f in info.value.frames] == [("main", 8), ("ratio", 5)]


# ---------------------------------------------------------------------- the sandbox of the new tier

HOSTILE_TEXT = [
    "__import__('os').system('echo pwned')",
    "\"); import os; (\"",
    "'''\nimport os\n'''",
    "\\x00\\u2028 {__class__} ${x} %s",
    "x = 1; __builtins__['open']",
]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_user_text_never_becomes_code(text: str) -> None:
    """Strings (in literals, f-strings, messages) reach the generated code only as link keys."""
    lit = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    in_f = lit.replace("{", "{{").replace("}", "}}")
    source = textwrap.dedent(f"""
        proc main() -> Str:
            s = "{lit}"
            require len(s) > 0, "{lit}"
            return f"{{s}}!{in_f}" + s
        """)
    module = seglam_lang.loads(source, limits=Limits(tier="jit"))
    generated = generated_source(module._compiled)
    assert text not in generated and "import" not in generated and "'" not in generated and '"' not in generated
    assert module.call("main") == text + "!" + text + text


def test_identifiers_are_generated_not_copied() -> None:
    source = textwrap.dedent("""
        record Box:
            value: Int
        proc sneaky(__class__: Int, exec: Int, _c: Int) -> Int:
            __globals__ = __class__ + exec + _c
            return __globals__
        proc main() -> Int:
            b = Box(value=1)
            return sneaky(b.value, 2, 3)
        """)
    try:
        module = seglam_lang.loads(source, limits=Limits(tier="jit"))
    except SglError:
        return  # the checker refuses such names: nothing to translate
    generated = generated_source(module._compiled)
    for word in ("__class__", "__globals__", "exec", "sneaky", "Box", "value", "values"):
        assert re.search(rf"\b{word}\b", generated) is None, word
    assert module.call("main") == 6


def test_python_internals_are_out_of_reach() -> None:
    """Whatever SGL spells, nothing of Python's object model is reached (the checker refuses
    attributes it does not know; the generated code has no attribute access on values)."""
    for expr in ("(1).__class__", "f.__globals__", "f.__code__", "\"\".__class__.__mro__",
                 "print.__self__", "len.__module__"):
        source = f"proc f() -> Int:\n    return 1\nproc main() -> Int:\n    x = {expr}\n    return 0\n"
        with pytest.raises(SglError):
            seglam_lang.loads(source, limits=Limits(tier="jit")).call("main")


def test_translated_code_runs_without_builtins() -> None:
    module = seglam_lang.loads("proc main() -> Int:\n    return len([1, 2])\n", limits=Limits(tier="jit"))
    fn = module._compiled.procs["main"].body.jit
    assert fn.__globals__["__builtins__"] == {}
    assert all(name.startswith("_g") or name.startswith("_P") or name == "__builtins__" for name in fn.__globals__)


@pytest.mark.parametrize("bad", [
    "def _P0(_c):\n    return __import__\n",
    "def _P0(_c):\n    return _g0.__class__\n",
    "def _P0(_c):\n    return 'text'\n",
    "def _P0(_c):\n    return 1.5\n",
    "import os\n",
    "def _P0(_c):\n    return _g0(key=1)\n",
    "def _P0(_c):\n    return [x for x in _g0]\n",
    "def _P0(_c):\n    return lambda: 1\n",
    "def _P0(_c):\n    _c.limits = None\n",
    # the names allowed on values (the methods of the fast paths): never on a
    # global `_g<n>` (a native, a helper, a literal), and no other name on a value
    "def _P0(_c):\n    return _g0.values\n",
    "def _P0(_c):\n    return _g1.get(1)\n",
    "def _P0(_c, _v0_0):\n    return _v0_0.__class__\n",
    "def _P0(_c, _v0_0):\n    return _v0_0.pop()\n",
    "def _P0(_c, _v0_0):\n    return _v0_0.values.__self__\n",
    "def _P0(_c):\n    return _c.limits.steps\n",
    "def _P0(_c):\n    return '\u00e9'\n",
])
def test_the_validator_refuses_what_the_translator_never_emits(bad: str) -> None:
    with pytest.raises(Unsafe):
        validate(bad)


def test_the_validator_allows_the_fast_paths_names_on_values() -> None:
    validate("def _P0(_c, _v0_0, _v0_1):\n    _k0 = _g0(_c)\n    _v0_0.append(_v0_1[3])\n"
             "    return _v0_1[1].quantize(_g1, None, _g2), _v0_0.get(1), _v0_0.items(), _v0_0.values()\n")


def test_every_shipped_module_translates_and_validates() -> None:
    """Coverage: every proc and property of stdlib/ and examples/ runs on the new tier."""
    files = sorted([*ROOT.glob("stdlib/*.sgl"), *ROOT.glob("examples/**/*.sgl")])
    assert len(files) > 20
    units = 0
    for path in files:
        module = seglam_lang.load(path, limits=Limits(tier="jit"))  # raises if anything declines
        validate(generated_source(module._compiled))
        units += len(module.tier.procs)
    assert units > 100


def test_tier_option() -> None:
    source = "proc main() -> Int:\n    return 1\n"
    assert seglam_lang.loads(source, limits=Limits(tier="tree")).tier.procs == []
    assert seglam_lang.loads(source, limits=Limits(tier="jit")).tier.procs == ["main"]
    with pytest.raises(ValueError, match="tier"):
        Limits(tier="fast")


def test_sgl_tier_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    source = "proc main() -> Int:\n    return 1\n"
    monkeypatch.setenv("SGL_TIER", "tree")
    assert seglam_lang.loads(source).tier.tier == "tree"
    assert seglam_lang.loads(source, limits=Limits(tier="jit")).tier.tier == "jit"  # explicit wins
    monkeypatch.setenv("SGL_TIER", "warp")
    with pytest.raises(SglUsageError, match="SGL_TIER"):
        seglam_lang.loads(source)


# ---------------------------------------------------------------------- the translation cache


def test_translation_is_cached_and_a_corrupt_entry_is_rewritten(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SGL_PARSER_CACHE", str(tmp_path))
    source = "proc main(n: Int) -> Int:\n    return n * 2 + 1\n"
    first = seglam_lang.loads(source, limits=Limits(tier="jit"))
    assert not first.tier.cached
    path = artifact.path_of(cache_key(first._compiled))
    assert path.exists() and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    second = seglam_lang.loads(source, limits=Limits(tier="jit"))
    assert second.tier.cached and second.call("main", 4) == 9
    path.write_bytes(path.read_bytes()[:-7])  # truncated
    third = seglam_lang.loads(source, limits=Limits(tier="jit"))
    assert not third.tier.cached and third.call("main", 4) == 9
    assert seglam_lang.loads(source, limits=Limits(tier="jit")).tier.cached  # rewritten
    path.chmod(0o666)  # writable by others: not trusted
    assert not seglam_lang.loads(source, limits=Limits(tier="jit")).tier.cached


def test_a_cached_translation_loads_in_a_fresh_process_without_the_front_end(tmp_path: Path) -> None:
    source = "proc main(n: Int) -> Int:\n    return n + 1\n"
    env = {**os.environ, "SGL_PARSER_CACHE": str(tmp_path)}
    warm = f"import seglam_lang; seglam_lang.loads({source!r}, limits=seglam_lang.Limits(tier='jit'))"
    subprocess.run([sys.executable, "-c", warm], env=env, check=True)
    probe = textwrap.dedent(f"""
        import seglam_lang
        m = seglam_lang.loads({source!r}, limits=seglam_lang.Limits(tier='jit'))
        key = __import__('seglam_lang.runtime.jit', fromlist=['cache_key']).cache_key(m._compiled)
        from seglam_lang.runtime.jit import artifact
        art = artifact.read(key)
        print(m.tier.cached, art is not None, m.call('main', 1))
    """)
    out = subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["True", "True", "2"]
    lean = textwrap.dedent("""
        import sys
        import seglam_lang
        baseline = set(sys.modules)
        from seglam_lang.runtime.jit import artifact
        names = [p.stem for p in artifact.path_of("x").parent.glob("*.marshal")]
        assert names and artifact.read(names[0]) is not None
        added = set(sys.modules) - baseline
        print(sorted(m for m in added if m.startswith(("lark", "attrs", "seglam_lang.syntax", "seglam_lang.check"))))
    """)
    out = subprocess.run([sys.executable, "-c", lean], env=env, check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_sgl_exec_tier(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from seglam_lang.cli import main

    f = tmp_path / "sq.sgl"
    f.write_text("proc main(n: Int) -> Int:\n    return [x * x for x in range(n)][-1]\n", encoding="utf-8")
    for tier in ("tree", "jit", "auto"):
        result = CliRunner().invoke(main, ["exec", "--tier", tier, str(f), "5"], catch_exceptions=False)
        assert (result.exit_code, result.stdout.strip()) == (0, "16"), result.output
    result = CliRunner().invoke(main, ["exec", "--tier", "fast", str(f), "5"])
    assert result.exit_code == 2 and "tier" in result.output
