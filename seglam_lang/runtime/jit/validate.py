"""The allow-list every generated source passes before it is compiled: a check of the translator's output.

Owns: `validate(source)`: parses the generated Python and refuses anything outside the small
language the translator emits. It is the second line of the JIT tier's safety argument (the
first is the translator, which copies no SGL text into code): whatever a translator bug did,
code that reaches `compile()` has
- only generated identifiers (`_v1_2`, `_t7`, `_g3`, `_P0`...): no name of Python's built-ins
  or of the SGL program;
- no literal but ints, True, False and None (strings and floats are link keys);
- attribute access only to the names listed in `_ATTRIBUTES`: on the run context `_c` (its
  budget), on a comprehension's accumulator `_o<n>`, and on a value computed by the code (never
  a global `_g<n>`: a native, a helper or a literal) to `_VALUE_ATTRIBUTES`, the methods
  generated code calls on a List, a Map or a Decimal it proved it is (no name
  starts with `_`, and each is a field or method of a value, so nothing else is reached by it);
- no import, class, global, nonlocal, del, with, await, lambda, or Python comprehension.

Invariants: the source is ASCII (so the columns of positions are characters); a refusal
raises `Unsafe`, and the module stays on the tree-walker.
"""

from __future__ import annotations

import ast as pyast
import re

_NAME = re.compile(r"_(?:v\d+_\d+|[tnoCGLPk]\d+|g\d+|[cdser])")
_ATTRIBUTES = {
    "_c": frozenset({"depth", "max_depth", "fuel", "tick", "charge", "out_of_depth",
                     "check_collection_len", "check_str_len", "recorder"}),
    "_o": frozenset({"append", "add"}),
}
_VALUE_ATTRIBUTES = frozenset({"append", "get", "keys", "values", "items", "quantize"})
_NODES = (
    pyast.Module, pyast.FunctionDef, pyast.arguments, pyast.arg, pyast.Return, pyast.Assign, pyast.AugAssign,
    pyast.For, pyast.While, pyast.If, pyast.Raise, pyast.Try, pyast.ExceptHandler, pyast.Expr, pyast.Pass,
    pyast.Break, pyast.Continue, pyast.BoolOp, pyast.NamedExpr, pyast.BinOp, pyast.UnaryOp, pyast.IfExp,
    pyast.Dict, pyast.Set, pyast.Compare, pyast.Call, pyast.Yield, pyast.Constant, pyast.Attribute,
    pyast.Subscript, pyast.Slice, pyast.Starred, pyast.Name, pyast.List, pyast.Tuple, pyast.Load, pyast.Store,
    pyast.And, pyast.Or, pyast.Add, pyast.Sub, pyast.Mult, pyast.Div, pyast.FloorDiv, pyast.Mod, pyast.Not,
    pyast.USub, pyast.Eq, pyast.NotEq, pyast.Lt, pyast.LtE, pyast.Gt, pyast.GtE, pyast.Is, pyast.IsNot,
    pyast.In, pyast.NotIn, pyast.BitAnd, pyast.keyword,
)


class Unsafe(Exception):
    """Generated code outside the allow-list (a translator bug): it is never compiled."""


def validate(source: str) -> pyast.Module:
    if not source.isascii():
        raise Unsafe("generated source is not ASCII")
    tree = pyast.parse(source)
    for node in pyast.walk(tree):
        if not isinstance(node, _NODES):
            raise Unsafe(f"{type(node).__name__} at line {getattr(node, 'lineno', '?')}")
        if isinstance(node, pyast.Name):
            _name(node.id, node)
        elif isinstance(node, pyast.FunctionDef):
            _name(node.name, node)
            if node.decorator_list or node.returns or node.args.vararg or node.args.kwarg or node.args.defaults:
                raise Unsafe(f"function form at line {node.lineno}")
        elif isinstance(node, pyast.arg):
            _name(node.arg, node)
        elif isinstance(node, pyast.ExceptHandler) and node.name is not None:
            _name(node.name, node)
        elif isinstance(node, pyast.Constant):
            if type(node.value) not in (int, bool, type(None)):
                raise Unsafe(f"a {type(node.value).__name__} literal at line {node.lineno}")
        elif isinstance(node, pyast.Attribute):
            base = node.value
            name = base.id if isinstance(base, pyast.Name) else None
            if name == "_c" or (name is not None and re.fullmatch(r"_o\d+", name)):
                allowed = _ATTRIBUTES[name[:2]]
            else:
                allowed = frozenset() if name is not None and name.startswith("_g") else _VALUE_ATTRIBUTES
            if node.attr not in allowed:
                raise Unsafe(f"attribute .{node.attr} at line {node.lineno}")
        elif isinstance(node, pyast.keyword) and node.arg is not None:
            raise Unsafe(f"a keyword argument by name at line {node.lineno}")
    return tree


def _name(name: str, node: pyast.AST) -> None:
    if not _NAME.fullmatch(name):
        raise Unsafe(f"name {name!r} at line {getattr(node, 'lineno', '?')}")
