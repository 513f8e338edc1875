"""Benchmark: the reasoning cache against two answer caches on a stream of task requests (issue 7).

Run:  python bench/workload.py --requests FILE|DIR [FILE|DIR...] --library examples/bbh
                               [--json] [--plot OUT.svg] [--seed N] [--per-family N]
                               [--threshold 0.8] [--similarity auto|tfidf|embedding] [--only-covered]
                               [--fault-rate P] [--probation K] [--systems seglam,exact,similarity]

Input: BBH JSON files (`{"examples": [{"input", "target"}]}`, family = file stem) or JSONL
files of rows `{"family", "input", "target"}`; a directory stands for its `*.json` and
`*.jsonl` files. The rows of all files form one stream, shuffled with `--seed` so the
families are interleaved (the cumulative-LLM-calls curve then shows when each system
stops paying); `--per-family N` keeps each family's first N rows (before shuffling);
`--only-covered` drops the rows of families the library has no module for.

The same stream goes through three systems, each starting empty:
- **seglam**: a `ReasoningCache` in a fresh temporary folder whose compiler is
  `SimulatedLLM`, a perfect LLM standing in for a real one behind the cache's real
  `Compiler` seam. On a miss it supplies the library module for the row's family
  (`<family>.sgl`, or `<prefix>.sgl` for a family `<prefix>_<variant>`): one LLM call;
  the cache verifies the module fully (examples and Hypothesis properties), stores it
  and answers the request by matching again. If the request still misses (its family's
  module is stored but does not take it, or was rejected, or the family has no module),
  the simulated LLM answers with the target: one more LLM call, no code cached;
- **exact**: an exact-match answer cache (`baselines.ExactCache`);
- **similarity**: a GPTCache-style answer cache (`baselines.SimilarityCache`).
For the answer caches a miss is one LLM call whose answer (the target) is stored.
`--systems` runs only the named ones (comma-separated, in the order above).

**An imperfect LLM** (`--fault-rate P`, issue 12): for each library module, with
probability P (drawn from `--seed` and the module's name, so a run is reproducible), the
simulated LLM's first reply for it is a *fault*: a mutant of the module, made by the
operators of `bench/mutation.py`, that still loads, still answers the request that caused
the miss correctly (as a plausible LLM mistake would), and would answer some other request
of its families in the stream wrongly (so it is a real fault, not an equivalent program).
The simulated LLM checks its reply as the real compile loop does (`context.check`: the
cache's own verification); a refused fault is followed by a repair round (one more LLM
call) whose reply is the correct module. A fault that passes verification is stored and
served. Modules with no such mutant get no fault (a note says so).

**Probation** (`--probation K`, issue 12): the cache is `ReasoningCache(probation=K)`, so
the first K hits of each stored version are also answered by the simulated LLM (one call
each; it answers with the target). A disagreement suspends the version with the case as a
rejected one and the request is answered by the LLM. The next request of the family
recompiles: the simulated LLM sends the correct module, which the cache checks against
the suspended version (regression on change: only the rejected cases may differ). When
that check refuses it, the simulated compile loop gives up at once (one call; a real loop
would spend its repair rounds) and the request is answered by the LLM; the family then
stays suspended, every later request of it costing one call, until a person accepts the
change (`sgl cache replace --accept-changes`), which a bench does not do.

Per system and family: requests, LLM calls, hits (answered with no LLM call), correct
(hits equal to the target), wrong (any answer given that differs from the target; the
simulated LLM's own answers are never wrong, so these are the cache's mistakes, stored
faults among them), faults_planted (faulty modules sent by the simulated LLM),
faults_caught (of those, refused by verification before being stored), faults_suspended
(stored faults that probation suspended), probation_calls (LLM calls of probation, part
of llm_calls), recompiles_refused (recompilations the regression check refused), and hit latency
p50/p99 in microseconds (the system's whole answer call, timed around it; `null` with
no hits). An answer equals the target when its plain text form (a Str as it is, other
values as `str` / SGL literal) equals the target, both trimmed.

`--json` prints exactly `{"systems": {"seglam": S, "exact": S, "similarity": S}}` (the systems run) with
`S = {"total": F, "families": {family: F}}`; notes (the similarity method, timings, any
module the cache rejected) then go to stderr. Without `--json` the report is markdown.
`--plot OUT.svg` draws each system's cumulative LLM calls as an SVG line chart (the chart
module of `sgl cache report`; no plotting library); a name not ending in `.svg` is exit
code 2 before any work. The request log of the cache is off (`log_requests=False`): hit latency
is match + slot reading + run, as a host application sees it.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from baselines import DEFAULT_THRESHOLD, ExactCache, SimilarityCache, similarity_cache
from mutation import MUTANT_LIMITS, mutants

from seglam_lang import loads
from seglam_lang.cache import CacheError, ReasoningCache
from seglam_lang.cache.admission import validate_triggers
from seglam_lang.cache.llm_protocol import CompileContext, CompileRequest, CompileResult, NoModule, Spend
from seglam_lang.cache.matcher import Matcher, Trigger, TriggerIndex, decode_anchors
from seglam_lang.errors import SglError
from seglam_lang.runtime.values import format_value
from seglam_lang.syntax.parser import parse
from seglam_lang.syntax.printer import print_module

SYSTEMS = ("seglam", "exact", "similarity")
FIELDS = ("requests", "llm_calls", "hits", "correct", "wrong", "faults_planted", "faults_caught", "faults_suspended",
          "probation_calls", "recompiles_refused", "p50_us", "p99_us")
MAX_FAULT_CANDIDATES = 300  # mutants tried per module when looking for a fault (in a seeded order)


class UsageError(Exception):
    """Bad input to the bench: reported as one line, exit code 2."""


@dataclass(frozen=True)
class Row:
    family: str
    input: str
    target: str


# ---------------------------------------------------------------- the request stream


def read_requests(paths: Iterable[str | Path]) -> list[Row]:
    rows: list[Row] = []
    for given in paths:
        path = Path(given)
        files = sorted([*path.glob("*.json"), *path.glob("*.jsonl")]) if path.is_dir() else [path]
        if not files:
            raise UsageError(f"{path}: no *.json or *.jsonl files in this folder")
        for file in files:
            rows.extend(_read_file(file))
    return rows


def _read_file(path: Path) -> list[Row]:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read: {e}") from None
    if path.suffix == ".jsonl":
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                rows.append(_row(_json(line, f"{path}:{n}"), None, f"{path}:{n}"))
        return rows
    data = _json(text, str(path))
    examples = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(examples, list):
        raise UsageError(f'{path}: expected a BBH file {{"examples": [{{"input", "target"}}, ...]}}')
    return [_row(ex, path.stem, f"{path}: example {i}") for i, ex in enumerate(examples)]


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"{where}: invalid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None


def _row(obj: Any, family: str | None, where: str) -> Row:
    keys = ("input", "target") if family is not None else ("family", "input", "target")
    if not isinstance(obj, dict) or not all(isinstance(obj.get(k), str) for k in keys):
        raise UsageError(f"{where}: a row needs string fields {', '.join(keys)}")
    return Row(family if family is not None else obj["family"], obj["input"], obj["target"])


def build_stream(rows: Sequence[Row], seed: int, per_family: int | None = None) -> list[Row]:
    """Keep each family's first `per_family` rows, then shuffle the lot with `seed`."""
    kept: list[Row] = []
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.family] = counts.get(row.family, 0) + 1
        if per_family is None or counts[row.family] <= per_family:
            kept.append(row)
    random.Random(seed).shuffle(kept)
    return kept


