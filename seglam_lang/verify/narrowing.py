"""Reading simple bounds off a property's leading `require`s, to generate inputs that pass them.

A property such as

    property recovers(count: Int, xs: List[Int]):
        require 0 < count <= 1000 and len(xs) > 0 and all(x >= 0 for x in xs)

would see almost every generated input rejected (an Int is drawn from about +-10**6),
and be reported "unsatisfiable". Here the `require`s at the top of the body are read
for the shapes above, and the strategies draw from the bounds directly.

Owns: `Constraint` (numeric bounds, length bounds, a constraint on every element),
`constraints_for(decl)`, and `compared_numbers(tree)` (the literals a module compares
against, which boundary-first inputs try; see `edges`).

Invariants (why this is sound): only the `require` statements *before any other
statement* are read, so every name in them is still the parameter's value; only
conjuncts of `and` are used, each of which any accepted input must satisfy; so every
input the `require`s accept is still drawn. Narrowing never replaces the check: the
`require`s still run on every input (a strict bound on a Float or Decimal, `x > 0`, is
drawn as `x >= 0` and the boundary is rejected at run time; only an `Int` parameter's or a
length's strict bound on an int literal is made inclusive). Anything not understood is
ignored, leaving the type's usual strategy.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping

from seglam_lang.frozen import frozen
from seglam_lang.syntax import ast

Number = int | float | decimal.Decimal


@frozen
class Constraint:
    """Bounds on one value: `lo <= v <= hi` (numbers), `min_len <= len(v) <= max_len`, and
    `elem` for every element (of a list or set) or character string's items."""

    lo: Number | None = None
    hi: Number | None = None
    min_len: int | None = None
    max_len: int | None = None
    elem: Constraint | None = None

    def meet(self, other: Constraint) -> Constraint:
        """Both constraints at once."""
        return Constraint(
            lo=_pick(max, self.lo, other.lo), hi=_pick(min, self.hi, other.hi),
            min_len=_pick(max, self.min_len, other.min_len), max_len=_pick(min, self.max_len, other.max_len),
            elem=other.elem if self.elem is None else self.elem if other.elem is None else self.elem.meet(other.elem),
        )


def _pick(f: object, a: Number | None, b: Number | None) -> Number | None:
    if a is None:
        return b
    if b is None:
        return a
    return f(a, b)  # type: ignore[operator]


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}
_ORDERING = {*_FLIP, "!="}


def _number(e: ast.Expr) -> Number | None:
    """The value of a numeric literal: `3`, `-2.5`, `Decimal("0.20")`."""
    if isinstance(e, ast.IntLit | ast.FloatLit) and not isinstance(e.value, bool):
        return e.value
    if isinstance(e, ast.UnaryOp) and e.op == "-":
        v = _number(e.operand)
        return None if v is None else -v
    if (isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "Decimal"
            and len(e.args) == 1 and not e.keywords and isinstance(e.args[0], ast.StrLit)):
        try:
            d = decimal.Decimal(e.args[0].value)
        except decimal.InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


def _bound(op: str, value: Number, integral: bool) -> Constraint:
    """The constraint `v OP value` puts on v: a strict bound is made inclusive when both v
    (an `Int`, a length) and the value are integers; otherwise it stays where it is (`p > 0`
    on a Decimal is drawn as `p >= 0`, so `Decimal("0.5")` is still drawn)."""
    strict = integral and isinstance(value, int) and op in ("<", ">")
    if op in ("<", "<="):
        return Constraint(hi=value - 1 if strict else value)
    if op in (">", ">="):
        return Constraint(lo=value + 1 if strict else value)
    return Constraint(lo=value, hi=value)  # ==


def _subject(e: ast.Expr) -> tuple[str, bool] | None:
    """`x` -> ("x", False); `len(x)` -> ("x", True)."""
    if isinstance(e, ast.Name):
        return e.id, False
    if (isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "len"
            and len(e.args) == 1 and not e.keywords and isinstance(e.args[0], ast.Name)):
        return e.args[0].id, True
    return None


