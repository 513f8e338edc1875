"""The interpreter core and embedding API: limits, stack traces, argument copies, frozen constants,
threads, host functions, conversions, examples/properties, `use` loading.

Per-construct behaviour is in the data corpus (`tests/runtime/corpus/`); this file tests
what a corpus line cannot express.
"""

from __future__ import annotations

import datetime
import decimal
import sys
import textwrap
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seglam_lang
from seglam_lang import LimitExceeded, Limits, NotApplicable, SglRuntimeError, SglTypeError, SglUsageError


def mod(src: str, **kw: object) -> seglam_lang.Module:
    return seglam_lang.loads(textwrap.dedent(src), name="t", file="t.sgl", **kw)


# ---------------------------------------------------------------- limits


def test_step_limit_stops_an_infinite_loop_quickly() -> None:
    m = mod("""
        proc spin() -> Int:
            i = 0
            while True:
                i += 1
            return i
    """)
    t0 = time.monotonic()
    with pytest.raises(LimitExceeded) as e:
        m.call("spin", limits=Limits(steps=10_000))
    assert e.value.diagnostic.code == "E0401"
    assert time.monotonic() - t0 < 1.0


def test_steps_count_calls() -> None:
    m = mod("""
        proc f(n: Int) -> Int:
            if n == 0:
                return 0
            return f(n - 1)
    """)
    assert m.call("f", 50, limits=Limits(steps=60)) == 0
    with pytest.raises(LimitExceeded):
        m.call("f", 50, limits=Limits(steps=40))


def test_time_limit() -> None:
    m = mod("""
        proc spin() -> Int:
            total = 0
            while True:
                total = (total + 1) % 7
            return total
    """)
    t0 = time.monotonic()
    with pytest.raises(LimitExceeded) as e:
        m.call("spin", limits=Limits(steps=10**12, timeout=0.2))
    assert e.value.diagnostic.code == "E0402"
    assert time.monotonic() - t0 < 1.5


def test_depth_200_recursion_works_and_201_does_not() -> None:
    m = mod("""
        proc depth(n: Int) -> Int:
            if n == 0:
                return 0
            return 1 + depth(n - 1)
    """)
    assert m.call("depth", 199) == 199
    with pytest.raises(LimitExceeded) as e:
        m.call("depth", 500)
    assert e.value.diagnostic.code == "E0406"


def test_deep_recursion_with_a_big_depth_limit_is_a_limit_error_not_a_crash() -> None:
    m = mod("""
        proc depth(n: Int) -> Int:
            if n == 0:
                return 0
            return 1 + depth(n - 1)
    """)
    before = sys.getrecursionlimit()
    assert m.call("depth", 3000, limits=Limits(call_depth=5000)) == 3000
    assert sys.getrecursionlimit() == before  # raised for the run only, never sticky


def test_per_module_limits_apply_by_default() -> None:
    m = mod("""
        proc spin() -> Int:
            i = 0
            while i >= 0:
                i += 1
            return i
    """, limits=Limits(steps=1000))
    with pytest.raises(LimitExceeded):
        m.call("spin")


def test_size_bomb_in_a_loop_is_fast() -> None:
    m = mod("""
        proc bomb() -> Int:
            xs = [1]
            while True:
                xs = xs + xs
            return len(xs)
    """)
    t0 = time.monotonic()
    with pytest.raises(LimitExceeded) as e:
        m.call("bomb")
    assert e.value.diagnostic.code == "E0404"
    assert time.monotonic() - t0 < 2.0


# ---------------------------------------------------------------- errors and stack traces


def test_stack_trace_has_one_frame_per_call_with_positions() -> None:
    m = mod("""
        proc inner(n: Int) -> Int:
            return 10 // n

        proc middle(n: Int) -> Int:
            x = 1
            return inner(n - 1) + x

        proc outer() -> Int:
            return middle(1) * 2
    """)
    with pytest.raises(SglRuntimeError) as e:
        m.call("outer")
    err = e.value
    assert err.diagnostic.code == "E0304"
    assert [(f.name, f.span.line, f.span.col) for f in err.frames] == [
        ("outer", 10, 12), ("middle", 7, 12), ("inner", 3, 12)]
    assert all(f.file == "t.sgl" for f in err.frames)
    tb = err.traceback()
    assert "t.sgl:10:12, in outer" in tb and "t.sgl:3:12, in inner" in tb
    assert "Traceback (most recent call last)" not in tb  # never Python's


