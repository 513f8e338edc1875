"""Slot readers: the text a trigger slot captured, read as its parameter's type.

Owns: `read(t, text) -> value` (an SGL runtime value), `reader(t)` (the same, as a
memoised function per type, for the hot path), `ReadError`, and `write(value, t)`:
request text that reads back as the value (used by tests and by compilers writing
examples). The rules are specified in `spec/triggers.md`, section "Slot readers".

Invariants:
- a reader accepts text only when it denotes exactly one value of the type; anything
  else (ambiguous, partial, out of range, lossy) raises `ReadError`. Never a guess.
- readers are pure functions of (type, text); they do not depend on locale or clock.
- `read(t, write(v, t)) == v` for every value `v` of a readable type.
- values are SGL runtime values (see the common contract); `SglSet` and `Record` come
  from the runtime, imported only when such a type is read. A record slot must give
  every field (defaults are evaluated by the module, which a reader does not see).
"""

from __future__ import annotations

import datetime as dt
import decimal
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


class ReadError(ValueError):
    """A slot's text does not read cleanly as its type (the trigger does not match)."""


Reader = Callable[[str], Any]

# ---------------------------------------------------------------- numbers

_DIGITS = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)"
_INT_RE = re.compile(rf"([+-]?){_DIGITS}\Z")
_NUM_BODY = rf"(?:{_DIGITS}(?:\.[0-9]+)?|\.[0-9]+)"
_FLOAT_RE = re.compile(rf"[+-]?{_NUM_BODY}(?:[eE][+-]?[0-9]+)?%?\Z")
_DECIMAL_RE = re.compile(rf"([+-]?)([$€£¥]?)({_NUM_BODY})(%?)\Z")
_MAX_NUMBER_CHARS = 4000  # below CPython's int-to-str cap; a longer slot is not a clean number


def _read_int(text: str) -> int:
    s = text.strip()
    if len(s) > _MAX_NUMBER_CHARS or not _INT_RE.match(s):
        raise ReadError(f"not an integer: {_show(text)}")
    return int(s.replace(",", ""))


def _read_float(text: str) -> float:
    s = text.strip()
    if len(s) > _MAX_NUMBER_CHARS or not _FLOAT_RE.match(s):
        raise ReadError(f"not a number: {_show(text)}")
    s = s.replace(",", "")
    if s.endswith("%"):
        # Through Decimal, so that `7%` is the float nearest 0.07 (one rounding).
        return float(decimal.Decimal(s[:-1]).scaleb(-2))
    value = float(s)
    if value in (float("inf"), float("-inf")):
        raise ReadError(f"number out of range: {_show(text)}")
    return value


def _read_decimal(text: str) -> decimal.Decimal:
    s = text.strip()
    m = _DECIMAL_RE.match(s) if len(s) <= _MAX_NUMBER_CHARS else None
    if m is None:
        raise ReadError(f"not a decimal number: {_show(text)}")
    sign, currency, body, percent = m.groups()
    if currency and percent:
        raise ReadError(f"a currency amount cannot be a percentage: {_show(text)}")
    value = decimal.Decimal(sign + body.replace(",", ""))
    return value.scaleb(-2) if percent else value


def _read_bool(text: str) -> bool:
    s = text.strip().casefold()
    if s in ("yes", "true"):
        return True
    if s in ("no", "false"):
        return False
    raise ReadError(f"not yes/no/true/false: {_show(text)}")


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


# ---------------------------------------------------------------- dates and times

_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
         ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
         ("november", "nov"), ("december", "dec")]
    )
    for name in names
}
_MONTH = r"(?P<month>[A-Za-z]+)\.?"
_DAY = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>[0-9]{4})"
_DATE_FORMS = [
    re.compile(r"(?P<year>[0-9]{4})-(?P<mnum>[0-9]{2})-(?P<day>[0-9]{2})"),
    re.compile(rf"{_DAY} (?:of )?{_MONTH},? {_YEAR}", re.I),
    re.compile(rf"{_MONTH} {_DAY},? {_YEAR}", re.I),
]
_TIME = re.compile(
    r"(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]{1,6}))?)?(?: ?(?P<ampm>[ap]\.?m\.?))?\Z", re.I
)
_WS = re.compile(r"\s+")


def _match_date(s: str) -> tuple[dt.date, int] | None:
    """A date at the start of `s` and where it ends, or None."""
    for form in _DATE_FORMS:
        m = form.match(s)
        if m is None:
            continue
        g = m.groupdict()
        if g.get("mnum"):
            month = int(g["mnum"])
        else:
            month = _MONTHS.get(g["month"].casefold(), 0)
            if not month:
                continue
        try:
            return dt.date(int(g["year"]), month, int(g["day"])), m.end()
        except ValueError:
            raise ReadError(f"no such date: {_show(s[: m.end()])}") from None
    return None


