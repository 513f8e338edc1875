"""Benchmark: reasoning-cache hit and miss latency at 10, 1,000 and 10,000 procedures.

Not a timed test. Run:  python bench/cache_latency.py [--sizes 10,1000,10000] [--dir DIR]

What it does:
- fills one cache per size with distinct procedure families generated from word lists:
  five template shapes (a plain question, optional words and alternatives, a unit
  phrase, a list slot, a regex trigger) over 50 quantity nouns x 40 subjects, each family
  a small real proc (its own constant, a `require`, an example);
- modules are added through the *trusted bulk path* (`ReasoningCache.add(...,
  trusted=True)`): each is still parsed, type-checked and its examples run, and stored
  atomically with its index entry, but its properties are not run by Hypothesis (none
  of these modules has properties). The output says so;
- measures, in one process with modules already loaded (the steady state of a host
  app): hit latency = match + slot reading + run (`Matcher.find`), miss latency (a
  request of a known shape about an unknown subject, and an unrelated sentence), and
  the full `ReasoningCache.ask` with and without the request log write;
- prints p50/p99 per size and the ratio p50@largest / p50@smallest.

Targets: hit p50 <= 100 µs at 10,000 procedures, and within 2x of the p50 at 10 (issue 5);
`ask` p50 <= 20 µs at 10,000 procedures with the request log on (issue 13: the log is
written in batches off the answer's path, `seglam_lang.cache.request_log`; the figure is taken
over 3 x BATCH_ROWS requests, so that the log's writer thread wakes during it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from seglam_lang.cache import CacheMiss, ReasoningCache
from seglam_lang.cache.request_log import BATCH_ROWS

NOUNS = """area perimeter volume weight cost price tax discount margin speed distance rent salary bonus score
rating yield dose capacity density pressure voltage power energy mileage calories protein interest deposit
premium refund fee tip budget revenue profit loss stock inventory population growth rainfall temperature
humidity altitude depth length width height insurance""".split()
SUBJECTS = """apartment bakery bicycle boiler bridge cabin canal cargo carpet cellar chimney clinic compost
ferry garden glacier greenhouse harbour kiln library lighthouse meadow orchard pantry pasture quarry
reservoir sawmill schooner silo stable tannery terrace trawler tunnel vineyard warehouse windmill workshop
aquarium""".split()
assert len(NOUNS) == 50 and len(SUBJECTS) == 40, (len(NOUNS), len(SUBJECTS))


def family(i: int) -> tuple[str, str, callable]:  # type: ignore[valid-type]
    """(name, source, request maker) of family number i (0 <= i < 10,000)."""
    shape, noun, subject = i % 5, NOUNS[(i // 5) % 50], SUBJECTS[i // 250]
    k = i + 1
    name = f"{noun}_{subject}_{shape}"
    if shape == 0:
        src = (f'@when("what is the {noun} of the {subject} for {{x}}")\n'
               f"proc {name}(x: Int) -> Int:\n"
               f'    """The {noun} of the {subject}."""\n'
               f'    require x >= 0, "x must not be negative"\n'
               f"    return x * {k} + {len(subject)}\n\n"
               f"example {name}(1) == {k + len(subject)}\n")
        return name, src, lambda r: f"What is the {noun} of the {subject} for {r.randint(0, 10**6)}?"
    if shape == 1:
        src = (f'@when("[please] (compute|calculate) the {noun} [of the {subject}] for {subject} {{a}} and {{b}}")\n'
               f"proc {name}(a: Decimal, b: Decimal) -> Decimal:\n"
               f"    return round(a * b + Decimal({k}), 2)\n\n"
               f'example {name}(Decimal("1.5"), Decimal("2")) == Decimal("{k + 3}.00")\n')
        return name, src, lambda r: f"please calculate the {noun} for {subject} {r.randint(1, 999)}.25 and {r.randint(1, 99)}%"
    if shape == 2:
        src = (f'@when("how much {noun} does a {subject} need for {{days}} days")\n'
               f"proc {name}(days: Int) -> Int:\n"
               f'    require days > 0, "days must be positive"\n'
               f"    return days * {k}\n\n"
               f"example {name}(2) == {2 * k}\n")
        return name, src, lambda r: f"How much {noun} does a {subject} need for {r.randint(1, 365)} days?"
    if shape == 3:
        src = (f'@when("total {noun} of {subject} items {{xs}}")\n'
               f"proc {name}(xs: List[Int]) -> Int:\n"
               f"    return sum(xs) + {k}\n\n"
               f"example {name}([1, 2]) == {3 + k}\n")
        return name, src, lambda r: f"total {noun} of {subject} items {', '.join(str(r.randint(1, 99)) for _ in range(4))} and 5"
    src = (f'@when(re"(?i){subject} {noun} report for (?P<year>[0-9]{{4}})")\n'
           f"proc {name}(year: Int) -> Str:\n"
           f'    return f"{subject} {noun} {{year}}: {k}"\n\n'
           f'example {name}(2024) == "{subject} {noun} 2024: {k}"\n')
    return name, src, lambda r: f"{subject.capitalize()} {noun} report for {r.randint(1990, 2030)}"


def fill(cache: ReasoningCache, n: int) -> float:
    have = {f.name for f in cache.ls()}
    t0 = time.perf_counter()
    for i in range(n):
        name, src, _ = family(i)
        if name not in have:
            cache.add(src, name=name, trusted=True, note="bench bulk path")
        if (i + 1) % 1000 == 0:
            print(f"    ... {i + 1:,} / {n:,} added ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return time.perf_counter() - t0


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s), s[min(len(s) - 1, int(len(s) * 0.99))]


def measure(cache: ReasoningCache, n: int, rng: random.Random, requests: int,
            clock: Callable[[], float] = time.perf_counter) -> dict[str, tuple[float, float]]:
    makers = [family(i)[2] for i in rng.sample(range(n), min(n, 400))]
    hits = [rng.choice(makers)(rng) for _ in range(requests)]
    misses = [f"What is the {rng.choice(NOUNS)} of the spaceship for {rng.randint(1, 99)}?" for _ in range(requests // 2)]
    misses += [f"tell me a story about {rng.choice(SUBJECTS)} number {i}" for i in range(requests // 2)]
    cache.lookup(hits[0])
    matcher = cache.hot_path.matcher  # the in-memory index after the refresh `lookup` did
    for text in hits:  # warm: load each module once (a host app's steady state)
        out = matcher.find(text)
        assert out.hit is not None, (text, out.rejected)
    for text in misses:
        assert matcher.find(text).hit is None, text
    result = {}
    for label, texts in (("hit", hits), ("miss", misses)):
        samples = []
        for text in texts:
            t0 = clock()
            matcher.find(text)
            samples.append((clock() - t0) * 1e6)
        result[label] = percentiles(samples)
    # With the log on, enough requests that its writer wakes several times (every BATCH_ROWS
    # rows): what the writer takes from the answering thread is part of the figure.
    logged = max(requests // 2, 3 * BATCH_ROWS)
    for label, log, texts in (("ask", False, hits[: requests // 2]),
                              ("ask+log", True, [hits[i % len(hits)] for i in range(logged)])):
        cache.log_requests = log
        samples = []
        for text in texts:
            t0 = clock()
            cache.ask(text)
            samples.append((clock() - t0) * 1e6)
        result[label] = percentiles(samples)
    cache.log_requests = False
    try:
        cache.ask(misses[0])
    except CacheMiss:
        pass
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--dir", default=None, help="keep the filled caches here (re-runs skip filling)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall: time.perf_counter; cpu: this thread's CPU time (time.thread_time), which a "
                             "loaded machine's other processes do not inflate (the request log's writer thread "
                             "is then not counted)")
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.thread_time
    sizes = [int(s) for s in args.sizes.split(",")]
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="sgl-cache-bench-"))
    print(f"SEGLAM reasoning cache latency (µs of {'wall-clock' if args.clock == 'wall' else 'thread CPU'} time; "
          "in-process, modules loaded)")
    print("modules added through the trusted bulk path: parsed, checked, examples run; no Hypothesis properties")
    rows = {}
    for n in sizes:
        cache = ReasoningCache(base / f"cache_{n}", log_requests=False)
        seconds = fill(cache, n)
        res = measure(cache, n, random.Random(args.seed), args.requests, clock)
        rows[n] = res
        print(f"{n:>6,} procedures (filled in {seconds:6.1f} s): "
              + "  ".join(f"{k} p50 {v[0]:7.1f} p99 {v[1]:8.1f}" for k, v in res.items()))
        cache.close()
    lo, hi = min(sizes), max(sizes)
    ratio = rows[hi]["hit"][0] / rows[lo]["hit"][0]
    print(f"hit p50 @{hi:,} / p50 @{lo:,} = {ratio:.2f}  (target <= 2.0; hit p50 @{hi:,} target <= 100 µs: "
          f"{'met' if rows[hi]['hit'][0] <= 100 else 'NOT met'})")
    logged = rows[hi]["ask+log"][0]
    print(f"ask+log p50 @{hi:,} = {logged:.1f} µs (target <= 20 µs: {'met' if logged <= 20 else 'NOT met'}); "
          f"the log costs {logged - rows[hi]['ask'][0]:+.1f} µs at p50; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
