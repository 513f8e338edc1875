"""`sgl explain CODE`: what a diagnostic code means, with a mistake that gives it and the fix.

Owns: reading the explanations of `spec/errors.md` (the section `## Explanations`, one
`### CODE` subsection each: prose, then `Mistake:` and `Fix:` each followed by a code
block) together with the meaning of each code from the page's code tables, and printing
one of them.

Invariants:
- the page is the one source: this module holds no explanation of its own; the page ships
  in the wheel as `seglam_lang/_spec/errors.md` (see pyproject.toml), found like the
  grammar and the stdlib (`seglam_lang.syntax.tables.resource_dir`);
- every code of the tables has an explanation with a mistake and a fix, and nothing else
  has one (tests/tooling/test_explain.py); the examples themselves are run by the spec
  tests like every other block of the reference;
- an unknown code is a usage error (exit 2) that says how to list the codes.
"""

from __future__ import annotations

import re
import textwrap
from functools import cache
from pathlib import Path

import click

from seglam_lang.frozen import frozen


class UnknownCode(ValueError):
    """Not an error code, or a code without an explanation."""

_ROW = re.compile(r"^\| (E\d{4}) \| (.*) \|$", re.M)
_SECTION = re.compile(r"^### (E\d{4})\n(.*?)(?=^##|\Z)", re.S | re.M)
_BLOCK = re.compile(r"^(Mistake|Fix):\n\n```([\w-]*)[^\n]*\n(.*?)^```", re.S | re.M)
_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")
_MARKER = re.compile(r"^# error: E\d{4}\n?", re.M)


@frozen
class Explanation:
    code: str
    meaning: str
    prose: str
    mistake: str | None
    mistake_lang: str | None
    fix: str | None
    fix_lang: str | None

    def render(self) -> str:
        parts = [f"{self.code}: {self.meaning}", "", textwrap.fill(self.prose, 88)]
        for title, block in (("Mistake", self.mistake), ("Fix", self.fix)):
            if block is not None:
                parts += ["", f"{title}:", "", textwrap.indent(_MARKER.sub("", block).rstrip("\n"), "    ")]
        return "\n".join(parts)


def page_path() -> Path:
    from seglam_lang.syntax.tables import resource_dir

    return resource_dir("spec") / "errors.md"


def parse_page(text: str) -> tuple[dict[str, str], dict[str, Explanation]]:
    """The meaning of every code in the tables, and every explanation of the page."""
    head, _, explained = text.partition("\n## Explanations\n")
    meanings = {code: meaning for code, meaning in _ROW.findall(head)}
    out: dict[str, Explanation] = {}
    for m in _SECTION.finditer(explained):
        code, body = m.group(1), m.group(2)
        blocks = {kind: (lang, code_text) for kind, lang, code_text in _BLOCK.findall(body)}
        first_block = body.find("\nMistake:")
        prose = _LINK.sub(r"\1", " ".join((body if first_block < 0 else body[:first_block]).split()))
        mistake, fix = blocks.get("Mistake"), blocks.get("Fix")
        out[code] = Explanation(code, meanings.get(code, "(not in the code tables)"), prose,
                                mistake[1] if mistake else None, mistake[0] if mistake else None,
                                fix[1] if fix else None, fix[0] if fix else None)
    return meanings, out


@cache
def _load() -> tuple[dict[str, str], dict[str, Explanation]]:
    path = page_path()
    try:
        return parse_page(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UnknownCode(f"cannot read the explanations ({path}: {e.strerror}); the installation is incomplete") \
            from None


def normalize(raw: str) -> str:
    """`E0201`, `e0201`, `0201` and `201` all name E0201."""
    text = raw.strip().upper().removeprefix("E")
    if not text.isdigit() or len(text) > 4:
        raise UnknownCode(f"{raw!r} is not an error code (codes look like E0201)")
    return "E" + text.zfill(4)


def explain(raw: str) -> Explanation:
    code = normalize(raw)
    _, explanations = _load()
    found = explanations.get(code)
    if found is None:
        raise UnknownCode(f"unknown error code {code} (`sgl explain --list` lists them)")
    return found


@click.command("explain")
@click.argument("code", required=False)
@click.option("--list", "list_codes", is_flag=True, help="List every code with its meaning.")
def explain_command(code: str | None, list_codes: bool) -> None:
    """Explain an error code (E0201): what it means, a mistake that gives it, and the fix."""
    from seglam_lang.cli.failures import EXIT_USAGE, fail

    try:
        _run(code, list_codes)
    except UnknownCode as e:
        fail(str(e), EXIT_USAGE)


def _run(code: str | None, list_codes: bool) -> None:
    if list_codes:
        if code is not None:
            raise click.UsageError("give a CODE or --list, not both")
        meanings, _ = _load()
        for c, meaning in meanings.items():
            click.echo(f"{c}  {meaning}")
        return
    if code is None:
        raise click.UsageError("give an error code, e.g. `sgl explain E0201`, or --list")
    click.echo(explain(code).render())
