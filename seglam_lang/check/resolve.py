"""Name resolution: every `ast.Name` of a module to a `Binding`, every function-like node to its slot layout.

Owns: the scoping rules written in `seglam_lang.check.scope` (Python's, restricted) and the
module-level symbol table rules (duplicates, names that clash with built-ins). It reports
names that resolve to nothing, with a did-you-mean among the names in scope. It does not
do flow analysis (use-before-assignment is the checker's: it needs the control flow).

Slot layouts (`Resolution.functions`, keyed by `id(node)`):
- `ProcDecl`, `PropertyDecl`, `Lambda`: parameters first (slots `0..n-1`), then every name
  assigned anywhere in the body (outside lambdas and comprehensions), then the slots of
  comprehension targets;
- module-level expression roots get a slot layout of their own so that the comprehensions in
  them have slots: `ExampleDecl`, `ConstDecl`, and each `Param` / `Field` with a default
  (keyed by the `Param` / `Field` node). Names there resolve to the module scope.

Invariants: slots of one function are dense `0..nslots-1`; each comprehension target gets a
fresh slot (two comprehensions never share one); a binding is recorded for every `Name`
that resolves (unknown names get a diagnostic and no binding).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from seglam_lang.check.builtins import ANNOTATION_TYPE_NAMES, BUILTIN_FUNCTIONS
from seglam_lang.check.hints import PYTHON_ONLY_NAMES, did_you_mean
from seglam_lang.check.scope import Binding, FunctionScope, Kind, Resolution
from seglam_lang.codes import E_DUPLICATE, E_SHADOWS_BUILTIN, E_UNKNOWN_NAME
from seglam_lang.errors import Diagnostic, Span
from seglam_lang.frozen import define, field
from seglam_lang.syntax import ast


@define
class ModuleSymbols:
    """The module scope: what each top-level name is (the first declaration of it wins)."""

    records: dict[str, ast.RecordDecl] = field(factory=dict)
    consts: dict[str, ast.ConstDecl] = field(factory=dict)
    procs: dict[str, ast.ProcDecl] = field(factory=dict)
    uses: dict[str, ast.Use] = field(factory=dict)
    properties: dict[str, ast.PropertyDecl] = field(factory=dict)
    host: frozenset[str] = frozenset()

    def kind_of(self, name: str) -> Kind | None:
        if name in self.uses:
            return Kind.MODULE
        if name in self.records or name in self.consts or name in self.procs or name in self.host:
            return Kind.GLOBAL
        if name in BUILTIN_FUNCTIONS:
            return Kind.BUILTIN
        return None

    def names(self) -> Iterator[str]:
        yield from self.uses
        yield from self.records
        yield from self.consts
        yield from self.procs
        yield from self.host
        yield from BUILTIN_FUNCTIONS


class _SlotTable:
    """The slots of one activation record under construction."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.slot_names: list[str] = []

    def new_slot(self, name: str) -> int:
        self.slot_names.append(name)
        return len(self.slot_names) - 1

    def finish(self) -> FunctionScope:
        return FunctionScope(self.name, len(self.slot_names), tuple(self.slot_names))


class _Scope:
    """A lexical scope: names to slots of its function's `slots`; `parent` is the enclosing scope (None: module)."""

    def __init__(self, slots: _SlotTable, parent: _Scope | None) -> None:
        self.slots = slots
        self.parent = parent
        self.names: dict[str, int] = {}

    def declare(self, name: str) -> int:
        if name not in self.names:
            self.names[name] = self.slots.new_slot(name)
        return self.names[name]


def assigned_names(body: Iterable[ast.Stmt]) -> list[str]:
    """Names a statement list assigns (targets of =, :=, +=, for), in first-seen order.

    Lambdas and comprehensions are not entered: their names are their own.
    """
    seen: dict[str, None] = {}

    def targets(t: ast.Expr) -> None:
        if isinstance(t, ast.Name):
            seen.setdefault(t.id)
        elif isinstance(t, ast.TupleExpr):
            for e in t.elts:
                targets(e)

    stack: list[ast.Stmt] = list(reversed(tuple(body)))
    while stack:
        s = stack.pop()
        if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets(s.target)
        elif isinstance(s, ast.For):
            targets(s.target)
            stack.extend(reversed(s.body))
        elif isinstance(s, ast.If):
            stack.extend(reversed(s.orelse))
            stack.extend(reversed(s.body))
        elif isinstance(s, ast.While):
            stack.extend(reversed(s.body))
    return list(seen)


