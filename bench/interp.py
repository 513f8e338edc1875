"""Interpreter benchmark: the same algorithms in SGL (both tiers), CPython and the safe
embedded languages a Python user would compare SGL with, in one run.

    python bench/interp.py [--repeat N] [--quick] [--tier tree|jit|both] [--no-asteval]
    python bench/interp.py --dump [PROGRAM]      # the Python the jit tier makes of each program
    python bench/interp.py --profile PROGRAM     # cProfile of one program on the jit tier

Peers (the `bench` extra: pip install 'seglam-lang[bench]'; each one that is not installed
is skipped with a one-line note): RestrictedPython (CPython bytecode behind guards), Starlark
(starlark-pyo3, the Rust implementation), Lua (lupa, LuaJIT when lupa has it) and asteval.

Prints, per program, CPython's best-of-N time and every implementation's time as a ratio
to it (`-`: the program cannot be written in that language, e.g. Decimal arithmetic in
Starlark or Lua), then per implementation the median ratio. Targets (issue 13): median
SGL/CPython <= 3x on the jit tier (goal 1.5x), no program slower on SGL than on
RestrictedPython, the tree tier no slower than before. A benchmark, not a test: nothing
here asserts.

Each program is the same algorithm in each language: SGL (run through
`seglam_lang.loads(...).call_sgl`), Python (compiled by CPython; the same text run by
RestrictedPython and asteval, so records are dicts there and names such as `Decimal` are
given to it, never imported), and where the language allows, Starlark and Lua. Every
run's result is compared with CPython's (tuples as lists), so a fast wrong interpreter
cannot win: a mismatch is printed.
"""

from __future__ import annotations

import argparse
import operator
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import seglam_lang
from seglam_lang.runtime.values import to_python


@dataclass
class Program:
    name: str
    sgl: str          # defines `proc main(n: Int) -> ...`
    python: str       # defines `def main(n)` (also run by RestrictedPython and asteval)
    n: int
    quick_n: int
    starlark: str | None = None  # defines `main(n)` in Starlark; None: the same text as `python`
    lua: str | None = None       # defines the global function `main(n)`; None: not written in Lua
    names: dict[str, Any] = field(default_factory=dict)  # given to the Python text (it imports nothing)
    no_starlark: bool = False    # the program cannot be written in Starlark (e.g. Decimal)


# The body of "string slicing + dicts": the same text in SGL, Python and Starlark.
SLICING = """    text = "the quick brown fox jumps over the lazy dog and runs far away from the farm"
    grams = {}
    index = {}
    for i in range(n):
        k = i % (len(text) - 3)
        g = text[k:k + 3]
        grams[g] = grams.get(g, 0) + 1
        w = text[k:][:5].strip()
        if w not in index:
            index[w] = []
        index[w].append(k)
    rev = {v[::-1]: c for v, c in grams.items() if c > 1}
    best = ""
    top = 0
    for g, c in sorted(rev.items()):
        if c > top:
            top = c
            best = g
    total = 0
    for v in index.values():
        total += len(v)
    return (len(grams), total, best + text[-4:].upper())
"""

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
        lua="""
local function fib(n)
    if n < 2 then return n end
    return fib(n - 1) + fib(n - 2)
end
function main(n) return fib(n) end
""",
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
        starlark="""
def main(n):
    total = 0
    for i in range(n):
        if i % 3 == 0:
            total += i * 2
        else:
            total -= i // 7
    return total
""",
        lua="""
function main(n)
    local total, i = 0, 0
    while i < n do
        if i % 3 == 0 then total = total + i * 2 else total = total - math.floor(i / 7) end
        i = i + 1
    end
    return total
end
""",
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
        lua="""
function main(n)
    local vocab = {"apple", "pear", "fig", "kiwi", "plum", "lime", "date", "peach", "grape", "melon", "berry"}
    local words = {}
    for i = 0, n - 1 do words[#words + 1] = vocab[(i * 7 + math.floor(i / 3)) % #vocab + 1] end
    local counts = {}
    for _, w in ipairs(words) do counts[w] = (counts[w] or 0) + 1 end
    local items = {}
    for w, c in pairs(counts) do items[#items + 1] = {w, c} end
    table.sort(items, function(a, b) if a[2] ~= b[2] then return a[2] > b[2] end return a[1] < b[1] end)
    return items
end
""",
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
        starlark="""
def main(n):
    flags = [True] * (n + 1)
    flags[0] = False
    flags[1] = False
    for i in range(2, n + 1):
        if i * i > n:
            break
        if flags[i]:
            for j in range(i * i, n + 1, i):
                flags[j] = False
    count = 0
    for f in flags:
        if f:
            count += 1
    return count
""",
        lua="""
function main(n)
    local flags = {}
    for k = 0, n do flags[k] = true end
    flags[0], flags[1] = false, false
    local i = 2
    while i * i <= n do
        if flags[i] then for j = i * i, n, i do flags[j] = false end end
        i = i + 1
    end
    local count = 0
    for k = 0, n do if flags[k] then count = count + 1 end end
    return count
end
""",
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
        parts.append("%d:%d" % (i, i * i % 97))
    s = ",".join(parts)
    out = ""
    for p in parts[:2000]:
        out += p.upper() + ";"
    return len(s) + len(out)
