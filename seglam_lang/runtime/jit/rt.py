"""What translated code may call besides the project's natives: the vetted run-time helpers of the JIT tier.

Owns: the error handler of every generated function (`fail`: the failing instruction's position
in the generated code -> the SGL node it was emitted for -> the same `locate` / `convert` /
call-site rule the tree-walker applies), the position tables it reads (`Table`), and the small
protocols generated code cannot spell without attribute access: calling a tree-walker proc,
entering a translated proc from the tree-walker, generators as values pulled by natives (a lambda is
`closures.units.lambda_value`, the one home of its protocol),
`require` / `assert` / `fail`, f-strings, record `replace`, and dispatch on a run-time type.

Invariants:
- every helper does exactly what the tree-walker's node does (most call the tree-walker's own
  functions: `tracebacks.locate`, `tracebacks.convert`, `units.at_call_site`, `ProcCode.call_code`),
  so the two tiers share one home per rule;
- `HELPERS` is the whole list of what generated code can reach by a `("rt", name)` key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from seglam_lang.codes import E_ASSERT, E_FAIL, E_REQUIRE
from seglam_lang.errors import NotApplicable, SglRuntimeError
from seglam_lang.runtime import ops, values
from seglam_lang.runtime.closures.layout import RET
from seglam_lang.runtime.closures.units import at_call_site, copy_arguments, lambda_value
from seglam_lang.runtime.limits import LARGE_ALLOCATION
from seglam_lang.runtime.natives.builtins import BUILTINS
from seglam_lang.runtime.natives.methods import METHODS
from seglam_lang.runtime.tracebacks import PY_ERRORS, Where, convert, locate
from seglam_lang.runtime.values import method_table_name

NODE, CALL = 0, 1  # how a table entry locates an error: `locate`, or as a proc call site


class Table:
    """Where each guarded node of one generated function was emitted: (line, col, end_line,
    end_col) ranges of the generated source, properly nested, each with its SGL `Where`, how it
    locates an error, and the call sites it was inlined at (innermost first: each adds its frame)."""

    __slots__ = ("default", "entries", "positions")

    def __init__(self, entries: list[tuple[int, int, int, int, Where, int, tuple[Where, ...]]],
                 default: Where | None) -> None:
        # Innermost first: a later start, then an earlier end, wins.
        self.entries = sorted(entries, key=lambda e: (-e[0], -e[1], e[2], e[3]))
        self.default = default
        self.positions: dict[Any, list[Any]] = {}

    def find(self, code: Any, lasti: int) -> tuple[Where, int, tuple[Where, ...]] | None:
        pos = self.positions.get(code)
        if pos is None:
            pos = self.positions[code] = list(code.co_positions())
        if 0 <= lasti // 2 < len(pos):
            line, end_line, col, end_col = pos[lasti // 2]
            if line is not None:
                col = col if col is not None else 0
                end_col = end_col if end_col is not None else col
                end_line = end_line if end_line is not None else line
                for l1, c1, l2, c2, where, kind, sites in self.entries:
                    if (l1, c1) <= (line, col) and (end_line, end_col) <= (l2, c2):
                        return where, kind, sites
        return None if self.default is None else (self.default, NODE, ())


def fail(e: Exception, table: Table) -> Exception:
    """The error to raise for `e` caught in a generated function (its traceback's head is that function)."""
    tb = e.__traceback__
    found = table.find(tb.tb_frame.f_code, tb.tb_lasti) if tb is not None else None
    if found is None:
        return e  # not under a guarded node: it passes on, as in the tree-walker
    where, kind, sites = found
    if isinstance(e, SglRuntimeError):
        if kind == CALL:
            at_call_site(e, where)
        else:
            locate(e, where)
    elif isinstance(e, PY_ERRORS):
        e = convert(e, where)
    else:
        return e
    for site in sites:  # the node was in a proc inlined at these calls: each caller's frame
        at_call_site(e, site)
    return e


# ---------------------------------------------------------------------- calls and entries


def entry(fn: Callable[..., Any], n: int) -> Callable[[list], None]:
    """`ProcCode.body` for a translated proc. The tree-walker's caller has counted the call's
    depth (in `ctx.depth`) and step already; the translated function counts them itself, so the
    step is given back, and the depth left to it before this call is passed as its `_r`."""
    def body(f: list) -> None:
        ctx = f[-1]
        ctx.fuel += 1
        f[RET] = fn(ctx, ctx.max_depth - ctx.depth + 1, *f[:n])

    def direct(ctx: Any, *args: Any) -> Any:
        """A call from outside SGL with every argument (`Module.translated`): nothing counted yet."""
        return fn(ctx, ctx.max_depth - ctx.depth, *args)

    body.jit = fn  # type: ignore[attr-defined]
    body.direct = direct  # type: ignore[attr-defined]
    return body


def slow_call(call: Callable[[list], Any], ctx: Any, *args: Any) -> Any:
    """A call through the tree-walker's call protocol (`ProcCode.call_code` over argument slots)."""
    return call([*args, ctx])


def copy_args(ctx: Any, copiers: list, *args: Any) -> list:
    """The arguments a mutating proc receives: copied and paid for, as `units.copy_arguments`."""
    frame = list(args)
    copy_arguments(ctx, frame, copiers)
    return frame


def cell_value(cell: Any, ctx: Any) -> Any:
    return cell.get(ctx)


def proc_value(proc: Any, ctx: Any) -> Any:
    return proc.as_value(ctx)


def builtin_value(fn: Any, ctx: Any) -> Any:
    return functools.partial(fn, ctx)


def host_call(host: Any, ctx: Any, *args: Any) -> Any:
    return host.call(ctx, list(args))


def generator(ctx: Any, where: Where, gen: Iterator[Any]) -> Iterator[Any]:
    """A generator expression as the value natives pull from (`closures.expr`'s generator `items`)."""
    ctx.reenter()
    try:
        yield from gen
    except SglRuntimeError as err:
        locate(err, where)
        raise
    except PY_ERRORS as err:
        raise convert(err, where) from None
    finally:
        ctx.leave()


# ---------------------------------------------------------------------- statements


def record_require(ctx: Any, where: Where, held: Any) -> None:
    ctx.recorder.require(where, bool(held))


def require_failed(where: Where, text: str, msg: Any, has_msg: bool) -> NotApplicable:
    m = str(msg) if has_msg else f"require failed: {text}"
    return NotApplicable(m, code=E_REQUIRE, span=where.span, file=where.file, frames=[where.trace_frame()])


def assert_failed(where: Where, text: str, msg: Any, has_msg: bool) -> SglRuntimeError:
    m = f"assertion failed: {text}"
    if has_msg:
        m += f" ({msg})"
    return SglRuntimeError(m, code=E_ASSERT, span=where.span, file=where.file, frames=[where.trace_frame()])


def fail_stmt(where: Where, msg: Any) -> SglRuntimeError:
    return SglRuntimeError(str(msg), code=E_FAIL, span=where.span, file=where.file, frames=[where.trace_frame()])


def unpack(v: Any, n: int, what: str) -> tuple[Any, ...]:
    """`a, b, c = v` (the tree-walker's `store_names` / `store_tuple` rule and message)."""
    vs = tuple(v)
    if len(vs) != n:
        raise ValueError(f"cannot unpack {len(vs)} values into {n} {what}")
    return vs


# ---------------------------------------------------------------------- expressions


def format_plain(fmt: Callable[..., str], ctx: Any, x: Any) -> str:
    return x if type(x) is str else fmt(ctx, x, None, None)


def replace(obj: Any, names: tuple[str, ...], vals: tuple[Any, ...]) -> Any:
    return obj.replace(**dict(zip(names, vals)))


def replace_at(r: Any, indices: tuple[int, ...], vals: tuple[Any, ...]) -> Any:
    """`r.replace(f=v, ...)` of a record whose type is known at load: the fields by their position
    in the record's tuple (`(rtype, *values)`: field `i` is at `i + 1`)."""
    vs = list(r[:])
    for i, v in zip(indices, vals):
        vs[i] = v
    return values.Record(vs)


def dynamic_field(natives: Any, v: Any, attr: str) -> Any:
    if type(v) is values.Record:
        return values.record_field(v, attr)
    return natives.field(method_table_name(v), attr)(v)


def dynamic_method(natives: Any, ctx: Any, v: Any, name: str, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Any:
    return natives.method(method_table_name(v), name)(ctx, v, *args, **kwargs)


# The limits generated code compares with in its fast paths, read into locals `_k<i>` (i: the
# index here) once per call of a generated function: each is the bound below which the fast path
# does exactly what the checked operation does (nothing refused, nothing charged, no memory check).
BOUNDS: dict[str, Callable[[Any], int]] = {
    # appending to a list, storing a new key in a map (`_list_append`, `ops.setitem`)
    "collection": lambda ctx: ctx.limits.collection_len,
    # `a + b` of two Strs (`ops.add`: the Str limit, and a charge from SMALL_COPY characters up)
    "concat": lambda ctx: min(ops.SMALL_COPY, ctx.limits.str_len + 1),
    # a string already built (an f-string): `RunContext.check_str_len` (the limit, and a memory
    # check from LARGE_ALLOCATION characters up)
    "built_str": lambda ctx: min(LARGE_ALLOCATION, ctx.limits.str_len + 1),
}

# Methods whose native is the receiver's own Python method with the same arguments
# (`natives.methods._call`): generated code calls them on the receiver (`jit.validate` allows
# exactly these attribute names). `append` is the one more name: called only after the test of
# `_list_append`, whose slow path is the native itself.
DIRECT_METHODS: dict[str, frozenset[str]] = {"Map": frozenset({"get", "keys", "values", "items"})}
assert all(METHODS["Map"][n].__qualname__.startswith("_call.") for n in DIRECT_METHODS["Map"])

# Built-ins whose native is exactly a Python built-in (the context unused): called directly.
PYTHON_EQUIVALENT: dict[str, str] = {"len": "len"} if BUILTINS["len"].__code__.co_code == (
    lambda ctx, x: len(x)).__code__.co_code else {}

HELPERS: dict[str, Any] = {
    "fail": fail, "slow_call": slow_call, "copy_args": copy_args, "cell_value": cell_value,
    "proc_value": proc_value, "builtin_value": builtin_value, "host_call": host_call,
    "make_lambda": lambda_value, "generator": generator, "require_failed": require_failed,
    "record_require": record_require,
    "assert_failed": assert_failed, "fail_stmt": fail_stmt, "unpack": unpack, "format_plain": format_plain,
    "replace": replace, "replace_at": replace_at, "dynamic_field": dynamic_field, "dynamic_method": dynamic_method,
    # Decimal arithmetic under SGL's one context (`ops.BINARY` of a Decimal operand)
    "Decimal": Decimal, "decimal_context": ops.DECIMAL_CONTEXT, "dec_add": ops.DECIMAL_CONTEXT.add, "dec_sub": ops.DECIMAL_CONTEXT.subtract,
    "dec_mul": ops.DECIMAL_CONTEXT.multiply, "dec_div": ops.DECIMAL_CONTEXT.divide,
    "dec_floordiv": ops.DECIMAL_CONTEXT.divide_int, "dec_mod": ops.DECIMAL_CONTEXT.remainder,
    **{f"bound_{name}": fn for name, fn in BOUNDS.items()},
    "Record": values.Record, "SglSet": values.SglSet, "deep_copy": values.deep_copy,
    # f-strings: `"".join`, and an int's text below CPython's digit bound (`values.int_text`)
    "join": "".join, "int_repr": int.__repr__,
    "int_low": -(10**values.INT_MAX_STR_DIGITS), "int_high": 10**values.INT_MAX_STR_DIGITS,
    # Python built-ins generated code uses, by name (never reachable from SGL: no attribute access)
    "Exception": Exception, "type": type, "int": int, "len": len,
}
