"""Native module `std.json`: JSON text to SGL values and back.

Owns `parse`, `write` and the typed readers (`parse_map`, `parse_list`). JSON objects become
`Map[Str, ...]`, arrays `List[...]`, numbers `Int` or `Float`, `null` `None`. SGL has no dynamic
type, so the result type of `parse` is the type the caller declares (`data: Map[Str, Int] =
json.parse(text)`); a record is built from a parsed map by the caller (`Item(name=m["name"])`).
Invariants: input is read by `runtime.jsontext` (nesting and number bounds), output written by it
(no recursion, stopped at `str_len`); NaN/Infinity are rejected
both ways (they are not JSON); duplicate keys keep the last value (as Python); output is
deterministic (keys in insertion order, `sort_keys` optional).
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from typing import Any

from seglam_lang.check.types import ANY
from seglam_lang.runtime import cost, jsontext
from seglam_lang.runtime.convert import ConvertError, from_json
from seglam_lang.runtime.natives import Declared, native


def _load(ctx: Any, text: str, parse_float: Callable[[str], Any] = float) -> Any:
    ctx.charge_items(len(text))  # the C parser: about an item's time per character

    def parse_int(digits: str) -> int:
        value = jsontext.json_int(digits)
        ctx.check_int_bits(value.bit_length())
        return value

    return jsontext.loads(text, parse_float=parse_float, parse_int=parse_int)


@native("std.json", "parse(text: Str) -> T", typed=True)
def parse(ctx: Any, declared: Declared, text: str) -> Any:
    """The value of a JSON text, read as the type the caller declares (an error when it does not fit)."""
    if declared.type == ANY:  # left open by the program: the JSON as it is
        return _load(ctx, text)
    data = _load(ctx, text, parse_float=decimal.Decimal)  # exact until the declared type says Float
    try:
        return from_json(data, declared.type, declared.defaults)
    except ConvertError as e:
        raise ValueError(f"json.parse: the JSON does not fit {declared.type}: {e}") from None


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


def _leaf(v: Any) -> Any:
    """An SGL atom as a JSON atom (dates as ISO strings, durations as seconds)."""
    if isinstance(v, decimal.Decimal):
        return float(v) if not v == v.to_integral_value() else int(v)
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, datetime.timedelta):
        return v.total_seconds()
    return v


def _key(k: Any) -> str:
    if isinstance(k, str):
        return k
    if k is None or isinstance(k, bool | int | float):
        return jsontext.dumps(k, leaf=_leaf, key=_key, limit=1 << 20)
    raise ValueError(f"JSON object keys must be strings or numbers, got {type(k).__name__}")


@native("std.json", "write(value: T, indent: Int = -1, sort_keys: Bool = False) -> Str")
def write(ctx: Any, value: Any, indent: int, sort_keys: bool) -> str:
    """JSON text of a value: compact by default, `indent` spaces per level when >= 0."""
    cost.charge_printing(ctx, value)  # the writer visits every part in Python, as the printer does
    return jsontext.dumps(value, leaf=_leaf, key=_key, limit=ctx.limits.str_len,
                          indent=indent if indent >= 0 else None, sort_keys=sort_keys)