def test_error_inside_a_lambda_called_by_a_native_keeps_the_call_site() -> None:
    m = mod("""
        proc key(xs: List[Int]) -> List[Int]:
            return sorted(xs, key=lambda x: 10 // x)
    """)
    with pytest.raises(SglRuntimeError) as e:
        m.call("key", [1, 0])
    names = [f.name for f in e.value.frames]
    assert names == ["key", "<lambda>"]
    assert e.value.frames[0].span.line == 3


def test_python_messages_are_kept() -> None:
    m = mod("""
        proc idx(xs: List[Int], i: Int) -> Int:
            return xs[i]

        proc key(m: Map[Str, Int], k: Str) -> Int:
            return m[k]
    """)
    with pytest.raises(SglRuntimeError, match="list index out of range"):
        m.call("idx", [1], 3)
    with pytest.raises(SglRuntimeError, match="key \"x\" not found"):
        m.call("key", {}, "x")


def test_require_is_not_applicable_with_its_message() -> None:
    m = mod("""
        proc half(n: Int) -> Int:
            require n % 2 == 0, "n must be even"
            return n // 2

        proc pos(n: Int) -> Int:
            require n > 0
            return n
    """)
    with pytest.raises(NotApplicable, match="n must be even"):
        m.call("half", 3)
    with pytest.raises(NotApplicable, match="n > 0"):
        m.call("pos", -1)


def test_assert_message_quotes_the_condition() -> None:
    m = mod("""
        proc f(x: Int) -> Int:
            assert x * 2 < 10
            return x
    """)
    with pytest.raises(SglRuntimeError) as e:
        m.call("f", 7)
    assert e.value.diagnostic.code == "E0302"
    assert e.value.message == "assertion failed: x * 2 < 10"


# ---------------------------------------------------------------- values in and out


def test_arguments_are_never_mutated() -> None:
    m = mod("""
        record Box:
            items: List[Int]

        proc grow(xs: List[Int], d: Map[Str, Int], s: Set[Int], b: Box) -> Int:
            xs.append(1)
            d["k"] = 1
            s.add(99)
            b.items.append(5)
            return len(xs) + len(d) + len(s) + len(b.items)
    """)
    xs, d, s, b = [0], {"a": 0}, {1}, {"items": [1]}
    assert m.call("grow", xs, d, s, b) == 2 + 2 + 2 + 2
    assert xs == [0] and d == {"a": 0} and s == {1} and b == {"items": [1]}


@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(-5, 5), max_size=4), max_size=5))
def test_sgl_caller_never_sees_a_callee_mutation(rows: list[list[int]]) -> None:
    m = _mutating_module()
    before = [list(r) for r in rows]
    assert m.call("check", rows) is True
    assert rows == before


_cache: dict[str, seglam_lang.Module] = {}


def _mutating_module() -> seglam_lang.Module:
    if "m" not in _cache:
        _cache["m"] = mod("""
            proc scramble(rows: List[List[Int]]) -> Int:
                for r in rows:
                    r.append(7)
                    r.sort()
                rows.append([])
                return len(rows)

            proc check(rows: List[List[Int]]) -> Bool:
                copy = [list(r) for r in rows]
                scramble(rows)
                return rows == copy
        """)
    return _cache["m"]


def test_frozen_constant_cannot_be_changed_but_can_be_read() -> None:
    m = mod("""
        TABLE = {"a": [1, 2]}

        proc read() -> Int:
            return TABLE["a"][1]

        proc change() -> Int:
            row = TABLE["a"]
            row.append(3)
            return 0
    """)
    assert m.call("read") == 2
    with pytest.raises(SglRuntimeError) as e:
        m.call("change")
    assert e.value.diagnostic.code == "E0309"
    assert m.call("read") == 2


