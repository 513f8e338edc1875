"""A checked module's procs to Python source: the translator of the JIT tier.

Owns: `translate(mc) -> Translation` (the generated source, its link keys, and which
procs and properties were translated), and the position tables that map the generated code
back to SGL nodes.

How the source is made (the safety argument, spec/tiers.md):
- it is built from the checked tree only: every SGL name is a `Binding` resolved by the checker,
  every local becomes `_v<level>_<slot>`, every temporary `_t<n>`, every loop counter `_n<n>`;
  no identifier of the SGL source is ever copied into the generated text;
- a literal is emitted as Python text only when it is an `int` (its decimal digits, from
  `int.__repr__`), `True`, `False` or `None`; every string and float is a link key and is read
  from a global `_g<n>` (`("str", text)`): user text is never spliced into code;
- everything else the code uses (natives, `ops` functions, cells, procs, helpers of
  `jit.rt`) is a link key too, resolved by `jit.link` against the loaded module;
- attribute access is written only on the run context `_c`, on a comprehension's own
  accumulator `_o<n>`, and, for the fast paths below, on values to a fixed list of names
  (`append`, `get`, `keys`, `values`, `items`, `quantize` where the checker's types prove the receiver a
  List, a Map, a Decimal), which `jit.validate` checks on the result. A
  record's field is read by position (`r[i + 1]`: a record is the tuple `(rtype, *values)`).

Fast paths (the table in spec/tiers.md): where the checker's types prove that Python's own
operation is what the native or `ops` function would do, it is emitted, behind the run-time test
(an operand's type, a length against a limit read into a local `_k<n>` once per call) under which
the checked operation would neither refuse nor charge anything; otherwise the checked operation.

How it keeps the tree-walker's semantics: each construct calls the same helpers as the
tree-walker's closure for it (`ops.BINARY`, charged comparisons of `ops.compare_plan`, natives,
`ProcCode.call_code` for procs it does not translate). Loop iterations are counted in a local
and charged every CHUNK iterations and when the loop is left, in the same order. An error is
located by the position of the failing instruction (`rt.fail`): every node the tree-walker
guards is recorded with its range in the generated text.

A construct the translator does not handle raises `Decline`: that proc stays on the tree-walker.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from seglam_lang.check.scope import Kind
from seglam_lang.check.types import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    DURATION,
    FLOAT,
    INT,
    STR,
    ListT,
    MapT,
    OptionalT,
    RecordT,
    SetT,
    TupleT,
)
from seglam_lang.runtime import cost, ops
from seglam_lang.runtime.closures.expr import static_type_name
from seglam_lang.runtime.closures.layout import CHUNK
from seglam_lang.runtime.closures.units import HostFunction, ProcCode, RecordCtor, bind_call
from seglam_lang.runtime.jit.link import call_target, node_order
from seglam_lang.runtime.jit.rt import BOUNDS, CALL, DIRECT_METHODS, NODE, PYTHON_EQUIVALENT
from seglam_lang.runtime.tracebacks import Where
from seglam_lang.syntax import ast

_NUMERIC = (INT, FLOAT)
_NOT_STR = (INT, FLOAT, BOOL, DECIMAL, DATE, DATETIME, DURATION)
_BINARY_TEXT = {"+": "+", "-": "-", "*": "*", "/": "/", "//": "//", "%": "%"}
_COMPARE_TEXT = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!=", "in": "in",
                 "not in": "not in", "is": "is", "is not": "is not"}
# Decimal operators: the method of `ops.DECIMAL_CONTEXT` that `ops.BINARY[op]` applies (`rt` helpers).
_DECIMAL_OPS = {"+": "dec_add", "-": "dec_sub", "*": "dec_mul", "/": "dec_div", "//": "dec_floordiv", "%": "dec_mod"}
_SMALL_TEST = re.compile(r"len\(([ab])\) < (\d+)")
_WHOLE = 1 << 20  # a column past the end of any generated line
# A callee's `_r` where the caller's depth is `_c.depth` (in a lambda, and in a generator, run
# at the depth of the native that pulls it).
_DEPTH_LEFT = "(_c.max_depth - _c.depth)"


class Decline(Exception):
    """This proc uses a construct the translator does not handle: it stays on the tree-walker."""


class _Resync(Exception):
    """The proc being made calls out to code that may call SGL back: it is made again, writing `_c.depth`."""


class _NotInlined(Exception):
    """The proc being inlined does something that needs its own frame: it is called instead."""


# A call is inlined at most this many calls deep (a self-recursive proc is unrolled this many
# times), and only a proc whose body has at most INLINE_NODES nodes.
INLINE_DEPTH = 1
INLINE_NODES = 60
_NESTED_FUNCTIONS = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# What an expression may be, on the way from a statement down to a call that is inlined: the
# statements inlined are emitted before the statement, so everything evaluated before the call
# is either emitted before it too or a pure operand (`Translator.hoisting`).
_HOISTABLE = (ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.IntLit, ast.BoolLit, ast.NoneLit)


class Frag:
    """A piece of generated text; `mark` = (span, kind) records its range in the position table."""

    __slots__ = ("mark", "parts")

    def __init__(self, parts: list[Any], mark: tuple[tuple[int, int, int, int], int] | None = None) -> None:
        self.parts = parts
        self.mark = mark


def F(*parts: Any) -> Frag:
    return Frag(list(parts))


def join(sep: str, frags: list[Frag]) -> list[Any]:
    out: list[Any] = []
    for i, f in enumerate(frags):
        if i:
            out.append(sep)
        out.append(f)
    return out


_PURE = re.compile(r"_v\d+_\d+|_t\d+|_g\d+|\d+|\(-\d+\)|True|False|None")


def pure(frag: Frag) -> bool:
    """Is this fragment a variable, a constant or a literal (read twice, it is read once)?"""
    return len(frag.parts) == 1 and isinstance(frag.parts[0], str) and _PURE.fullmatch(frag.parts[0]) is not None


def _small_int_literal(frag: Frag) -> bool:
    return pure(frag) and re.fullmatch(r"\d+|\(-\d+\)", frag.parts[0]) is not None and \
        -2147483648 < int(frag.parts[0].strip("()")) < 2147483648


def _never_int(t: Any) -> bool:
    """Is no value of static type `t` an `int` (so `type(x) is int` is always false)?"""
    return t in (FLOAT, BOOL, DECIMAL, DATE, DATETIME, DURATION, STR) or isinstance(
        t, ListT | MapT | SetT | TupleT | RecordT)


def _scalar(t: Any) -> bool:
    """Is every value of static type `t` a scalar (hashing it is O(1), and `ops.setitem` charges nothing)?"""
    if isinstance(t, OptionalT):
        t = t.inner
    return t in (INT, FLOAT, BOOL, STR, DECIMAL, DATE, DATETIME, DURATION)


def _span(node: Any) -> tuple[int, int, int, int]:
    s = node.span
    return (s.line, s.col, s.end_line, s.end_col)


class Unit:
    """One generated Python function: its position table, loops and nesting level."""

    def __init__(self, fn_name: str, level: int, default: tuple[int, int, int, int] | None,
                 is_proc: bool = False) -> None:
        self.fn_name = fn_name
        self.is_proc = is_proc
        # A proc's function that calls out to code which may call SGL back (natives, host
        # functions, function values, the tree-walker: `Translator.reenters`) writes its depth
        # into `_c.depth` on entry and gives the old value back at each return; the others never
        # touch `_c.depth` (their depth is `_r`).
        self.reenters = False
        # What a direct call from this function passes as the callee's `_r`: set by `function`
        # for a proc, a lambda and a generator; a comprehension runs inside its parent, with its `_r`.
        self.callee_r = ""
        self.level = level
        self.default = default
        # (line, col, end_line, end_col, span, kind, proc, sites): `rt.Table`'s entries, the node's
        # proc (None: this function's) and the call sites it was inlined at (`Translator.context`)
        self.entries: list[tuple[Any, ...]] = []
        self.loops: list[tuple[str, tuple[int, int, int, int]]] = []
        self.bounds: dict[str, str] = {}  # a limit read into a local once per call: name -> `rt` helper


class Translation:
    def __init__(self, source: str, keys: list[tuple[Any, ...]], procs: dict[str, str], properties: dict[str, str],
                 declined: dict[str, str]) -> None:
        self.source = source
        self.keys = keys            # global `_g<i>` is keys[i], resolved by jit.link
        self.procs = procs          # proc name -> generated function name
        self.properties = properties
        self.declined = declined    # proc or property name -> why it stays on the tree-walker


class _Default:
    """A parameter default as `bind_call` wants it: `reader()` gives the fragment that reads it."""

    def __init__(self, frag: Frag) -> None:
        self.frag = frag

    def reader(self) -> Frag:
        return self.frag


class Translator:
    def __init__(self, mc: Any, slow: set[str]) -> None:
        self.mc = mc
        self.slow = slow  # procs that stay on the tree-walker: called through their ProcCode
        self.nodes = node_order(mc.tree)
        self.index = {id(n): k for k, n in enumerate(self.nodes)}
        self.keys: dict[tuple[Any, ...], str] = {}
        self.lines: list[str] = []
        self.indent = 0
        self.units: list[Unit] = []
        self.counter = 0
        self.proc_fns: dict[str, str] = {}
        self.decls = {d.name: d for d in mc.tree.decls if isinstance(d, ast.ProcDecl)}
        # Inlining (`inline`): the proc whose nodes are being emitted (None: the function's own)
        # and the call sites it is inlined at, innermost first, as (proc, span); how many calls
        # deep the emitted code is inlined; whether a call may be inlined here (`hoisting`).
        self.context: tuple[str | None, tuple[tuple[str, tuple[int, int, int, int]], ...]] = (None, ())
        self.inlined = 0
        self.hoist = False
        self.inline_serial = 0
        # A proc whose body starts with `if <safe test>: return` statements charges its own step
        # where it is first needed (`deferred`): a line emitted while `pending` charges it first,
        # unless it is `safe` (it can neither fail nor charge); an inlined call then pays both.
        self.pending = False
        self.safe = False

    # ------------------------------------------------------------------ text

    def ref(self, key: tuple[Any, ...]) -> str:
        name = self.keys.get(key)
        if name is None:
            name = self.keys[key] = f"_g{len(self.keys)}"
        return name

    def rt(self, name: str) -> str:
        return self.ref(("rt", name))

    def bound(self, name: str) -> str:
        """A local holding a limit of the run (`rt.BOUNDS[name]`), read at the current function's entry."""
        local = f"_k{list(BOUNDS).index(name)}"
        self.unit.bounds[local] = name
        return local

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def node_key(self, node: Any) -> int:
        return self.index[id(node)]

    @property
    def unit(self) -> Unit:
        return self.units[-1]

    def emit(self, frag: Frag | str) -> int:
        """One line at the current indentation; the marks inside it go to the current unit's table."""
        if isinstance(frag, str):
            frag = F(frag)
        if self.pending and not self.safe:
            self.pending = False
            self.charge_step()
        line = len(self.lines) + 1
        col0 = 4 * self.indent
        out: list[str] = []
        marks: list[tuple[int, int, Any]] = []

        def walk(fr: Frag, col: int) -> int:
            start = col
            for p in fr.parts:
                if isinstance(p, str):
                    out.append(p)
                    col += len(p)
                else:
                    col = walk(p, col)
            if fr.mark is not None:
                marks.append((start, col, fr.mark))
            return col

        walk(frag, col0)
        self.lines.append(" " * col0 + "".join(out))
        for start, end, (span, kind) in marks:
            self.unit.entries.append((line, start, line, end, span, kind, *self.context))
        return line

    def block_mark(self, start_line: int, node: Any, kind: int = NODE) -> None:
        """The lines emitted since `start_line` are under `node`'s guard."""
        self.unit.entries.append((start_line, 0, len(self.lines), _WHOLE, _span(node), kind, *self.context))

    def table(self, unit: Unit) -> str:
        return self.ref(("table", unit.fn_name, unit.default, tuple(unit.entries)))

    def where(self, node: Any) -> Where:
        return Where(self.unit.fn_name, self.mc.file, node.span)

    def guarded(self, node: Any, frag: Frag, kind: int = NODE) -> Frag:
        frag.mark = (_span(node), kind)
        return frag

    # ------------------------------------------------------------------ functions

    def function(self, name: str, params: list[str], unit: Unit, body: Any, prologue: tuple[str, ...] = (),
                 head: int | None = None) -> None:
        """`def name(params):` + prologue + try: body() except: located by the unit's table.

        The limits the body's fast paths compare with are read once per call (`Unit.bounds`, known
        once the body is made): at the end of prologue line `head`, else on a line of their own
        left for them (one line, so the positions of the body do not move)."""
        self.emit(f"def {name}({', '.join(params)}):")
        self.indent += 1
        first = len(self.lines)
        for ln in prologue:
            self.emit(ln)
        if head is None:
            head = len(self.lines) - first
            self.emit("pass")
        self.emit("try:")
        self.indent += 1
        if not unit.callee_r:
            unit.callee_r = self.unit.callee_r
        self.units.append(unit)
        try:
            n = len(self.lines)
            body()
            if len(self.lines) == n:
                self.emit("pass")
        finally:
            self.units.pop()
        if unit.bounds:
            reads = "; ".join(f"{k} = {self.rt('bound_' + helper)}(_c)" for k, helper in unit.bounds.items())
            line = self.lines[first + head]
            self.lines[first + head] = line[:len(line) - 4] + reads if line.endswith("pass") else f"{line}; {reads}"
        self.indent -= 1
        self.emit(f"except {self.rt('Exception')} as _e:")
        self.emit(f"    raise {self.rt('fail')}(_e, {self.table(unit)}) from None")
        self.indent -= 1

    def proc(self, d: ast.ProcDecl | ast.PropertyDecl, fn: str) -> None:
        """A proc's function `fn(_c, _r, args...)`. `_r` is how many calls may still nest here
        (`max_depth` - the caller's depth): a direct call passes `_r - 1`, so the depth costs a
        test of a local, and `_c.depth` is written only by a proc that `reenters`. A proc is
        made as if it did not; if it does, it is made again (the first attempt is dropped)."""
        mark = (len(self.lines), dict(self.keys), self.counter, self.inline_serial)
        try:
            self._proc(d, fn, False)
        except _Resync:
            del self.lines[mark[0]:]
            self.keys, self.counter, self.inline_serial = mark[1], mark[2], mark[3]
            self.indent, self.units, self.pending = 0, [], False
            self._proc(d, fn, True)
        finally:  # a proc that declines leaves no step to charge in the next one
            self.pending = self.safe = False

    def _proc(self, d: ast.ProcDecl | ast.PropertyDecl, fn: str, reenters: bool) -> None:
        fn_name = d.name if isinstance(d, ast.ProcDecl) else f"property {d.name}"
        params = ["_c", "_r", *[f"_v0_{i}" for i in range(len(d.params))]]  # parameters are slots 0..n-1
        deferred = bool(d.body) and self.safe_if(d.body[0])
        prologue = (
            # `ProcCode.call_code`'s test of the depth, then its step
            "if _r <= 0:",
            "    raise _c.out_of_depth()",
            *(() if deferred else ("_c.fuel = _s = _c.fuel - 1", "if _s <= 0:", "    _c.tick()")),
            # the depth in `_c.depth` while it runs, the caller's given back at each return
            *(("_d = _c.depth", "_c.depth = _c.max_depth - _r + 1") if reenters else ()),
        )
        unit = Unit(fn_name, 0, None, is_proc=True)
        unit.callee_r = "_r - 1"
        unit.reenters = reenters

        def body() -> None:
            self.pending = deferred
            self.block(d.body)
            if not (d.body and isinstance(d.body[-1], ast.Return)) and reenters:
                self.emit("_c.depth = _d")  # falling off the end returns None
            if self.pending:
                self.pending = False
                self.charge_step()

        self.function(fn, params, unit, body, prologue, head=None if deferred else 2)

    def charge_step(self) -> None:
        """The proc's own step, charged in its body: on no line of the position table, an error
        there is located by the caller at its call, as when the prologue charges it."""
        self.emit("_c.fuel = _s = _c.fuel - 1")
        self.emit("if _s <= 0:")
        self.emit("    _c.tick()")

    def safe_if(self, s: Any) -> bool:
        """`if <safe test>: return ...` (no else): the test can be evaluated before the step is charged."""
        return isinstance(s, ast.If) and not s.orelse and len(s.body) == 1 and isinstance(s.body[0], ast.Return) \
            and self.safe_expr(s.test)

    def safe_expr(self, e: Any) -> bool:
        """Does `e` translate to Python operations that can neither fail nor charge (so it may be
        evaluated before a step still to be charged)? Int and Bool locals and literals, `+` and `-`
        of Ints, comparisons of Ints and Bools, `not`."""
        if isinstance(e, ast.Name):
            return self.mc.binding(e).kind is Kind.LOCAL and self.type_of(e) in (INT, BOOL)
        if isinstance(e, ast.IntLit | ast.BoolLit):
            return type(e.value) in (int, bool)
        if isinstance(e, ast.BinOp):
            return e.op in ("+", "-") and self.type_of(e.left) == INT and self.type_of(e.right) == INT and \
                self.safe_expr(e.left) and self.safe_expr(e.right)
        if isinstance(e, ast.UnaryOp):
            return e.op == "not" and self.safe_expr(e.operand)
        if isinstance(e, ast.Compare):
            operands = [e.left, *e.comparators]
            return len(e.ops) == 1 and e.ops[0] in ("<", "<=", ">", ">=", "==", "!=") and all(
                self.type_of(x) in (INT, BOOL) and self.safe_expr(x) for x in operands)
        return False

    def reenters(self) -> None:
        """The code being emitted may call SGL back (a native or host function, a function value,
        a tree-walker proc, a constant's first read): the enclosing proc keeps `_c.depth` exact.
        It holds the depth of the function, not of a call inlined in it: such a call is not inlined."""
        if self.inlined:
            raise _NotInlined
        for unit in reversed(self.units):
            if unit.is_proc:
                if not unit.reenters:
                    raise _Resync
                return

    # ------------------------------------------------------------------ statements

    def block(self, stmts: tuple[Any, ...]) -> None:
        n = len(self.lines)
        for s in stmts:
            if not isinstance(s, ast.Pass):
                method = getattr(self, "s_" + type(s).__name__, None)
                if method is None:
                    raise Decline(f"statement {type(s).__name__}")
                method(s)
        if len(self.lines) == n:
            self.emit("pass")

    def s_Assign(self, s: Any) -> None:
        t = s.target
        if isinstance(t, ast.Name):
            self.emit(F(self.local(t), " = ", self.hoisting(True, self.expr, s.value)))
            return
        start = len(self.lines) + 1
        value = self.expr(s.value)
        if isinstance(t, ast.Subscript) and not isinstance(t.index, ast.Slice):
            obj, idx = self.expr(t.value), self.expr(t.index)
            if isinstance(self.type_of(t.value), ListT):
                # `ops.setitem` of a list is `obj[key] = value`, and Python evaluates value, obj, key
                self.emit(F(obj, "[", idx, "] = ", value))
                self.block_mark(start, s)
                return
            mt = self.type_of(t.value)
            if isinstance(mt, MapT) and _scalar(mt.key):
                # `ops.setitem` of a map whose keys hash in O(1): Python's store below the length
                # limit; at it, `ops.setitem` itself. The value first, then the map, then the key.
                value = self.held(value)
                obj, idx = self.held(obj), self.held(idx)
                self.below_collection_limit(obj, F(obj, "[", idx, "] = ", value),
                                            F(self.ref(("op", "setitem")), "(_c, ", obj, ", ", idx, ", ", value, ")"))
                self.block_mark(start, s)
                return
            if not (pure(obj) and pure(idx)):  # the value first (pure ones read the same after it)
                tmp = self.fresh("_t")
                self.emit(F(tmp, " = ", value))
                value = F(tmp)
            self.emit(F(self.ref(("op", "setitem")), "(_c, ", obj, ", ", idx, ", ", value, ")"))
            self.block_mark(start, s)
            return
        tmp = self.fresh("_t")
        self.emit(F(tmp, " = ", value))
        self.store(t, tmp)
        self.block_mark(start, s)

    s_AnnAssign = s_Assign

    def held(self, frag: Frag) -> Frag:
        """`frag` evaluated once, now: itself when pure, else a temporary assigned on its own line."""
        if pure(frag):
            return frag
        t = self.fresh("_t")
        self.emit(F(t, " = ", frag))
        return F(t)

    def below_collection_limit(self, obj: Frag, fast: Frag, slow: Frag) -> None:
        """`fast` while collection `obj` is shorter than the collection limit, else `slow` (which checks it)."""
        self.emit(F(f"if {self.rt('len')}(", obj, f") < {self.bound('collection')}:"))
        self.emit(F("    ", fast))
        self.emit("else:")
        self.emit(F("    ", slow))

    def s_AugAssign(self, s: ast.AugAssign) -> None:
        t = s.target
        ttype = self.type_of(t)
        in_place = isinstance(ttype, ListT | MapT | SetT) or ttype is None
        op = self.ref(("inplace" if in_place else "binary", s.op))
        if isinstance(t, ast.Name):
            v = self.local(t)
            if s.op in ("+", "-") and ttype in _NUMERIC and self.type_of(s.value) in _NUMERIC:
                self.emit(F(v, f" {s.op}= ", self.expr(s.value)))
                return
            start = len(self.lines) + 1
            if in_place:
                self.emit(F(v, " = ", op, "(_c, ", v, ", ", self.expr(s.value), ")"))
            else:  # `x op= y` of a value is `x = x op y`
                self.emit(F(v, " = ", self.binop(s.op, F(v), self.expr(s.value), ttype, self.type_of(s.value))))
            self.block_mark(start, s)
            return
        if isinstance(t, ast.Subscript) and not isinstance(t.index, ast.Slice):
            start = len(self.lines) + 1
            o, k = self.fresh("_t"), self.fresh("_t")
            self.emit(F(o, " = ", self.expr(t.value)))
            self.emit(F(k, " = ", self.expr(t.index)))
            self.emit(F(self.ref(("op", "setitem")), f"(_c, {o}, {k}, ", op, f"(_c, {o}[{k}], ", self.expr(s.value),
                        "))"))
            self.block_mark(start, s)
            return
        raise Decline("augmented assignment target")

    def s_ExprStmt(self, s: ast.ExprStmt) -> None:
        e = s.value
        if (isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr == "append"
                and len(e.args) == 1 and not e.keywords and isinstance(self.type_of(e.func.value), ListT)):
            # `xs.append(x)` on a List: the native's own test and call (`_list_append`), its
            # slow path (the limit) the native itself. Receiver then item, as the call evaluates them.
            start = len(self.lines) + 1
            obj = self.held(self.expr(e.func.value))
            item = self.held(self.expr(e.args[0]))
            self.below_collection_limit(obj, F(obj, ".append(", item, ")"),
                                        F(self.ref(("method", "List", "append")), "(_c, ", obj, ", ", item, ")"))
            self.block_mark(start, e)
            return
        self.emit(self.hoisting(True, self.expr, e))

    def s_If(self, s: ast.If) -> None:
        keep = self.pending and self.safe_if(s)  # the step is charged in the branch, or after the `if`
        self.safe = keep
        try:
            self.emit(F("if ", self.hoisting(True, self.expr, s.test), ":"))
        finally:
            self.safe = False
        self.indent += 1
        self.block(s.body)
        self.indent -= 1
        self.pending = keep
        if s.orelse:
            self.emit("else:")
            self.indent += 1
            self.block(s.orelse)
            self.indent -= 1

    def _count(self, counter: str, loop_span: tuple[int, int, int, int]) -> None:
        """One iteration done: count it, and charge the budget every CHUNK iterations."""
        self.emit(f"{counter} += 1")
        self.emit(f"if {counter} >= {CHUNK}:")
        self.indent += 1
        self.emit(Frag([f"_c.charge({counter})"], (loop_span, NODE)))
        self.emit(f"{counter} = 0")
        self.indent -= 1

    def _loop(self, s: Any, header: Any, pre_body: Any) -> None:
        start = len(self.lines) + 1
        counter = self.fresh("_n")
        self.emit(f"{counter} = 0")
        self.emit(header())
        self.indent += 1
        pre_body()
        self.unit.loops.append((counter, _span(s)))
        try:
            self.block(s.body)
        finally:
            self.unit.loops.pop()
        self._count(counter, _span(s))
        self.indent -= 1
        self.emit(f"_c.charge({counter})")
        self.block_mark(start, s)

    def s_For(self, s: ast.For) -> None:
        target, store = self.loop_target(s.target)
        self._loop(s, lambda: F("for ", target, " in ", self.expr(s.iter), ":"), store)

    def s_While(self, s: ast.While) -> None:
        self._loop(s, lambda: F("while ", self.expr(s.test), ":"), lambda: None)

    def s_Break(self, s: ast.Break) -> None:
        counter, _ = self.unit.loops[-1]
        self.emit(f"{counter} += 1")
        self.emit("break")

    def s_Continue(self, s: ast.Continue) -> None:
        counter, span = self.unit.loops[-1]
        self._count(counter, span)
        self.emit("continue")

    def s_Return(self, s: ast.Return) -> None:
        value = self.hoisting(True, self.expr, s.value) if s.value is not None else F("None")
        gives_depth = self.unit.is_proc and self.unit.reenters
        if not self.unit.loops and not gives_depth:
            self.emit(F("return ", value))
            return
        if not pure(value):  # evaluated before the loops are charged and the depth given back
            tmp = self.fresh("_t")
            self.emit(F(tmp, " = ", value))
            value = F(tmp)
        for counter, span in reversed(self.unit.loops):
            self.emit(f"{counter} += 1")
            self.emit(Frag([f"_c.charge({counter})"], (span, NODE)))
        if gives_depth:
            self.emit("_c.depth = _d")
        self.emit(F("return ", value))

    def _check(self, s: Any, helper: str, test: Frag | None = None) -> None:
        text = self.ref(("str", self.mc.source_text(s.test)))
        where = self.ref(("where", self.unit.fn_name, _span(s)))
        self.emit(F("if not ", test if test is not None else self.expr(s.test), ":"))
        self.indent += 1
        msg = self.expr(s.msg) if s.msg is not None else F("None")
        has = "True" if s.msg is not None else "False"
        self.emit(F(f"raise {self.rt(helper)}({where}, {text}, ", msg, f", {has})"))
        self.indent -= 1

    def s_Require(self, s: ast.Require) -> None:
        # The outcome is told to verification's recorder, when the run has one (closures.stmt).
        held = self.fresh("_t")
        where = self.ref(("where", self.unit.fn_name, _span(s)))
        self.emit(F(held, " = ", self.expr(s.test)))
        self.emit("if _c.recorder is not None:")
        self.emit(f"    {self.rt('record_require')}(_c, {where}, {held})")
        self._check(s, "require_failed", F(held))

    def s_Assert(self, s: ast.Assert) -> None:
        self._check(s, "assert_failed")

    def s_Fail(self, s: ast.Fail) -> None:
        where = self.ref(("where", self.unit.fn_name, _span(s)))
        self.emit(F(f"raise {self.rt('fail_stmt')}({where}, ", self.expr(s.msg), ")"))

    # ------------------------------------------------------------------ targets

    def local(self, name: ast.Name) -> str:
        b = self.mc.binding(name)
        if b.kind is Kind.LOCAL:
            return f"_v{self.unit.level}_{b.index}"
        if b.kind is Kind.FREE:
            return f"_v{self.unit.level - b.depth}_{b.index}"
        raise Decline(f"assignment to a {b.kind.value} name")

    def loop_target(self, t: Any) -> tuple[str, Any]:
        """The `for` target text, and what to emit first in the body to store the item."""
        if isinstance(t, ast.Name):
            return self.local(t), lambda: None
        if isinstance(t, ast.TupleExpr) and len(t.elts) == 2 and all(isinstance(x, ast.Name) for x in t.elts):
            return f"{self.local(t.elts[0])}, {self.local(t.elts[1])}", lambda: None
        tmp = self.fresh("_t")
        return tmp, lambda: self.store(t, tmp)

    def store(self, t: Any, src: str) -> None:
        """Store the value in variable `src` into target `t` (the tree-walker's `store` rules)."""
        if isinstance(t, ast.Name):
            self.emit(f"{self.local(t)} = {src}")
            return
        if isinstance(t, ast.TupleExpr):
            n = len(t.elts)
            if all(isinstance(x, ast.Name) for x in t.elts):
                names = ", ".join(self.local(x) for x in t.elts)
                if n == 2:
                    self.emit(f"{names} = {src}")
                else:
                    self.emit(f"{names}, = {self.rt('unpack')}({src}, {n}, {self.ref(('str', 'names'))})")
                return
            tmp = self.fresh("_t")
            self.emit(f"{tmp} = {self.rt('unpack')}({src}, {n}, {self.ref(('str', 'targets'))})")
            for j, x in enumerate(t.elts):
                part = self.fresh("_t")
                self.emit(f"{part} = {tmp}[{j}]")
                self.store(x, part)
            return
        if isinstance(t, ast.Subscript) and not isinstance(t.index, ast.Slice):
            self.emit(F(self.ref(("op", "setitem")), "(_c, ", self.expr(t.value), ", ", self.expr(t.index),
                        f", {src})"))
            return
        raise Decline("assignment target")

    # ------------------------------------------------------------------ expressions

    def type_of(self, node: Any) -> Any:
        return self.mc.types.get(id(node))

    def expr(self, e: Any) -> Frag:
        method = getattr(self, "x_" + type(e).__name__, None)
        if method is None:
            raise Decline(f"expression {type(e).__name__}")
        if self.hoist and not isinstance(e, _HOISTABLE):
            return self.hoisting(False, method, e)
        return method(e)

    def hoisting(self, on: bool, method: Any, *args: Any) -> Any:
        """`method(*args)` with calls inlined (`on`: the code it emits is a statement's, or a
        hoistable operand's) or not (under a condition, a loop test, a native's arguments...)."""
        saved, self.hoist = self.hoist, on
        try:
            return method(*args)
        finally:
            self.hoist = saved

    def x_Name(self, e: ast.Name) -> Frag:
        b = self.mc.binding(e)
        if b.kind in (Kind.LOCAL, Kind.FREE):
            return F(self.local(e))
        if b.kind is Kind.GLOBAL:
            self.reenters()
            if b.name in self.mc.consts:
                return F(self.rt("cell_value"), "(", self.ref(("const", b.name)), ", _c)")
            return F(self.ref(("value", self.node_key(e))), "((_c,))")
        if b.kind is Kind.BUILTIN:
            return F(self.rt("builtin_value"), "(", self.ref(("builtin", b.name)), ", _c)")
        raise Decline("a module used as a value")

    def x_IntLit(self, e: ast.IntLit) -> Frag:
        v = e.value
        if type(v) is not int:
            raise Decline("integer literal")
        return F(f"({int.__repr__(v)})" if v < 0 else int.__repr__(v))

    def x_FloatLit(self, e: ast.FloatLit) -> Frag:
        return F(self.ref(("float", float.__repr__(float(e.value)))))

    def x_StrLit(self, e: ast.StrLit) -> Frag:
        return F(self.ref(("str", str(e.value))))

    def x_BoolLit(self, e: ast.BoolLit) -> Frag:
        return F("True" if e.value is True else "False")

    def x_NoneLit(self, e: ast.NoneLit) -> Frag:
        return F("None")

    def x_FString(self, e: ast.FString) -> Frag:
        fmt = self.ref(("fmt",))
        parts: list[Frag] = []
        for p in e.parts:
            if isinstance(p, str):
                parts.append(F(self.ref(("str", p))))
                continue
            v = self.expr(p.value)
            vt = self.type_of(p.value)
            if p.conversion is None and not p.spec and vt == STR:
                parts.append(v)  # a Str is its own text (`format_plain`'s first case)
                continue
            if p.conversion is None and not p.spec and vt == INT:
                # `format_field` of an int is `values.int_text`: its digits, below CPython's digit bound
                first, again = (v, v) if pure(v) else (F(f"({(t := self.fresh('_t'))} := ", v, ")"), F(t))
                field = F(f"({self.rt('int_repr')}(", again, f") if {self.rt('type')}(", first,
                          f") is {self.rt('int')} and {self.rt('int_low')} < ", again, f" < {self.rt('int_high')} "
                          f"else {fmt}(_c, ", again, ", None, None))")
            elif p.conversion is None and not p.spec and (vt in _NOT_STR or isinstance(vt, ListT | MapT | SetT | TupleT
                                                                                     | RecordT)):
                field = F(fmt, "(_c, ", v, ", None, None)")  # never a str: `format_plain`'s second case
            elif p.conversion is None and not p.spec:
                field = F(self.rt("format_plain"), f"({fmt}, _c, ", v, ")")
            else:
                conv = self.ref(("str", p.conversion)) if p.conversion is not None else "None"
                spec = self.ref(("str", p.spec)) if p.spec is not None else "None"
                field = F(fmt, "(_c, ", v, f", {conv}, {spec})")
            parts.append(self.guarded(p, field))
        if len(parts) == 1:
            return parts[0]
        t = self.fresh("_t")  # `"".join(parts)`, then the length check, as the tree-walker's f-string
        # (`RunContext.check_str_len`, called only from the length where it can act: a memory check or the limit)
        # (two parts, all Strs: `a + b` is their join)
        text = F("(", parts[0], " + ", parts[1], ")") if len(parts) == 2 else F(
            f"{self.rt('join')}((", *join(", ", parts), ",))")
        return self.guarded(e, F(f"({t} if {self.rt('len')}({t} := ", text, f") < {self.bound('built_str')} else "
                                 f"(_c.check_str_len({self.rt('len')}({t})) or {t}))"))

    def x_TupleExpr(self, e: ast.TupleExpr) -> Frag:
        elts = [self.expr(x) for x in e.elts]
        if len(elts) == 1:
            return F("(", elts[0], ",)")
        return F("(", *join(", ", elts), ")")

    def x_ListExpr(self, e: ast.ListExpr) -> Frag:
        return F("[", *join(", ", [self.expr(x) for x in e.elts]), "]")

    def x_SetExpr(self, e: ast.SetExpr) -> Frag:
        return self.guarded(e, F(self.rt("SglSet"), "([", *join(", ", [self.expr(x) for x in e.elts]), "])"))

    def x_DictExpr(self, e: ast.DictExpr) -> Frag:
        pairs = [F(self.expr(k), ": ", self.expr(v)) for k, v in zip(e.keys, e.values)]
        return self.guarded(e, F("{", *join(", ", pairs), "}"))

    # ---- comprehensions

    def _clauses(self, gens: tuple[ast.Comprehension, ...], inner: Any, charge_each: bool, out: str | None,
                 first: str | None = None) -> None:
        """The nested `for ... if ...` clauses; `inner()` emits the innermost work."""
        def level(k: int) -> None:
            g = gens[k]
            target, store = self.loop_target(g.target)
            counter = self.fresh("_n")
            if not charge_each:
                self.emit(f"{counter} = 0")
            source = F(first) if k == 0 and first is not None else self.expr(g.iter)
            self.emit(F("for ", target, " in ", source, ":"))
            self.indent += 1
            if charge_each:
                self.emit("_c.charge(1)")
            store()
            conds = [self.expr(c) for c in g.ifs]
            if conds:
                self.emit(F("if ", *join(" and ", conds), ":"))
                self.indent += 1
            if k == len(gens) - 1:
                inner()
            else:
                level(k + 1)
            if conds:
                self.indent -= 1
            if not charge_each:
                self.emit(f"{counter} += 1")
                self.emit(f"if {counter} >= {CHUNK}:")
                self.emit(f"    _c.charge({counter})")
                self.emit(f"    _c.check_collection_len({self.rt('len')}({out}))")
                self.emit(f"    {counter} = 0")
            self.indent -= 1
            if not charge_each:
                self.emit(f"_c.charge({counter})")

        level(0)

    def _comprehension(self, e: Any, make: str, add: Any) -> Frag:
        name, out = self.fresh("_C"), self.fresh("_o")
        unit = Unit(self.unit.fn_name, self.unit.level, _span(e))

        def body() -> None:
            self.emit(f"{out} = {make}")
            self._clauses(e.generators, lambda: add(out), False, out)
            self.emit(f"_c.check_collection_len({self.rt('len')}({out}))")
            self.emit(f"return {out}")

        self.function(name, [], unit, body)
        return self.guarded(e, F(f"{name}()"))

    def x_ListComp(self, e: ast.ListComp) -> Frag:
        return self._comprehension(e, "[]", lambda out: self.emit(F(f"{out}.append(", self.expr(e.elt), ")")))

    def x_SetComp(self, e: ast.SetComp) -> Frag:
        return self._comprehension(e, f"{self.rt('SglSet')}()",
                                   lambda out: self.emit(F(f"{out}.add(", self.expr(e.elt), ")")))

    def x_DictComp(self, e: ast.DictComp) -> Frag:
        def add(out: str) -> None:
            k = self.fresh("_t")
            self.emit(F(k, " = ", self.expr(e.key)))  # the key first, as CPython does
            self.emit(F(f"{out}[{k}] = ", self.expr(e.value)))

        return self._comprehension(e, "{}", add)

    def x_GeneratorExp(self, e: ast.GeneratorExp) -> Frag:
        name = self.fresh("_G")
        unit = Unit(self.unit.fn_name, self.unit.level, _span(e))
        # pulled by a native, maybe after its proc has passed it on: the depth is the puller's
        unit.callee_r = _DEPTH_LEFT
        src = self.fresh("_t")

        def body() -> None:
            self._clauses(e.generators, lambda: self.emit(F("yield ", self.expr(e.elt))), True, None, src)

        self.function(name, [src], unit, body)
        where = self.ref(("where", self.unit.fn_name, _span(e)))
        return self.guarded(e, F(self.rt("generator"), f"(_c, {where}, {name}(", self.expr(e.generators[0].iter), "))"))

    # ---- operators

    def x_UnaryOp(self, e: ast.UnaryOp) -> Frag:
        v = self.expr(e.operand)
        if e.op == "not":
            return F("(not ", v, ")")
        if e.op == "-" and self.type_of(e.operand) in _NUMERIC:
            return F("(-", v, ")")
        return self.guarded(e, F(self.ref(("unary", e.op)), "(_c, ", v, ")"))

    def _operands(self, a: Frag, b: Frag) -> tuple[Frag, Frag, Frag, Frag]:
        """Each operand as (first read, later reads): a walrus into a temporary unless it is pure."""
        out: list[Frag] = []
        for x in (a, b):
            if pure(x):
                out += [x, x]
            else:
                t = self.fresh("_t")
                out += [F(f"({t} := ", x, ")"), F(t)]
        return out[0], out[1], out[2], out[3]

    def x_BinOp(self, e: ast.BinOp) -> Frag:
        left = self.expr(e.left)
        if self.may_inline(e.right):  # evaluated before what an inlined call emits
            left = self.held(left)
        return self.guarded(e, self.binop(e.op, left, self.expr(e.right), self.type_of(e.left),
                                          self.type_of(e.right)))

    def binop(self, name: str, a: Frag, b: Frag, lt: Any, rt: Any) -> Frag:
        """`a <name> b` of operands of static types lt, rt: `ops.BINARY[name]`, or Python's operator
        where it is proven to do the same (the caller guards the result with the node)."""
        op = self.ref(("binary", name))
        fast = self._decimal_op(name, a, b, lt, rt) or self._concat(name, a, b, lt, rt)
        if fast is not None:
            return fast
        return self._int_op(name, op, a, b, lt, rt)

    def _decimal_op(self, name: str, a: Frag, b: Frag, lt: Any, rt: Any) -> Frag | None:
        """Decimal arithmetic (`ops` under `DECIMAL_CONTEXT`): the context's own operation when an
        operand is a Decimal at run time. Static types Decimal and Int prove the other operand is a
        Decimal, an Int or a Bool (`ops._is_dec`); a Decimal-typed value may still be an Int (Int is
        assignable to Decimal), so the run-time type is tested, and `ops` decides otherwise."""
        method = _DECIMAL_OPS.get(name)
        if method is None or not ({lt, rt} <= {DECIMAL, INT}) or DECIMAL not in (lt, rt):
            return None
        op = self.ref(("binary", name))
        fn, dec, ty = self.rt(method), self.rt("Decimal"), self.rt("type")
        if lt != DECIMAL and not pure(a):  # testing `b` first would evaluate it before `a`
            return None
        a1, ra, b1, rb = self._operands(a, b)
        if lt == DECIMAL:
            # both evaluated, in order, before the test of `a` (`(_t := b) is _t` is always true)
            test = [F(ty, "(", a1, f") is {dec}")] if pure(b) else [
                F("(", a1, ", ", b1, f") and {ty}(", ra, f") is {dec}") if not pure(a) else
                F(b1, " is ", rb, f" and {ty}(", ra, f") is {dec}")]
        else:
            test = [F(ty, "(", b1, f") is {dec}")]
        return F(f"({fn}(", ra, ", ", rb, ") if ", *test, f" else {op}(_c, ", ra, ", ", rb, "))")

    def _concat(self, name: str, a: Frag, b: Frag, lt: Any, rt: Any) -> Frag | None:
        """`a + b` of two Strs: Python's `+` when the result is shorter than both the Str limit and
        `ops.SMALL_COPY` (where `ops.add` neither refuses nor charges), else `ops.add`."""
        if name != "+" or lt != STR or rt != STR:
            return None
        a1, ra, b1, rb = self._operands(a, b)
        ln = self.rt("len")
        return F("(", ra, " + ", rb, f" if {ln}(", a1, f") + {ln}(", b1, f") < {self.bound('concat')} else "
                 f"{self.ref(('binary', '+'))}(_c, ", ra, ", ", rb, "))")

    def _int_op(self, name: str, op: str, a: Frag, b: Frag, lt: Any, rt: Any) -> Frag:
        text = _BINARY_TEXT.get(name)
        if text is not None and ((lt in _NUMERIC and rt in _NUMERIC and name != "*") or (
                name == "*" and FLOAT in (lt, rt) and lt in _NUMERIC and rt in _NUMERIC)):
            return F("(", a, f" {text} ", b, ")")
        if name in ("+", "-", "//", "%", "*"):
            # The tree-walker's Int fast path (`_INT_FAST`): Python's operator when both are ints
            # (and, for `*`, both below 2**31), else the checked operator.
            a1, ra, b1, rb = self._operands(a, b)
            tests: list[Frag] = []
            if _never_int(lt) or _never_int(rt):  # the Int test would always fail: the checked operator
                return F(op, "(_c, ", a, ", ", b, ")")
            if lt == INT and rt == INT:
                # proven ints (so the operator is `*`): the size test of each operand, both always
                # evaluated, in order (`&` of two bools does not short-circuit)
                sized = [F("(-2147483648 < ", x, " < 2147483648)") for x in (a1, b1) if not _small_int_literal(x)]
                if len(sized) == 2 and pure(a1) and a1.parts == b1.parts:  # `x * x`: one variable, one test
                    sized = sized[:1]
                if not sized:
                    return F("(", a, f" {text} ", b, ")")
                return F("(", ra, f" {text} ", rb, " if ", *join(" & ", sized), f" else {op}(_c, ",
                                         ra, ", ", rb, "))")
            ty = self.rt("type")
            tests.append(F(f"{ty}(", a1, f") is {ty}(", b1, f") is {self.rt('int')}"))
            if name == "*":
                tests += [F("-2147483648 < ", x, " < 2147483648") for x in (ra, rb) if not _small_int_literal(x)]
            return F("(", ra, f" {text} ", rb, " if ", *join(" and ", tests), f" else {op}(_c, ", ra,
                                     ", ", rb, "))")
        return F(op, "(_c, ", a, ", ", b, ")")

    def x_BoolOp(self, e: ast.BoolOp) -> Frag:
        word = {"and": " and ", "or": " or "}[e.op]
        return F("(", self.expr(e.left), word, self.expr(e.right), ")")

    def x_Compare(self, e: ast.Compare) -> Frag:
        k = self.node_key(e)
        if len(e.ops) == 1:
            op = e.ops[0]
            text = _COMPARE_TEXT[op]
            a, b = self.expr(e.left), self.expr(e.comparators[0])
            charged, small = ops.compare_plan(op, self.type_of(e.left), self.type_of(e.comparators[0]))
            if charged is None:
                return self.guarded(e, F("(", a, f" {text} ", b, ")"))
            fn = self.ref(("cmp", k, 0))
            if small is None:
                return self.guarded(e, F(fn, "(_c, ", a, ", ", b, ")"))
            m = _SMALL_TEST.fullmatch(small)
            if m is None:
                raise Decline(f"comparison plan {small}")
            a1, ra, b1, rb = self._operands(a, b)
            on_a = m.group(1) == "a"
            n = int(m.group(2))
            if pure(b1) if on_a else pure(a1):  # the other operand needs no evaluation: test where it is read
                test = [F(f"{self.rt('len')}(", a1 if on_a else b1, f") < {n}")]
            else:  # evaluate both, in order, then test
                test = [F("((", a1, "), (", b1, f")) and {self.rt('len')}(", ra if on_a else rb, f") < {n}")]
            return self.guarded(e, F("(", ra, f" {text} ", rb, " if ", *test, f" else {fn}(_c, ", ra, ", ", rb, "))"))
        temps = [self.fresh("_t") for _ in range(len(e.ops) + 1)]
        operands = [e.left, *e.comparators]
        tests: list[Frag] = []
        for i in range(len(e.ops)):
            left = F(f"({temps[0]} := ", self.expr(operands[0]), ")") if i == 0 else F(temps[i])
            tests.append(F(self.ref(("cmp", k, i)), "(_c, ", left, f", ({temps[i + 1]} := ",
                           self.expr(operands[i + 1]), "))"))
        return self.guarded(e, F("(True if ", *join(" and ", tests), " else False)"))

    def x_IfExp(self, e: ast.IfExp) -> Frag:
        return F("(", self.expr(e.body), " if ", self.expr(e.test), " else ", self.expr(e.orelse), ")")

    def x_Lambda(self, e: ast.Lambda) -> Frag:
        name = self.fresh("_L")
        level = self.unit.level + 1
        unit = Unit("<lambda>", level, None)
        unit.callee_r = _DEPTH_LEFT  # its call protocol (`units.lambda_value`) counts its depth in `_c.depth`
        self.function(name, [f"_v{level}_{i}" for i in range(len(e.params))], unit,
                      lambda: self.emit(F("return ", self.expr(e.body))))
        return F(self.rt("make_lambda"), f"(_c, {name}, {len(e.params)})")

    # ---- subscripts and attributes

    def x_Subscript(self, e: ast.Subscript) -> Frag:
        if isinstance(e.index, ast.Slice):
            obj = self.expr(e.value)
            first, again = (obj, obj) if pure(obj) else (F(f"({(t := self.fresh('_t'))} := ", obj, ")"), F(t))
            bounds = [self.expr(x) if x is not None else F("None") for x in (e.index.lower, e.index.upper, e.index.step)]
            # `ops.getslice` pays only from SMALL_COPY items up: below, it is Python's slice
            return self.guarded(e, F("(", again, "[", *join(":", bounds), f"] if {self.rt('len')}(", first,
                                     f") < {int(ops.SMALL_COPY)} else {self.ref(('op', 'getslice'))}(_c, ", again,
                                     ", ", *join(", ", bounds), "))"))
        t = self.type_of(e.value)
        if isinstance(t, MapT) and not cost.cheap_hash(t.key):
            return self.guarded(e, F(self.ref(("op", "getitem")), "(_c, ", self.expr(e.value), ", ",
                                     self.expr(e.index), ")"))
        return self.guarded(e, F(self.expr(e.value), "[", self.expr(e.index), "]"))

    def x_Attribute(self, e: ast.Attribute) -> Frag:
        if isinstance(e.value, ast.Name) and self.mc.binding(e.value).kind is Kind.MODULE:
            self.reenters()
            return F(self.ref(("value", self.node_key(e))), "((_c,))")
        obj = self.expr(e.value)
        t = self.type_of(e.value)
        if isinstance(t, OptionalT):
            t = t.inner
        if isinstance(t, RecordT):  # the field by position: a record is the tuple `(rtype, *values)`
            i = [f.name for f in t.fields].index(e.attr)
            return F(obj, f"[{i + 1}]")
        tname = static_type_name(t)
        if tname is not None:
            return self.guarded(e, F(self.ref(("field", tname, e.attr)), "(", obj, ")"))
        self.reenters()
        return self.guarded(e, F(self.rt("dynamic_field"), f"({self.ref(('natives',))}, ", obj,
                                 f", {self.ref(('str', e.attr))})"))

    # ---- calls

    def _kwargs(self, kwargs: dict[str, Frag]) -> list[Any]:
        if not kwargs:
            return []
        items = [F(self.ref(("str", k)), ": ", v) for k, v in kwargs.items()]
        return [", **{", *join(", ", items), "}"]

    def _args(self, e: ast.Call) -> tuple[list[Frag], dict[str, Frag]]:
        """The arguments in order; with calls inlined, each one held before a later one that may emit code."""
        nodes = [*e.args, *(k.value for k in e.keywords)]
        frags = []
        for i, a in enumerate(nodes):
            f = self.expr(a)
            frags.append(self.held(f) if any(self.may_inline(b) for b in nodes[i + 1:]) else f)
        return frags[:len(e.args)], {k.name: f for k, f in zip(e.keywords, frags[len(e.args):])}

    def x_Call(self, e: ast.Call) -> Frag:
        target = call_target(self.mc, e)
        if self.hoist and not (isinstance(target, ProcCode) and self.direct_fn(target) is not None):
            return self.hoisting(False, self.x_Call, e)
        func = e.func
        if target is not None:
            if isinstance(func, ast.Name) and self.mc.binding(func).kind is Kind.BUILTIN:
                return self.native_call(e)
            return self.call_target(target, e)
        if isinstance(func, ast.Attribute) and not (
                isinstance(func.value, ast.Name) and self.mc.binding(func.value).kind is Kind.MODULE):
            return self.method_call(func, e)
        fn = self.expr(func)
        self.reenters()
        return self.guarded(e, F(fn, "(", *join(", ", [self.expr(a) for a in e.args]), ")"))

    def _bound(self, e: ast.Call, what: str, names: list[str], has_default: list[bool],
               default: Any) -> list[Frag]:
        args, kwargs = self._args(e)
        defaults = {n: _Default(default(n)) for n, d in zip(names, has_default) if d}
        return bind_call(what, names, has_default, args, kwargs, defaults, self.where(e))

    def call_target(self, target: Any, e: ast.Call) -> Frag:
        k = self.node_key(e)
        if isinstance(target, ProcCode):
            codes = self._bound(e, f"`{target.name}`", target.names, target.has_default,
                                lambda n: self.default_cell(k, n))
            fn = self.direct_fn(target)
            if fn is None:
                self.reenters()
                return self.guarded(e, F(self.rt("slow_call"), f"({self.ref(('call', k, self.unit.fn_name))}, _c",
                                         *[F(", ", c) for c in codes], ")"))
            if self.hoist and not target.copiers and self.unit.callee_r == "_r - 1":
                inlined = self.inline(target.name, e, codes)
                if inlined is not None:
                    return inlined
            r = f"_r - {1 + self.inlined}" if self.inlined else self.unit.callee_r
            if target.copiers:
                return self.guarded(e, F(f"{fn}(_c, {r}, *{self.rt('copy_args')}(_c, {self.ref(('copiers', k))}",
                                         *[F(", ", c) for c in codes], "))"), CALL)
            return self.guarded(e, F(f"{fn}(_c, {r}", *[F(", ", c) for c in codes], ")"), CALL)
        if isinstance(target, RecordCtor):
            codes = self._bound(e, f"record `{target.type.name}`", target.names, target.has_default,
                                lambda n: F(self.rt("deep_copy"), "(", self.default_cell(k, n), ")"))
            # tuple's own constructor: a record is `(rtype, *values)` (values.Record)
            return self.guarded(e, F(self.rt("Record"), f"(({self.ref(('rtype', k))}, ",
                                     *[F(c, ", ") for c in codes], "))"))
        if isinstance(target, HostFunction):
            self.reenters()
            codes = self._bound(e, f"host function `{target.sig.name}`", target.names,
                                [False] * len(target.names), lambda n: F("None"))
            return self.guarded(e, F(self.rt("host_call"), f"({self.ref(('target', k))}, _c",
                                     *[F(", ", c) for c in codes], ")"))
        params = target.sig().params  # a native module function
        self.reenters()
        codes = self._bound(e, f"`{target.module}.{target.name}`", [p.name for p in params],
                            [p.has_default for p in params], lambda n: F(self.ref(("nfdefault", k, n))))
        head = [self.ref(("nfn", k)), "(_c"]
        if target.typed:
            head.append(f", {self.ref(('declared', k))}(_c)")
        return self.guarded(e, F(*head, *[F(", ", c) for c in codes], ")"))

    def may_inline(self, e: Any) -> bool:
        """Could translating `e` here inline a call (and so emit statements)?"""
        if not self.hoist or self.inlined >= INLINE_DEPTH:
            return False
        for n in ast.walk(e):
            if isinstance(n, ast.Call):
                target = call_target(self.mc, n)
                if isinstance(target, ProcCode) and self.direct_fn(target) is not None and \
                        self.inlinable(target.name) is not None:
                    return True
        return False

    def inlinable(self, name: str) -> ast.ProcDecl | None:
        """The proc's declaration if its body is `if test: return value` statements then `return
        value`, small, with no function inside (a lambda or a comprehension needs its own frame)."""
        d = self.decls.get(name)
        if d is None or not d.body or not isinstance(d.body[-1], ast.Return):
            return None
        for s in d.body[:-1]:
            if not (isinstance(s, ast.If) and not s.orelse and len(s.body) == 1 and isinstance(s.body[0], ast.Return)):
                return None
        nodes = [n for s in d.body for n in ast.walk(s)]
        if len(nodes) > INLINE_NODES or any(isinstance(n, _NESTED_FUNCTIONS) for n in nodes):
            return None
        return d

    def inline(self, name: str, e: ast.Call, codes: list[Frag]) -> Frag | None:
        """Call `name` by emitting its body here, into a temporary (None: it cannot be). The call
        still counts as one: the depth tested against `_r` (this function's, the inlined calls
        around it added), a step charged, then the body, whose nodes locate errors in the callee's
        frame with this call's frame around it (`context`), as `ProcCode.call_code` would."""
        d = self.inlinable(name)
        if d is None or self.inlined >= INLINE_DEPTH:
            return None
        unit = self.unit
        mark = (len(self.lines), len(unit.entries), dict(self.keys), self.counter, self.indent, self.pending)
        saved = (self.context, self.inlined, unit.level)
        self.inline_serial += 1
        level = 100 + self.inline_serial  # the callee's locals: `_v<level>_<slot>`, its own
        try:
            safe = len(e.args) == len(codes) and not e.keywords
            for i, c in enumerate(codes):  # the arguments, evaluated in order, then the call
                self.safe = safe and self.safe_expr(e.args[i])
                self.emit(F(f"_v{level}_{i} = ", c))
            self.safe = False
            self.inlined += 1
            if self.pending:
                self.pending = False
                self.charge_with_caller(e)
            else:
                start = len(self.lines) + 1
                self.emit(f"if _r <= {self.inlined}:")
                self.emit("    raise _c.out_of_depth()")
                self.emit("_c.fuel = _s = _c.fuel - 1")
                self.emit("if _s <= 0:")
                self.emit("    _c.tick()")
                self.block_mark(start, e, CALL)
            start = len(self.lines) + 1
            result = self.fresh("_t")
            self.context = (name, ((self.context[0] or unit.fn_name, _span(e)), *self.context[1]))
            unit.level = level
            for s in d.body[:-1]:
                self.emit(F("if ", self.hoisting(True, self.expr, s.test), ":"))
                self.indent += 1
                self.inline_value(result, s.body[0])
                self.indent -= 1
                self.emit("else:")
                self.indent += 1
            self.inline_value(result, d.body[-1])
        except _NotInlined:
            del self.lines[mark[0]:], unit.entries[mark[1]:]
            self.keys, self.counter, self.pending = mark[2], mark[3], mark[5]
            return None
        finally:
            self.context, self.inlined, unit.level = saved
            self.indent, self.safe = mark[4], False
        self.block_mark(start, e, CALL)  # an error of the body no node of it locates: at the call
        return F(result)

    def charge_with_caller(self, e: ast.Call) -> None:
        """The caller's own step (deferred) and this inlined call's test of the depth and step, as
        one charge of two; when either cannot pass, each in turn, as they would have been."""
        self.emit("_s = _c.fuel - 2")
        self.emit(f"if _s <= 0 or _r <= {self.inlined}:")
        self.indent += 1
        self.charge_step()  # the caller's: located by its caller
        start = len(self.lines) + 1
        self.emit(f"if _r <= {self.inlined}:")
        self.emit("    raise _c.out_of_depth()")
        self.charge_step()
        self.block_mark(start, e, CALL)
        self.indent -= 1
        self.emit("else:")
        self.emit("    _c.fuel = _s")

    def inline_value(self, result: str, ret: ast.Return) -> None:
        value = self.hoisting(True, self.expr, ret.value) if ret.value is not None else F("None")
        self.emit(F(result, " = ", value))

    def default_cell(self, k: int, name: str) -> Frag:
        """A parameter's or field's default, read from its cell (its first read may evaluate it)."""
        self.reenters()
        return F(self.rt("cell_value"), "(", self.ref(("default", k, name)), ", _c)")

    def direct_fn(self, target: ProcCode) -> str | None:
        """The generated function of a proc of this module that is translated, else None."""
        name = target.name
        if self.mc.procs.get(name) is target and name not in self.slow:
            return self.proc_fns[name]
        return None

    def native_call(self, e: ast.Call) -> Frag:
        name = e.func.id
        if name == "Decimal" and len(e.args) == 1 and not e.keywords:
            fast = self._decimal_ctor(e.args[0])
            if fast is not None:
                return self.guarded(e, fast)
        args, kwargs = self._args(e)
        same = PYTHON_EQUIVALENT.get(name)
        if same is not None and len(args) == 1 and not kwargs:
            return self.guarded(e, F(self.rt(same), "(", args[0], ")"))
        if name == "round" and len(args) == 2 and not kwargs and self.type_of(e.args[0]) == DECIMAL and \
                isinstance(e.args[1], ast.IntLit) and type(e.args[1].value) is int and abs(e.args[1].value) < 10**6:
            # `_round` of a Decimal to `n` digits: its quantize, to the literal's exponent, in SGL's context
            quantum = self.ref(("decimal", str(Decimal((0, (1,), -e.args[1].value)))))
            x = args[0]  # read into a temporary unless a local (no attribute of a global `_g<n>`)
            x1, rx = (x, x) if pure(x) and x.parts[0].startswith("_v") else (
                F(f"({(t := self.fresh('_t'))} := ", x, ")"), F(t))
            return self.guarded(e, F("(", rx, f".quantize({quantum}, None, {self.rt('decimal_context')}) if "
                                     f"{self.rt('type')}(", x1, f") is {self.rt('Decimal')} else "
                                     f"{self.ref(('builtin', 'round'))}(_c, ", rx, ", ", args[1], "))"))
        fn = self.ref(("builtin", e.func.id))
        self.reenters()
        return self.guarded(e, F(fn, "(_c", *[F(", ", a) for a in args], *self._kwargs(kwargs), ")"))

    def _decimal_ctor(self, arg: Any) -> Frag | None:
        """`Decimal(x)` (the native `_decimal`): an Int literal, or a Str literal that converts, is a
        constant of the link (a Decimal is immutable, and converting text or an int is exact); an Int or a Str is `decimal.Decimal(x, DECIMAL_CONTEXT)`, as the native."""
        if isinstance(arg, ast.StrLit):
            try:
                Decimal(str(arg.value), context=ops.DECIMAL_CONTEXT)
            except ArithmeticError:  # an invalid literal: the native raises it, where it is run
                return None
            return F(self.ref(("decimal", str(arg.value))))
        if isinstance(arg, ast.IntLit) and type(arg.value) is int and abs(arg.value) < 10**28:
            return F(self.ref(("decimal", int.__repr__(arg.value))))
        if self.type_of(arg) in (INT, STR):
            return F(f"{self.rt('Decimal')}(", self.expr(arg), f", {self.rt('decimal_context')})")
        return None

    def method_call(self, func: ast.Attribute, e: ast.Call) -> Frag:
        obj = self.expr(func.value)
        t = self.type_of(func.value)
        if isinstance(t, OptionalT):
            t = t.inner
        args, kwargs = self._args(e)
        name = func.attr
        if isinstance(t, RecordT) and not args:
            names = [f.name for f in t.fields]
            at = [names.index(k) for k in kwargs if k in names]
            if len(at) == len(kwargs) and at == sorted(at):
                # the new values in field order are in their own order: the record built in place,
                # its type and the other fields read from the receiver (the checker proved it a record)
                first, again = (obj, obj) if pure(obj) else (F(f"({(t := self.fresh('_t'))} := ", obj, ")"), F(t))
                new = dict(zip(at, kwargs.values()))
                fields = [new[i] if i in new else F(again, f"[{i + 1}]") for i in range(len(names))]
                return self.guarded(e, F(self.rt("Record"), "((", first, "[0], ", *[F(x, ", ") for x in fields],
                                         "))"))
            if len(at) == len(kwargs):
                where = "".join(f"{names.index(k) + 1}, " for k in kwargs)
                return self.guarded(e, F(self.rt("replace_at"), "(", obj, f", ({where}), (",
                                         *[F(v, ", ") for v in kwargs.values()], "))"))
        if isinstance(t, RecordT) or (t is None and name == "replace" and kwargs and not args):
            names = "".join(f"{self.ref(('str', n))}, " for n in kwargs)
            return self.guarded(e, F(self.rt("replace"), "(", obj, f", ({names}), (",
                                     *[F(v, ", ") for v in kwargs.values()], "))"))
        tname = static_type_name(t)
        if tname is not None and name in DIRECT_METHODS.get(tname, ()) and not kwargs:
            # the native is the receiver's own method (`natives.methods._call`): called directly
            return self.guarded(e, F(obj, f".{name}(", *join(", ", args), ")"))
        self.reenters()
        if tname is not None:
            fn = self.ref(("method", tname, name))
            return self.guarded(e, F(fn, "(_c, ", obj, *[F(", ", a) for a in args], *self._kwargs(kwargs), ")"))
        kw = [F(self.ref(("str", k)), ": ", v) for k, v in kwargs.items()]
        return self.guarded(e, F(self.rt("dynamic_method"), f"({self.ref(('natives',))}, _c, ", obj,
                                 f", {self.ref(('str', name))}, (", *[F(a, ", ") for a in args], "), {",
                                 *join(", ", kw), "})"))


