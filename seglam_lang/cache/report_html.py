"""The cache report as one self-contained HTML page (`sgl cache report --html FILE`).

Owns `render(report) -> str` and `learning_curve_svg(report)` (the chart `sgl cache stats
--plot` writes too).

Invariants:
- the page fetches nothing and runs nothing: no scripts, no external style sheets, fonts,
  images or links; its Content-Security-Policy (`default-src 'none'`) makes a browser refuse
  any that slipped in. Charts are inline SVG (`svg`);
- every string that comes from the cache (requests, answers, origins, sources, notes,
  reasons) is escaped (`html.escape`) exactly once, here or in `svg`;
- the page is a pure function of the `Report` (times are printed in UTC).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from html import escape

from seglam_lang.cache.report import Day, FamilyReport, Refusal, Report, VersionChange
from seglam_lang.cache.svg import Series, bar_chart, line_chart

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 16px 24px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
.where { color: #666; margin-top: 4px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 1.4em; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.charts svg { border: 1px solid #eee; max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
#milestones { width: auto; margin-top: 8px; }
th, td { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f6f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status-active { color: #1d7a3a; } .status-suspended, .status-tampered { color: #b3261e; font-weight: bold; }
.status-unverified { color: #9a6700; }
.request { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
pre.diff { background: #fafafa; border: 1px solid #eee; padding: 8px; overflow-x: auto; font-size: 0.85em; }
pre.diff .add { background: #e6ffec; display: block; } pre.diff .del { background: #ffebe9; display: block; }
pre.diff .hunk { color: #6f42c1; display: block; }
details { margin: 6px 0; } summary { cursor: pointer; font-weight: bold; }
.empty { color: #777; font-style: italic; }
"""


def _t(t: float | None) -> str:
    return "–" if t is None else dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def learning_curve_svg(curve: Sequence[tuple[int, int]]) -> str:
    """Cumulative LLM calls against requests (`report.learning_curve`), beside what answering
    every request by the LLM would cost."""
    n = len(curve) - 1
    return line_chart(
        "Learning curve: cumulative LLM calls", [
            Series("SEGLAM cache", curve, "#2a7ab0"),
            Series("every request to the LLM", [(0, 0), (n, n)] if n else [], "#c0c0c0"),
        ], x_label="requests", y_label="LLM calls")


def _hit_rate_svg(days: tuple[Day, ...]) -> str:
    bars = [(f"day {d.number}", d.hit_rate, f"day {d.number} ({d.day}): {d.hits} of {d.requests} requests hit "
             f"({d.hit_rate:.0%}), {d.llm_calls} LLM calls") for d in days]
    return bar_chart("Hit rate per day", bars, x_label="day (UTC)", y_label="hit rate", percent=True)


def _cards(report: Report) -> str:
    s = report.stats
    items = [("requests", f"{s['requests']:,}"), ("hit rate", f"{s['hit_rate']:.1%}"), ("hits", f"{s['hits']:,}"),
             ("LLM calls", f"{s['llm_calls']:,}"), ("families", f"{len(report.families):,}"),
             ("tokens in / out", f"{s['tokens_in']:,} / {s['tokens_out']:,}")]
    return '<div class="cards">' + "".join(f'<div class="card"><b>{escape(v)}</b>{escape(k)}</div>'
                                           for k, v in items) + "</div>"


def _milestones(days: tuple[Day, ...]) -> str:
    """The hit rate on day 1, 30 and 365 (the ones the log reaches) and on its last day."""
    wanted = [d for d in days if d.number in (1, 30, 365)]
    if days and days[-1] not in wanted:
        wanted.append(days[-1])
    if not wanted:
        return ""
    rows = "".join(f'<tr><td>day {d.number}</td><td>{escape(d.day)}</td><td class="num">{d.requests:,}</td>'
                   f'<td class="num">{d.hit_rate:.1%}</td><td class="num">{d.llm_calls:,}</td></tr>' for d in wanted)
    return ('<table id="milestones"><tr><th>day</th><th>date</th><th>requests</th><th>hit rate</th>'
            f"<th>LLM calls</th></tr>{rows}</table>")


