"""The SGL checker: names resolved to slots, types checked, static rules enforced.

Owns the public contract of this layer:

    check_module(tree, *, name, imports=lambda use: None, host={}) -> CheckedModule

`CheckedModule.types[id(expr)]` is the type of every expression node of `tree` (after
inference: no open element types remain); `CheckedModule.resolution` binds every name
(see `seglam_lang.check.scope`); `CheckedModule.diagnostics` lists every problem found,
ordered by position. A module with error diagnostics must not be run:
`raise_for_errors()` raises `SglTypeError` carrying all of them.

Invariant: `check_module` never raises on a tree the parser produced; every problem is a
diagnostic (codes E02xx, registered with their meanings in `seglam_lang.codes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from seglam_lang.check.checked import CheckedModule
from seglam_lang.check.types import ModuleInterface, ProcSig
from seglam_lang.syntax import ast


def _no_imports(use: ast.Use) -> ModuleInterface | None:
    return None


def check_module(
    tree: ast.Module,
    *,
    name: str,
    imports: Callable[[ast.Use], ModuleInterface | None] = _no_imports,
    host: Mapping[str, ProcSig] | None = None,
) -> CheckedModule:
    """Resolve and type-check `tree`; never raises on a parsed tree (problems are diagnostics)."""
    from seglam_lang.check.checker import Checker

    return Checker(tree, name=name, imports=imports, host=host or {}).run()


__all__ = ["CheckedModule", "check_module"]