def translate(mc: Any) -> Translation:
    """Translate every proc and property of a compiled module that can be; the rest are declined.

    A proc that declines is called through its ProcCode by the others, so when one declines the
    module is translated again knowing it (at most once more per declining proc)."""
    declined: dict[str, str] = {}
    while True:
        tr = Translator(mc, set(declined))
        decls = [d for d in mc.tree.decls if isinstance(d, ast.ProcDecl | ast.PropertyDecl)]
        for i, d in enumerate(decls):
            if isinstance(d, ast.ProcDecl):
                tr.proc_fns[d.name] = f"_P{i}"
        procs: dict[str, str] = {}
        properties: dict[str, str] = {}
        newly: dict[str, str] = {}
        for i, d in enumerate(decls):
            is_proc = isinstance(d, ast.ProcDecl)
            label = d.name if is_proc else f"property {d.name}"
            if label in declined:
                continue
            mark, keys, counter = len(tr.lines), dict(tr.keys), tr.counter
            try:
                tr.proc(d, f"_P{i}")
            except Decline as why:
                del tr.lines[mark:]
                tr.keys, tr.counter, tr.indent, tr.units = keys, counter, 0, []
                newly[label] = str(why)
                continue
            (procs if is_proc else properties)[d.name] = f"_P{i}"
        declined.update(newly)
        if not any(n in tr.proc_fns for n in newly):  # nothing calls a property: no second pass for one
            keys = sorted(tr.keys.items(), key=lambda kv: int(kv[1][2:]))
            return Translation("\n".join(tr.lines) + "\n", [k for k, _ in keys], procs, properties, declined)


__all__ = ["Decline", "Translation", "translate"]