def test_python_conversions_both_ways() -> None:
    m = mod("""
        record Item:
            name: Str
            price: Decimal
            qty: Int = 1

        proc echo(items: List[Item], tags: Set[Str], when: Date, at: DateTime, d: Duration,
                  pair: Tuple[Int, Str], m: Map[Str, Float], x: Int?) -> Tuple[List[Item], Set[Str], Date, DateTime, Duration, Tuple[Int, Str], Map[Str, Float], Int?]:
            return (items, tags, when, at, d, pair, m, x)
    """)
    args = ([{"name": "pen", "price": Decimal("1.10"), "qty": 3}], {"b", "a"}, datetime.date(2024, 1, 3),
            datetime.datetime(2024, 1, 3, 10, 30), datetime.timedelta(days=2), (1, "x"), {"k": 1}, None)
    out = m.call("echo", *args)
    assert out[0] == [{"name": "pen", "price": Decimal("1.10"), "qty": 3}]
    assert out[1] == {"a", "b"} and out[2] == datetime.date(2024, 1, 3)
    assert out[5] == (1, "x") and out[6] == {"k": 1.0} and isinstance(out[6]["k"], float) and out[7] is None
    with pytest.raises(SglUsageError):
        m.call("echo", *args[:-1], "not an int")


def test_call_sgl_takes_sgl_values_and_keywords() -> None:
    m = mod("""
        proc f(a: Int, b: Int = 10) -> Int:
            return a * b
    """)
    assert m.call_sgl("f", [3], {}) == 30
    assert m.call_sgl("f", [], {"a": 2, "b": 5}) == 10
    assert m.procs["f"].defaults() == {"b": 10}
    assert str(m.procs["f"].sig) == "f(a: Int, b: Int = ...) -> Int"
    with pytest.raises(SglUsageError):
        m.call_sgl("f", [], {})
    with pytest.raises(SglUsageError):
        m.call("nope")


def test_decimal_context_is_fixed_and_the_hosts_is_untouched() -> None:
    m = mod("""
        proc third() -> Decimal:
            return Decimal(1) / Decimal(3)
    """)
    with decimal.localcontext() as host:
        host.prec = 5
        host.rounding = decimal.ROUND_UP
        assert m.call("third") == Decimal("0.3333333333333333333333333333")
        assert decimal.getcontext().prec == 5


# ---------------------------------------------------------------- host functions


def test_host_function_with_an_sgl_signature() -> None:
    calls: list[object] = []

    def rate(currency: str) -> Decimal:
        calls.append(currency)
        return {"EUR": Decimal("1.1")}[currency]

    m = mod("""
        proc convert(x: Decimal, cur: Str) -> Decimal:
            return x * rate(cur)
    """, host={"rate": ("(currency: Str) -> Decimal", rate)})
    assert m.call("convert", Decimal("2"), "EUR") == Decimal("2.2")
    assert calls == ["EUR"]
    with pytest.raises(SglRuntimeError) as e:
        m.call("convert", Decimal("2"), "XXX")
    assert e.value.diagnostic.code == "E0311"
    assert e.value.frames and e.value.frames[0].name == "convert"


def test_host_function_wrong_result_type_and_bad_signature() -> None:
    m = mod("""
        proc f() -> Int:
            return bad()
    """, host={"bad": ("() -> Int", lambda: "text")})
    with pytest.raises(SglRuntimeError) as e:
        m.call("f")
    assert e.value.diagnostic.code == "E0311"
    with pytest.raises(SglUsageError):
        mod("proc f() -> Int:\n    return 1\n", host={"g": ("(x: Nope) -> Int", lambda x: 1)})


def test_host_functions_are_checked_statically() -> None:
    with pytest.raises(SglTypeError):
        mod("""
            proc f() -> Int:
                return rate(1)
        """, host={"rate": ("(currency: Str) -> Int", lambda c: 1)})


# ---------------------------------------------------------------- threads


def test_one_module_called_from_8_threads() -> None:
    m = mod("""
        proc work(seed: Int) -> List[Int]:
            acc = []
            for i in range(2000):
                acc.append((seed * 31 + i * i) % 1009)
            sq = [x * x for x in acc if x % 2 == 0]
            return sorted(sq, key=lambda v: -v)[:5]
    """)
    expected = {s: m.call("work", s) for s in range(8)}
    results: dict[int, list[list[int]]] = {s: [] for s in range(8)}
    errors: list[BaseException] = []

    def run(seed: int) -> None:
        try:
            for _ in range(20):
                results[seed].append(m.call("work", seed))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for s in range(8):
        assert results[s] == [expected[s]] * 20