# ---------------------------------------------------------------- answers


def plain_text(value: Any) -> str:
    """The text an answer reads as: a Str as it is, a scalar as `str`, anything else as an SGL literal."""
    if isinstance(value, str):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, bool | int | float) or type(value).__name__ == "Decimal":
        return str(value)
    return format_value(value)


def is_correct(value: Any, target: str) -> bool:
    return plain_text(value).strip() == target.strip()


# ---------------------------------------------------------------- the library and the simulated LLM


class Library:
    """The module for each family: `<family>.sgl`, or the longest `<prefix>.sgl` with family `<prefix>_...`."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        if not self.dir.is_dir():
            raise UsageError(f"{self.dir}: the library is not a folder")
        self.paths = {p.stem: p for p in sorted(self.dir.glob("*.sgl"))}
        if not self.paths:
            raise UsageError(f"{self.dir}: no .sgl modules in the library")

    def module_for(self, family: str) -> str | None:
        """The module (stem) serving `family`, or None."""
        if family in self.paths:
            return family
        prefixes = [stem for stem in self.paths if family.startswith(stem + "_")]
        return max(prefixes, key=len) if prefixes else None

    def source(self, module: str) -> str:
        return self.paths[module].read_text()


def _matcher(source: str, name: str) -> Matcher | None:
    """A matcher over one module's triggers (as the compile loop checks a reply); None when
    the module does not load or its triggers cannot work."""
    try:
        module = loads(source, name=name, limits=MUTANT_LIMITS)
        rows = validate_triggers(module)
    except (SglError, CacheError):
        return None
    index = TriggerIndex(Trigger(r.family, r.proc, r.pattern, r.is_regex, decode_anchors(r.anchors)) for r in rows)
    return Matcher(index, lambda _family: module, MUTANT_LIMITS)


def _answers(matcher: Matcher, row: Row) -> bool | None:
    """True / False: the module answers `row` rightly / wrongly; None: it does not answer it."""
    hit = matcher.find(row.input).hit
    return None if hit is None else is_correct(hit.value, row.target)


class Faults:
    """The mistakes of an imperfect LLM: which modules get a faulty first reply, and which.

    Both are drawn from a `random.Random` seeded with the run's seed and the module's name,
    so a module's fault does not depend on the order of the stream or on other modules."""

    def __init__(self, library: Library, stream: Sequence[Row], rate: float, seed: int) -> None:
        self.library = library
        self.rate = rate
        self.seed = seed
        self.rows: dict[str, list[Row]] = {}  # module -> the rows of its families in the stream
        for row in stream:
            module = library.module_for(row.family)
            if module is not None:
                self.rows.setdefault(module, []).append(row)
        self.notes: list[str] = []

    def mutant_for(self, module: str, row: Row) -> tuple[str, str] | None:
        """The faulty source sent for `module` when `row` caused its first miss, with what
        was changed (`line N: description`), or None."""
        rng = random.Random(f"fault:{self.seed}:{module}")
        if rng.random() >= self.rate:
            return None
        tree = parse(self.library.source(module), f"{module}.sgl")
        candidates = [(f"line {line}: {desc}", mutated) for _, desc, line, mutated in mutants(tree)]
        rng.shuffle(candidates)
        seen = {print_module(tree)}
        for what, mutated in candidates[:MAX_FAULT_CANDIDATES]:
            text = print_module(mutated)
            if text in seen:
                continue
            seen.add(text)
            matcher = _matcher(text, module)
            # A plausible mistake: right on the request at hand, wrong on another of the stream.
            if matcher is not None and _answers(matcher, row) and any(
                    _answers(matcher, other) is False for other in self.rows[module] if other is not row):
                return text, what
        self.notes.append(f"{module}: no fault planted (no mutant among {min(len(candidates), MAX_FAULT_CANDIDATES)} "
                          f"tried answers {row.input[:40]!r}... rightly and another request wrongly)")
        return None


