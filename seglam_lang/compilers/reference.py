"""The compiler's reference text: a compact SGL card generated from `spec/`, plus model modules.

Owns: `generate(repo_root) -> str` (the card, built from the spec pages in `CARD_PAGES` and
the model modules in `MODEL_MODULES`), the shipped copy `reference.md` next to this file
(`spec/` and `examples/` do not ship in the wheel, the package does), and `reference()`,
which reads that copy.

Run `python -m seglam_lang.compilers.reference` in a checkout to regenerate `reference.md`;
`tests/compilers/test_prompt.py` fails when the shipped copy differs from what the spec and
the examples generate now, so the card cannot drift from the language.

How a spec page is compacted (deterministically, so the prompt prefix stays byte-stable
and can be cached by the LLM provider):
- headings, prose and tables are kept; links `[text](page.md#x)` become `text`;
- `sgl`, `sgl-run` and `text` code blocks are kept (they are short and show the syntax);
  `sgl-error`, `python`, `console` and `ebnf` blocks are dropped (they are about the
  implementation, its errors or its tooling, not about writing a module);
- a signature table (`| name | name(...) -> T |`) becomes one line of signatures per section.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

CARD_PAGES = ("types", "expressions", "statements", "declarations", "triggers", "builtins")
MODEL_MODULES = ("examples/basket.sgl", "examples/bbh/word_sorting.sgl", "examples/bbh/navigate.sgl")
KEPT_BLOCKS = frozenset({"sgl", "sgl-run", "text"})
SHIPPED = Path(__file__).with_name("reference.md")

_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*\n?", re.S | re.M)
_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")
_SIG_ROW = re.compile(r"^\| `(\w+)` \| `(\1\(.*)` \|$")


def _compact_page(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _FENCE.finditer(text):
        out.append(_compact_prose(text[pos : m.start()]))
        if m.group(1) in KEPT_BLOCKS:
            out.append(f"```{m.group(1).removesuffix('-run')}\n{m.group(2)}```\n")
        pos = m.end()
    out.append(_compact_prose(text[pos:]))
    joined = "".join(out)
    return re.sub(r"\n{3,}", "\n\n", joined).strip() + "\n"


def _compact_prose(text: str) -> str:
    out: list[str] = []
    table: list[str] = []
    for line in [*_LINK.sub(r"\1", text).split("\n"), None]:
        if line is not None and line.startswith("|"):
            table.append(line)
            continue
        if table:
            out.extend(_compact_table(table))
            table = []
        if line is not None:
            out.append(line)
    return "\n".join(out)


def _compact_table(rows: list[str]) -> list[str]:
    """A table whose body rows are all `| name | name(...) |` becomes one line of signatures."""
    body = [_SIG_ROW.match(r) for r in rows[2:]]
    if not body or not all(body):
        return rows
    return ["; ".join(m.group(2).replace("\\|", "|") for m in body if m)]


def generate(root: Path) -> str:
    """The reference text for a checkout at `root` (raises OSError when a file is missing)."""
    parts = ["# SGL reference card (generated from spec/ by seglam_lang.compilers.reference)\n"]
    for page in CARD_PAGES:
        body = _compact_page((root / "spec" / f"{page}.md").read_text(encoding="utf-8"))
        parts.append(re.sub(r"^#", "##", body, flags=re.M))  # one level down: pages become sections
    parts.append("# Model modules (from examples/): the shape of a good module\n")
    for rel in MODEL_MODULES:
        source = (root / rel).read_text(encoding="utf-8")
        parts.append(f"## {rel}\n\n```sgl\n{source.rstrip()}\n```\n")
    return "\n".join(parts)


@functools.cache
def reference() -> str:
    """The shipped reference text (the stable part of every prompt)."""
    return SHIPPED.read_text(encoding="utf-8")


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[2]
    SHIPPED.write_text(generate(root), encoding="utf-8")
    print(f"wrote {SHIPPED} ({len(SHIPPED.read_text(encoding='utf-8'))} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