# ---------------------------------------------------------------- module API


def test_examples_report_both_sides() -> None:
    m = mod("""
        proc double(x: Int) -> Int:
            return x * 2

        example double(2) == 4
        example double(3) == 7
        example double(1) // 0 == 1
    """)
    ok, bad, err = (ex.run() for ex in m.examples)
    assert ok.passed and ok.left == 4 and ok.right == 4 and ok.op == "=="
    assert not bad.passed and bad.left == 6 and bad.right == 7
    assert not err.passed and err.error is not None and err.error.diagnostic.code == "E0304"
    assert m.examples[1].text == "double(3) == 7"


def test_properties_run_with_require_and_assert() -> None:
    m = mod("""
        proc absval(x: Int) -> Int:
            if x < 0:
                return -x
            return x

        property non_negative(x: Int, k: Int = 2):
            require x != 13
            assert absval(x) * k >= 0
            assert absval(x) != 7
    """)
    p = m.properties["non_negative"]
    assert [q.name for q in p.params] == ["x", "k"] and p.defaults() == {"k": 2}
    p.run({"x": -4})
    with pytest.raises(NotApplicable):
        p.run({"x": 13})
    with pytest.raises(SglRuntimeError) as e:
        p.run({"x": -7})
    assert e.value.diagnostic.code == "E0302"


def test_module_metadata() -> None:
    m = mod('''
        @when("double {x}")
        proc double(x: Int) -> Int:
            """Twice x."""
            return x * 2

        origin:
            request: "double 4"
    ''')
    info = m.procs["double"]
    assert info.doc == "Twice x." and info.triggers[0].pattern == "double {x}"
    assert m.origin == {"request": "double 4"}
    assert m.interface.procs["double"].returns == info.sig.returns
    assert m.name == "t" and m.file == "t.sgl" and m.tree.decls


def test_load_errors_carry_all_diagnostics(tmp_path: Path) -> None:
    p = tmp_path / "bad.sgl"
    p.write_text("proc f() -> Int:\n    return x\n\nproc g() -> Int:\n    return y\n")
    with pytest.raises(SglTypeError) as e:
        seglam_lang.load(p)
    assert len(e.value.diagnostics) == 2 and all(d.file == str(p) for d in e.value.diagnostics)
    with pytest.raises(seglam_lang.SglSyntaxError):
        seglam_lang.loads("proc f( -> Int:\n")


def test_constant_error_at_load_is_located() -> None:
    with pytest.raises(SglRuntimeError) as e:
        mod("""
            X = 1 // 0
        """)
    assert e.value.diagnostic.code == "E0304" and e.value.span.line == 2


def test_use_std_module_loads_once() -> None:
    src = """
        use std.re

        proc words(s: Str) -> List[Str]:
            return re.find_all("[a-z]+", s)
    """
    m1, m2 = mod(src), mod(src)
    assert m1.call("words", "ab, cd") == ["ab", "cd"]
    from seglam_lang.runtime import loader
    from seglam_lang.runtime.embedding import load_std_file

    assert loader._cache["std.re"] is loader.load_std(("std", "re"), m2.tree.span, "t", load_std_file)


def test_unknown_module_and_cyclic_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SglTypeError) as e:
        mod("use std.nonexistent_zz\n")
    assert e.value.diagnostic.code == "E0205"
    assert len(e.value.diagnostics) == 1  # the loader's, not the checker's as well
    (tmp_path / "cyc_a.sgl").write_text("use std.cyc_b\n\nproc fa() -> Int:\n    return 1\n")
    (tmp_path / "cyc_b.sgl").write_text("use std.cyc_a\n\nproc fb() -> Int:\n    return 2\n")
    import seglam_lang.syntax.tables as tables

    real = tables.resource_dir
    monkeypatch.setattr(tables, "resource_dir", lambda name: tmp_path if name == "stdlib" else real(name))
    with pytest.raises(SglTypeError) as e:
        mod("use std.cyc_a\n")
    assert any("cyclic use" in d.message for d in e.value.diagnostics)


def test_import_is_light() -> None:
    import subprocess

    code = "import sys, seglam_lang; print(any(m.startswith(('lark', 'seglam_lang.check', 'seglam_lang.runtime.embedding')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