class SimulatedLLM:
    """A perfect LLM behind the cache's `Compiler` seam, or an imperfect one with `faults`.
    It knows the row being asked (`current`, set by the bench before each request); every
    call is counted in `calls`, faulty replies in `planted`, those verification refused in `caught`,
    recompilations the cache's regression check refused in `refused`."""

    name = "simulated/perfect-llm"

    def __init__(self, library: Library, is_stored: Callable[[str], bool], faults: Faults | None = None) -> None:
        self.library = library
        self.is_stored = is_stored
        self.faults = faults
        self.current: Row | None = None
        self.calls = 0
        self.planted = 0
        self.caught = 0
        self.refused = 0
        self.first_replied: set[str] = set()  # modules whose first reply was sent
        self.survivors: list[str] = []  # faults that verification let through
        self.stored_faults: set[str] = set()  # modules whose stored version is a fault
        self.refusals: list[str] = []  # why recompilations were refused

    def compile(self, request: CompileRequest, context: CompileContext) -> CompileResult:
        row = self.current
        assert row is not None and request.text == row.input, "the bench sets the row before asking"
        self.calls += 1
        context.meter.charge(Spend(llm_calls=1))
        module = self.library.module_for(row.family)
        if request.answer_only:  # a probation check of a hit, or a request the cache remembers
            return CompileResult("decline", answer=row.target, compiler=self.name)
        if module is not None and any(case.family == module for case in request.failing_cases):
            return self._recompile(module, context)
        if module is not None and not self.is_stored(module):
            correct = self.library.source(module)
            first = module not in self.first_replied
            self.first_replied.add(module)
            fault = self.faults.mutant_for(module, row) if self.faults is not None and first else None
            if fault is None:
                return CompileResult("compile", source=correct, family=module, compiler=self.name)
            self.planted += 1
            source, what = fault
            # The compile loop checks a reply with the cache's own verification before returning it.
            passed, _ = context.check(source, module)
            if passed:
                self.survivors.append(f"{module}: a fault passed verification and was stored ({what})")
                self.stored_faults.add(module)
                return CompileResult("compile", source=source, family=module, compiler=self.name)
            self.caught += 1
            self.calls += 1  # the repair round, whose reply is the correct module
            context.meter.charge(Spend(llm_calls=1))
            return CompileResult("compile", source=correct, family=module, compiler=self.name)
        # Code for this family is cached already (or there is none to write): answer directly.
        return CompileResult("decline", answer=row.target, compiler=self.name)

    def _recompile(self, module: str, context: CompileContext) -> CompileResult:
        """A family was suspended with a failing case: the reply is the correct module, which
        the cache checks against the suspended version. Refused, the loop gives up at once."""
        correct = self.library.source(module)
        passed, why = context.check(correct, module)
        if not passed:
            self.refused += 1
            self.refusals.append(f"{module}: the recompilation was refused: {why.splitlines()[0][:300]}")
            raise NoModule(f"{module}: the correct module was refused: {why.splitlines()[0][:200]}")
        self.stored_faults.discard(module)
        return CompileResult("compile", source=correct, family=module, compiler=self.name)

    def answer(self, row: Row) -> str:
        """The LLM answers a request itself (no code)."""
        self.calls += 1
        return row.target


