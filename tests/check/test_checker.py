"""Checker behaviour beyond the corpora: inferred types, rendering, the code table, built-in data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from check_support import CASES

import seglam_lang.check.checker as checker_module
import seglam_lang.codes as codes
from seglam_lang.check import check_module
from seglam_lang.check.builtins import BUILTIN_FUNCTIONS, METHODS, MUTATING_METHODS
from seglam_lang.check.calls import CallChecker
from seglam_lang.check.types import BOOL, FLOAT, INT, STR, ListT, MapT, OptionalT, SetT, TupleT
from seglam_lang.errors import SglTypeError
from seglam_lang.syntax import ast
from seglam_lang.syntax.parser import parse


def check(source: str):
    return check_module(parse(source, "t.sgl"), name="t")


def type_of_return(source: str):
    """The type the checker gave the value of the last `return` in the source."""
    checked = check(source)
    assert checked.diagnostics == [], [d.headline() for d in checked.diagnostics]
    ret = [n for n in ast.walk(checked.tree) if isinstance(n, ast.Return)][-1]
    return checked.types[id(ret.value)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("xs = []\n    xs.append(1)\n    return xs", ListT(INT)),
        ("m = {}\n    m['a'] = m.get('a', 0) + 1\n    return m", MapT(STR, INT)),
        ("s = set()\n    s.add(2.5)\n    return s", SetT(FLOAT)),
        ("x = None\n    x = 'a'\n    return x", STR),
        ("return [i * 2 for i in range(3)]", ListT(INT)),
        ("return {k: len(k) for k in ['a']}", MapT(STR, INT)),
        ("return (1, 'a')[1]", STR),
        ("return sorted({'b': 1}.items(), key=lambda kv: kv[1])", ListT(TupleT((STR, INT)))),
        ("return 7 / 2", FLOAT),
        ("return 7 // 2", INT),
        ("return 1 if True else None", OptionalT(INT)),
        ("return [1, 2.5]", ListT(FLOAT)),
        ("return 'a' in 'abc'", BOOL),
        ("return max([1, 2], default=None)", OptionalT(INT)),
    ],
)
def test_inferred_types(body: str, expected) -> None:
    source = f"proc f() -> Any:\n    {body}\n"
    # `Any` is not a type users can write; use the checker on the body with a matching annotation instead.
    source = source.replace("-> Any", f"-> {expected}")
    assert type_of_return(source) == expected


def test_types_hold_no_open_holes() -> None:
    checked = check("proc f() -> Int:\n    xs = []\n    return len(xs)\n")
    assert all(type(t).__name__ != "Hole" for t in checked.types.values())


def test_every_name_node_has_a_type_or_is_a_callee() -> None:
    checked = check("proc f(xs: List[Int]) -> Int:\n    t = 0\n    for x in xs:\n        t += x\n    return t\n")
    names = [n for n in ast.walk(checked.tree) if isinstance(n, ast.Name)]
    assert all(id(n) in checked.types for n in names)


def test_render_has_caret_under_span_and_hint() -> None:
    source = "proc f(length: Int) -> Int:\n    return lenght + 1\n"
    checked = check(source)
    (d,) = checked.diagnostics
    text = d.render(source)
    lines = text.splitlines()
    assert lines[0] == "t.sgl:2:12: error[E0201]: unknown name `lenght`"
    assert lines[1].endswith("return lenght + 1")
    caret_col = lines[2].index("^")
    assert lines[1][caret_col:caret_col + 6] == "lenght"
    assert lines[2].count("^") == len("lenght")
    assert lines[3].strip() == "= hint: did you mean `length`?"


def test_raise_for_errors_carries_every_error() -> None:
    checked = check("proc f() -> Int:\n    a = undefined_one\n    return undefined_two\n")
    with pytest.raises(SglTypeError) as info:
        checked.raise_for_errors()
    assert [d.span.line for d in info.value.diagnostics] == [2, 3]


def test_independent_errors_are_all_reported_in_order() -> None:
    source = "proc f(x: Int) -> Str:\n    y = x + 'a'\n    z = nope\n    return x\n"
    got = [(d.span.line, d.code) for d in check(source).diagnostics]
    assert got == [(2, "E0211"), (3, "E0201"), (4, "E0216")]


def test_every_code_is_exercised_by_the_corpus() -> None:
    used_codes = {code for case in CASES for _, code in case.line_errors}
    assert check_codes() - used_codes == set()


def check_codes() -> set[str]:
    """The codes the checker raises: the registry names its modules use."""
    check_dir = Path(checker_module.__file__).parent
    text = "\n".join(p.read_text(encoding="utf-8") for p in check_dir.glob("*.py"))
    return {v for k, v in vars(codes).items() if re.fullmatch(r"E_[A-Z0-9_]+", k) and re.search(rf"\b{k}\b", text)}


def test_every_builtin_function_is_typed() -> None:
    for name in BUILTIN_FUNCTIONS:
        assert callable(getattr(CallChecker, "b_" + name, None)), name


def test_mutating_methods_are_methods() -> None:
    for tname, names in MUTATING_METHODS.items():
        assert names <= set(METHODS[tname]), tname


def test_no_python_only_methods_allowed() -> None:
    assert "format" not in METHODS["Str"] and "encode" not in METHODS["Str"]
    assert all(not m.startswith("_") for table in METHODS.values() for m in table)


def test_host_functions_are_global_names() -> None:
    from seglam_lang.check.types import ParamSig, ProcSig

    host = {"fetch_rate": ProcSig("fetch_rate", (ParamSig("code", STR),), FLOAT)}
    checked = check_module(parse("proc f() -> Float:\n    return fetch_rate('EUR') * 2\n"), name="t", host=host)
    assert checked.diagnostics == []
    bad = check_module(parse("proc f() -> Float:\n    return fetch_rate(1)\n"), name="t", host=host)
    assert [d.code for d in bad.diagnostics] == ["E0210"]
