"""Statements to closures: each statement becomes `code(slots) -> None | signal`, once, at load.

Owns: assignment (names, tuples, items, augmented), `if`, `for`, `while`, `break`,
`continue`, `return`, `require`, `assert`, `fail`, expression statements, and blocks.

Control flow: a statement returns None to go on, or one of three signals: `BREAK`,
`CONTINUE`, `RETURN` (the value is in the `ret` slot). Blocks stop at the first
signal and pass it outward; loops consume `BREAK`/`CONTINUE`; the proc call reads `ret`.
A statement that can never signal (assignments, expression statements...) is "plain" and
blocks made only of plain statements skip the signal tests. This is faster than Python
exceptions for `return` (measured: a `return` per call is the common case).

Invariants: loop iterations are counted in a local and charged to the run's budget every
`CHUNK` iterations and when the loop ends; every failing statement raises an
`SglRuntimeError` located at the failing node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from typing import Any

from seglam_lang.check.types import ListT, MapT, SetT
from seglam_lang.codes import E_ASSERT, E_FAIL, E_REQUIRE
from seglam_lang.errors import NotApplicable, SglRuntimeError
from seglam_lang.runtime import ops
from seglam_lang.runtime.closures.expr import NUMERIC, ExprCompiler
from seglam_lang.runtime.closures.layout import CHUNK, CTX, RET, Code, guard
from seglam_lang.runtime.tracebacks import Where
from seglam_lang.syntax import ast


class Signal:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


BREAK = Signal("BREAK")
CONTINUE = Signal("CONTINUE")
RETURN = Signal("RETURN")

Stmt = Callable[[list], "Signal | None"]


def can_signal(s: Any) -> bool:
    """May this statement return a signal (break/continue/return, directly or nested)?"""
    if isinstance(s, (ast.Return, ast.Break, ast.Continue)):
        return True
    if isinstance(s, ast.If):
        return any(map(can_signal, s.body)) or any(map(can_signal, s.orelse))
    if isinstance(s, (ast.For, ast.While)):
        # break/continue are consumed by the loop; only a return escapes it
        return any(_returns(b) for b in s.body)
    return False


def _returns(s: Any) -> bool:
    if isinstance(s, ast.Return):
        return True
    if isinstance(s, ast.If):
        return any(map(_returns, s.body)) or any(map(_returns, s.orelse))
    if isinstance(s, (ast.For, ast.While)):
        return any(map(_returns, s.body))
    return False


def _forever(f: list) -> Iterator[None]:
    return repeat(None)


def _loop(items: Code, test: Code | None, slot: int | None, store: Callable[[list, Any], None] | None,
          body: Stmt, where: Where) -> Stmt:
    """The loop of `for` (over `items(f)`, each item bound to `slot` or by `store`) and of
    `while` (`items` endless, `test` read before each pass): the one home of the loop's
    signal handling and of its chunked step charging. One closure for both, with the
    variant's branches tested per pass (one test for `while`, two for `for`): a helper
    called per pass would cost more (a Python call per iteration on the interpreter's
    hottest path)."""

    def loop(f: list) -> Signal | None:
        ctx = f[CTX]
        n = 0
        for x in items(f):
            if test is None:  # for
                if slot is not None:
                    f[slot] = x
                else:
                    store(f, x)
            elif not test(f):  # while
                break
            r = body(f)
            n += 1
            if n >= CHUNK:
                ctx.charge(n)
                n = 0
            if r is not None:
                if r is BREAK:
                    break
                if r is RETURN:
                    ctx.charge(n)
                    return r
        ctx.charge(n)
        return None

    return guard(loop, where)


class StmtCompiler:
    """Compiles the statements of one proc or property body: `block(stmts) -> Stmt`, with the
    expressions of the same unit compiled by `exprs`."""

    def __init__(self, exprs: ExprCompiler) -> None:
        self.exprs = exprs
        self.module = exprs.module
        self.expr = exprs.expr
        self.store = exprs.store
        self.where = exprs.where
        self.type_of = exprs.type_of

    def block(self, stmts: Sequence[Any]) -> Stmt:
        stmts = [s for s in stmts if not isinstance(s, ast.Pass)]
        codes = [self.stmt(s) for s in stmts]
        signals = [can_signal(s) for s in stmts]
        if not codes:
            return lambda f: None
        if not any(signals):
            return _plain_block(codes)
        if len(codes) == 1:
            return codes[0]
        if isinstance(stmts[-1], ast.Return) and stmts[-1].value is not None and len(stmts) <= 2:
            fused = self._fused_return(stmts)
            if fused is not None:
                return fused
        if not any(signals[:-1]):
            # plain statements then one that may signal (often a `return`)
            *head, last = codes
            run_head = _plain_block(head)

            def then_last(f: list) -> Signal | None:
                run_head(f)
                return last(f)

            return then_last
        pairs = list(zip(codes, signals))

        def block(f: list) -> Signal | None:
            for code, sig in pairs:
                if sig:
                    r = code(f)
                    if r is not None:
                        return r
                else:
                    code(f)
            return None

        return block

    def _fused_return(self, stmts: list[Any]) -> Stmt | None:
        """`return e` alone, or after one statement, or after a guard `if c: return e0` (fused)."""
        value = self.expr(stmts[-1].value)
        if len(stmts) == 1:
            def return_only(f: list) -> Signal:
                f[RET] = value(f)
                return RETURN

            return return_only
        first = stmts[0]
        if (isinstance(first, ast.If) and not first.orelse and len(first.body) == 1
                and isinstance(first.body[0], ast.Return) and first.body[0].value is not None):
            test, early = self.expr(first.test), self.expr(first.body[0].value)

            def guard_then_return(f: list) -> Signal:
                f[RET] = early(f) if test(f) else value(f)
                return RETURN

            return guard_then_return
        if can_signal(first):
            return None
        head = self.stmt(first)

        def then_return(f: list) -> Signal:
            head(f)
            f[RET] = value(f)
            return RETURN

        return then_return

    def stmt(self, s: Any) -> Stmt:
        return getattr(self, "s_" + type(s).__name__)(s)

    # ------------------------------------------------------------------ assignment

    def s_Assign(self, s: ast.Assign | ast.AnnAssign) -> Stmt:
        value = self.expr(s.value)
        t = s.target
        if isinstance(t, ast.Name):
            i = self.module.binding(t).index

            def assign(f: list) -> None:
                f[i] = value(f)

            return assign
        store = self.store(t)
        return guard(lambda f: store(f, value(f)), self.where(s))

    s_AnnAssign = s_Assign

    def s_AugAssign(self, s: ast.AugAssign) -> Stmt:
        value = self.expr(s.value)
        where = self.where(s)
        t = s.target
        ttype = self.type_of(t)
        # Lists, maps and sets change in place (`xs += ys` extends xs), as in Python.
        in_place = isinstance(ttype, ListT | MapT | SetT) or ttype is None
        op = (ops.INPLACE if in_place else ops.BINARY)[s.op]
        if isinstance(t, ast.Name):
            i = self.module.binding(t).index
            if s.op in ("+", "-") and ttype in NUMERIC and self.type_of(s.value) in NUMERIC:
                if s.op == "+":
                    def add(f: list) -> None:
                        f[i] += value(f)
                    return add

                def sub(f: list) -> None:
                    f[i] -= value(f)

                return sub

            def aug(f: list) -> None:
                f[i] = op(f[CTX], f[i], value(f))

            return guard(aug, where)
        if isinstance(t, ast.Subscript):
            obj, idx = self.expr(t.value), self.expr(t.index)

            def aug_item(f: list) -> None:
                o, k = obj(f), idx(f)
                ctx = f[CTX]
                ops.setitem(ctx, o, k, op(ctx, o[k], value(f)))

            return guard(aug_item, where)
        raise self.exprs.internal(t, "cannot assign to this target")

    def s_ExprStmt(self, s: ast.ExprStmt) -> Stmt:
        value = self.expr(s.value)

        def expr_stmt(f: list) -> None:
            value(f)

        return expr_stmt

    # ------------------------------------------------------------------ control flow

    def s_If(self, s: ast.If) -> Stmt:
        test, body = self.expr(s.test), self.block(s.body)
        if not s.orelse:
            def if_(f: list) -> Signal | None:
                if test(f):
                    return body(f)
                return None

            return if_
        orelse = self.block(s.orelse)

        def if_else(f: list) -> Signal | None:
            if test(f):
                return body(f)
            return orelse(f)

        return if_else

    def s_For(self, s: ast.For) -> Stmt:
        it = self.expr(s.iter)
        body = self.block(s.body)
        signals = any(map(_loop_signals, s.body))
        where = self.where(s)
        if isinstance(s.target, ast.Name):
            slot = self.module.binding(s.target).index
            if not signals:
                def for_plain(f: list) -> None:
                    ctx = f[CTX]
                    n = 0
                    for x in it(f):
                        f[slot] = x
                        body(f)
                        n += 1
                        if n >= CHUNK:
                            ctx.charge(n)
                            n = 0
                    ctx.charge(n)

                return guard(for_plain, where)
            return _loop(it, None, slot, None, body, where)
        return _loop(it, None, None, self.store(s.target), body, where)

    def s_While(self, s: ast.While) -> Stmt:
        test, body = self.expr(s.test), self.block(s.body)
        return _loop(_forever, test, None, None, body, self.where(s))

    def s_Break(self, s: ast.Break) -> Stmt:
        return lambda f: BREAK

    def s_Continue(self, s: ast.Continue) -> Stmt:
        return lambda f: CONTINUE

    def s_Pass(self, s: ast.Pass) -> Stmt:
        return lambda f: None

    def s_Return(self, s: ast.Return) -> Stmt:
        if s.value is None:
            def return_none(f: list) -> Signal:
                f[RET] = None
                return RETURN

            return return_none
        value = self.expr(s.value)

        def return_(f: list) -> Signal:
            f[RET] = value(f)
            return RETURN

        return return_

    # ------------------------------------------------------------------ checks

    def s_Require(self, s: ast.Require) -> Stmt:
        test = self.expr(s.test)
        msg = self.expr(s.msg) if s.msg is not None else None
        text = self.module.source_text(s.test)
        where = self.where(s)

        def require(f: list) -> None:
            held = test(f)
            recorder = f[CTX].recorder
            if recorder is not None:
                recorder.require(where, bool(held))
            if not held:
                m = str(msg(f)) if msg is not None else f"require failed: {text}"
                raise NotApplicable(m, code=E_REQUIRE, span=where.span, file=where.file, frames=[where.trace_frame()])

        return require

    def s_Assert(self, s: ast.Assert) -> Stmt:
        test = self.expr(s.test)
        msg = self.expr(s.msg) if s.msg is not None else None
        text = self.module.source_text(s.test)
        where = self.where(s)

        def assert_(f: list) -> None:
            if not test(f):
                m = f"assertion failed: {text}"
                if msg is not None:
                    m += f" ({msg(f)})"
                raise SglRuntimeError(m, code=E_ASSERT, span=where.span, file=where.file, frames=[where.trace_frame()])

        return assert_

    def s_Fail(self, s: ast.Fail) -> Stmt:
        msg = self.expr(s.msg)
        where = self.where(s)

        def fail(f: list) -> None:
            raise SglRuntimeError(str(msg(f)), code=E_FAIL, span=where.span, file=where.file,
                                  frames=[where.trace_frame()])

        return fail


def _loop_signals(s: Any) -> bool:
    """Does a statement of a loop body signal anything the loop must look at?"""
    if isinstance(s, (ast.Return, ast.Break, ast.Continue)):
        return True
    if isinstance(s, ast.If):
        return any(map(_loop_signals, s.body)) or any(map(_loop_signals, s.orelse))
    if isinstance(s, (ast.For, ast.While)):
        return any(map(_returns, s.body))
    return False


def _plain_block(codes: list[Stmt]) -> Stmt:
    if len(codes) == 1:
        return codes[0]
    if len(codes) == 2:
        a, b = codes

        def block2(f: list) -> None:
            a(f)
            b(f)

        return block2
    if len(codes) == 3:
        a, b, c = codes

        def block3(f: list) -> None:
            a(f)
            b(f)
            c(f)

        return block3

    def block(f: list) -> None:
        for code in codes:
            code(f)

    return block
