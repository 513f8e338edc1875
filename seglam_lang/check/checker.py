"""The SGL type checker (work in progress: resolution and module interface)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from seglam_lang.check import CheckedModule
from seglam_lang.check.resolve import resolve_module
from seglam_lang.check.types import ModuleInterface, ProcSig, Type
from seglam_lang.errors import Diagnostic
from seglam_lang.syntax import ast


class Checker:
    def __init__(self, tree: ast.Module, *, name: str, imports: Callable[[ast.Use], ModuleInterface | None],
                 host: Mapping[str, ProcSig]) -> None:
        self.tree = tree
        self.name = name
        self.imports = imports
        self.host = host
        self.file = tree.file
        self.diagnostics: list[Diagnostic] = []
        self.types: dict[int, Type] = {}

    def run(self) -> CheckedModule:
        resolution, _symbols, diags = resolve_module(self.tree, host_names=self.host, file=self.file)
        self.diagnostics.extend(diags)
        interface = ModuleInterface(self.name, {}, {}, {})
        self.diagnostics.sort(key=lambda d: (d.span.line, d.span.col))
        return CheckedModule(self.tree, self.name, interface, resolution, self.types, self.diagnostics)
