"""Scalar values from text: the one rule for reading an `Int`, `Float`, `Decimal`, `Bool`,
`Date`, `DateTime` or `Duration` written as text.

Owns `read_scalar(t, text)`, `SCALAR_READERS` and `ConvertError`. These readers are used
by the cache's slot readers (a request's text) and by every JSON reader (a JSON string
for a non-`Str` scalar type), so a date, a percentage or a duration reads the same way
in a request, in `sgl exec --args-json` and from `ReasoningCache.solve`. The forms each
reader accepts are specified in `spec/triggers.md`, section "Slot readers".

Invariants:
- a reader accepts text only when it denotes exactly one value of the type; anything
  else (ambiguous, partial, out of range, lossy) raises `ConvertError`. Never a guess;
- numbers are read exactly, independently of the host's `decimal` context: Decimal
  digits are kept as written (`decimal.Decimal(str)` is exact), percentages shift the
  exponent without rounding, durations are computed in integer microseconds. Text that
  cannot be read exactly (a duration finer than a microsecond) does not read;
- readers are pure functions of (type, text): no locale, clock or platform.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from typing import Any

from seglam_lang.check.types import BOOL, DATE, DATETIME, DECIMAL, DURATION, FLOAT, INT, Type
from seglam_lang.codes import E_USAGE
from seglam_lang.errors import SglError


class ConvertError(SglError, ValueError):
    """Text or data that does not convert to or from the expected type (E0500). `str(e)` is
    its one-line message; it is also a `ValueError`, as Python's own conversions raise."""

    default_code = E_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


# ---------------------------------------------------------------- numbers

_DIGITS = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)"
_INT_RE = re.compile(rf"([+-]?){_DIGITS}\Z")
_NUM_BODY = rf"(?:{_DIGITS}(?:\.[0-9]+)?|\.[0-9]+)"
_FLOAT_RE = re.compile(rf"[+-]?{_NUM_BODY}(?:[eE][+-]?[0-9]+)?%?\Z")
_DECIMAL_RE = re.compile(rf"([+-]?)([$€£¥]?)({_NUM_BODY})(%?)\Z")
MAX_NUMBER_CHARS = 4000  # below CPython's int-to-str cap; a longer number is not a clean number


def shift(d: decimal.Decimal, places: int) -> decimal.Decimal:
    """`d * 10**places`, exactly: the exponent moves, no digit is rounded (unlike `scaleb`,
    which rounds to the current context's precision)."""
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)  # finite: the callers read digits only
    return decimal.Decimal((sign, digits, exponent + places))


def micros_of(seconds_scale: int, amount: decimal.Decimal) -> int | None:
    """`amount` units of `seconds_scale` microseconds each, as an int; None unless exact."""
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)
    n = int("".join(map(str, digits)) or "0") * seconds_scale
    if exponent >= 0:
        n *= 10**exponent
    else:
        n, rest = divmod(n, 10**-exponent)
        if rest:
            return None
    return -n if sign else n


def _read_int(text: str) -> int:
    s = text.strip()
    if s.isdigit() and s.isascii() and len(s) <= MAX_NUMBER_CHARS:
        return int(s)  # plain ASCII digits, the commonest slot of all: what `_INT_RE` would accept
    if len(s) > MAX_NUMBER_CHARS or not _INT_RE.match(s):
        raise ConvertError(f"not an integer: {show(text)}")
    return int(s.replace(",", ""))


def _read_float(text: str) -> float:
    s = text.strip()
    if len(s) > MAX_NUMBER_CHARS or not _FLOAT_RE.match(s):
        raise ConvertError(f"not a number: {show(text)}")
    s = s.replace(",", "")
    # Through an exact Decimal, so that `7%` is the float nearest 0.07 (one rounding).
    value = float(shift(decimal.Decimal(s[:-1]), -2)) if s.endswith("%") else float(s)
    if value in (float("inf"), float("-inf")):
        raise ConvertError(f"number out of range: {show(text)}")
    return value


def _read_decimal(text: str) -> decimal.Decimal:
    s = text.strip()
    m = _DECIMAL_RE.match(s) if len(s) <= MAX_NUMBER_CHARS else None
    if m is None:
        raise ConvertError(f"not a decimal number: {show(text)}")
    sign, currency, body, percent = m.groups()
    if currency and percent:
        raise ConvertError(f"a currency amount cannot be a percentage: {show(text)}")
    value = decimal.Decimal(sign + body.replace(",", ""))
    return shift(value, -2) if percent else value


def _read_bool(text: str) -> bool:
    s = text.strip().casefold()
    if s in ("yes", "true"):
        return True
    if s in ("no", "false"):
        return False
    raise ConvertError(f"not yes/no/true/false: {show(text)}")


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
            raise ConvertError(f"no such date: {show(s[: m.end()])}") from None
    return None