# ---------------------------------------------------------------- the systems


@dataclass(frozen=True)
class Reply:
    answer: Any
    hit: bool
    llm_calls: int
    faults_planted: int = 0
    faults_caught: int = 0
    faults_suspended: int = 0
    probation_calls: int = 0
    recompiles_refused: int = 0


class SeglamSystem:
    """The reasoning cache, empty at the start, in a temporary folder."""

    def __init__(self, library: Library, directory: Path, faults: Faults | None = None, probation: int = 0) -> None:
        self.cache = ReasoningCache(directory, log_requests=False, probation=probation)
        self.probation = (0, 0)  # the store's (probation calls, versions suspended) so far
        self.llm = SimulatedLLM(library, lambda module: self.cache.store.family(module) is not None, faults)
        self.cache.compiler = self.llm
        self.problems: list[str] = []  # modules the cache rejected, compiled modules that did not answer

    def ask(self, row: Row) -> Reply:
        self.llm.current = row
        llm = self.llm
        before = (llm.calls, llm.planted, llm.caught, llm.refused)
        try:
            got = self.cache.ask(row.input)
            answer, hit, calls = got.answer, got.hit, got.llm_calls
        except CacheError as e:
            self.problems.append(f"{row.family}: {e}")
            answer, hit, calls = llm.answer(row), False, 1
        checked = suspended = faults = 0
        if self.cache.probation and (calls or not hit):  # only then can probation have acted
            stats = self.cache.stats()
            now = (stats["probation_calls"], stats["probation_suspended"])
            checked, suspended = now[0] - self.probation[0], now[1] - self.probation[1]
            self.probation = now
            module = llm.library.module_for(row.family)
            if suspended and module in llm.stored_faults:
                faults = 1
                llm.stored_faults.discard(module)
        return Reply(answer, hit, llm.calls - before[0], llm.planted - before[1], llm.caught - before[2], faults,
                     checked, llm.refused - before[3])

    def close(self) -> None:
        self.cache.close()


