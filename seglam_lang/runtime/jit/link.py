"""Link keys to objects: what each global `_g<i>` of translated code is, for one loaded module.

Owns: `node_order(tree)` (the fixed order in which keys name nodes), `resolve(mc, nodes, key)`
(one key -> the native, `ops` function, cell, proc, position table... it names) and `call_target(mc, call)` (what a call node calls, as the tree-walker
decides it), shared by the translator and the linker so both see the same objects.

A key is a tuple of strings, ints and tuples (it is stored with the code object by `marshal`):
nodes are named by their index in `node_order`, never by object identity, so a
cached translation links against a freshly checked module.

Invariants: every key kind is listed in `_RESOLVERS`; an unknown key is a `KeyError` (a stale
or foreign artifact is then translated again, never run).
"""

from __future__ import annotations

from decimal import Decimal
from operator import itemgetter
from typing import Any

from seglam_lang.check.scope import Kind
from seglam_lang.errors import Span
from seglam_lang.runtime import ops
from seglam_lang.runtime.jit.rt import HELPERS, Table
from seglam_lang.runtime.tracebacks import Where
from seglam_lang.syntax import ast


def node_order(tree: ast.Module) -> list[Any]:
    """Every node of the module in a fixed order: link keys name nodes by their index here."""
    return [n for d in tree.decls for n in ast.walk(d)]


def call_target(mc: Any, e: ast.Call) -> Any:
    """What call `e` calls when it is known at load (the tree-walker's `x_Call` rule), else None."""
    func = e.func
    if isinstance(func, ast.Name):
        b = mc.binding(func)
        if b.kind is Kind.GLOBAL:
            return mc.global_callable(b.name)
        if b.kind is Kind.BUILTIN:
            return mc.natives.builtin(b.name)
        return None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        b = mc.binding(func.value)
        if b.kind is Kind.MODULE:
            return mc.module_member_callable(b.name, func.attr, Where("<jit>", mc.file, e.span))
    return None


def _where(mc: Any, fn_name: str, span: tuple[int, int, int, int]) -> Where:
    return Where(fn_name, mc.file, Span(*span))


def _table(mc: Any, nodes: list[Any], fn_name: str, default: Any, entries: tuple[Any, ...]) -> Table:
    """An entry's node is in `name`'s proc (None: `fn_name`), inlined at `sites` ((proc, span), innermost first)."""
    return Table([(l1, c1, l2, c2, _where(mc, name or fn_name, sp), kind,
                   tuple(_where(mc, n, s) for n, s in sites)) for l1, c1, l2, c2, sp, kind, name, sites in entries],
                 _where(mc, fn_name, default) if default is not None else None)


def _compare(mc: Any, nodes: list[Any], k: int, i: int) -> Any:
    e = nodes[k]
    operands = [e.left, *e.comparators]
    op = e.ops[i]
    charged, _ = ops.compare_plan(op, mc.types.get(id(operands[i])), mc.types.get(id(operands[i + 1])))
    return charged or ops.plain_compare(op)


def _value(mc: Any, nodes: list[Any], k: int) -> Any:
    """A global or module member read as a value: the tree-walker's reader (it only reads `f[-1]`)."""
    e = nodes[k]
    where = Where("<jit>", mc.file, e.span)
    if isinstance(e, ast.Name):
        return mc.global_value(mc.binding(e).name, where)
    return mc.module_member_value(mc.binding(e.value).name, e.attr, where, mc.types.get(id(e)))


def _slow_call(mc: Any, nodes: list[Any], k: int, fn_name: str) -> Any:
    e = nodes[k]
    target = call_target(mc, e)
    return target.call_code([itemgetter(i) for i in range(len(target.names))], _where(mc, fn_name, _span(e)))


def _span(e: Any) -> tuple[int, int, int, int]:
    s = e.span
    return (s.line, s.col, s.end_line, s.end_col)


def _target(mc: Any, nodes: list[Any], k: int) -> Any:
    return call_target(mc, nodes[k])


_OPS = {"setitem": ops.setitem, "getitem": ops.getitem, "getslice": ops.getslice}

_RESOLVERS: dict[str, Any] = {
    "rt": lambda mc, nodes, name: HELPERS[name],
    "str": lambda mc, nodes, s: s,
    "float": lambda mc, nodes, r: float(r),
    "decimal": lambda mc, nodes, text: Decimal(text, context=ops.DECIMAL_CONTEXT),
    "builtin": lambda mc, nodes, name: mc.natives.builtin(name),
    "method": lambda mc, nodes, t, name: mc.natives.method(t, name),
    "field": lambda mc, nodes, t, name: mc.natives.field(t, name),
    "natives": lambda mc, nodes: mc.natives,
    "fmt": lambda mc, nodes: mc.natives.format_field,
    "binary": lambda mc, nodes, op: ops.BINARY[op],
    "inplace": lambda mc, nodes, op: ops.INPLACE[op],
    "unary": lambda mc, nodes, op: ops.UNARY[op],
    "op": lambda mc, nodes, name: _OPS[name],
    "cmp": _compare,
    "const": lambda mc, nodes, name: mc.consts[name],
    "value": _value,
    "default": lambda mc, nodes, k, name: _target(mc, nodes, k).defaults[name],
    "call": _slow_call,
    "copiers": lambda mc, nodes, k: _target(mc, nodes, k).copiers,
    "rtype": lambda mc, nodes, k: _target(mc, nodes, k).type,
    "target": _target,
    "nfdefault": lambda mc, nodes, k, name: _target(mc, nodes, k).defaults()[name],
    "nfn": lambda mc, nodes, k: _target(mc, nodes, k).fn,
    "declared": lambda mc, nodes, k: mc.declared(mc.types.get(id(nodes[k]))),
    "where": lambda mc, nodes, fn_name, span: _where(mc, fn_name, span),
    "table": _table,
}


def resolve(mc: Any, nodes: list[Any], key: tuple[Any, ...]) -> Any:
    return _RESOLVERS[key[0]](mc, nodes, *key[1:])
