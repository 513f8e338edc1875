"""Benchmark: what a cache of 10,000 and 100,000 families costs: index sizes, matcher memory per process, hit latency.

Run:  python bench/scale.py [--sizes 10000,100000] [--postgres URL] [--backends folder,postgres] [--json]

For each size N it fills one cache per backend with N distinct families, then opens each in
a fresh process and measures what every process of a fleet pays:
- **index size**: the folder's `index.sqlite` (families, versions, triggers) and the bytes of
  the `.sgl` sources (a folder keeps each twice, `procedures/` and `history/`: 2N files), and
  the PostgreSQL tables with their indexes (`pg_total_relation_size`; the sources live in
  `versions`);
- **matcher memory per process**: the resident memory a process gains when it first
  refreshes (reads every family and trigger row and builds the in-memory trigger index),
  and what `tracemalloc` counts for it; and how long that refresh takes (every process
  repeats it when the index changes);
- **hit latency**: p50/p99 of the matcher (match, slot reading, run) on 2,000 requests of
  200 families chosen at random, their modules loaded first (a host's steady state), with
  the average number of candidate triggers the index offers per request.

The families are generated from word lists (50 quantities x 40 subjects x 50 regions, four
template shapes: a plain question, a unit phrase, a list slot, a regex trigger), each a small
real procedure. To fill 100,000 families in minutes rather than hours, the rows are written
straight into each backend's real schema (one transaction) with the anchors the real trigger
code computes; only the 200 sampled families get their source files in a folder (the hit path
reads the file of a family it runs; the sizes of the others are reported from their text).
Verification is not what is measured here (see cache_latency.py for the trusted bulk path).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cache_latency import NOUNS, SUBJECTS  # the words of cache_latency.py's families, with a third list here

REGIONS = """alder birch cedar dune elm fjord grove heath isle juniper knoll larch moor nook oak pine quay ridge
sedge thorn upland vale willow yew zenith amber basalt cobalt delta ember flint garnet hazel indigo jasper
kestrel lagoon marble nickel onyx pewter quartz russet slate topaz umber velvet walnut xenon yarrow""".split()
assert len(REGIONS) == 50
DEFAULT_POSTGRES = os.environ.get("SGL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
SAMPLE = 200
REQUESTS = 2000


def family(i: int) -> tuple[str, str, str, bool, Callable[[random.Random], str]]:
    """(name, source, trigger pattern, is_regex, request maker) of family number i (< 100,000)."""
    noun, subject, region = NOUNS[i % 50], SUBJECTS[(i // 50) % 40], REGIONS[i // 2000]
    shape, k = i % 4, i + 1
    name = f"{noun}_{subject}_{region}"
    if shape == 0:
        pattern = f"what is the {noun} of the {subject} in {region} for {{x}}"
        body, example = f"(x: Int) -> Int:\n    return x * {k}\n", f"{name}(1) == {k}"
        return name, _module(name, pattern, False, body, example), pattern, False, \
            lambda r: f"What is the {noun} of the {subject} in {region} for {r.randint(0, 10**6)}?"
    if shape == 1:
        pattern = f"how much {noun} does a {subject} in {region} need for {{days}} days"
        body, example = f"(days: Int) -> Int:\n    require days > 0\n    return days * {k}\n", f"{name}(2) == {2 * k}"
        return name, _module(name, pattern, False, body, example), pattern, False, \
            lambda r: f"How much {noun} does a {subject} in {region} need for {r.randint(1, 365)} days?"
    if shape == 2:
        pattern = f"total {noun} of {subject} items in {region} {{xs}}"
        body, example = f"(xs: List[Int]) -> Int:\n    return sum(xs) + {k}\n", f"{name}([1, 2]) == {3 + k}"
        return name, _module(name, pattern, False, body, example), pattern, False, \
            lambda r: f"total {noun} of {subject} items in {region} {', '.join(str(r.randint(1, 99)) for _ in range(4))}"
    pattern = f"(?i){subject} {noun} report for {region} (?P<year>[0-9]{{4}})"
    body, example = f'(year: Int) -> Str:\n    return f"{subject} {{year}}: {k}"\n', f'{name}(2024) == "{subject} 2024: {k}"'
    return name, _module(name, pattern, True, body, example), pattern, True, \
        lambda r: f"{subject.capitalize()} {noun} report for {region} {r.randint(1990, 2030)}"


def _module(name: str, pattern: str, is_regex: bool, body: str, example: str) -> str:
    trigger = f're"{pattern}"' if is_regex else json.dumps(pattern)
    return f"@when({trigger})\nproc {name}{body}\nexample {example}\n"


def rows(n: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    """The families, versions (with source) and triggers rows of n families, and their source bytes."""
    from seglam_lang.cache.matcher import encode_anchors, trigger_anchors

    now = time.time()
    families, versions, triggers, size = [], [], [], 0
    for i in range(n):
        name, source, pattern, is_regex, _ = family(i)
        digest = hashlib.sha256(source.encode()).hexdigest()
        size += len(source.encode())
        families.append((name, 1, digest, "active", None, "{}", now, now))
        versions.append((name, 1, digest, source, now, "bench/scale.py", "{}"))
        triggers.append((name, name, pattern, int(is_regex), encode_anchors(trigger_anchors(pattern, is_regex))))
    return families, versions, triggers, size


# ---------------------------------------------------------------- filling each backend


def fill_folder(root: Path, n: int, sample: Sequence[int]) -> dict[str, Any]:
    from seglam_lang.cache.store import Store

    Store(root).close()  # the real schema
    families, versions, triggers, size = rows(n)
    with sqlite3.connect(root / "index.sqlite") as db:
        db.executemany("INSERT INTO families VALUES (?, ?, ?, ?, ?, ?, ?, ?)", families)
        db.executemany("INSERT INTO versions(family, version, hash, created, note, origin) VALUES (?, ?, ?, ?, ?, ?)",
                       [(f, v, h, c, note, o) for f, v, h, _, c, note, o in versions])
        db.executemany("INSERT INTO triggers(family, proc, pattern, is_regex, anchors) VALUES (?, ?, ?, ?, ?)",
                       triggers)
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('generation', '1')")
    for i in sample:  # the files of the families the hit path will run
        name, source = versions[i][0], versions[i][3]
        (root / "procedures" / f"{name}.sgl").write_text(source)
        (root / "history" / name).mkdir(parents=True, exist_ok=True)
        (root / "history" / name / "1.sgl").write_text(source)
    with sqlite3.connect(root / "index.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
        tables = _sqlite_table_sizes(db)
    return {"index_bytes": (root / "index.sqlite").stat().st_size, "tables": tables,
            "source_bytes": size, "files": 2 * n}


def _sqlite_table_sizes(db: sqlite3.Connection) -> dict[str, int] | None:
    try:  # the dbstat table is compiled into most SQLite builds, not all
        return {name: size for name, size in db.execute(
            "SELECT name, SUM(pgsize) FROM dbstat WHERE name IN ('families', 'versions', 'triggers', "
            "'triggers_family', 'sqlite_autoindex_families_1', 'sqlite_autoindex_versions_1') GROUP BY name")}
    except sqlite3.Error:
        return None


def fill_postgres(url: str, n: int) -> dict[str, Any]:
    import psycopg

    from seglam_lang.cache.pg_store import PostgresStore

    PostgresStore(url).close()  # the real schema, migrated
    families, versions, triggers, size = rows(n)
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO families VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", families)
            cur.executemany("INSERT INTO versions(family, version, hash, source, created, note, origin) "
                            "VALUES (%s, %s, %s, %s, %s, %s, %s)", versions)
            cur.executemany("INSERT INTO triggers(family, proc, pattern, is_regex, anchors) "
                            "VALUES (%s, %s, %s, %s, %s)", triggers)
            cur.execute("UPDATE meta SET value = '1' WHERE key = 'generation'")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        tables = {t: conn.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0]
                  for t in ("families", "versions", "triggers")}
    return {"index_bytes": sum(tables.values()), "tables": tables, "source_bytes": size}


class Database:
    """A fresh PostgreSQL database on the server of `admin_url`, dropped on exit."""

    def __init__(self, admin_url: str) -> None:
        import psycopg

        self.admin_url, self.name = admin_url, f"sgl_scale_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE DATABASE {self.name}")
        self.url = urllib.parse.urlunsplit(urllib.parse.urlsplit(admin_url)._replace(path="/" + self.name))

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


# ---------------------------------------------------------------- measuring, in a fresh process


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(location: str, sample: Sequence[int], seed: int) -> dict[str, Any]:
    """What a process pays to open the cache at `location` and serve hits (run in its own process)."""
    from seglam_lang.cache import ReasoningCache
    from seglam_lang.syntax.trigger_templates import normalise, words

    with tempfile.TemporaryDirectory() as tmp:  # warm up: what loading and matching import is not the matcher's
        warm = ReasoningCache(tmp, log_requests=False)
        name, source, *_, make = family(0)
        warm.add(source, name=name, trusted=True)
        assert warm.lookup(make(random.Random(0))).hit is not None
        warm.close()
    cache = ReasoningCache(location, log_requests=False)
    rng = random.Random(seed)
    makers = [family(i)[4] for i in sample]
    requests = [rng.choice(makers)(rng) for _ in range(REQUESTS)]
    rss0 = _rss()
    tracemalloc.start()
    t0 = time.perf_counter()
    cache.hot_path.refresh()
    refresh_s = time.perf_counter() - t0
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = _rss()
    matcher = cache.hot_path.matcher
    for text in requests:  # load the sampled modules (the steady state of a host)
        assert matcher.find(text).hit is not None, text
    samples, candidates = [], 0
    for text in requests:
        candidates += len(matcher.index.candidates(words(normalise(text).text)))
        t = time.perf_counter()
        matcher.find(text)
        samples.append((time.perf_counter() - t) * 1e6)
    samples.sort()
    cache.close()
    return {"matcher_rss_bytes": rss1 - rss0, "matcher_traced_bytes": traced, "refresh_s": round(refresh_s, 3),
            "hit_p50_us": round(samples[len(samples) // 2], 1), "hit_p99_us": round(samples[int(len(samples) * 0.99)], 1),
            "candidates_per_request": round(candidates / len(requests), 2)}


def measure_in_subprocess(location: str, sample: Sequence[int], seed: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--measure", location, "--sample", ",".join(map(str, sample)),
                           "--seed", str(seed)], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {location} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


# ---------------------------------------------------------------- report


def _mb(n: int | None) -> str:
    return "–" if n is None else f"{n / 2**20:,.1f} MB"


def markdown(result: dict[str, Any]) -> str:
    lines = ["| families | backend | index size | of which triggers | sources | matcher memory (RSS) | "
             "matcher (tracemalloc) | bytes/family | refresh s | hit p50 / p99 µs | candidates/request |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for n, by_backend in result.items():
        for backend, f in by_backend.items():
            triggers = (f["tables"] or {}).get("triggers")
            lines.append(f"| {int(n):,} | {backend} | {_mb(f['index_bytes'])} | {_mb(triggers)} | "
                         f"{_mb(f['source_bytes'])}{' in ' + format(f['files'], ',') + ' files' if 'files' in f else ''}"
                         f" | {_mb(f['matcher_rss_bytes'])} | {_mb(f['matcher_traced_bytes'])} | "
                         f"{f['matcher_traced_bytes'] // int(n):,} | {f['refresh_s']} | {f['hit_p50_us']} / "
                         f"{f['hit_p99_us']} | {f['candidates_per_request']} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/scale.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--backends", default="folder,postgres")
    ap.add_argument("--postgres", default=DEFAULT_POSTGRES, help="URL of a PostgreSQL server's admin database")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--measure", help=argparse.SUPPRESS)  # (the child process that measures one cache)
    ap.add_argument("--sample", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, [int(i) for i in args.sample.split(",")], args.seed)))
        return 0
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
        if not sizes or min(sizes) < SAMPLE or max(sizes) > 100_000:
            raise ValueError
    except ValueError:
        print(f"scale: error: --sizes: numbers of families from {SAMPLE} to 100000, comma-separated", file=sys.stderr)
        return 2
    backends = [b for b in args.backends.split(",") if b]
    if set(backends) - {"folder", "postgres"}:
        print(f"scale: error: --backends: folder and/or postgres, not {args.backends!r}", file=sys.stderr)
        return 2
    result: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="seglam-scale-") as tmp:
        for n in sizes:
            sample = sorted(random.Random(args.seed).sample(range(n), SAMPLE))
            result[str(n)] = {}
            if "folder" in backends:
                figs = fill_folder(Path(tmp) / f"cache_{n}", n, sample)
                figs.update(measure_in_subprocess(str(Path(tmp) / f"cache_{n}"), sample, args.seed))
                result[str(n)]["folder"] = figs
            if "postgres" in backends:
                with Database(args.postgres) as db:
                    figs = fill_postgres(db.url, n)
                    figs.update(measure_in_subprocess(db.url, sample, args.seed))
                    result[str(n)]["postgres"] = figs
            print(f"... {n:,} families measured", file=sys.stderr)
    print(json.dumps(result) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