def _read_date(text: str) -> dt.date:
    s = _WS.sub(" ", text.strip())
    found = _match_date(s)
    if found is None or found[1] != len(s):
        raise ReadError(f"not a date (write 2024-03-05 or 5 March 2024): {_show(text)}")
    return found[0]


def _read_datetime(text: str) -> dt.datetime:
    s = _WS.sub(" ", text.strip())
    found = _match_date(s)
    if found is None:
        raise ReadError(f"not a date and time (write 2024-03-05 14:30): {_show(text)}")
    date, end = found
    rest = s[end:]
    rest = re.sub(r"\A(?:T| at |, | )", "", rest, count=1, flags=re.I) if rest else rest
    m = _TIME.match(rest) if rest else None
    if m is None or (rest and not rest[0].isdigit()):
        raise ReadError(f"not a date and time (write 2024-03-05 14:30): {_show(text)}")
    hour, minute = int(m["h"]), int(m["m"])
    if m["ampm"]:
        if not 1 <= hour <= 12:
            raise ReadError(f"not a 12-hour time: {_show(text)}")
        hour = hour % 12 + (12 if m["ampm"][0].casefold() == "p" else 0)
    try:
        return dt.datetime(date.year, date.month, date.day, hour, minute, int(m["s"] or 0),
                           int((m["f"] or "0").ljust(6, "0")))
    except ValueError:
        raise ReadError(f"no such time: {_show(text)}") from None


_UNITS = {
    **dict.fromkeys(("weeks", "week", "wk", "wks", "w"), 604_800_000_000),
    **dict.fromkeys(("days", "day", "d"), 86_400_000_000),
    **dict.fromkeys(("hours", "hour", "hr", "hrs", "h"), 3_600_000_000),
    **dict.fromkeys(("minutes", "minute", "min", "mins", "m"), 60_000_000),
    **dict.fromkeys(("seconds", "second", "sec", "secs", "s"), 1_000_000),
    **dict.fromkeys(("milliseconds", "millisecond", "ms"), 1_000),
    **dict.fromkeys(("microseconds", "microsecond", "us", "µs"), 1),
}
_VAGUE_UNITS = ("month", "months", "year", "years", "yr", "yrs")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?) ?([a-zµ]+)\Z", re.I)
_DURATION_SEP = re.compile(r",? and |, | ")


def _read_duration(text: str) -> dt.timedelta:
    s = _WS.sub(" ", text.strip())
    negative = s.startswith("-")
    if negative:
        s = s[1:].lstrip()
    # Tokens: "3 days", "3days", "3d"; separated by spaces, commas or "and".
    tokens = [t for t in _DURATION_SEP.split(s) if t]
    micros = 0
    seen: set[int] = set()
    i = 0
    if not tokens:
        raise ReadError(f"not a duration: {_show(text)}")
    while i < len(tokens):
        m = _DURATION_PART.match(tokens[i])
        if m is None and i + 1 < len(tokens):
            m = _DURATION_PART.match(tokens[i] + " " + tokens[i + 1])
            i += 1
        i += 1
        if m is None:
            raise ReadError(f"not a duration (write 3 days, 2 hours 30 minutes): {_show(text)}")
        unit = m[2].casefold()
        if unit in _VAGUE_UNITS:
            raise ReadError(f"months and years have no fixed length; give days: {_show(text)}")
        scale = _UNITS.get(unit)
        if scale is None or scale in seen:
            raise ReadError(f"not a duration (unknown or repeated unit {m[2]!r}): {_show(text)}")
        seen.add(scale)
        amount = decimal.Decimal(m[1]) * scale
        if amount != amount.to_integral_value():
            raise ReadError(f"duration finer than a microsecond: {_show(text)}")
        micros += int(amount)
    try:
        return dt.timedelta(microseconds=-micros if negative else micros)
    except OverflowError:
        raise ReadError(f"duration out of range: {_show(text)}") from None


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
                raise ReadError(f"empty item in {_show(text)}")
            return items
    for at in (_prose_at, _space_at):
        parts = _split_top(s, at)
        if parts is None:
            raise ReadError(f"unbalanced brackets or quotes: {_show(text)}")
        if len(parts) > 1 or at is _space_at:
            if any(not p.strip() for p in parts):
                raise ReadError(f"empty item in {_show(text)}")
            return [p.strip() for p in parts]
    raise AssertionError("unreachable")


def _list_reader(t: ListT) -> Reader:
    elem = reader(t.elem)
    return lambda text: [elem(x) for x in _items(text, "[")]


def _set_reader(t: SetT) -> Reader:
    elem = reader(t.elem)
    return lambda text: _make_set([elem(x) for x in _items(text, "[{")])


