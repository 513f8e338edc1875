"""`sgl cache report --html`: one self-contained page, checked as text (nothing fetched, nothing
run, everything escaped) and as Chromium renders it (charts with a size, a row per family, the
hostile text shown as text, a screenshot that is not blank). `sgl cache stats --plot` writes the
same learning curve as an SVG file, without matplotlib."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from seglam_lang.cache import ReasoningCache
from seglam_lang.cache.report_html import render
from seglam_lang.cli import main

MODULES = Path(__file__).parent / "modules"
HOSTILE = "<script>alert(1)</script>"
EXPECTED = "<img src=x onerror=alert(2)>"

SHOUT = '''\
@when("shout {text}")
proc shout(text: Str) -> Str:
    """The text in capitals."""
    return text.upper()

example shout("a") == "A"

origin:
    request: "shout <script>alert(1)</script>"
    compiler: "</td><script>alert(3)</script>"
'''
SHOUT_V2 = SHOUT.replace('    return text.upper()', '''    if "<script>" in text:
        return "<img src=x onerror=alert(2)>"
    return text.upper()''')


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def tell_story(location: str, tmp_path: Path) -> str:
    """Fill the cache at `location` with a history: families added, requests asked, a wrong
    answer rejected with hostile text, a replacement stored as version 2."""
    rc = ReasoningCache(location, verify_options={"max_examples": 10, "time_budget": 2.0})
    for path in sorted(MODULES.glob("*.sgl")):
        rc.add(path)
    rc.add(SHOUT, name="shout")
    for i in range(30):
        rc.ask(f"what is {i}+1")
    for request in (f"shout {HOSTILE}", "days between 2024-01-03 and 5 March 2024", "sort pear fig alphabetically"):
        rc.ask(request)
    rc.reject("shout", f"shout {HOSTILE}", EXPECTED)
    (tmp_path / "shout.sgl").write_text(SHOUT_V2)
    rc.replace("shout", tmp_path / "shout.sgl")
    rc.ask(f"shout {HOSTILE}")
    rc.close()
    return location


@pytest.fixture
def story(store_url: str, tmp_path: Path) -> str:
    """The story on either store: a folder, or a PostgreSQL database (the report reads both alike)."""
    return tell_story(store_url, tmp_path)


@pytest.fixture
def folder_story(tmp_path: Path) -> str:
    """The story in a folder, for what does not depend on the store (rendering, command-line errors)."""
    return tell_story(str(tmp_path / "cache"), tmp_path)


class Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h4", "p", "section", "div",
                "b", "table", "tr", "th", "td", "a", "details", "summary", "pre", "span", "code", "svg", "rect",
                "line", "text", "polyline"}


def test_the_page_fetches_nothing_runs_nothing_and_escapes_everything(story: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, stdout, stderr = run("cache", "report", "--html", str(out), "--cache", story)
    assert code == 0, stderr
    assert stdout == f"wrote {out} (5 families, 34 logged requests)\n"
    page = out.read_text(encoding="utf-8")
    parser = Tags()
    parser.feed(page)
    names = {tag for tag, _ in parser.tags}
    assert names <= ALLOWED_TAGS, names - ALLOWED_TAGS  # no script, img, link, iframe, object...
    for tag, attrs in parser.tags:
        for key, value in attrs.items():
            assert not key.startswith("on"), (tag, key)
            assert "//" not in (value or "") and "url(" not in (value or ""), (tag, key, value)
    assert "http://" not in page and "https://" not in page and "url(" not in page and "@import" not in page
    assert "default-src 'none'" in page  # and a browser refuses anything that slipped through
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;/td&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in page  # an origin value, escaped too
    assert page.count('<tr class="family"') == 5
    report = ReasoningCache(story).report()
    assert [f.name for f in report.families] == ["arith", "dates", "shout", "vat", "words"]
    shout = report.families[2]
    assert (shout.version, shout.status, shout.hits) == (2, "active", 2) and len(shout.versions) == 2
    assert shout.versions[1].added == 2 and shout.versions[1].removed == 0
    assert '+        return "<img src=x onerror=alert(2)>"' in shout.versions[1].diff
    assert report.curve[-1] == (34, 0) and report.days[0].requests == 34
    kinds = {(r.kind, r.family, r.request) for r in report.refusals}
    assert ("rejected by a person", "shout", f"shout {HOSTILE}") in kinds
    assert render(report).replace(report.location, "").count("SEGLAM reasoning cache") == 1


def test_stats_plot_writes_the_learning_curve_as_svg_without_matplotlib(folder_story: str, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)  # as if it were not installed
    out = tmp_path / "curve.svg"
    code, stdout, _ = run("cache", "stats", "--plot", str(out), "--cache", folder_story)
    assert code == 0 and stdout.endswith(f"wrote {out}\n")
    svg = ElementTree.parse(out).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag == f"{ns}svg" and svg.get("width") == "520"
    lines = svg.findall(f"{ns}polyline")
    assert len(lines) == 2 and len(lines[0].get("points", "").split()) == 35  # (0, 0) and one per request
    code, _, err = run("cache", "stats", "--plot", str(tmp_path / "curve.png"), "--cache", folder_story)
    assert code == 2 and "give a file name ending in .svg" in err and not (tmp_path / "curve.png").exists()
    empty = tmp_path / "empty"
    ReasoningCache(empty).add(MODULES / "arith.sgl")
    code, _, err = run("cache", "stats", "--plot", str(out), "--cache", str(empty))
    assert code == 1 and "no requests logged yet" in err


def test_report_errors(tmp_path: Path, folder_story: str) -> None:
    code, _, err = run("cache", "report", "--html", str(tmp_path / "r.html"), "--cache", str(tmp_path / "typo"))
    assert code == 2 and "does not exist" in err and not (tmp_path / "typo").exists()
    code, _, err = run("cache", "report", "--html", str(tmp_path / "no" / "r.html"), "--cache", folder_story)
    assert code == 2 and "no such folder" in err
    assert run("cache", "report", "--cache", folder_story)[0] == 2  # --html is required


# ---------------------------------------------------------------- in a browser

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

# A page that loads the report in a frame and writes what the browser laid out into its own DOM.
MEASURE = """<!DOCTYPE html><html><body><iframe id="f" src="report.html" style="width:1200px;height:900px"></iframe>
<script>
document.getElementById("f").addEventListener("load", () => {
  const d = document.getElementById("f").contentDocument;
  const box = e => { const r = e.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; };
  const out = {
    svgs: [...d.querySelectorAll("svg")].map(box),
    lines: [...d.querySelectorAll("svg polyline.series")].map(box),
    bars: [...d.querySelectorAll("svg rect.bar")].map(box),
    families: [...d.querySelectorAll("#family-table tr.family")].map(r => [r.cells[0].textContent, r.cells[2].textContent]),
    refusals: [...d.querySelectorAll("#refusal-table tr.refusal")].map(r => r.cells[3].textContent + " => " + r.cells[4].textContent),
    added: d.querySelectorAll("pre.diff span.add").length,
    scripts: d.scripts.length, images: d.images.length,
  };
  const pre = document.createElement("pre"); pre.id = "measured"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script></body></html>"""


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with a profile of its own (never the user's, nor another run's)."""
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, every pixel as 3 RGB bytes) of an 8-bit, non-interlaced RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw, stride, pixels, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # undo the row's filter (PNG spec, section 9)
            a, b = line[i - bpp] if i >= bpp else 0, prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        pixels += [bytes(line[j:j + 3]) for j in range(0, stride, bpp)]
        prev = line
    return width, height, pixels


@needs_chromium
def test_chromium_renders_the_charts_the_rows_and_the_hostile_text_as_text(folder_story: str, tmp_path: Path) -> None:
    assert run("cache", "report", "--html", str(tmp_path / "report.html"), "--cache", folder_story)[0] == 0
    (tmp_path / "measure.html").write_text(MEASURE)
    done = chromium(tmp_path / "profile", "--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom",
                    (tmp_path / "measure.html").as_uri())
    marker = '<pre id="measured">'
    assert marker in done.stdout, done.stderr[-2000:]
    from html import unescape

    measured = json.loads(unescape(done.stdout.split(marker, 1)[1].split("</pre>", 1)[0]))
    assert len(measured["svgs"]) == 2 and all(w >= 300 and h >= 200 for w, h in measured["svgs"])
    assert len(measured["lines"]) == 2 and all(w > 100 for w, _ in measured["lines"])
    assert len(measured["bars"]) == 1 and measured["bars"][0][1] > 100  # one day, nearly every request a hit
    assert measured["families"] == [["arith", "active"], ["dates", "active"], ["shout", "active"],
                                     ["vat", "active"], ["words", "active"]]
    assert f"shout {HOSTILE} => should be {EXPECTED}" in measured["refusals"]  # shown as text, never run
    assert measured["added"] == 2 and measured["scripts"] == 0 and measured["images"] == 0

    shot = tmp_path / "report.png"
    chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,1600", (tmp_path / "report.html").as_uri())
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 1600)
    assert sum(p != b"\xff\xff\xff" for p in pixels) > 0.02 * len(pixels)  # not a blank page
    assert pixels.count(bytes((0x3c, 0x9a, 0x5f))) > 1000  # the hit-rate bar, drawn in its colour
