"""The embedding API: `load`, `loads`, `Module` and what a loaded module exposes.

Owns: parse -> check -> compile -> evaluate constants (the load pipeline), the
`Module` object (procs with signatures, examples, properties, origin), calls from Python
(`call`, converting values both ways) and from SGL-aware hosts (`call_sgl`), host
functions registered with an SGL signature, and the run envelope of every call: a fresh
`RunContext`, the fixed decimal context, and the conversion of anything that escapes
compiled code into an `SglRuntimeError`.

Invariants:
- loading never runs user code except constant and default initialisers;
- a loaded module holds no mutable run state: each call gets its own `RunContext` and
  frames, constants are frozen, so concurrent calls from many threads are safe;
- every run uses the same decimal context (28 digits, ROUND_HALF_EVEN, traps on
  InvalidOperation, DivisionByZero, Overflow), set locally: the host's context is untouched;
- errors out of `load` are `SglSyntaxError` / `SglTypeError` carrying every diagnostic;
  errors out of a call are `SglRuntimeError` (or subclasses) with an SGL stack trace, or
  `SglUsageError` for a bad call from the host.
"""

from __future__ import annotations

import decimal
import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seglam_lang.codes import E_DEPTH, E_INTERNAL, E_MEMORY, E_UNKNOWN_NAME, E_USAGE
from seglam_lang.errors import (
    NO_SPAN,
    Diagnostic,
    LimitExceeded,
    NotApplicable,
    SglError,
    SglRuntimeError,
    SglTypeError,
    SglUsageError,
    Span,
)
from seglam_lang.frozen import frozen
from seglam_lang.runtime.closures.layout import CTX, EXTRA
from seglam_lang.runtime.limits import DEFAULT_LIMITS, Limits, RequireRecorder, RunContext
from seglam_lang.runtime.ops import DECIMAL_CONTEXT
from seglam_lang.runtime.stack import enter_run, leave_run, stack_budget
from seglam_lang.runtime.tracebacks import Where, locate

if TYPE_CHECKING:
    from seglam_lang.check.types import ModuleInterface, ParamSig, ProcSig, Type
    from seglam_lang.runtime.closures import CompiledModule, ExampleCode, HostFunction, ProcCode
    from seglam_lang.runtime.loader import Imports
    from seglam_lang.syntax import ast

# `syntax.ast`, `check` and the closure compiler are imported where a module is loaded the full
# way, not with this module: a module served from its image (`runtime.jit.image`) needs none of them.

def run_envelope(limits: Limits, body: Callable[..., Any], recorder: RequireRecorder | None = None,
                 args: Sequence[Any] = ()) -> Any:
    """Run `body(ctx, *args)` with a fresh budget and the SGL decimal context; only SglErrors
    leave. `recorder` (verification) is told the outcome of every `require` the run evaluates.
    `args` spares a cache hit's direct call of a translated proc a closure per run."""
    budget = stack_budget()
    ctx = RunContext(limits, budget.reentries, recorder)
    token = enter_run(limits, budget)
    host_context = decimal.getcontext()
    decimal.setcontext(_decimal_context())
    try:
        return body(ctx, *args)
    except SglRuntimeError as e:
        e.needs_site = False  # type: ignore[attr-defined]
        raise
    except SglError:
        raise
    except RecursionError:
        raise LimitExceeded("call depth limit exceeded (Python stack exhausted)", code=E_DEPTH,
                            hint="look for unbounded recursion") from None
    except MemoryError:
        raise LimitExceeded("out of memory", code=E_MEMORY, hint="lower the sizes of the data") from None
    except Exception as e:  # a bug in SEGLAM: still an SGL error, never a Python traceback
        raise SglRuntimeError(f"internal error ({type(e).__name__}: {e})", code=E_INTERNAL) from e
    finally:
        decimal.setcontext(host_context)
        leave_run(token)


_thread_state = threading.local()


def _decimal_context() -> decimal.Context:
    """This thread's copy of `DECIMAL_CONTEXT`, made once (`decimal.localcontext` would copy it
    on every run: a third of a cache hit's envelope). Runs only ever read its settings; the
    flags its operations raise are never read."""
    ctx: decimal.Context | None = getattr(_thread_state, "decimal", None)
    if ctx is None:
        ctx = _thread_state.decimal = DECIMAL_CONTEXT.copy()
    return ctx


def same_value(a: Any, b: Any, limits: Limits | None = None) -> bool:
    """Are two SGL values of the same type and equal? Compared as one run under `limits`
    (two huge answers cost what comparing them costs); LimitExceeded when that is too much."""
    from seglam_lang.runtime.ops import COMPARE

    equal = COMPARE["=="]
    return run_envelope(limits or DEFAULT_LIMITS, lambda ctx: type(a) is type(b) and bool(equal(ctx, a, b)))