""",
        50_000, 3_000,
        lua="""
function main(n)
    local parts = {}
    for i = 0, n - 1 do parts[#parts + 1] = i .. ":" .. (i * i % 97) end
    local s = table.concat(parts, ",")
    local out = ""
    for k = 1, math.min(2000, #parts) do out = out .. string.upper(parts[k]) .. ";" end
    return #s + #out
end
""",
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
    items = [item(name="item%d" % (i % 10), price=i % 50 + 1, qty=i % 4) for i in range(n)]
    cheap = [replace(it, price=it["price"] // 2) for it in items if it["price"] > 25]
    return total(items) + total(cheap) + len([it for it in items if it["name"] == "item3"])
""",
        50_000, 3_000,
        lua="""
local function total(items)
    local t = 0
    for _, it in ipairs(items) do t = t + it.price * it.qty end
    return t
end
function main(n)
    local items = {}
    for i = 0, n - 1 do items[#items + 1] = {name = "item" .. (i % 10), price = i % 50 + 1, qty = i % 4} end
    local cheap = {}
    for _, it in ipairs(items) do
        if it.price > 25 then cheap[#cheap + 1] = {name = it.name, price = math.floor(it.price / 2), qty = it.qty} end
    end
    local c3 = 0
    for _, it in ipairs(items) do if it.name == "item3" then c3 = c3 + 1 end end
    return total(items) + total(cheap) + c3
end
""",
    ),
    Program(
        "records + Decimal",
        """
record Line:
    sku: Str
    price: Decimal
    qty: Int
    rate: Decimal = Decimal("0.20")

proc line_total(l: Line) -> Decimal:
    net = l.price * l.qty
    return round(net + net * l.rate, 2)

proc main(n: Int) -> Decimal:
    lines = [Line(sku=f"s{i % 7}", price=Decimal(i % 40 + 1) / Decimal(8), qty=i % 5 + 1,
                  rate=Decimal("0.05") if i % 3 == 0 else Decimal("0.20")) for i in range(n)]
    total = Decimal("0")
    by_sku = {}
    for l in lines:
        t = line_total(l)
        total += t
        by_sku[l.sku] = by_sku.get(l.sku, Decimal("0")) + t
    discounted = [l.replace(price=round(l.price * Decimal("0.9"), 2)) for l in lines if l.qty > 3]
    extra = Decimal("0")
    for l in discounted:
        extra += line_total(l)
    return total + extra + max(by_sku.values())
""",
        """
def line(sku, price, qty, rate=Decimal("0.20")):
    return {"sku": sku, "price": price, "qty": qty, "rate": rate}

def line_total(l):
    net = l["price"] * l["qty"]
    return round(net + net * l["rate"], 2)

def main(n):
    lines = [line(sku=f"s{i % 7}", price=Decimal(i % 40 + 1) / Decimal(8), qty=i % 5 + 1,
                  rate=Decimal("0.05") if i % 3 == 0 else Decimal("0.20")) for i in range(n)]
    total = Decimal("0")
    by_sku = {}
    for l in lines:
        t = line_total(l)
        total += t
        by_sku[l["sku"]] = by_sku.get(l["sku"], Decimal("0")) + t
    discounted = []
    for l in lines:
        if l["qty"] > 3:
            d = dict(l)
            d["price"] = round(l["price"] * Decimal("0.9"), 2)
            discounted.append(d)
    extra = Decimal("0")
    for l in discounted:
        extra += line_total(l)
    return total + extra + max(by_sku.values())
""",
        30_000, 2_000,
        names={"Decimal": Decimal},
        no_starlark=True,  # Starlark and Lua have no decimal numbers
    ),
    Program(
        "string slicing + dicts",
        "\nproc main(n: Int) -> Tuple[Int, Int, Str]:\n" + SLICING,
        "\ndef main(n):\n" + SLICING,
        100_000, 5_000,
        lua="""
function main(n)
    local text = "the quick brown fox jumps over the lazy dog and runs far away from the farm"
    local grams, index, ngrams = {}, {}, 0
    for i = 0, n - 1 do
        local k = i % (#text - 3)
        local g = string.sub(text, k + 1, k + 3)
        if grams[g] == nil then ngrams = ngrams + 1; grams[g] = 0 end
        grams[g] = grams[g] + 1
        local w = string.match(string.sub(text, k + 1, k + 5), "^%s*(.-)%s*$")
        local list = index[w]
        if list == nil then list = {}; index[w] = list end
        list[#list + 1] = k
    end
    local rev, keys = {}, {}
    for v, c in pairs(grams) do if c > 1 then rev[string.reverse(v)] = c end end
    for g in pairs(rev) do keys[#keys + 1] = g end
    table.sort(keys)
    local best, top = "", 0
    for _, g in ipairs(keys) do if rev[g] > top then top = rev[g]; best = g end end
    local total = 0
    for _, v in pairs(index) do total = total + #v end
    return {ngrams, total, best .. string.upper(string.sub(text, -4))}
end
""",
    ),
]


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def plain(value: Any) -> Any:
    """A result in the one form every language can give: tuples as lists, Lua tables as lists."""
    if isinstance(value, (list, tuple)):
        return [plain(x) for x in value]
    if type(value).__name__ == "_LuaTable":
        return [plain(x) for x in value.values()]
    if isinstance(value, float) and value.is_integer():  # LuaJIT's numbers are doubles
        return int(value)
    return value