def _read_date(text: str) -> dt.date:
    s = _WS.sub(" ", text.strip())
    found = _match_date(s)
    if found is None or found[1] != len(s):
        raise ConvertError(f"not a date (write 2024-03-05 or 5 March 2024): {show(text)}")
    return found[0]


def _read_datetime(text: str) -> dt.datetime:
    s = _WS.sub(" ", text.strip())
    found = _match_date(s)
    if found is None:
        raise ConvertError(f"not a date and time (write 2024-03-05 14:30): {show(text)}")
    date, end = found
    rest = s[end:]
    rest = re.sub(r"\A(?:T| at |, | )", "", rest, count=1, flags=re.I) if rest else rest
    m = _TIME.match(rest) if rest else None
    if m is None or (rest and not rest[0].isdigit()):
        raise ConvertError(f"not a date and time (write 2024-03-05 14:30): {show(text)}")
    hour, minute = int(m["h"]), int(m["m"])
    if m["ampm"]:
        if not 1 <= hour <= 12:
            raise ConvertError(f"not a 12-hour time: {show(text)}")
        hour = hour % 12 + (12 if m["ampm"][0].casefold() == "p" else 0)
    try:
        return dt.datetime(date.year, date.month, date.day, hour, minute, int(m["s"] or 0),
                           int((m["f"] or "0").ljust(6, "0")))
    except ValueError:
        raise ConvertError(f"no such time: {show(text)}") from None


SECOND = 1_000_000  # microseconds
_UNITS = {
    **dict.fromkeys(("weeks", "week", "wk", "wks", "w"), 604_800 * SECOND),
    **dict.fromkeys(("days", "day", "d"), 86_400 * SECOND),
    **dict.fromkeys(("hours", "hour", "hr", "hrs", "h"), 3_600 * SECOND),
    **dict.fromkeys(("minutes", "minute", "min", "mins", "m"), 60 * SECOND),
    **dict.fromkeys(("seconds", "second", "sec", "secs", "s"), SECOND),
    **dict.fromkeys(("milliseconds", "millisecond", "ms"), 1_000),
    **dict.fromkeys(("microseconds", "microsecond", "us", "µs"), 1),
}
_VAGUE_UNITS = ("month", "months", "year", "years", "yr", "yrs")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?) ?([a-zµ]+)\Z", re.I)
_DURATION_SEP = re.compile(r",? and |, | ")


def duration_of_micros(micros: int, text: str) -> dt.timedelta:
    """A Duration of `micros` microseconds; ConvertError naming `text` when out of range."""
    try:
        return dt.timedelta(microseconds=micros)
    except OverflowError:
        raise ConvertError(f"duration out of range: {show(text)}") from None


def _read_duration(text: str) -> dt.timedelta:
    s = _WS.sub(" ", text.strip())
    negative = s.startswith("-")
    if negative:
        s = s[1:].lstrip()
    # Tokens: "3 days", "3days", "3d"; separated by spaces, commas or "and".
    tokens = [t for t in _DURATION_SEP.split(s) if t] if len(s) <= MAX_NUMBER_CHARS else []
    micros = 0
    seen: set[int] = set()
    i = 0
    if not tokens:
        raise ConvertError(f"not a duration: {show(text)}")
    while i < len(tokens):
        m = _DURATION_PART.match(tokens[i])
        if m is None and i + 1 < len(tokens):
            m = _DURATION_PART.match(tokens[i] + " " + tokens[i + 1])
            i += 1
        i += 1
        if m is None:
            raise ConvertError(f"not a duration (write 3 days, 2 hours 30 minutes): {show(text)}")
        unit = m[2].casefold()
        if unit in _VAGUE_UNITS:
            raise ConvertError(f"months and years have no fixed length; give days: {show(text)}")
        scale = _UNITS.get(unit)
        if scale is None or scale in seen:
            raise ConvertError(f"not a duration (unknown or repeated unit {m[2]!r}): {show(text)}")
        seen.add(scale)
        part = micros_of(scale, decimal.Decimal(m[1]))
        if part is None:
            raise ConvertError(f"duration finer than a microsecond: {show(text)}")
        micros += part
    return duration_of_micros(-micros if negative else micros, text)


# ---------------------------------------------------------------- dispatch

SCALAR_READERS: dict[Type, Callable[[str], Any]] = {
    INT: _read_int, FLOAT: _read_float, DECIMAL: _read_decimal, BOOL: _read_bool,
    DATE: _read_date, DATETIME: _read_datetime, DURATION: _read_duration,
}


def read_scalar(t: Type, text: str) -> Any:
    """Read `text` as the scalar type `t` (one of `SCALAR_READERS`); ConvertError otherwise."""
    return SCALAR_READERS[t](text)


def show(text: str) -> str:
    """`text` quoted for a message, shortened to 40 characters."""
    return repr(text if len(text) <= 40 else text[:37] + "...")
