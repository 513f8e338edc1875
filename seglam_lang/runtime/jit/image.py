"""Module images: a loaded module's runnable state, written once and read by later processes.

Owns: `key_of(source, name, file, limits)` (an image's key), `build(module)` (the image of a
module loaded the full way: parse, check, compile, tier up, constants evaluated) and
`load(key, ...)` (a `ServedModule` from a stored image, or None). With an image, a fresh
process that loads an unchanged module (a cache hit, `sgl exec` of a file run before) skips
parsing, checking, the closure compiler and the translator: it reads one file, links the
translated code and rebuilds the procs' units.

An image holds (marshal data only, see `runtime.jit.artifact` for the file and its trust rules):
the translation (code object) with its link keys *lowered* (every key that names a node of the
checked tree is replaced by what the linker would look up for it: a global's name, a module
member, a call's target and span, the static types of a comparison), the procs' units (names,
parameters, slot counts, parameter types, whether they copy their arguments, default values),
the records (types, field default values), the constants' values, the module's interface
(signatures, records, constant types), each proc's triggers, docstring and position, the
`use`d modules and the `origin` block. Types are stored as nested tuples (`enc_type`), values
as a table of containers that keeps their sharing (`enc_value`).

Key: the source, the module's name and file, the limits (and the tier they choose), this
module's format version, and the generator key (`runtime.jit.generator_key`: the package's
front end, runtime, stdlib and grammar files by size and mtime, and CPython's version).

When there is no image: a module the full load cannot tier up whole (a proc or property the
translator declines, `tier="tree"`), a module with host functions, a constant or default whose
value is not plain data (a function value), a link key of a kind this module does not know.
Those modules are always loaded the full way, which is the reference: an image only replays
what the full load computed (constants are evaluated by it, under the same limits, which are
part of the key), so results, errors, tracebacks and limits are the same by construction;
tests/runtime/test_module_image.py runs a corpus both ways to hold it so. A stored image that
does not load (stale, corrupt, wrong shape, a used module that changed) is ignored: the
module is loaded the full way and the image rewritten.

Invariants: building runs only after a successful full load; loading imports nothing of Lark,
the parser, the checker or the translator; a `ServedModule` answers calls exactly as the
module of the full load, and what it does not hold (examples, properties, the tree) comes
from a full load done on first use.
"""

from __future__ import annotations

import datetime as _dt
import time
from decimal import Decimal
from typing import Any

from seglam_lang.privatedir import sha256
from seglam_lang.runtime.jit import artifact

IMAGE_VERSION = 1
_NODE_FREE = frozenset({"rt", "str", "float", "decimal", "builtin", "method", "field", "natives", "fmt", "binary",
                        "inplace", "unary", "op", "const", "where", "table"})
# The kinds whose second item is a node's index in `link.node_order` (lowered by `_lower`).
_NODE_KEYS = frozenset({"cmp", "value", "declared", "default", "call", "copiers", "rtype", "target", "nfdefault",
                        "nfn"})


class Unencodable(Exception):
    """This module has no image (see the module docstring for when)."""


def key_of(source: str, name: str, file: str, limits: Any) -> str | None:
    """The image key of a module loaded with `limits`, or None when its tier is "tree" (or
    `$SGL_TIER` is invalid: the full load reports that, in its order)."""
    from seglam_lang.errors import SglError
    from seglam_lang.runtime.jit import effective_tier, generator_key

    try:
        tier = effective_tier(limits)
    except SglError:
        return None
    if tier == "tree":
        return None
    h = sha256(f"{IMAGE_VERSION}\0{generator_key()}\0{tier}\0{limits!r}\0{name}\0{file}\0".encode(
        "utf-8", "surrogatepass"))
    h.update(source.encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:40]


# ---------------------------------------------------------------------- types


def enc_type(t: Any) -> Any:
    """A type (`check.types`) as nested tuples; None stays None."""
    from seglam_lang.check import types as T

    if t is None:
        return None
    c = type(t)
    if c is T.PrimT:
        return ("P", t.name)
    if c is T.RecordT:
        return ("R", t.module, t.name)
    if c in (T.ListT, T.SetT, T.IterT, T.ViewT):
        return (c.__name__, enc_type(t.elem))
    if c is T.OptionalT:
        return ("OptionalT", enc_type(t.inner))
    if c is T.MapT:
        return ("MapT", enc_type(t.key), enc_type(t.value))
    if c is T.TupleT:
        return ("TupleT", tuple(enc_type(e) for e in t.elems))
    if c is T.FnT:
        return ("FnT", tuple(enc_type(p) for p in t.params), enc_type(t.ret))
    if c is T.TypeVar:
        return ("TypeVar", t.name)
    raise Unencodable(f"type {t!r}")


