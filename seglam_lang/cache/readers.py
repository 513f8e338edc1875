"""Slot readers: the text a trigger slot captured, read as its parameter's type.

Owns: `read(t, text) -> value` (an SGL runtime value), `reader(t)` (the same, as a
memoised function per type, for the hot path), `ReadError`, and `write(value, t)`:
request text that reads back as the value (used by tests and by compilers writing
examples). The rules are specified in `spec/triggers.md`, section "Slot readers".
What this module adds to the runtime's conversions is the request's own forms: quoted
or bare strings, `none`, and collections written as brackets or prose. Scalars are read
by `seglam_lang.runtime.scalars` and maps and records as JSON by
`seglam_lang.runtime.convert`: one rule for slots, `sgl exec` and the embedding API.

Invariants:
- a reader accepts text only when it denotes exactly one value of the type; anything
  else (ambiguous, partial, out of range, lossy) raises `ReadError`. Never a guess.
- readers are pure functions of (type, text); they do not depend on locale or clock.
- `read(t, write(v, t)) == v` for every value `v` of a readable type.
- values are SGL runtime values. A record slot must give every field (defaults are
  evaluated by the module, which a reader does not see).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from seglam_lang.check.types import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    DURATION,
    FLOAT,
    INT,
    NONE,
    STR,
    ListT,
    MapT,
    OptionalT,
    RecordT,
    SetT,
    TupleT,
    Type,
)
from seglam_lang.runtime.convert import from_json, load_json, sgl_set, to_json
from seglam_lang.runtime.scalars import SCALAR_READERS, ConvertError, show

ReadError = ConvertError  # a slot's text does not read cleanly as its type (the trigger does not match)

Reader = Callable[[str], Any]

# ---------------------------------------------------------------- strings

_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}


def _unquote(s: str) -> str | None:
    """The content of `s` if all of it is one quoted string, else None."""
    if len(s) < 2 or s[0] not in _QUOTES or s[-1] != _QUOTES[s[0]]:
        return None
    close = _QUOTES[s[0]]
    out: list[str] = []
    i = 1
    while i < len(s) - 1:
        c = s[i]
        if c == "\\" and i + 1 < len(s) - 1:
            out.append(s[i + 1])
            i += 2
            continue
        if c == close or c == "\\":
            return None  # an unescaped closing quote inside: not one string
        out.append(c)
        i += 1
    return "".join(out)


def _read_str(text: str) -> str:
    s = text.strip()
    quoted = _unquote(s)
    if quoted is not None:
        return quoted
    if not s:
        raise ReadError("empty text")
    return s


# ---------------------------------------------------------------- collections

_OPEN = {"[": "]", "{": "}", "(": ")"}


def _split_top(s: str, at: Callable[[str, int], int]) -> list[str] | None:
    """Split `s` where `at(s, i)` returns a separator length > 0, outside quotes and
    brackets. None if brackets or quotes are unbalanced."""
    parts: list[str] = []
    stack: list[str] = []
    quote: str | None = None
    start = i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if quote is not None:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
            i += 1
            continue
        if c in _QUOTES and (i == 0 or not s[i - 1].isalnum()):
            quote = _QUOTES[c]
        elif c in _OPEN:
            stack.append(_OPEN[c])
        elif c in ")]}":
            if not stack or stack.pop() != c:
                return None
        elif not stack:
            k = at(s, i)
            if k:
                parts.append(s[start:i])
                i += k
                start = i
                continue
        i += 1
    if stack or quote is not None:
        return None
    parts.append(s[start:])
    return parts


_PROSE_SEP = re.compile(r",\s+(?:and\s+)?|\s+and\s+", re.I)
_SPACE_SEP = re.compile(r"\s+")


def _sep_at(pattern: re.Pattern[str]) -> Callable[[str, int], int]:
    def at(s: str, i: int) -> int:
        m = pattern.match(s, i)
        return m.end() - i if m else 0

    return at


_prose_at = _sep_at(_PROSE_SEP)
# What `_split_top` treats specially: text without any of these splits as the separator's regex does.
_NESTING = re.compile("[" + re.escape("".join(_QUOTES) + "".join(_OPEN) + ")]}") + "]")
_space_at = _sep_at(_SPACE_SEP)


def _comma_at(s: str, i: int) -> int:
    return 1 if s[i] == "," else 0


def _items(text: str, brackets: str) -> list[str]:
    """The item texts of a collection slot (see `spec/triggers.md`)."""
    s = text.strip()
    if len(s) >= 2 and s[0] in brackets and s[-1] == _OPEN[s[0]]:
        inner = _split_top(s[1:-1], _comma_at)
        if inner is not None:
            items = [x.strip() for x in inner]
            if items == [""]:
                return []
            if "" in items:
                raise ReadError(f"empty item in {show(text)}")
            return items
    plain = _NESTING.search(s) is None  # the common case: the separators split it, C does the work
    for at, sep in ((_prose_at, _PROSE_SEP), (_space_at, _SPACE_SEP)):
        parts = sep.split(s) if plain else _split_top(s, at)
        if parts is None:
            raise ReadError(f"unbalanced brackets or quotes: {show(text)}")
        if len(parts) > 1 or at is _space_at:
            if any(not p.strip() for p in parts):
                raise ReadError(f"empty item in {show(text)}")
            return [p.strip() for p in parts]
    raise AssertionError("unreachable")


def _list_reader(t: ListT) -> Reader:
    elem = reader(t.elem)
    return lambda text: [elem(x) for x in _items(text, "[")]


def _set_reader(t: SetT) -> Reader:
    elem = reader(t.elem)
    return lambda text: sgl_set([elem(x) for x in _items(text, "[{")])


def _tuple_reader(t: TupleT) -> Reader:
    elems = [reader(e) for e in t.elems]

    def read_tuple(text: str) -> tuple[Any, ...]:
        items = _items(text, "([")
        if len(items) != len(elems):
            raise ReadError(f"expected {len(elems)} items, got {len(items)}: {show(text)}")
        return tuple(r(x) for r, x in zip(elems, items))

    return read_tuple


# ---------------------------------------------------------------- JSON (maps and records)


def _json_reader(t: MapT | RecordT) -> Reader:
    def read_json(text: str) -> Any:
        # Field defaults are evaluated by the module, which a slot reader does not see:
        # a record slot gives every field.
        return from_json(load_json(text.strip()), t)

    return read_json


# ---------------------------------------------------------------- dispatch

_NONE_WORDS = ("", "none", "null")


def _optional_reader(t: OptionalT) -> Reader:
    inner = reader(t.inner)
    return lambda text: None if text.strip().casefold() in _NONE_WORDS else inner(text)


def _read_none(text: str) -> None:
    if text.strip().casefold() not in _NONE_WORDS:
        raise ReadError(f"expected none: {show(text)}")


_PRIMITIVE_READERS: dict[Type, Reader] = {**SCALAR_READERS, STR: _read_str, NONE: _read_none}
_CACHE: dict[Type, Reader] = {}


def reader(t: Type) -> Reader:
    """The slot reader for type `t` (memoised). Raises ReadError for an unreadable type."""
    r = _CACHE.get(t)
    if r is not None:
        return r
    if t in _PRIMITIVE_READERS:
        r = _PRIMITIVE_READERS[t]
    elif isinstance(t, OptionalT):
        r = _optional_reader(t)
    elif isinstance(t, ListT):
        r = _list_reader(t)
    elif isinstance(t, SetT):
        r = _set_reader(t)
    elif isinstance(t, TupleT):
        r = _tuple_reader(t)
    elif isinstance(t, (MapT, RecordT)):
        r = _json_reader(t)
    else:
        raise ReadError(f"a slot cannot be read as {t}")
    if not isinstance(t, RecordT):  # RecordT equality ignores fields: do not share across modules
        _CACHE[t] = r
    return r


def read(t: Type, text: str) -> Any:
    """Read slot text as type `t`; raise ReadError if it does not read cleanly."""
    return reader(t)(text)


# ---------------------------------------------------------------- writing


def write(value: Any, t: Type) -> str:
    """Request text that `read(t, ...)` reads back as `value` (a canonical spelling)."""
    if isinstance(t, OptionalT):
        return "none" if value is None else write(value, t.inner)
    if t == BOOL:
        return "yes" if value else "no"
    if t == INT:
        return str(value)
    if t == FLOAT:
        return repr(float(value))
    if t == DECIMAL:
        return format(value, "f")
    if t == STR:
        if value and value == value.strip() and value[0] not in _QUOTES and not _needs_quotes(value):
            return value
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if t == DATE:
        return value.isoformat()
    if t == DATETIME:
        return value.isoformat(sep=" ")
    if t == DURATION:
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        sign, micros = ("-" if micros < 0 else ""), abs(micros)
        return f"{sign}{micros // 1_000_000} seconds {micros % 1_000_000} microseconds"
    if isinstance(t, (ListT, SetT)):
        return "[" + ", ".join(write(x, t.elem) for x in value) + "]"
    if isinstance(t, TupleT):
        return "(" + ", ".join(write(x, u) for x, u in zip(value, t.elems)) + ")"
    if isinstance(t, (MapT, RecordT)):
        return json.dumps(to_json(value), ensure_ascii=False)
    raise ValueError(f"cannot write {t}")


def _needs_quotes(s: str) -> bool:
    """Bare text is read as is; inside a collection it must not contain separators."""
    return any(c in s for c in ",[]{}()\"'“”‘’\\") or any(c.isspace() for c in s) or s.casefold() in _NONE_WORDS
