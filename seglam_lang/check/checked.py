"""The result of checking a module: `CheckedModule` (tree, interface, bindings, types, diagnostics).

Invariant: a `CheckedModule` with no error diagnostics is safe to compile and run: every
name has a binding and every expression a type.
"""

from __future__ import annotations

from seglam_lang.check.scope import Resolution
from seglam_lang.check.types import ModuleInterface, Type
from seglam_lang.errors import Diagnostic, SglTypeError
from seglam_lang.frozen import define
from seglam_lang.syntax import ast


@define
class CheckedModule:
    tree: ast.Module
    name: str
    interface: ModuleInterface
    resolution: Resolution
    types: dict[int, Type]
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def raise_for_errors(self) -> None:
        errors = self.errors
        if errors:
            raise SglTypeError(diagnostics=errors)
