"""SGL operators: every binary, unary, comparison and in-place operator as a function for the compiler.

Owns the tables `BINARY[op]`, `INPLACE[op]`, `UNARY[op]`, `COMPARE[op]` (each value is
`fn(ctx, a[, b])`), `compare_plan` (how a comparison of given static types pays), item access
helpers (`getitem`, `setitem`, `getslice`; SGL has no slice assignment),
and `DECIMAL_CONTEXT`, the one decimal context every SGL run uses.

Meaning: Python's, or an error (language rule 1). Where Python would build a huge value the
size is checked BEFORE it is built, from the operands: `a * b` on ints by the sum of bit
lengths, `a ** b` by `b * log2|a|`, `a << n` by `bits(a) + n`, sequence repetition and
concatenation by the result length. Decimal arithmetic uses `DECIMAL_CONTEXT` (CPython's
default context: 28 digits, half-even) explicitly, never the thread's current context, so a
host that changes `decimal.getcontext()` cannot change an SGL result.

Errors: limit violations raise `LimitExceeded`; SGL-specific refusals (`%`-formatting, complex
results) raise `SglRuntimeError`; the ordinary Python exceptions of the operation
(ZeroDivisionError, TypeError for mixing Float and Decimal, OverflowError...) propagate with
Python's message and are converted, with the node's position, by `runtime.tracebacks.convert`.
"""

from __future__ import annotations

import decimal
import math
import operator
from collections.abc import Callable
from decimal import Decimal
from itertools import chain, islice
from typing import Any

from seglam_lang.check import types as T
from seglam_lang.codes import E_TYPE, E_VALUE
from seglam_lang.errors import SglRuntimeError
from seglam_lang.runtime import cost
from seglam_lang.runtime.limits import RunContext
from seglam_lang.runtime.values import DICT_TYPES, LIST_TYPES, SET_TYPES, Record, SglSet