# ---------------------------------------------------------------------- natives


class NativeTable:
    """The compiler's view of `seglam_lang.runtime.natives` and `fstrings` (looked up at load)."""

    def __init__(self) -> None:
        from seglam_lang.runtime import natives

        self._natives = natives

    @functools.cached_property
    def format_field(self) -> Callable[..., str]:
        """(ctx, value, conversion, spec) -> str; `fstrings` (and its format-spec pattern, a few
        ms to compile) is imported only by a module that has f-strings."""
        from seglam_lang.runtime import fstrings

        return fstrings.format_field

    def builtin(self, name: str) -> Callable[..., Any]:
        return self._natives.builtin(name)

    def method(self, type_name: str, name: str) -> Callable[..., Any]:
        return self._natives.method(type_name, name)

    def field(self, type_name: str, name: str) -> Callable[[Any], Any]:
        return self._natives.field(type_name, name)


_natives_table: NativeTable | None = None


def natives_table() -> NativeTable:
    global _natives_table
    if _natives_table is None:
        _natives_table = NativeTable()
    return _natives_table


# ---------------------------------------------------------------------- public objects


@frozen
class ExampleOutcome:
    """The result of one `example`: for `a OP b`, `left`/`right` are the evaluated sides; for
    `CALL is not applicable` / `CALL fails`, `left` is what the call returned (it should not
    have) or `error` how it stopped."""

    passed: bool
    op: str | None = None
    left: Any = None
    right: Any = None
    error: SglError | None = None


def stopped_as_expected(expect: str, e: SglError) -> bool:
    """Whether `e` is how an `example CALL <expect>` must stop: a failed `require` for
    `is not applicable`; any other runtime error for `fails`, except a limit (a run cut
    short says nothing about the input)."""
    from seglam_lang.syntax.ast import NOT_APPLICABLE

    if expect == NOT_APPLICABLE:
        return isinstance(e, NotApplicable)
    return isinstance(e, SglRuntimeError) and not isinstance(e, NotApplicable | LimitExceeded)


class ExampleCase:
    def __init__(self, module: Module, code: ExampleCode) -> None:
        self._module = module
        self._code = code
        self.span: Span = code.decl.span
        self.expect: str | None = code.decl.expect
        call = module._compiled.source_text(code.decl.expr)
        self.text: str = f"{call} {self.expect}" if self.expect else call

    def run(self, limits: Limits | None = None, recorder: RequireRecorder | None = None) -> ExampleOutcome:
        code = self._code

        def body(ctx: RunContext) -> ExampleOutcome:
            slots: list[Any] = [None] * (code.nslots + EXTRA)
            slots[CTX] = ctx
            left = code.left(slots)
            if self.expect is not None:
                return ExampleOutcome(False, None, left)
            if code.test is None:
                return ExampleOutcome(left is True, None, left, None)
            right = code.right(slots)  # type: ignore[misc]
            return ExampleOutcome(bool(code.test(ctx, left, right)), code.op, left, right)

        try:
            return run_envelope(limits or self._module.limits, body, recorder)
        except SglError as e:
            return ExampleOutcome(self.expect is not None and stopped_as_expected(self.expect, e), code.op, error=e)

    def __repr__(self) -> str:
        return f"<example {self.text}>"


class PropertyCase:
    def __init__(self, module: Module, decl: ast.PropertyDecl, unit: ProcCode) -> None:
        from seglam_lang.check.types import ParamSig

        self._module = module
        self._unit = unit
        self.name = decl.name
        self.span = decl.span
        self.doc = decl.doc
        self.params: tuple[ParamSig, ...] = tuple(
            ParamSig(p.name, module._type_of_annotation(p.type), p.default is not None) for p in decl.params)

    def defaults(self) -> dict[str, Any]:
        return _defaults(self._unit, self._module.limits)

    def run(self, kwargs: Mapping[str, Any], limits: Limits | None = None,
            recorder: RequireRecorder | None = None) -> None:
        """Run the body on SGL values; NotApplicable when a `require` fails, SglRuntimeError on failure."""
        unit = self._unit
        run_envelope(limits or self._module.limits, lambda ctx: unit.run(ctx, unit.bind_values([], kwargs, ctx)),
                     recorder)

    def __repr__(self) -> str:
        return f"<property {self.name}>"


