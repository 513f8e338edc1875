"""SGL built-in functions (`len`, `sorted`, `int`, `date`...): Python's meaning, bounded.

Owns `BUILTINS: dict[name, fn(ctx, *args, **kwargs)]`, exactly the names of
`seglam_lang.check.builtins.BUILTIN_FUNCTIONS` (a test keeps both equal).

Conventions:
- every function takes the run's `RunContext` first; callables passed in (`key=`, the `f` of
  `map`) are plain Python callables taking SGL values (the compiler wraps lambdas);
- anything that builds a collection checks the collection limit before allocating when the
  input has a size (`list(range(10**12))` fails at once) and stops one past the limit when
  it has none; consuming a `range` is charged to the step budget (`ops.iterate`), so
  `sum(range(10**12))` ends with the step limit instead of running for hours;
- int results are checked against `int_bits`; int <-> text follows CPython's 4,300-digit rule
  whatever `sys.set_int_max_str_digits` the host set;
- Decimal arithmetic (`sum`, `abs`, `round`, `divmod`) uses `ops.DECIMAL_CONTEXT`;
- ordinary Python exceptions (ValueError, TypeError...) propagate with Python's message and are
  located and converted by the caller (`runtime.tracebacks.convert`).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from seglam_lang.codes import E_INT_SIZE
from seglam_lang.errors import LimitExceeded
from seglam_lang.runtime import cost, ops
from seglam_lang.runtime.limits import RunContext
from seglam_lang.runtime.values import INT_MAX_STR_DIGITS, SglSet, str_of

_D = ops.DECIMAL_CONTEXT
_NO_DEFAULT: Any = object()
_LOG2_10 = math.log2(10)


def _len(ctx: RunContext, x: Any) -> int:
    return len(x)


def _range(ctx: RunContext, *args: int) -> range:
    return range(*args)


def _enumerate(ctx: RunContext, xs: Any, start: int = 0) -> Any:
    return enumerate(ops.iterate(ctx, xs), start)


def _zip(ctx: RunContext, *xs: Any) -> Any:
    return zip(*(ops.iterate(ctx, x) for x in xs))


def sort_in_place(ctx: RunContext, out: list[Any], key: Callable[[Any], Any] | None, reverse: bool) -> None:
    """`out.sort(key=key, reverse=reverse)`, paid for first: the comparisons are of the keys,
    so those are computed first (each call of an SGL `key` pays for itself)."""
    keys = out if key is None else list(map(key, out))
    n = len(keys)
    if n > 1:
        if keys[0] is not None and type(keys[0]) in cost.SCALARS:  # typed: all keys are scalars
            if n > 4:
                ctx.charge_items(n * n.bit_length())
        else:
            ctx.charge_items(cost.sort_cost(keys, ctx.items_left()))
    if key is None:
        out.sort(reverse=reverse)
        return
    order = sorted(range(n), key=keys.__getitem__, reverse=reverse)  # stable, as list.sort
    out[:] = list(map(out.__getitem__, order))


def _sorted(ctx: RunContext, xs: Any, *, key: Callable[[Any], Any] | None = None, reverse: bool = False) -> list[Any]:
    out = ops.materialize(ctx, xs)
    sort_in_place(ctx, out, key, reverse)
    return out


def _reversed(ctx: RunContext, xs: Any) -> Any:
    if type(xs) is range:
        return xs[::-1]  # still a range, so consuming it stays charged
    return reversed(xs)


def _charge_scan(ctx: RunContext, xs: Any) -> None:
    """Pay for a pass over `xs` that compares (or hashes, or adds) each item once."""
    if type(xs) is list and (not xs or (xs[0] is not None and type(xs[0]) in cost.SCALARS)):
        if len(xs) >= SCAN_FREE:  # typed: a list of scalars weighs its length
            ctx.charge_items(len(xs))
    elif type(xs) is not range and hasattr(xs, "__len__"):
        ctx.charge_items(cost.weight(xs, ctx.items_left()))


SCAN_FREE = 16  # items: a shorter scan of scalars costs less than a step


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def fn(ctx: RunContext, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1:
            _charge_scan(ctx, args[0])
            return pick(ops.iterate(ctx, args[0]), **kwargs)
        _charge_scan(ctx, args)
        return pick(*args, **kwargs)
    fn.__name__ = pick.__name__
    return fn


def _sum(ctx: RunContext, xs: Any, start: Any = 0) -> Any:
    if type(start) is str:
        raise TypeError("sum() can't sum strings [use ''.join(seq) instead]")
    if type(xs) is range and type(start) is int:
        ctx.charge(ops.range_len(xs))  # consumed whole: charge it all before the work
        return ops._check_int(ctx, sum(xs, start))
    if type(xs) in (list, tuple) and type(start) is int and all(type(x) is int for x in xs):
        ctx.charge_items(len(xs))
        return ops._check_int(ctx, sum(xs, start))  # the common case, at C speed
    if hasattr(xs, "__len__"):
        ctx.charge(len(xs))  # an interpreted addition per item
    total = start
    add = ops.add
    for x in ops.iterate(ctx, xs):
        total = add(ctx, total, x)
    return total


def _abs(ctx: RunContext, x: Any) -> Any:
    return _D.abs(x) if type(x) is Decimal else abs(x)


def _check_decimal_to_int(ctx: RunContext, d: Decimal) -> None:
    """An integral Decimal with a huge exponent would become a huge int: check its size first."""
    if d.is_finite() and d.adjusted() > 0:
        bits = math.ceil((d.adjusted() + 1) * _LOG2_10)
        if bits > ctx.limits.int_bits:
            ctx.check_int_bits(bits)


def _round(ctx: RunContext, x: Any, ndigits: int | None = None) -> Any:
    t = type(x)
    if t is Decimal:
        if ndigits is None:
            _check_decimal_to_int(ctx, x)
            return int(x.to_integral_value(rounding=ROUND_HALF_EVEN, context=_D))
        return x.quantize(Decimal((0, (1,), -ndigits)), context=_D)
    if t in (int, bool) and ndigits is not None and ndigits < 0:
        # CPython computes 10 ** -ndigits; past the number's own digits the answer is 0.
        if -ndigits > x.bit_length() * 0.302 + 2:
            return 0
    return round(x) if ndigits is None else round(x, ndigits)


def _any(ctx: RunContext, xs: Any) -> bool:
    _charge_scan(ctx, xs)
    return any(ops.iterate(ctx, xs))


def _all(ctx: RunContext, xs: Any) -> bool:
    _charge_scan(ctx, xs)
    return all(ops.iterate(ctx, xs))


def _divmod(ctx: RunContext, a: Any, b: Any) -> Any:
    if ops._is_dec(a, b):
        return _D.divmod(a, b)
    return divmod(a, b)


def _map(ctx: RunContext, f: Callable[[Any], Any], *xs: Any) -> Any:
    return map(f, *(ops.iterate(ctx, x) for x in xs))


def _filter(ctx: RunContext, f: Callable[[Any], Any] | None, xs: Any) -> Any:
    return filter(f, ops.iterate(ctx, xs))


_POW2_BASES = {2: 1, 4: 2, 8: 3, 16: 4, 32: 5}


def _int(ctx: RunContext, x: Any = 0, base: int | None = None) -> int:
    t = type(x)
    if t is str:
        digits = sum(1 for c in x if c.isalnum())
        b = base if base is not None else 10
        low = x.strip().lower().lstrip("+-")
        if b == 0 and low[:2] in ("0x", "0o", "0b"):
            b = {"0x": 16, "0o": 8, "0b": 2}[low[:2]]
        if b in _POW2_BASES:
            if digits * _POW2_BASES[b] > ctx.limits.int_bits:
                ctx.check_int_bits(digits * _POW2_BASES[b])
        elif digits > INT_MAX_STR_DIGITS:
            raise LimitExceeded(
                f"integer text too long to convert ({digits:,} digits; limit {INT_MAX_STR_DIGITS:,})", code=E_INT_SIZE,
                hint="CPython has the same limit",
            )
        r = int(x) if base is None else int(x, base)
    elif t is Decimal:
        _check_decimal_to_int(ctx, x)
        r = int(x)
    elif base is not None:
        raise TypeError("int() can't convert non-string with explicit base")
    else:
        r = int(x)
    return ops._check_int(ctx, r)


def _float(ctx: RunContext, x: Any = 0.0) -> float:
    return float(x)


def _str(ctx: RunContext, x: Any = "") -> str:
    if type(x) not in cost.SCALARS and type(x) is not str:
        cost.charge_printing(ctx, x)
    s = str_of(x, ctx.limits.str_len)
    ctx.check_str_len(len(s))
    return s


def _bool(ctx: RunContext, x: Any = False) -> bool:
    return bool(x)


def _decimal(ctx: RunContext, x: Any = "0") -> Decimal:
    if type(x) is float:
        raise TypeError("Decimal() takes a Str or an Int, not a Float (it would carry binary noise)")
    return Decimal(x, context=_D)


def _date(ctx: RunContext, *args: Any, **kwargs: Any) -> _dt.date:
    if len(args) == 1 and not kwargs and type(args[0]) is str:
        return _dt.date.fromisoformat(args[0])
    return _dt.date(*args, **kwargs)


_DATETIME_KEYWORDS = frozenset({"year", "month", "day", "hour", "minute", "second", "microsecond"})


def _datetime(ctx: RunContext, *args: Any, **kwargs: Any) -> _dt.datetime:
    if len(args) == 1 and not kwargs and type(args[0]) is str:
        d = _dt.datetime.fromisoformat(args[0])
        if d.tzinfo is not None:
            raise ValueError(f"DateTime values have no time zone: {args[0]!r}")
        return d
    extra = set(kwargs) - _DATETIME_KEYWORDS
    if len(args) > 7 or extra:
        raise TypeError("datetime() takes year, month, day, hour, minute, second, microsecond")
    return _dt.datetime(*args, **kwargs)


_DURATION_KEYWORDS = frozenset({"weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds"})


def _duration(ctx: RunContext, **kwargs: Any) -> _dt.timedelta:
    extra = set(kwargs) - _DURATION_KEYWORDS
    if extra:
        raise TypeError(f"duration() got an unexpected keyword argument {sorted(extra)[0]!r}")
    return _dt.timedelta(**kwargs)


def _list(ctx: RunContext, xs: Any = ()) -> list[Any]:
    return ops.materialize(ctx, xs)


def _set(ctx: RunContext, xs: Any = ()) -> SglSet:
    items = ops.materialize(ctx, xs)
    ops.charge_hashing(ctx, items)
    return SglSet(items)


def _dict(ctx: RunContext, xs: Any = (), **kwargs: Any) -> dict[Any, Any]:
    if isinstance(xs, dict):
        ctx.check_collection_len(len(xs) + len(kwargs))
        ctx.charge_items(len(xs))
        return dict(xs, **kwargs)
    items = ops.materialize(ctx, xs)
    ops.charge_hashing(ctx, items)
    return dict(items, **kwargs)


def _tuple(ctx: RunContext, xs: Any = ()) -> tuple[Any, ...]:
    return xs if type(xs) is tuple else tuple(ops.materialize(ctx, xs))


def _chr(ctx: RunContext, i: int) -> str:
    return chr(i)


def _ord(ctx: RunContext, c: str) -> int:
    return ord(c)


BUILTINS: dict[str, Callable[..., Any]] = {
    "len": _len, "range": _range, "enumerate": _enumerate, "zip": _zip, "sorted": _sorted,
    "reversed": _reversed, "min": _extreme(min), "max": _extreme(max), "sum": _sum, "abs": _abs,
    "round": _round, "any": _any, "all": _all, "divmod": _divmod, "map": _map, "filter": _filter,
    "int": _int, "float": _float, "str": _str, "bool": _bool, "Decimal": _decimal, "date": _date,
    "datetime": _datetime, "duration": _duration, "list": _list, "set": _set, "dict": _dict,
    "tuple": _tuple, "chr": _chr, "ord": _ord,
}

__all__ = ["BUILTINS"]