class _Types:
    """Decodes types, records resolved by (module, name) to the record types already known."""

    def __init__(self, records: dict[tuple[str, str], Any]) -> None:
        from seglam_lang.check import types as T

        self.T = T
        self.records = records
        self.prims = {p.name: p for p in (*T.PRIMITIVES.values(), T.ANY)}

    def add_known(self, rt: Any) -> None:
        """Know `rt` and every record type its fields name (an imported module's records)."""
        stack = [rt]
        while stack:
            r = stack.pop()
            if (r.module, r.name) in self.records:
                continue
            self.records[(r.module, r.name)] = r
            for f in r.fields:
                stack.extend(self._records_in(f.type))

    def _records_in(self, t: Any) -> list[Any]:
        T = self.T
        if isinstance(t, T.RecordT):
            return [t]
        out: list[Any] = []
        for name in ("elem", "inner", "key", "value", "ret"):
            sub = getattr(t, name, None)
            if isinstance(sub, T.Type):
                out += self._records_in(sub)
        for sub in (*getattr(t, "elems", ()), *getattr(t, "params", ())):
            out += self._records_in(sub)
        return out

    def dec(self, x: Any) -> Any:
        if x is None:
            return None
        T, tag = self.T, x[0]
        if tag == "P":
            return self.prims[x[1]]
        if tag == "R":
            return self.records[(x[1], x[2])]
        if tag in ("ListT", "SetT", "IterT", "ViewT", "OptionalT"):
            return getattr(T, tag)(self.dec(x[1]))
        if tag == "MapT":
            return T.MapT(self.dec(x[1]), self.dec(x[2]))
        if tag == "TupleT":
            return T.TupleT(tuple(self.dec(e) for e in x[1]))
        if tag == "FnT":
            return T.FnT(tuple(self.dec(p) for p in x[1]), self.dec(x[2]))
        if tag == "TypeVar":
            return T.TypeVar(x[1])
        raise ValueError(f"unknown type tag {tag!r}")


# ---------------------------------------------------------------------- values


def enc_value(root: Any) -> tuple[list[Any], Any]:
    """A frozen SGL value as (table of containers, root reference), sharing kept.

    Scalars other than Decimal and dates are stored as themselves; everything else is a tuple
    whose first item tags it (`("#", i)` refers to container `i` of the table)."""
    from seglam_lang.runtime import values as V

    table: list[Any] = []
    seen: dict[int, int] = {}
    keep: list[Any] = []

    def enc(v: Any) -> Any:
        c = type(v)
        if c in (int, float, bool, str) or v is None:
            return v
        if c is Decimal:
            return ("D", str(v))
        if c is _dt.datetime:
            if v.tzinfo is not None:
                raise Unencodable("an aware datetime")
            return ("DT", v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, v.fold)
        if c is _dt.date:
            return ("d", v.toordinal())
        if c is _dt.timedelta:
            return ("u", v.days, v.seconds, v.microseconds)
        i = seen.get(id(v))
        if i is not None:
            return ("#", i)
        if c not in (tuple, V.FrozenList, V.FrozenDict, V.FrozenSglSet, V.Record):
            raise Unencodable(f"a constant of kind {c.__name__}")
        keep.append(v)
        i = seen[id(v)] = len(table)
        table.append(None)
        if c is V.FrozenDict:
            node: Any = ("m", tuple((enc(k), enc(x)) for k, x in v.items()))
        elif c is V.Record:
            node = ("r", v.type.module, v.type.name, tuple(enc(x) for x in v.values))
        else:
            node = ({tuple: "t", V.FrozenList: "l", V.FrozenSglSet: "s"}[c], tuple(enc(x) for x in v))
        table[i] = node
        return ("#", i)

    root_ref = enc(root)
    return table, root_ref