class AnswerCacheSystem:
    """An answer cache in front of the (perfect) LLM: a miss asks the LLM and stores its answer."""

    def __init__(self, cache: ExactCache | SimilarityCache) -> None:
        self.cache = cache

    def ask(self, row: Row) -> Reply:
        found = self.cache.lookup(row.input)
        if found is not None:
            return Reply(found, True, 0)
        self.cache.store(row.input, row.target)
        return Reply(row.target, False, 1)


# ---------------------------------------------------------------- tallies


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty sorted list."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


REPLY_COUNTS = ("faults_planted", "faults_caught", "faults_suspended", "probation_calls", "recompiles_refused")
COUNTS = ("requests", "llm_calls", "hits", "correct", "wrong", *REPLY_COUNTS)  # the counters of a Tally


@dataclass
class Tally:
    requests: int = 0
    llm_calls: int = 0
    hits: int = 0
    correct: int = 0
    wrong: int = 0
    faults_planted: int = 0
    faults_caught: int = 0
    faults_suspended: int = 0
    probation_calls: int = 0
    recompiles_refused: int = 0
    latencies_us: list[float] = field(default_factory=list)

    def record(self, reply: Reply, correct: bool, elapsed_us: float) -> None:
        self.requests += 1
        self.llm_calls += reply.llm_calls
        self.wrong += not correct
        for name in REPLY_COUNTS:
            setattr(self, name, getattr(self, name) + getattr(reply, name))
        if reply.hit:
            self.hits += 1
            self.correct += correct
            self.latencies_us.append(elapsed_us)

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.latencies_us)
        return {**{name: getattr(self, name) for name in COUNTS},
                "p50_us": round(percentile(lat, 50), 1) if lat else None,
                "p99_us": round(percentile(lat, 99), 1) if lat else None}


def merged(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for t in tallies:
        for name in COUNTS:
            setattr(total, name, getattr(total, name) + getattr(t, name))
        total.latencies_us.extend(t.latencies_us)
    return total


@dataclass
class Run:
    families: list[str]  # in order of first appearance in the stream
    tallies: dict[str, dict[str, Tally]]  # system -> family -> tally
    curves: dict[str, list[int]]  # system -> cumulative LLM calls after each request
    seconds: dict[str, float]  # system -> wall time
    notes: list[str]

    @property
    def systems(self) -> list[str]:
        return list(self.tallies)

    def figures(self) -> dict[str, Any]:
        return {"systems": {
            name: {"total": merged(fam.values()).figures(),
                   "families": {f: fam[f].figures() for f in self.families}}
            for name, fam in self.tallies.items()}}


def run(stream: Sequence[Row], library: Library, similarity: SimilarityCache | None,
        systems: Sequence[str] = SYSTEMS, faults: Faults | None = None, probation: int = 0) -> Run:
    """Each of `systems` over the stream (`similarity` is needed only when it is one of them;
    `probation` is the reasoning cache's)."""
    families = list(dict.fromkeys(row.family for row in stream))
    tallies = {name: {f: Tally() for f in families} for name in systems}
    curves: dict[str, list[int]] = {name: [] for name in systems}
    seconds: dict[str, float] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="seglam-bench-") as tmp:
        seglam = SeglamSystem(library, Path(tmp) / "cache", faults, probation)
        makers: dict[str, Callable[[], Any]] = {
            "seglam": lambda: seglam, "exact": lambda: AnswerCacheSystem(ExactCache()),
            "similarity": lambda: AnswerCacheSystem(similarity)}  # type: ignore[arg-type]
        try:
            for name in systems:
                system = makers[name]()
                start = time.perf_counter()
                calls = 0
                for row in stream:
                    t0 = time.perf_counter()
                    reply = system.ask(row)
                    elapsed_us = (time.perf_counter() - t0) * 1e6
                    tallies[name][row.family].record(reply, is_correct(reply.answer, row.target), elapsed_us)
                    calls += reply.llm_calls
                    curves[name].append(calls)
                seconds[name] = time.perf_counter() - start
        finally:
            seglam.close()
        notes.extend(f"seglam: {p}" for p in seglam.problems)
        if faults is not None:
            notes.extend(f"faults: {n}" for n in [*faults.notes, *seglam.llm.survivors, *seglam.llm.refusals])
    return Run(families, tallies, curves, seconds, notes)