class ProcInfo:
    """What a host needs to know about a proc: signature, triggers, docstring, position, defaults."""

    def __init__(self, module: Module, name: str, sig: ProcSig, unit: ProcCode, triggers: tuple[Any, ...],
                 doc: str | None, span: Span) -> None:
        self._module = module
        self._unit = unit
        self.name = name
        self.sig = sig
        self.triggers: tuple[ast.Trigger, ...] = triggers  # (a served module's have the same fields)
        self.doc = doc
        self.span = span

    def defaults(self) -> dict[str, Any]:
        return _defaults(self._unit, self._module.limits)

    def __repr__(self) -> str:
        return f"<proc {self.sig}>"


def _defaults(unit: ProcCode, limits: Limits) -> dict[str, Any]:
    return run_envelope(limits, lambda ctx: {n: c.get(ctx) for n, c in unit.defaults.items()})


class Module:
    """A loaded, checked and compiled SGL module. Thread-safe: calls share no run state."""

    tier: Any = None  # what tier-up did at load (`runtime.jit.Report`, spec/tiers.md)

    def __init__(self, *, name: str, file: str, source: str, tree: ast.Module, checked: Any,
                 compiled: CompiledModule, limits: Limits) -> None:
        self.name = name
        self.file = file
        self.source = source
        self.tree = tree
        self.checked = checked
        self.limits = limits
        self._compiled = compiled
        self.origin: dict[str, str] = tree.origin
        self.interface: ModuleInterface = self._interface()
        from seglam_lang.syntax import ast

        self.procs: dict[str, ProcInfo] = {
            d.name: ProcInfo(self, d.name, self.interface.procs[d.name], compiled.procs[d.name], d.triggers, d.doc,
                             d.span)
            for d in tree.decls if isinstance(d, ast.ProcDecl)}
        self.examples: tuple[ExampleCase, ...] = tuple(ExampleCase(self, c) for c in compiled.examples)
        self.properties: dict[str, PropertyCase] = {
            d.name: PropertyCase(self, d, compiled.properties[d.name])
            for d in tree.decls if isinstance(d, ast.PropertyDecl)}

    def __repr__(self) -> str:
        return f"<sgl module {self.name} from {self.file}>"

    # ---- interface

    def _type_of_annotation(self, t: ast.TypeName) -> Type:
        from seglam_lang.check.types import ANY, UnknownType, from_annotation

        try:
            return from_annotation(t, self._compiled.record_types)
        except UnknownType:
            return ANY

    def _interface(self) -> ModuleInterface:
        """The checker's interface, completed from the declarations where it is silent."""
        from seglam_lang.check.types import ANY, ModuleInterface, ParamSig, ProcSig
        from seglam_lang.syntax import ast

        given = self.checked.interface
        procs = dict(given.procs)
        for d in self.tree.decls:
            if isinstance(d, ast.ProcDecl) and d.name not in procs:
                params = tuple(ParamSig(p.name, self._type_of_annotation(p.type), p.default is not None)
                               for p in d.params)
                procs[d.name] = ProcSig(d.name, params, self._type_of_annotation(d.returns), d.doc)
        records = {**self._compiled.record_types, **given.records}
        consts = dict(given.consts)
        for d in self.tree.decls:
            if isinstance(d, ast.ConstDecl) and d.name not in consts:
                consts[d.name] = (self._type_of_annotation(d.annotation) if d.annotation
                                  else self.checked.types.get(id(d.value), ANY))
        return ModuleInterface(self.name, procs, records, consts)

    def member(self, name: str) -> Any:
        """For `use`: the compiled proc, record constructor or constant cell named `name`."""
        c = self._compiled
        return c.procs.get(name) or c.records.get(name) or c.consts.get(name)

    # ---- calls

    def _proc(self, proc: str) -> ProcCode:
        unit = self._compiled.procs.get(proc)
        if unit is None:
            listing = ", ".join(self._compiled.procs) or "none"
            raise SglUsageError(f"module {self.name} has no proc `{proc}` (procs: {listing})", code=E_USAGE)
        return unit

    def call_sgl(self, proc: str, args: list[Any] | tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None,
                 limits: Limits | None = None, recorder: RequireRecorder | None = None) -> Any:
        """Call `proc` with SGL values; return an SGL value (no conversion)."""
        unit = self._proc(proc)
        if not kwargs and len(args) == len(unit.names):
            fn = self.translated(proc)
            if fn is not None:
                return run_envelope(limits or self.limits, fn, recorder, args)
        return run_envelope(limits or self.limits,
                            lambda ctx: unit.run(ctx, unit.bind_values(list(args), kwargs or {}, ctx)), recorder)

    def translated(self, proc: str) -> Callable[..., Any] | None:
        """The translated function of `proc`, to be called as `run_envelope(limits, fn, None,
        args)` with every argument given by position (a cache hit's call); None when the proc
        is not translated or copies an argument first. `ProcCode.run` would count a call and
        a step that `jit.rt.entry` gives back."""
        unit = self._proc(proc)
        return None if unit.copiers else getattr(unit.body, "direct", None)

    def call(self, proc: str, *args: Any, limits: Limits | None = None, **kwargs: Any) -> Any:
        """Call `proc` with Python values converted by the parameter types; return a Python value."""
        from seglam_lang.runtime.values import from_python, to_python

        unit = self._proc(proc)
        sig = self.interface.procs[proc]
        types = {p.name: p.type for p in sig.params}
        if len(args) > len(sig.params):
            raise SglUsageError(f"`{proc}` takes {len(sig.params)} argument(s), {len(args)} given", code=E_USAGE)
        limits = limits or self.limits
        bits = limits.int_bits
        try:
            sgl_args = [from_python(a, p.type, int_bits=bits) for a, p in zip(args, sig.params)]
            sgl_kwargs = {}
            for k, v in kwargs.items():
                if k not in types:
                    raise SglUsageError(f"`{proc}` has no parameter `{k}`", code=E_USAGE)
                sgl_kwargs[k] = from_python(v, types[k], int_bits=bits)
        except (TypeError, ValueError) as e:
            raise SglUsageError(f"`{proc}`: {e}", code=E_USAGE) from None
        result = run_envelope(limits,
                              lambda ctx: unit.run(ctx, unit.bind_values(sgl_args, sgl_kwargs, ctx)))
        return to_python(result)