def dec_value(table: list[Any], root: Any, records: dict[tuple[str, str], Any]) -> Any:
    from seglam_lang.runtime import values as V

    done: dict[int, Any] = {}

    def dec(x: Any) -> Any:
        if type(x) is not tuple:
            return x
        tag = x[0]
        if tag == "D":
            return Decimal(x[1])
        if tag == "DT":
            return _dt.datetime(*x[1:8], fold=x[8])
        if tag == "d":
            return _dt.date.fromordinal(x[1])
        if tag == "u":
            return _dt.timedelta(days=x[1], seconds=x[2], microseconds=x[3])
        if tag != "#":
            raise ValueError(f"unknown value tag {tag!r}")
        i = x[1]
        if i in done:
            return done[i]
        node = table[i]
        kind = node[0]
        if kind == "m":
            v: Any = V.FrozenDict({dec(k): dec(y) for k, y in node[1]})
        elif kind == "r":
            v = V.Record((records[(node[1], node[2])], *(dec(y) for y in node[3])))
        elif kind == "t":
            v = tuple(dec(y) for y in node[1])
        elif kind == "l":
            v = V.FrozenList(dec(y) for y in node[1])
        elif kind == "s":
            v = V.FrozenSglSet(dec(y) for y in node[1])
        else:
            raise ValueError(f"unknown container kind {kind!r}")
        done[i] = v
        return v

    return dec(root)


def _cell_value(cell: Any) -> tuple[list[Any], Any]:
    from seglam_lang.runtime.closures.units import ConstCell

    if isinstance(cell, ConstCell) and not cell.evaluating and cell.value is not _unset():
        return enc_value(cell.value)
    raise Unencodable("a default or constant not evaluated at load")


def _unset() -> Any:
    from seglam_lang.runtime.closures import units

    return units._UNSET


# ---------------------------------------------------------------------- building


def _span(s: Any) -> tuple[int, int, int, int]:
    return (s.line, s.col, s.end_line, s.end_col)


def _target_ref(mc: Any, e: Any) -> tuple[Any, ...]:
    """What call `e` calls, named without the tree (`link.call_target`'s cases)."""
    from seglam_lang.check.scope import Kind
    from seglam_lang.syntax import ast

    func = e.func
    if isinstance(func, ast.Name):
        b = mc.binding(func)
        if b.kind is Kind.GLOBAL:
            return ("global", b.name)
        if b.kind is Kind.BUILTIN:
            return ("builtin", b.name)
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        b = mc.binding(func.value)
        if b.kind is Kind.MODULE:
            return ("member", b.name, func.attr, _span(e.span))
    raise Unencodable("a call with no target known at load")


def _lower(mc: Any, nodes: list[Any], key: tuple[Any, ...]) -> tuple[Any, ...]:
    """`key` with the node it names replaced by what the linker looks up for that node."""
    from seglam_lang.runtime.jit.link import call_target
    from seglam_lang.syntax import ast

    kind = key[0]
    if kind in _NODE_FREE:
        return key
    if kind not in _NODE_KEYS:
        raise Unencodable(f"a link key of kind {kind!r}")  # a new kind: no image until it is taught here
    e = nodes[key[1]]
    if kind == "cmp":
        operands = [e.left, *e.comparators]
        i = key[2]
        return ("cmp", e.ops[i], enc_type(mc.types.get(id(operands[i]))), enc_type(mc.types.get(id(operands[i + 1]))))
    if kind == "value":
        if isinstance(e, ast.Name):
            return ("value", "global", mc.binding(e).name, _span(e.span))
        return ("value", "member", mc.binding(e.value).name, e.attr, _span(e.span), enc_type(mc.types.get(id(e))))
    if kind == "declared":
        return ("declared", enc_type(mc.types.get(id(e))))
    if kind in ("default", "call", "copiers", "rtype", "target", "nfdefault", "nfn"):
        ref = _target_ref(mc, e)
        if _resolve_target(mc, ref) is not call_target(mc, e):
            raise Unencodable(f"the target of a call does not resolve by name ({ref})")
        if kind == "call":
            return ("call", ref, _span(e.span), key[2])
        return (kind, ref, *key[2:])
    raise AssertionError(kind)