# ---------------------------------------------------------------- reports


def _us(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def markdown(result: Run, library: Library) -> str:
    """Two tables: LLM calls / correct hits / wrong answers per family, then totals with
    faults and latency (for the systems that ran)."""
    figs = result.figures()["systems"]
    systems = result.systems
    ours = "seglam" in systems
    head = "| family | module | requests | " + " | ".join(
        f"{s} LLM calls | {s} correct hits | {s} wrong" for s in systems) + (
        " | seglam faults planted / caught | seglam hit p50 / p99 µs |" if ours else " |")
    lines = [head, "|" + "---|" * (3 + 3 * len(systems) + 2 * ours)]
    with_module = [f for f in result.families if library.module_for(f)]
    ordered = sorted(with_module) + sorted(f for f in result.families if f not in with_module)
    for f in ordered:
        cells = [f, library.module_for(f) or "–", str(figs[systems[0]]["families"][f]["requests"])]
        for s in systems:
            fam = figs[s]["families"][f]
            cells += [str(fam["llm_calls"]), f"{fam['correct']} ({fam['correct'] / fam['requests']:.1%})",
                      str(fam["wrong"])]
        if ours:
            fam = figs["seglam"]["families"][f]
            cells += [f"{fam['faults_planted']} / {fam['faults_caught']}",
                      f"{_us(fam['p50_us'])} / {_us(fam['p99_us'])}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| system | requests | LLM calls | hits | correct hits | wrong answers | faults planted | "
              "faults caught | faults suspended on probation | probation calls | recompiles refused | hit p50 µs | "
              "hit p99 µs | run time s |", "|---" * 14 + "|"]
    for s in systems:
        t = figs[s]["total"]
        lines.append(f"| {s} | {t['requests']} | {t['llm_calls']} | {t['hits']} | {t['correct']} "
                     f"({t['correct'] / max(t['requests'], 1):.1%}) | {t['wrong']} | {t['faults_planted']} | "
                     f"{t['faults_caught']} | {t['faults_suspended']} | {t['probation_calls']} | "
                     f"{t['recompiles_refused']} | {_us(t['p50_us'])} | {_us(t['p99_us'])} | {result.seconds[s]:.1f} |")
    return "\n".join(lines)


def check_plotting(out: Path) -> None:
    if out.suffix.lower() != ".svg":
        raise UsageError(f"--plot {out}: the chart is written as SVG: give a file name ending in .svg")


def plot(result: Run, out: Path, title: str) -> None:
    from seglam_lang.cache.svg import Series, line_chart, standalone

    styles = {"seglam": ("SEGLAM reasoning cache", "#2ca02c"), "exact": ("exact-match answer cache", "#d62728"),
              "similarity": ("similarity answer cache", "#1f77b4")}
    series = [Series(styles[name][0], [(i, calls) for i, calls in enumerate(result.curves[name], 1)],
                     styles[name][1]) for name in result.systems]
    chart = line_chart(title, series, x_label="requests in the stream", y_label="cumulative LLM calls",
                       width=800, height=450)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(standalone(chart), encoding="utf-8")


# ---------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="bench/workload.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", nargs="+", required=True, metavar="FILE",
                    help="BBH .json files, .jsonl files of {family, input, target}, or folders of them")
    ap.add_argument("--library", required=True, help="folder of .sgl modules, one per family (or family prefix)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ap.add_argument("--plot", type=Path, metavar="OUT.svg", help="draw cumulative LLM calls as an SVG chart")
    ap.add_argument("--seed", type=int, default=0, help="seed of the shuffle that interleaves families (default 0)")
    ap.add_argument("--per-family", type=int, metavar="N", help="keep only each family's first N rows")
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                    help=f"similarity cache hit threshold (default {DEFAULT_THRESHOLD})")
    ap.add_argument("--only-covered", action="store_true",
                    help="drop the rows of families that have no module in the library")
    ap.add_argument("--similarity", choices=("auto", "tfidf", "embedding"), default="auto",
                    help="auto: a sentence-embedding model when one is installed, else TF-IDF")
    ap.add_argument("--fault-rate", type=float, default=0.0, metavar="P",
                    help="probability that the simulated LLM's first reply for a module is a faulty mutant "
                         "(default 0: a perfect LLM); drawn with --seed")
    ap.add_argument("--probation", type=int, default=0, metavar="K",
                    help="the reasoning cache checks the first K hits of each stored version with the (simulated) "
                         "LLM (default 0: off)")
    ap.add_argument("--systems", default=",".join(SYSTEMS), metavar="NAMES",
                    help=f"comma-separated systems to run (default {','.join(SYSTEMS)})")
    return ap.parse_args(argv)


