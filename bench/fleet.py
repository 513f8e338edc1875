"""Benchmark: a fleet of processes sharing one reasoning cache on PostgreSQL, against a folder cache (issue 14 §5).

Run:  python bench/fleet.py [--requests ../shared/data/bbh] [--library examples/bbh] [--workers 4]
                            [--postgres URL] [--per-family N] [--seed N] [--probes K] [--json]

The stream is bench/workload.py's (the same files, `--only-covered` always: the families the
library has a module for, shuffled with `--seed`), answered by the same simulated LLM
(`workload.SeglamSystem`: a perfect LLM behind the cache's `Compiler` seam, one call per module
written, one per request it answers itself). `--workers N` processes (default 4) start together
and split the stream round-robin (worker i takes rows i, i+N, ...), so the first requests of a
family reach several workers at about the same time: the cache's single flight, across
processes, decides how many LLM calls the fleet pays. The goal is one per module.

Each backend gets the same stream and the same fleet, starting empty:
- **postgres**: one fresh database (created on the server `--postgres` names, default
  `$SGL_TEST_POSTGRES`, else postgresql://postgres@127.0.0.1:5432/postgres; dropped at the end);
- **folder**: one fresh cache folder (SQLite index, file locks) shared by the same processes.

Reported per backend: LLM calls for the whole fleet (and per module), wrong answers, hit
latency p50/p99 per worker (the `ask` call, request log off as in workload.py) and over the
fleet, for every hit (a hit that waited for another worker's compile included) and for the
steady state (the hits that began after the fleet's last LLM call ended), throughput (requests per second of wall time, from the start signal to the last
answer), and propagation: `--probes K` times, one worker (in turn) stores a new family
(`ReasoningCache.add`) while the others poll `lookup` for a request only it answers; the
delay from `add` returning to each other worker's first hit (p50 and max over all
observations; negative when the hit came before `add` returned). Ratios postgres/folder close
the report. `--json` prints one object instead of markdown.

Exit codes: 0; 2 for bad input, no PostgreSQL server or no psycopg (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workload import Library, Row, SeglamSystem, UsageError, build_stream, is_correct, percentile, read_requests

REPO = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = os.environ.get("SGL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
PROBE_TIMEOUT_S = 10.0
PROBE = '''\
@when("fleet probe {tag} echoes {{n}}")
proc probe_{tag}(n: Int) -> Int:
    """The number asked, plus {k}."""
    return n + {k}

example probe_{tag}(1) == {k1}
'''


def probe(k: int) -> tuple[str, str, str, int]:
    """The k-th propagation probe: (family name, module source, a request it answers, the answer)."""
    tag = f"p{k}x{uuid.uuid4().hex[:6]}"
    return f"probe_{tag}", PROBE.format(tag=tag, k=k, k1=k + 1), f"fleet probe {tag} echoes 41", 41 + k


# ---------------------------------------------------------------- one worker


def worker(index: int, workers: int, location: str, library_dir: str, stream: list[Row],
           probes: list[tuple[str, str, str, int]], barrier: Any, results: Any) -> None:
    """Answer rows index, index+workers, ... of the stream, then take part in the probes."""
    system = SeglamSystem(Library(library_dir), location)  # type: ignore[arg-type]  # a folder or a URL
    # One (start time, µs, hit, LLM calls, module, correct) per request answered.
    out: dict[str, Any] = {"worker": index, "answers": [], "probe_misses": 0}
    library = system.llm.library
    try:
        barrier.wait()
        out["start"] = time.time()
        for row in stream[index::workers]:
            started, t0 = time.time(), time.perf_counter()
            reply = system.ask(row)
            elapsed_us = (time.perf_counter() - t0) * 1e6
            out["answers"].append((started, elapsed_us, reply.hit, reply.llm_calls, library.module_for(row.family),
                                   is_correct(reply.answer, row.target)))
        out["end"] = time.time()
        for k, (name, source, request, answer) in enumerate(probes):
            barrier.wait()
            if k % workers == index:
                time.sleep(0.2)  # the others are polling by now
                system.cache.add(source, name=name, trusted=True, note="fleet probe")
                results.put(("stored", k, time.time()))
            else:
                deadline = time.time() + PROBE_TIMEOUT_S
                while time.time() < deadline:
                    hit = system.cache.lookup(request).hit
                    if hit is not None and hit.value == answer:
                        results.put(("seen", k, time.time()))
                        break
                    time.sleep(0.001)
                else:
                    out["probe_misses"] += 1
            barrier.wait()
    finally:
        system.close()
        results.put(("worker", index, out))


# ---------------------------------------------------------------- one fleet


class FleetError(Exception):
    """The fleet could not finish (a worker died)."""



def run_fleet(location: str, library: Library, stream: list[Row], workers: int, probes: int) -> dict[str, Any]:
    """The fleet of `workers` processes on the cache at `location` (empty): the figures."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers, timeout=900)
    results = ctx.Queue()
    probe_list = [probe(k) for k in range(probes)]
    procs = [ctx.Process(target=worker, args=(i, workers, location, str(library.dir), stream, probe_list, barrier,
                                             results)) for i in range(workers)]
    for p in procs:
        p.start()
    outs: dict[int, dict[str, Any]] = {}
    stored: dict[int, float] = {}
    seen: dict[int, list[float]] = {}
    deadline = time.monotonic() + 1800
    while len(outs) < workers:
        try:
            kind, key, value = results.get(timeout=1.0)
        except queue.Empty:
            # A worker that died before it reported (its traceback is on stderr) would leave the
            # others waiting at the barrier: the fleet stops, and says so.
            dead = [i for i, p in enumerate(procs) if i not in outs and p.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                barrier.abort()
                for p in procs:
                    p.terminate()
                    p.join()
                why = f"worker {dead[0]} died (exit code {procs[dead[0]].exitcode})" if dead else "no result in 30 min"
                raise FleetError(f"the fleet stopped: {why}") from None
            continue
        if kind == "worker":
            outs[key] = value
        elif kind == "stored":
            stored[key] = value
        else:
            seen.setdefault(key, []).append(value)
    for p in procs:
        p.join()
    delays = sorted(t - stored[k] for k, ts in seen.items() for t in ts if k in stored)
    answers = [a for o in outs.values() for a in o["answers"]]
    # Steady state: the hits that began after the fleet's last LLM call had ended (no compile
    # to wait for, every module loaded in its process, or about to be).
    last_call = max((start + us / 1e6 for start, us, _, calls, _, _ in answers if calls), default=0.0)
    per_worker = []
    for i in sorted(outs):
        mine = outs[i]["answers"]
        hits = sorted(us for _, us, hit, _, _, _ in mine if hit)
        steady = sorted(us for start, us, hit, _, _, _ in mine if hit and start > last_call)
        per_worker.append({"worker": i, "requests": len(mine), "hits": len(hits),
                           "llm_calls": sum(a[3] for a in mine), "p50_us": _pct(hits, 50), "p99_us": _pct(hits, 99),
                           "steady_hits": len(steady), "steady_p50_us": _pct(steady, 50),
                           "steady_p99_us": _pct(steady, 99)})
    hits = sorted(us for _, us, hit, _, _, _ in answers if hit)
    steady = sorted(us for start, us, hit, _, _, _ in answers if hit and start > last_call)
    calls_by_module: dict[str, int] = {}
    for _, _, _, calls, module, _ in answers:
        if calls:
            calls_by_module[module] = calls_by_module.get(module, 0) + calls
    wall = max(o["end"] for o in outs.values()) - min(o["start"] for o in outs.values())
    return {
        "requests": len(answers), "llm_calls": sum(a[3] for a in answers),
        "modules": len({library.module_for(r.family) for r in stream}),
        "calls_by_module": dict(sorted(calls_by_module.items())),
        "wrong": sum(not a[5] for a in answers), "hits": len(hits),
        "p50_us": _pct(hits, 50), "p99_us": _pct(hits, 99),
        "steady_hits": len(steady), "steady_p50_us": _pct(steady, 50), "steady_p99_us": _pct(steady, 99),
        "per_worker": per_worker,
        "seconds": round(wall, 2), "throughput_rps": round(len(answers) / wall, 1) if wall > 0 else None,
        "propagation_ms": {"observations": len(delays), "missed": sum(o["probe_misses"] for o in outs.values()),
                           "p50": round(statistics.median(delays) * 1000, 1) if delays else None,
                           "max": round(max(delays) * 1000, 1) if delays else None},
    }


def _pct(sorted_values: Sequence[float], p: float) -> float | None:
    return round(percentile(sorted_values, p), 1) if sorted_values else None


# ---------------------------------------------------------------- PostgreSQL


class Database:
    """A fresh database on the server of `admin_url`, dropped on exit."""

    def __init__(self, admin_url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise UsageError("PostgreSQL needs psycopg 3: pip install 'seglam-lang[postgres]'") from None
        self.psycopg = psycopg
        self.admin_url = admin_url
        self.name = f"sgl_fleet_{uuid.uuid4().hex[:12]}"
        try:
            with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"CREATE DATABASE {self.name}")
        except psycopg.Error as e:
            raise UsageError(f"no PostgreSQL server at {admin_url}: {' '.join(str(e).split())}") from None
        parts = urllib.parse.urlsplit(admin_url)
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        with self.psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


# ---------------------------------------------------------------- report


def markdown(figs: dict[str, dict[str, Any]], workers: int) -> str:
    lines = ["| backend | requests | modules | LLM calls | wrong | hits | hit p50 / p99 µs | steady hits | "
             "steady p50 / p99 µs | wall s | requests/s | store→hit p50 / max ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, f in figs.items():
        prop = f["propagation_ms"]
        lines.append(f"| {name} | {f['requests']} | {f['modules']} | {f['llm_calls']} | {f['wrong']} | {f['hits']} | "
                     f"{f['p50_us']} / {f['p99_us']} | {f['steady_hits']} | {f['steady_p50_us']} / "
                     f"{f['steady_p99_us']} | {f['seconds']} | {f['throughput_rps']} | {prop['p50']} / {prop['max']} |")
    lines += ["", "| worker | " + " | ".join(f"{n} hit p50 / p99 µs | {n} steady p50 / p99 µs" for n in figs) + " |",
              "|---|" + "---|---|" * len(figs)]
    for i in range(workers):
        cells = [f"{w['p50_us']} / {w['p99_us']} | {w['steady_p50_us']} / {w['steady_p99_us']}"
                 for w in (f["per_worker"][i] for f in figs.values())]
        lines.append(f"| {i} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratios(figs: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    pg, folder = figs.get("postgres"), figs.get("folder")
    if not pg or not folder:
        return {}

    def ratio(key: str) -> float | None:
        a, b = pg[key], folder[key]
        return round(a / b, 2) if a is not None and b else None

    return {k: ratio(k) for k in ("p50_us", "p99_us", "steady_p50_us", "steady_p99_us", "throughput_rps",
                                  "llm_calls")}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="bench/fleet.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", nargs="+", default=[str(REPO.parent / "shared" / "data" / "bbh")], metavar="FILE",
                    help="BBH .json files, .jsonl files of {family, input, target}, or folders of them")
    ap.add_argument("--library", default=str(REPO / "examples" / "bbh"), help="folder of .sgl modules, one per family")
    ap.add_argument("--workers", type=int, default=4, help="processes in the fleet (default 4)")
    ap.add_argument("--postgres", default=DEFAULT_POSTGRES, help="URL of a PostgreSQL server's admin database")
    ap.add_argument("--backends", default="postgres,folder", help="which caches to run: postgres,folder")
    ap.add_argument("--per-family", type=int, metavar="N", help="keep only each family's first N rows")
    ap.add_argument("--seed", type=int, default=0, help="seed of the shuffle that interleaves families (default 0)")
    ap.add_argument("--probes", type=int, default=8, help="propagation probes: families stored one at a time")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.workers < 2:
            raise UsageError("--workers must be at least 2 (a fleet)")
        if args.per_family is not None and args.per_family < 1:
            raise UsageError("--per-family must be at least 1")
        backends = [b.strip() for b in args.backends.split(",") if b.strip()]
        if not backends or set(backends) - {"postgres", "folder"}:
            raise UsageError(f"--backends: postgres and/or folder, not {args.backends!r}")
        library = Library(args.library)
        rows = [row for row in read_requests(args.requests) if library.module_for(row.family)]
        stream = build_stream(rows, args.seed, args.per_family)
        if not stream:
            raise UsageError("no requests of the library's families in the given files")
        database = Database(args.postgres) if "postgres" in backends else None
    except UsageError as e:
        print(f"fleet: error: {e}", file=sys.stderr)
        return 2
    figs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="seglam-fleet-") as tmp:
        for backend in backends:
            try:
                if backend == "postgres":
                    assert database is not None
                    with database:
                        figs["postgres"] = run_fleet(database.url, library, stream, args.workers, args.probes)
                else:
                    figs["folder"] = run_fleet(str(Path(tmp) / "cache"), library, stream, args.workers, args.probes)
            except FleetError as e:
                print(f"fleet: error: {backend}: {e}", file=sys.stderr)
                return 1
    result = {"stream": {"requests": len(stream), "families": len({r.family for r in stream}), "seed": args.seed},
              "workers": args.workers, "backends": figs, "ratios_postgres_to_folder": ratios(figs)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"- stream: {len(stream)} requests of {result['stream']['families']} families, seed {args.seed}; "
              f"{args.workers} worker processes; {args.probes} propagation probes\n")
        print(markdown(figs, args.workers))
        if result["ratios_postgres_to_folder"]:
            print("\npostgres / folder: " + ", ".join(f"{k} {v}" for k, v in result["ratios_postgres_to_folder"].items()))
        for name, f in figs.items():
            print(f"\n{name}: LLM calls by module: {json.dumps(f['calls_by_module'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
