"""Type checking of calls: procs, host functions, module members, records, methods, built-ins.

Owns: argument binding (positional, keyword, defaults, positional-only and keyword-only
parameters, counts), record construction and `r.replace(...)`, methods of built-in types
typed from the data in `seglam_lang.check.builtins` (with the receiver's type arguments
substituted for `T`, `K`, `V`), and the generic / overloaded built-in functions, which
are typed here in code.

Invariants: every argument expression is checked exactly once, also when the call is
wrong (so the names inside still get their types and their own diagnostics); a wrong
call yields `ANY`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from seglam_lang.check.builtins import DURATION_KEYWORDS, METHODS, MUTATING_METHODS, method_table
from seglam_lang.check.context import CheckContext, ExprTyping
from seglam_lang.check.hints import a_an, did_you_mean
from seglam_lang.check.regex import PATTERN_FUNCTIONS, pattern_error
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
    ParamSig,
    ProcSig,
    RecordT,
    SetT,
    TupleT,
    Type,
    TypeVar,
    ViewT,
    optional,
)
from seglam_lang.check.unify import NUMBERS, Hole, elem_type, is_open, join, orderable, prune
from seglam_lang.codes import (
    E_ARG_COUNT,
    E_BAD_OPERATOR,
    E_BAD_REGEX,
    E_MAYBE_NONE,
    E_MISMATCH,
    E_MISSING_ARG,
    E_NO_ORDER,
    E_NOT_CALLABLE,
    E_NOT_ITERABLE,
    E_UNKNOWN_FIELD,
    E_UNKNOWN_KEYWORD,
    E_UNKNOWN_MEMBER,
)
from seglam_lang.frozen import evolve
from seglam_lang.syntax import ast


def substitute(t: Type, env: dict[str, Type]) -> Type:
    if isinstance(t, TypeVar):
        return env.get(t.name, ANY)
    if isinstance(t, ListT):
        return ListT(substitute(t.elem, env))
    if isinstance(t, SetT):
        return SetT(substitute(t.elem, env))
    if isinstance(t, IterT):
        return IterT(substitute(t.elem, env))
    if isinstance(t, ViewT):
        return ViewT(substitute(t.elem, env))
    if isinstance(t, MapT):
        return MapT(substitute(t.key, env), substitute(t.value, env))
    if isinstance(t, TupleT):
        return TupleT(tuple(substitute(e, env) for e in t.elems))
    if isinstance(t, OptionalT):
        inner = substitute(t.inner, env)
        return OptionalT(inner) if isinstance(prune(inner), Hole) else optional(inner)
    if isinstance(t, FnT):
        return FnT(tuple(substitute(p, env) for p in t.params), substitute(t.ret, env))
    return t


class _FreshHoles(dict[str, Type]):
    """A substitution that maps each type variable to its own fresh `Hole` (made on first use)."""

    def get(self, name: str, default: object = None) -> Type:  # type: ignore[override]
        return self.setdefault(name, Hole())


def instantiate(sig: ProcSig) -> ProcSig:
    """A generic (native module) signature with fresh holes for `T`, `K`...: the arguments fix
    them, so `collections.unique(words)` is `List[Str]` and a lambda argument gets typed params."""
    env = _FreshHoles()
    params = tuple(evolve(p, type=substitute(p.type, env)) for p in sig.params)
    returns = substitute(sig.returns, env)
    return evolve(sig, params=params, returns=returns) if env else sig


def type_args(t: Type) -> dict[str, Type]:
    t = prune(t)
    if isinstance(t, (ListT, SetT)):
        return {"T": t.elem}
    if isinstance(t, MapT):
        return {"K": t.key, "V": t.value}
    return {}


# How one argument expression is checked against a parameter: (arg, param type, what) -> None.
ArgCheck = Callable[[ast.Expr, Type, str], None]


class CallChecker:
    """Calls, in the shared context; argument expressions are typed by `exprs` (`ExprTyping`)."""

    def __init__(self, ctx: CheckContext, exprs: ExprTyping) -> None:
        self.ctx = ctx
        self.exprs = exprs

    # ---------------------------------------------------------------- dispatch

    def call(self, e: ast.Call, expected: Type | None) -> Type:
        f = e.func
        if isinstance(f, ast.Name):
            b = self.ctx.binding(f)
            if b is None:
                self.ctx.record(f, ANY)
                return self.unchecked_args(e)
            if b.kind is Kind.BUILTIN:
                self.ctx.record(f, ANY)
                return self.builtin_call(f.id, e, expected)
            if b.kind is Kind.GLOBAL:
                g = self.ctx.globals
                if f.id in g.records:
                    self.ctx.record(f, ANY)
                    return self.construct(g.records[f.id], e)
                sig = g.procs.get(f.id) or g.host.get(f.id)
                if sig is not None:
                    self.ctx.record(f, sig.fn_type())
                    return self.call_sig(sig, e, f"`{f.id}`")
        elif isinstance(f, ast.Attribute):
            if isinstance(f.value, ast.Name):
                b = self.ctx.binding(f.value)
                if b is not None and b.kind is Kind.MODULE:
                    return self.module_call(f, e)
            recv = self.exprs.expr(f.value)
            self.ctx.record(f, ANY)
            return self.method_call(recv, f, e, expected)
        ft = prune(self.exprs.expr(f))
        if isinstance(ft, FnT):
            params = tuple(ParamSig(f"arg{i + 1}", p) for i, p in enumerate(ft.params))
            return self.call_params(params, e, "this function", ret=ft.ret)
        if ft != ANY:
            self.ctx.error(E_NOT_CALLABLE, f"{a_an(ft)} value cannot be called", f)
        return self.unchecked_args(e)

    def unchecked_args(self, e: ast.Call) -> Type:
        for a in (*e.args, *(k.value for k in e.keywords)):
            self.exprs.expr(a)
        return ANY

    def module_call(self, f: ast.Attribute, e: ast.Call) -> Type:
        assert isinstance(f.value, ast.Name)
        self.ctx.record(f.value, ANY)
        iface = self.ctx.globals.modules.get(f.value.id)
        if iface is None:
            self.ctx.record(f, ANY)
            return self.unchecked_args(e)  # the unknown module is reported at its `use`
        if f.attr in iface.procs:
            sig = instantiate(iface.procs[f.attr])
            self.ctx.record(f, sig.fn_type())
            if iface.name == "std.re":
                self.literal_pattern(f, e)
            return self.call_sig(sig, e, f"`{f.value.id}.{f.attr}`")
        self.ctx.record(f, ANY)
        if f.attr in iface.records:
            return self.construct(iface.records[f.attr], e)
        names = [*iface.procs, *iface.records, *iface.consts]
        self.ctx.error(E_UNKNOWN_MEMBER, f"module `{iface.name}` has no member `{f.attr}`", f,
                   hint=did_you_mean(f.attr, names))
        return self.unchecked_args(e)

    def literal_pattern(self, f: ast.Attribute, e: ast.Call) -> None:
        """A literal pattern given to a `std.re` function is compiled now: a bad one is E0226."""
        if f.attr not in PATTERN_FUNCTIONS:
            return
        arg = e.args[0] if e.args else next((k.value for k in e.keywords if k.name == "pattern"), None)
        if isinstance(arg, ast.StrLit):
            reason = pattern_error(arg.value)
            if reason is not None:
                self.ctx.error(E_BAD_REGEX, f"the pattern is not a valid RE2 regular expression: {reason}", arg,
                           hint="RE2 has no backreferences or look-around")

    # ---------------------------------------------------------------- argument binding

    def call_sig(self, sig: ProcSig, e: ast.Call, what: str) -> Type:
        return self.call_params(sig.params, e, what, ret=sig.returns)

    def call_params(self, params: Sequence[ParamSig], e: ast.Call, what: str, *, ret: Type,
                    posonly: int = 0, kwonly: int | None = None, check: ArgCheck | None = None) -> Type:
        """Bind `e`'s arguments to `params`, check each, and return `ret` (ANY after a count error)."""
        kwonly = len(params) if kwonly is None else min(kwonly, len(params))
        check = check or self.check_arg
        ok = True
        pairs: list[tuple[ParamSig, ast.Expr]] = []
        if len(e.args) > kwonly:
            n = kwonly
            s = "" if n == 1 else "s"
            self.ctx.error(E_ARG_COUNT, f"{what} takes {n} positional argument{s} but {len(e.args)} were given",
                       e.args[n], hint=_signature_hint(params))
            ok = False
            for extra in e.args[n:]:
                self.exprs.expr(extra)
        pairs.extend(zip(params[:kwonly], e.args[:kwonly]))
        given = {p.name for p, _ in pairs}
        index = {p.name: i for i, p in enumerate(params)}
        for kw in e.keywords:
            i = index.get(kw.name)
            if i is None and posonly >= len(params):
                self.ctx.error(E_ARG_COUNT, f"{what} takes no keyword arguments", kw, hint="pass the arguments by position")
            elif i is None:
                self.ctx.error(E_UNKNOWN_KEYWORD, f"{what} has no parameter `{kw.name}`", kw,
                           hint=did_you_mean(kw.name, index, fallback=_signature_hint(params)))
            elif i < posonly:
                self.ctx.error(E_ARG_COUNT, f"`{kw.name}` of {what} is positional-only", kw,
                           hint="pass it by position")
            elif kw.name in given:
                self.ctx.error(E_ARG_COUNT, f"{what} got two values for `{kw.name}`", kw)
            else:
                pairs.append((params[i], kw.value))
                given.add(kw.name)
                continue
            ok = False
            self.exprs.expr(kw.value)
        missing = [p.name for p in params if not p.has_default and p.name not in given]
        if missing and ok:  # after a bad keyword the missing one is most likely the misspelt one
            names = ", ".join(f"`{m}`" for m in missing)
            self.ctx.error(E_MISSING_ARG, f"{what} is missing argument{'s' if len(missing) > 1 else ''} {names}", e,
                       hint=_signature_hint(params))
            ok = False
        for p, a in pairs:
            check(a, p.type, f"argument `{p.name}` of {what}")
        return ret if ok else ANY

    def check_arg(self, a: ast.Expr, want: Type, what: str) -> None:
        t = self.exprs.expr(a, want)
        self.exprs.expect(t, want, a, what)

    def check_arg_iterable(self, a: ast.Expr, want: Type, what: str) -> None:
        """A parameter typed `Iter[T]` in a method signature accepts any iterable of T."""
        if isinstance(want, IterT):
            t = self.exprs.expr(a, ListT(want.elem))
            el = self.exprs.iter_elem(t, a)
            self.exprs.expect(el, want.elem, a, f"an item of {what}")
        else:
            self.check_arg(a, want, what)

    # ---------------------------------------------------------------- records

    def construct(self, rec: RecordT, e: ast.Call) -> Type:
        if e.args:
            self.ctx.error(E_ARG_COUNT, f"record `{rec.name}` is built with keyword arguments", e.args[0],
                       hint=f"`{rec.name}({', '.join(f.name + '=...' for f in rec.fields)})`")
            for a in e.args:
                self.exprs.expr(a)
        given, ok = self.field_keywords(rec, e)
        missing = [f.name for f in rec.fields if not f.has_default and f.name not in given]
        if missing and ok and not e.args:
            names = ", ".join(f"`{m}`" for m in missing)
            self.ctx.error(E_MISSING_ARG, f"record `{rec.name}` needs field{'s' if len(missing) > 1 else ''} {names}", e)
        return rec

    def field_keywords(self, rec: RecordT, e: ast.Call) -> tuple[set[str], bool]:
        """Check `Rec(field=...)` keywords; return the fields given and whether all were known."""
        given: set[str] = set()
        ok = True
        for kw in e.keywords:
            f = rec.field(kw.name)
            if f is None:
                ok = False
                self.ctx.error(E_UNKNOWN_FIELD, f"record `{rec.name}` has no field `{kw.name}`", kw,
                           hint=did_you_mean(kw.name, [x.name for x in rec.fields]))
                self.exprs.expr(kw.value)
                continue
            given.add(kw.name)
            self.check_arg(kw.value, f.type, f"field `{kw.name}` of `{rec.name}`")
        return given, ok

    # ---------------------------------------------------------------- methods

    def method_call(self, recv: Type, f: ast.Attribute, e: ast.Call, expected: Type | None) -> Type:
        t = prune(recv)
        if t == ANY or isinstance(t, Hole):
            return self.unchecked_args(e)
        if isinstance(t, OptionalT) or t == NONE:
            self.ctx.error(E_MAYBE_NONE, f"`.{f.attr}()` on a value that may be None ({t})", f,
                       hint="check it first: `if x is not None:`")
            return self.unchecked_args(e)
        if isinstance(t, RecordT):
            if f.attr == "replace":
                if e.args:
                    self.ctx.error(E_ARG_COUNT, "`replace` takes keyword arguments only", e.args[0],
                               hint="`r.replace(field=value)`")
                    for a in e.args:
                        self.exprs.expr(a)
                self.field_keywords(t, e)
                return t
            if t.field(f.attr) is not None:
                self.ctx.error(E_NOT_CALLABLE, f"field `{f.attr}` of `{t.name}` is not a function", f)
            else:
                self.exprs.attribute_type(t, f)
            return self.unchecked_args(e)
        tname = method_table(prune(t))
        methods = METHODS.get(tname or "", {})
        sig = methods.get(f.attr)
        if sig is None:
            self.exprs.no_attribute(t, f.attr, f, list(methods))
            return self.unchecked_args(e)
        if f.attr in MUTATING_METHODS.get(tname or "", ()):
            self.exprs.frozen_root(f.value, f"change (with `.{f.attr}()`)")
        env = type_args(t)
        what = f"`{tname}.{f.attr}`"
        if tname == "Map" and f.attr in ("get", "pop") and len(e.args) == 2 and not e.keywords:
            return self.map_get_default(t, e, what, f.attr)  # type: ignore[arg-type]
        if tname == "List" and f.attr == "sort":
            return self.list_sort(t, e)  # type: ignore[arg-type]
        params = tuple(ParamSig(p.name, substitute(p.type, env), p.has_default) for p in sig.params)
        return self.call_params(params, e, what, ret=substitute(sig.returns, env), posonly=sig.posonly,
                                kwonly=sig.kwonly, check=self.check_arg_iterable)

    def map_get_default(self, t: MapT, e: ast.Call, what: str, method: str) -> Type:
        """`m.get(k, d)` / `m.pop(k, d)`: the value type joined with the default's type."""
        self.check_arg(e.args[0], t.key, f"the key of {what}")
        open_value = is_open(t.value)
        dt = self.exprs.expr(e.args[1], None if open_value else t.value)
        if open_value:
            return dt  # the default says what the values will be; the first store fixes it
        j = join(t.value, dt)
        if j is None:
            return self.ctx.error(E_MISMATCH, f"the default of {what} must be {t.value}, got {dt}", e.args[1])
        return j

    def list_sort(self, t: ListT, e: ast.Call) -> Type:
        params = (ParamSig("key", FnT((t.elem,), ANY), True), ParamSig("reverse", BOOL, True))
        self.call_params(params, e, "`List.sort`", ret=NONE, kwonly=0)
        self.check_sort_key(t.elem, e, "sort")
        return NONE

    def check_sort_key(self, elem: Type, e: ast.Call, what: str) -> None:
        key = next((k for k in e.keywords if k.name == "key"), None)
        kt = prune(self.ctx.types.get(id(key.value), ANY)) if key is not None else None
        by = kt.ret if isinstance(kt, FnT) else elem if key is None else ANY
        if not orderable(by, by):
            hint = "pass a key: `key=lambda x: x.name`" if key is None else None
            self.ctx.error(E_NO_ORDER, f"cannot {what} {by} values: they have no order", key or e, hint=hint)

    # ---------------------------------------------------------------- built-in functions

    def builtin_call(self, name: str, e: ast.Call, expected: Type | None) -> Type:
        handler = getattr(self, "b_" + name, None)
        if handler is None:  # pragma: no cover - every BUILTIN_FUNCTIONS name has a handler (tested)
            return self.unchecked_args(e)
        return handler(e, expected)

    def positional(self, e: ast.Call, name: str, lo: int, hi: int, keywords: Sequence[str] = ()) -> bool:
        """Check the argument count and keyword names of a built-in call; report and return False if wrong."""
        ok = True
        if not lo <= len(e.args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}" if hi < 99 else f"at least {lo}"
            self.ctx.error(E_ARG_COUNT, f"`{name}` takes {want} positional argument{'s' if hi != 1 else ''}, "
                       f"got {len(e.args)}", e)
            ok = False
        for kw in e.keywords:
            if kw.name not in keywords:
                self.ctx.error(E_UNKNOWN_KEYWORD, f"`{name}` has no parameter `{kw.name}`", kw,
                           hint=did_you_mean(kw.name, keywords))
                ok = False
        if not ok:
            self.unchecked_args(e)
        return ok

    def kw(self, e: ast.Call, name: str) -> ast.Expr | None:
        return next((k.value for k in e.keywords if k.name == name), None)

    def arg_elem(self, a: ast.Expr, expected_elem: Type | None = None) -> Type:
        t = self.exprs.expr(a, ListT(expected_elem) if expected_elem is not None else None)
        return self.exprs.iter_elem(t, a)

    def numeric(self, t: Type, node: object, what: str, also: tuple[Type, ...] = ()) -> Type:
        t = prune(t)
        if t == ANY or isinstance(t, Hole) or t in NUMBERS or t in also:
            return t
        if isinstance(t, OptionalT):
            return self.ctx.error(E_MAYBE_NONE, f"{what} may be None ({t})", node, hint="check it first: `if x is not None:`")
        hint = "SGL keeps Bool and Int apart: `sum(1 for x in xs if cond)`" if t == BOOL else None
        return self.ctx.error(E_BAD_OPERATOR, f"{what} must be a number, got {t}", node, hint=hint)

    def b_len(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "len", 1, 1):
            return INT
        t = prune(self.exprs.expr(e.args[0]))
        if isinstance(t, IterT) and not _is_range(e.args[0]):
            self.ctx.error(E_MISMATCH, f"`len` needs a collection; {a_an(t)} has no length", e.args[0],
                       hint="make a list first: `len(list(...))`, or count: `sum(1 for x in ...)`")
        elif isinstance(t, OptionalT):
            self.ctx.error(E_MAYBE_NONE, f"`len` of a value that may be None ({t})", e.args[0],
                       hint="check it first: `if x is not None:`")
        elif not (t == ANY or isinstance(t, (Hole, IterT)) or t == STR or isinstance(t, (ListT, TupleT, MapT, SetT, ViewT))):
            self.ctx.error(E_MISMATCH, f"`len` needs a Str or a collection, got {t}", e.args[0])
        return INT

    def b_range(self, e: ast.Call, expected: Type | None) -> Type:
        if self.positional(e, "range", 1, 3):
            for a in e.args:
                self.check_arg(a, INT, "an argument of `range`")
        return IterT(INT)

    def b_enumerate(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "enumerate", 1, 2, ("start",)):
            return IterT(TupleT((INT, ANY)))
        el = self.arg_elem(e.args[0])
        start = e.args[1] if len(e.args) > 1 else self.kw(e, "start")
        if start is not None:
            self.check_arg(start, INT, "`start` of `enumerate`")
        return IterT(TupleT((INT, el)))

    def b_zip(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "zip", 1, 99):
            return IterT(ANY)
        return IterT(TupleT(tuple(self.arg_elem(a) for a in e.args)))

    def b_sorted(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "sorted", 1, 1, ("key", "reverse")):
            return ListT(ANY)
        el = self.arg_elem(e.args[0])
        key, rev = self.kw(e, "key"), self.kw(e, "reverse")
        if key is not None:
            self.check_arg(key, FnT((el,), ANY), "`key` of `sorted`")
        if rev is not None:
            self.check_arg(rev, BOOL, "`reverse` of `sorted`")
        self.check_sort_key(el, e, "sort")
        return ListT(el)

    def b_reversed(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "reversed", 1, 1):
            return IterT(ANY)
        t = prune(self.exprs.expr(e.args[0]))
        if isinstance(t, (ListT, TupleT, MapT)) or t == STR or t == ANY or isinstance(t, Hole) or _is_range(e.args[0]):
            return IterT(elem_type(t) or ANY)
        self.ctx.error(E_NOT_ITERABLE, f"`reversed` needs a List, Tuple, Str, Map or range, got {t}", e.args[0],
                   hint="make a list first: `reversed(list(...))`")
        return IterT(ANY)

    def b_min(self, e: ast.Call, expected: Type | None) -> Type:
        return self.min_max("min", e)

    def b_max(self, e: ast.Call, expected: Type | None) -> Type:
        return self.min_max("max", e)

    def min_max(self, name: str, e: ast.Call) -> Type:
        if not self.positional(e, name, 1, 99, ("key", "default")):
            return ANY
        if len(e.args) == 1:
            el = self.arg_elem(e.args[0])
        else:
            el = ANY
            first = True
            for a in e.args:
                t = self.exprs.expr(a)
                j = t if first else join(el, t)
                first = False
                if j is None:
                    self.ctx.error(E_MISMATCH, f"the arguments of `{name}` have different types: {el} and {t}", a)
                else:
                    el = j
            if self.kw(e, "default") is not None:
                self.ctx.error(E_UNKNOWN_KEYWORD, f"`default` of `{name}` is only for a single iterable", e)
        key = self.kw(e, "key")
        if key is not None:
            self.check_arg(key, FnT((el,), ANY), f"`key` of `{name}`")
        self.check_sort_key(el, e, f"take the {name} of")
        default = self.kw(e, "default")
        if default is not None and len(e.args) == 1:
            dt = self.exprs.expr(default, None if is_open(el) else el)
            j = join(el, dt)
            if j is None:
                return self.ctx.error(E_MISMATCH, f"`default` of `{name}` must be {el}, got {dt}", default)
            return j
        return el

    def b_sum(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "sum", 1, 2, ("start",)):
            return ANY
        el = self.arg_elem(e.args[0])
        start = e.args[1] if len(e.args) > 1 else self.kw(e, "start")
        st = self.exprs.expr(start) if start is not None else INT
        if prune(st) == DURATION:
            self.exprs.expect(el, DURATION, e.args[0], "an item of a sum of durations")
            return DURATION
        el = self.numeric(el, e.args[0], "an item of `sum`")
        st = self.numeric(st, start or e, "the start of `sum`")
        if is_open(el):
            return st
        j = join(el, st)
        if j is None:
            return self.ctx.error(E_BAD_OPERATOR, f"`sum` cannot add {el} items to {a_an(st)} start", e,
                              hint='give a start of the same type: `sum(xs, Decimal("0"))`')
        return j

    def b_abs(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "abs", 1, 1):
            return ANY
        return self.numeric(self.exprs.expr(e.args[0]), e.args[0], "the argument of `abs`", also=(DURATION,))

    def b_round(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "round", 1, 2, ("ndigits",)):
            return ANY
        t = self.numeric(self.exprs.expr(e.args[0]), e.args[0], "the argument of `round`")
        nd = e.args[1] if len(e.args) > 1 else self.kw(e, "ndigits")
        if nd is None:
            return INT if t != ANY else ANY
        self.check_arg(nd, INT, "`ndigits` of `round`")
        return t

    def b_any(self, e: ast.Call, expected: Type | None) -> Type:
        return self.any_all("any", e)

    def b_all(self, e: ast.Call, expected: Type | None) -> Type:
        return self.any_all("all", e)

    def any_all(self, name: str, e: ast.Call) -> Type:
        if self.positional(e, name, 1, 1):
            self.exprs.truthy(self.arg_elem(e.args[0]), e.args[0])
        return BOOL

    def b_divmod(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "divmod", 2, 2):
            return ANY
        a, b = (prune(self.exprs.expr(x)) for x in e.args)
        if a == b == DURATION:
            return TupleT((INT, DURATION))
        r = self.exprs.binop_type("//", a, b, e)
        return TupleT((r, r))

    def b_map(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "map", 2, 2):
            return IterT(ANY)
        el = self.arg_elem(e.args[1])
        ft = prune(self.exprs.expr(e.args[0], FnT((el,), ANY)))
        if isinstance(ft, FnT):
            return IterT(ft.ret)
        if ft != ANY:
            self.ctx.error(E_NOT_CALLABLE, f"the first argument of `map` must be a function, got {ft}", e.args[0])
        return IterT(ANY)

    def b_filter(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "filter", 2, 2):
            return IterT(ANY)
        el = self.arg_elem(e.args[1])
        if not isinstance(e.args[0], ast.NoneLit):
            ft = prune(self.exprs.expr(e.args[0], FnT((el,), ANY)))
            if isinstance(ft, FnT):
                self.exprs.truthy(ft.ret, e.args[0])
            elif ft != ANY:
                self.ctx.error(E_NOT_CALLABLE, f"the first argument of `filter` must be a function, got {ft}", e.args[0])
        else:
            self.ctx.record(e.args[0], NONE)
        return IterT(el)

    def conversion(self, e: ast.Call, name: str, accepts: tuple[Type, ...], result: Type) -> Type:
        if self.positional(e, name, 1, 1):
            self.convertible(prune(self.exprs.expr(e.args[0])), e.args[0], name, accepts)
        return result

    def convertible(self, t: Type, node: ast.Expr, name: str, accepts: tuple[Type, ...]) -> None:
        if t == ANY or isinstance(t, Hole) or t in accepts:
            return
        if isinstance(t, OptionalT):
            self.ctx.error(E_MAYBE_NONE, f"`{name}` of a value that may be None ({t})", node,
                       hint="check it first: `if x is not None:`")
        elif name == "Decimal" and t == FLOAT:
            self.ctx.error(E_MISMATCH, "`Decimal` of a Float would keep the float's binary noise", node,
                       hint='write the digits: `Decimal("0.1")`, or convert through text: `Decimal(str(x))`')
        else:
            self.ctx.error(E_MISMATCH, f"`{name}` cannot convert {a_an(t)} value", node)

    def b_int(self, e: ast.Call, expected: Type | None) -> Type:
        if len(e.args) == 2 or self.kw(e, "base") is not None:
            if self.positional(e, "int", 1, 2, ("base",)):
                self.check_arg(e.args[0], STR, "a number text with a base")
                self.check_arg(e.args[1] if len(e.args) > 1 else self.kw(e, "base"), INT, "`base` of `int`")  # type: ignore[arg-type]
            return INT
        return self.conversion(e, "int", (STR, INT, FLOAT, DECIMAL, BOOL), INT)

    def b_float(self, e: ast.Call, expected: Type | None) -> Type:
        return self.conversion(e, "float", (STR, INT, FLOAT, DECIMAL, BOOL), FLOAT)

    def b_str(self, e: ast.Call, expected: Type | None) -> Type:
        if self.positional(e, "str", 1, 1):
            self.exprs.printable(self.exprs.expr(e.args[0]), e.args[0])
        return STR

    def b_bool(self, e: ast.Call, expected: Type | None) -> Type:
        if self.positional(e, "bool", 1, 1):
            self.exprs.condition(e.args[0])
        return BOOL

    def b_Decimal(self, e: ast.Call, expected: Type | None) -> Type:
        return self.conversion(e, "Decimal", (STR, INT, DECIMAL), DECIMAL)

    def date_like(self, e: ast.Call, name: str, fields: tuple[str, ...], result: Type) -> Type:
        """`date(2024, 1, 3)` / `date(year=...)` or `date("2024-01-03")` (ISO text)."""
        if len(e.args) == 1 and not e.keywords and not isinstance(e.args[0], ast.IntLit):
            self.convertible(prune(self.exprs.expr(e.args[0], STR)), e.args[0], name, (STR,))
            return result
        params = tuple(ParamSig(f, INT, i >= 3) for i, f in enumerate(fields))
        return self.call_params(params, e, f"`{name}`", ret=result)

    def b_date(self, e: ast.Call, expected: Type | None) -> Type:
        return self.date_like(e, "date", ("year", "month", "day"), DATE)

    def b_datetime(self, e: ast.Call, expected: Type | None) -> Type:
        fields = ("year", "month", "day", "hour", "minute", "second", "microsecond")
        return self.date_like(e, "datetime", fields, DATETIME)

    def b_duration(self, e: ast.Call, expected: Type | None) -> Type:
        if e.args:
            self.ctx.error(E_ARG_COUNT, "`duration` takes keyword arguments", e.args[0],
                       hint="`duration(days=3, hours=4)`")
        if self.positional(e, "duration", len(e.args), len(e.args), DURATION_KEYWORDS):
            for kw in e.keywords:
                t = prune(self.exprs.expr(kw.value))
                if not (t in (INT, FLOAT, ANY) or isinstance(t, Hole)):
                    self.exprs.mismatch(t, INT, kw.value, f"`{kw.name}` of `duration`")
        return DURATION

    def collection(self, e: ast.Call, name: str, expected: Type | None, make: Callable[[Type], Type]) -> Type:
        if not self.positional(e, name, 0, 1):
            return make(ANY)
        exp = prune(expected) if expected is not None else None
        want = exp.elem if isinstance(exp, (ListT, SetT)) and not isinstance(prune(exp.elem), TypeVar) else None
        if not e.args:
            return make(want if want is not None and prune(want) != ANY else Hole())
        el = self.arg_elem(e.args[0], want)
        return make(el)

    def b_list(self, e: ast.Call, expected: Type | None) -> Type:
        return self.collection(e, "list", expected, ListT)

    def b_set(self, e: ast.Call, expected: Type | None) -> Type:
        t = self.collection(e, "set", expected, SetT)
        self.exprs.hashable(prune(t).elem, e, "a set element")  # type: ignore[union-attr]
        return t

    def b_dict(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "dict", 0, 1):
            return MapT(ANY, ANY)
        exp = prune(expected) if expected is not None else None
        if not e.args:
            return exp if isinstance(exp, MapT) else MapT(Hole(), Hole())
        t = prune(self.exprs.expr(e.args[0]))
        if isinstance(t, MapT) or t == ANY:
            return t if isinstance(t, MapT) else MapT(ANY, ANY)
        el = prune(self.exprs.iter_elem(t, e.args[0]))
        if isinstance(el, TupleT) and len(el.elems) == 2:
            self.exprs.hashable(el.elems[0], e.args[0], "a map key")
            return MapT(el.elems[0], el.elems[1])
        if el != ANY:
            self.ctx.error(E_MISMATCH, f"`dict` needs a Map or (key, value) pairs, got items of type {el}", e.args[0])
        return MapT(ANY, ANY)

    def b_tuple(self, e: ast.Call, expected: Type | None) -> Type:
        if not self.positional(e, "tuple", 1, 1):
            return ANY
        t = prune(self.exprs.expr(e.args[0]))
        if isinstance(t, TupleT) or t == ANY:
            return t
        return self.ctx.error(E_MISMATCH, f"`tuple` of {a_an(t)} has no fixed length, and SGL tuples do", e.args[0],
                          hint='build it item by item `(a, b)`; for a key from a list use `",".join(...)`')

    def b_chr(self, e: ast.Call, expected: Type | None) -> Type:
        if self.positional(e, "chr", 1, 1):
            self.check_arg(e.args[0], INT, "the argument of `chr`")
        return STR

    def b_ord(self, e: ast.Call, expected: Type | None) -> Type:
        if self.positional(e, "ord", 1, 1):
            self.check_arg(e.args[0], STR, "the argument of `ord`")
        return INT

    # ---------------------------------------------------------------- built-ins passed as functions

    def builtin_as_function(self, e: ast.Name, fn: FnT) -> Type:
        """`key=len`, `map(str, xs)`: a one-argument built-in used as a function value."""
        arg = prune(fn.params[0])
        result = _UNARY_RESULTS.get(e.id)
        if result is None:
            return self.ctx.error(E_NOT_CALLABLE, f"built-in `{e.id}` cannot be passed as a function", e,
                              hint=f"wrap it: `lambda x: {e.id}(x)`")
        return FnT((arg,), result(arg))


def _is_range(a: ast.Expr) -> bool:
    return isinstance(a, ast.Call) and isinstance(a.func, ast.Name) and a.func.id == "range"


def _signature_hint(params: Sequence[ParamSig]) -> str:
    return "parameters: " + (", ".join(f"{p.name}: {p.type}" + (" = ..." if p.has_default else "") for p in params) or "none")


_UNARY_RESULTS: dict[str, Callable[[Type], Type]] = {
    "len": lambda t: INT,
    "str": lambda t: STR,
    "int": lambda t: INT,
    "float": lambda t: FLOAT,
    "bool": lambda t: BOOL,
    "abs": lambda t: t,
    "ord": lambda t: INT,
    "chr": lambda t: STR,
    "sorted": lambda t: ListT(elem_type(t) or ANY),
    "list": lambda t: ListT(elem_type(t) or ANY),
    "sum": lambda t: elem_type(t) or ANY,
    "min": lambda t: elem_type(t) or ANY,
    "max": lambda t: elem_type(t) or ANY,
    "any": lambda t: BOOL,
    "all": lambda t: BOOL,
}