def build(module: Any) -> dict[str, Any] | None:
    """The image of `module` (loaded the full way, constants evaluated), or None when it has none."""
    from seglam_lang.runtime.jit.link import node_order
    from seglam_lang.syntax import ast

    report = module.tier
    mc = module._compiled
    if report is None or report.translation is None or report.declined or mc.host:
        return None
    code, keys, procs, _properties, _declined = report.translation
    if set(procs) != set(mc.procs):
        return None
    try:
        nodes = node_order(mc.tree)
        decls = {d.name: d for d in mc.tree.decls if isinstance(d, ast.ProcDecl)}
        units = []
        for name, unit in mc.procs.items():
            units.append((name, unit.nslots, tuple(unit.names), tuple(unit.has_default),
                          tuple(enc_type(t) for t in mc.param_types(decls[name].params)), bool(unit.copiers),
                          tuple((p, _cell_value(c)) for p, c in unit.defaults.items())))
        iface = module.interface
        return {
            "version": IMAGE_VERSION,
            "code": code,
            "keys": tuple(_lower(mc, nodes, k) for k in keys),
            "procs": dict(procs),
            "translated": tuple(report.procs),
            "uses": tuple((alias, m.name) for alias, m in mc.imports.items()),
            "records": tuple((rt.name, rt.module, tuple((f.name, enc_type(f.type), f.has_default) for f in rt.fields))
                             for rt in mc.record_types.values()),
            "record_defaults": tuple((name, tuple((f, _cell_value(c)) for f, c in ctor.defaults.items()))
                                     for name, ctor in mc.records.items()),
            "consts": tuple((name, _cell_value(cell)) for name, cell in mc.consts.items()),
            "units": tuple(units),
            "interface": (
                tuple((s.name, tuple((p.name, enc_type(p.type), p.has_default) for p in s.params),
                       enc_type(s.returns), s.doc) for s in iface.procs.values()),
                tuple((n, enc_type(t)) for n, t in iface.records.items()),
                tuple((n, enc_type(t)) for n, t in iface.consts.items())),
            "infos": tuple((name, tuple((t.pattern, t.is_regex, _span(t.span)) for t in info.triggers), info.doc,
                            _span(info.span)) for name, info in module.procs.items()),
            "origin": dict(module.origin),
        }
    except Unencodable:
        return None


def save(key: str, module: Any) -> None:
    image = build(module)
    if image is not None:
        artifact.write_image(key, image)


# ---------------------------------------------------------------------- loading


def _resolve_target(mc: Any, ref: tuple[Any, ...]) -> Any:
    from seglam_lang.errors import Span
    from seglam_lang.runtime.tracebacks import Where

    if ref[0] == "global":
        return mc.global_callable(ref[1])
    if ref[0] == "builtin":
        return mc.natives.builtin(ref[1])
    if ref[0] == "member":
        return mc.module_member_callable(ref[1], ref[2], Where("<jit>", mc.file, Span(*ref[3])))
    raise KeyError(ref[0])


def _resolve(mc: Any, types: _Types, key: tuple[Any, ...]) -> Any:
    """What a lowered key names in the module being loaded (`link.resolve`'s rules, without the tree)."""
    from operator import itemgetter

    from seglam_lang.errors import Span
    from seglam_lang.runtime import ops
    from seglam_lang.runtime.jit import link
    from seglam_lang.runtime.tracebacks import Where

    kind = key[0]
    if kind in _NODE_FREE:
        return link.resolve(mc, [], key)
    if kind == "cmp":
        charged, _ = ops.compare_plan(key[1], types.dec(key[2]), types.dec(key[3]))
        return charged or ops.plain_compare(key[1])
    if kind == "value":
        if key[1] == "global":
            return mc.global_value(key[2], Where("<jit>", mc.file, Span(*key[3])))
        return mc.module_member_value(key[2], key[3], Where("<jit>", mc.file, Span(*key[4])), types.dec(key[5]))
    if kind == "declared":
        return mc.declared(types.dec(key[1]))
    target = _resolve_target(mc, key[1])
    if kind == "call":
        return target.call_code([itemgetter(i) for i in range(len(target.names))],
                                Where(key[3], mc.file, Span(*key[2])))
    if kind == "default":
        return target.defaults[key[2]]
    if kind == "nfdefault":
        return target.defaults()[key[2]]
    if kind == "copiers":
        return target.copiers
    if kind == "rtype":
        return target.type
    if kind == "nfn":
        return target.fn
    if kind == "target":
        return target
    raise KeyError(kind)


class _Param:
    """What `ProcCode` reads of a parameter declaration: its name, and whether it has a default."""

    __slots__ = ("default", "name")

    def __init__(self, name: str, has_default: bool) -> None:
        self.name = name
        self.default = True if has_default else None


class Trigger:
    """A proc's trigger as a served module gives it (the fields of `syntax.ast.Trigger`)."""

    __slots__ = ("is_regex", "pattern", "span")

    def __init__(self, pattern: str, is_regex: bool, span: Any) -> None:
        self.pattern = pattern
        self.is_regex = is_regex
        self.span = span

    def __repr__(self) -> str:
        return f"Trigger(pattern={self.pattern!r}, is_regex={self.is_regex!r})"


class Loaded:
    """What a module image gives back: the parts of a `runtime.embedding.ServedModule`."""

    def __init__(self, compiled: Any, interface: Any, infos: list[tuple[Any, ...]], origin: dict[str, str],
                 translated: list[str], seconds: float) -> None:
        self.compiled = compiled      # a `CompiledModule` holding the units (no tree, no checker's result)
        self.interface = interface    # the module's `ModuleInterface`
        self.infos = infos            # (proc, triggers, doc, span), in declaration order
        self.origin = origin
        self.translated = translated  # what `Report.procs` lists
        self.seconds = seconds        # the cost of loading the image


