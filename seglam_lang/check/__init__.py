"""The check layer: names resolved to slots, types checked, static rules enforced.

Owns the public contract of this layer:

    check_module(tree, *, name, imports=lambda use: None, host={}) -> CheckedModule

`CheckedModule.types[id(expr)]` is the type of every expression node of `tree` (after
inference: no open element types remain); `CheckedModule.resolution` binds every name
(see `seglam_lang.check.scope`); `CheckedModule.diagnostics` lists every problem found,
ordered by position. A module with error diagnostics must not be run:
`raise_for_errors()` raises `SglTypeError` carrying all of them.

Modules, in the order they build on each other:
- the model: `types` (the SGL type model every layer above reads), `scope` (where a name
  lives at run time), `checked` (`CheckedModule`), `builtins` (the built-in functions,
  methods and fields, as data), `regex` (RE2 compiled quietly: the one place SGL compiles a
  pattern), `triggers` (what a valid `@when` trigger is: the one rule, which the cache calls);
- the passes: `resolve` (names to bindings and slot layouts), `unify` (open types, joins),
  `hints` (did-you-mean and fix hints), `context` (`CheckContext`: the state one check shares:
  function contexts, flow states, the module's symbols, reporting; and the `ExprTyping`
  interface), `calls` (`CallChecker`) and `exprs` (`ExprChecker`), composed by `checker`
  (`Checker`: declarations, statements, control flow; the driver of `check_module`).
  The checkers are separate objects that share one `CheckContext` and call each other
  through explicit interfaces; none inherits from another.

Invariants: the layer imports only the base modules and `syntax`; `check_module` never
raises on a tree the parser produced: every problem is a diagnostic (codes E02xx,
registered with their meanings in `seglam_lang.codes`); the result is immutable once
returned, so a checked module may be shared by every run and thread.
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
