"""Expressions to closures: each checked expression node becomes `code(slots) -> value`, once, at load.

Owns: the translation of every expression construct (names, literals, operators,
comparisons, calls of procs / natives / methods / records / host functions / function
values, comprehensions, generator expressions, lambdas, f-strings, subscripts, slices).

Slots: a closure reads the slot list of its activation (`layout`: `[slot 0, ..., slot n-1,
ret, parent, ctx]`), conventionally named `f`. So `f[-1]` is always the context and reading
a local is `f[i]` (an `itemgetter`, a C call).

Invariants:
- no name is looked up by string at run time: LOCAL/FREE names are slots, GLOBAL names
  are resolved to their proc / record / constant cell / host function at load;
- a node that can raise converts Python exceptions at itself (`tracebacks.convert`) and
  locates SGL errors (`tracebacks.locate`), so every error carries the position of the node;
- steps are charged at calls (`ctx.fuel`, with `ctx.tick()` when it runs out) and at
  loop iterations (counted in a local and charged every `CHUNK` iterations).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any

from seglam_lang.check.builtins import method_table
from seglam_lang.check.scope import Kind
from seglam_lang.check.types import (
    ANY,
    FLOAT,
    INT,
    NONE,
    MapT,
    OptionalT,
    RecordT,
    Type,
)
from seglam_lang.errors import SglRuntimeError, SglTypeError
from seglam_lang.runtime import cost, ops, values
from seglam_lang.runtime.closures.compiled import CompiledModule
from seglam_lang.runtime.closures.layout import CHUNK, CTX, PARENT, Code, const, guard
from seglam_lang.runtime.closures.units import E_COMPILE, HostFunction, ProcCode, RecordCtor, bind_native, lambda_value
from seglam_lang.runtime.tracebacks import PY_ERRORS, Where, convert, locate
from seglam_lang.runtime.values import method_table_name
from seglam_lang.syntax import ast


def field_getter(rtype: RecordT, name: str) -> Callable[[Any], Any]:
    """Read field `name` of a record of type `rtype` by position (resolved at load)."""
    for i, fs in enumerate(rtype.fields, 1):
        if fs.name == name:
            return itemgetter(i)  # a record is the tuple (rtype, *values)
    raise KeyError(name)


def static_type_name(t: Type | None) -> str | None:
    """The name of the method table of a static type (None when it is not known)."""
    if isinstance(t, OptionalT):
        t = t.inner
    if isinstance(t, RecordT):
        return "Record"
    if t is None or t in (NONE, ANY):  # dispatched on the value at run time
        return None
    return method_table(t)


# ---------------------------------------------------------------------- specialised nodes
#
# The hottest nodes (binary operators, comparisons, subscripts) are built from small
# templates, specialised on how each operand is read: a slot (`f[3]`), a constant, or a
# child closure. Each (template, operand kinds) pair is turned into a closure FACTORY once
# per process; every node is then an ordinary closure made by that factory. This saves a
# Python call per operand and per error guard, which is most of the cost of `n - 1`.

_READ = {"slot": "f[L]", "const": "L", "code": "L(f)"}
_factories: dict[tuple[str, str, str], Callable[..., Code]] = {}

Operand = tuple[str, Any]  # ("slot", index) | ("const", value) | ("code", closure)


def specialised(body: str, left: Operand, right: Operand, op: Any, where: Where) -> Code:
    """A guarded node computing `body` (Python statements using `a`, `b`, `OP`, `f`)."""
    key = (body, left[0], right[0])
    factory = _factories.get(key)
    if factory is None:
        lines = "\n".join("            " + ln for ln in body.strip().splitlines())
        src = (
            "def factory(L, R, OP, WHERE):\n"
            "    def node(f):\n"
            "        try:\n"
            f"            a = {_READ[left[0]]}\n"
            f"            b = {_READ[right[0]].replace('L', 'R')}\n"
            f"{lines}\n"
            "        except SglRuntimeError as e:\n"
            "            locate(e, WHERE)\n"
            "            raise\n"
            "        except PY_ERRORS as e:\n"
            "            raise convert(e, WHERE) from None\n"
            "    return node\n"
        )
        ns: dict[str, Any] = {"SglRuntimeError": SglRuntimeError, "locate": locate, "convert": convert,
                              "PY_ERRORS": PY_ERRORS}
        exec(compile(src, f"<sgl node {body.strip()[:40]!r}>", "exec"), ns)
        factory = ns["factory"]
        _factories[key] = factory
    return factory(left[1], right[1], op, where)


_SMALL = 2**31

# Bodies of binary operators: `OP` is the checked operator of `ops` (sizes checked before
# computing); the Int fast paths are exact (+, -, //, % never grow an int by more than a bit,
# and * of two ints below 2**31 stays below 2**62).
_INT_FAST = {
    "+": "if type(a) is int and type(b) is int:\n    return a + b\nreturn OP(f[-1], a, b)",
    "-": "if type(a) is int and type(b) is int:\n    return a - b\nreturn OP(f[-1], a, b)",
    "//": "if type(a) is int and type(b) is int:\n    return a // b\nreturn OP(f[-1], a, b)",
    "%": "if type(a) is int and type(b) is int:\n    return a % b\nreturn OP(f[-1], a, b)",
    "*": ("if type(a) is int and type(b) is int and -2147483648 < a < 2147483648 and -2147483648 < b < 2147483648:"
          "\n    return a * b\nreturn OP(f[-1], a, b)"),
}
_GENERIC = "return OP(f[-1], a, b)"
_COMPARE_BODY = {op: f"return a {op} b" for op in ("<", "<=", ">", ">=", "==", "!=", "in", "not in", "is", "is not")}



class ExprCompiler:
    """Compiles the expressions of one function-like unit (proc, property, lambda, expression
    root) of a module: `expr(node) -> Code`, `store(target) -> store(slots, value)`."""

    def __init__(self, module: CompiledModule, fn_name: str) -> None:
        self.module = module
        self.fn_name = fn_name

    def internal(self, node: Any, message: str) -> SglTypeError:
        """A node the checker let through that compiles to nothing (a bug, reported as one)."""
        return SglTypeError(message, code=E_COMPILE, span=node.span, file=self.module.file)

    # ------------------------------------------------------------------ helpers

    def where(self, node: Any) -> Where:
        return Where(self.fn_name, self.module.file, node.span)

    def type_of(self, node: Any) -> Type | None:
        return self.module.types.get(id(node))

    def expr(self, e: Any) -> Code:
        method = getattr(self, "x_" + type(e).__name__)
        return method(e)

    def operand(self, e: Any) -> Operand:
        """How a specialised node reads this operand: a slot, a constant, or a closure."""
        if isinstance(e, ast.Name) and self.module.binding(e).kind is Kind.LOCAL:
            return ("slot", self.module.binding(e).index)
        if isinstance(e, ast.IntLit | ast.FloatLit | ast.StrLit | ast.BoolLit):
            return ("const", e.value)
        if isinstance(e, ast.NoneLit):
            return ("const", None)
        return ("code", self.expr(e))

    # ------------------------------------------------------------------ names and literals

    def x_Name(self, e: ast.Name) -> Code:
        b = self.module.binding(e)
        if b.kind is Kind.LOCAL:
            return itemgetter(b.index)
        if b.kind is Kind.FREE:
            return _free_reader(b.index, b.depth)
        if b.kind is Kind.GLOBAL:
            return self.module.global_value(b.name, self.where(e))
        if b.kind is Kind.BUILTIN:
            fn = self.module.natives.builtin(b.name)
            return lambda f: functools.partial(fn, f[CTX])
        raise self.internal(e, f"module `{b.name}` used as a value")

    def x_IntLit(self, e: ast.IntLit) -> Code:
        return const(e.value)

    x_FloatLit = x_StrLit = x_BoolLit = x_IntLit

    def x_NoneLit(self, e: ast.NoneLit) -> Code:
        return const(None)

    def x_FString(self, e: ast.FString) -> Code:
        fmt = self.module.natives.format_field
        parts: list[Code] = []
        for p in e.parts:
            if isinstance(p, str):
                parts.append(const(p))
            else:
                v = self.expr(p.value)
                conv, spec = p.conversion, p.spec
                if conv is None and not spec:
                    def field(f: list, v: Code = v) -> str:
                        x = v(f)
                        return x if type(x) is str else fmt(f[CTX], x, None, None)
                else:
                    def field(f: list, v: Code = v, conv: str | None = conv, spec: str | None = spec) -> str:
                        return fmt(f[CTX], v(f), conv, spec)

                parts.append(guard(field, Where(self.fn_name, self.module.file, p.span)))
        if len(parts) == 1:
            return parts[0]
        where = self.where(e)

        def fstring(f: list) -> str:
            s = "".join([p(f) for p in parts])
            f[CTX].check_str_len(len(s))
            return s

        return guard(fstring, where)

    # ------------------------------------------------------------------ displays

    def x_TupleExpr(self, e: ast.TupleExpr) -> Code:
        elts = [self.expr(x) for x in e.elts]
        if len(elts) == 2:
            a, b = elts
            return lambda f: (a(f), b(f))
        return lambda f: tuple([c(f) for c in elts])

    def x_ListExpr(self, e: ast.ListExpr) -> Code:
        elts = [self.expr(x) for x in e.elts]
        if not elts:
            return lambda f: []
        return lambda f: [c(f) for c in elts]

    def x_SetExpr(self, e: ast.SetExpr) -> Code:
        elts = [self.expr(x) for x in e.elts]
        make = values.SglSet
        return guard(lambda f: make([c(f) for c in elts]), self.where(e))

    def x_DictExpr(self, e: ast.DictExpr) -> Code:
        pairs = [(self.expr(k), self.expr(v)) for k, v in zip(e.keys, e.values)]

        def display(f: list) -> dict:
            d = {}
            for k, v in pairs:
                key = k(f)  # the key first, as CPython does (`d[k(f)] = v(f)` would run v first)
                d[key] = v(f)
            return d

        return guard(display, self.where(e))

    # ------------------------------------------------------------------ comprehensions

    def _clauses(self, gens: tuple[ast.Comprehension, ...]) -> list[tuple[Code, Callable, list[Code]]]:
        return [(self.expr(g.iter), self.store(g.target), [self.expr(c) for c in g.ifs]) for g in gens]

    def _loop_nest(self, gens: tuple[ast.Comprehension, ...],
                   emit: Callable[[list, Any], None]) -> Callable[[list, Any], None]:
        """`run(slots, out)`: the nested `for ... if ...` clauses, calling `emit(slots, out)` per item."""
        clauses = self._clauses(gens)

        def level(k: int) -> Callable[[list, Any], None]:
            it, store, conds = clauses[k]
            inner = emit if k == len(clauses) - 1 else level(k + 1)
            cond = _all_of(conds)

            def run(f: list, out: Any) -> None:
                ctx = f[CTX]
                n = 0
                for x in it(f):
                    store(f, x)
                    if cond is None or cond(f):
                        inner(f, out)
                    n += 1
                    if n >= CHUNK:
                        ctx.charge(n)
                        ctx.check_collection_len(len(out))
                        n = 0
                ctx.charge(n)

            return run

        return level(0)

    def _single_clause(self, gens: tuple[ast.Comprehension, ...]) -> tuple[Code, int, Code | None] | None:
        """(iter, slot, cond) when the comprehension is one `for name in it [if c]`: the fast path."""
        if len(gens) != 1 or not isinstance(gens[0].target, ast.Name) or len(gens[0].ifs) > 1:
            return None
        g = gens[0]
        b = self.module.binding(g.target)
        cond = self.expr(g.ifs[0]) if g.ifs else None
        return self.expr(g.iter), b.index, cond

    def x_ListComp(self, e: ast.ListComp) -> Code:
        elt = self.expr(e.elt)
        where = self.where(e)
        fast = self._single_clause(e.generators)
        if fast is not None:
            it, slot, cond = fast

            def listcomp(f: list) -> list:
                ctx = f[CTX]
                out: list = []
                append = out.append
                n = 0
                for x in it(f):
                    f[slot] = x
                    if cond is None or cond(f):
                        append(elt(f))
                    n += 1
                    if n >= CHUNK:
                        ctx.charge(n)
                        ctx.check_collection_len(len(out))
                        n = 0
                ctx.charge(n)
                ctx.check_collection_len(len(out))
                return out

            return guard(listcomp, where)
        return self._collect(e.generators, lambda out, f: out.append(elt(f)), list, where)

    def _collect(self, gens: tuple[ast.Comprehension, ...], add: Callable[[Any, list], None],
                 make: Callable[[], Any], where: Where) -> Code:
        """The general comprehension: nested clauses, adding each item to a fresh `make()`."""
        nest = self._loop_nest(gens, lambda f, out: add(out, f))

        def comp(f: list) -> Any:
            out = make()
            nest(f, out)
            f[CTX].check_collection_len(len(out))
            return out

        return guard(comp, where)

    def x_SetComp(self, e: ast.SetComp) -> Code:
        elt = self.expr(e.elt)
        return self._collect(e.generators, lambda out, f: out.add(elt(f)), values.SglSet, self.where(e))

    def x_DictComp(self, e: ast.DictComp) -> Code:
        key, val = self.expr(e.key), self.expr(e.value)

        def add(out: dict, f: list) -> None:
            k = key(f)  # the key first, as CPython does
            out[k] = val(f)

        return self._collect(e.generators, add, dict, self.where(e))

    def x_GeneratorExp(self, e: ast.GeneratorExp) -> Code:
        elt = self.expr(e.elt)
        clauses = [(it, store, _all_of(conds)) for it, store, conds in self._clauses(e.generators)]
        last = len(clauses) - 1
        where = self.where(e)

        def run(f: list, src: Any, k: int) -> Iterator[Any]:
            _, store, cond = clauses[k]
            ctx = f[CTX]
            for x in src:
                ctx.charge(1)
                store(f, x)
                if cond is None or cond(f):
                    if k == last:
                        yield elt(f)
                    else:
                        yield from run(f, clauses[k + 1][0](f), k + 1)

        def items(f: list, src: Any) -> Iterator[Any]:
            # The consumer is a native: errors raised while it pulls items are located here.
            # While the generator lives it may be resumed from C, holding C stack: count it.
            ctx = f[CTX]
            ctx.reenter()
            try:
                yield from run(f, src, 0)
            except SglRuntimeError as err:
                locate(err, where)
                raise
            except PY_ERRORS as err:
                raise convert(err, where) from None
            finally:
                ctx.leave()

        first = clauses[0][0]  # evaluated where the generator is written, as in Python
        return guard(lambda f: items(f, first(f)), where)

    # ------------------------------------------------------------------ operators

    def x_UnaryOp(self, e: ast.UnaryOp) -> Code:
        v = self.expr(e.operand)
        if e.op == "not":
            return lambda f: not v(f)
        if e.op == "-":
            if self.type_of(e.operand) in (INT, FLOAT):
                return lambda f: -v(f)
        op = ops.UNARY[e.op]
        return guard(lambda f: op(f[CTX], v(f)), self.where(e))

    def x_BinOp(self, e: ast.BinOp) -> Code:
        left, right = self.operand(e.left), self.operand(e.right)
        lt, rt = self.type_of(e.left), self.type_of(e.right)
        op = ops.BINARY[e.op]
        if (lt in NUMERIC and rt in NUMERIC and e.op in ("+", "-", "//", "%", "/")) or (
                e.op == "*" and FLOAT in (lt, rt) and lt in NUMERIC and rt in NUMERIC):
            body = f"return a {e.op} b"  # proven Int/Float: Python's operator is SGL's
        else:
            body = _INT_FAST.get(e.op, _GENERIC)
        return specialised(body, left, right, op, self.where(e))

    def x_BoolOp(self, e: ast.BoolOp) -> Code:
        left, right = self.expr(e.left), self.expr(e.right)
        if e.op == "and":
            return lambda f: left(f) and right(f)
        return lambda f: left(f) or right(f)

    def x_Compare(self, e: ast.Compare) -> Code:
        where = self.where(e)
        operands = [e.left, *e.comparators]
        if len(e.ops) == 1:
            op = e.ops[0]
            charged, small = ops.compare_plan(op, self.type_of(e.left), self.type_of(e.comparators[0]))
            if charged is None:
                body = _COMPARE_BODY[op]
            elif small is None:
                body = _GENERIC
            else:  # small operands: Python's operator, which is cheap; big ones pay first
                body = f"if {small}:\n    return a {op} b\nreturn OP(f[-1], a, b)"
            return specialised(body, self.operand(e.left), self.operand(e.comparators[0]), charged, where)
        codes = [self.expr(x) for x in operands]
        tests = []
        for op, x, y in zip(e.ops, operands, operands[1:]):
            charged, _ = ops.compare_plan(op, self.type_of(x), self.type_of(y))
            tests.append(charged or ops.plain_compare(op))

        def chain(f: list) -> bool:
            ctx = f[CTX]
            x = codes[0](f)
            for test, code in zip(tests, codes[1:]):
                y = code(f)
                if not test(ctx, x, y):
                    return False
                x = y
            return True

        return guard(chain, where)

    def x_IfExp(self, e: ast.IfExp) -> Code:
        test, body, orelse = self.expr(e.test), self.expr(e.body), self.expr(e.orelse)
        return lambda f: body(f) if test(f) else orelse(f)

    # ------------------------------------------------------------------ lambdas

    def x_Lambda(self, e: ast.Lambda) -> Code:
        scope = self.module.function_scope(e)
        sub = ExprCompiler(self.module, "<lambda>")
        body = sub.expr(e.body)
        nparams = len(e.params)
        pad = [None] * (scope.nslots - nparams + 1)  # the rest of the slots, then `ret`

        def make(f: list) -> Callable[..., Any]:
            return lambda_value(f[CTX], body, nparams, [*pad, f, f[CTX]])

        return make

    # ------------------------------------------------------------------ subscripts and attributes

    def x_Subscript(self, e: ast.Subscript) -> Code:
        where = self.where(e)
        if isinstance(e.index, ast.Slice):
            obj = self.expr(e.value)
            lo, hi, st = (self.expr(x) if x is not None else None for x in (e.index.lower, e.index.upper, e.index.step))

            getslice = ops.getslice

            def slicer(f: list) -> Any:
                return getslice(f[CTX], obj(f), lo(f) if lo else None, hi(f) if hi else None, st(f) if st else None)

            return guard(slicer, where)
        t = self.type_of(e.value)
        if isinstance(t, MapT) and not cost.cheap_hash(t.key):  # hashing the key is not O(1)
            return specialised(_GENERIC, self.operand(e.value), self.operand(e.index), ops.getitem, where)
        return specialised("return a[b]", self.operand(e.value), self.operand(e.index), None, where)

    def x_Attribute(self, e: ast.Attribute) -> Code:
        where = self.where(e)
        if isinstance(e.value, ast.Name) and self.module.binding(e.value).kind is Kind.MODULE:
            return self.module.module_member_value(self.module.binding(e.value).name, e.attr, where,
                                                   self.type_of(e))
        obj = self.expr(e.value)
        t = self.type_of(e.value)
        if isinstance(t, OptionalT):
            t = t.inner
        if isinstance(t, RecordT):
            get = field_getter(t, e.attr)
            return lambda f: get(obj(f))
        tname = static_type_name(t)
        natives = self.module.natives
        if tname is not None:
            getter = natives.field(tname, e.attr)
            return guard(lambda f: getter(obj(f)), where)
        attr = e.attr

        def dynamic(f: list) -> Any:
            v = obj(f)
            if type(v) is values.Record:
                return values.record_field(v, attr)
            return natives.field(method_table_name(v), attr)(v)

        return guard(dynamic, where)

    # ------------------------------------------------------------------ calls

    def x_Call(self, e: ast.Call) -> Code:
        func = e.func
        mod = self.module
        if isinstance(func, ast.Name):
            b = mod.binding(func)
            if b.kind is Kind.GLOBAL:
                target = mod.global_callable(b.name)
                if target is not None:
                    return self.call_target(target, e)
            elif b.kind is Kind.BUILTIN:
                return self.native_call(mod.natives.builtin(b.name), e)
        elif isinstance(func, ast.Attribute):
            if isinstance(func.value, ast.Name) and mod.binding(func.value).kind is Kind.MODULE:
                target = mod.module_member_callable(mod.binding(func.value).name, func.attr, self.where(func))
                return self.call_target(target, e)
            return self.method_call(func, e)
        return self.value_call(e)

    def args_of(self, e: ast.Call) -> tuple[list[Code], dict[str, Code]]:
        return [self.expr(a) for a in e.args], {k.name: self.expr(k.value) for k in e.keywords}

    def call_target(self, target: Any, e: ast.Call) -> Code:
        """A call of something known at load: a proc, a record, a host function or a native."""
        if isinstance(target, ProcCode):
            return self.proc_call(target, e)
        if isinstance(target, RecordCtor):
            return self.record_call(target, e)
        if isinstance(target, HostFunction):
            args, kwargs = self.args_of(e)
            codes = target.bind_codes(args, kwargs, self.where(e))
            return guard(lambda f: target.call(f[CTX], [c(f) for c in codes]), self.where(e))
        # a function of a native module: arguments bound by its signature at load
        args, kwargs = self.args_of(e)
        codes = bind_native(target, args, kwargs, self.where(e))
        fn = target.fn
        if target.typed:
            declared = self.module.declared(self.type_of(e))
            return guard(lambda f: fn(f[CTX], declared(f[CTX]), *[c(f) for c in codes]), self.where(e))
        return guard(lambda f: fn(f[CTX], *[c(f) for c in codes]), self.where(e))

    def proc_call(self, proc: ProcCode, e: ast.Call) -> Code:
        args, kwargs = self.args_of(e)
        codes = proc.bind_codes(args, kwargs, self.where(e))
        return proc.call_code(codes, self.where(e))

    def record_call(self, ctor: RecordCtor, e: ast.Call) -> Code:
        args, kwargs = self.args_of(e)
        codes = ctor.bind_codes(args, kwargs, self.where(e))
        make = values.Record
        rtype = ctor.type
        return guard(lambda f: make([rtype, *[c(f) for c in codes]]), self.where(e))

    def native_call(self, fn: Callable[..., Any], e: ast.Call) -> Code:
        args, kwargs = self.args_of(e)
        where = self.where(e)
        if kwargs:
            names = list(kwargs)
            kcodes = list(kwargs.values())

            def call_kw(f: list) -> Any:
                return fn(f[CTX], *[a(f) for a in args], **{n: c(f) for n, c in zip(names, kcodes)})

            return guard(call_kw, where)
        if len(args) == 1:
            (a,) = args
            return guard(lambda f: fn(f[CTX], a(f)), where)
        if len(args) == 2:
            a, b = args
            return guard(lambda f: fn(f[CTX], a(f), b(f)), where)
        return guard(lambda f: fn(f[CTX], *[a(f) for a in args]), where)

    def method_call(self, func: ast.Attribute, e: ast.Call) -> Code:
        obj = self.expr(func.value)
        t = self.type_of(func.value)
        if isinstance(t, OptionalT):
            t = t.inner
        args, kwargs = self.args_of(e)
        where = self.where(e)
        name = func.attr
        if isinstance(t, RecordT) or (t is None and name == "replace" and kwargs and not args):
            names = list(kwargs)
            kcodes = list(kwargs.values())

            def replace(f: list) -> Any:
                return obj(f).replace(**{n: c(f) for n, c in zip(names, kcodes)})

            return guard(replace, where)
        tname = static_type_name(t)
        natives = self.module.natives
        if tname is not None:
            fn = natives.method(tname, name)
            if not kwargs and len(args) == 1:
                (a,) = args
                return guard(lambda f: fn(f[CTX], obj(f), a(f)), where)
            if not kwargs and not args:
                return guard(lambda f: fn(f[CTX], obj(f)), where)
            return guard(lambda f: fn(f[CTX], obj(f), *[a(f) for a in args], **{k: c(f) for k, c in kwargs.items()}),
                          where)

        def dynamic(f: list) -> Any:
            v = obj(f)
            m = natives.method(method_table_name(v), name)
            return m(f[CTX], v, *[a(f) for a in args], **{k: c(f) for k, c in kwargs.items()})

        return guard(dynamic, where)

    def value_call(self, e: ast.Call) -> Code:
        """A call of a function value (a lambda, a proc or a built-in held in a variable)."""
        fn = self.expr(e.func)
        args = [self.expr(a) for a in e.args]
        where = self.where(e)
        if len(args) == 1:
            (a,) = args
            return guard(lambda f: fn(f)(a(f)), where)
        return guard(lambda f: fn(f)(*[a(f) for a in args]), where)

    # ------------------------------------------------------------------ targets

    def store(self, t: Any) -> Callable[[list, Any], None]:
        """A `store(slots, value)` for an assignment or loop target (names and tuples of names)."""
        if isinstance(t, ast.Name):
            i = self.module.binding(t).index

            def store_name(f: list, v: Any) -> None:
                f[i] = v

            return store_name
        if isinstance(t, ast.TupleExpr):
            if all(isinstance(x, ast.Name) for x in t.elts):
                slots = [self.module.binding(x).index for x in t.elts]
                n = len(slots)
                if n == 2:
                    i, j = slots

                    def store_pair(f: list, v: Any) -> None:
                        f[i], f[j] = v

                    return store_pair

                def store_names(f: list, v: Any) -> None:
                    vs = tuple(v)
                    if len(vs) != n:
                        raise ValueError(f"cannot unpack {len(vs)} values into {n} names")
                    for k, x in zip(slots, vs):
                        f[k] = x

                return store_names
            parts = [self.store(x) for x in t.elts]

            def store_tuple(f: list, v: Any) -> None:
                vs = tuple(v)
                if len(vs) != len(parts):
                    raise ValueError(f"cannot unpack {len(vs)} values into {len(parts)} targets")
                for p, x in zip(parts, vs):
                    p(f, x)

            return store_tuple
        if isinstance(t, ast.Subscript) and not isinstance(t.index, ast.Slice):
            obj, idx = self.expr(t.value), self.expr(t.index)
            setitem = ops.setitem

            def store_item(f: list, v: Any) -> None:
                setitem(f[CTX], obj(f), idx(f), v)

            return store_item
        raise self.internal(t, "cannot assign to this target")


# ---------------------------------------------------------------------- module-level helpers


def _free_reader(index: int, depth: int) -> Code:
    if depth == 1:
        return lambda f: f[PARENT][index]
    if depth == 2:
        return lambda f: f[PARENT][PARENT][index]

    def read(f: list) -> Any:
        for _ in range(depth):
            f = f[PARENT]
        return f[index]

    return read


def _all_of(conds: list[Code]) -> Code | None:
    if not conds:
        return None
    if len(conds) == 1:
        return conds[0]
    return lambda f: all(c(f) for c in conds)


NUMERIC = (INT, FLOAT)  # the types whose Python operators are SGL's (no size check needed)




