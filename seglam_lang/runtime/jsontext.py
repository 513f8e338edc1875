"""JSON text at the runtime's boundaries: bounded reading, and writing without recursion.

Owns:
- `loads(text)`: JSON text to Python values with the bounds every reader of outside JSON needs
  (`std.json`, `sgl exec --args-json`, LLM replies): nesting of at most MAX_DEPTH levels (checked
  before CPython's recursive scanner runs, so a `[[[[...` bomb never reaches it), integers of at
  most MAX_INT_DIGITS digits, no NaN/Infinity. Every failure is a `JsonError` (a ValueError)
  with a one-line message and its line and column;
- `dumps(value, ...)`: an SGL value as JSON text, walked with an explicit stack (values can nest
  without bound through records) and stopped with `LimitExceeded` as soon as the text would pass
  `limit` characters, so a huge result is never built first. How atoms and map keys are written
  is the caller's (`leaf`, `key`): `std.json.write` and `sgl exec --json` differ there.

Invariant: the output of `dumps` is what `json.dumps(..., ensure_ascii=False)` writes for the
same data with separators `(", ", ": ")` (compact) or `(",", ": ")` and `indent` (indented).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

from seglam_lang.codes import E_STRING_LENGTH
from seglam_lang.errors import LimitExceeded

MAX_DEPTH = 512            # arrays and objects nested in each other
MAX_INT_DIGITS = 4_300     # CPython's own bound on int <-> text

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_OR_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_LONG_INT = re.compile(r"-?\d{" + str(MAX_INT_DIGITS + 1) + ",}")


class JsonError(ValueError):
    """JSON text that is not valid, or not within the bounds."""


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line} column {col}"


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """JsonError if arrays and objects in `text` nest deeper than `max_depth` (strings skipped)."""
    if text.count("[") + text.count("{") <= max_depth:
        return
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets or max(accumulate(map(_DEPTH_STEP.__getitem__, brackets))) <= max_depth:
        return
    depth = 0
    for m in _BRACKET_OR_STRING.finditer(text):  # slow, only to say where
        c = m.group()
        depth += _DEPTH_STEP.get(c, 0)
        if depth > max_depth:
            raise JsonError(f"JSON nested deeper than {max_depth:,} levels at {_where(text, m.start())}")
    raise JsonError(f"JSON nested deeper than {max_depth:,} levels")  # pragma: no cover - found above


def _reject_constant(name: str) -> Any:
    raise JsonError(f"{name} is not valid JSON")


def json_int(text: str) -> int:
    """A JSON integer's value; JsonError past MAX_INT_DIGITS digits."""
    if len(text) > MAX_INT_DIGITS + 1:  # the sign may take one character
        raise JsonError(f"a JSON integer with more than {MAX_INT_DIGITS:,} digits")
    return int(text)


def loads(text: str, *, parse_float: Callable[[str], Any] = float, parse_int: Callable[[str], Any] = json_int,
          max_depth: int = MAX_DEPTH) -> Any:
    """The Python value of JSON `text` (objects -> dict, arrays -> list); JsonError when it is not JSON or too big."""
    check_depth(text, max_depth)
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_int=parse_int, parse_float=parse_float)
    except json.JSONDecodeError as e:
        raise JsonError(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except JsonError as e:
        m = _LONG_INT.search(text)
        raise JsonError(f"{e} at {_where(text, m.start())}" if m and "digits" in str(e) else str(e)) from None
    except RecursionError:  # the caller is already deep in the stack
        raise JsonError("JSON nested too deeply for the stack here") from None


# ---------------------------------------------------------------------------- writing

Leaf = Callable[[Any], Any]   # an atom -> str | int | float | bool | None (what JSON holds)
Key = Callable[[Any], str]    # a map key -> the object key it is written as

_encode_str: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    t = type(v)
    if t is str:
        return _encode_str(v)
    if t is int:
        from seglam_lang.runtime.values import int_text

        return int_text(v)
    if t is float:
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError(f"{v!r} is not valid JSON")
        return float.__repr__(v)
    raise ValueError(f"a {t.__name__} cannot be written as JSON")


def dumps(value: Any, *, leaf: Leaf, key: Key, limit: int, indent: int | None = None,
          sort_keys: bool = False) -> str:
    """`value` as JSON text (see the module's invariant); LimitExceeded past `limit` characters.

    The stack holds one open container per level (an iterator over its items), so the memory
    used besides the text is proportional to the depth, not to the size, of `value`.
    """
    from seglam_lang.runtime.values import DICT_TYPES, LIST_TYPES, SET_TYPES, Record

    chunks: list[str] = []  # the text so far, joined every 4,096 pieces: small pieces cost 50 bytes each
    out: list[str] = []
    total = 0
    item_sep = ", " if indent is None else ","
    stack: list[list[Any]] = []  # [items iterator, closing text, prefix of each item, first item?]

    def emit(text: str) -> None:
        nonlocal total
        total += len(text)
        if total > limit:
            raise LimitExceeded(f"JSON text too long to build (over {limit:,} characters)", code=E_STRING_LENGTH,
                                hint="return a smaller value, or raise it with Limits(str_len=...)")
        out.append(text)
        if len(out) >= 4096:
            chunks.append("".join(out))
            out.clear()

    def start(v: Any, outer: str) -> None:
        """Write a scalar, or open a container and push its items."""
        t = type(v)
        items: Iterator[tuple[str | None, Any]]
        if t is Record:
            n, items, brackets = len(v.type.fields), zip((f.name for f in v.type.fields), v.values), "{}"
        elif t in DICT_TYPES:
            pairs = sorted(v.items(), key=lambda kv: kv[0]) if sort_keys else v.items()
            n, items, brackets = len(v), ((key(k), x) for k, x in pairs), "{}"
        elif t in LIST_TYPES or t is tuple or t in SET_TYPES:
            n, items, brackets = len(v), ((None, x) for x in v), "[]"
        else:
            emit(_scalar(leaf(v)))
            return
        if not n:
            emit(brackets)
            return
        emit(brackets[0])
        if indent is None:
            stack.append([items, brackets[1], "", True])
        else:
            stack.append([items, (outer or "\n") + brackets[1], (outer or "\n") + " " * indent, True])

    start(value, "")
    while stack:
        frame = stack[-1]
        item = next(frame[0], None)
        if item is None:
            stack.pop()
            emit(frame[1])
            continue
        name, x = item
        lead = frame[2] if frame[3] else item_sep + frame[2]
        frame[3] = False
        emit(lead if name is None else lead + _encode_str(name) + ": ")
        start(x, frame[2])
    chunks.append("".join(out))
    return "".join(chunks)
