"""Native module `std.math`: the numeric functions that need Python's exact or fast implementations.

Owns `isqrt factorial comb perm floor ceil sqrt log exp` (the number theory helpers `gcd`,
`lcm`, `mod_inverse`, `chinese_remainder` and the constants are SGL, in `stdlib/math.sgl`).
Invariants: integer results are checked against `int_bits` from an estimate of their size
BEFORE they are computed (`factorial(10**6)` fails at once); domain errors (`sqrt(-1)`,
`log(0)`) are ValueErrors with Python's message, converted by the caller.
"""

from __future__ import annotations

import math
from typing import Any

from seglam_lang.runtime.natives import native


def _log2_falling(n: int, k: int) -> float:
    """log2(n * (n-1) * ... * (n-k+1)) for 0 <= k <= n, within a few bits, for any size of n."""
    if k <= 64:
        return sum(math.log2(n - i) for i in range(k))
    if n < 1 << 53:  # lgamma is exact enough while n fits a float's mantissa
        return (math.lgamma(n + 1) - math.lgamma(n - k + 1)) / math.log(2)
    return k * math.log2(n) if k < 1 << 53 else math.inf  # every factor is n to within (1 - k/n)


def _bits(log2: float) -> int:
    """The bit length of a result whose log2 is `log2` (a huge stand-in when it is not finite)."""
    return int(log2) + 1 if log2 < 1e18 else 10**18


@native("std.math", "isqrt(n: Int) -> Int")
def isqrt(ctx: Any, n: int) -> int:
    """The integer square root: the largest r with r * r <= n (n >= 0)."""
    return math.isqrt(n)


@native("std.math", "factorial(n: Int) -> Int")
def factorial(ctx: Any, n: int) -> int:
    """n! for n >= 0, bounded by the integer size limit (checked before computing)."""
    if n < 0:
        raise ValueError("factorial() not defined for negative values")
    ctx.check_int_bits(_bits(_log2_falling(n, n)))
    return math.factorial(n)


@native("std.math", "comb(n: Int, k: Int) -> Int")
def comb(ctx: Any, n: int, k: int) -> int:
    """Ways to choose k items from n without order (0 when k > n)."""
    if n < 0 or k < 0:
        raise ValueError("comb: n and k must not be negative")
    if k <= n:
        k = min(k, n - k)
        ctx.check_int_bits(_bits(_log2_falling(n, k) - _log2_falling(k, k)))
    return math.comb(n, k)


@native("std.math", "perm(n: Int, k: Int) -> Int")
def perm(ctx: Any, n: int, k: int) -> int:
    """Ways to choose k items from n in order (0 when k > n)."""
    if n < 0 or k < 0:
        raise ValueError("perm: n and k must not be negative")
    if k <= n:
        ctx.check_int_bits(_bits(_log2_falling(n, k)))
    return math.perm(n, k)


@native("std.math", "floor(x: Float) -> Int")
def floor(ctx: Any, x: float) -> int:
    """The largest integer <= x."""
    return math.floor(x)


@native("std.math", "ceil(x: Float) -> Int")
def ceil(ctx: Any, x: float) -> int:
    """The smallest integer >= x."""
    return math.ceil(x)


@native("std.math", "sqrt(x: Float) -> Float")
def sqrt(ctx: Any, x: float) -> float:
    """The square root of x >= 0."""
    return math.sqrt(x)


@native("std.math", "log(x: Float, base: Float = 0.0) -> Float")
def log(ctx: Any, x: float, base: float) -> float:
    """The logarithm of x > 0: natural by default, else to `base`."""
    return math.log(x) if base == 0.0 else math.log(x, base)


@native("std.math", "exp(x: Float) -> Float")
def exp(ctx: Any, x: float) -> float:
    """e to the power x (an error when the result is too large for a Float)."""
    return math.exp(x)
