"""A checked module to runnable code: the one walk over its declarations, at load.

Owns: `compile_module` (shells for every record, proc and property first, so that calls
compile before their callees' bodies and recursion works; then constants, defaults,
bodies and examples) and the compilation of one expression root (a constant, a default)
into a `ConstCell`.

Invariants: the checked tree is walked once; the result (`CompiledModule`) is not changed
after this returns, so one module can run in many threads at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seglam_lang.check import CheckedModule
from seglam_lang.runtime import ops
from seglam_lang.runtime.closures.compiled import CompiledModule
from seglam_lang.runtime.closures.expr import ExprCompiler
from seglam_lang.runtime.closures.layout import guard
from seglam_lang.runtime.closures.stmt import StmtCompiler
from seglam_lang.runtime.closures.units import ConstCell, ExampleCode, HostFunction, ProcCode, RecordCtor, body_mutates
from seglam_lang.syntax import ast


def compile_module(checked: CheckedModule, source: str, file: str, *, natives: Any, imports: Mapping[str, Any],
                   host: Mapping[str, HostFunction]) -> CompiledModule:
    """Compile every declaration of a checked (error-free) module."""
    mod = CompiledModule(checked, source, file, natives=natives, imports=imports, host=host)
    decls = mod.tree.decls
    # 1. shells, so that calls compile before their callees' bodies (recursion)
    for d in decls:
        if isinstance(d, ast.RecordDecl):
            mod.records[d.name] = RecordCtor(mod.record_types[d.name], d)
        elif isinstance(d, ast.ProcDecl | ast.PropertyDecl):
            scope = mod.function_scope(d)
            unit = ProcCode(d.name, file, d.params, scope.nslots, mod.param_types(d.params),
                            body_mutates(d.body, mod.types))
            (mod.procs if isinstance(d, ast.ProcDecl) else mod.properties)[d.name] = unit
    for d in decls:
        if isinstance(d, ast.ConstDecl):
            mod.consts[d.name] = _expression_root(mod, d, d.name, d.value)
    # 2. defaults and bodies
    for d in decls:
        if isinstance(d, ast.RecordDecl):
            ctor = mod.records[d.name]
            for fld in d.fields:
                if fld.default is not None:
                    ctor.defaults[fld.name] = _expression_root(mod, fld, f"{d.name}.{fld.name}", fld.default)
        elif isinstance(d, ast.ProcDecl | ast.PropertyDecl):
            unit = (mod.procs if isinstance(d, ast.ProcDecl) else mod.properties)[d.name]
            for p in d.params:
                if p.default is not None:
                    unit.defaults[p.name] = _expression_root(mod, p, f"{d.name}.{p.name}", p.default)
            name = d.name if isinstance(d, ast.ProcDecl) else f"property {d.name}"
            unit.body = StmtCompiler(ExprCompiler(mod, name)).block(d.body)
        elif isinstance(d, ast.ExampleDecl):
            mod.examples.append(_example(mod, d))
    return mod


def _expression_root(mod: CompiledModule, key: object, name: str, expr: Any) -> ConstCell:
    xc = ExprCompiler(mod, name)
    scope = mod.resolution.functions.get(id(key))
    return ConstCell(name, xc.expr(expr), scope.nslots if scope else 0, xc.where(expr))


def _example(mod: CompiledModule, d: ast.ExampleDecl) -> ExampleCode:
    xc = ExprCompiler(mod, f"example@{d.span.line}")
    scope = mod.resolution.functions.get(id(d))
    nslots = scope.nslots if scope else 0
    e = d.expr
    if isinstance(e, ast.Compare) and len(e.ops) == 1:
        left, right = xc.expr(e.left), xc.expr(e.comparators[0])
        test = ops.COMPARE[e.ops[0]]
        where = xc.where(e)
        return ExampleCode(d, nslots, guard(left, where), e.ops[0], test, guard(right, where))
    return ExampleCode(d, nslots, xc.expr(e), None, None, None)
