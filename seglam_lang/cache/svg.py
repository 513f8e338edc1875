"""Small charts as SVG text: the learning curve and per-day bars of `sgl cache report` and `stats --plot`.

Owns `line_chart(...)` and `bar_chart(...)`, each returning one `<svg>` element as a string,
and `standalone(svg)`, the same as an `.svg` file.

Invariants:
- every piece of text put in the SVG (titles, labels, tooltips) is escaped here; callers
  pass plain text;
- the output is self-contained: no scripts, no fonts or images to fetch, no links;
  styling is by presentation attributes, so the chart looks the same inside an HTML page
  (whatever its style sheet) and as a file;
- a curve of any length is drawn with at most `MAX_POINTS` points (evenly sampled, the last
  point always kept), so the page stays small for a log of millions of requests;
- the output is a pure function of the arguments (no clock, no randomness).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from seglam_lang.frozen import frozen

MAX_POINTS = 1500
WIDTH, HEIGHT = 520, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 28, 48  # the plot area's margins (axis labels, ticks, title)
_FONT = 'font-family="system-ui, sans-serif" font-size="12" fill="#333"'


@frozen
class Series:
    """One line of a line chart: `points` are (x, y), x increasing."""

    label: str
    points: Sequence[tuple[float, float]]
    colour: str = "#2a7ab0"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top` (0, 1, 2, 5 × 10^k steps)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < top - 1e-12:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _label(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


def _sample(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= MAX_POINTS:
        return list(points)
    step = (len(points) - 1) / (MAX_POINTS - 1)
    return [points[round(i * step)] for i in range(MAX_POINTS)]


def _frame(title: str, x_label: str, y_label: str, y_ticks: list[float], y_format: str,
           width: int, height: int) -> tuple[list[str], float, float]:
    """The chart's outer parts (title, axes, y grid); the plot's height and width."""
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    top = y_ticks[-1]
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>",
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
             f'<text x="{width / 2:.1f}" y="18" text-anchor="middle" {_FONT} font-weight="bold">{escape(title)}</text>']
    for tick in y_ticks:
        y = _TOP + plot_h - (tick / top) * plot_h
        text = f"{tick:.0%}" if y_format == "percent" else _label(tick)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + plot_w}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>{escape(text)}</text>')
    parts.append(f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_LEFT + plot_w}" y2="{_TOP + plot_h}" stroke="#888"/>')
    parts.append(f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" stroke="#888"/>')
    parts.append(f'<text x="{_LEFT + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" {_FONT}>'
                 f"{escape(x_label)}</text>")
    parts.append(f'<text x="14" y="{_TOP + plot_h / 2:.1f}" text-anchor="middle" {_FONT} '
                 f'transform="rotate(-90 14 {_TOP + plot_h / 2:.1f})">{escape(y_label)}</text>')
    return parts, plot_w, plot_h


def line_chart(title: str, series: Sequence[Series], *, x_label: str, y_label: str, width: int = WIDTH,
               height: int = HEIGHT) -> str:
    """Lines through each series' points, on axes from 0 to the largest x and y."""
    x_max = max((p[0] for s in series for p in s.points), default=1) or 1
    y_ticks = nice_ticks(max((p[1] for s in series for p in s.points), default=1))
    parts, plot_w, plot_h = _frame(title, x_label, y_label, y_ticks, "number", width, height)
    for tick in nice_ticks(x_max):
        if tick > x_max:
            break
        x = _LEFT + tick / x_max * plot_w
        parts.append(f'<line x1="{x:.1f}" y1="{_TOP + plot_h}" x2="{x:.1f}" y2="{_TOP + plot_h + 4}" stroke="#888"/>')
        parts.append(f'<text x="{x:.1f}" y="{_TOP + plot_h + 17}" text-anchor="middle" {_FONT}>{_label(tick)}</text>')
    for i, s in enumerate(series):
        coords = " ".join(f"{_LEFT + x / x_max * plot_w:.1f},{_TOP + plot_h - y / y_ticks[-1] * plot_h:.1f}"
                          for x, y in _sample(s.points))
        last = f" ({_label(s.points[-1][1])} at {_label(s.points[-1][0])})" if s.points else ""
        parts.append(f'<polyline class="series" points="{coords}" fill="none" stroke="{escape(s.colour)}" '
                     f'stroke-width="2"><title>{escape(s.label + last)}</title></polyline>')
        parts.append(f'<rect x="{_LEFT + 10}" y="{_TOP + 6 + 16 * i}" width="12" height="3" '
                     f'fill="{escape(s.colour)}"/>')
        parts.append(f'<text x="{_LEFT + 28}" y="{_TOP + 11 + 16 * i}" {_FONT}>{escape(s.label + last)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart(title: str, bars: Sequence[tuple[str, float, str]], *, x_label: str, y_label: str,
              percent: bool = False, width: int = WIDTH, height: int = HEIGHT) -> str:
    """One bar per (label, value, tooltip); values are fractions shown as % when `percent`."""
    y_ticks = [0.0, 0.25, 0.5, 0.75, 1.0] if percent else nice_ticks(max((b[1] for b in bars), default=1))
    parts, plot_w, plot_h = _frame(title, x_label, y_label, y_ticks, "percent" if percent else "number",
                                   width, height)
    slot = min(plot_w / max(len(bars), 1), 48.0)  # a few days are narrow bars, not wide blocks
    every = max(1, math.ceil(len(bars) / 12))  # at most about 12 labels under the axis
    for i, (label, value, tip) in enumerate(bars):
        h = max(value / y_ticks[-1] * plot_h, 1.0)  # a bar of 0 is still seen (and hovered)
        x = _LEFT + i * slot + slot * 0.15
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{_TOP + plot_h - h:.1f}" width="{max(slot * 0.7, 1):.1f}" '
                     f'height="{h:.1f}" fill="#3c9a5f"><title>{escape(tip)}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{_TOP + plot_h + 17}" text-anchor="middle" {_FONT}>'
                         f"{escape(label)}</text>")
    parts.append("</svg>")
    return "\n".join(parts)


def standalone(svg: str) -> str:
    """An `<svg>` element of this module as the text of an `.svg` file."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1) + "\n")
