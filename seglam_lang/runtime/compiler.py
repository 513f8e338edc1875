"""A checked module to runnable code: procs, records, constants, examples and properties as closures.

Owns: `compile_module` (walk the checked tree once, at load), the compiled units
(`ProcCode` for procs and properties, `RecordCtor`, `ConstCell`, `HostFunction`,
`ExampleCode`) and the calling convention between them.

Calling convention: a call binds its arguments to the callee's parameter slots at load
(keywords and defaults resolved then), builds the callee's frame
`[args..., other slots..., ret, parent, ctx]`, charges one step, checks the depth, runs the
body and reads `ret`. Defaults are evaluated once, at load, in declaration order (as
Python evaluates them at `def`), and frozen. A proc whose body mutates anything (a
mutating method, an item assignment, an augmented assignment of a collection) deep-copies
its list/map/set arguments on entry, through tuples, optionals and records, so a caller
never sees its argument change.

Module constants are evaluated once at load, in order, and frozen; a constant needed
earlier (by a default, or by a proc a constant calls) is evaluated on first use, and a
cycle is an error.

Invariants: the compiled closures are immutable after load and hold no run state (that
is in the frame and the `RunContext`), so one module can run in many threads at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from seglam_lang.check import CheckedModule
from seglam_lang.check.builtins import MUTATING_METHODS
from seglam_lang.check.scope import Binding, FunctionScope
from seglam_lang.check.types import (
    ANY,
    FLOAT,
    INT,
    FnT,
    ListT,
    MapT,
    OptionalT,
    ProcSig,
    RecordT,
    SetT,
    TupleT,
    Type,
    TypeVar,
    UnknownType,
    from_annotation,
)
from seglam_lang.codes import E_CONST_CYCLE, E_HOST, E_NOT_CALLABLE, E_TYPE, E_USAGE
from seglam_lang.errors import SglRuntimeError, SglTypeError, SglUsageError, source_lines
from seglam_lang.runtime import cost, values
from seglam_lang.runtime.compile_expr import CTX, EXTRA, RET, Code, ExprCompiler, _guard, const
from seglam_lang.runtime.compile_stmt import StmtCompiler
from seglam_lang.runtime.tracebacks import PY_ERRORS, Where, convert, leaving, locate
from seglam_lang.runtime.limits import RunContext
from seglam_lang.syntax import ast

_ALL_MUTATING = frozenset().union(*MUTATING_METHODS.values())
_UNSET = object()
E_COMPILE = E_NOT_CALLABLE  # a name the checker let through that compiles to no value


class FunctionCompiler(ExprCompiler, StmtCompiler):
    """Compiles the nodes of one function-like unit (proc, property, lambda, expression root)."""

    def __init__(self, module: ModuleCompiler, fn_name: str) -> None:
        self.module = module
        self.fn_name = fn_name

    def sub_compiler(self, fn_name: str) -> FunctionCompiler:
        return FunctionCompiler(self.module, fn_name)

    def internal(self, node: Any, message: str) -> SglTypeError:
        return SglTypeError(message, code=E_COMPILE, span=node.span, file=self.module.file)


# ---------------------------------------------------------------------- compiled units


class ConstCell:
    """A module-level value computed once at load (a constant, a default): `get(ctx)`."""

    __slots__ = ("code", "evaluating", "name", "nslots", "value", "where")

    def __init__(self, name: str, code: Code, nslots: int, where: Where) -> None:
        self.name = name
        self.code = code
        self.nslots = nslots
        self.where = where
        self.value: Any = _UNSET
        self.evaluating = False

    def get(self, ctx: RunContext) -> Any:
        if self.value is not _UNSET:
            return self.value
        if self.evaluating:
            raise SglRuntimeError(f"`{self.name}` is defined in terms of itself", code=E_CONST_CYCLE,
                                  span=self.where.span, file=self.where.file, frames=[self.where.frame()])
        self.evaluating = True
        try:
            frame: list[Any] = [None] * (self.nslots + EXTRA)
            frame[CTX] = ctx
            self.value = values.freeze(self.code(frame))
        finally:
            self.evaluating = False
        return self.value

    def reader(self) -> Code:
        def read(f: list) -> Any:
            v = self.value
            if v is _UNSET:
                return self.get(f[CTX])
            return v

        return read


class FixedCell:
    """A default known without evaluation (native records' literal defaults)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def get(self, ctx: RunContext) -> Any:
        return self.value

    def reader(self) -> Code:
        return const(self.value)


def _bind(what: str, names: list[str], has_default: list[bool], args: list[Code], kwargs: Mapping[str, Code],
          defaults: Mapping[str, Any], where: Where) -> list[Code]:
    """Arguments of a call to one code per parameter (keywords and defaults resolved at load)."""
    def error(msg: str) -> SglTypeError:
        return SglTypeError(msg, code=E_COMPILE, span=where.span, file=where.file)

    if len(args) > len(names):
        raise error(f"{what} takes {len(names)} argument(s), {len(args)} given")
    out: list[Code | None] = [*args, *([None] * (len(names) - len(args)))]
    for k, code in kwargs.items():
        if k not in names:
            raise error(f"{what} has no parameter `{k}`")
        i = names.index(k)
        if out[i] is not None:
            raise error(f"{what} got two values for `{k}`")
        out[i] = code
    for i, c in enumerate(out):
        if c is None:
            if not has_default[i]:
                raise error(f"{what} is missing the argument `{names[i]}`")
            out[i] = defaults[names[i]].reader()
    return out  # type: ignore[return-value]


class ProcCode:
    """A compiled proc or property: parameters in slots 0..n-1, a body, defaults, copiers."""

    def __init__(self, name: str, file: str, params: tuple[ast.Param, ...], nslots: int,
                 param_types: list[Type | None], mutates: bool) -> None:
        self.name = name
        self.file = file
        self.params = params
        self.names = [p.name for p in params]
        self.has_default = [p.default is not None for p in params]
        self.nslots = nslots
        self.body: Callable[[list], Any] = lambda f: None
        self.defaults: dict[str, ConstCell] = {}
        copiers = [copier(t) if mutates else None for t in param_types]
        # (slot, copy, weigher): a copy pays for the items it copies before it is made
        self.copiers = [(i, c, cost.weigher(t)) for i, (c, t) in enumerate(zip(copiers, param_types)) if c is not None]
        self.pad_len = nslots - len(params) + 2  # other slots, ret, parent (ctx is added per call)

    def bind_codes(self, args: list[Code], kwargs: Mapping[str, Code], where: Where) -> list[Code]:
        return _bind(f"`{self.name}`", self.names, self.has_default, args, kwargs, self.defaults, where)

    def bind_values(self, args: list[Any], kwargs: Mapping[str, Any], ctx: RunContext) -> list[Any]:
        """Positional and keyword SGL values to one value per parameter (for the embedding API)."""
        if len(args) > len(self.names):
            raise SglUsageError(f"`{self.name}` takes {len(self.names)} argument(s), {len(args)} given", code=E_USAGE)
        out = [*args, *([_UNSET] * (len(self.names) - len(args)))]
        for k, v in kwargs.items():
            if k not in self.names:
                raise SglUsageError(f"`{self.name}` has no parameter `{k}`", code=E_USAGE)
            i = self.names.index(k)
            if out[i] is not _UNSET:
                raise SglUsageError(f"`{self.name}` got two values for `{k}`", code=E_USAGE)
            out[i] = v
        for i, v in enumerate(out):
            if v is _UNSET:
                if not self.has_default[i]:
                    raise SglUsageError(f"`{self.name}` is missing the argument `{self.names[i]}`", code=E_USAGE)
                out[i] = self.defaults[self.names[i]].get(ctx)
        return out

    def run(self, ctx: RunContext, args: list[Any]) -> Any:
        """Run with already bound SGL values (one per parameter); the top-level entry."""
        frame = [*args, *([None] * self.pad_len), ctx]
        copy_arguments(ctx, frame, self.copiers)
        d = ctx.depth + 1
        if d > ctx.max_depth:
            raise ctx.out_of_depth()
        ctx.depth = d
        ctx.charge(1)
        self.body(frame)
        ctx.depth = d - 1
        return frame[RET]

    def as_value(self, ctx: RunContext) -> Callable[..., Any]:
        """The proc as a function value (`key=by_name`): positional arguments only."""
        def call(*args: Any) -> Any:
            if len(args) > len(self.names):
                raise SglRuntimeError(f"`{self.name}` takes {len(self.names)} argument(s), {len(args)} given",
                                      code=E_TYPE)
            full = list(args) + [self.defaults[n].get(ctx) for n in self.names[len(args):]]
            ctx.reenter()  # a function value is called by natives: count the C stack it may hold
            try:
                result = self.run(ctx, full)
            except SglRuntimeError as e:
                leaving(e)
                raise
            ctx.leave()
            return result

        return call

    def call_code(self, codes: list[Code], where: Where) -> Code:
        """The closure of a call site: evaluate arguments, enter, run, return."""
        proc = self
        pad = [None] * self.pad_len
        n = len(codes)

        def enter(ctx: RunContext, frame: list) -> Any:
            d = ctx.depth + 1
            if d > ctx.max_depth:
                raise ctx.out_of_depth()
            ctx.depth = d
            s = ctx.steps_left - 1
            ctx.steps_left = s
            if s <= ctx.checkpoint:
                ctx.tick()
            proc.body(frame)
            ctx.depth = d - 1
            return frame[RET]

        if self.copiers:
            copiers = self.copiers

            def call_copy(f: list) -> Any:
                ctx = f[CTX]
                frame = [*[c(f) for c in codes], *pad, ctx]
                try:
                    copy_arguments(ctx, frame, copiers)
                    return enter(ctx, frame)
                except SglRuntimeError as e:
                    _at_call_site(e, where)
                    raise

            return call_copy
        # The common shapes, unrolled: this is the hottest path of recursive code.
        if n == 1:
            (a,) = codes

            def call1(f: list) -> Any:
                ctx = f[CTX]
                frame = [a(f), *pad, ctx]
                d = ctx.depth + 1
                if d > ctx.max_depth:
                    raise _located(ctx.out_of_depth(), where)
                ctx.depth = d
                s = ctx.steps_left - 1
                ctx.steps_left = s
                try:
                    if s <= ctx.checkpoint:
                        ctx.tick()
                    proc.body(frame)
                except SglRuntimeError as e:
                    _at_call_site(e, where)
                    raise
                ctx.depth = d - 1
                return frame[RET]

            return call1
        if n == 2:
            a, b = codes

            def call2(f: list) -> Any:
                ctx = f[CTX]
                frame = [a(f), b(f), *pad, ctx]
                d = ctx.depth + 1
                if d > ctx.max_depth:
                    raise _located(ctx.out_of_depth(), where)
                ctx.depth = d
                s = ctx.steps_left - 1
                ctx.steps_left = s
                try:
                    if s <= ctx.checkpoint:
                        ctx.tick()
                    proc.body(frame)
                except SglRuntimeError as e:
                    _at_call_site(e, where)
                    raise
                ctx.depth = d - 1
                return frame[RET]

            return call2

        def call(f: list) -> Any:
            ctx = f[CTX]
            frame = [*[c(f) for c in codes], *pad, ctx]
            try:
                return enter(ctx, frame)
            except SglRuntimeError as e:
                _at_call_site(e, where)
                raise

        return call


def _located(e: SglRuntimeError, where: Where) -> SglRuntimeError:
    locate(e, where)
    return e


def _at_call_site(e: SglRuntimeError, where: Where) -> None:
    """An error left the callee (it has the callee's frames) or happened entering it."""
    if e.frames:
        e.frames.insert(0, where.frame())
        e.needs_site = False  # type: ignore[attr-defined]
    else:
        locate(e, where)


class RecordCtor:
    """`Item(name="pen", qty=3)`: fields bound at load, defaults from field default cells."""

    def __init__(self, rtype: RecordT, decl: ast.RecordDecl | None) -> None:
        self.type = rtype
        self.names = [f.name for f in rtype.fields]
        self.has_default = [f.has_default for f in rtype.fields]
        self.defaults: dict[str, ConstCell | FixedCell] = {}
        self.decl = decl

    def bind_codes(self, args: list[Code], kwargs: Mapping[str, Code], where: Where) -> list[Code]:
        # A default (frozen, shared) is copied into each new record, as a dataclass
        # `default_factory` would: `Bag().items.append(1)` changes that record's list only.
        copied = {n: _CopiedDefault(c) for n, c in self.defaults.items()}
        return _bind(f"record `{self.type.name}`", self.names, self.has_default, args, kwargs, copied, where)


class _CopiedDefault:
    __slots__ = ("cell",)

    def __init__(self, cell: ConstCell | FixedCell) -> None:
        self.cell = cell

    def reader(self) -> Code:
        read, copy = self.cell.reader(), values.deep_copy
        return lambda f: copy(read(f))


class HostFunction:
    """A Python function the host registered with an SGL signature; values are converted both ways."""

    def __init__(self, sig: ProcSig, fn: Callable[..., Any]) -> None:
        self.sig = sig
        self.fn = fn
        self.names = [p.name for p in sig.params]

    def bind_codes(self, args: list[Code], kwargs: Mapping[str, Code], where: Where) -> list[Code]:
        return _bind(f"host function `{self.sig.name}`", self.names, [False] * len(self.names), args, kwargs,
                     {}, where)

    def call(self, ctx: RunContext, args: list[Any]) -> Any:
        py_args = [values.to_python(a) for a in args]
        try:
            result = self.fn(*py_args)
        except Exception as e:  # the host's code: any failure becomes an SGL error here
            raise SglRuntimeError(f"host function `{self.sig.name}` failed: {type(e).__name__}: {e}",
                                  code=E_HOST) from None
        try:
            return values.from_python(result, self.sig.returns, path="result", int_bits=ctx.limits.int_bits)
        except SglUsageError as e:
            raise SglRuntimeError(f"host function `{self.sig.name}` returned a bad value: {e.message}",
                                  code=E_HOST) from None

    def as_value(self, ctx: RunContext) -> Callable[..., Any]:
        return lambda *args: self.call(ctx, list(args))


def _untyped_value(alias: str, attr: str) -> Callable[..., Any]:
    """`json.parse` as a function value whose result type is open: it cannot know what to read."""
    def call(*args: Any) -> Any:
        raise SglRuntimeError(f"`{alias}.{attr}` given as a function value does not know the type to read",
                              code=E_TYPE, hint=f"call it where its result is declared: `x: T = {alias}.{attr}(...)`")
    return call


def bind_native(nf: Any, args: list[Code], kwargs: Mapping[str, Code], where: Where) -> list[Code]:
    """Arguments of a call to a native module function (`natives.NativeFunction`), defaults filled in."""
    params = nf.sig().params
    defaults = {k: FixedCell(v) for k, v in nf.defaults().items()}
    return _bind(f"`{nf.module}.{nf.name}`", [p.name for p in params], [p.has_default for p in params], args,
                 kwargs, defaults, where)


class ExampleCode:
    """`example a OP b` (left, op, right evaluated separately) or `example expr`."""

    def __init__(self, decl: ast.ExampleDecl, nslots: int, left: Code, op: str | None,
                 test: Callable[[Any, Any, Any], bool] | None, right: Code | None) -> None:
        self.decl = decl
        self.nslots = nslots
        self.left, self.op, self.test, self.right = left, op, test, right


# ---------------------------------------------------------------------- type-directed copies


Copier = Callable[[Any, RunContext], Any]


def copy_arguments(ctx: RunContext, frame: list, copiers: list[tuple[int, Copier, Any]]) -> None:
    """Replace the arguments a mutating proc receives by copies, each paid for first (the
    charge counts a shared part once per reference: an upper bound of the copy's work)."""
    for i, cp, w in copiers:
        ctx.charge_items(cost.weigh(w, frame[i], ctx.items_left()))
        frame[i] = cp(frame[i], ctx)


def copier(t: Type | None) -> Copier | None:
    """A copy of a value of type `t` that shares nothing mutable with it, or None if it has nothing mutable.

    A collection of immutable items is copied flat. Anything nested is copied whole by
    `values.deep_copy`, which keeps sharing as it is (as CPython's objects would be shared: in
    `[row] * 1000000` the copy holds one copied `row` a million times, not a million rows) and
    checks the memory limit as it goes, so no argument copy can outgrow the memory bound.
    """
    if t is None:
        return values.deep_copy
    if isinstance(t, OptionalT):
        inner = copier(t.inner)
        return None if inner is None else (lambda v, ctx: None if v is None else inner(v, ctx))
    flat = _FLAT_COPIES.get(type(t))
    if flat is not None and not _nested_mutable(t):
        return lambda v, ctx: flat(v)
    if isinstance(t, TupleT) and all(copier(e) is None for e in t.elems):
        return None
    if isinstance(t, RecordT) and not _record_has_mutable(t, set()):
        return None
    if isinstance(t, ListT | MapT | SetT | TupleT | RecordT):
        return values.deep_copy
    return None


_FLAT_COPIES: dict[type, Callable[[Any], Any]] = {ListT: list, MapT: dict, SetT: values.SglSet}


def _nested_mutable(t: Type) -> bool:
    """Can a value of collection type `t` hold a mutable value inside it?"""
    inner = t.value if isinstance(t, MapT) else t.elem  # type: ignore[attr-defined]
    return copier(inner) is not None


def _record_has_mutable(t: RecordT, seen: set[str]) -> bool:
    if t.name in seen:
        return False
    seen.add(t.name)
    for f in t.fields:
        ft = f.type.inner if isinstance(f.type, OptionalT) else f.type
        if isinstance(ft, ListT | MapT | SetT) or ft is None:
            return True
        if isinstance(ft, TupleT) and any(copier(e) is not None for e in ft.elems):
            return True
        if isinstance(ft, RecordT) and _record_has_mutable(ft, seen):
            return True
    return False


def body_mutates(body: tuple[Any, ...], types: Mapping[int, Type]) -> bool:
    """Does a proc body change anything in place (so it must copy its collection arguments)?"""
    for n in _walk_all(body):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _ALL_MUTATING:
            return True
        if isinstance(n, ast.Assign | ast.AugAssign) and isinstance(n.target, ast.Subscript):
            return True
        if isinstance(n, ast.Assign) and isinstance(n.target, ast.TupleExpr) and any(
                isinstance(x, ast.Subscript) for x in ast.walk(n.target)):
            return True
        if isinstance(n, ast.AugAssign):
            t = types.get(id(n.target))
            if t is None or isinstance(t, ListT | MapT | SetT):
                return True
    return False


def _walk_all(body: tuple[Any, ...]) -> Any:
    for s in body:
        yield from ast.walk(s)


# ---------------------------------------------------------------------- the module compiler


class ModuleCompiler:
    """Compiles one checked module; the environment its `FunctionCompiler`s consult."""

    small_numeric = (INT, FLOAT)

    def __init__(self, checked: CheckedModule, source: str, file: str, *, natives: Any,
                 imports: Mapping[str, Any], host: Mapping[str, HostFunction]) -> None:
        self.checked = checked
        self.tree = checked.tree
        self.source = source
        self.file = file
        self.natives = natives
        self.imports = imports  # alias -> loaded module (`runtime.module.Module`)
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

    # ---- environment for FunctionCompiler

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

    # ---- compiling

    def expression_root(self, key: object, name: str, expr: Any) -> ConstCell:
        fc = FunctionCompiler(self, name)
        scope = self.resolution.functions.get(id(key))
        return ConstCell(name, fc.expr(expr), scope.nslots if scope else 0, fc.where(expr))

    def compile(self) -> None:
        decls = self.tree.decls
        # 1. shells, so that calls compile before their callees' bodies (recursion)
        for d in decls:
            if isinstance(d, ast.RecordDecl):
                self.records[d.name] = RecordCtor(self.record_types[d.name], d)
            elif isinstance(d, ast.ProcDecl | ast.PropertyDecl):
                scope = self.function_scope(d)
                unit = ProcCode(d.name, self.file, d.params, scope.nslots, self.param_types(d.params),
                                body_mutates(d.body, self.types))
                (self.procs if isinstance(d, ast.ProcDecl) else self.properties)[d.name] = unit
        for d in decls:
            if isinstance(d, ast.ConstDecl):
                self.consts[d.name] = self.expression_root(d, d.name, d.value)
        # 2. defaults and bodies
        for d in decls:
            if isinstance(d, ast.RecordDecl):
                ctor = self.records[d.name]
                for fld in d.fields:
                    if fld.default is not None:
                        ctor.defaults[fld.name] = self.expression_root(fld, f"{d.name}.{fld.name}", fld.default)
            elif isinstance(d, ast.ProcDecl | ast.PropertyDecl):
                unit = (self.procs if isinstance(d, ast.ProcDecl) else self.properties)[d.name]
                for p in d.params:
                    if p.default is not None:
                        unit.defaults[p.name] = self.expression_root(p, f"{d.name}.{p.name}", p.default)
                fc = FunctionCompiler(self, d.name if isinstance(d, ast.ProcDecl) else f"property {d.name}")
                unit.body = fc.block(d.body)
            elif isinstance(d, ast.ExampleDecl):
                self.examples.append(self._example(d))

    def _example(self, d: ast.ExampleDecl) -> ExampleCode:
        from seglam_lang.runtime import ops

        fc = FunctionCompiler(self, f"example@{d.span.line}")
        scope = self.resolution.functions.get(id(d))
        nslots = scope.nslots if scope else 0
        e = d.expr
        if isinstance(e, ast.Compare) and len(e.ops) == 1:
            left, right = fc.expr(e.left), fc.expr(e.comparators[0])
            test = ops.COMPARE[e.ops[0]]
            where = fc.where(e)
            return ExampleCode(d, nslots, _guard(left, where), e.ops[0], test, _guard(right, where))
        return ExampleCode(d, nslots, fc.expr(e), None, None, None)

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


def run_guarded(fn: Callable[[], Any], where: Where) -> Any:
    """Run load-time code: every error is an SglRuntimeError located at `where`."""
    try:
        return fn()
    except SglRuntimeError as e:
        locate(e, where)
        raise
    except PY_ERRORS as e:
        raise convert(e, where) from None


def compile_module(checked: CheckedModule, source: str, file: str, *, natives: Any, imports: Mapping[str, Any],
                   host: Mapping[str, HostFunction]) -> ModuleCompiler:
    """Compile every declaration of a checked (error-free) module."""
    mc = ModuleCompiler(checked, source, file, natives=natives, imports=imports, host=host)
    mc.compile()
    return mc


__all__ = ["ConstCell", "ExampleCode", "HostFunction", "ModuleCompiler", "ProcCode", "RecordCtor",
           "compile_module", "const"]