class ServedModule(Module):
    """A module loaded from its image (`runtime.jit.image`): it answers calls, and gives its
    procs, interface, origin and members, exactly as the module of a full load. What an image
    does not hold (the tree, the checker's result, examples, properties) is the full load's,
    done on first use."""

    def __init__(self, *, name: str, file: str, source: str, limits: Limits, compiled: CompiledModule,
                 interface: ModuleInterface, infos: list[tuple[str, tuple[Any, ...], str | None, Span]],
                 origin: dict[str, str]) -> None:
        import threading

        self.name = name
        self.file = file
        self.source = source
        self.limits = limits
        self._compiled = compiled
        self.origin = origin
        self.interface = interface
        self.procs = {n: ProcInfo(self, n, interface.procs[n], compiled.procs[n], triggers, doc, span)
                      for n, triggers, doc, span in infos}
        self._full: Module | None = None
        self._full_lock = threading.Lock()

    def full(self) -> Module:
        """The same source loaded the full way (parsed, checked, compiled), once."""
        with self._full_lock:
            if self._full is None:
                self._full = loads(self.source, self.name, limits=self.limits, file=self.file)
            return self._full

    @property  # type: ignore[override]
    def tree(self) -> ast.Module:
        return self.full().tree

    @property  # type: ignore[override]
    def checked(self) -> Any:
        return self.full().checked

    @property  # type: ignore[override]
    def examples(self) -> tuple[ExampleCase, ...]:
        return self.full().examples

    @property  # type: ignore[override]
    def properties(self) -> dict[str, PropertyCase]:
        return self.full().properties


# ---------------------------------------------------------------------- loading


def _host_functions(host: Mapping[str, tuple[str, Callable[..., Any]]] | None) -> dict[str, HostFunction]:
    """`{"name": ("(x: Str) -> Decimal", fn)}` to host functions, each signature parsed by the SGL parser."""
    from seglam_lang.check.types import ParamSig, ProcSig, UnknownType, from_annotation
    from seglam_lang.runtime.closures import HostFunction
    from seglam_lang.syntax import ast
    from seglam_lang.syntax.astcache import parse_cached

    out: dict[str, HostFunction] = {}
    for name, entry in (host or {}).items():
        try:
            sig_text, fn = entry
        except (TypeError, ValueError):
            raise SglUsageError(f"host function `{name}`: give a (signature, function) pair", code=E_USAGE) from None
        if not callable(fn):
            raise SglUsageError(f"host function `{name}`: {fn!r} is not callable", code=E_USAGE)
        if not name.isidentifier():
            raise SglUsageError(f"host function name {name!r} is not an identifier", code=E_USAGE)
        try:
            tree = parse_cached(f"proc {name}{sig_text}:\n    pass\n", f"<host {name}>")
            (decl,) = tree.decls
            assert isinstance(decl, ast.ProcDecl)
            params = tuple(ParamSig(p.name, from_annotation(p.type, {})) for p in decl.params)
            sig = ProcSig(name, params, from_annotation(decl.returns, {}))
        except (SglError, UnknownType, ValueError, AssertionError) as e:
            raise SglUsageError(f"host function `{name}`: bad signature {sig_text!r}: {e}", code=E_USAGE) from None
        out[name] = HostFunction(sig, fn)
    return out


