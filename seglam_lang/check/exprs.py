"""Type checking of SGL expressions (everything but calls, which live in `calls.py`).

Owns: the typing rules of names, literals, displays, comprehensions, operators,
comparisons, `and`/`or`/`not`, conditional expressions, lambdas, attribute access,
indexing and f-strings, and the narrowing facts a condition establishes
(`x is not None`, `x`, `not c`, `a and b`, `a or b`).

Invariants: `expr(e)` records the type of `e` in `types` and returns it; after a problem
it returns `ANY` so the enclosing expression reports nothing more (one mistake, one
diagnostic). Recursion depth is bounded by the parser's nesting limit.
"""

from __future__ import annotations

from seglam_lang.check.builtins import FIELDS, METHODS, RECORD_METHODS, method_table
from seglam_lang.check.calls import CallChecker
from seglam_lang.check.context import CheckContext, FunctionContext, State
from seglam_lang.check.hints import a_an, declare_hint, did_you_mean, mismatch_hint
from seglam_lang.check.scope import Kind
from seglam_lang.check.types import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    DURATION,
    FLOAT,
    INT,
    NONE,
    STR,
    FnT,
    IterT,
    ListT,
    MapT,
    OptionalT,
    RecordT,
    SetT,
    TupleT,
    Type,
    TypeVar,
    ViewT,
    optional,
    strip_optional,
)
from seglam_lang.check.unify import (
    NUMBERS,
    Hole,
    assign,
    elem_type,
    is_hashable,
    join,
    numeric_result,
    orderable,
    prune,
    related,
)
from seglam_lang.codes import (
    E_BAD_FORMAT,
    E_BAD_INDEX,
    E_BAD_OPERATOR,
    E_CANNOT_INFER,
    E_EQ_UNRELATED,
    E_FROZEN,
    E_IS_NOT_NONE,
    E_MAYBE_NONE,
    E_MISMATCH,
    E_NO_ATTRIBUTE,
    E_NO_ORDER,
    E_NOT_CALLABLE,
    E_NOT_ITERABLE,
    E_REASSIGN,
    E_RECORD_ASSIGN,
    E_TRUTH,
    E_TUPLE_INDEX,
    E_UNHASHABLE,
    E_UNKNOWN_FIELD,
    E_UNKNOWN_MEMBER,
    E_USED_BEFORE_ASSIGNMENT,
)
from seglam_lang.syntax import ast
from seglam_lang.syntax.formatspec import FORMAT_SPEC_RE

# Date and time arithmetic, exactly Python's datetime/timedelta operators.
_TIME_OPS: dict[tuple[str, Type, Type], Type] = {
    **{("-", t, t): DURATION for t in (DATE, DATETIME)},
    **{("+", t, DURATION): t for t in (DATE, DATETIME)},
    **{("+", DURATION, t): t for t in (DATE, DATETIME)},
    **{("-", t, DURATION): t for t in (DATE, DATETIME)},
    ("+", DURATION, DURATION): DURATION,
    ("-", DURATION, DURATION): DURATION,
    ("%", DURATION, DURATION): DURATION,
    ("/", DURATION, DURATION): FLOAT,
    ("//", DURATION, DURATION): INT,
    **{("*", DURATION, n): DURATION for n in (INT, FLOAT)},
    **{("*", n, DURATION): DURATION for n in (INT, FLOAT)},
    **{("/", DURATION, n): DURATION for n in (INT, FLOAT)},
    ("//", DURATION, INT): DURATION,
}

_ARITH = frozenset({"+", "-", "*", "/", "//", "%", "**"})
_BITS = frozenset({"&", "|", "^", "<<", ">>"})
_NONE_HINT = "check it first: `if x is not None:` (or give a default: `x if x is not None else ...`)"

# Facts a condition establishes: narrowed types of locals (slot) and of record field paths (slot, field, ...).
Facts = dict[object, Type]


def _concrete(t: Type | None) -> Type | None:
    """`t` if it says something (not ANY, a type variable or an open hole)."""
    if t is None:
        return None
    t = prune(t)
    if t == ANY or isinstance(t, (TypeVar, Hole)):
        return None
    return t


