"""Native module `std.json`: JSON text to SGL values and back.

Owns `parse`, `write` and the typed readers (`parse_map`, `parse_list`). JSON objects become
`Map[Str, ...]`, arrays `List[...]`, numbers `Int` or `Float`, `null` `None`. SGL has no dynamic
type, so the result type of `parse` is the type the caller declares (`data: Map[Str, Int] =
json.parse(text)`); a record is built from a parsed map by the caller (`Item(name=m["name"])`).
Invariants: input and output sizes are checked against the limits; NaN/Infinity are rejected
both ways (they are not JSON); duplicate keys keep the last value (as Python); output is
deterministic (keys in insertion order, `sort_keys` optional).
"""

from __future__ import annotations

import datetime
import decimal
import json
from typing import Any

from seglam_lang.runtime import cost
from seglam_lang.runtime.natives import native
from seglam_lang.runtime.values import Record, SglSet


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _load(ctx: Any, text: str) -> Any:
    ctx.charge_items(len(text))  # the C parser: about an item's time per character
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise ValueError(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None


@native("std.json", "parse(text: Str) -> T")
def parse(ctx: Any, text: str) -> Any:
    """The value of a JSON text; its type is the one the caller declares."""
    return _load(ctx, text)


@native("std.json", "parse_map(text: Str) -> Map[Str, Str]")
def parse_map(ctx: Any, text: str) -> dict[str, str]:
    """A JSON object whose values are all strings, e.g. `{"a": "x"}` (an error for anything else)."""
    value = _load(ctx, text)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("parse_map: the JSON is not an object of strings")
    return value


@native("std.json", "parse_list(text: Str) -> List[Str]")
def parse_list(ctx: Any, text: str) -> list[str]:
    """A JSON array of strings, e.g. `["a", "b"]` (an error for anything else)."""
    value = _load(ctx, text)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("parse_list: the JSON is not an array of strings")
    return value


def _plain(v: Any) -> Any:
    """An SGL value as a JSON-ready Python value (records as objects, dates as ISO strings)."""
    if isinstance(v, Record):
        return {f.name: _plain(x) for f, x in zip(v.type.fields, v.values)}
    if isinstance(v, dict):
        for k in v:
            if not isinstance(k, str | int | float | bool) and k is not None:
                raise ValueError(f"JSON object keys must be strings or numbers, got {type(k).__name__}")
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple | SglSet):
        return [_plain(x) for x in v]
    if isinstance(v, decimal.Decimal):
        return float(v) if not v == v.to_integral_value() else int(v)
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, datetime.timedelta):
        return v.total_seconds()
    return v


@native("std.json", "write(value: T, indent: Int = -1, sort_keys: Bool = False) -> Str")
def write(ctx: Any, value: Any, indent: int, sort_keys: bool) -> str:
    """JSON text of a value: compact by default, `indent` spaces per level when >= 0."""
    cost.charge_printing(ctx, value)  # `_plain` visits every part in Python, as the printer does
    text = json.dumps(_plain(value), ensure_ascii=False, allow_nan=False, sort_keys=sort_keys,
                      indent=indent if indent >= 0 else None, separators=None if indent >= 0 else (", ", ": "))
    ctx.check_str_len(len(text))
    return text
