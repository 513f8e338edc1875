"""What the cache report shows: the learning curve, the families and their histories, what was refused.

Owns `build_report(cache) -> Report`, the report's data, read only through the cache's public
reading API (`families`, `why`, `history`, `read_version`, `logged_requests`, `stats`), so that it is
the same on every store. `report_html` renders it; `svg` draws its charts.

Invariants:
- nothing is written: building a report changes neither the store nor its request log;
- every string is kept as the store holds it (raw); escaping is the renderer's job;
- a family's history is given as unified diffs (difflib) between consecutive stored versions,
  the first version as its whole source;
- the lists of refusals are capped at `MAX_REFUSALS`, the most recent kept, with the count
  of those left out.
"""

from __future__ import annotations

import datetime as dt
import difflib
import time
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from seglam_lang.frozen import frozen

if TYPE_CHECKING:
    from seglam_lang.cache.index import LoggedRequest
    from seglam_lang.cache.reasoning_cache import ReasoningCache

MAX_REFUSALS = 500


@frozen
class VersionChange:
    """One stored version: `diff` is the unified diff from the version before it (for the
    first version, its whole source), with its counts of added and removed lines."""

    version: int
    created: float
    note: str | None
    hash: str
    diff: str
    added: int
    removed: int


@frozen
class FamilyReport:
    name: str
    version: int
    status: str
    reason: str | None
    hits: int  # requests of the kept log it answered from the cache
    compiled: int  # misses it was compiled (or linked) for
    last_used: float | None
    origin: dict[str, str]
    origin_version: int
    created: float
    updated: float
    versions: tuple[VersionChange, ...]
    verifications: tuple[dict[str, Any], ...]
    rejected_cases: tuple[dict[str, str], ...]


@frozen
class Day:
    """The requests of one UTC day of the log."""

    day: str  # ISO date
    number: int  # day 1 is the log's first day
    requests: int
    hits: int
    llm_calls: int

    @property
    def hit_rate(self) -> float:
        return self.hits / self.requests if self.requests else 0.0


@frozen
class Refusal:
    """Something the cache refused or that was refused to it: a case a person rejected, a
    verification that failed, a compile that failed, a request declined or in conflict."""

    kind: str
    family: str | None
    version: int | None
    time: float | None
    request: str | None
    why: str


@frozen
class Report:
    location: str
    generated: float
    stats: dict[str, Any]
    curve: tuple[tuple[int, int], ...]  # (requests so far, cumulative LLM calls), one point per kept request
    days: tuple[Day, ...]
    families: tuple[FamilyReport, ...]
    refusals: tuple[Refusal, ...]
    refusals_left_out: int


def build_report(cache: ReasoningCache, location: str | None = None) -> Report:
    """The report of `cache` (named `location` on the page; default: its folder or URL, without a password)."""
    log = cache.logged_requests()
    hits: Counter[str] = Counter()
    compiled: Counter[str] = Counter()
    last_used: dict[str, float] = {}
    per_day: dict[str, list[int]] = {}
    refusals: list[Refusal] = []
    for row in log:
        day = per_day.setdefault(dt.datetime.fromtimestamp(row.time, dt.UTC).date().isoformat(), [0, 0, 0])
        day[0] += 1
        day[1] += row.outcome == "hit"
        day[2] += row.llm_calls
        if row.family is not None and row.outcome in ("hit", "compiled"):
            (hits if row.outcome == "hit" else compiled)[row.family] += 1
            last_used[row.family] = row.time
        refusal = _refusal_of(row.outcome, row.detail)
        if refusal is not None:
            refusals.append(Refusal(refusal, row.family, row.version, row.time, row.request, row.detail or ""))
    days = _days(per_day)
    families = []
    for row in cache.ls():
        info = cache.why(row.name)
        families.append(FamilyReport(
            row.name, row.version, row.status, row.reason, hits[row.name], compiled[row.name],
            last_used.get(row.name), info["origin"], info["origin_version"], row.created, row.updated,
            _versions(cache, row.name), tuple(info["verifications"]), tuple(info["rejected_cases"])))
        refusals += [Refusal("rejected by a person", row.name, None, None, case["request"],
                             f"should be {case['expected']}") for case in info["rejected_cases"]]
        refusals += [Refusal("failed verification", row.name, v["version"], v["time"], None, v["summary"])
                     for v in info["verifications"] if not v["passed"]]
    refusals.sort(key=lambda r: -(r.time or float("inf")))  # most recent first; undated (current cases) on top
    return Report(location or cache.location, time.time(), cache.stats(), learning_curve(log), days, tuple(families),
                  tuple(refusals[:MAX_REFUSALS]), max(0, len(refusals) - MAX_REFUSALS))


def learning_curve(log: Iterable[LoggedRequest]) -> tuple[tuple[int, int], ...]:
    """(requests so far, LLM calls so far), from (0, 0) and one point per logged request."""
    curve, calls = [(0, 0)], 0
    for i, row in enumerate(log, 1):
        calls += row.llm_calls
        curve.append((i, calls))
    return tuple(curve)


def _refusal_of(outcome: str, detail: str | None) -> str | None:
    if outcome == "conflict":
        return "conflict"
    if outcome == "declined":
        return "declined by the compiler"
    if outcome == "miss" and detail and detail.startswith("compile failed"):
        return "compile failed"
    return None


def _days(per_day: dict[str, list[int]]) -> tuple[Day, ...]:
    """Every day from the log's first to its last (a day without requests is shown empty)."""
    if not per_day:
        return ()
    first = dt.date.fromisoformat(min(per_day))
    last = dt.date.fromisoformat(max(per_day))
    out = []
    for n in range((last - first).days + 1):
        day = (first + dt.timedelta(days=n)).isoformat()
        requests, hits, calls = per_day.get(day, (0, 0, 0))
        out.append(Day(day, n + 1, requests, hits, calls))
    return tuple(out)


def _versions(cache: ReasoningCache, name: str) -> tuple[VersionChange, ...]:
    out: list[VersionChange] = []
    before = None
    for h in cache.history(name):
        source = cache.show(name, h["version"])
        if before is None:
            diff, added, removed = source, len(source.splitlines()), 0
        else:
            lines = list(difflib.unified_diff(before.splitlines(keepends=True), source.splitlines(keepends=True),
                                              f"{name} v{out[-1].version}", f"{name} v{h['version']}"))
            diff = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
            added = sum(1 for line in lines[2:] if line.startswith("+"))
            removed = sum(1 for line in lines[2:] if line.startswith("-"))
        out.append(VersionChange(h["version"], h["created"], h["note"], h["hash"], diff, added, removed))
        before = source
    return tuple(out)