def _family_rows(families: Iterable[FamilyReport]) -> str:
    rows = []
    for f in families:
        status = f.status + (f": {f.reason}" if f.reason else "")
        origin = f.origin
        rows.append(
            f'<tr class="family" id="family-{escape(f.name)}"><td><a href="#history-{escape(f.name)}">'
            f"{escape(f.name)}</a></td><td class=\"num\">{f.version}</td>"
            f'<td class="status-{escape(f.status)}">{escape(status)}</td><td class="num">{f.hits:,}</td>'
            f'<td class="num">{f.compiled:,}</td><td>{_t(f.last_used)}</td>'
            f'<td class="request">{escape(origin.get("request", "–"))}</td>'
            f"<td>{escape(origin.get('compiler', '–'))}</td><td>{_t(f.created)}</td></tr>")
    if not rows:
        return '<p class="empty">No procedure families yet.</p>'
    return ('<table id="family-table"><tr><th>family</th><th>version</th><th>status</th><th>hits</th>'
            "<th>compiled for</th><th>last used</th><th>origin request</th><th>compiler</th><th>created</th></tr>"
            + "".join(rows) + "</table>")


def _diff(v: VersionChange, first: bool) -> str:
    if first:
        return f'<pre class="diff source">{escape(v.diff)}</pre>'
    lines = []
    for line in v.diff.splitlines():
        cls = ("hunk" if line.startswith("@@") else "add" if line.startswith("+") and not line.startswith("+++")
               else "del" if line.startswith("-") and not line.startswith("---") else None)
        text = escape(line)
        lines.append(f'<span class="{cls}">{text}</span>' if cls else text + "\n")
    return '<pre class="diff">' + "".join(lines) + "</pre>"


def _history(f: FamilyReport) -> str:
    parts = [f'<details id="history-{escape(f.name)}"{" open" if len(f.versions) > 1 else ""}>'
             f"<summary>{escape(f.name)}: {len(f.versions)} version{'' if len(f.versions) == 1 else 's'}</summary>"]
    for i, v in enumerate(f.versions):
        what = "source" if i == 0 else f"+{v.added} −{v.removed} lines"
        parts.append(f"<h4>v{v.version} · {_t(v.created)} · {escape(v.note or '')} · {what} · "
                     f"<code>{escape(v.hash[:12])}</code></h4>{_diff(v, i == 0)}")
    parts.append("</details>")
    return "".join(parts)


def _refusal_rows(refusals: Iterable[Refusal], left_out: int) -> str:
    rows = [f'<tr class="refusal"><td>{escape(r.kind)}</td><td>{escape(r.family or "–")}'
            f"{'' if r.version is None else f' v{r.version}'}</td><td>{_t(r.time)}</td>"
            f'<td class="request">{escape(r.request or "–")}</td><td>{escape(r.why)}</td></tr>' for r in refusals]
    if not rows:
        return '<p class="empty">Nothing was rejected or refused.</p>'
    more = f'<p class="empty">{left_out:,} older ones are left out.</p>' if left_out else ""
    return ('<table id="refusal-table"><tr><th>what</th><th>family</th><th>when</th><th>request</th><th>why</th></tr>'
            + "".join(rows) + "</table>" + more)


def render(report: Report) -> str:
    """The whole page."""
    s = report.stats
    kept = "" if s.get("kept", s["requests"]) == s["requests"] else (
        f'<p class="empty">The request log keeps the last {s["kept"]:,} of {s["requests"]:,} requests; '
        "the charts show those it keeps.</p>")
    charts = (f'<div class="charts">{learning_curve_svg(report.curve)}{_hit_rate_svg(report.days)}</div>'
              if len(report.curve) > 1 else '<p class="empty">No requests logged yet.</p>')
    title = f"SEGLAM cache report: {report.location}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header><h1>SEGLAM reasoning cache</h1>
<p class="where">{escape(report.location)} · report of {_t(report.generated)} · requests from {_t(s.get("first"))} to {_t(s.get("last"))}</p></header>
<section id="summary">{_cards(report)}</section>
<section id="learning"><h2>Learning curve</h2>{kept}{charts}{_milestones(report.days)}</section>
<section id="families"><h2>Families</h2>{_family_rows(report.families)}</section>
<section id="history"><h2>History</h2>{"".join(_history(f) for f in report.families) or '<p class="empty">No history.</p>'}</section>
<section id="refused"><h2>Rejected and refused</h2>{_refusal_rows(report.refusals, report.refusals_left_out)}</section>
</body>
</html>
"""
