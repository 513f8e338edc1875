"""Interpreter benchmark: the same algorithms in SGL, CPython and asteval, in one run.

    python bench/interp.py [--repeat N] [--quick] [--tier tree|jit|both]

Prints, per program, the best-of-N time of each implementation and the ratios
SGL/CPython and asteval/SGL, then the median SGL/CPython ratio. Targets (issue 2):
median SGL/CPython <= 20x; every program >= 10x faster than asteval. This is a
benchmark, not a test: nothing here asserts.

Each program is written three times, as the same algorithm: SGL (run through
`seglam_lang.loads(...).call_sgl`), Python (compiled by CPython), and the same Python
text run by asteval (records are dicts there, as asteval has no classes). Every run's
result is compared with CPython's, so a fast wrong interpreter cannot win.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import seglam_lang
from seglam_lang.runtime.values import to_python


@dataclass
class Program:
    name: str
    sgl: str          # defines `proc main(n: Int) -> ...`
    python: str       # defines `def main(n)` (also run by asteval)
    n: int
    quick_n: int


PROGRAMS = [
    Program(
        "fib (recursion)",
        """
proc fib(n: Int) -> Int:
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

proc main(n: Int) -> Int:
    return fib(n)
""",
        """
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

def main(n):
    return fib(n)
""",
        24, 18,
    ),
    Program(
        "arithmetic loop",
        """
proc main(n: Int) -> Int:
    total = 0
    i = 0
    while i < n:
        if i % 3 == 0:
            total += i * 2
        else:
            total -= i // 7
        i += 1
    return total
""",
        """
def main(n):
    total = 0
    i = 0
    while i < n:
        if i % 3 == 0:
            total += i * 2
        else:
            total -= i // 7
        i += 1
    return total
""",
        300_000, 20_000,
    ),
    Program(
        "word count (dict + sort)",
        """
