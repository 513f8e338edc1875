"""Built-ins, methods and the native registry: same names as the checker, CPython's results, bounded."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seglam_lang.check import builtins as check_builtins
from seglam_lang.check import types as T
from seglam_lang.errors import LimitExceeded, SglRuntimeError
from seglam_lang.runtime import natives
from seglam_lang.runtime.limits import Limits, RunContext
from seglam_lang.runtime.natives.builtins import BUILTINS
from seglam_lang.runtime.natives.methods import FIELDS, METHODS
from seglam_lang.runtime.values import SglSet, freeze

# ---------------------------------------------------------------- the allow-list is the checker's


def test_builtin_names_equal_the_checkers() -> None:
    assert set(BUILTINS) == set(check_builtins.BUILTIN_FUNCTIONS)


def test_method_and_field_names_equal_the_checkers() -> None:
    runtime = {t: set(m) for t, m in METHODS.items() if t != "Record"}
    assert runtime == {t: set(m) for t, m in check_builtins.METHODS.items()}
    assert set(METHODS["Record"]) == set(check_builtins.RECORD_METHODS)
    assert {t: set(f) for t, f in FIELDS.items()} == {t: set(f) for t, f in check_builtins.FIELDS.items()}


def test_nothing_outside_the_tables_is_reachable() -> None:
    for type_name, name in [("Str", "format"), ("Str", "format_map"), ("Str", "encode"), ("List", "__class__"),
                            ("Map", "__init__"), ("Date", "strftime"), ("Record", "__reduce__")]:
        with pytest.raises(SglRuntimeError):
            natives.method(type_name, name)
    with pytest.raises(SglRuntimeError):
        natives.field("Date", "__class__")
    with pytest.raises(SglRuntimeError):
        natives.builtin("eval")


# ---------------------------------------------------------------- against CPython


def outcome(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        with decimal.localcontext(decimal.Context()):
            r = fn(*args, **kwargs)
    except (ArithmeticError, ValueError, TypeError, LookupError, SglRuntimeError):
        return ("error", None)
    return ("ok", (type(r), repr(r)))  # repr: NaN equals NaN here


def call_method(type_name: str, name: str, self: Any, *args: Any) -> Any:
    return natives.method(type_name, name)(RunContext(), self, *args)


STR_NO_ARGS = [n for n, sig in check_builtins.METHODS["Str"].items() if not sig.params]
short_text = st.text(alphabet="aAbß ,.\t\n1٣_-", max_size=8)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(STR_NO_ARGS), short_text)
def test_str_methods_without_arguments_match_python(name: str, s: str) -> None:
    assert outcome(call_method, "Str", name, s) == outcome(getattr(str, name), s)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["split", "rsplit", "strip", "lstrip", "rstrip", "startswith", "endswith", "find", "rfind",
                        "index", "rindex", "count", "partition", "rpartition", "removeprefix", "removesuffix",
                        "join", "center", "ljust", "rjust", "zfill", "replace"]),
       short_text, st.one_of(short_text, st.integers(-2, 12), st.lists(short_text, max_size=3)), st.text("ab,", max_size=2))
def test_str_methods_with_arguments_match_python(name: str, s: str, arg: Any, extra: str) -> None:
    args: tuple[Any, ...] = (arg,)
    if name == "replace":
        args = (arg, extra)
    elif name in ("center", "ljust", "rjust") and extra:
        args = (arg, extra)
    assert outcome(call_method, "Str", name, s, *args) == outcome(getattr(str, name), s, *args)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["append", "extend", "insert", "pop", "remove", "index", "count", "sort", "reverse", "copy",
                        "clear"]),
       st.lists(st.integers(-3, 3), max_size=6), st.lists(st.integers(-3, 3), max_size=2))
def test_list_methods_match_python(name: str, xs: list[int], args: list[int]) -> None:
    arity = {"append": 1, "extend": 1, "insert": 2, "pop": len(args[:1]), "remove": 1, "index": 1, "count": 1}
    n = arity.get(name, 0)
    if len(args) < n:
        return
    call = [args] if name == "extend" else args[:n]
    mine, theirs = list(xs), list(xs)
    assert outcome(call_method, "List", name, mine, *call) == outcome(getattr(list, name), theirs, *call)
    assert mine == theirs


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["get", "pop", "setdefault", "update", "copy", "clear", "keys", "values", "items"]),
       st.dictionaries(st.sampled_from("abc"), st.integers(0, 3), max_size=3), st.sampled_from("abd"))
def test_map_methods_match_python(name: str, m: dict[str, int], key: str) -> None:
    args = {"get": (key,), "pop": (key,), "setdefault": (key, 9), "update": ({key: 7},)}.get(name, ())
    mine, theirs = dict(m), dict(m)
    a, b = outcome(call_method, "Map", name, mine, *args), outcome(getattr(dict, name), theirs, *args)
    if name in ("keys", "values", "items"):
        assert a[0] == b[0] == "ok" and list(a[1][1]) == list(b[1][1])
    else:
        assert a == b
    assert mine == theirs


numbers = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, width=32),
                    st.decimals(allow_nan=False, allow_infinity=False, places=3))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["abs", "round", "int", "float", "bool", "str", "divmod", "round2"]), numbers,
       st.one_of(st.integers(-3, 3), numbers))
def test_numeric_builtins_match_python(name: str, x: Any, y: Any) -> None:
    ctx = RunContext()
    if name == "round2":
        if type(y) is not int:
            return
        assert outcome(BUILTINS["round"], ctx, x, y) == outcome(round, x, y)
    elif name == "divmod":
        assert outcome(BUILTINS["divmod"], ctx, x, y) == outcome(divmod, x, y)
    else:
        py = {"abs": abs, "round": round, "int": int, "float": float, "bool": bool, "str": str}[name]
        assert outcome(BUILTINS[name], ctx, x) == outcome(py, x)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(-5, 5), st.floats(-5, 5)), max_size=6), st.booleans())
def test_collection_builtins_match_python(xs: list[Any], reverse: bool) -> None:
    ctx = RunContext()
    key = lambda v: -v  # noqa: E731 - a key callable, as the compiler passes lambdas
    assert BUILTINS["sorted"](ctx, xs, key=key, reverse=reverse) == sorted(xs, key=key, reverse=reverse)
    for name, fn in (("min", min), ("max", max)):
        assert outcome(BUILTINS[name], ctx, xs) == outcome(fn, xs)
        assert BUILTINS[name](ctx, xs, default=None, key=key) == fn(xs, default=None, key=key)
    assert BUILTINS["sum"](ctx, xs) == sum(xs) and BUILTINS["sum"](ctx, iter(xs), 10) == sum(xs, 10)
    assert BUILTINS["any"](ctx, xs) == any(xs) and BUILTINS["all"](ctx, xs) == all(xs)
    assert list(BUILTINS["enumerate"](ctx, xs, 1)) == list(enumerate(xs, 1))
    assert list(BUILTINS["zip"](ctx, xs, range(3))) == list(zip(xs, range(3)))
    assert list(BUILTINS["reversed"](ctx, xs)) == list(reversed(xs))
    assert list(BUILTINS["map"](ctx, key, xs)) == list(map(key, xs))
    assert list(BUILTINS["filter"](ctx, None, xs)) == list(filter(None, xs))
    assert BUILTINS["set"](ctx, xs) == SglSet(xs) and BUILTINS["tuple"](ctx, xs) == tuple(xs)
    assert BUILTINS["dict"](ctx, zip(xs, xs)) == dict(zip(xs, xs))


def test_conversions_and_dates() -> None:
    ctx = RunContext()
    b = BUILTINS
    assert b["Decimal"](ctx, "1.10") == Decimal("1.10") and str(b["Decimal"](ctx, 3)) == "3"
    with pytest.raises(TypeError):
        b["Decimal"](ctx, 0.1)
    assert b["date"](ctx, "2024-01-03") == b["date"](ctx, 2024, 1, 3) == dt.date(2024, 1, 3)
    assert b["datetime"](ctx, "2024-01-03T10:30") == dt.datetime(2024, 1, 3, 10, 30)
    with pytest.raises(ValueError):
        b["datetime"](ctx, "2024-01-03T10:30+02:00")
    with pytest.raises(TypeError):
        b["datetime"](ctx, 2024, 1, 3, tzinfo=dt.UTC)
    assert b["duration"](ctx, weeks=1, hours=2) == dt.timedelta(weeks=1, hours=2)
    with pytest.raises(TypeError):
        b["duration"](ctx, years=1)
    assert b["round"](ctx, 2.5) == 2 and b["round"](ctx, Decimal("2.5")) == 2 and b["round"](ctx, 0.125, 2) == 0.12
    assert b["round"](ctx, 5, -10**30) == 0 and b["int"](ctx, "ff", 16) == 255 and b["int"](ctx, " 1_000 ") == 1000
    assert natives.method("Decimal", "quantize")(ctx, Decimal("2.675"), Decimal("0.01")) == Decimal("2.68")
    d = dt.datetime(2024, 1, 3, 10, 30)
    assert natives.method("DateTime", "replace")(ctx, d, hour=5) == d.replace(hour=5)
    with pytest.raises(TypeError):
        natives.method("DateTime", "replace")(ctx, d, tzinfo=dt.UTC)
    assert natives.field("DateTime", "minute")(d) == 30 and natives.method("DateTime", "date")(ctx, d) == d.date()


def test_mutating_methods_refuse_frozen_constants() -> None:
    ctx = RunContext()
    const = freeze({"xs": [1], "s": SglSet([1]), "m": {"a": 1}})
    for type_name, name, recv, args in [("List", "append", const["xs"], (2,)), ("List", "sort", const["xs"], ()),
                                        ("Set", "add", const["s"], (2,)), ("Map", "update", const["m"], ({},)),
                                        ("Map", "setdefault", const["m"], ("b", 1))]:
        with pytest.raises(SglRuntimeError, match="frozen"):
            natives.method(type_name, name)(ctx, recv, *args)
    assert natives.method("List", "copy")(ctx, const["xs"]) == [1]


BOMBS = {
    "list(range)": lambda c: BUILTINS["list"](c, range(10**12)),
    "set(range)": lambda c: BUILTINS["set"](c, range(10**12)),
    "sorted(range)": lambda c: BUILTINS["sorted"](c, range(10**12)),
    "sum(range)": lambda c: BUILTINS["sum"](c, range(10**12)),
    "all(range)": lambda c: BUILTINS["all"](c, range(1, 10**12)),
    "max(enumerate(range))": lambda c: BUILTINS["max"](c, BUILTINS["enumerate"](c, range(10**12))),
    "list(zip)": lambda c: BUILTINS["list"](c, BUILTINS["zip"](c, range(10**12), range(10**12))),
    "int(text)": lambda c: BUILTINS["int"](c, "7" * 5000),
    "int(hex text)": lambda c: BUILTINS["int"](c, "f" * 100_000, 16),
    "int(Decimal)": lambda c: BUILTINS["int"](c, Decimal("1e999999")),
    "round(Decimal)": lambda c: BUILTINS["round"](c, Decimal("1e999999")),
    "str(big int)": lambda c: BUILTINS["str"](c, 7**5100),
    "str(list)": lambda c: BUILTINS["str"](c, ["x" * 100_000] * 100),
    "center": lambda c: natives.method("Str", "center")(c, "a", 10**9),
    "zfill": lambda c: natives.method("Str", "zfill")(c, "1", 10**9),
    "replace": lambda c: natives.method("Str", "replace")(c, "a" * 1000, "a", "b" * 10_000),
    "replace empty": lambda c: natives.method("Str", "replace")(c, "a" * 1000, "", "b" * 1000),
    "join": lambda c: natives.method("Str", "join")(c, "x" * 10_000, ["a"] * 1000),
    "extend": lambda c: natives.method("List", "extend")(c, [1], range(10**12)),
    "union": lambda c: natives.method("Set", "union")(c, SglSet([1]), range(10**12)),
    "issubset": lambda c: natives.method("Set", "issubset")(c, SglSet([1]), range(10**12)),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bombs_end_with_limit_exceeded(name: str, assert_bounded: Any) -> None:
    # Budgets a fifth of the defaults: the iterator bombs (zip, enumerate) legitimately run up
    # to the step or collection budget before they stop; the others must fail before any work.
    limits = Limits(steps=1_000_000, collection_len=200_000)
    assert_bounded(lambda: BOMBS[name](RunContext(limits)), seconds=1.0, peak_bytes=30_000_000)


def test_appending_past_the_collection_limit_fails() -> None:
    ctx = RunContext(Limits(collection_len=3))
    xs: list[int] = []
    for i in range(3):
        natives.method("List", "append")(ctx, xs, i)
    with pytest.raises(LimitExceeded):
        natives.method("List", "append")(ctx, xs, 3)


# ---------------------------------------------------------------- native modules


def test_native_module_registration_and_interface() -> None:
    match = natives.native_record("std.test_natives", """
        record Hit:
            text: Str
            at: Int = 0
    """)

    @natives.native("std.test_natives", 'find(pattern: Str, text: Str = "", limit: Int = -1) -> List[Hit]')
    def find(ctx: RunContext, pattern: str, text: str, limit: int) -> list[Any]:
        """Every place `pattern` occurs in `text`."""
        return [pattern, text, limit]

    @natives.native("std.test_natives", "first(xs: List[T], default: T? = None) -> T?")
    def first(ctx: RunContext, xs: list[Any], default: Any) -> Any:
        return xs[0] if xs else default

    iface = natives.native_interface("std.test_natives")
    assert iface is not None and iface.records == {"Hit": match}
    sig = iface.procs["find"]
    assert str(sig) == "find(pattern: Str, text: Str = ..., limit: Int = ...) -> List[Hit]"
    assert sig.doc == "Every place `pattern` occurs in `text`."
    assert iface.procs["first"].returns == T.OptionalT(T.TypeVar("T"))
    fn = natives.NATIVE_MODULES["std.test_natives"].functions["find"]
    assert fn.call(RunContext(), ["a"], {"limit": 3}) == ["a", "", 3]
    assert natives.NATIVE_MODULES["std.test_natives"].record_defaults == {"Hit": {"at": 0}}
    assert natives.native_interface("std.no_such_module") is None
    with pytest.raises(ValueError):
        natives.native("std.test_natives", "find(x: Int) -> Int")(lambda ctx, x: x)
