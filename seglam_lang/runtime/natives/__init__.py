"""Natives: the Python side of SGL's built-ins and of native standard-library modules.

Owns
- the lookups the compiler uses: `builtin(name)`, `method(type_name, name)`, `field(type_name, name)`
  (tables in `natives.builtins` and `natives.methods`; `type_name` is an SGL type name such as
  `Str`, `List`, `Record`);
- the registry of native modules (`use std.re` finds the functions registered as `std.re`):
  `NATIVE_MODULES`, the `@native` decorator, `native_record`, `native_module(name)` and
  `native_interface(name)` (the `ModuleInterface` the checker sees).

Adding a native module (for the stdlib engineer)
------------------------------------------------
1. Create `seglam_lang/runtime/natives/std_<name>.py` for module `std.<name>` (a private helper
   module `std._math` lives in `std__math.py`: dots become underscores). It is imported lazily
   the first time a program uses the module, so heavy imports stay off the hit path.
2. Declare each function with its SGL signature; the implementation takes the run's
   `RunContext` first, then the arguments by position, defaults already filled in:

       from seglam_lang.runtime.natives import native, native_record

       MATCH = native_record("std.re", '''
       record Match:
           text: Str
           start: Int
       ''')

       @native("std.re", "find_all(pattern: Str, text: Str, limit: Int = 100) -> List[Str]")
       def find_all(ctx, pattern, text, limit):
           ...   # check sizes with ctx.check_str_len / check_collection_len before building

   Types are written as in SGL; single capital letters `T`, `K`, `V`, `U` are type variables
   (fixed per call by the arguments); a parameter may be a function, `Fn[T, K]` being `(T) -> K`;
   records declared with `native_record` in the same module can be used by name (declare them
   first). Defaults must be literals (`0`, `-1`, `"x"`, `None`, `True`, `[]`...).
   Return SGL values (see `runtime.values`): `make_record(MATCH, (text, start))`, `SglSet`, ...
3. Raise `SglRuntimeError` (or let ValueError/TypeError/LookupError/ArithmeticError propagate:
   the caller converts them with the call's position). Never return host objects.

A module may be both native and SGL (`stdlib/x.sgl` plus natives registered as `std.x`); the
module loader merges them. Everything here is pure data plus lazy imports: importing this
package imports neither the parser nor any native module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from seglam_lang.check import types as T
from seglam_lang.codes import E_TYPE
from seglam_lang.errors import SglRuntimeError
from seglam_lang.frozen import Factory, define, evolve, frozen

TYPE_VARIABLES = frozenset({"T", "K", "V", "U"})


# ---------------------------------------------------------------------------- built-ins, methods, fields


def builtin(name: str) -> Callable[..., Any]:
    """The implementation of built-in function `name`: fn(ctx, *args, **kwargs)."""
    from seglam_lang.runtime.natives.builtins import BUILTINS

    try:
        return BUILTINS[name]
    except KeyError:
        raise SglRuntimeError(f"unknown built-in function {name!r}", code=E_TYPE) from None


def method(type_name: str, name: str) -> Callable[..., Any]:
    """Method `name` of SGL type `type_name`: fn(ctx, self, *args, **kwargs)."""
    from seglam_lang.runtime.natives.methods import METHODS

    try:
        return METHODS[type_name][name]
    except KeyError:
        raise SglRuntimeError(f"{type_name} has no method {name!r}", code=E_TYPE) from None


def field(type_name: str, name: str) -> Callable[[Any], Any]:
    """Read-only field `name` of SGL type `type_name` (`Date.year`...): fn(value)."""
    from seglam_lang.runtime.natives.methods import FIELDS

    try:
        return FIELDS[type_name][name]
    except KeyError:
        raise SglRuntimeError(f"{type_name} has no field {name!r}", code=E_TYPE) from None


# ---------------------------------------------------------------------------- native modules


@define
class NativeFunction:
    """One registered native: its signature text, implementation and (parsed lazily) types."""

    module: str
    name: str
    signature: str
    fn: Callable[..., Any]
    typed: bool = False  # fn(ctx, declared, *args): `declared` is the call's `Declared` result type
    _sig: T.ProcSig | None = None
    _defaults: dict[str, Any] | None = None

    def sig(self) -> T.ProcSig:
        if self._sig is None:
            self._parse()
        assert self._sig is not None
        return self._sig

    def defaults(self) -> dict[str, Any]:
        """The default values of the parameters that have one, by name."""
        if self._defaults is None:
            self._parse()
        assert self._defaults is not None
        return self._defaults

    def bind(self, args: list[Any], kwargs: Mapping[str, Any]) -> list[Any]:
        """All arguments by position, defaults filled in (the checker has checked names and counts)."""
        params = self.sig().params
        if not kwargs and len(args) == len(params):
            return list(args)
        out = list(args)
        defaults = self.defaults()
        for p in params[len(args):]:
            out.append(kwargs[p.name] if p.name in kwargs else defaults[p.name])
        return out

    def call(self, ctx: Any, args: list[Any], kwargs: Mapping[str, Any]) -> Any:
        return self.fn(ctx, *self.bind(args, kwargs))

    def _parse(self) -> None:
        decl = _parse_decl(f"proc {self.signature}:\n    pass\n", self.module)
        mod = native_module(self.module)
        records = dict(mod.records) if mod is not None else {}
        sig, defaults = _proc_sig(decl, records, self.module)
        doc = (self.fn.__doc__ or "").strip().split("\n")[0]
        sig = evolve(sig, doc=doc or None)
        if sig.name != self.name:
            raise ValueError(f"native {self.module}.{self.name}: signature names {sig.name!r}")
        self._sig, self._defaults = sig, defaults


@define
class NativeModule:
    name: str
    functions: dict[str, NativeFunction] = Factory(dict)
    records: dict[str, T.RecordT] = Factory(dict)
    record_defaults: dict[str, dict[str, Any]] = Factory(dict)  # record -> field -> default value

    def interface(self) -> T.ModuleInterface:
        return T.ModuleInterface(
            name=self.name,
            procs={n: f.sig() for n, f in self.functions.items()},
            records=dict(self.records),
            consts={},
        )


NATIVE_MODULES: dict[str, NativeModule] = {}


def _module(name: str) -> NativeModule:
    mod = NATIVE_MODULES.get(name)
    if mod is None:
        mod = NATIVE_MODULES[name] = NativeModule(name)
    return mod


@frozen
class Declared:
    """The result type a call of a `typed` native has where it is written (`x: Decimal = json.parse(s)`).

    `defaults(rt)` gives the evaluated field defaults of a record type the program knows.
    `type` is `ANY` when the program leaves it open (`len(json.parse(s))`).
    """

    type: T.Type
    defaults: Callable[[T.RecordT], Mapping[str, Any]]


def native(module: str, signature: str, *, typed: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(ctx, *args)` as function of native module `module` with an SGL signature.

    `typed=True`: the result type is a type variable fixed by where the call is written, and
    `fn(ctx, declared, *args)` receives it as a `Declared` (so it can check what it returns).
    """
    name = signature.split("(", 1)[0].strip()
    if not name.isidentifier():
        raise ValueError(f"bad native signature {signature!r}")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        mod = _module(module)
        if name in mod.functions:
            raise ValueError(f"native {module}.{name} registered twice")
        mod.functions[name] = NativeFunction(module, name, signature, fn, typed)
        return fn
    return register


