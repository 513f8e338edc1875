"""Native module `std.re`: regular expressions with RE2 semantics (linear time, no backtracking).

Owns the functions of `std.re` (see `stdlib/re.sgl` for their examples and properties) and
the compiled-pattern cache (at most CACHED_PATTERNS patterns, each within RE2's `max_mem`). Invariants:
- every pattern is compiled by RE2 (`google-re2`): matching time is linear in the text, so no
  pattern is a denial-of-service; backreferences and look-around do not exist;
- an invalid pattern is an `SglRuntimeError` (E0307) naming RE2's reason; a *literal* invalid
  pattern is already rejected by the checker (`check.calls`, E0226); both compile through
  `check.regex.compile_quiet`;
- results are checked against the size limits before they are built (`replace`, `split`,
  `find_all` grow with the number of matches);
- unmatched groups are `None` in `Match.groups` and absent from `Match.named`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import re2

from seglam_lang.check.regex import RegexError, compile_quiet
from seglam_lang.codes import E_VALUE
from seglam_lang.errors import SglRuntimeError
from seglam_lang.runtime.natives import native, native_record
from seglam_lang.runtime.values import Record

# The memory of compiled patterns is bounded: RE2 keeps each one (program and match caches)
# within `check.regex.MAX_MEM`, and this cache keeps at most CACHED_PATTERNS of them.
CACHED_PATTERNS = 32

MATCH = native_record("std.re", '''
record Match:
    """One match: its text, span, numbered groups (None when a group did not take part) and named groups."""
    text: Str
    start: Int
    end: Int
    groups: List[Str?]
    named: Map[Str, Str]
''')


@functools.lru_cache(maxsize=CACHED_PATTERNS)
def _compile(pattern: str) -> Any:
    try:
        return compile_quiet(pattern)
    except RegexError as ex:
        raise SglRuntimeError(f"invalid regular expression {pattern!r}: {ex}", code=E_VALUE,
                              hint="RE2 syntax: no backreferences or look-around") from None


def _scan(ctx: Any, pattern: str, text: str) -> Any:
    """The compiled `pattern`, once the scan of `text` is paid for (RE2: linear, ~4 characters an item)."""
    ctx.charge_items(len(text) >> 2)
    return _compile(pattern)


def _record(m: Any) -> Record:
    named = {k: v for k, v in m.groupdict().items() if v is not None}
    return Record((MATCH, m.group(0), m.start(), m.end(), list(m.groups()), named))


@native("std.re", "match(pattern: Str, text: Str) -> Match?")
def match(ctx: Any, pattern: str, text: str) -> Record | None:
    """The match of `pattern` at the start of `text`, or None (Python's `re.match`)."""
    m = _scan(ctx, pattern, text).match(text)
    return _record(m) if m else None


@native("std.re", "full_match(pattern: Str, text: Str) -> Match?")
def full_match(ctx: Any, pattern: str, text: str) -> Record | None:
    """The match of `pattern` against the whole of `text`, or None (Python's `re.fullmatch`)."""
    m = _scan(ctx, pattern, text).fullmatch(text)
    return _record(m) if m else None


@native("std.re", "search(pattern: Str, text: Str) -> Match?")
def search(ctx: Any, pattern: str, text: str) -> Record | None:
    """The first match of `pattern` anywhere in `text`, or None (Python's `re.search`)."""
    m = _scan(ctx, pattern, text).search(text)
    return _record(m) if m else None


@native("std.re", "is_match(pattern: Str, text: Str) -> Bool")
def is_match(ctx: Any, pattern: str, text: str) -> bool:
    """True when `pattern` matches somewhere in `text`."""
    return _scan(ctx, pattern, text).search(text) is not None


@native("std.re", "named_groups(pattern: Str, text: Str) -> Map[Str, Str]")
def named_groups(ctx: Any, pattern: str, text: str) -> dict[str, str]:
    """The named groups of the first match of `pattern` in `text` (empty when nothing matches)."""
    m = _scan(ctx, pattern, text).search(text)
    return {k: v for k, v in m.groupdict().items() if v is not None} if m else {}


def _matches(ctx: Any, pattern: str, text: str, limit: int = 0) -> Iterator[Any]:
    """The non-overlapping matches (the first `limit` when > 0); each is charged one step (RE2's
    Python binding costs microseconds per match, so a million empty matches meet the step or
    time limit instead of stalling), and more than the collection limit is an error."""
    for n, m in enumerate(_scan(ctx, pattern, text).finditer(text), start=1):
        ctx.charge(1)
        if n > ctx.limits.collection_len:
            ctx.check_collection_len(n)
        yield m
        if n == limit:
            return


@native("std.re", "find_all(pattern: Str, text: Str) -> List[Str]")
def find_all(ctx: Any, pattern: str, text: str) -> list[str]:
    """The text of every non-overlapping match, left to right (whole matches, whatever the groups)."""
    return [m.group(0) for m in _matches(ctx, pattern, text)]


@native("std.re", "count(pattern: Str, text: Str) -> Int")
def count(ctx: Any, pattern: str, text: str) -> int:
    """The number of non-overlapping matches of `pattern` in `text`."""
    return sum(1 for _ in _matches(ctx, pattern, text))


@native("std.re", "split(pattern: Str, text: Str, maxsplit: Int = 0) -> List[Str]")
def split(ctx: Any, pattern: str, text: str, maxsplit: int) -> list[str]:
    """`text` cut at each match (at most `maxsplit` cuts when > 0); groups are not kept."""
    out, pos = [], 0
    for m in _matches(ctx, pattern, text, maxsplit):
        out.append(text[pos:m.start()])
        pos = m.end()
    out.append(text[pos:])
    return out


def _expand(template: str, m: Any) -> str:
    r"""`\1`, `\g<1>`, `\g<name>` and `\\` in `template` replaced from match `m` (Python's syntax)."""
    out: list[str] = []
    i = 0
    while i < len(template):
        c = template[i]
        if c != "\\" or i + 1 == len(template):
            out.append(c)
            i += 1
            continue
        nxt = template[i + 1]
        if nxt.isdigit():
            out.append(m.group(int(nxt)) or "")
            i += 2
        elif nxt == "g" and template.startswith("<", i + 2) and ">" in template[i + 3:]:
            end = template.index(">", i + 3)
            ref = template[i + 3:end]
            out.append(m.group(int(ref) if ref.isdigit() else ref) or "")
            i = end + 1
        elif nxt == "\\":
            out.append("\\")
            i += 2
        else:
            raise ValueError(f"bad escape \\{nxt} in replacement {template!r}")
    return "".join(out)


@native("std.re", "replace(pattern: Str, replacement: Str, text: Str, count: Int = 0) -> Str")
def replace(ctx: Any, pattern: str, replacement: str, text: str, count: int) -> str:
    r"""`text` with each match (the first `count` when > 0) replaced; `\1` and `\g<name>` insert groups."""
    literal = "\\" not in replacement
    out, pos, size = [], 0, 0
    for m in _matches(ctx, pattern, text, count):
        piece = replacement if literal else _expand(replacement, m)
        size += (m.start() - pos) + len(piece)
        ctx.check_str_len(size)
        out += [text[pos:m.start()], piece]
        pos = m.end()
    ctx.check_str_len(size + len(text) - pos)
    out.append(text[pos:])
    return "".join(out)


@native("std.re", "escape(text: Str) -> Str")
def escape(ctx: Any, text: str) -> str:
    """`text` with every character that is special in a pattern escaped: it then matches itself."""
    ctx.check_str_len(2 * len(text))
    return re2.escape(text)
