"""The SGL abstract syntax tree.

Owns: one frozen attrs class per construct of the language. Every node carries a
`span` (its source range) that takes no part in equality or hashing, so that two trees
that differ only in layout compare equal (`parse(print(tree)) == tree`).

Invariants:
- nodes are immutable; children are tuples, never lists;
- literal nodes keep their Python value exactly (`IntLit(1) != BoolLit(True)`);
- assignment targets are `Name`, `Subscript`, `Attribute` or `TupleExpr` of targets
  (the parser guarantees the shape; the checker decides what is allowed);
- a docstring is lifted out of a body into the declaration's `doc` field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Union

import attrs

from seglam_lang.errors import NO_SPAN, Span


def _span_field() -> Span:
    return attrs.field(default=NO_SPAN, eq=False, repr=False, kw_only=True)


class _Node:
    """Shared base: hand-written repr, equality and hash instead of ones generated per
    class, because generating them is most of the cost of importing this module, and
    this module is on the start-up path of every `sgl` command. Equality compares the
    fields whose attrs `eq` is true (not spans), exactly as attrs' generated methods would."""

    __slots__ = ()

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, a.name) for a in self.__attrs_attrs__ if a.eq)  # type: ignore[attr-defined]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self._key()))

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{a.name}={getattr(self, a.name)!r}" for a in self.__attrs_attrs__ if a.repr  # type: ignore[attr-defined]
        )
        return f"{type(self).__name__}({fields})"


def node(cls: type) -> type:
    """Make `cls` a frozen, slotted attrs AST node class; only `__init__` is generated (start-up speed)."""
    body = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    based = type(cls.__name__, (_Node,), body)
    based.__qualname__ = cls.__qualname__
    return attrs.define(
        based, frozen=True, slots=True, weakref_slot=False, repr=False, eq=False,
        getstate_setstate=False, match_args=False,
    )


# ---------------------------------------------------------------- types


@node
class TypeName:
    """A type annotation: `Int`, `List[Int]`, `Map[Str, Int]`, `Item`, `T?` (optional)."""

    name: str
    args: tuple[TypeExpr, ...] = ()
    optional: bool = False
    span: Span = _span_field()


TypeExpr = TypeName


# ---------------------------------------------------------------- expressions


@node
class Name:
    id: str
    span: Span = _span_field()


@node
class IntLit:
    value: int
    span: Span = _span_field()


@node
class FloatLit:
    value: float
    span: Span = _span_field()


@node
class StrLit:
    value: str
    span: Span = _span_field()


@node
class BoolLit:
    value: bool
    span: Span = _span_field()


@node
class NoneLit:
    span: Span = _span_field()


@node
class FormattedValue:
    """`{expr!conversion:spec}` inside an f-string; `spec` is plain text (no nested fields)."""

    value: Expr
    conversion: str | None = None
    spec: str | None = None
    span: Span = _span_field()


@node
class FString:
    """An f-string: literal text (`str`) and `FormattedValue`s, in order."""

    parts: tuple[str | FormattedValue, ...]
    span: Span = _span_field()


@node
class TupleExpr:
    elts: tuple[Expr, ...]
    span: Span = _span_field()


@node
class ListExpr:
    elts: tuple[Expr, ...]
    span: Span = _span_field()


@node
class SetExpr:
    elts: tuple[Expr, ...]
    span: Span = _span_field()


@node
class DictExpr:
    keys: tuple[Expr, ...]
    values: tuple[Expr, ...]
    span: Span = _span_field()


@node
class Comprehension:
    """One `for target in iter if cond...` clause of a comprehension."""

    target: Expr
    iter: Expr
    ifs: tuple[Expr, ...] = ()
    span: Span = _span_field()


@node
class ListComp:
    elt: Expr
    generators: tuple[Comprehension, ...]
    span: Span = _span_field()


@node
class SetComp:
    elt: Expr
    generators: tuple[Comprehension, ...]
    span: Span = _span_field()


@node
class DictComp:
    key: Expr
    value: Expr
    generators: tuple[Comprehension, ...]
    span: Span = _span_field()


@node
class GeneratorExp:
    """A generator expression; allowed as a call argument (`sum(x for x in xs)`)."""

    elt: Expr
    generators: tuple[Comprehension, ...]
    span: Span = _span_field()


@node
class UnaryOp:
    op: str  # '-', '+', '~', 'not'
    operand: Expr
    span: Span = _span_field()


@node
class BinOp:
    left: Expr
    op: str  # '+', '-', '*', '/', '//', '%', '**', '<<', '>>', '&', '|', '^'
    right: Expr
    span: Span = _span_field()


@node
class BoolOp:
    left: Expr
    op: str  # 'and', 'or'
    right: Expr
    span: Span = _span_field()


@node
class Compare:
    """A (possibly chained) comparison: `a < b <= c`."""

    left: Expr
    ops: tuple[str, ...]  # '<', '>', '==', '>=', '<=', '!=', 'in', 'not in', 'is', 'is not'
    comparators: tuple[Expr, ...]
    span: Span = _span_field()


@node
class IfExp:
    test: Expr
    body: Expr
    orelse: Expr
    span: Span = _span_field()


@node
class Lambda:
    params: tuple[str, ...]
    body: Expr
    span: Span = _span_field()


@node
class Keyword:
    name: str
    value: Expr
    span: Span = _span_field()


@node
class Call:
    func: Expr
    args: tuple[Expr, ...] = ()
    keywords: tuple[Keyword, ...] = ()
    span: Span = _span_field()


