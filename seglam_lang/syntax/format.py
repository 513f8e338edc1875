"""Source formatting with comments kept: `format_source(source) -> str` (behind `sgl fmt`).

Owns: putting `Module.comments` back into the canonical layout of `syntax.printer`, and
the blank lines a formatted file keeps.

Rules (each keeps the output stable under a second formatting):
- an own-line comment goes before the printed line whose source range ends at or after
  it (the statement or declaration that follows it, or the multi-line statement it sits
  inside), at that line's indentation; a comment at the end of a deeper block (indented
  at least as far as the block's last statement and deeper than what follows) stays
  after that statement at its indentation; comments after everything end the file;
- a trailing comment stays at the end of the printed line of the statement it trails
  (two spaces before `#`); when several trail one printed line (a statement that
  spanned lines), they all go before it as own-line comments, in order;
- between statements of a body, and between declarations of the same kind, one blank
  line is kept where the source had one or more; between declarations the printer's
  rule applies (`printer.decl_gap`); a blank line right after a comment is kept;
- no comment is ever dropped: every comment of the source is in the output.
Invariants: `parse(format_source(s)) == parse(s)` and `format_source(format_source(s)) ==
format_source(s)` for every valid `s`.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

from seglam_lang.syntax import ast
from seglam_lang.syntax.parser import normalize_source, parse
from seglam_lang.syntax.printer import INDENT, Line, decl_gap, layout


def format_source(source: str, file: str = "<input>") -> str:
    """`source` in canonical layout with its comments; raises SglSyntaxError if it does not parse."""
    return format_tree(parse(source, file), source)


def format_tree(tree: ast.Module, source: str) -> str:
    """`tree`, parsed from `source` and maybe edited, in canonical layout with the source's comments.

    Nodes added by an edit carry no span (or a copy of a neighbour's): they print where the
    tree puts them, and the source's comments stay by the nodes they were written beside.
    """
    src = normalize_source(source).split("\n")
    lines = layout(tree, src)
    placement = _place(tree.comments, lines, src)
    return _emit(tree, lines, placement, src)


def _blank(src: list[str], n: int) -> bool:
    """Is source line n (1-based) blank? Lines outside the file are not."""
    return 1 <= n <= len(src) and not src[n - 1].strip()


class _Placement:
    def __init__(self) -> None:
        self.before: dict[int, list[ast.Comment]] = defaultdict(list)
        self.after: dict[int, list[ast.Comment]] = defaultdict(list)
        self.trailing: dict[int, list[ast.Comment]] = defaultdict(list)
        self.end: list[ast.Comment] = []


def _indent_col(src: list[str], n: int) -> int:
    text = src[n - 1] if 1 <= n <= len(src) else ""
    return len(text) - len(text.lstrip(" ")) + 1


def _place(comments: tuple[ast.Comment, ...], lines: list[Line], src: list[str]) -> _Placement:
    known = [i for i, ln in enumerate(lines) if ln.start > 0]
    starts = [lines[i].start for i in known]
    ends = [lines[i].end for i in known]  # non-decreasing: printed lines follow the source
    pl = _Placement()
    for c in comments:
        if not c.own_line:
            k = bisect.bisect_right(starts, c.line) - 1
            if k >= 0:
                pl.trailing[known[k]].append(c)
            elif known:
                pl.before[known[0]].append(c)
            else:
                pl.end.append(c)
            continue
        k = bisect.bisect_left(ends, c.line)
        nxt = known[k] if k < len(known) else None
        prv = known[k - 1] if k > 0 else None
        if prv is not None and lines[prv].depth > 0:
            prv_col = _indent_col(src, lines[prv].start)
            nxt_col = _indent_col(src, lines[nxt].start) if nxt is not None else 1
            if lines[prv].depth > (lines[nxt].depth if nxt is not None else 0) and c.col >= prv_col > nxt_col \
                    and c.col > nxt_col:
                pl.after[prv].append(c)
                continue
        if nxt is not None:
            pl.before[nxt].append(c)
        else:
            pl.end.append(c)
    for i, cs in list(pl.trailing.items()):
        if len(cs) > 1:
            pl.before[i] = sorted(pl.before[i] + cs, key=lambda c: c.line)
            del pl.trailing[i]
    return pl


def _emit(tree: ast.Module, lines: list[Line], pl: _Placement, src: list[str]) -> str:
    out: list[str] = []

    def comment_lines(cs: list[ast.Comment], pad: str, blank_first: bool) -> None:
        for j, c in enumerate(cs):
            if j == 0 and blank_first and _blank(src, c.line - 1) and out and out[-1]:
                out.append("")
            out.append(pad + c.text.rstrip())
            if _blank(src, c.line + 1):
                out.append("")

    for i, line in enumerate(lines):
        before = pl.before.get(i, [])
        first = min([c.line for c in before] + ([line.start] if line.start else []), default=0)
        had_blank = first > 0 and _blank(src, first - 1)
        if not out:
            gap = 0
        elif line.gap == "decl":
            gap = decl_gap(tree.decls[lines[i - 1].decl], tree.decls[line.decl], had_blank)
        elif line.gap == "stmt":
            gap = 1 if had_blank else 0
        else:
            gap = 0
        if out and not out[-1]:
            gap -= 1  # a blank line kept after a comment already counts
        out.extend([""] * max(gap, 0))
        pad = INDENT * line.depth
        comment_lines(before, pad, blank_first=False)
        trailing = pl.trailing.get(i)
        text = line.text + ("  " + trailing[0].text.rstrip() if trailing else "")
        if out and not out[-1] and line.gap in ("block", "tight"):
            out.pop()  # no blank line opens a block or splits a header
        out.append(text)
        comment_lines(pl.after.get(i, []), pad, blank_first=True)
    if pl.end:
        comment_lines(pl.end, "", blank_first=True)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""