def native_record(module: str, source: str) -> T.RecordT:
    """Declare a record type of a native module from SGL source (`record Name:` + fields)."""
    import textwrap

    from seglam_lang.syntax import ast

    tree = _parse_module(textwrap.dedent(source).strip() + "\n", module)
    decls = [d for d in tree.decls if isinstance(d, ast.RecordDecl)]
    if len(decls) != 1 or len(tree.decls) != 1:
        raise ValueError(f"native_record({module!r}) takes exactly one record declaration")
    d = decls[0]
    mod = _module(module)
    rt = T.RecordT(d.name, module, ())
    records = {**mod.records, d.name: rt}  # a record may refer to itself (Node? fields)
    fields = tuple(
        T.FieldSig(f.name, T.from_annotation(f.type, records, TYPE_VARIABLES), f.default is not None)
        for f in d.fields
    )
    object.__setattr__(rt, "fields", fields)
    mod.records[d.name] = rt
    mod.record_defaults[d.name] = {f.name: literal_default(f.default, module) for f in d.fields if f.default is not None}
    return rt


def native_module(name: str) -> NativeModule | None:
    """The native module registered as `name`, importing `natives/std_<x>.py` on first use."""
    if name not in NATIVE_MODULES:
        import importlib.util  # here: most runs never name a native module that is not loaded yet

        pymod = f"{__name__}.{name.replace('.', '_')}"
        if importlib.util.find_spec(pymod) is not None:
            importlib.import_module(pymod)
    return NATIVE_MODULES.get(name)


