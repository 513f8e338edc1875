"""Native module `std.collections`: generic helpers on lists (counting, grouping, slicing, combinatorics).

Owns the functions of `std.collections` (examples and properties in `stdlib/collections.sgl`).
They are native because they are generic (SGL procs are not). Invariants:
- the size of every result is computed from the input sizes and checked against the limits
  BEFORE anything is generated (`permutations` of 12 items fails at once, it does not run);
- results keep the input order (first occurrence), so they are deterministic;
- a callable argument (`key`) is an SGL function, called with SGL values.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

from seglam_lang.runtime import cost
from seglam_lang.runtime.natives import native
from seglam_lang.runtime.values import SglSet


def _bounded(ctx: Any, count: int, width: int) -> None:
    """Check a result of `count` collections of `width` items each before building it (and pay for it)."""
    ctx.check_collection_len(count)
    ctx.check_collection_len(count * max(width, 1))
    ctx.charge(count)
    ctx.charge_items(count * max(width, 1))


@native("std.collections", "counter(xs: List[T]) -> Map[T, Int]")
def counter(ctx: Any, xs: list[Any]) -> dict[Any, int]:
    """How many times each item occurs, in order of first occurrence."""
    ctx.charge(len(xs))  # an interpreted loop: a step per item
    out: dict[Any, int] = {}
    for x in xs:
        out[x] = out.get(x, 0) + 1
    return out


@native("std.collections", "most_common(xs: List[T], n: Int) -> List[Tuple[T, Int]]")
def most_common(ctx: Any, xs: list[Any], n: int) -> list[tuple[Any, int]]:
    """The `n` most frequent items with their counts; ties keep the order of first occurrence."""
    if n < 0:
        raise ValueError(f"most_common: n must not be negative, got {n}")
    counts = counter(ctx, xs)
    ctx.charge_items(cost.sort_cost(list(counts.values()), ctx.items_left()))
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return ranked[:n]


@native("std.collections", "group_by(xs: List[T], key: Fn[T, K]) -> Map[K, List[T]]")
def group_by(ctx: Any, xs: list[Any], key: Callable[[Any], Any]) -> dict[Any, list[Any]]:
    """Items grouped by `key(item)`: groups in order of first key, items in input order."""
    ctx.charge(len(xs))
    out: dict[Any, list[Any]] = {}
    for x in xs:
        out.setdefault(key(x), []).append(x)
    return out


@native("std.collections", "chunk(xs: List[T], size: Int) -> List[List[T]]")
def chunk(ctx: Any, xs: list[Any], size: int) -> list[list[Any]]:
    """Consecutive pieces of `size` items; the last piece may be shorter."""
    if size <= 0:
        raise ValueError(f"chunk: size must be positive, got {size}")
    ctx.charge_items(len(xs) + len(xs) // size)
    return [xs[i:i + size] for i in range(0, len(xs), size)]


@native("std.collections", "window(xs: List[T], size: Int) -> List[List[T]]")
def window(ctx: Any, xs: list[Any], size: int) -> list[list[Any]]:
    """Every run of `size` consecutive items (sliding window, step 1); empty when `size` > len."""
    if size <= 0:
        raise ValueError(f"window: size must be positive, got {size}")
    count = max(len(xs) - size + 1, 0)
    _bounded(ctx, count, size)
    return [xs[i:i + size] for i in range(count)]


@native("std.collections", "flatten(xss: List[List[T]]) -> List[T]")
def flatten(ctx: Any, xss: list[list[Any]]) -> list[Any]:
    """The items of the inner lists, one after the other."""
    total = sum(map(len, xss))
    ctx.check_collection_len(total)
    ctx.charge_items(total + len(xss))
    return [x for xs in xss for x in xs]


@native("std.collections", "unique(xs: List[T]) -> List[T]")
def unique(ctx: Any, xs: list[Any]) -> list[Any]:
    """The items without repeats, each at its first occurrence."""
    ctx.charge_items(cost.weight(xs, ctx.items_left()))
    return list(SglSet(xs))


@native("std.collections", "permutations(xs: List[T], r: Int = -1) -> List[List[T]]")
def permutations(ctx: Any, xs: list[Any], r: int) -> list[list[Any]]:
    """Every ordering of `r` items (all of them when `r` is -1), in Python's `itertools` order."""
    r = len(xs) if r == -1 else r
    if r < 0:
        raise ValueError(f"permutations: r must be -1 or >= 0, got {r}")
    _bounded(ctx, math.perm(len(xs), r), r)
    return [list(p) for p in itertools.permutations(xs, r)]


@native("std.collections", "combinations(xs: List[T], r: Int) -> List[List[T]]")
def combinations(ctx: Any, xs: list[Any], r: int) -> list[list[Any]]:
    """Every choice of `r` items keeping their order, in Python's `itertools` order."""
    if r < 0:
        raise ValueError(f"combinations: r must not be negative, got {r}")
    _bounded(ctx, math.comb(len(xs), r), r)
    return [list(c) for c in itertools.combinations(xs, r)]


@native("std.collections", "product(xss: List[List[T]]) -> List[List[T]]")
def product(ctx: Any, xss: list[list[Any]]) -> list[list[Any]]:
    """The Cartesian product: every list taking one item from each of `xss`, first list slowest."""
    count = 1
    for xs in xss:
        count *= len(xs)
        if count > ctx.limits.collection_len:
            break
    _bounded(ctx, count, len(xss))
    return [list(p) for p in itertools.product(*xss)]


@native("std.collections", "pairs(xs: List[T], ys: List[U]) -> List[Tuple[T, U]]")
def pairs(ctx: Any, xs: list[Any], ys: list[Any]) -> list[tuple[Any, Any]]:
    """Every (x, y) with x from `xs` and y from `ys` (the product of two lists of different types)."""
    _bounded(ctx, len(xs) * len(ys), 2)
    return [(x, y) for x in xs for y in ys]


@native("std.collections", "partition(xs: List[T], pred: Fn[T, Bool]) -> Tuple[List[T], List[T]]")
def partition(ctx: Any, xs: list[Any], pred: Callable[[Any], Any]) -> tuple[list[Any], list[Any]]:
    """(items where `pred` holds, items where it does not), each in input order."""
    ctx.charge(len(xs))
    yes: list[Any] = []
    no: list[Any] = []
    for x in xs:
        (yes if pred(x) else no).append(x)
    return (yes, no)
