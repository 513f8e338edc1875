"""The SGL checker: declarations, statements and control flow; the driver of `check_module`.

Owns: the order of checking (records, `use`, proc signatures, constants in order, then
bodies, properties, examples, defaults, triggers), the statement rules, definite
assignment and narrowing through `if`/`for`/`while`/`break`/`continue`/`return`, the
missing-return rule, and the module's `ModuleInterface`; triggers are judged by `triggers.py`.
Expressions are typed by `exprs.py`, calls by `calls.py`, names resolved by `resolve.py`.
The parts are composed, not inherited: `Checker` makes the shared `CheckContext` and an
`ExprChecker` on it, which makes its `CallChecker`; each reaches the others only through
those references (the call checker through the `ExprTyping` interface).

Diagnostic codes: E02xx, each a static rule, named and explained in `seglam_lang.codes`.

Invariants: one mistake gives one diagnostic (recovery with `ANY`); diagnostics are
ordered by position; checking never raises on a parsed tree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from seglam_lang.check.builtins import ANNOTATION_TYPE_NAMES
from seglam_lang.check.checked import CheckedModule
from seglam_lang.check.context import CheckContext, FunctionContext, Globals, State, merge
from seglam_lang.check.exprs import ExprChecker
from seglam_lang.check.hints import a_an, declare_hint, did_you_mean, mismatch_hint
from seglam_lang.check.resolve import ModuleSymbols, resolve_module
from seglam_lang.check.triggers import trigger_problems
from seglam_lang.check.types import (
    ANY,
    BOOL,
    NONE,
    STR,
    FieldSig,
    ModuleInterface,
    OptionalT,
    ParamSig,
    ProcSig,
    RecordT,
    Type,
    UnknownType,
    from_annotation,
)
from seglam_lang.check.unify import assign, join, prune, zonk
from seglam_lang.codes import (
    E_EXAMPLE_NOT_BOOL,
    E_EXAMPLE_NOT_CALL,
    E_MESSAGE_NOT_STR,
    E_MISMATCH,
    E_MISSING_RETURN,
    E_OUTSIDE_LOOP,
    E_REASSIGN,
    E_RETURN_OUTSIDE_PROC,
    E_RETURN_TYPE,
    E_UNKNOWN_MODULE,
    E_UNKNOWN_TYPE,
)
from seglam_lang.errors import Span, source_lines
from seglam_lang.syntax import ast

# Python spellings of SGL types, for the unknown-type hint.
_PYTHON_TYPES = {
    "int": "Int", "float": "Float", "str": "Str", "bool": "Bool", "list": "List", "dict": "Map", "Dict": "Map",
    "set": "Set", "tuple": "Tuple", "date": "Date", "datetime": "DateTime", "timedelta": "Duration",
    "Optional": "T?", "Union": "T?", "Any": "a concrete type",
}





class Checker:
    """Checks one module's declarations and statements. `Checker(tree, ...).run() -> CheckedModule`."""

    def __init__(self, tree: ast.Module, *, name: str, imports: Callable[[ast.Use], ModuleInterface | None],
                 host: Mapping[str, ProcSig]) -> None:
        self.tree = tree
        self.name = name
        self.imports = imports
        self.ctx = CheckContext(tree.file, Globals(host=dict(host)), source_lines(tree.source))
        self.exprs = ExprChecker(self.ctx)

    # ---------------------------------------------------------------- driver

    def run(self) -> CheckedModule:
        self.ctx.resolution, symbols, diags = resolve_module(self.tree, host_names=self.ctx.globals.host, file=self.ctx.file)
        self.symbols = symbols
        self.ctx.diagnostics.extend(diags)
        self.collect_records(symbols)
        self.collect_uses(symbols)
        self.collect_procs(symbols)
        self.check_consts(symbols)
        for d in self.tree.decls:
            if isinstance(d, ast.ProcDecl):
                self.check_proc(d)
            elif isinstance(d, ast.PropertyDecl):
                self.check_property(d)
            elif isinstance(d, ast.ExampleDecl):
                self.check_example(d)
            elif isinstance(d, ast.RecordDecl):
                self.check_field_defaults(d)
        self.ctx.types = {k: zonk(v) for k, v in self.ctx.types.items()}
        g = self.ctx.globals
        interface = ModuleInterface(self.name, dict(g.procs), dict(g.records), {k: zonk(v) for k, v in g.consts.items()})
        self.ctx.diagnostics.sort(key=lambda d: (d.span.line, d.span.col, d.code))
        return CheckedModule(self.tree, self.name, interface, self.ctx.resolution, self.ctx.types, self.ctx.diagnostics)

    # ---------------------------------------------------------------- declarations

    def annotation(self, t: ast.TypeName) -> Type:
        try:
            return from_annotation(t, self.ctx.globals.records)
        except UnknownType as ex:
            bad = ex.node
            candidates = [*ANNOTATION_TYPE_NAMES, *self.ctx.globals.records]
            fallback = f"SGL writes `{_PYTHON_TYPES[bad.name]}`" if bad.name in _PYTHON_TYPES else None
            hint = did_you_mean(bad.name, candidates, fallback) if "takes" not in str(ex) else None
            self.ctx.error(E_UNKNOWN_TYPE, str(ex), bad, hint=hint)
            return ANY

    def collect_records(self, symbols: ModuleSymbols) -> None:
        # Records may refer to each other (and to themselves), so their field lists are
        # filled in after every record type exists.
        for name in symbols.records:
            self.ctx.globals.records[name] = RecordT(name, self.name, ())
        for name, decl in symbols.records.items():
            fields = tuple(FieldSig(f.name, self.annotation(f.type), f.default is not None) for f in _unique(decl.fields))
            object.__setattr__(self.ctx.globals.records[name], "fields", fields)

    def collect_uses(self, symbols: ModuleSymbols) -> None:
        for alias, use in symbols.uses.items():
            iface = self.imports(use)
            self.ctx.globals.modules[alias] = iface
            if iface is None:
                self.ctx.error(E_UNKNOWN_MODULE, f"unknown module `{'.'.join(use.path)}`", use,
                           hint="the standard library modules are `std.<name>`, e.g. `use std.text`")

    def collect_procs(self, symbols: ModuleSymbols) -> None:
        for name, decl in symbols.procs.items():
            params = tuple(ParamSig(p.name, self.annotation(p.type), p.default is not None) for p in _unique(decl.params))
            self.ctx.globals.procs[name] = ProcSig(name, params, self.annotation(decl.returns), decl.doc)

    def root_function(self, key: object, name: str) -> FunctionContext:
        scope = self.ctx.resolution.functions.get(id(key))
        nslots = scope.nslots if scope is not None else 0
        return FunctionContext("root", name, nslots, state=State(set()))

    def root_expr(self, key: object, name: str, e: ast.Expr, expected: Type | None = None) -> Type:
        """Check an expression evaluated at module level (constant, example, default) as a function of its own."""
        with self.ctx.in_function(self.root_function(key, name)):
            return self.exprs.expr(e, expected)

    def check_consts(self, symbols: ModuleSymbols) -> None:
        g = self.ctx.globals
        g.const_decls = dict(symbols.consts)
        g.pending_consts = set(symbols.consts)
        for name, d in symbols.consts.items():
            declared = self.annotation(d.annotation) if d.annotation is not None else None
            t = self.root_expr(d, name, d.value, declared)
            if declared is not None:
                self.exprs.expect(t, declared, d.value, f"constant `{name}`")
                t = declared
            g.consts[name] = t
            g.pending_consts.discard(name)

    def check_defaults(self, owner: str, params: tuple[ast.Param, ...], sig_params: tuple[ParamSig, ...]) -> None:
        types = {p.name: p.type for p in sig_params}
        for p in params:
            if p.default is not None:
                want = types.get(p.name, ANY)
                t = self.root_expr(p, f"{owner}.{p.name}", p.default, want)
                self.exprs.expect(t, want, p.default, f"the default of `{p.name}`")

    def check_field_defaults(self, d: ast.RecordDecl) -> None:
        rec = self.ctx.globals.records.get(d.name)
        for f in d.fields:
            if f.default is not None:
                sig = rec.field(f.name) if rec is not None else None
                want = sig.type if sig is not None else ANY
                t = self.root_expr(f, f"{d.name}.{f.name}", f.default, want)
                self.exprs.expect(t, want, f.default, f"the default of field `{f.name}`")

    def function_context(self, d: ast.ProcDecl | ast.PropertyDecl, kind: str, params: tuple[ParamSig, ...],
                       returns: Type | None) -> FunctionContext:
        scope = self.ctx.resolution.functions.get(id(d))
        nslots = scope.nslots if scope is not None else len(params)
        slot_types: dict[int, Type] = {i: p.type for i, p in enumerate(params)}
        return FunctionContext(kind, d.name, nslots, slot_types, returns, State(set(range(len(d.params)))))

    def check_proc(self, d: ast.ProcDecl) -> None:
        sig = self.ctx.globals.procs.get(d.name)
        if sig is None or self.symbols.procs.get(d.name) is not d:  # a duplicate: check it on its own
            sig = ProcSig(d.name, tuple(ParamSig(p.name, self.annotation(p.type), p.default is not None)
                                        for p in _unique(d.params)), self.annotation(d.returns))
        self.check_defaults(d.name, d.params, sig.params)
        fn = self.function_context(d, "proc", sig.params, sig.returns)
        with self.ctx.in_function(fn):
            self.block(d.body)
            ret = prune(sig.returns)
            # Falling off the end returns None, which a `None` or optional return type allows.
            if fn.state is not None and ret not in (NONE, ANY) and not isinstance(ret, OptionalT):
                self.ctx.error(E_MISSING_RETURN, f"proc `{d.name}` can reach its end without returning {a_an(sig.returns)}",
                           self.header_span(d, "proc"),
                           hint='add a `return` on every path, or `fail "..."` where no answer exists')
        self.check_triggers(d)

    def check_property(self, d: ast.PropertyDecl) -> None:
        params = tuple(ParamSig(p.name, self.annotation(p.type), p.default is not None) for p in _unique(d.params))
        self.check_defaults(d.name, d.params, params)
        with self.ctx.in_function(self.function_context(d, "property", params, None)):
            self.block(d.body)

    def check_example(self, d: ast.ExampleDecl) -> None:
        if d.expect is not None:
            # The call is checked like any expression; what it returns is never looked at.
            self.root_expr(d, f"example@{d.span.line}", d.expr)
            e = d.expr
            callee = e.func if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) else None
            # an unknown callee is already reported (E0201): that is the one error to fix
            known = callee is None or not any(x.span == callee.span for x in self.ctx.diagnostics)
            if known and (callee is None or callee.id not in self.ctx.globals.procs):
                self.ctx.error(E_EXAMPLE_NOT_CALL,
                               f"an example that `{d.expect}` must be a call of a proc of this module", e,
                               hint="name one call: `example f(-1) is not applicable`")
            return
        t = prune(self.root_expr(d, f"example@{d.span.line}", d.expr, BOOL))
        if t not in (BOOL, ANY):
            self.ctx.error(E_EXAMPLE_NOT_BOOL, f"an example must be a Bool expression, this one is {t}", d.expr,
                       hint="compare the result with the expected value: `example f(2) == 4`")

    def header_span(self, d: ast.ProcDecl, keyword: str) -> Span:
        """The span of `proc name` on the declaration's header line (after any `@when` lines)."""
        for line in range(d.span.line, min(d.span.end_line, len(self.ctx.source_lines)) + 1):
            text = self.ctx.source_lines[line - 1]
            col = text.find(f"{keyword} {d.name}")
            if col >= 0:
                return Span(line, col + 1, line, col + 1 + len(keyword) + 1 + len(d.name))
        return Span(d.span.line, d.span.col, d.span.line, d.span.col + 1)

    # ---------------------------------------------------------------- triggers

    def check_triggers(self, d: ast.ProcDecl) -> None:
        params = {p.name: p.default is not None for p in d.params}
        for trig in d.triggers:
            for problem in trigger_problems(trig.pattern, trig.is_regex, d.name, params):
                self.ctx.error(problem.code, problem.message, trig, hint=problem.hint)

    # ---------------------------------------------------------------- statements

    def block(self, stmts: tuple[ast.Stmt, ...]) -> None:
        dead = False
        for s in stmts:
            if self.ctx.function.state is None:
                # Unreachable code is still checked, with everything counted as assigned.
                dead = True
                self.ctx.function.state = self.ctx.function.everything_assigned()
            getattr(self, "s_" + type(s).__name__)(s)
        if dead:
            self.ctx.function.state = None

    def s_ExprStmt(self, s: ast.ExprStmt) -> None:
        self.exprs.expr(s.value)

    def s_Pass(self, s: ast.Pass) -> None:
        pass

    def s_Assign(self, s: ast.Assign) -> None:
        target = s.target
        if isinstance(target, ast.Name):
            slot = self.ctx.local_slot(target)
            declared = self.ctx.function.slot_types.get(slot) if slot is not None else None
            t = self.exprs.expr(s.value, declared)
            self.exprs.assign_local(target, t, s.value)
        else:
            t = self.exprs.expr(s.value)
            self.exprs.bind_target(target, t, s.value)

    def s_AnnAssign(self, s: ast.AnnAssign) -> None:
        declared = self.annotation(s.annotation)
        t = self.exprs.expr(s.value, declared)
        self.exprs.expect(t, declared, s.value, f"the value of `{s.target.id}`")
        self.exprs.assign_local(s.target, declared, s.value, declared=declared)

    def s_AugAssign(self, s: ast.AugAssign) -> None:
        target = s.target
        if isinstance(target, ast.Attribute):
            self.exprs.expr(s.value)
            self.exprs.assign_attribute(target, s.value)
            return
        if isinstance(target, ast.Subscript):
            self.exprs.frozen_root(target.value, "change")
        current = self.exprs.expr(target)
        t = self.exprs.binop_type(s.op, current, self.exprs.expr(s.value), s)
        if isinstance(target, ast.Name):
            slot = self.ctx.local_slot(target)
            declared = self.ctx.function.slot_types.get(slot) if slot is not None else None
            if declared is not None and not assign(t, declared):
                wider = join(declared, t)
                hint = declare_hint(target.id, wider) if wider else None
                self.ctx.error(E_REASSIGN, f"`{target.id}` has type {declared}, but `{s.op}=` makes it {t}", s, hint=hint)
            elif slot is not None:
                self.exprs.forget(slot)
        else:
            self.exprs.expect(t, current, s, f"the result of `{s.op}=`")

    def s_If(self, s: ast.If) -> None:
        self.exprs.condition(s.test)
        true_facts, false_facts = self.exprs.facts(s.test)
        entry = self.ctx.state()
        then_state = entry.copy()
        then_state.narrow.update(true_facts)
        self.ctx.function.state = then_state
        self.block(s.body)
        after_then = self.ctx.function.state
        else_state = entry.copy()
        else_state.narrow.update(false_facts)
        self.ctx.function.state = else_state
        self.block(s.orelse)
        self.ctx.function.state = merge(after_then, self.ctx.function.state)

    def loop_entry(self, body: tuple[ast.Stmt, ...]) -> State:
        """The state at a loop's head: narrowing of anything the body assigns is dropped."""
        st = self.ctx.state().copy()
        for slot in self.assigned_slots(body):
            for k in [k for k in st.narrow if k == slot or (isinstance(k, tuple) and k[0] == slot)]:
                del st.narrow[k]
        return st

    def assigned_slots(self, body: tuple[ast.Stmt, ...]) -> set[int]:
        slots: set[int] = set()
        for st in body:
            for n in ast.walk(st):
                if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For)):
                    for name in ast.walk(n.target):
                        if isinstance(name, ast.Name):
                            slot = self.ctx.local_slot(name)
                            if slot is not None:
                                slots.add(slot)
        return slots

    def s_While(self, s: ast.While) -> None:
        entry = self.loop_entry(s.body)
        self.ctx.function.state = entry
        self.exprs.condition(s.test)
        true_facts, false_facts = self.exprs.facts(s.test)
        body_state = entry.copy()
        body_state.narrow.update(true_facts)
        self.ctx.function.state = body_state
        self.ctx.function.loops.append([])
        self.block(s.body)
        breaks = self.ctx.function.loops.pop()
        forever = isinstance(s.test, ast.BoolLit) and s.test.value
        after: State | None = None
        if not forever:
            after = entry.copy()
            after.narrow.update(false_facts)
        for b in breaks:
            after = merge(after, b)
        self.ctx.function.state = after

    def s_For(self, s: ast.For) -> None:
        it = self.exprs.expr(s.iter)
        el = self.exprs.iter_elem(it, s.iter)
        entry = self.loop_entry(s.body)
        self.ctx.function.state = entry.copy()
        self.exprs.bind_target(s.target, el, s.iter)
        self.ctx.function.loops.append([])
        self.block(s.body)
        breaks = self.ctx.function.loops.pop()
        after: State | None = entry
        for b in breaks:
            after = merge(after, b)
        self.ctx.function.state = after

    def s_Break(self, s: ast.Break) -> None:
        self.loop_exit(s, "break")

    def s_Continue(self, s: ast.Continue) -> None:
        self.loop_exit(s, "continue")

    def loop_exit(self, s: ast.Break | ast.Continue, word: str) -> None:
        if not self.ctx.function.loops:
            self.ctx.error(E_OUTSIDE_LOOP, f"`{word}` outside a loop", s)
            return
        if word == "break":
            self.ctx.function.loops[-1].append(self.ctx.state().copy())
        self.ctx.function.state = None

    def s_Return(self, s: ast.Return) -> None:
        f = self.ctx.function
        if f.kind != "proc":
            self.ctx.error(E_RETURN_OUTSIDE_PROC, f"`return` is not allowed in {a_an(f.kind)}", s,
                       hint="a property states facts with `assert`; `require` skips inputs that do not apply")
            if s.value is not None:
                self.exprs.expr(s.value)
        elif s.value is None:
            if f.returns is not None and not assign(NONE, f.returns, bind=False):
                self.ctx.error(E_RETURN_TYPE, f"`return` without a value in a proc that returns {f.returns}", s)
        else:
            want = f.returns if f.returns is not None else ANY
            t = self.exprs.expr(s.value, want)
            if not assign(t, want):
                pt = prune(t)
                if isinstance(pt, OptionalT) and assign(pt.inner, want, bind=False):
                    self.exprs.mismatch(t, want, s.value, "the returned value")
                else:
                    self.ctx.error(E_RETURN_TYPE, f"`{f.name}` is declared to return {want}, but this returns {t}", s.value,
                               hint=mismatch_hint(s.value, t, want))
        f.state = None

    def message(self, msg: ast.Expr | None) -> None:
        if msg is not None:
            t = prune(self.exprs.expr(msg))
            if t not in (STR, ANY):
                self.ctx.error(E_MESSAGE_NOT_STR, f"the message must be a Str, got {t}", msg,
                           hint='use an f-string: f"bad value: {x}"')

    def s_Require(self, s: ast.Require) -> None:
        self.exprs.condition(s.test)
        self.message(s.msg)
        self.ctx.state().narrow.update(self.exprs.facts(s.test)[0])

    def s_Assert(self, s: ast.Assert) -> None:
        self.exprs.condition(s.test)
        self.message(s.msg)
        self.ctx.state().narrow.update(self.exprs.facts(s.test)[0])

    def s_Fail(self, s: ast.Fail) -> None:
        self.message(s.msg)
        self.ctx.function.state = None


def _unique(items: tuple[ast.Param, ...] | tuple[ast.Field, ...]) -> list:
    """The items with their first occurrence of each name (duplicates are reported by the resolver)."""
    seen: set[str] = set()
    out = []
    for x in items:
        if x.name not in seen:
            seen.add(x.name)
            out.append(x)
    return out


__all__ = ["E_MISMATCH", "Checker"]