# ---------------------------------------------------------------- the peers
# Each `runner(p, n)` gives a function that runs `main(n)`, or None when the program cannot be
# written in that language; `peer()` says why a peer is skipped (not installed) or None.

_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "//=": operator.ifloordiv,
            "/=": operator.itruediv, "%=": operator.imod}


def restricted_runner(p: Program, n: int) -> Callable[[], Any] | None:
    """The Python text compiled by RestrictedPython and run behind its standard guards, with
    the builtins the programs use (its `safe_builtins` lacks `sum`, `list`, `dict`...; its
    `limited_builtins` would cap `range` at 1,000 items)."""
    from RestrictedPython import compile_restricted, safe_builtins
    from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
    from RestrictedPython.Guards import (
        full_write_guard,
        guarded_iter_unpack_sequence,
        guarded_unpack_sequence,
        safer_getattr,
    )

    more = {f.__name__: f for f in (sum, min, max, sorted, list, tuple, dict, set, enumerate, reversed, any, all)}
    env = {"__builtins__": {**safe_builtins, **more}, "_getattr_": safer_getattr,
           "_getitem_": default_guarded_getitem, "_getiter_": default_guarded_getiter, "_write_": full_write_guard,
           "_inplacevar_": lambda op, x, y: _INPLACE[op](x, y), "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
           "_unpack_sequence_": guarded_unpack_sequence, **p.names}
    exec(compile_restricted(p.python, f"<{p.name}>", "exec"), env)
    main = env["main"]
    return lambda: main(n)