def _comparison(subject: tuple[str, bool], op: str, value: Number,
                integral: Mapping[str, bool]) -> tuple[str, Constraint] | None:
    name, is_len = subject
    c = _bound(op, value, is_len or integral[name])
    if not is_len:
        return name, c
    if not isinstance(value, int):
        return None
    return name, Constraint(min_len=None if c.lo is None else max(int(c.lo), 0),
                            max_len=None if c.hi is None else int(c.hi))


def _conjuncts(e: ast.Expr) -> list[ast.Expr]:
    out: list[ast.Expr] = []
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, ast.BoolOp) and x.op == "and":
            stack.extend((x.right, x.left))
        else:
            out.append(x)
    return out


def _facts(e: ast.Expr, names: Mapping[str, ast.TypeName | None]) -> list[tuple[str, Constraint]]:
    """What one conjunct says about the names in `names` (each with its annotation, if known)."""
    integral = {n: t is not None and t.name == "Int" and not t.args for n, t in names.items()}
    if isinstance(e, ast.Compare) and all(op in _FLIP for op in e.ops):
        facts = []
        operands = [e.left, *e.comparators]
        for op, a, b in zip(e.ops, operands, operands[1:]):
            sa, sb, na, nb = _subject(a), _subject(b), _number(a), _number(b)
            fact = None
            if sa and sa[0] in names and nb is not None:
                fact = _comparison(sa, op, nb, integral)
            elif sb and sb[0] in names and na is not None:
                fact = _comparison(sb, _FLIP[op], na, integral)
            if fact:
                facts.append(fact)
        return facts
    if (isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "all" and len(e.args) == 1
            and not e.keywords and isinstance(e.args[0], ast.GeneratorExp)):
        gen = e.args[0]
        if len(gen.generators) == 1 and not gen.generators[0].ifs:
            comp = gen.generators[0]
            if isinstance(comp.target, ast.Name) and isinstance(comp.iter, ast.Name) and comp.iter.id in names:
                # The element's annotation: the first type argument of the collection's (a map's key).
                of = names[comp.iter.id]
                elem_type = of.args[0] if of is not None and of.args else None
                elem = _gather([gen.elt], {comp.target.id: elem_type}).get(comp.target.id)
                if elem is not None:
                    return [(comp.iter.id, Constraint(elem=elem))]
    return []


def _gather(tests: list[ast.Expr], names: Mapping[str, ast.TypeName | None]) -> dict[str, Constraint]:
    out: dict[str, Constraint] = {}
    for test in tests:
        for conjunct in _conjuncts(test):
            for name, c in _facts(conjunct, names):
                out[name] = out[name].meet(c) if name in out else c
    return out


def compared_numbers(tree: ast.Module) -> tuple[Number, ...]:
    """The number literals the module's procs and properties compare against (`require n >= 18`,
    `if qty == 1`), distinct, in source order: the values where a program's behaviour changes,
    which boundary-first inputs try with their neighbours."""
    found: dict[str, Number] = {}
    for decl in tree.decls:
        if not isinstance(decl, ast.ProcDecl | ast.PropertyDecl):
            continue
        for node in ast.walk(decl):
            if isinstance(node, ast.Compare) and set(node.ops) <= _ORDERING:
                for operand in (node.left, *node.comparators):
                    v = _number(operand)
                    if v is not None:
                        found.setdefault(f"{type(v).__name__}:{v}", v)
    return tuple(found.values())


def constraints_for(decl: ast.PropertyDecl | ast.ProcDecl) -> Mapping[str, Constraint]:
    """Constraints on a property's (or a proc's) parameters from the `require`s that open its body."""
    leading: list[ast.Expr] = []
    for stmt in decl.body:
        if not isinstance(stmt, ast.Require):
            break
        leading.append(stmt.test)
    return _gather(leading, {p.name: p.type for p in decl.params})
