"""The compiled units of a module and the calling convention between them.

Owns: `ProcCode` (procs and properties), `RecordCtor`, `ConstCell` / `FixedCell` (values
computed once at load: constants and defaults), `HostFunction` (a Python function the host
registered), `ExampleCode`, the binding of a call's arguments to parameters (at load),
the type-directed copies a mutating proc makes of its arguments, and `lambda_value` (a
lambda's call protocol, for both tiers: the JIT's runtime reaches it without importing the
closure compiler).

Calling convention: a call binds its arguments to the callee's parameter slots at load
(keywords and defaults resolved then), builds the callee's slot list
`[args..., other slots..., ret, parent, ctx]`, charges one step, checks the depth, runs the
body and reads `ret`. Defaults are evaluated once, at load, in declaration order (as
Python evaluates them at `def`), and frozen. A proc whose body mutates anything (a
mutating method, an item assignment, an augmented assignment of a collection) deep-copies
its list/map/set arguments on entry, through tuples, optionals and records, so a caller
never sees its argument change.

Module constants are evaluated once at load, in order, and frozen; a constant needed
earlier (by a default, or by a proc a constant calls) is evaluated on first use, and a
cycle is an error.

Invariants: a unit is immutable once its module is compiled and holds no run state (that
is in the slot list and the `RunContext`), so one module can run in many threads at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from seglam_lang.check.types import ListT, MapT, OptionalT, ProcSig, RecordT, SetT, TupleT, Type
from seglam_lang.codes import E_CONST_CYCLE, E_HOST, E_NOT_CALLABLE, E_TYPE, E_USAGE
from seglam_lang.errors import SglRuntimeError, SglTypeError, SglUsageError
from seglam_lang.runtime import cost, values
from seglam_lang.runtime.closures.layout import CTX, EXTRA, RET, Code, const
from seglam_lang.runtime.limits import RunContext
from seglam_lang.runtime.tracebacks import Where, leaving, locate

if TYPE_CHECKING:  # the tree is read only by `body_mutates`, at compile time (a served module has none)
    from seglam_lang.syntax import ast

_UNSET = object()
E_COMPILE = E_NOT_CALLABLE  # a name the checker let through that compiles to no value

class ConstCell:
    """A module-level value computed once at load (a constant, a default): `get(ctx)`.

    Made empty (`ConstCell(name)`) so that references to it compile first, then `define`d
    with its code before anything runs."""

    __slots__ = ("code", "evaluating", "name", "nslots", "value", "where")

    def __init__(self, name: str) -> None:
        self.name = name
        self.value: Any = _UNSET
        self.evaluating = False

    def define(self, code: Code, nslots: int, where: Where) -> ConstCell:
        self.code, self.nslots, self.where = code, nslots, where
        return self

    def get(self, ctx: RunContext) -> Any:
        if self.value is not _UNSET:
            return self.value
        if self.evaluating:
            raise SglRuntimeError(f"`{self.name}` is defined in terms of itself", code=E_CONST_CYCLE,
                                  span=self.where.span, file=self.where.file, frames=[self.where.trace_frame()])
        self.evaluating = True
        try:
            slots: list[Any] = [None] * (self.nslots + EXTRA)
            slots[CTX] = ctx
            self.value = values.freeze(self.code(slots))
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


def bind_call(what: str, names: list[str], has_default: list[bool], args: list[Code], kwargs: Mapping[str, Code],
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
        return bind_call(f"`{self.name}`", self.names, self.has_default, args, kwargs, self.defaults, where)

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
        slots = [*args, *([None] * self.pad_len), ctx]
        copy_arguments(ctx, slots, self.copiers)
        d = ctx.depth + 1
        if d > ctx.max_depth:
            raise ctx.out_of_depth()
        ctx.depth = d
        ctx.charge(1)
        self.body(slots)
        ctx.depth = d - 1
        return slots[RET]

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

        def enter(ctx: RunContext, slots: list) -> Any:
            d = ctx.depth + 1
            if d > ctx.max_depth:
                raise ctx.out_of_depth()
            ctx.depth = d
            s = ctx.fuel - 1
            ctx.fuel = s
            if s <= 0:
                ctx.tick()
            proc.body(slots)
            ctx.depth = d - 1
            return slots[RET]

        if self.copiers:
            copiers = self.copiers

            def call_copy(f: list) -> Any:
                ctx = f[CTX]
                slots = [*[c(f) for c in codes], *pad, ctx]
                try:
                    copy_arguments(ctx, slots, copiers)
                    return enter(ctx, slots)
                except SglRuntimeError as e:
                    at_call_site(e, where)
                    raise

            return call_copy
        # One or two arguments, with `enter` inlined: this is the hottest path of recursive
        # code (a test of `b` per call costs less than a list comprehension or a call).
        if n in (1, 2):
            a, b = codes[0], codes[1] if n == 2 else None

            def call_small(f: list) -> Any:
                ctx = f[CTX]
                slots = [a(f), *pad, ctx] if b is None else [a(f), b(f), *pad, ctx]
                d = ctx.depth + 1
                if d > ctx.max_depth:
                    raise _located(ctx.out_of_depth(), where)
                ctx.depth = d
                s = ctx.fuel - 1
                ctx.fuel = s
                try:
                    if s <= 0:
                        ctx.tick()
                    proc.body(slots)
                except SglRuntimeError as e:
                    at_call_site(e, where)
                    raise
                ctx.depth = d - 1
                return slots[RET]

            return call_small

        def call(f: list) -> Any:
            ctx = f[CTX]
            slots = [*[c(f) for c in codes], *pad, ctx]
            try:
                return enter(ctx, slots)
            except SglRuntimeError as e:
                at_call_site(e, where)
                raise

        return call


def _located(e: SglRuntimeError, where: Where) -> SglRuntimeError:
    locate(e, where)
    return e


def at_call_site(e: SglRuntimeError, where: Where) -> None:
    """An error left the callee (it has the callee's frames) or happened entering it."""
    if e.frames:
        e.frames.insert(0, where.trace_frame())
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
        return bind_call(f"record `{self.type.name}`", self.names, self.has_default, args, kwargs, copied, where)


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
        return bind_call(f"host function `{self.sig.name}`", self.names, [False] * len(self.names), args, kwargs,
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


def bind_native(nf: Any, args: list[Code], kwargs: Mapping[str, Code], where: Where) -> list[Code]:
    """Arguments of a call to a native module function (`natives.NativeFunction`), defaults filled in."""
    params = nf.sig().params
    defaults = {k: FixedCell(v) for k, v in nf.defaults().items()}
    return bind_call(f"`{nf.module}.{nf.name}`", [p.name for p in params], [p.has_default for p in params], args,
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


def copy_arguments(ctx: RunContext, slots: list, copiers: list[tuple[int, Copier, Any]]) -> None:
    """Replace the arguments a mutating proc receives by copies, each paid for first (the
    charge counts a shared part once per reference: an upper bound of the copy's work)."""
    for i, cp, w in copiers:
        ctx.charge_items(cost.weigh(w, slots[i], ctx.items_left()))
        slots[i] = cp(slots[i], ctx)


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
    from seglam_lang.syntax import ast

    for n in _walk_all(body):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _all_mutating():
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


@cache
def _all_mutating() -> frozenset[str]:
    from seglam_lang.check.builtins import MUTATING_METHODS

    return frozenset().union(*MUTATING_METHODS.values())


def _walk_all(body: tuple[Any, ...]) -> Any:
    from seglam_lang.syntax import ast

    for s in body:
        yield from ast.walk(s)


def lambda_value(ctx: Any, body: Callable[..., Any], nparams: int, tail: list | None = None) -> Callable[..., Any]:
    """An SGL lambda as a function value (the one home of its call protocol, for both tiers):
    checks the argument count, counts the call's depth, its step and its re-entry from native
    code (a lambda is called by natives: count the C stack it may hold), and gives the frames of
    an error that leaves it. `body(*args)` runs it, or `body([*args, *tail])` given `tail` (the
    tree-walker's frame: the rest of the slots, the parent frame and the context)."""
    def lam(*args: Any) -> Any:
        if len(args) != nparams:
            raise SglRuntimeError(f"this lambda takes {nparams} argument(s), {len(args)} given", code=E_TYPE)
        d = ctx.depth + 1
        if d > ctx.max_depth:
            raise ctx.out_of_depth()
        ctx.reenter()
        ctx.depth = d
        s = ctx.fuel - 1
        ctx.fuel = s
        if s <= 0:
            ctx.tick()
        try:
            r = body(*args) if tail is None else body([*args, *tail])
        except SglRuntimeError as err:
            leaving(err)
            raise
        ctx.depth = d - 1
        ctx.leave()
        return r

    return lam