def starlark_runner(p: Program, n: int) -> Callable[[], Any] | None:
    """The Starlark text (else the Python text, which most programs already are) with `main(n)`
    as its last expression, evaluated in a fresh module each run (extended dialect: lambdas;
    Starlark's f-strings take names only, so the Python texts format with `%`)."""
    if p.no_starlark:
        return None
    import starlark as sl

    ast = sl.parse(f"{p.name}.star", (p.starlark or p.python) + f"\nmain({n})\n", sl.Dialect.extended())
    globals_ = sl.Globals.standard()
    return lambda: sl.eval(sl.Module(), ast, globals_)


def lua_runner(p: Program, n: int) -> Callable[[], Any] | None:
    if p.lua is None:
        return None
    lua = _lua_module().LuaRuntime()
    lua.execute(p.lua)
    main = lua.globals().main
    return lambda: main(n)


def _lua_module() -> Any:
    """LuaJIT when this lupa has it, else its default Lua."""
    try:
        from lupa import luajit21 as lua
    except ImportError:
        import lupa as lua
    return lua


def asteval_runner(p: Program, n: int) -> Callable[[], Any] | None:
    from asteval import Interpreter

    interp = Interpreter(max_time=3600, usersyms=dict(p.names))  # its own time limit would cut the long programs
    interp(p.python)
    return lambda: interp(f"main({n})")


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


