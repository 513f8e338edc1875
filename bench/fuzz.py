"""Fuzz run outside CI: many generated programs and mutated sources, looking for crashes and
differences from CPython.

Two streams, each reproducible by its seed range:
- `programs`: `random_program(Random(seed))` (tests/strategies/program_strategies.py), run by SGL
  and by CPython with the differential battery's own oracle (tests/runtime/test_differential.py:
  `run_sgl`, `assert_agree`); a difference or an internal error (E0399) is a finding;
- `sources`: every `.sgl` file of the repository, mutated by deleting, duplicating or swapping
  random byte ranges and by inserting random tokens; parse + check + load must end in a value
  or an `SglError` (never another exception, never a hang).
Prints counts per outcome, the seeds of findings (rerun one with `--seeds N:N+1 -v`), and
the rate. Exit status 1 when there is a finding.

Usage: python bench/fuzz.py [--stream programs|sources] [--seeds A:B] [--jobs N] [-v]
Parsed modules are cached on disk (`$SGL_PARSER_CACHE`): point it at a scratch folder for a
long `sources` run, or every mutant stays there.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "runtime")]

TOKENS = ("(", ")", "[", "]", ":", "\n", "    ", "proc ", "return ", "require ", "@when(\"{x}\")\n", "**", "\u2028",
          "\"", "'", "re\"", "f\"{", "}", "lambda x: ", "for x in ", "if ", "not ", "1" * 400, "[" * 300, "#")


def run_program(seed: int) -> tuple[str, int, str]:
    from strategies.program_strategies import random_program
    from test_differential import assert_agree, run_sgl

    source = random_program(random.Random(seed))
    try:
        sgl = run_sgl(source)
        if sgl.kind in ("value", "error"):
            assert_agree(source, sgl)
        return sgl.kind, seed, ""
    except AssertionError as e:
        return "DIFFERENCE", seed, str(e)[:2000]
    except Exception as e:  # anything but an SGL error escaping is a crash
        return "CRASH", seed, f"{type(e).__name__}: {e}"[:2000]


def _corpus() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(REPO.rglob("*.sgl")) if ".venv" not in p.parts]


def mutate(source: str, rng: random.Random) -> str:
    text = source
    for _ in range(rng.randint(1, 4)):
        if not text:
            break
        i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        op = rng.randrange(4)
        if op == 0:
            text = text[:i] + text[j:]
        elif op == 1:
            text = text[:j] + text[i:j] + text[j:]
        elif op == 2:
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        else:
            k = rng.randrange(len(text) + 1)
            text = text[:i] + text[k:] + text[i:k] if k > i else text
    return text


_CORPUS: list[str] = []


def run_source(seed: int) -> tuple[str, int, str]:
    import seglam_lang
    from seglam_lang import Limits, SglError

    if not _CORPUS:
        _CORPUS.extend(_corpus())
    rng = random.Random(seed)
    source = mutate(rng.choice(_CORPUS), rng)
    try:
        seglam_lang.loads(source, name="fuzzed", limits=Limits(steps=20_000, timeout=1.0))
        return "loaded", seed, ""
    except SglError as e:
        code = e.diagnostic.code if hasattr(e, "diagnostic") else ""
        if code == "E0399":
            return "CRASH", seed, str(e)[:2000]
        return "rejected", seed, ""
    except Exception as e:
        return "CRASH", seed, f"{type(e).__name__}: {e}"[:2000]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stream", choices=("programs", "sources"), default="programs")
    parser.add_argument("--seeds", default="0:10000", help="a range A:B of seeds")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("-v", "--verbose", action="store_true", help="print each finding in full")
    args = parser.parse_args(argv)
    a, b = (int(x) for x in args.seeds.split(":"))
    work = run_program if args.stream == "programs" else run_source
    counts: Counter[str] = Counter()
    findings: list[tuple[str, int, str]] = []
    start = time.perf_counter()
    with multiprocessing.Pool(args.jobs, maxtasksperchild=2000) as pool:
        for kind, seed, detail in pool.imap_unordered(work, range(a, b), chunksize=64):
            counts[kind] += 1
            if kind in ("DIFFERENCE", "CRASH"):
                findings.append((kind, seed, detail))
    elapsed = time.perf_counter() - start
    n = b - a
    print(f"{args.stream}: {n} inputs (seeds {a}:{b}) in {elapsed:.0f} s ({n / elapsed:.0f}/s)")
    for kind, count in sorted(counts.items()):
        print(f"  {kind:<11} {count:>8}")
    for kind, seed, detail in sorted(findings, key=lambda f: f[1])[:20]:
        print(f"{kind} seed {seed}" + (f"\n{detail}\n" if args.verbose else f": {detail.splitlines()[0][:160]}"))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