class Resolver:
    """Resolve one module. Use `resolve_module`."""

    def __init__(self, tree: ast.Module, host_names: Iterable[str], file: str) -> None:
        self.tree = tree
        self.file = file
        self.resolution = Resolution()
        self.diagnostics: list[Diagnostic] = []
        self.symbols = ModuleSymbols(host=frozenset(host_names))

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, self.file, hint))

    # ---------------------------------------------------------------- module scope

    def origin(self, d: ast.OriginDecl, second: bool) -> None:
        """At most one origin block, each key once: `Module.origin` is the block as written."""
        if second:
            self.error(E_DUPLICATE, "a module has at most one `origin:` block", d.span,
                       hint="merge its entries into the first block")
        keys: set[str] = set()
        for key, _ in d.entries:
            if key in keys:
                self.error(E_DUPLICATE, f"origin key `{key}` is given twice", d.span, hint="keep one of them")
            keys.add(key)

    def collect(self) -> None:
        s = self.symbols
        taken: dict[str, str] = {}  # name -> what it already is, for the duplicate message
        origin_seen = False
        for d in self.tree.decls:
            if isinstance(d, ast.OriginDecl):
                self.origin(d, origin_seen)
                origin_seen = True
                continue
            if isinstance(d, ast.Use):
                name, what, table = d.local_name, "module", s.uses
            elif isinstance(d, ast.RecordDecl):
                name, what, table = d.name, "record", s.records
            elif isinstance(d, ast.ConstDecl):
                name, what, table = d.name, "constant", s.consts
            elif isinstance(d, ast.ProcDecl):
                name, what, table = d.name, "proc", s.procs
            elif isinstance(d, ast.PropertyDecl):
                # properties live in their own namespace (they are not callable)
                if d.name in s.properties:
                    self.error(E_DUPLICATE, f"property `{d.name}` is defined twice", d.span,
                               hint="give each property its own name")
                s.properties.setdefault(d.name, d)
                continue
            else:
                continue
            if name in taken:
                self.error(E_DUPLICATE, f"`{name}` is already defined as a {taken[name]}", d.span,
                           hint="give each declaration its own name")
                continue
            if name in BUILTIN_FUNCTIONS or name in ANNOTATION_TYPE_NAMES:
                kind = "type" if name in ANNOTATION_TYPE_NAMES else "function"
                self.error(E_SHADOWS_BUILTIN, f"{what} `{name}` has the name of a built-in {kind}", d.span,
                           hint=f"rename it, e.g. `{name}_{what}`" if what != "module" else "use `use ... as other_name`")
                continue
            if name in s.host:
                self.error(E_DUPLICATE, f"`{name}` is already a host function", d.span,
                           hint="rename it; the host application defines this name")
                continue
            taken[name] = what
            table[name] = d  # type: ignore[index]

    # ---------------------------------------------------------------- bindings

    def bind(self, node: ast.Name, binding: Binding) -> None:
        self.resolution.bindings[id(node)] = binding

    def lookup(self, node: ast.Name, scope: _Scope | None) -> None:
        name = node.id
        depth = 0
        s = scope
        while s is not None:
            if name in s.names:
                kind = Kind.LOCAL if depth == 0 else Kind.FREE
                self.bind(node, Binding(kind, name, s.names[name], depth))
                return
            if s.parent is not None and s.parent.slots is not s.slots:
                depth += 1
            s = s.parent
        kind = self.symbols.kind_of(name)
        if kind is not None:
            self.bind(node, Binding(kind, name))
            return
        candidates: list[str] = list(self.symbols.names())
        s = scope
        while s is not None:
            candidates.extend(s.names)
            s = s.parent
        hint = PYTHON_ONLY_NAMES.get(name) or did_you_mean(name, candidates)
        if name in ANNOTATION_TYPE_NAMES:
            hint = hint or f"`{name}` is a type; it can only be written in annotations"
        self.error(E_UNKNOWN_NAME, f"unknown name `{name}`", node.span, hint)

    def target(self, t: ast.Expr, scope: _Scope) -> None:
        """An assignment or loop target: names bind locally; the rest are reads."""
        if isinstance(t, ast.Name):
            self.bind(t, Binding(Kind.LOCAL, t.id, scope.names[t.id]))
        elif isinstance(t, ast.TupleExpr):
            for e in t.elts:
                self.target(e, scope)
        else:  # xs[i] = ..., r.f = ...: the container is read
            self.expr(t, scope)

    # ---------------------------------------------------------------- functions

    def function(self, key: object, name: str, params: Iterable[str], body: Iterable[ast.Stmt],
                 parent: _Scope | None) -> None:
        table = _SlotTable(name)
        scope = _Scope(table, parent)
        for p in params:
            scope.declare(p)
        for n in assigned_names(body):
            scope.declare(n)
        for st in body:
            self.stmt(st, scope)
        self.resolution.functions[id(key)] = table.finish()

    def expression_root(self, key: object, name: str, expr: ast.Expr) -> None:
        table = _SlotTable(name)
        self.expr(expr, _Scope(table, None))
        self.resolution.functions[id(key)] = table.finish()

    def params(self, owner: str, params: Iterable[ast.Param]) -> None:
        seen: set[str] = set()
        for p in params:
            if p.name in seen:
                self.error(E_DUPLICATE, f"parameter `{p.name}` is declared twice", p.span)
            seen.add(p.name)
            if p.default is not None:
                self.expression_root(p, f"{owner}.{p.name}=", p.default)

    def run(self) -> Resolution:
        self.collect()
        for d in self.tree.decls:
            if isinstance(d, ast.ProcDecl):
                self.params(d.name, d.params)
                self.function(d, d.name, (p.name for p in d.params), d.body, None)
            elif isinstance(d, ast.PropertyDecl):
                self.params(d.name, d.params)
                self.function(d, f"property {d.name}", (p.name for p in d.params), d.body, None)
            elif isinstance(d, ast.ConstDecl):
                self.expression_root(d, d.name, d.value)
            elif isinstance(d, ast.ExampleDecl):
                self.expression_root(d, f"example@{d.span.line}", d.expr)
            elif isinstance(d, ast.RecordDecl):
                seen: set[str] = set()
                for f in d.fields:
                    if f.name in seen:
                        self.error(E_DUPLICATE, f"field `{f.name}` is declared twice in record `{d.name}`", f.span)
                    seen.add(f.name)
                    if f.default is not None:
                        self.expression_root(f, f"{d.name}.{f.name}=", f.default)
        return self.resolution

    # ---------------------------------------------------------------- statements

    def stmt(self, s: ast.Stmt, scope: _Scope) -> None:
        if isinstance(s, ast.Assign):
            self.expr(s.value, scope)
            self.target(s.target, scope)
        elif isinstance(s, ast.AnnAssign):
            self.expr(s.value, scope)
            self.target(s.target, scope)
        elif isinstance(s, ast.AugAssign):
            self.expr(s.value, scope)
            self.target(s.target, scope)
        elif isinstance(s, ast.For):
            self.expr(s.iter, scope)
            self.target(s.target, scope)
            for b in s.body:
                self.stmt(b, scope)
        elif isinstance(s, ast.If):
            self.expr(s.test, scope)
            for b in (*s.body, *s.orelse):
                self.stmt(b, scope)
        elif isinstance(s, ast.While):
            self.expr(s.test, scope)
            for b in s.body:
                self.stmt(b, scope)
        elif isinstance(s, ast.ExprStmt):
            self.expr(s.value, scope)
        elif isinstance(s, ast.Return):
            if s.value is not None:
                self.expr(s.value, scope)
        elif isinstance(s, (ast.Require, ast.Assert)):
            self.expr(s.test, scope)
            if s.msg is not None:
                self.expr(s.msg, scope)
        elif isinstance(s, ast.Fail):
            self.expr(s.msg, scope)
        # Break, Continue, Pass: no names

    # ---------------------------------------------------------------- expressions

    def comprehension(self, gens: tuple[ast.Comprehension, ...], results: tuple[ast.Expr, ...],
                      scope: _Scope) -> None:
        # As in Python 3: the first iterable is evaluated in the enclosing scope; the
        # targets are private to the comprehension but live in the enclosing table.
        self.expr(gens[0].iter, scope)
        inner = _Scope(scope.slots, scope)
        for i, g in enumerate(gens):
            if i:
                self.expr(g.iter, inner)
            for n in _target_names(g.target):
                if n.id not in inner.names:
                    inner.names[n.id] = scope.slots.new_slot(n.id)
            self.target(g.target, inner)
            for cond in g.ifs:
                self.expr(cond, inner)
        for r in results:
            self.expr(r, inner)

    def expr(self, e: ast.Expr, scope: _Scope | None) -> None:
        # Recursion depth is bounded by the parser's MAX_NESTING.
        if isinstance(e, ast.Name):
            self.lookup(e, scope)
        elif isinstance(e, ast.Lambda):
            table = _SlotTable("<lambda>")
            inner = _Scope(table, scope)
            for p in e.params:
                inner.declare(p)
            self.expr(e.body, inner)
            self.resolution.functions[id(e)] = table.finish()
        elif isinstance(e, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            assert scope is not None  # every expression root has a slot layout
            self.comprehension(e.generators, (e.elt,), scope)
        elif isinstance(e, ast.DictComp):
            assert scope is not None
            self.comprehension(e.generators, (e.key, e.value), scope)
        else:
            for child in ast.children(e):
                self.expr(child, scope)  # type: ignore[arg-type]

    # Keyword, Slice, FormattedValue are reached through `children` and hold expressions.


def _target_names(t: ast.Expr) -> Iterator[ast.Name]:
    if isinstance(t, ast.Name):
        yield t
    elif isinstance(t, ast.TupleExpr):
        for e in t.elts:
            yield from _target_names(e)


def resolve_module(tree: ast.Module, *, host_names: Iterable[str] = (), file: str | None = None
                   ) -> tuple[Resolution, ModuleSymbols, list[Diagnostic]]:
    """Resolve `tree`; return the resolution, the module symbol table and the diagnostics."""
    r = Resolver(tree, host_names, file or tree.file)
    resolution = r.run()
    return resolution, r.symbols, r.diagnostics
