"""Native module `std.money`: Decimal rounding with an explicit rounding mode.

Owns `round_to` (the SGL half, `stdlib/money.sgl`, names one proc per mode and does the
formatting and percentages). Invariants: rounding is exact Decimal arithmetic in a context
wide enough for any amount SGL can hold (no silent loss of digits: a result that would need
more digits is an error); the mode names are exactly the keys of `MODES`.
"""

from __future__ import annotations

import decimal
from typing import Any

from seglam_lang.runtime.natives import native
from seglam_lang.runtime.ops import DECIMAL_CONTEXT

MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_down": decimal.ROUND_HALF_DOWN,
    "down": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
    "ceiling": decimal.ROUND_CEILING,
    "floor": decimal.ROUND_FLOOR,
}

# SGL's decimal context with room for 100 digits: quantizing a 28-digit amount to 60 places
# must not fail where SGL's own arithmetic (28 digits) would round.
_CONTEXT = DECIMAL_CONTEXT.copy()
_CONTEXT.prec = 100


@native("std.money", 'round_to(amount: Decimal, places: Int = 2, mode: Str = "half_even") -> Decimal')
def round_to(ctx: Any, amount: decimal.Decimal, places: int, mode: str) -> decimal.Decimal:
    """`amount` rounded to `places` decimals (negative: tens, hundreds) with a rounding mode:
    half_up, half_even, half_down, down (toward 0), up (away from 0), ceiling, floor."""
    rounding = MODES.get(mode)
    if rounding is None:
        raise ValueError(f"unknown rounding mode {mode!r}; modes: {', '.join(MODES)}")
    if abs(places) > 60:
        raise ValueError(f"places must be between -60 and 60, got {places}")
    try:
        return decimal.Decimal(amount).quantize(decimal.Decimal(1).scaleb(-places), rounding=rounding,
                                                context=_CONTEXT)
    except decimal.InvalidOperation:
        raise ValueError(f"cannot round {amount} to {places} places: too many digits") from None