def module_diagnostics(checked: Any, imports: Any) -> list[Diagnostic]:
    """Every diagnostic of a checked module with its `use`s: the errors of the modules it uses
    first, then the checker's (without the unknown names an unloaded module causes)."""
    errors = [d for e in imports.errors for d in e.diagnostics]
    if not errors:
        return list(checked.diagnostics)
    # The loader's diagnostic of a `use` replaces the checker's of the same `use` (one error, not two).
    seen = {(d.code, d.span) for d in errors}
    return errors + [d for d in checked.diagnostics if (d.code, d.span) not in seen and d.code != E_UNKNOWN_NAME]


def loads(source: str, name: str = "<string>", *, host: Mapping[str, tuple[str, Callable[..., Any]]] | None = None,
          limits: Limits | None = None, file: str | None = None, image: bool = False) -> Module:
    """Parse, check and compile `source`; evaluate its constants. Raises SglSyntaxError / SglTypeError.

    With `image`, a module loaded before (same source, name, file, limits and package) is
    served from its image instead (`runtime.jit.image`: no parsing or checking), and a module
    loaded the full way leaves its image for the next process."""
    file = file or name
    limits = limits or DEFAULT_LIMITS
    key = None
    if image and not host:
        from seglam_lang.runtime.jit import image as images

        key = images.key_of(source, name, file, limits)
        if key is not None:
            loaded = images.load(key, source, name, file, natives_table(), load_std_file)
            if loaded is not None:
                from seglam_lang.runtime.jit import Report, effective_tier

                served = ServedModule(name=name, file=file, source=source, limits=limits, compiled=loaded.compiled,
                                      interface=loaded.interface, infos=loaded.infos, origin=loaded.origin)
                served.tier = Report(effective_tier(limits), loaded.translated, {}, True, loaded.seconds)
                return served
    module = _load_full(source, name, host, limits, file)
    if key is not None:
        images.save(key, module)
    return module


def _load_full(source: str, name: str, host: Mapping[str, tuple[str, Callable[..., Any]]] | None, limits: Limits,
               file: str) -> Module:
    """The load pipeline: parse, check, compile, tier up, evaluate the constants."""
    from seglam_lang.check import check_module
    from seglam_lang.runtime.closures import compile_module
    from seglam_lang.syntax.astcache import parse_cached

    host_fns = _host_functions(host)
    tree = parse_cached(source, file)
    imports = std_imports(file)
    checked = check_module(tree, name=name, imports=imports, host={n: h.sig for n, h in host_fns.items()})
    errors = [d for d in module_diagnostics(checked, imports) if d.severity == "error"]
    if errors:
        raise SglTypeError(diagnostics=errors)
    compiled = compile_module(checked, source, file, natives=natives_table(), imports=imports.by_alias,
                              host=host_fns)
    from seglam_lang.runtime.jit import tier_up

    tier = tier_up(compiled, limits)
    module = Module(name=name, file=file, source=source, tree=tree, checked=checked, compiled=compiled,
                    limits=limits)
    module.tier = tier
    where = Where("<module>", file, NO_SPAN)

    def init(ctx: RunContext) -> None:
        try:
            compiled.evaluate_constants(ctx)
        except SglRuntimeError as e:
            locate(e, where)
            raise

    run_envelope(limits, init)
    return module


def std_imports(file: str) -> Imports:
    """The resolver of the `use`s of the module in `file`: stdlib modules loaded by `load`."""
    from seglam_lang.runtime.loader import Imports

    return Imports(file, load_std_file)


def load_std_file(path: Path, name: str) -> Module:
    """A stdlib file loaded as the module `name` (what the loader is given to load one): from its
    image when it has one (what the loader keeps of it is its members and interface)."""
    return load(path, name=name, image=True)


def load(path: str | Path, *, host: Mapping[str, tuple[str, Callable[..., Any]]] | None = None,
         limits: Limits | None = None, name: str | None = None, image: bool = False) -> Module:
    """Load an `.sgl` file (see `loads`); the module's name is the file's stem unless given."""
    p = Path(path)
    try:
        source = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SglUsageError(f"cannot read {p}: {e}", code=E_USAGE, file=str(p)) from None
    return loads(source, name or p.stem, host=host, limits=limits, file=str(p), image=image)