class ExprChecker:
    """Expressions, in the shared context. `expr(e, expected)` checks `e`, using `expected`
    to type lambdas and empty literals; calls go to the call checker, which it owns."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self.calls = CallChecker(ctx, self)

    def expr(self, e: ast.Expr, expected: Type | None = None, cond: bool = False) -> Type:
        t = getattr(self, "x_" + type(e).__name__)(e, expected, cond)
        return self.ctx.record(e, t)

    # ---------------------------------------------------------------- names and literals

    def x_Name(self, e: ast.Name, expected: Type | None, cond: bool) -> Type:
        b = self.ctx.binding(e)
        if b is None:
            return ANY  # reported by the resolver
        if b.kind is Kind.LOCAL:
            st = self.ctx.state()
            if b.index not in st.assigned:
                known = b.index in self.ctx.function.slot_types
                msg = (f"`{e.id}` may be unassigned here (it is not assigned on every path)" if known
                       else f"`{e.id}` is used before it is assigned")
                self.ctx.error(E_USED_BEFORE_ASSIGNMENT, msg, e,
                           hint=f"assign `{e.id}` before this point on every path (e.g. before the `if` or loop)")
                st.assigned.add(b.index)
            return st.narrow.get(b.index) or self.ctx.function.slot_types.get(b.index, ANY)
        if b.kind is Kind.FREE:
            outer: FunctionContext = self.ctx.functions[-1 - b.depth] if b.depth < len(self.ctx.functions) else self.ctx.function
            narrowed = outer.state.narrow.get(b.index) if outer.state is not None else None
            return narrowed or outer.slot_types.get(b.index, ANY)
        if b.kind is Kind.GLOBAL:
            return self.global_value(e)
        if b.kind is Kind.MODULE:
            return self.ctx.error(E_NOT_CALLABLE, f"module `{e.id}` is not a value", e,
                              hint=f"use one of its members: `{e.id}.name`")
        fn = _concrete(expected)
        if isinstance(fn, FnT) and len(fn.params) == 1:
            return self.calls.builtin_as_function(e, fn)
        return self.ctx.error(E_NOT_CALLABLE, f"built-in function `{e.id}` can only be called here", e,
                          hint=f"call it: `{e.id}(...)`, or wrap it: `lambda x: {e.id}(x)`")

    def global_value(self, e: ast.Name) -> Type:
        g = self.ctx.globals
        if e.id in g.consts or e.id in g.const_decls:
            if e.id in g.pending_consts:
                return self.ctx.error(E_USED_BEFORE_ASSIGNMENT, f"constant `{e.id}` is used before it is defined", e,
                                  hint="module constants are evaluated in order; move this one below it")
            return g.consts.get(e.id, ANY)
        if e.id in g.procs:
            return g.procs[e.id].fn_type()
        if e.id in g.host:
            return g.host[e.id].fn_type()
        if e.id in g.records:
            return self.ctx.error(E_NOT_CALLABLE, f"record `{e.id}` can only be called to build a value", e,
                              hint=f"build one: `{e.id}(field=...)`")
        return ANY

    def x_IntLit(self, e: ast.IntLit, expected: Type | None, cond: bool) -> Type:
        return INT

    def x_FloatLit(self, e: ast.FloatLit, expected: Type | None, cond: bool) -> Type:
        return FLOAT

    def x_StrLit(self, e: ast.StrLit, expected: Type | None, cond: bool) -> Type:
        return STR

    def x_BoolLit(self, e: ast.BoolLit, expected: Type | None, cond: bool) -> Type:
        return BOOL

    def x_NoneLit(self, e: ast.NoneLit, expected: Type | None, cond: bool) -> Type:
        return NONE

    def x_FString(self, e: ast.FString, expected: Type | None, cond: bool) -> Type:
        for part in e.parts:
            if isinstance(part, ast.FormattedValue):
                t = self.expr(part.value)
                self.printable(t, part.value)
                if part.conversion is not None:
                    t = STR
                if part.spec:
                    self.check_spec(part.spec, t, part)
                self.ctx.record(part, STR)
        return STR

    def printable(self, t: Type, node: object) -> None:
        """str() of this value is deterministic and means something (not a function or an iterator)."""
        t = prune(t)
        if isinstance(t, (IterT, FnT, ViewT)):
            self.ctx.error(E_MISMATCH, f"{a_an(t)} value has no text form", node,
                       hint="make a list first: `list(...)`" if not isinstance(t, FnT) else None)

    def check_spec(self, spec: str, t: Type, node: ast.FormattedValue) -> None:
        m = FORMAT_SPEC_RE.match(spec)
        if m is None:  # the parser rejects these already
            return
        kind, numeric_flags = m["type"], bool(m["sign"] or m["grouping"])
        t = prune(t)
        if t == ANY or isinstance(t, Hole):
            return
        if isinstance(t, OptionalT) or t == NONE:
            self.ctx.error(E_MAYBE_NONE, f"format spec `:{spec}` on a value that may be None ({t})", node, hint=_NONE_HINT)
            return
        ok: bool
        if t == INT:
            ok = kind in (None, "d", "x", "X", "b", "o", "e", "E", "f", "g", "G", "%")
        elif t in (FLOAT, DECIMAL):
            ok = kind in (None, "e", "E", "f", "g", "G", "%")
        elif t == STR:
            ok = kind in (None, "s") and not numeric_flags
        else:
            ok = False
        if not ok:
            what = "numbers" if kind in ("d", "f", "e", "E", "g", "G", "%", "x", "X", "b", "o") or numeric_flags else "Int, Float, Decimal and Str"
            hint = "convert it first, e.g. `{str(x):>8}` or `{float(x):.2f}`" if t != STR else "format a number, or drop the spec"
            self.ctx.error(E_BAD_FORMAT, f"format spec `:{spec}` does not suit {a_an(t)} value (it is for {what})", node, hint=hint)

    # ---------------------------------------------------------------- displays

    def elements(self, elts: tuple[ast.Expr, ...], expected: Type | None, what: str) -> Type:
        """The element type of a display: the expected one if given, else the join of the items."""
        exp = _concrete(expected)
        out: Type | None = None
        for x in elts:
            xt = self.expr(x, exp)
            if exp is not None:
                if not assign(xt, exp):
                    self.ctx.error(E_MISMATCH, f"{what} item has type {xt}, expected {exp}", x)
                continue
            j = join(out, xt) if out is not None else xt
            if j is None:
                self.ctx.error(E_MISMATCH, f"{what} items have different types: {out} and {xt}", x,
                           hint="SGL collections hold one type; use a record or a tuple for mixed values")
            else:
                out = j
        if exp is not None:
            return exp
        return out if out is not None else Hole()

    def x_ListExpr(self, e: ast.ListExpr, expected: Type | None, cond: bool) -> Type:
        exp = _concrete(expected)
        return ListT(self.elements(e.elts, exp.elem if isinstance(exp, ListT) else None, "list"))

    def x_SetExpr(self, e: ast.SetExpr, expected: Type | None, cond: bool) -> Type:
        exp = _concrete(expected)
        elem = self.elements(e.elts, exp.elem if isinstance(exp, SetT) else None, "set")
        self.hashable(elem, e, "a set element")
        return SetT(elem)

    def x_TupleExpr(self, e: ast.TupleExpr, expected: Type | None, cond: bool) -> Type:
        exp = _concrete(expected)
        exps: tuple[Type | None, ...] = (
            exp.elems if isinstance(exp, TupleT) and len(exp.elems) == len(e.elts) else (None,) * len(e.elts))
        return TupleT(tuple(self.expr(x, t) for x, t in zip(e.elts, exps)))

    def x_DictExpr(self, e: ast.DictExpr, expected: Type | None, cond: bool) -> Type:
        exp = _concrete(expected)
        key = self.elements(e.keys, exp.key if isinstance(exp, MapT) else None, "map key")
        value = self.elements(e.values, exp.value if isinstance(exp, MapT) else None, "map value")
        self.hashable(key, e, "a map key")
        return MapT(key, value)

    def hashable(self, t: Type, node: object, what: str) -> None:
        if not is_hashable(t):
            self.ctx.error(E_UNHASHABLE, f"{t} cannot be {what} (it can change, so it has no hash)", node,
                       hint="use a Tuple, a Str or a record instead")

    # ---------------------------------------------------------------- comprehensions

    def generators(self, gens: tuple[ast.Comprehension, ...]) -> None:
        """Bind the targets of each `for` clause and apply the facts of its `if`s (to what follows)."""
        for g in gens:
            it = self.expr(g.iter)
            el = self.iter_elem(it, g.iter)
            self.bind_target(g.target, el, g.iter)
            for c in g.ifs:
                self.condition(c)
                true_facts, _ = self.facts(c)
                self.ctx.state().narrow.update(true_facts)

    def iter_elem(self, t: Type, node: object) -> Type:
        el = elem_type(t)
        if el is None:
            hint = _NONE_HINT if isinstance(prune(t), OptionalT) else None
            return self.ctx.error(E_NOT_ITERABLE, f"{a_an(t)} value cannot be iterated", node, hint=hint)
        return el

    def x_ListComp(self, e: ast.ListComp, expected: Type | None, cond: bool) -> Type:
        exp = _concrete(expected)
        with self.ctx.narrowed({}):
            self.generators(e.generators)
            return ListT(self.expr(e.elt, exp.elem if isinstance(exp, ListT) else None))

    def x_SetComp(self, e: ast.SetComp, expected: Type | None, cond: bool) -> Type:
        with self.ctx.narrowed({}):
            self.generators(e.generators)
            elem = self.expr(e.elt)
        self.hashable(elem, e.elt, "a set element")
        return SetT(elem)

    def x_GeneratorExp(self, e: ast.GeneratorExp, expected: Type | None, cond: bool) -> Type:
        exp = _concrete(expected)
        with self.ctx.narrowed({}):
            self.generators(e.generators)
            return IterT(self.expr(e.elt, exp.elem if isinstance(exp, (IterT, ListT)) else None))

    def x_DictComp(self, e: ast.DictComp, expected: Type | None, cond: bool) -> Type:
        with self.ctx.narrowed({}):
            self.generators(e.generators)
            key, value = self.expr(e.key), self.expr(e.value)
        self.hashable(key, e.key, "a map key")
        return MapT(key, value)

    # ---------------------------------------------------------------- targets

    def bind_target(self, target: ast.Expr, t: Type, value: object) -> None:
        """Assign a value of type `t` to a loop / comprehension / unpacking target."""
        if isinstance(target, ast.Name):
            self.assign_local(target, t, value)
        elif isinstance(target, ast.TupleExpr):
            self.unpack(target, t, value)
        elif isinstance(target, ast.Subscript):
            self.assign_item(target, t, value)
        else:
            self.assign_attribute(target, value)

    def unpack(self, target: ast.TupleExpr, t: Type, value: object) -> None:
        n = len(target.elts)
        t = prune(t)
        if isinstance(t, TupleT):
            if len(t.elems) != n:
                self.ctx.error(E_NOT_ITERABLE, f"cannot unpack {t} ({len(t.elems)} items) into {n} names", value)
                parts: tuple[Type, ...] = (ANY,) * n
            else:
                parts = t.elems
        elif isinstance(t, OptionalT):
            self.ctx.error(E_MAYBE_NONE, f"cannot unpack a value that may be None ({t})", value, hint=_NONE_HINT)
            parts = (ANY,) * n
        else:
            parts = (self.iter_elem(t, value),) * n
        for sub, pt in zip(target.elts, parts):
            self.bind_target(sub, pt, value)

    def assign_local(self, name: ast.Name, t: Type, value: object, declared: Type | None = None) -> None:
        """`name = value`: the first assignment fixes the local's type; later ones must fit it."""
        slot = self.ctx.local_slot(name)
        if slot is None:
            self.ctx.record(name, ANY)
            return
        fn = self.ctx.function
        current = fn.slot_types.get(slot)
        if declared is not None:
            if current is not None and not (assign(current, declared, bind=False) and assign(declared, current)):
                self.ctx.error(E_MISMATCH, f"`{name.id}` already has type {current}; it cannot be declared {declared}",
                           name, hint="declare a local once, at its first assignment")
            else:
                fn.slot_types[slot] = current = declared
        elif current is None:
            pt = prune(t)
            fn.slot_types[slot] = current = OptionalT(Hole()) if pt == NONE else t
        elif not assign(t, current):
            wider = join(current, t)
            hint = declare_hint(name.id, wider) if wider else None
            self.ctx.error(E_REASSIGN, f"`{name.id}` has type {current} (from its first assignment), so it cannot hold {t}",
                       value, hint=hint)
        st = self.ctx.state()
        st.assigned.add(slot)
        self.forget(slot)
        cur = prune(current)
        pt = prune(t)
        if isinstance(cur, OptionalT) and pt != NONE and not isinstance(pt, OptionalT):
            st.narrow[slot] = cur.inner
        self.ctx.record(name, current)

    def forget(self, slot: int) -> None:
        """Drop what was known about a local (and its field paths): it was just assigned."""
        st = self.ctx.state()
        for k in [k for k in st.narrow if k == slot or (isinstance(k, tuple) and k[0] == slot)]:
            del st.narrow[k]

    def assign_item(self, target: ast.Subscript, t: Type, value: object) -> None:
        """`xs[i] = v`, `m[k] = v`."""
        self.frozen_root(target.value, "assign into")
        ct = prune(self.expr(target.value))
        if isinstance(target.index, ast.Slice):
            self.ctx.error(E_BAD_INDEX, "slice assignment is not supported", target,
                       hint="build a new list: `xs = xs[:i] + new + xs[j:]`")
            return
        if isinstance(ct, ListT):
            self.expect(self.expr(target.index, INT), INT, target.index, "a list index")
            self.expect(t, ct.elem, value, "a list item")
        elif isinstance(ct, MapT):
            kt = self.expr(target.index, _concrete(ct.key))
            self.expect(kt, ct.key, target.index, "a map key")
            self.hashable(kt, target.index, "a map key")
            self.expect(t, ct.value, value, "a map value")
        elif ct == ANY or isinstance(ct, Hole):
            self.expr(target.index)
        elif isinstance(ct, OptionalT):
            self.ctx.error(E_MAYBE_NONE, f"cannot assign into a value that may be None ({ct})", target.value, hint=_NONE_HINT)
        else:
            self.expr(target.index)
            hint = "records are immutable: build a new one with `r.replace(field=...)`" if isinstance(ct, RecordT) else (
                "Str and Tuple values are immutable: build a new one" if ct == STR or isinstance(ct, TupleT) else None)
            self.ctx.error(E_BAD_INDEX, f"{a_an(ct)} value does not support item assignment", target, hint=hint)
        self.ctx.record(target, t)

    def assign_attribute(self, target: ast.Expr, value: object) -> None:
        if not isinstance(target, ast.Attribute):
            return
        t = prune(self.expr(target.value))
        if isinstance(t, RecordT) or (isinstance(t, OptionalT) and isinstance(prune(t.inner), RecordT)):
            self.ctx.error(E_RECORD_ASSIGN, f"cannot assign to field `{target.attr}`: records are immutable", target,
                       hint=f"make an updated copy: `r = r.replace({target.attr}=...)`")
        else:
            self.ctx.error(E_NO_ATTRIBUTE, f"cannot assign to `.{target.attr}` of {a_an(t)} value", target)

    def expect(self, t: Type, want: Type, node: object, what: str) -> None:
        if not assign(t, want):
            self.mismatch(t, want, node, what)

    def mismatch(self, t: Type, want: Type, node: object, what: str) -> None:
        pt, pw = prune(t), prune(want)
        if isinstance(pt, OptionalT) and assign(pt.inner, pw, bind=False):
            self.ctx.error(E_MAYBE_NONE, f"{what} must be {want}, but this value may be None ({t})", node, hint=_NONE_HINT)
        elif pt == FLOAT and pw == DECIMAL:
            self.ctx.error(E_MISMATCH, f"{what} must be Decimal, got Float", node,
                       hint='write Decimal literals as `Decimal("1.10")`; a Float carries binary noise')
        else:
            self.ctx.error(E_MISMATCH, f"{what} must be {want}, got {t}", node, hint=mismatch_hint(node, t, want))

    def frozen_root(self, e: ast.Expr, doing: str) -> None:
        """Report changing a module constant through `e` (`CONST[k] = v`, `CONST.append(x)`, `CONST[0].add(y)`)."""
        root = e
        while isinstance(root, (ast.Subscript, ast.Attribute)):
            root = root.value
        if isinstance(root, ast.Name):
            b = self.ctx.binding(root)
            if b is not None and b.kind is Kind.GLOBAL and root.id in self.ctx.globals.const_decls:
                self.ctx.error(E_FROZEN, f"cannot {doing} module constant `{root.id}`: constants are frozen", e,
                           hint=f"work on a copy in a local: `items = list({root.id})` (or `dict(...)`, `set(...)`)")

    # ---------------------------------------------------------------- operators

    def x_UnaryOp(self, e: ast.UnaryOp, expected: Type | None, cond: bool) -> Type:
        if e.op == "not":
            self.condition(e.operand)
            return BOOL
        t = prune(self.expr(e.operand))
        if t == ANY or isinstance(t, Hole):
            return ANY
        if isinstance(t, OptionalT) or t == NONE:
            return self.ctx.error(E_MAYBE_NONE, f"`{e.op}` on a value that may be None ({t})", e.operand, hint=_NONE_HINT)
        if e.op == "~" and t == INT:
            return INT
        if e.op in ("-", "+") and (t in NUMBERS or t == DURATION):
            return t
        hint = "convert it first: `int(flag)`" if t == BOOL else None
        return self.ctx.error(E_BAD_OPERATOR, f"unary `{e.op}` is not defined for {t}", e, hint=hint)

    def x_BinOp(self, e: ast.BinOp, expected: Type | None, cond: bool) -> Type:
        lt = self.expr(e.left)
        rt = self.expr(e.right, lt if isinstance(prune(lt), (ListT, SetT, MapT)) else None)
        return self.binop_type(e.op, lt, rt, e)

    def binop_type(self, op: str, lt: Type, rt: Type, node: object) -> Type:
        lt, rt = prune(lt), prune(rt)
        if ANY in (lt, rt) or isinstance(lt, Hole) or isinstance(rt, Hole):
            return ANY
        if isinstance(lt, OptionalT) or isinstance(rt, OptionalT) or NONE in (lt, rt):
            return self.ctx.error(E_MAYBE_NONE, f"`{op}` on a value that may be None ({lt} {op} {rt})", node, hint=_NONE_HINT)
        if BOOL in (lt, rt):
            if lt == rt and op in ("&", "|", "^"):
                return BOOL
            return self.ctx.error(E_BAD_OPERATOR, f"arithmetic on Bool: {lt} {op} {rt}", node,
                              hint="SGL keeps Bool and Int apart: write `(1 if flag else 0)` or `int(flag)`")
        if op in _ARITH and lt in NUMBERS and rt in NUMBERS:
            r = numeric_result(lt, rt)
            if r is None:
                return self.ctx.error(E_BAD_OPERATOR, f"Float and Decimal cannot be mixed: {lt} {op} {rt}", node,
                                  hint="convert one side: `Decimal(str(x))` or `float(d)`")
            return FLOAT if op == "/" and r == INT else r
        if op in _BITS and lt == INT and rt == INT:
            return INT
        if (op, lt, rt) in _TIME_OPS:
            return _TIME_OPS[(op, lt, rt)]
        seq = self.sequence_op(op, lt, rt)
        if seq is not None:
            return seq
        hint = None
        if op == "%" and lt == STR:
            hint = 'use an f-string: f"{x:.2f}"'
        elif op == "+" and STR in (lt, rt):
            hint = 'convert with `str(x)`, or use an f-string: f"total: {x}"'
        return self.ctx.error(E_BAD_OPERATOR, f"`{op}` is not defined for {lt} and {rt}", node, hint=hint)

    def sequence_op(self, op: str, lt: Type, rt: Type) -> Type | None:
        """Concatenation, repetition and set algebra; None when not one of those."""
        if op == "+" and lt == rt == STR:
            return STR
        if op == "*" and {lt, rt} == {STR, INT}:
            return STR
        if op == "+" and isinstance(lt, ListT) and isinstance(rt, ListT):
            e = join(lt.elem, rt.elem)
            return ListT(e) if e is not None else None
        if op == "*" and ((isinstance(lt, ListT) and rt == INT) or (lt == INT and isinstance(rt, ListT))):
            return lt if isinstance(lt, ListT) else rt
        if op == "+" and isinstance(lt, TupleT) and isinstance(rt, TupleT):
            return TupleT(lt.elems + rt.elems)
        if op in ("|", "&", "-", "^") and isinstance(lt, SetT) and isinstance(rt, SetT):
            e = join(lt.elem, rt.elem)
            return SetT(e) if e is not None else None
        if op == "|" and isinstance(lt, MapT) and isinstance(rt, MapT):
            return join(lt, rt)
        return None

    # ---------------------------------------------------------------- conditions

    def condition(self, e: ast.Expr) -> Type:
        """A tested expression (`if`, `while`, `require`, `not`, comprehension `if`)."""
        t = self.expr(e, cond=True)
        self.truthy(t, e)
        return t

    def truthy(self, t: Type, node: object) -> None:
        t = prune(t)
        if t == NONE:
            self.ctx.error(E_TRUTH, "this condition is always false (it is None)", node)
        elif t in (DATE, DATETIME) or isinstance(t, (RecordT, FnT)):
            self.ctx.error(E_TRUTH, f"{a_an(t)} value is always true, so this test means nothing", node,
                       hint="test a field or compare it: `x is not None`, `x.qty > 0`")
        elif isinstance(t, IterT):
            self.ctx.error(E_TRUTH, f"an {t} value is always true, so this test means nothing", node,
                       hint="use `any(...)` or make a list first")

    def facts(self, test: ast.Expr) -> tuple[Facts, Facts]:
        """(facts when `test` is true, facts when it is false)."""
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and test.ops[0] in ("is", "is not", "==", "!="):
            sides = (test.left, test.comparators[0])
            other = sides[1] if isinstance(sides[1], ast.NoneLit) else sides[0] if isinstance(sides[0], ast.NoneLit) else None
            subject = sides[0] if other is sides[1] else sides[1]
            key = self.fact_key(subject) if other is not None else None
            if key is not None:
                inner = strip_optional(prune(self.ctx.types.get(id(subject), ANY)))
                if test.ops[0] in ("is not", "!="):
                    return {key: inner}, {}
                return {}, {key: inner}
        elif isinstance(test, (ast.Name, ast.Attribute)):
            key = self.fact_key(test)
            t = prune(self.ctx.types.get(id(test), ANY))
            if key is not None and isinstance(t, OptionalT):
                return {key: t.inner}, {}
        elif isinstance(test, ast.UnaryOp) and test.op == "not":
            t, f = self.facts(test.operand)
            return f, t
        elif isinstance(test, ast.BoolOp):
            lt, lf = self.facts(test.left)
            rt, rf = self.facts(test.right)
            return ({**lt, **rt}, {}) if test.op == "and" else ({}, {**lf, **rf})
        return {}, {}

    def fact_key(self, e: ast.Expr) -> object | None:
        """A local (its slot) or a field path of a local (`p.address.city`): what narrowing can track."""
        path: list[str] = []
        while isinstance(e, ast.Attribute):
            path.append(e.attr)
            e = e.value
        if not isinstance(e, ast.Name):
            return None
        slot = self.ctx.local_slot(e)
        if slot is None:
            return None
        return (slot, *reversed(path)) if path else slot

    def x_BoolOp(self, e: ast.BoolOp, expected: Type | None, cond: bool) -> Type:
        lt = self.expr(e.left, expected, cond)
        self.truthy(lt, e.left)
        true_facts, false_facts = self.facts(e.left)
        with self.ctx.narrowed(true_facts if e.op == "and" else false_facts):
            rt = self.expr(e.right, expected, cond)
        if cond:
            self.truthy(rt, e.right)
        # `a or b` gives `a` only when it is true, so never a None from `a`.
        left = strip_optional(prune(lt)) if e.op == "or" else lt
        j = join(left, rt)
        if j is not None:
            return j
        if cond:
            return BOOL  # only its truth is used
        return self.ctx.error(E_MISMATCH, f"`{e.op}` gives one of its operands, and these have different types: {lt} and {rt}",
                          e, hint="make both sides the same type, or use `x if cond else y`")

    def x_IfExp(self, e: ast.IfExp, expected: Type | None, cond: bool) -> Type:
        self.condition(e.test)
        true_facts, false_facts = self.facts(e.test)
        with self.ctx.narrowed(true_facts):
            bt = self.expr(e.body, expected, cond)
        with self.ctx.narrowed(false_facts):
            ot = self.expr(e.orelse, expected, cond)
        j = join(bt, ot)
        if j is None:
            if cond:
                return BOOL
            return self.ctx.error(E_MISMATCH, f"the two branches have different types: {bt} and {ot}", e,
                              hint="make both branches the same type")
        return j

    def x_Compare(self, e: ast.Compare, expected: Type | None, cond: bool) -> Type:
        left_node = e.left
        lt = self.expr(e.left)
        for op, right_node in zip(e.ops, e.comparators):
            rt = self.expr(right_node, lt if op in ("==", "!=") else None)
            self.compare_pair(op, lt, rt, left_node, right_node, e)
            left_node, lt = right_node, rt
        return BOOL

    def compare_pair(self, op: str, lt: Type, rt: Type, ln: ast.Expr, rn: ast.Expr, node: ast.Compare) -> None:
        if op in ("is", "is not"):
            if not (isinstance(ln, ast.NoneLit) or isinstance(rn, ast.NoneLit)):
                eq = "==" if op == "is" else "!="
                self.ctx.error(E_IS_NOT_NONE, f"`{op}` is only for comparing with None", node,
                           hint=f"compare values with `{eq}`")
            return
        plt, prt = prune(lt), prune(rt)
        if op in ("in", "not in"):
            self.membership(plt, prt, ln, rn)
            return
        if plt == ANY or prt == ANY:
            return
        if op in ("==", "!="):
            if not related(plt, prt):
                always = "False" if op == "==" else "True"
                hint = "compare with `is None`" if NONE in (plt, prt) else None
                if {plt, prt} == {FLOAT, DECIMAL}:
                    hint = "convert one side: `Decimal(str(x))` or `float(d)`"
                self.ctx.error(E_EQ_UNRELATED, f"`{op}` between {lt} and {rt} is always {always}", node, hint=hint)
            return
        if isinstance(plt, OptionalT) or isinstance(prt, OptionalT) or NONE in (plt, prt):
            self.ctx.error(E_MAYBE_NONE, f"`{op}` on a value that may be None ({lt} {op} {rt})", node, hint=_NONE_HINT)
            return
        if not orderable(plt, prt):
            hint = "compare a field: `a.price < b.price`" if isinstance(plt, RecordT) else None
            if BOOL in (plt, prt):
                hint = "Bool values are not ordered in SGL"
            self.ctx.error(E_NO_ORDER, f"`{op}` is not defined between {lt} and {rt}", node, hint=hint)

    def membership(self, item: Type, container: Type, ln: ast.Expr, rn: ast.Expr) -> None:
        if container == ANY or isinstance(container, Hole):
            return
        if isinstance(container, OptionalT):
            self.ctx.error(E_MAYBE_NONE, f"`in` on a value that may be None ({container})", rn, hint=_NONE_HINT)
            return
        if container == STR:
            want: Type | None = STR
        elif isinstance(container, MapT):
            want = container.key
        elif isinstance(container, (ListT, SetT, IterT, ViewT, TupleT)):
            want = elem_type(container)
        else:
            want = None
        if want is None:
            self.ctx.error(E_NOT_ITERABLE, f"`in` needs a collection or a Str on the right, got {container}", rn)
        elif not related(item, want):
            self.ctx.error(E_EQ_UNRELATED, f"{a_an(item)} value is never in {a_an(container)}", ln)

    # ---------------------------------------------------------------- lambdas

    def x_Lambda(self, e: ast.Lambda, expected: Type | None, cond: bool) -> Type:
        fn = prune(expected) if expected is not None else None
        if isinstance(fn, FnT) and len(fn.params) == len(e.params):
            params = tuple(ANY if isinstance(prune(p), TypeVar) else p for p in fn.params)
            ret_expected = _concrete(fn.ret)
        else:
            if isinstance(fn, FnT):
                self.ctx.error(E_CANNOT_INFER, f"this lambda takes {len(e.params)} parameter(s), but {len(fn.params)} are passed to it", e)
            else:
                self.ctx.error(E_CANNOT_INFER, "cannot tell the types of this lambda's parameters here", e,
                           hint="pass a lambda directly where a function is expected (`sorted(xs, key=lambda x: ...)`), or write a proc")
            params = (ANY,) * len(e.params)
            ret_expected = None
            expected = None  # reported: the lambda's type is ANY from here on
        scope = self.ctx.resolution.functions.get(id(e))
        nslots = scope.nslots if scope is not None else len(params)
        fn = FunctionContext("lambda", "<lambda>", nslots, dict(enumerate(params)), state=State(set(range(len(params)))))
        with self.ctx.in_function(fn):
            rt = self.expr(e.body, ret_expected)
        return FnT(params, rt) if expected is not None else ANY

    # ---------------------------------------------------------------- attributes and indexing

    def x_Attribute(self, e: ast.Attribute, expected: Type | None, cond: bool) -> Type:
        if isinstance(e.value, ast.Name):
            b = self.ctx.binding(e.value)
            if b is not None and b.kind is Kind.MODULE:
                return self.module_member(e)
        t = self.expr(e.value)
        key = self.fact_key(e)
        if key is not None and key in self.ctx.state().narrow:
            return self.ctx.state().narrow[key]
        return self.attribute_type(t, e)

    def module_member(self, e: ast.Attribute) -> Type:
        assert isinstance(e.value, ast.Name)
        alias = e.value.id
        iface = self.ctx.globals.modules.get(alias)
        self.ctx.record(e.value, ANY)
        if iface is None:
            return ANY  # unknown module: reported at `use`
        if e.attr in iface.consts:
            return iface.consts[e.attr]
        if e.attr in iface.procs:
            return iface.procs[e.attr].fn_type()
        names = [*iface.consts, *iface.procs, *iface.records]
        return self.ctx.error(E_UNKNOWN_MEMBER, f"module `{iface.name}` has no member `{e.attr}`", e,
                          hint=did_you_mean(e.attr, names))

    def attribute_type(self, t: Type, e: ast.Attribute) -> Type:
        t = prune(t)
        if t == ANY or isinstance(t, Hole):
            return ANY
        if isinstance(t, OptionalT) or t == NONE:
            return self.ctx.error(E_MAYBE_NONE, f"`.{e.attr}` on a value that may be None ({t})", e, hint=_NONE_HINT)
        if isinstance(t, RecordT):
            f = t.field(e.attr)
            if f is not None:
                return f.type
            if e.attr in RECORD_METHODS:
                return self.ctx.error(E_NO_ATTRIBUTE, f"`{e.attr}` is a method; call it: `r.{e.attr}(field=...)`", e)
            return self.ctx.error(E_UNKNOWN_FIELD, f"record `{t.name}` has no field `{e.attr}`", e,
                              hint=did_you_mean(e.attr, [f.name for f in t.fields]))
        tname = method_table(prune(t))
        fields = FIELDS.get(tname or "", {})
        if e.attr in fields:
            return fields[e.attr]
        methods = METHODS.get(tname or "", {})
        if e.attr in methods:
            return self.ctx.error(E_NO_ATTRIBUTE, f"`{e.attr}` is a method of {tname}; call it: `.{e.attr}(...)`", e)
        return self.no_attribute(t, e.attr, e, [*fields, *methods])

    def no_attribute(self, t: Type, attr: str, node: object, names: list[str]) -> Type:
        if attr.startswith("__"):
            hint = "SGL values have no Python attributes; only record fields and the documented methods exist"
        else:
            hint = did_you_mean(attr, names, fallback=_PYTHON_ONLY.get(attr))
        return self.ctx.error(E_NO_ATTRIBUTE, f"{a_an(t)} value has no attribute `{attr}`", node, hint=hint)

    def x_Subscript(self, e: ast.Subscript, expected: Type | None, cond: bool) -> Type:
        t = prune(self.expr(e.value))
        if isinstance(e.index, ast.Slice):
            return self.slice_type(t, e.index, e)
        if t == ANY or isinstance(t, Hole):
            self.expr(e.index)
            return ANY
        if isinstance(t, OptionalT):
            self.expr(e.index)
            return self.ctx.error(E_MAYBE_NONE, f"indexing a value that may be None ({t})", e.value, hint=_NONE_HINT)
        if isinstance(t, MapT):
            self.expect(self.expr(e.index, _concrete(t.key)), t.key, e.index, "a map key")
            return t.value
        if t == STR or isinstance(t, ListT):
            self.expect(self.expr(e.index, INT), INT, e.index, "an index")
            return STR if t == STR else t.elem  # type: ignore[union-attr]
        if isinstance(t, TupleT):
            self.expr(e.index, INT)
            k = _const_int(e.index)
            if k is not None:
                if -len(t.elems) <= k < len(t.elems):
                    return t.elems[k]
                return self.ctx.error(E_TUPLE_INDEX, f"index {k} is out of range for {t}", e.index)
            el = elem_type(t)
            if el is None:
                return self.ctx.error(E_TUPLE_INDEX, f"{a_an(t)} can only be indexed with a constant (its items differ in type)",
                                  e.index, hint="unpack it: `a, b = pair`")
            return el
        self.expr(e.index)
        hint = "make a list first: `list(...)`" if isinstance(t, (IterT, ViewT)) else None
        return self.ctx.error(E_BAD_INDEX, f"{a_an(t)} value cannot be indexed", e, hint=hint)

    def slice_type(self, t: Type, s: ast.Slice, e: ast.Subscript) -> Type:
        for part in (s.lower, s.upper, s.step):
            if part is not None:
                self.expect(self.expr(part, INT), optional(INT), part, "a slice bound")
        self.ctx.record(s, t)
        if t == ANY or isinstance(t, Hole) or t == STR or isinstance(t, ListT):
            return t
        if isinstance(t, TupleT):
            bounds = [None if p is None else _const_int(p) for p in (s.lower, s.upper, s.step)]
            if all(b is not None or p is None for b, p in zip(bounds, (s.lower, s.upper, s.step))) and bounds[2] != 0:
                return TupleT(t.elems[bounds[0]:bounds[1]:bounds[2]])
            return self.ctx.error(E_TUPLE_INDEX, f"{a_an(t)} can only be sliced with constant bounds", e)
        if isinstance(t, OptionalT):
            return self.ctx.error(E_MAYBE_NONE, f"slicing a value that may be None ({t})", e.value, hint=_NONE_HINT)
        return self.ctx.error(E_BAD_INDEX, f"{a_an(t)} value cannot be sliced", e,
                          hint="make a list first: `list(...)`" if isinstance(t, (IterT, ViewT)) else None)

    def x_Call(self, e: ast.Call, expected: Type | None, cond: bool) -> Type:
        return self.calls.call(e, expected)


# Python attributes an LLM reaches for, with the SGL way.
_PYTHON_ONLY = {
    "format": 'use an f-string: f"{x:.2f}"',
    "encode": "SGL has no bytes; work with Str",
    "append": "only a List has `append`",
    "add": "only a Set has `add`",
    "get": "only a Map has `get`",
    "items": "only a Map has `items()`",
    "sort": "use `sorted(...)`, which works on any iterable",
    "strftime": 'use `isoformat()` or an f-string with the fields: f"{d.year}-{d.month:02d}"',
}


def _const_int(e: ast.Expr) -> int | None:
    if isinstance(e, ast.IntLit):
        return e.value
    if isinstance(e, ast.UnaryOp) and e.op == "-" and isinstance(e.operand, ast.IntLit):
        return -e.operand.value
    return None