DECIMAL_CONTEXT = decimal.Context(
    prec=28, rounding=decimal.ROUND_HALF_EVEN, Emin=-999_999, Emax=999_999, capitals=1, clamp=0,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
_D = DECIMAL_CONTEXT

Op = Callable[[RunContext, Any, Any], Any]

# Types that take part in Decimal arithmetic with a Decimal (Python: int and bool, not float).
_DEC_PARTNERS = (Decimal, int, bool)
_SEQ_TYPES = (str, list, tuple)


def _is_dec(a: Any, b: Any) -> bool:
    """Both operands are Decimal-compatible and at least one is a Decimal."""
    ta, tb = type(a), type(b)
    return (ta is Decimal or tb is Decimal) and ta in _DEC_PARTNERS and tb in _DEC_PARTNERS


def _check_int(ctx: RunContext, r: int) -> int:
    if r.bit_length() > ctx.limits.int_bits:
        ctx.check_int_bits(r.bit_length())
    return r


def _check_seq_len(ctx: RunContext, seq: Any, n: int) -> None:
    if type(seq) is str:
        ctx.check_str_len(n)
    else:
        ctx.check_collection_len(n)


def _charge_copy(ctx: RunContext, seq: Any, n: int) -> None:
    """Pay for building a sequence of `n` items (strings: characters, at memory speed)."""
    ctx.charge_items(n >> cost.STR_SHIFT if type(seq) is str else n)


SMALL_COPY = 256  # items: copying fewer costs less than the arithmetic to charge for it


def _both_ints(a: Any, b: Any) -> bool:
    return type(a) in (int, bool) and type(b) in (int, bool)


# ---------------------------------------------------------------------------- arithmetic


def add(ctx: RunContext, a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return _check_int(ctx, a + b)
    if _is_dec(a, b):
        return _D.add(a, b)
    if isinstance(a, _SEQ_TYPES) and isinstance(b, _SEQ_TYPES):
        n = len(a) + len(b)
        _check_seq_len(ctx, a, n)
        if n >= SMALL_COPY:
            _charge_copy(ctx, a, n)
        return a + b
    r = a + b
    return _check_int(ctx, r) if type(r) is int else r


def sub(ctx: RunContext, a: Any, b: Any) -> Any:
    if _is_dec(a, b):
        return _D.subtract(a, b)
    if type(a) in SET_TYPES:
        charge_hashing(ctx, a, b)
    r = a - b
    return _check_int(ctx, r) if type(r) is int else r


def _repeat_count(a: Any, b: Any) -> tuple[Any, int] | None:
    """(sequence, count) when `a * b` repeats a str/list/tuple."""
    if isinstance(a, _SEQ_TYPES) and type(b) in (int, bool):
        return a, b
    if isinstance(b, _SEQ_TYPES) and type(a) in (int, bool):
        return b, a
    return None


def mul(ctx: RunContext, a: Any, b: Any) -> Any:
    if _both_ints(a, b):
        if a.bit_length() + b.bit_length() > ctx.limits.int_bits:
            ctx.check_int_bits(a.bit_length() + b.bit_length())
        return a * b
    if _is_dec(a, b):
        return _D.multiply(a, b)
    rep = _repeat_count(a, b)
    if rep is not None:
        seq, n = rep
        if n > 0 and seq:
            _check_seq_len(ctx, seq, len(seq) * n)
            if len(seq) * n >= SMALL_COPY:
                _charge_copy(ctx, seq, len(seq) * n)
    return a * b


def truediv(ctx: RunContext, a: Any, b: Any) -> Any:
    if _is_dec(a, b):
        return _D.divide(a, b)
    return a / b


def floordiv(ctx: RunContext, a: Any, b: Any) -> Any:
    if _is_dec(a, b):
        return _D.divide_int(a, b)
    return a // b


def mod(ctx: RunContext, a: Any, b: Any) -> Any:
    if type(a) is str:
        raise SglRuntimeError("SGL has no %-formatting of strings", code=E_TYPE,
                              hint='use an f-string: f"{x:.2f}"')
    if _is_dec(a, b):
        return _D.remainder(a, b)
    return a % b


def power(ctx: RunContext, a: Any, b: Any) -> Any:
    if _both_ints(a, b):
        if b > 0 and a not in (0, 1, -1):
            limit = ctx.limits.int_bits
            # |a| >= 2 so the result has at least b bits; the log estimate is then exact enough.
            bits = b if b > limit else b * math.log2(abs(a))
            if bits >= limit:
                ctx.check_int_bits(math.floor(bits) + 1)
        return a ** b
    if _is_dec(a, b):
        return _D.power(a, b)
    r = a ** b
    if type(r) is complex:
        raise SglRuntimeError(f"{a!r} ** {b!r} is a complex number, which SGL does not have", code=E_VALUE,
                              hint="a negative base needs an integer exponent")
    return r


def lshift(ctx: RunContext, a: Any, b: Any) -> Any:
    if _both_ints(a, b) and a and b > 0:
        bits = a.bit_length() + b
        if bits > ctx.limits.int_bits:
            ctx.check_int_bits(bits)
    return a << b


def rshift(ctx: RunContext, a: Any, b: Any) -> Any:
    return a >> b


def charge_hashing(ctx: RunContext, *collections: Any) -> None:
    """Pay for a set or map operation that hashes (and may compare) every item of `collections`."""
    cap = ctx.items_left()
    ctx.charge_items(sum(cost.weight(c, cap) for c in collections))


def _check_union(ctx: RunContext, a: Any, b: Any) -> None:
    """Size check of `a | b` for sets and maps: counts the new keys, builds nothing."""
    ta, tb = type(a), type(b)
    if (ta in SET_TYPES and tb in SET_TYPES) or (ta in DICT_TYPES and tb in DICT_TYPES):
        charge_hashing(ctx, b)
        if len(a) + len(b) > ctx.limits.collection_len:
            ctx.check_collection_len(len(a) + sum(1 for x in b if x not in a))


def _check_symmetric_difference(ctx: RunContext, a: Any, b: Any) -> None:
    if type(a) in SET_TYPES and type(b) in SET_TYPES:
        charge_hashing(ctx, a, b)
    if type(a) in SET_TYPES and type(b) in SET_TYPES and len(a) + len(b) > ctx.limits.collection_len:
        ctx.check_collection_len(sum(1 for x in a if x not in b) + sum(1 for x in b if x not in a))


def bit_or(ctx: RunContext, a: Any, b: Any) -> Any:
    _check_union(ctx, a, b)
    return a | b


def bit_and(ctx: RunContext, a: Any, b: Any) -> Any:
    if type(a) in SET_TYPES:
        charge_hashing(ctx, b)
    return a & b


def bit_xor(ctx: RunContext, a: Any, b: Any) -> Any:
    _check_symmetric_difference(ctx, a, b)
    return a ^ b


BINARY: dict[str, Op] = {
    "+": add, "-": sub, "*": mul, "/": truediv, "//": floordiv, "%": mod, "**": power,
    "<<": lshift, ">>": rshift, "|": bit_or, "&": bit_and, "^": bit_xor,
}


# ---------------------------------------------------------------------------- in-place (x op= y)


def _iadd(ctx: RunContext, a: Any, b: Any) -> Any:
    if type(a) in LIST_TYPES:  # Python's list += extends in place (the alias sees it)
        items = b if isinstance(b, list | tuple) else materialize(ctx, b)
        ctx.check_collection_len(len(a) + len(items))
        ctx.charge_items(len(items))
        a += items
        return a
    return add(ctx, a, b)


def _imul(ctx: RunContext, a: Any, b: Any) -> Any:
    if type(a) in LIST_TYPES and type(b) in (int, bool):
        if b > 0 and a:
            ctx.check_collection_len(len(a) * b)
            ctx.charge_items(len(a) * b)
        a *= b
        return a
    return mul(ctx, a, b)


def _inplace(name: str, binary: Op, check: Callable[[RunContext, Any, Any], None] | None) -> Op:
    """`a op= b`: sets and maps change in place (as in Python), after the size check of `a op b`."""
    def fn(ctx: RunContext, a: Any, b: Any) -> Any:
        ta = type(a)
        if ta in SET_TYPES or ta in DICT_TYPES:
            if check is not None:
                check(ctx, a, b)
            return getattr(a, name)(b)
        return binary(ctx, a, b)
    return fn


INPLACE: dict[str, Op] = {
    **BINARY,
    "+": _iadd, "*": _imul,
    "|": _inplace("__ior__", bit_or, _check_union), "^": _inplace("__ixor__", bit_xor, _check_symmetric_difference),
    "&": _inplace("__iand__", bit_and, lambda ctx, a, b: charge_hashing(ctx, b)),
    "-": _inplace("__isub__", sub, lambda ctx, a, b: charge_hashing(ctx, b)),
}


# ---------------------------------------------------------------------------- unary


def neg(ctx: RunContext, a: Any) -> Any:
    return _D.minus(a) if type(a) is Decimal else -a


def pos(ctx: RunContext, a: Any) -> Any:
    return _D.plus(a) if type(a) is Decimal else +a


def invert(ctx: RunContext, a: Any) -> Any:
    if type(a) is bool:  # Python 3.12 deprecates ~bool; SGL gives its int meaning in every version
        return ~int(a)
    return ~a


def not_(ctx: RunContext, a: Any) -> bool:
    return not a


UNARY: dict[str, Callable[[RunContext, Any], Any]] = {"-": neg, "+": pos, "~": invert, "not": not_}


# ---------------------------------------------------------------------------- comparisons


_TESTS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b, "is": operator.is_, "is not": operator.is_not,
}


def charged_compare(op: str, wa: cost.Weigher | None, wb: cost.Weigher | None) -> Op:
    """Comparison `op` that pays for its traversal first; `wa`/`wb` weigh the operands
    (`cost.weigher` of their static types). `is` costs nothing."""
    test = _TESTS[op]
    if op in ("is", "is not"):
        def identity(ctx: RunContext, a: Any, b: Any) -> Any:
            return test(a, b)
        return identity
    rule = cost.contains_cost if op in ("in", "not in") else cost.compare_cost

    def compare(ctx: RunContext, a: Any, b: Any) -> Any:
        ctx.charge_items(rule(wa, wb, a, b, ctx.items_left()))
        return test(a, b)
    compare.__name__ = f"compare_{op.replace(' ', '_')}"
    return compare


def compare_plan(op: str, lt: T.Type | None, rt: T.Type | None) -> tuple[Op | None, str | None]:
    """How a comparison of operands of static types lt, rt pays for its work: (None, None)
    when it is O(1) whatever the values; else the charged operator, and a test of `a`/`b`
    (Python text) under which the operands are small enough to compare for free. The one home
    of this rule: the tree-walker and the JIT tier both compile comparisons by it."""
    if op in ("is", "is not"):
        return None, None
    wa, wb = cost.weigher(lt), cost.weigher(rt)
    small: str | None = None
    if op in ("in", "not in"):
        rinner = rt.inner if isinstance(rt, T.OptionalT) else rt
        if isinstance(rinner, T.SetT | T.MapT):  # one hash and (mostly) one comparison of `a`
            if wa is None:
                return None, None
            small = "len(a) < 1024" if lt == T.STR else None
        elif rt == T.STR and lt == T.STR:
            small = "len(b) < 1024"
        elif wa is None and isinstance(rt, T.ListT):
            small = "len(b) < 16"
    else:
        if wa is None or wb is None:  # one side is a scalar: the comparison stops at once
            return None, None
        if lt == T.STR and rt == T.STR:
            small = "len(a) < 1024"
        elif cost.flat(lt) and cost.flat(rt):
            small = "len(a) < 16"
    return charged_compare(op, wa, wb), small


def plain_compare(op: str) -> Op:
    """Comparison `op` of operands whose comparison is O(1) (scalars): nothing to pay."""
    test = _TESTS[op]

    def compare(ctx: RunContext, a: Any, b: Any) -> Any:
        return test(a, b)
    return compare


# Comparisons of operands of unknown static types (chained comparisons, examples).
COMPARE: dict[str, Op] = {op: charged_compare(op, cost.weight, cost.weight) for op in _TESTS}


# ---------------------------------------------------------------------------- items and slices


def getitem(ctx: RunContext, obj: Any, key: Any) -> Any:
    """`obj[key]` for a key whose hash is not O(1) (a long tuple, a record holding one)."""
    if type(obj) in DICT_TYPES:
        ctx.charge_items(cost.weight(key, ctx.items_left()))
    return obj[key]


def setitem(ctx: RunContext, obj: Any, key: Any, value: Any) -> None:
    if type(obj) is dict:
        if len(obj) >= ctx.limits.collection_len and key not in obj:
            ctx.check_collection_len(len(obj) + 1)
        tk = type(key)
        if (tk is tuple and len(key) > 16) or tk is Record:  # hashing it visits every part
            ctx.charge_items(cost.weight(key, ctx.items_left()))
    obj[key] = value


def getslice(ctx: RunContext, obj: Any, lower: Any, upper: Any, step: Any) -> Any:
    """`obj[lower:upper:step]`, paid for by the length of the result before it is copied."""
    if len(obj) >= SMALL_COPY:
        _charge_copy(ctx, obj, len(range(*slice(lower, upper, step).indices(len(obj)))))
    return obj[lower:upper:step]


# ---------------------------------------------------------------------------- iteration helpers


_SIZED = (list, tuple, str, dict, SglSet, *LIST_TYPES, *DICT_TYPES, *SET_TYPES,
          type({}.keys()), type({}.values()), type({}.items()))
CHUNK = 1024


def range_len(r: range) -> int:
    """len(r) without CPython's OverflowError for ranges longer than sys.maxsize."""
    if r.step > 0:
        return max(0, (r.stop - r.start + r.step - 1) // r.step)
    return max(0, (r.start - r.stop - r.step - 1) // -r.step)


def _charged_range(ctx: RunContext, r: range) -> Any:
    """Iterate `r` at C speed, charging the step budget one chunk ahead."""
    n = range_len(r)

    def chunks() -> Any:
        for i in range(0, n, CHUNK):
            part = r[i:i + CHUNK]
            ctx.charge(len(part))
            yield part
    return chain.from_iterable(chunks())


def iterate(ctx: RunContext, x: Any) -> Any:
    """What a native iterates over `x`: a `range` is charged against the step budget as it
    is consumed (it is the one iterable with no size of its own); anything else as is."""
    if type(x) is range and range_len(x) > CHUNK:
        return _charged_range(ctx, x)
    return x


def materialize(ctx: RunContext, x: Any) -> list[Any]:
    """`list(x)` bounded by the collection limit, checked before allocating when x has a size."""
    t = type(x)
    if t is range:
        n = range_len(x)
        ctx.check_collection_len(n)
        ctx.charge(n)
        return list(x)
    if t in _SIZED:
        ctx.check_collection_len(len(x))
        ctx.charge_items(len(x))
        return list(x)
    # An iterator of unknown length (a generator is consumed lazily, and pays for its own
    # items; `zip`/`map` over collections do not): stop one past the limit.
    out = list(islice(x, ctx.limits.collection_len + 1))
    ctx.check_collection_len(len(out))
    ctx.charge_items(len(out))
    return out