PEERS: dict[str, tuple[str, str, Callable[[Program, int], Callable[[], Any] | None]]] = {
    # column -> (name, module that must be importable, runner)
    "RPy": ("RestrictedPython", "RestrictedPython", restricted_runner),
    "Star": ("Starlark (starlark-pyo3)", "starlark", starlark_runner),
    "Lua": ("Lua (lupa)", "lupa", lua_runner),
    "aste": ("asteval", "asteval", asteval_runner),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small inputs (a smoke run)")
    ap.add_argument("--no-asteval", action="store_true", help="skip asteval (it is slow)")
    ap.add_argument("--tier", choices=["tree", "jit", "both"], default="both",
                    help="SGL execution tier(s) to time (spec/tiers.md)")
    ap.add_argument("--dump", nargs="?", const="", metavar="PROGRAM",
                    help="print the generated Python of the programs (whose name contains PROGRAM) and exit")
    ap.add_argument("--profile", metavar="PROGRAM", help="cProfile the program whose name contains PROGRAM "
                    "(jit tier) and exit")
    args = ap.parse_args()
    if args.dump is not None or args.profile is not None:
        inspect(args.dump if args.dump is not None else args.profile, args.profile is not None, args.quick)
        return
    tiers = ["tree", "jit"] if args.tier == "both" else [args.tier]
    limits = seglam_lang.Limits(steps=10**9, timeout=600)
    peers = {}
    for col, (name, module, runner) in PEERS.items():
        if col == "aste" and args.no_asteval:
            print(f"{name}: skipped (--no-asteval)")
        elif not _installed(module):
            print(f"{name}: not installed, skipped (pip install 'seglam-lang[bench]')")
        else:
            peers[col] = runner
    if "Lua" in peers:
        print(f"Lua: {_lua_module().LuaRuntime().eval('_VERSION')} "
              f"({'LuaJIT' if 'luajit' in _lua_module().__name__ else 'no JIT'}); Starlark, Lua: '-' where the "
              "program cannot be written in the language")
    columns = [f"sgl-{t}" for t in tiers] + list(peers)
    ratios: dict[str, list[float]] = {c: [] for c in columns}
    slower_than_rpy: dict[str, list[str]] = {t: [] for t in tiers}
    print(f"\n{'program':26} {'CPython':>9}  " + "".join(f"{c + '/Py':>12}" for c in columns))
    for p in PROGRAMS:
        n = p.quick_n if args.quick else p.n
        ns: dict[str, Any] = dict(p.names)
        exec(compile(p.python, f"<{p.name}>", "exec"), ns)
        t_py, expect = best_of(args.repeat, lambda ns=ns, n=n: ns["main"](n))
        expect = plain(expect)
        times: dict[str, float | None] = {}
        wrong: list[str] = []
        for tier in tiers:
            module = seglam_lang.loads(p.sgl, name=p.name, limits=limits.replace(tier=tier))
            times[f"sgl-{tier}"], got = best_of(args.repeat, lambda m=module, n=n: m.call_sgl("main", [n], {},
                                                                                               limits=limits))
            if plain(to_python(got)) != expect:
                wrong.append(f"sgl-{tier}")
        for col, runner in peers.items():
            run = runner(p, n)
            if run is None:
                times[col] = None
                continue
            times[col], got = best_of(1 if col == "aste" else args.repeat, run)
            if plain(got) != expect:
                wrong.append(col)
        cells = ""
        for c in columns:
            t = times[c]
            if t is None:
                cells += f"{'-':>12}"
            else:
                ratios[c].append(t / t_py)
                cells += f"{t / t_py:11.2f}x"
        print(f"{p.name:26} {t_py:8.4f}s  {cells}" + (f"   WRONG RESULT: {', '.join(wrong)}" if wrong else ""))
        for tier in tiers:
            if times.get("RPy") is not None and times[f"sgl-{tier}"] > times["RPy"]:  # type: ignore[operator]
                slower_than_rpy[tier].append(p.name)
    print(f"{'median':26} {'':>9}  " + "".join(f"{statistics.median(ratios[c]):11.2f}x" if ratios[c] else f"{'-':>12}"
                                            for c in columns))
    for tier in tiers:
        target = "target <= 3x, goal 1.5x" if tier == "jit" else "the tree-walker: no slower than before"
        line = f"median SGL/CPython, tier {tier}: {statistics.median(ratios[f'sgl-{tier}']):.2f}x  ({target})"
        if "RPy" in peers:
            slow = slower_than_rpy[tier]
            line += f"; slower than RestrictedPython on {len(slow)} of {len(PROGRAMS)}" + (f" ({', '.join(slow)})"
                                                                                          if slow else "")
        print(line)
    if "jit" in tiers:
        translation_cost()


def inspect(name: str, profile: bool, quick: bool) -> None:
    """What the jit tier runs for the programs whose name contains `name`: the generated source
    (`jit.generated_source`), or a cProfile of one run (the top 15 functions by own time)."""
    import cProfile
    import pstats

    from seglam_lang.runtime.jit import generated_source

    chosen = [p for p in PROGRAMS if name in p.name]
    if not chosen:
        sys.exit(f"no program matches {name!r}; the programs: {', '.join(p.name for p in PROGRAMS)}")
    for p in chosen:
        module = seglam_lang.loads(p.sgl, name=p.name, limits=seglam_lang.Limits(tier="jit"))
        print(f"# ---- {p.name}")
        if not profile:
            print(generated_source(module._compiled))
            continue
        limits = seglam_lang.Limits(steps=10**9, timeout=600)
        n = p.quick_n if quick else p.n
        prof = cProfile.Profile()
        prof.runcall(module.call_sgl, "main", [n], {}, limits=limits)
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)


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