def native_interface(name: str) -> T.ModuleInterface | None:
    """What `use <name>` makes visible from natives, or None when there is no native module."""
    mod = native_module(name)
    return mod.interface() if mod is not None else None


# ---------------------------------------------------------------------------- signature parsing


def _parse_module(source: str, module: str) -> Any:
    from seglam_lang.syntax.astcache import parse_cached

    return parse_cached(source, f"<native {module}>")


def _parse_decl(source: str, module: str) -> Any:
    from seglam_lang.syntax import ast

    tree = _parse_module(source, module)
    (decl,) = tree.decls
    assert isinstance(decl, ast.ProcDecl)
    return decl


def _proc_sig(decl: Any, records: Mapping[str, T.RecordT], module: str) -> tuple[T.ProcSig, dict[str, Any]]:
    params = []
    defaults: dict[str, Any] = {}
    for p in decl.params:
        params.append(T.ParamSig(p.name, _param_type(p.type, records), p.default is not None))
        if p.default is not None:
            defaults[p.name] = literal_default(p.default, module)
    returns = T.from_annotation(decl.returns, records, TYPE_VARIABLES)
    return T.ProcSig(decl.name, tuple(params), returns, doc=None), defaults


def _param_type(t: Any, records: Mapping[str, T.RecordT]) -> T.Type:
    """A native parameter's type; `Fn[A, B, R]` (natives only) is a function `(A, B) -> R`."""
    if t.name == "Fn" and t.args and not t.optional:
        *args, ret = (T.from_annotation(a, records, TYPE_VARIABLES) for a in t.args)
        return T.FnT(tuple(args), ret)
    return T.from_annotation(t, records, TYPE_VARIABLES)


def literal_default(e: Any, module: str = "") -> Any:
    """The value of a literal default (`0`, `-1.5`, `"x"`, `None`, `True`, `[]`, `{}`, `()`)."""
    from seglam_lang.runtime.values import SglSet
    from seglam_lang.syntax import ast

    if isinstance(e, ast.IntLit | ast.FloatLit | ast.StrLit | ast.BoolLit):
        return e.value
    if isinstance(e, ast.NoneLit):
        return None
    if isinstance(e, ast.UnaryOp) and e.op == "-" and isinstance(e.operand, ast.IntLit | ast.FloatLit):
        return -e.operand.value
    if isinstance(e, ast.ListExpr | ast.TupleExpr | ast.SetExpr):
        items = [literal_default(x, module) for x in e.elts]
        return {ast.ListExpr: list, ast.TupleExpr: tuple, ast.SetExpr: SglSet}[type(e)](items)
    if isinstance(e, ast.DictExpr):
        return {literal_default(k, module): literal_default(v, module) for k, v in zip(e.keys, e.values)}
    raise ValueError(f"native module {module}: a default must be a literal")