def _tuple_reader(t: TupleT) -> Reader:
    elems = [reader(e) for e in t.elems]

    def read_tuple(text: str) -> tuple[Any, ...]:
        items = _items(text, "([")
        if len(items) != len(elems):
            raise ReadError(f"expected {len(elems)} items, got {len(items)}: {_show(text)}")
        return tuple(r(x) for r, x in zip(elems, items))

    return read_tuple


# ---------------------------------------------------------------- JSON (maps and records)


def _json_reader(t: MapT | RecordT) -> Reader:
    def read_json(text: str) -> Any:
        try:
            data = json.loads(text.strip(), parse_float=decimal.Decimal, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise ReadError(f"not a JSON object: {_show(text)}") from None
        return from_json(data, t)

    return read_json


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def from_json(data: Any, t: Type) -> Any:
    """JSON data (floats as Decimal) as the SGL value of type `t`.

    A JSON string for a non-`Str` type is read by that type's slot reader, so dates,
    percentages and durations can be written the way a request would write them.
    """
    if isinstance(t, OptionalT):
        return None if data is None else from_json(data, t.inner)
    if isinstance(data, str) and t != STR and not isinstance(t, (ListT, SetT, TupleT, MapT, RecordT)):
        return reader(t)(data)
    kind = type(data)
    if (t, kind) in ((STR, str), (BOOL, bool), (INT, int)):
        return data
    if t == FLOAT and kind in (int, decimal.Decimal):
        return float(data)
    if t == DECIMAL and kind in (int, decimal.Decimal):
        return decimal.Decimal(data)
    if isinstance(t, ListT) and kind is list:
        return [from_json(x, t.elem) for x in data]
    if isinstance(t, SetT) and kind is list:
        return _make_set([from_json(x, t.elem) for x in data])
    if isinstance(t, TupleT) and kind is list and len(data) == len(t.elems):
        return tuple(from_json(x, u) for x, u in zip(data, t.elems))
    if isinstance(t, MapT) and kind is dict:
        key = reader(t.key)
        return {key(k): from_json(v, t.value) for k, v in data.items()}
    if isinstance(t, RecordT) and kind is dict:
        out: dict[str, Any] = {}
        for k, v in data.items():
            f = t.field(k)
            if f is None:
                raise ReadError(f"{t.name} has no field {k!r}")
            out[k] = from_json(v, f.type)
        return _make_record(t, out)
    raise ReadError(f"expected {t}, got JSON {json.dumps(data, default=str)[:40]}")


def _make_set(items: list[Any]) -> Any:
    from seglam_lang.runtime.values import SglSet  # the runtime, only when a set is read

    return SglSet(dict.fromkeys(items))  # first occurrence kept: sets iterate in insertion order


def _make_record(t: RecordT, fields: dict[str, Any]) -> Any:
    from seglam_lang.runtime.values import Record  # the runtime, only when a record is read

    missing = [f.name for f in t.fields if f.name not in fields]
    if missing:
        # Field defaults are evaluated by the module, which a slot reader does not see.
        raise ReadError(f"{t.name} needs every field in a slot; missing: {', '.join(missing)}")
    return Record(t, tuple(fields[f.name] for f in t.fields))


# ---------------------------------------------------------------- dispatch

_NONE_WORDS = ("", "none", "null")


def _optional_reader(t: OptionalT) -> Reader:
    inner = reader(t.inner)
    return lambda text: None if text.strip().casefold() in _NONE_WORDS else inner(text)


def _read_none(text: str) -> None:
    if text.strip().casefold() not in _NONE_WORDS:
        raise ReadError(f"expected none: {_show(text)}")


_PRIMITIVE_READERS: dict[Type, Reader] = {
    INT: _read_int, FLOAT: _read_float, DECIMAL: _read_decimal, BOOL: _read_bool, STR: _read_str,
    DATE: _read_date, DATETIME: _read_datetime, DURATION: _read_duration, NONE: _read_none,
}
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


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


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
        return json.dumps(_to_json(value, t))
    raise ValueError(f"cannot write {t}")


def _needs_quotes(s: str) -> bool:
    """Bare text is read as is; inside a collection it must not contain separators."""
    return any(c in s for c in ",[]{}()\"'“”‘’\\") or any(c.isspace() for c in s) or s.casefold() in _NONE_WORDS


def _to_json(value: Any, t: Type) -> Any:
    if isinstance(t, OptionalT):
        return None if value is None else _to_json(value, t.inner)
    if t in (STR, BOOL, INT):
        return value
    if isinstance(t, (ListT, SetT, TupleT)):
        ts = t.elems if isinstance(t, TupleT) else [t.elem] * len(value)
        return [_to_json(x, u) for x, u in zip(value, ts)]
    if isinstance(t, MapT):
        return {write(k, t.key): _to_json(v, t.value) for k, v in value.items()}
    if isinstance(t, RecordT):
        return {f.name: _to_json(getattr(value, f.name), f.type) for f in t.fields}
    return write(value, t)