def parse_systems(text: str) -> list[str]:
    """The systems named in `text`, in the canonical order; UsageError for an unknown or no name."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown or not names:
        problem = f"unknown system {unknown[0]!r}" if unknown else "no system named"
        raise UsageError(f"--systems: {problem} (choose from {', '.join(SYSTEMS)})")
    return [s for s in SYSTEMS if s in names]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.plot is not None:
            check_plotting(args.plot)
        if args.per_family is not None and args.per_family < 1:
            raise UsageError("--per-family must be at least 1")
        if not 0.0 <= args.fault_rate <= 1.0:
            raise UsageError(f"--fault-rate must be between 0 and 1, not {args.fault_rate:g}")
        if args.probation < 0:
            raise UsageError(f"--probation must be 0 or more, not {args.probation}")
        systems = parse_systems(args.systems)
        library = Library(args.library)
        rows = read_requests(args.requests)
        if args.only_covered:
            rows = [row for row in rows if library.module_for(row.family)]
        stream = build_stream(rows, args.seed, args.per_family)
        if not stream:
            raise UsageError("no requests in the given files")
        try:
            similarity = similarity_cache(args.similarity, [row.input for row in stream], args.threshold) \
                if "similarity" in systems else None
        except ValueError as e:
            raise UsageError(str(e)) from None
    except UsageError as e:
        print(f"workload: error: {e}", file=sys.stderr)
        return 2
    faults = Faults(library, stream, args.fault_rate, args.seed) if args.fault_rate > 0 else None
    result = run(stream, library, similarity, systems, faults, args.probation)
    families = len(result.families)
    modules = sorted({m for f in result.families if (m := library.module_for(f))})
    notes = [f"stream: {len(stream)} requests, {families} families, shuffled with seed {args.seed}",
             f"library: {library.dir} ({len(modules)} modules serve {sum(map(bool, map(library.module_for, result.families)))}"
             f" of the families)",
             *([f"similarity cache: {similarity.description}"] if similarity is not None else []),
             *([f"faults: rate {args.fault_rate:g}, drawn with seed {args.seed}"] if faults is not None else []),
             *([f"probation: the first {args.probation} hits of each stored version"] if args.probation else []),
             "run time: " + ", ".join(f"{s} {result.seconds[s]:.1f} s" for s in systems)
             + (" (seglam includes full verification of each module on its first miss)" if "seglam" in systems
                else ""),
             *result.notes]
    if args.json:
        print(json.dumps(result.figures()))
        for note in notes:
            print(note, file=sys.stderr)
    else:
        print("\n".join(f"- {n}" for n in notes) + "\n\n" + markdown(result, library))
    if args.plot is not None:
        plot(result, args.plot, f"Cumulative LLM calls, {len(stream)} requests from {families} families")
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
