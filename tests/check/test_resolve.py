"""The resolver: every name bound to the right place, frames dense, scoping as in Python 3."""

from __future__ import annotations

import pytest

from seglam_lang.check.resolve import assigned_names, resolve_module
from seglam_lang.check.scope import Binding, Kind
from seglam_lang.syntax import ast
from seglam_lang.syntax.parser import parse

SOURCE = '''\
use std.text as t
record Item:
    name: Str
    qty: Int = 1
LIMIT = 10
SQ = [i * i for i in range(LIMIT)]
proc f(items: List[Item], k: Int = LIMIT) -> Int:
    total = 0
    for it in items:
        total += it.qty
    ys = sorted(items, key=lambda p: p.qty + k)
    zs = [[a + b for b in range(a)] for a in range(total)]
    w = [x for x in zs]
    v = [x for x in w]
    return total + len(ys) + t.size(w)
example f([]) == 0
example [j for j in SQ] == SQ
'''


def names(tree: ast.Module) -> list[ast.Name]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Name)]


def bindings_at(tree: ast.Module, res, ident: str) -> list[Binding]:
    return [res.bindings[id(n)] for n in names(tree) if n.id == ident]


@pytest.fixture(scope="module")
def resolved():
    tree = parse(SOURCE, "m.sgl")
    res, symbols, diags = resolve_module(tree)
    return tree, res, symbols, diags


def test_clean_module_binds_every_name(resolved) -> None:
    tree, res, _, diags = resolved
    assert diags == []
    assert all(id(n) in res.bindings for n in names(tree))


def test_kinds(resolved) -> None:
    tree, res, _, _ = resolved
    assert {b.kind for b in bindings_at(tree, res, "LIMIT")} == {Kind.GLOBAL}
    assert {b.kind for b in bindings_at(tree, res, "range")} == {Kind.BUILTIN}
    assert {b.kind for b in bindings_at(tree, res, "t")} == {Kind.MODULE}
    assert {b.kind for b in bindings_at(tree, res, "f")} == {Kind.GLOBAL}


def test_params_first_then_locals_then_comprehension_slots(resolved) -> None:
    tree, res, _, _ = resolved
    proc = tree.procs[0]
    fs = res.functions[id(proc)]
    assert fs.slot_names[:2] == ("items", "k")
    assert fs.slot_names[2:7] == ("total", "it", "ys", "zs", "w")
    assert fs.nslots == len(fs.slot_names)
    # each comprehension target gets a slot of its own, even with the same name
    assert fs.slot_names.count("x") == 2
    xs = bindings_at(tree, res, "x")
    assert len({b.index for b in xs}) == 2
    assert all(b.kind is Kind.LOCAL for b in xs)


def test_lambda_reads_enclosing_as_free(resolved) -> None:
    tree, res, _, _ = resolved
    (k,) = [b for b in bindings_at(tree, res, "k")]
    assert k == Binding(Kind.FREE, "k", 1, 1)
    (p,) = bindings_at(tree, res, "p")
    assert p == Binding(Kind.LOCAL, "p", 0, 0)
    lam = next(n for n in ast.walk(tree) if isinstance(n, ast.Lambda))
    assert res.functions[id(lam)].slot_names == ("p",)


def test_expression_roots_have_frames(resolved) -> None:
    tree, res, _, _ = resolved
    const = next(d for d in tree.decls if isinstance(d, ast.ConstDecl) and d.name == "SQ")
    assert res.functions[id(const)].slot_names == ("i",)
    ex = [d for d in tree.decls if isinstance(d, ast.ExampleDecl)]
    assert res.functions[id(ex[1])].slot_names == ("j",)
    assert res.functions[id(ex[0])].nslots == 0
    param_k = tree.procs[0].params[1]
    assert id(param_k) in res.functions


def test_first_comprehension_iterable_is_outer_scope() -> None:
    tree = parse("proc f(x: List[Int]) -> List[Int]:\n    return [x for x in x]\n")
    res, _, diags = resolve_module(tree)
    assert diags == []
    xs = bindings_at(tree, res, "x")
    # element, target: comprehension slot 1; iterable: the parameter, slot 0
    assert [b.index for b in xs] == [1, 1, 0]


@pytest.mark.parametrize(
    ("source", "code", "hint"),
    [
        ("proc f(n: Int) -> Int:\n    return lenght(n)\n", "E0201", None),
        ("proc f(length: Int) -> Int:\n    return lenght\n", "E0201", "did you mean `length`?"),
        ("proc f() -> Int:\n    return 1\nproc f() -> Int:\n    return 2\n", "E0221", None),
        ("proc len(x: Int) -> Int:\n    return x\n", "E0222", None),
        ("record Item:\n    a: Int\n    a: Str\n", "E0221", None),
        ("proc f(a: Int, a: Int) -> Int:\n    return a\n", "E0221", None),
        ("X = 1\nrecord X:\n    a: Int\n", "E0221", None),
    ],
)
def test_resolution_errors(source: str, code: str, hint: str | None) -> None:
    _, _, diags = resolve_module(parse(source))
    assert [d.code for d in diags] == [code]
    if hint:
        assert diags[0].hint == hint


def test_local_shadows_global_everywhere_in_the_function() -> None:
    tree = parse("N = 1\nproc f() -> Int:\n    a = N\n    N = 2\n    return a\n")
    res, _, diags = resolve_module(tree)
    assert diags == []
    # Python: N is local in all of f (reading it first is use-before-assignment, found by the checker)
    assert all(b.kind is Kind.LOCAL for b in bindings_at(tree, res, "N")[0:2])


def test_assigned_names_order() -> None:
    tree = parse("proc f() -> None:\n    a = 1\n    if a:\n        b, c = 1, 2\n    for d in []:\n        a += 1\n")
    assert assigned_names(tree.procs[0].body) == ["a", "b", "c", "d"]
