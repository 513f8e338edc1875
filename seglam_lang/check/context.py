"""The checker's working state: function contexts, flow states, the module's typed symbols, reporting.

Owns: `State` (what is definitely assigned and which locals are narrowed on the current
path), `FunctionContext` (one function-like scope being checked: slot types, return type, loops),
`Globals` (the typed module scope), `CheckContext` (diagnostics, recorded types, bindings,
the stack of function contexts), which the statement checker (`checker.py`), the expression checker
(`exprs.py`) and the call checker (`calls.py`) share, and `ExprTyping`, what the call
checker asks of the expression checker. The three are composed, not inherited: each gets
the context, and the call checker gets the expression checker through `ExprTyping`.

Invariants: a `State` is owned by one path; branching copies it (`State.copy`), merging
uses `merge`. `None` stands for "this point is unreachable". Every reported problem goes
through `CheckContext.error`, which records at most one diagnostic per (code, span).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

from seglam_lang.check.scope import Binding, Kind, Resolution
from seglam_lang.check.types import ANY, ModuleInterface, ProcSig, RecordT, Type
from seglam_lang.errors import Diagnostic, Span
from seglam_lang.frozen import define, field
from seglam_lang.syntax import ast


@define
class State:
    """Facts on one control-flow path: definitely assigned slots, narrowed slot types."""

    assigned: set[int]
    narrow: dict[int, Type] = field(factory=dict)

    def copy(self) -> State:
        return State(set(self.assigned), dict(self.narrow))


def merge(a: State | None, b: State | None) -> State | None:
    """The facts that hold after two paths meet (`None`: that path never gets here)."""
    if a is None:
        return b.copy() if b is not None else None
    if b is None:
        return a.copy()
    narrow = {k: v for k, v in a.narrow.items() if k in b.narrow and b.narrow[k] == v}
    return State(a.assigned & b.assigned, narrow)


@define
class FunctionContext:
    """One function-like scope being checked."""

    kind: str                        # "proc" | "property" | "lambda" | "root" (const, example, default)
    name: str
    nslots: int
    slot_types: dict[int, Type] = field(factory=dict)
    returns: Type | None = None      # declared return type of a proc
    state: State | None = None
    loops: list[list[State]] = field(factory=list)  # break states of each enclosing loop

    def everything_assigned(self) -> State:
        return State(set(range(self.nslots)))


@define
class Globals:
    """The typed module scope."""

    records: dict[str, RecordT] = field(factory=dict)
    procs: dict[str, ProcSig] = field(factory=dict)
    consts: dict[str, Type] = field(factory=dict)
    const_decls: dict[str, ast.ConstDecl] = field(factory=dict)
    modules: dict[str, ModuleInterface | None] = field(factory=dict)
    host: Mapping[str, ProcSig] = field(factory=dict)
    # constants whose value is not computed yet while constants are being checked in order
    pending_consts: set[str] = field(factory=set)


class CheckContext:
    """The state one module's check shares between its checkers: reporting, recorded types,
    name bindings, the typed module scope and the stack of function contexts being checked."""

    def __init__(self, file: str, globals_: Globals, source_lines: list[str]) -> None:
        self.file = file
        self.globals = globals_
        self.source_lines = source_lines
        self.resolution = Resolution()
        self.types: dict[int, Type] = {}
        self.diagnostics: list[Diagnostic] = []
        self.functions: list[FunctionContext] = []

    def error(self, code: str, message: str, where: object, hint: str | None = None) -> Type:
        """Report a problem at `where` (a node or a Span); return ANY for recovery."""
        span = where if isinstance(where, Span) else getattr(where, "span", Span(0, 0, 0, 0))
        if not any(d.code == code and d.span == span for d in self.diagnostics):
            self.diagnostics.append(Diagnostic(code, message, span, self.file, hint))
        return ANY

    def record(self, node: object, t: Type) -> Type:
        self.types[id(node)] = t
        return t

    @property
    def function(self) -> FunctionContext:
        return self.functions[-1]

    def binding(self, name: ast.Name) -> Binding | None:
        return self.resolution.bindings.get(id(name))

    def state(self) -> State:
        """The current path's facts (a permissive state in unreachable code)."""
        f = self.function
        if f.state is None:
            f.state = f.everything_assigned()
        return f.state

    @contextmanager
    def narrowed(self, facts: Mapping[int, Type]) -> Iterator[None]:
        """Check a sub-expression with some locals narrowed (the right of `and`, a branch of `if`)."""
        st = self.state()
        saved = dict(st.narrow)
        st.narrow.update(facts)
        try:
            yield
        finally:
            st.narrow.clear()
            st.narrow.update(saved)

    @contextmanager
    def in_function(self, fn: FunctionContext) -> Iterator[FunctionContext]:
        self.functions.append(fn)
        try:
            yield fn
        finally:
            self.functions.pop()

    def local_slot(self, name: ast.Name) -> int | None:
        b = self.binding(name)
        return b.index if b is not None and b.kind is Kind.LOCAL else None

class ExprTyping(Protocol):
    """What the call checker asks of the expression checker (`exprs.ExprChecker`)."""

    def expr(self, e: ast.Expr, expected: Type | None = None, cond: bool = False) -> Type: ...
    def expect(self, t: Type, want: Type, node: object, what: str) -> None: ...
    def mismatch(self, t: Type, want: Type, node: object, what: str) -> None: ...
    def condition(self, e: ast.Expr) -> Type: ...
    def truthy(self, t: Type, node: object) -> None: ...
    def iter_elem(self, t: Type, node: object) -> Type: ...
    def hashable(self, t: Type, node: object, what: str) -> None: ...
    def printable(self, t: Type, node: object) -> None: ...
    def frozen_root(self, e: ast.Expr, doing: str) -> None: ...
    def binop_type(self, op: str, lt: Type, rt: Type, node: object) -> Type: ...
    def attribute_type(self, t: Type, e: ast.Attribute) -> Type: ...
    def no_attribute(self, t: Type, attr: str, node: object, names: list[str]) -> Type: ...


__all__ = ["ANY", "CheckContext", "ExprTyping", "FunctionContext", "Globals", "State", "merge"]