@node
class Attribute:
    value: Expr
    attr: str
    span: Span = _span_field()


@node
class Slice:
    lower: Expr | None = None
    upper: Expr | None = None
    step: Expr | None = None
    span: Span = _span_field()


@node
class Subscript:
    value: Expr
    index: Expr | Slice
    span: Span = _span_field()


Expr = Union[
    Name, IntLit, FloatLit, StrLit, BoolLit, NoneLit, FString, TupleExpr, ListExpr,
    SetExpr, DictExpr, ListComp, SetComp, DictComp, GeneratorExp, UnaryOp, BinOp,
    BoolOp, Compare, IfExp, Lambda, Call, Attribute, Subscript,
]

# ---------------------------------------------------------------- statements


@node
class Assign:
    target: Expr
    value: Expr
    span: Span = _span_field()


@node
class AnnAssign:
    target: Name
    annotation: TypeExpr
    value: Expr
    span: Span = _span_field()


@node
class AugAssign:
    target: Expr
    op: str  # the binary operator: '+', '-', ...
    value: Expr
    span: Span = _span_field()


@node
class ExprStmt:
    value: Expr
    span: Span = _span_field()


@node
class If:
    """`if`; an `elif` chain is an `If` as the only statement of `orelse`."""

    test: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()
    span: Span = _span_field()


@node
class For:
    target: Expr
    iter: Expr
    body: tuple[Stmt, ...]
    span: Span = _span_field()


@node
class While:
    test: Expr
    body: tuple[Stmt, ...]
    span: Span = _span_field()


@node
class Break:
    span: Span = _span_field()


@node
class Continue:
    span: Span = _span_field()


@node
class Pass:
    span: Span = _span_field()


@node
class Return:
    value: Expr | None = None
    span: Span = _span_field()


@node
class Require:
    test: Expr
    msg: Expr | None = None
    span: Span = _span_field()


@node
class Assert:
    test: Expr
    msg: Expr | None = None
    span: Span = _span_field()


@node
class Fail:
    msg: Expr
    span: Span = _span_field()


Stmt = Union[
    Assign, AnnAssign, AugAssign, ExprStmt, If, For, While, Break, Continue, Pass,
    Return, Require, Assert, Fail,
]

# ---------------------------------------------------------------- declarations


@node
class Use:
    """`use std.text` / `use std.money as money`."""

    path: tuple[str, ...]
    alias: str | None = None
    span: Span = _span_field()

    @property
    def local_name(self) -> str:
        return self.alias or self.path[-1]


@node
class Field:
    name: str
    type: TypeExpr
    default: Expr | None = None
    span: Span = _span_field()


@node
class RecordDecl:
    name: str
    fields: tuple[Field, ...]
    doc: str | None = None
    span: Span = _span_field()


@node
class ConstDecl:
    name: str
    annotation: TypeExpr | None
    value: Expr
    span: Span = _span_field()


@node
class Param:
    name: str
    type: TypeExpr
    default: Expr | None = None
    span: Span = _span_field()


@node
class Trigger:
    """`@when("template")` or `@when(re"regex")`."""

    pattern: str
    is_regex: bool = False
    span: Span = _span_field()


@node
class ProcDecl:
    name: str
    params: tuple[Param, ...]
    returns: TypeExpr
    body: tuple[Stmt, ...]
    doc: str | None = None
    triggers: tuple[Trigger, ...] = ()
    span: Span = _span_field()


@node
class ExampleDecl:
    expr: Expr
    span: Span = _span_field()


@node
class PropertyDecl:
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    doc: str | None = None
    span: Span = _span_field()


@node
class OriginDecl:
    entries: tuple[tuple[str, str], ...]
    span: Span = _span_field()


Decl = Union[Use, RecordDecl, ConstDecl, ProcDecl, ExampleDecl, PropertyDecl, OriginDecl]


@node
class Comment:
    """A `#` comment, kept for the formatter; `own_line` is False for a trailing comment."""

    text: str
    line: int
    col: int
    own_line: bool


@node
class Module:
    decls: tuple[Decl, ...]
    comments: tuple[Comment, ...] = attrs.field(default=(), eq=False, repr=False)
    file: str = attrs.field(default="<input>", eq=False)
    source: str = attrs.field(default="", eq=False, repr=False)
    span: Span = _span_field()

    @property
    def procs(self) -> tuple[ProcDecl, ...]:
        return tuple(d for d in self.decls if isinstance(d, ProcDecl))

    @property
    def origin(self) -> dict[str, str]:
        return {k: v for d in self.decls if isinstance(d, OriginDecl) for k, v in d.entries}


AnyNode = Union[Expr, Stmt, Decl, TypeName, Module, Comprehension, Keyword, Slice, FormattedValue, Field, Param, Trigger]


def children(n: object) -> Iterator[object]:
    """The direct child nodes of `n` (for generic walks), in field order."""
    for a in n.__attrs_attrs__:  # type: ignore[attr-defined]
        if a.name == "span":
            continue
        v = getattr(n, a.name)
        if isinstance(v, tuple):
            for item in v:
                if hasattr(item, "__attrs_attrs__"):
                    yield item
                elif isinstance(item, tuple):  # dict entries, origin entries
                    yield from (x for x in item if hasattr(x, "__attrs_attrs__"))
        elif hasattr(v, "__attrs_attrs__"):
            yield v


def walk(root: object) -> Iterator[object]:
    """Every node under `root`, pre-order, without recursion."""
    stack = [root]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(children(n))))
