"""The import structure of `seglam_lang`: no cycles between modules, and layers that only point down.

Read from the source with `ast` (nothing is imported): every `import` and `from ... import`
of a `seglam_lang` module, at module level or inside a function, is an edge. `from P import n`
is an edge to `P.n` when that is a module, else to `P`.

Layers, lowest first: the base (`errors`, `codes`, `frozen`, `privatedir`, `settings`), then syntax < check < runtime <
verify < cache < compilers < cli < tooling; the package root (`seglam_lang/__init__.py`, the
public facade) is above them all and imported by none. A module may import its own layer and
those below it. Imports under `if TYPE_CHECKING:` count for layering (they say what a module
knows about) but not for cycles (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "seglam_lang"
LAYERS = ("syntax", "check", "runtime", "verify", "cache", "compilers", "cli", "tooling")
BASE = ("errors", "codes", "frozen", "privatedir", "settings")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer(module: str) -> int:
    """0 for the base, 1.. for the layers in order, above all of them for the package root."""
    parts = module.split(".")
    if len(parts) == 1:
        return len(LAYERS) + 1
    if parts[1] in LAYERS:
        return LAYERS.index(parts[1]) + 1
    assert parts[1] in BASE, f"{module}: a module of no layer (add it to a layer package or to BASE)"
    return 0


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(module: str) -> list[tuple[str, int, bool]]:
    """(imported seglam_lang module, line, only under TYPE_CHECKING) for every import in `module`."""
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    out: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, typing_only)
            return
        if isinstance(node, ast.Import):
            out.extend((a.name, node.lineno, typing_only) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for a in node.names:
                sub = f"{source}.{a.name}"
                out.append((sub if sub in MODULES else source, node.lineno, typing_only))
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return [(m, line, t) for m, line, t in out if m == "seglam_lang" or m.startswith("seglam_lang.")]


GRAPH = {m: imports(m) for m in MODULES}


def test_every_import_names_a_module_of_the_package() -> None:
    missing = [f"{m}:{line}: {t}" for m, edges in GRAPH.items() for t, line, _ in edges if t not in MODULES]
    assert not missing, "imports of no module:\n" + "\n".join(missing)


def test_imports_point_down() -> None:
    upward = [f"{MODULES[m].relative_to(PACKAGE.parent)}:{line}: {m} (layer {layer(m)}) imports {t} (layer {layer(t)})"
              for m, edges in GRAPH.items() for t, line, _ in edges if layer(t) > layer(m)]
    assert not upward, "imports from a lower layer into a higher one:\n" + "\n".join(upward)


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One cycle of `graph` (as a path that ends where it starts), or None (iterative DFS)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(graph):
        if root in state:
            continue
        path = [root]
        stack = [iter(sorted(graph[root]))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_no_import_cycles() -> None:
    runtime_edges = {m: sorted({t for t, _, typing_only in edges if not typing_only and t != m})
                     for m, edges in GRAPH.items()}
    cycle = find_cycle(runtime_edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(("graph", "has_cycle"), [
    ({"a": ["b"], "b": ["c"], "c": []}, False),
    ({"a": ["b"], "b": ["c"], "c": ["a"]}, True),
    ({"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}, False),
    ({"a": ["a"]}, True),
])
def test_cycle_finder(graph: dict[str, list[str]], has_cycle: bool) -> None:
    assert (find_cycle(graph) is not None) == has_cycle


def test_layer_of_names() -> None:
    assert layer("seglam_lang.errors") == 0
    assert layer("seglam_lang.syntax.ast") < layer("seglam_lang.check.checker") < layer("seglam_lang.runtime.ops")
    assert layer("seglam_lang.cli.main") < layer("seglam_lang.tooling.lsp_server") < layer("seglam_lang")
