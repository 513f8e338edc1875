"""A checked module to runnable code: the one walk over its declarations, at load.

Owns: `compile_module`: shells for every record, proc and property and an empty
`ConstCell` for every constant and default first, so that every reference compiles before
what it names is compiled (calls before their callees' bodies, recursion, a constant built
with a record's default field); then the cells' expressions, bodies and examples.

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
    # 1. shells: every record, proc and property, and the cell of every constant and default,
    # so that any expression compiles before the ones it names (a call to a proc compiles
    # before its body; a constant `Point(x=0)` before the default of `y`, which may itself
    # name a constant). Cells are evaluated lazily, in the order runs need them.
    roots: list[tuple[ConstCell, object, Any]] = []

    def cell(key: object, name: str, expr: Any) -> ConstCell:
        c = ConstCell(name)
        roots.append((c, key, expr))
        return c

    for d in decls:
        if isinstance(d, ast.RecordDecl):
            ctor = mod.records[d.name] = RecordCtor(mod.record_types[d.name], d)
            for fld in d.fields:
                if fld.default is not None:
                    ctor.defaults[fld.name] = cell(fld, f"{d.name}.{fld.name}", fld.default)
        elif isinstance(d, ast.ProcDecl | ast.PropertyDecl):
            scope = mod.function_scope(d)
            unit = ProcCode(d.name, file, d.params, scope.nslots, mod.param_types(d.params),
                            body_mutates(d.body, mod.types))
            (mod.procs if isinstance(d, ast.ProcDecl) else mod.properties)[d.name] = unit
            for p in d.params:
                if p.default is not None:
                    unit.defaults[p.name] = cell(p, f"{d.name}.{p.name}", p.default)
        elif isinstance(d, ast.ConstDecl):
            mod.consts[d.name] = cell(d, d.name, d.value)
    # 2. the expressions of the cells, then bodies and examples
    for c, key, expr in roots:
        xc = ExprCompiler(mod, c.name)
        scope = mod.resolution.functions.get(id(key))
        c.define(xc.expr(expr), scope.nslots if scope else 0, xc.where(expr))
    for d in decls:
        if isinstance(d, ast.ProcDecl | ast.PropertyDecl):
            unit = (mod.procs if isinstance(d, ast.ProcDecl) else mod.properties)[d.name]
            name = d.name if isinstance(d, ast.ProcDecl) else f"property {d.name}"
            unit.body = StmtCompiler(ExprCompiler(mod, name)).block(d.body)
        elif isinstance(d, ast.ExampleDecl):
            mod.examples.append(_example(mod, d))
    return mod


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
