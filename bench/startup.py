"""Start-up benchmark: wall time of the product's fast paths, as whole processes.

Measures, in one run and interleaved (so machine load hits every command alike):
- the baseline: `python -c "import sqlite3, json"` (a Python process that opens a database
  and reads JSON: the least a cache hit can cost);
- `sgl exec` on a small file, and `sgl ask` answering from a cache (a hit, on a copy of
  `examples/cache`), each through the `sgl` command (the lean path of `seglam_lang.cli.lean`)
  and through the full click command line (`seglam_lang.cli.main`, what every other command
  line takes; what both took before the lean path).
Prints the median and p90 wall time of each, and its ratio to the baseline. Target (issue
13): `sgl ask` on a hit and `sgl exec` of a small file each <= 4x the baseline.

Every command runs with bytecode caching on (`PYTHONDONTWRITEBYTECODE` removed from its
environment; the warm-up run writes the .pyc files): `pip install .` byte-compiles the
package, so a user's process reads bytecode, while compiling some 70 modules from source on
every run would more than double the figures.

With `--before DIR` (a checkout of an earlier commit, e.g. `git worktree add /tmp/before
COMMIT`), the same two commands are also timed with that checkout's package (its `sgl`
entry point, `seglam_lang.cli.run`): before and after, in one run.

A hit and an exec of a file run before read the module's image (`runtime.jit.image`): the
warm-up run below writes it, as a user's first run would.

Usage: python bench/startup.py [--runs N] [--json] [--before DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SMALL = "proc main() -> Int:\n    return sum(i * i for i in range(10))\n"
REQUEST = "How many days between 2024-01-03 and 2024-03-05?"


TARGET = 4.0
CLICK = [sys.executable, "-c", "import sys; sys.argv[0] = 'sgl'; from seglam_lang.cli import main; main()"]


def _sgl() -> list[str]:
    exe = shutil.which("sgl", path=os.path.dirname(sys.executable)) or shutil.which("sgl")
    return [exe] if exe else [sys.executable, "-c", "from seglam_lang.cli import run; run()"]


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(cmd: list[str], expect: str, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env or ENV)
    elapsed = time.perf_counter() - start
    if out.returncode != 0 or out.stdout.strip() != expect:
        raise SystemExit(f"{' '.join(cmd)} failed: {out.returncode} {out.stdout!r} {out.stderr!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--before", metavar="DIR", help="also time a checkout of an earlier commit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small.sgl"
        small.write_text(SMALL)
        cache = Path(tmp) / "cache"
        shutil.copytree(REPO / "examples" / "cache", cache)
        commands: dict[str, tuple[list[str], str, dict[str, str] | None]] = {
            'baseline: python -c "import sqlite3, json"': ([sys.executable, "-c", "import sqlite3, json"], "", None),
            "sgl exec small.sgl": ([*_sgl(), "exec", str(small)], "285", None),
            "sgl ask (cache hit)": ([*_sgl(), "ask", REQUEST, "--cache", str(cache)], "62", None),
            "  the same exec, full click path": ([*CLICK, "exec", str(small)], "285", None),
            "  the same ask, full click path": ([*CLICK, "ask", REQUEST, "--cache", str(cache)], "62", None),
        }
        if args.before:
            # PYTHONSAFEPATH: `python -c` would put the working directory first on sys.path, and
            # run from the repository that is this checkout's package, not the earlier one.
            env = {**ENV, "PYTHONPATH": str(Path(args.before).resolve()), "PYTHONSAFEPATH": "1"}
            old_cache = Path(tmp) / "old-cache"  # its own copy: an older index may differ in schema
            shutil.copytree(REPO / "examples" / "cache", old_cache)
            run = [sys.executable, "-c", "import sys; sys.argv[0] = 'sgl'; from seglam_lang.cli import run; run()"]
            commands["  exec, --before checkout"] = ([*run, "exec", str(small)], "285", env)
            commands["  ask, --before checkout"] = ([*run, "ask", REQUEST, "--cache", str(old_cache)], "62", env)
        for cmd, expect, env in commands.values():  # warm the OS cache and SGL's parse caches
            _time(cmd, expect, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (cmd, expect, env) in commands.items():
                times[name].append(_time(cmd, expect, env))
    base = statistics.median(next(iter(times.values())))
    rows = {}
    for name, ts in times.items():
        ts.sort()
        rows[name] = {
            "median_ms": round(statistics.median(ts) * 1000, 1),
            "p90_ms": round(ts[int(0.9 * (len(ts) - 1))] * 1000, 1),
            "ratio_to_baseline": round(statistics.median(ts) / base, 2),
        }
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'command':<44} {'median':>9} {'p90':>9} {'x baseline':>11}")
    for name, r in rows.items():
        print(f"{name:<44} {r['median_ms']:>7.1f}ms {r['p90_ms']:>7.1f}ms {r['ratio_to_baseline']:>10.2f}x")
    for name in ("sgl exec small.sgl", "sgl ask (cache hit)"):
        ratio = rows[name]["ratio_to_baseline"]
        print(f"{name}: {ratio:.2f}x baseline (target <= {TARGET:.0f}x: {'met' if ratio <= TARGET else 'NOT met'})")
    print(f"load average: {os.getloadavg()[0]:.2f} (ratios are the figure to compare across machines)")


if __name__ == "__main__":
    main()