def load(key: str, source: str, name: str, file: str, natives: Any, load_file: Any) -> Loaded | None:
    """The module stored under `key`, or None (no image, or one that does not load). `natives` is
    the embedding's native table; `load_file(path, name)` loads a stdlib file (`loader.LoadFile`)."""
    image = artifact.read_image(key)
    if image is None or image.get("version") != IMAGE_VERSION:
        return None
    try:
        return _load(image, source, name, file, natives, load_file)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None  # a stale or foreign image: loaded the full way, and rewritten


def _load(image: dict[str, Any], source: str, name: str, file: str, natives: Any, load_file: Any) -> Loaded | None:
    from seglam_lang.check import types as T
    from seglam_lang.errors import NO_SPAN, SglError, Span, source_lines
    from seglam_lang.runtime import loader
    from seglam_lang.runtime.closures.compiled import CompiledModule
    from seglam_lang.runtime.closures.units import ConstCell, ProcCode, RecordCtor
    from seglam_lang.runtime.jit.rt import entry
    from seglam_lang.runtime.tracebacks import Where

    t0 = time.perf_counter()
    imports: dict[str, Any] = {}
    for alias, used in image["uses"]:
        try:
            imports[alias] = loader.load_std(tuple(used.split(".")), NO_SPAN, file, load_file)
        except SglError:
            return None  # the full load reports it
    types = _Types({})
    own: dict[str, Any] = {}
    for rname, module_name, _fields in image["records"]:
        own[rname] = types.records[(module_name, rname)] = T.RecordT(rname, module_name, ())
    for std in imports.values():
        for rt in std.interface.records.values():
            types.add_known(rt)
    for rname, _module, fields in image["records"]:
        object.__setattr__(own[rname], "fields", tuple(T.FieldSig(f, types.dec(t), d) for f, t, d in fields))

    def cell(what: str, encoded: Any) -> ConstCell:
        c = ConstCell(what).define(lambda f: None, 0, Where("<module>", file, NO_SPAN))
        c.value = dec_value(encoded[0], encoded[1], types.records)
        return c

    mc = CompiledModule.__new__(CompiledModule)
    mc.checked = mc.tree = mc.resolution = None
    mc.source, mc.file, mc.natives, mc.imports, mc.host, mc.types = source, file, natives, imports, {}, {}
    mc._lines = source_lines(source)
    mc.record_types = own
    mc.properties, mc.examples = {}, []
    mc.records = {}
    for rname, defaults in image["record_defaults"]:
        ctor = mc.records[rname] = RecordCtor(own[rname], None)
        ctor.defaults = {f: cell(f"{rname}.{f}", v) for f, v in defaults}
    mc.consts = {n: cell(n, v) for n, v in image["consts"]}
    mc.procs = {}
    for pname, nslots, names, has_default, param_types, mutates, defaults in image["units"]:
        unit = ProcCode(pname, file, tuple(_Param(n, d) for n, d in zip(names, has_default)), nslots,
                        [types.dec(t) for t in param_types], mutates)
        unit.defaults = {p: cell(f"{pname}.{p}", v) for p, v in defaults}
        mc.procs[pname] = unit
    namespace: dict[str, Any] = {"__builtins__": {}}
    for i, key in enumerate(image["keys"]):
        namespace[f"_g{i}"] = _resolve(mc, types, key)
    exec(image["code"], namespace)
    bodies = [(mc.procs[p], namespace[fn]) for p, fn in image["procs"].items()]
    if len(bodies) != len(mc.procs):
        return None
    for unit, fn in bodies:  # only once everything resolved: a module is never half installed
        unit.body = entry(fn, len(unit.names))
    iface_procs, iface_records, iface_consts = image["interface"]
    interface = T.ModuleInterface(
        name,
        {n: T.ProcSig(n, tuple(T.ParamSig(p, types.dec(t), d) for p, t, d in params), types.dec(ret), doc)
         for n, params, ret, doc in iface_procs},
        {n: types.dec(t) for n, t in iface_records},
        {n: types.dec(t) for n, t in iface_consts})
    infos = [(n, tuple(Trigger(p, r, Span(*s)) for p, r, s in trigs), doc, Span(*span))
             for n, trigs, doc, span in image["infos"]]
    return Loaded(mc, interface, infos, dict(image["origin"]), list(image["translated"]), time.perf_counter() - t0)