proc main(n: Int) -> List[Tuple[Str, Int]]:
    vocab = ["apple", "pear", "fig", "kiwi", "plum", "lime", "date", "peach", "grape", "melon", "berry"]
    words = []
    for i in range(n):
        words.append(vocab[(i * 7 + i // 3) % len(vocab)])
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
""",
        """
def main(n):
    vocab = ["apple", "pear", "fig", "kiwi", "plum", "lime", "date", "peach", "grape", "melon", "berry"]
    words = []
    for i in range(n):
        words.append(vocab[(i * 7 + i // 3) % len(vocab)])
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
""",
        100_000, 5_000,
    ),
    Program(
        "sieve (list)",
        """
proc main(n: Int) -> Int:
    flags = [True] * (n + 1)
    flags[0] = False
    flags[1] = False
    i = 2
    while i * i <= n:
        if flags[i]:
            for j in range(i * i, n + 1, i):
                flags[j] = False
        i += 1
    count = 0
    for f in flags:
        if f:
            count += 1
    return count
""",
        """
def main(n):
    flags = [True] * (n + 1)
    flags[0] = False
    flags[1] = False
    i = 2
    while i * i <= n:
        if flags[i]:
            for j in range(i * i, n + 1, i):
                flags[j] = False
        i += 1
    count = 0
    for f in flags:
        if f:
            count += 1
    return count
""",
        200_000, 10_000,
    ),
    Program(
        "string building",
        """
proc main(n: Int) -> Int:
    parts = []
    for i in range(n):
        parts.append(f"{i}:{i * i % 97}")
    s = ",".join(parts)
    out = ""
    for p in parts[:2000]:
        out += p.upper() + ";"
    return len(s) + len(out)
""",
        """
def main(n):
    parts = []
    for i in range(n):
        parts.append(f"{i}:{i * i % 97}")
    s = ",".join(parts)
    out = ""
    for p in parts[:2000]:
        out += p.upper() + ";"
    return len(s) + len(out)
""",
        50_000, 3_000,
    ),
    Program(
        "records",
        """
record Item:
    name: Str
    price: Int
    qty: Int = 1

proc total(items: List[Item]) -> Int:
    t = 0
    for it in items:
        t += it.price * it.qty
    return t

proc main(n: Int) -> Int:
    items = [Item(name=f"item{i % 10}", price=i % 50 + 1, qty=i % 4) for i in range(n)]
    cheap = [it.replace(price=it.price // 2) for it in items if it.price > 25]
    return total(items) + total(cheap) + len([it for it in items if it.name == "item3"])
""",
        """
def item(name, price, qty=1):
    return {"name": name, "price": price, "qty": qty}

def replace(it, **changes):
    d = dict(it)
    d.update(changes)
    return d

def total(items):
    t = 0
    for it in items:
        t += it["price"] * it["qty"]
    return t

def main(n):
    items = [item(name=f"item{i % 10}", price=i % 50 + 1, qty=i % 4) for i in range(n)]
    cheap = [replace(it, price=it["price"] // 2) for it in items if it["price"] > 25]
    return total(items) + total(cheap) + len([it for it in items if it["name"] == "item3"])
""",
        50_000, 3_000,
    ),
]


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def asteval_runner(p: Program, n: int) -> Callable[[], Any] | None:
    try:
        from asteval import Interpreter
    except ImportError:
        return None
    interp = Interpreter(max_time=3600)  # asteval's own time limit would cut the long programs

    interp(p.python)

    def run() -> Any:
        return interp(f"main({n})")

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small inputs (a smoke run)")
    ap.add_argument("--no-asteval", action="store_true", help="skip asteval (it is slow)")
    ap.add_argument("--tier", choices=["tree", "jit", "both"], default="both",
                    help="SGL execution tier(s) to time (spec/tiers.md); the SGL column is the last one")
    args = ap.parse_args()
    tiers = ["tree", "jit"] if args.tier == "both" else [args.tier]
    limits = seglam_lang.Limits(steps=10**9, timeout=600)
    per_tier: dict[str, list[float]] = {t: [] for t in tiers}
    print(f"{'program':26} {'CPython':>9} " + "".join(f"{'SGL ' + t:>9} {t + '/Py':>8} " for t in tiers)
          + f"{'asteval':>9} {'aste/SGL':>9}")
    for p in PROGRAMS:
        n = p.quick_n if args.quick else p.n
        ns: dict[str, Any] = {}
        exec(compile(p.python, f"<{p.name}>", "exec"), ns)
        t_py, expect = best_of(args.repeat, lambda ns=ns, n=n: ns["main"](n))
        if isinstance(expect, list):
            expect = [tuple(x) if isinstance(x, tuple) else x for x in expect]
        ok, cols = True, ""
        for tier in tiers:
            module = seglam_lang.loads(p.sgl, name=p.name, limits=limits.replace(tier=tier))
            t_sgl, got = best_of(args.repeat, lambda m=module, n=n: m.call_sgl("main", [n], {}, limits=limits))
            ok = ok and to_python(got) == expect
            per_tier[tier].append(t_sgl / t_py)
            cols += f"{t_sgl:9.4f} {t_sgl / t_py:7.1f}x "
        runner = None if args.no_asteval else asteval_runner(p, n)
        if runner is None:
            t_ast, ast_text, ratio_ast = None, "n/a" if args.no_asteval else "not installed", "-"
        else:
            t_ast, ast_result = best_of(1, runner)
            ast_text = f"{t_ast:9.4f}"
            ratio_ast = f"{t_ast / t_sgl:8.1f}x" + ("" if ast_result == expect else " (wrong)")
        print(f"{p.name:26} {t_py:9.4f} {cols}{ast_text:>9} {ratio_ast:>9}"
              + ("" if ok else f"   MISMATCH: {to_python(got)!r:.60} != {expect!r:.60}"))
    for tier in tiers:
        target = "target <= 3x, goal 1.5x" if tier == "jit" else "target <= 20x"
        print(f"median SGL/CPython, tier {tier}: {statistics.median(per_tier[tier]):.2f}x  ({target})")
    if args.no_asteval:
        print("asteval: skipped")
    if "jit" in tiers:
        translation_cost()


def translation_cost() -> None:
    """What tier-up costs at load (spec/tiers.md): translating (an empty cache) and reading the cache."""
    import os
    import tempfile

    saved = os.environ.get("SGL_PARSER_CACHE")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SGL_PARSER_CACHE"] = tmp
        try:
            first, cached = [], []
            for p in PROGRAMS:
                jit = seglam_lang.Limits(tier="jit")
                first.append(seglam_lang.loads(p.sgl, name=p.name, limits=jit).tier.seconds)
                cached.append(min(seglam_lang.loads(p.sgl, name=p.name, limits=jit).tier.seconds for _ in range(3)))
        finally:
            if saved is None:
                os.environ.pop("SGL_PARSER_CACHE")
            else:
                os.environ["SGL_PARSER_CACHE"] = saved
    print(f"tier-up per module (jit): translated {statistics.median(first) * 1000:.2f} ms, "
          f"from the cache {statistics.median(cached) * 1000:.2f} ms (medians over {len(PROGRAMS)} programs)")


if __name__ == "__main__":
    main()
