"""A compiled module: its units by name, and the environment its closures are compiled in.

Owns: `CompiledModule` (the procs, properties, records, constants and examples of one
checked module; how a name, an imported module's member or a record type resolves to
a unit at load; the evaluation of constants and defaults at load).

Invariants: every name is resolved here, at load; compiled code never looks a name up
by string at run time. A `CompiledModule` is filled once by `module_compiler.compile_module`
and not changed after.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from seglam_lang.check import CheckedModule
from seglam_lang.check.scope import Binding, FunctionScope
from seglam_lang.check.types import ANY, FnT, RecordT, Type, TypeVar, UnknownType, from_annotation
from seglam_lang.codes import E_TYPE
from seglam_lang.errors import SglRuntimeError, SglTypeError, source_lines
from seglam_lang.runtime.closures.layout import CTX, Code, run_guarded
from seglam_lang.runtime.closures.units import (
    E_COMPILE,
    ConstCell,
    ExampleCode,
    HostFunction,
    ProcCode,
    RecordCtor,
)
from seglam_lang.runtime.limits import RunContext
from seglam_lang.runtime.tracebacks import Where
from seglam_lang.syntax import ast


class CompiledModule:
    """The units of one checked module, filled by `compile_module`; the environment its
    expression compilers consult (names to units, resolved at load)."""

    def __init__(self, checked: CheckedModule, source: str, file: str, *, natives: Any,
                 imports: Mapping[str, Any], host: Mapping[str, HostFunction]) -> None:
        self.checked = checked
        self.tree = checked.tree
        self.source = source
        self.file = file
        self.natives = natives
        self.imports = imports  # alias -> loaded module (`runtime.embedding.Module`)
        self.host = host
        self.types = checked.types
        self.resolution = checked.resolution
        self._lines = source_lines(source)
        self.records: dict[str, RecordCtor] = {}
        self.procs: dict[str, ProcCode] = {}
        self.properties: dict[str, ProcCode] = {}
        self.consts: dict[str, ConstCell] = {}
        self.examples: list[ExampleCode] = []
        self.record_types = self._record_types()

    # ---- the environment of the expression compilers

    def binding(self, node: ast.Name) -> Binding:
        try:
            return self.resolution.bindings[id(node)]
        except KeyError:
            raise SglTypeError(f"unresolved name `{node.id}`", code=E_COMPILE, span=node.span,
                               file=self.file) from None

    def function_scope(self, node: object) -> FunctionScope:
        return self.resolution.functions[id(node)]

    def source_text(self, node: Any) -> str:
        s = node.span
        if s.line < 1 or s.line > len(self._lines):
            return "<condition>"
        if s.end_line == s.line:
            return self._lines[s.line - 1][s.col - 1:s.end_col - 1]
        first = self._lines[s.line - 1][s.col - 1:]
        rest = [ln.strip() for ln in self._lines[s.line:s.end_line - 1]]
        last = self._lines[s.end_line - 1][:s.end_col - 1].strip() if s.end_line <= len(self._lines) else ""
        return " ".join([first, *rest, last])

    def global_callable(self, name: str) -> Any:
        if name in self.procs:
            return self.procs[name]
        if name in self.records:
            return self.records[name]
        if name in self.host:
            return self.host[name]
        return None  # a constant: called as a function value

    def global_value(self, name: str, where: Where) -> Code:
        if name in self.consts:
            return self.consts[name].reader()
        target = self.global_callable(name)
        if target is None:
            raise SglTypeError(f"unknown global `{name}`", code=E_COMPILE, span=where.span, file=self.file)
        if isinstance(target, RecordCtor):
            raise SglTypeError(f"record `{name}` used as a value", code=E_COMPILE, span=where.span, file=self.file,
                               hint=f"build one with `{name}(field=...)`")
        return lambda f: target.as_value(f[CTX])

    def _imported(self, alias: str) -> Any:
        return self.imports[alias]

    def module_member_callable(self, alias: str, attr: str, where: Where) -> Any:
        target = self._imported(alias).member(attr)
        if target is None:
            raise SglTypeError(f"module `{alias}` has no `{attr}`", code=E_COMPILE, span=where.span, file=self.file)
        return target

    def module_member_value(self, alias: str, attr: str, where: Where, t: Type | None = None) -> Code:
        target = self.module_member_callable(alias, attr, where)
        if isinstance(target, ConstCell):
            return target.reader()
        if isinstance(target, ProcCode):
            return lambda f: target.as_value(f[CTX])
        if not isinstance(target, RecordCtor):  # a native function
            fn = target.fn
            if target.typed:  # as a value its result type is the function type's, when the checker fixed it
                ret = t.ret if isinstance(t, FnT) else None
                if ret is None or isinstance(ret, TypeVar):
                    return lambda f: _untyped_value(alias, attr)
                declared = self.declared(ret)
                return lambda f: (lambda *a, _ctx=f[CTX]: fn(_ctx, declared(_ctx), *a))
            return lambda f: (lambda *a, _ctx=f[CTX]: fn(_ctx, *a))
        raise SglTypeError(f"`{alias}.{attr}` cannot be used as a value", code=E_COMPILE, span=where.span,
                           file=self.file)

    def declared(self, t: Type | None) -> Callable[[RunContext], Any]:
        """The `Declared` result type a typed native receives, for a run (defaults need its context)."""
        from seglam_lang.runtime.natives import Declared

        t = ANY if t is None or isinstance(t, TypeVar) else t

        def record_defaults(ctx: RunContext) -> Callable[[RecordT], Mapping[str, Any]]:
            def defaults(rt: RecordT) -> Mapping[str, Any]:
                ctor = self._record_ctor(rt)
                return {n: c.get(ctx) for n, c in ctor.defaults.items()} if ctor is not None else {}
            return defaults

        return lambda ctx: Declared(t, record_defaults(ctx))

    def _record_ctor(self, rt: RecordT) -> RecordCtor | None:
        """The constructor of record type `rt`: this module's, or an imported module's."""
        if rt.name in self.records and self.records[rt.name].type == rt:
            return self.records[rt.name]
        for mod in self.imports.values():
            member = mod.member(rt.name) if hasattr(mod, "member") else None
            if isinstance(member, RecordCtor) and member.type == rt:
                return member
        return None

    # ---- records and types

    def _record_types(self) -> dict[str, RecordT]:
        known = dict(self.checked.interface.records)
        decls = [d for d in self.tree.decls if isinstance(d, ast.RecordDecl)]
        if all(d.name in known for d in decls):
            return known
        # The checker did not export them (an older checker): build them from the declarations.
        from seglam_lang.check.types import FieldSig

        for d in decls:
            known.setdefault(d.name, RecordT(d.name, self.checked.name, ()))
        for d in decls:
            fields = tuple(FieldSig(f.name, self._annotation(f.type, known), f.default is not None) for f in d.fields)
            known[d.name] = RecordT(d.name, self.checked.name, fields)
        return known

    def _annotation(self, t: ast.TypeName, records: Mapping[str, RecordT]) -> Type | None:
        try:
            return from_annotation(t, records)
        except UnknownType:
            return None

    def param_types(self, params: tuple[ast.Param, ...]) -> list[Type | None]:
        return [self._annotation(p.type, self.record_types) for p in params]

    def evaluate_constants(self, ctx: RunContext) -> None:
        """Evaluate, in declaration order, every constant and default (once, at load)."""
        for d in self.tree.decls:
            cells: list[ConstCell] = []
            if isinstance(d, ast.ConstDecl):
                cells = [self.consts[d.name]]
            elif isinstance(d, ast.RecordDecl):
                cells = list(self.records[d.name].defaults.values())
            elif isinstance(d, ast.ProcDecl):
                cells = list(self.procs[d.name].defaults.values())
            elif isinstance(d, ast.PropertyDecl):
                cells = list(self.properties[d.name].defaults.values())
            for cell in cells:
                run_guarded(lambda c=cell: c.get(ctx), cell.where)


def _untyped_value(alias: str, attr: str) -> Callable[..., Any]:
    """`json.parse` as a function value whose result type is open: it cannot know what to read."""
    def call(*args: Any) -> Any:
        raise SglRuntimeError(f"`{alias}.{attr}` given as a function value does not know the type to read",
                              code=E_TYPE, hint=f"call it where its result is declared: `x: T = {alias}.{attr}(...)`")
    return call
