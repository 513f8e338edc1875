"""The SGL abstract syntax tree.

Owns: one frozen class (`seglam_lang.frozen`) per construct of the language. Every node carries a
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

from seglam_lang.errors import NO_SPAN, Span
from seglam_lang.frozen import field, frozen


def _span_field() -> Span:
    return field(default=NO_SPAN, eq=False, repr=False, kw_only=True)


# ---------------------------------------------------------------- types


@frozen
class TypeName:
    """A type annotation: `Int`, `List[Int]`, `Map[Str, Int]`, `Item`, `T?` (optional)."""

    name: str
    args: tuple[TypeExpr, ...] = ()
    optional: bool = False
    span: Span = _span_field()


TypeExpr = TypeName


# ---------------------------------------------------------------- expressions


@frozen
class Name:
    id: str
    span: Span = _span_field()


@frozen
class IntLit:
    value: int
    span: Span = _span_field()


@frozen
class FloatLit:
    value: float
    span: Span = _span_field()


@frozen
class StrLit:
    value: str
    # Spelled `r"..."` in the source: layout only (like `span`, no part in equality), so
    # that `sgl fmt` keeps a regex raw instead of doubling its backslashes.
    raw: bool = field(default=False, eq=False, repr=False, kw_only=True)
    span: Span = _span_field()


@frozen
class BoolLit:
    value: bool
    span: Span = _span_field()


@frozen
class NoneLit:
    span: Span = _span_field()


@frozen
class FormattedValue:
    """`{expr!conversion:spec}` inside an f-string; `spec` is plain text (no nested fields)."""

    value: Expr
    conversion: str | None = None
    spec: str | None = None
    span: Span = _span_field()


@frozen
class FString:
    """An f-string: literal text (`str`) and `FormattedValue`s, in order."""

    parts: tuple[str | FormattedValue, ...]
    span: Span = _span_field()


@frozen
class TupleExpr:
    elts: tuple[Expr, ...]
    span: Span = _span_field()


@frozen
class ListExpr:
    elts: tuple[Expr, ...]
    span: Span = _span_field()


@frozen
class SetExpr:
    elts: tuple[Expr, ...]
    span: Span = _span_field()


@frozen
class DictExpr:
    keys: tuple[Expr, ...]
    values: tuple[Expr, ...]
    span: Span = _span_field()


@frozen
class Comprehension:
    """One `for target in iter if cond...` clause of a comprehension."""

    target: Expr
    iter: Expr
    ifs: tuple[Expr, ...] = ()
    span: Span = _span_field()


@frozen
class ListComp:
    elt: Expr
    generators: tuple[Comprehension, ...]
    span: Span = _span_field()


@frozen
class SetComp:
    elt: Expr
    generators: tuple[Comprehension, ...]
    span: Span = _span_field()


@frozen
class DictComp:
    key: Expr
    value: Expr
    generators: tuple[Comprehension, ...]
    span: Span = _span_field()


@frozen
class GeneratorExp:
    """A generator expression; allowed as a call argument (`sum(x for x in xs)`)."""

    elt: Expr
    generators: tuple[Comprehension, ...]
    span: Span = _span_field()


@frozen
class UnaryOp:
    op: str  # '-', '+', '~', 'not'
    operand: Expr
    span: Span = _span_field()


@frozen
class BinOp:
    left: Expr
    op: str  # '+', '-', '*', '/', '//', '%', '**', '<<', '>>', '&', '|', '^'
    right: Expr
    span: Span = _span_field()


@frozen
class BoolOp:
    left: Expr
    op: str  # 'and', 'or'
    right: Expr
    span: Span = _span_field()


@frozen
class Compare:
    """A (possibly chained) comparison: `a < b <= c`."""

    left: Expr
    ops: tuple[str, ...]  # '<', '>', '==', '>=', '<=', '!=', 'in', 'not in', 'is', 'is not'
    comparators: tuple[Expr, ...]
    span: Span = _span_field()


@frozen
class IfExp:
    test: Expr
    body: Expr
    orelse: Expr
    span: Span = _span_field()


@frozen
class Lambda:
    params: tuple[str, ...]
    body: Expr
    span: Span = _span_field()


@frozen
class Keyword:
    name: str
    value: Expr
    span: Span = _span_field()


@frozen
class Call:
    func: Expr
    args: tuple[Expr, ...] = ()
    keywords: tuple[Keyword, ...] = ()
    span: Span = _span_field()


@frozen
class Attribute:
    value: Expr
    attr: str
    span: Span = _span_field()


@frozen
class Slice:
    lower: Expr | None = None
    upper: Expr | None = None
    step: Expr | None = None
    span: Span = _span_field()


@frozen
class Subscript:
    value: Expr
    index: Expr | Slice
    span: Span = _span_field()


Expr = (
    Name | IntLit | FloatLit | StrLit | BoolLit | NoneLit | FString | TupleExpr | ListExpr |
    SetExpr | DictExpr | ListComp | SetComp | DictComp | GeneratorExp | UnaryOp | BinOp |
    BoolOp | Compare | IfExp | Lambda | Call | Attribute | Subscript
)

# ---------------------------------------------------------------- statements


@frozen
class Assign:
    target: Expr
    value: Expr
    span: Span = _span_field()


@frozen
class AnnAssign:
    target: Name
    annotation: TypeExpr
    value: Expr
    span: Span = _span_field()


@frozen
class AugAssign:
    target: Expr
    op: str  # the binary operator: '+', '-', ...
    value: Expr
    span: Span = _span_field()


@frozen
class ExprStmt:
    value: Expr
    span: Span = _span_field()


@frozen
class If:
    """`if`; an `elif` chain is an `If` as the only statement of `orelse`."""

    test: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()
    span: Span = _span_field()


@frozen
class For:
    target: Expr
    iter: Expr
    body: tuple[Stmt, ...]
    span: Span = _span_field()


@frozen
class While:
    test: Expr
    body: tuple[Stmt, ...]
    span: Span = _span_field()


@frozen
class Break:
    span: Span = _span_field()


@frozen
class Continue:
    span: Span = _span_field()


@frozen
class Pass:
    span: Span = _span_field()


@frozen
class Return:
    value: Expr | None = None
    span: Span = _span_field()


@frozen
class Require:
    test: Expr
    msg: Expr | None = None
    span: Span = _span_field()


@frozen
class Assert:
    test: Expr
    msg: Expr | None = None
    span: Span = _span_field()


@frozen
class Fail:
    msg: Expr
    span: Span = _span_field()


Stmt = (
    Assign | AnnAssign | AugAssign | ExprStmt | If | For | While | Break | Continue | Pass |
    Return | Require | Assert | Fail
)

# ---------------------------------------------------------------- declarations


@frozen
class Use:
    """`use std.text` / `use std.money as money`."""

    path: tuple[str, ...]
    alias: str | None = None
    span: Span = _span_field()

    @property
    def local_name(self) -> str:
        return self.alias or self.path[-1]


@frozen
class Field:
    name: str
    type: TypeExpr
    default: Expr | None = None
    span: Span = _span_field()


@frozen
class RecordDecl:
    name: str
    fields: tuple[Field, ...]
    doc: str | None = None
    span: Span = _span_field()


@frozen
class ConstDecl:
    name: str
    annotation: TypeExpr | None
    value: Expr
    span: Span = _span_field()


@frozen
class Param:
    name: str
    type: TypeExpr
    default: Expr | None = None
    span: Span = _span_field()


@frozen
class Trigger:
    """`@when("template")` or `@when(re"regex")`."""

    pattern: str
    is_regex: bool = False
    span: Span = _span_field()


@frozen
class ProcDecl:
    name: str
    params: tuple[Param, ...]
    returns: TypeExpr
    body: tuple[Stmt, ...]
    doc: str | None = None
    triggers: tuple[Trigger, ...] = ()
    span: Span = _span_field()


NOT_APPLICABLE = "is not applicable"   # the call must stop at a failed `require`
FAILS = "fails"                          # the call must stop with a runtime error


@frozen
class ExampleDecl:
    """`example EXPR` (a Bool that must hold), or `example CALL is not applicable` /
    `example CALL fails` (`expect` is NOT_APPLICABLE / FAILS; `expr` the call)."""

    expr: Expr
    span: Span = _span_field()
    expect: str | None = None


@frozen
class PropertyDecl:
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    doc: str | None = None
    span: Span = _span_field()


@frozen
class OriginDecl:
    entries: tuple[tuple[str, str], ...]
    span: Span = _span_field()


Decl = Use | RecordDecl | ConstDecl | ProcDecl | ExampleDecl | PropertyDecl | OriginDecl


@frozen
class Comment:
    """A `#` comment, kept for the formatter; `own_line` is False for a trailing comment."""

    text: str
    line: int
    col: int
    own_line: bool


@frozen
class Module:
    decls: tuple[Decl, ...]
    comments: tuple[Comment, ...] = field(default=(), eq=False, repr=False)
    file: str = field(default="<input>", eq=False)
    source: str = field(default="", eq=False, repr=False)
    span: Span = _span_field()

    @property
    def procs(self) -> tuple[ProcDecl, ...]:
        return tuple(d for d in self.decls if isinstance(d, ProcDecl))

    @property
    def origin(self) -> dict[str, str]:
        return {k: v for d in self.decls if isinstance(d, OriginDecl) for k, v in d.entries}


AnyNode = (
    Expr | Stmt | Decl | TypeName | Module | Comprehension | Keyword | Slice | FormattedValue |
    Field | Param | Trigger
)


def children(n: object) -> Iterator[object]:
    """The direct child nodes of `n` (for generic walks), in field order."""
    for a in n.__frozen_fields__:  # type: ignore[attr-defined]
        if a.name == "span":
            continue
        v = getattr(n, a.name)
        if isinstance(v, tuple):
            for item in v:
                if hasattr(item, "__frozen_fields__"):
                    yield item
                elif isinstance(item, tuple):  # dict entries, origin entries
                    yield from (x for x in item if hasattr(x, "__frozen_fields__"))
        elif hasattr(v, "__frozen_fields__"):
            yield v


def walk(root: object) -> Iterator[object]:
    """Every node under `root`, pre-order, without recursion."""
    stack = [root]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(children(n))))
