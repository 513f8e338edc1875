"""Methods and read-only fields of SGL's built-in types: the runtime side of the allow-list.

Owns `METHODS: dict[sgl_type_name, dict[method_name, fn(ctx, self, *args, **kwargs)]]` and
`FIELDS: dict[sgl_type_name, dict[field_name, fn(value)]]`, with exactly the names of
`seglam_lang.check.builtins.METHODS` / `FIELDS` (plus `Record.replace`, the checker's
`RECORD_METHODS`); a test keeps the two sides equal. A receiver whose static type
is unknown is dispatched by `values.method_table_name`.

Nothing else is reachable: a method is found only in these tables, by the receiver's SGL type
name and the method's name, never by Python attribute lookup on user-supplied names.

Invariants:
- a method that can grow a value checks the size it would reach BEFORE building it
  (`append`, `extend`, `insert`, `join`, `replace`, `center`/`ljust`/`rjust`/`zfill`, set union...);
  case mappings (`upper`...) and splits, whose results are bounded by a small multiple of
  the receiver, are checked on the result;
- mutating methods call the receiver's own method, so a frozen module constant
  (`FrozenList`...) raises "module constants are frozen";
- `Iter[T]` arguments (`extend`, `union`, `join`...) are materialised with the collection limit
  (`ops.materialize`) unless they already are a collection, so a `range` cannot blow up;
- Decimal methods use `ops.DECIMAL_CONTEXT`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from seglam_lang.runtime import cost, ops
from seglam_lang.runtime.limits import ITEMS_PER_STEP, RunContext
from seglam_lang.runtime.natives.builtins import sort_in_place
from seglam_lang.runtime.values import FrozenDict, FrozenList, FrozenSglSet, SglSet

Method = Callable[..., Any]

_COLLECTIONS = (list, tuple, str, dict, SglSet, FrozenList, FrozenDict, FrozenSglSet)


def _call(name: str) -> Method:
    """The receiver's own method `name` (a fixed name from this table), with Python's arguments."""
    def fn(ctx: RunContext, self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, name)(*args, **kwargs)
    fn.__name__ = name
    return fn


def _calls(names: str) -> dict[str, Method]:
    return {n: _call(n) for n in names.split()}


def _paid(name: str, pay: Callable[..., None], above: int = 0) -> Method:
    """The receiver's own method `name`, after `pay(ctx, self, *args)` paid for its work (only
    when the receiver has more than `above` items: smaller work costs less than a step)."""
    def fn(ctx: RunContext, self: Any, *args: Any, **kwargs: Any) -> Any:
        if len(self) > above:
            pay(ctx, self, *args)
        return getattr(self, name)(*args, **kwargs)
    fn.__name__ = name
    return fn


def _pay_text(ctx: RunContext, self: str, *args: Any) -> None:
    """A string method scans the receiver (and its string arguments) about once."""
    ctx.charge_items((len(self) + sum(len(a) for a in args if type(a) is str)) >> cost.STR_SHIFT)


_LONG_TEXT = ITEMS_PER_STEP << cost.STR_SHIFT  # characters: shorter scans cost less than a step


def _pay_search(ctx: RunContext, self: Any, x: Any = None, *args: Any) -> None:
    """`count`/`index`/`remove` of `x`: a comparison of `x` with each item."""
    ctx.charge_items(cost.contains_cost(cost.weight, cost.weight, x, self, ctx.items_left()))


def _pay_move(ctx: RunContext, self: Any, i: int = -1, *args: Any) -> None:
    """`insert`/`pop`/`reverse`/`clear`: moves the items after `i` (memory speed, 16 an item)."""
    ctx.charge_items((len(self) - i if i >= 0 else -1 - i) >> 4)


def _collection(ctx: RunContext, xs: Any) -> Any:
    """An `Iter[T]` argument as something with a size (materialised under the limit if needed)."""
    return xs if type(xs) in _COLLECTIONS else ops.materialize(ctx, xs)


# ---------------------------------------------------------------------------- Str


def _str_grows_to(name: str) -> Method:
    """center/ljust/rjust/zfill: the result is `width` long (when wider than the receiver)."""
    def fn(ctx: RunContext, self: str, width: int, *args: Any) -> str:
        if width > len(self):
            ctx.check_str_len(width)
        return getattr(self, name)(width, *args)
    fn.__name__ = name
    return fn


def _str_checked_after(name: str) -> Method:
    """Methods whose result is at most a few times the receiver: check what they built."""
    def fn(ctx: RunContext, self: str, *args: Any, **kwargs: Any) -> Any:
        if len(self) >= _LONG_TEXT:
            _pay_text(ctx, self, *args)
        r = getattr(self, name)(*args, **kwargs)
        if type(r) is str:
            ctx.check_str_len(len(r))
        else:
            ctx.check_collection_len(len(r))
            if len(r) >= ITEMS_PER_STEP:
                ctx.charge_items(len(r))
        return r
    fn.__name__ = name
    return fn


def _str_join(ctx: RunContext, self: str, items: Any) -> str:
    items = _collection(ctx, items)
    n = len(items)
    if n:
        total = len(self) * (n - 1) + sum(len(x) if type(x) is str else 0 for x in items)
        ctx.check_str_len(total)
        ctx.charge_items(n + (total >> cost.STR_SHIFT))
    return self.join(items)


def _str_replace(ctx: RunContext, self: str, old: str, new: str, count: int = -1) -> str:
    if len(new) > len(old):
        hits = len(self) + 1 if old == "" else self.count(old)
        if count >= 0:
            hits = min(hits, count)
        ctx.check_str_len(len(self) + hits * (len(new) - len(old)))
    _pay_text(ctx, self, old, new)
    return self.replace(old, new, count)


_STR: dict[str, Method] = {
    **{n: _paid(n, _pay_text, _LONG_TEXT - 1) for n in (
        "strip lstrip rstrip startswith endswith find rfind index rindex count isdigit isalpha isalnum "
        "isspace isupper islower isdecimal isnumeric partition rpartition removeprefix removesuffix").split()},
    **{n: _str_checked_after(n) for n in "upper lower title capitalize swapcase casefold split rsplit splitlines".split()},
    **{n: _str_grows_to(n) for n in "center ljust rjust zfill".split()},
    "join": _str_join,
    "replace": _str_replace,
}


# ---------------------------------------------------------------------------- List


def _list_append(ctx: RunContext, self: list[Any], x: Any) -> None:
    if len(self) >= ctx.limits.collection_len:
        ctx.check_collection_len(len(self) + 1)
    self.append(x)


def _list_insert(ctx: RunContext, self: list[Any], i: int, x: Any) -> None:
    if len(self) >= ctx.limits.collection_len:
        ctx.check_collection_len(len(self) + 1)
    _pay_move(ctx, self, i)
    self.insert(i, x)


def _list_sort(ctx: RunContext, self: list[Any], *, key: Callable[[Any], Any] | None = None,
               reverse: bool = False) -> None:
    if type(self) is not list:
        self.sort()  # a frozen constant: raises "module constants are frozen"
    sort_in_place(ctx, self, key, reverse)


def _list_extend(ctx: RunContext, self: list[Any], items: Any) -> None:
    items = _collection(ctx, items)
    ctx.check_collection_len(len(self) + len(items))
    ctx.charge_items(len(items))
    self.extend(items)


_LIST: dict[str, Method] = {
    "pop": _paid("pop", _pay_move, ITEMS_PER_STEP),
    **{n: _paid(n, lambda ctx, self: ctx.charge_items(len(self) >> 4)) for n in "reverse clear".split()},
    **{n: _paid(n, _pay_search) for n in "remove index count".split()},
    "sort": _list_sort,
    "append": _list_append,
    "insert": _list_insert,
    "extend": _list_extend,
    "copy": lambda ctx, self: ops.materialize(ctx, self),
}


# ---------------------------------------------------------------------------- Map


def _map_setdefault(ctx: RunContext, self: dict[Any, Any], key: Any, default: Any = None) -> Any:
    if key not in self and len(self) >= ctx.limits.collection_len:
        ctx.check_collection_len(len(self) + 1)
    return self.setdefault(key, default)


def _map_update(ctx: RunContext, self: dict[Any, Any], other: Any) -> None:
    ops.charge_hashing(ctx, other)
    if len(self) + len(other) > ctx.limits.collection_len:
        ctx.check_collection_len(len(self) + sum(1 for k in other if k not in self))
    self.update(other)


def _map_copy(ctx: RunContext, self: dict[Any, Any]) -> dict[Any, Any]:
    ctx.charge_items(len(self))
    return dict(self)


_MAP: dict[str, Method] = {
    **_calls("get keys values items pop clear"),
    "setdefault": _map_setdefault,
    "update": _map_update,
    "copy": _map_copy,
}


# ---------------------------------------------------------------------------- Set


def _set_add(ctx: RunContext, self: SglSet, x: Any) -> None:
    if len(self) >= ctx.limits.collection_len and x not in self:
        ctx.check_collection_len(len(self) + 1)
    self.add(x)


def _set_with_iterable(name: str, check: Callable[[RunContext, SglSet, Any], None] | None = None) -> Method:
    def fn(ctx: RunContext, self: SglSet, *others: Any) -> Any:
        others = tuple(_collection(ctx, o) for o in others)
        ops.charge_hashing(ctx, *others)
        if check is not None:
            for o in others:
                check(ctx, self, o)
        return getattr(self, name)(*others)
    fn.__name__ = name
    return fn


def _check_union(ctx: RunContext, self: SglSet, other: Any) -> None:
    if len(self) + len(other) > ctx.limits.collection_len:
        ctx.check_collection_len(len(self) + sum(1 for x in set(other) if x not in self))


_SET: dict[str, Method] = {
    **_calls("remove discard clear"),
    "copy": _paid("copy", lambda ctx, self: ctx.charge_items(len(self))),
    "add": _set_add,
    "union": _set_with_iterable("union", _check_union),
    "symmetric_difference": _set_with_iterable("symmetric_difference", _check_union),
    **{n: _set_with_iterable(n) for n in "intersection difference issubset issuperset isdisjoint".split()},
}


# ---------------------------------------------------------------------------- scalars, dates, records


def _quantize(ctx: RunContext, self: Decimal, exp: Decimal) -> Decimal:
    return self.quantize(exp, context=ops.DECIMAL_CONTEXT)


def _replace_fields(allowed: str) -> Method:
    """date/datetime `replace` with keyword fields only (no `tzinfo`: SGL DateTimes are naive)."""
    names = frozenset(allowed.split())

    def fn(ctx: RunContext, self: Any, **changes: Any) -> Any:
        bad = sorted(set(changes) - names)
        if bad:
            raise TypeError(f"replace() got an unexpected keyword argument {bad[0]!r}")
        return self.replace(**changes)
    fn.__name__ = "replace"
    return fn


_DATE_COMMON = _calls("weekday isoweekday isoformat toordinal")

METHODS: dict[str, dict[str, Method]] = {
    "Str": _STR,
    "List": _LIST,
    "Map": _MAP,
    "Set": _SET,
    "Tuple": {n: _paid(n, _pay_search) for n in "count index".split()},
    "Int": _calls("bit_length"),
    "Float": _calls("is_integer"),
    "Decimal": {"quantize": _quantize},
    "Date": {**_DATE_COMMON, "replace": _replace_fields("year month day")},
    "DateTime": {
        **_DATE_COMMON, **_calls("date"),
        "replace": _replace_fields("year month day hour minute second microsecond"),
    },
    "Duration": _calls("total_seconds"),
    "Record": {"replace": lambda ctx, self, **changes: self.replace(**changes)},
}

_DATE_FIELDS = ("year", "month", "day")
FIELDS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "Date": {n: operator.attrgetter(n) for n in _DATE_FIELDS},
    "DateTime": {n: operator.attrgetter(n) for n in (*_DATE_FIELDS, "hour", "minute", "second", "microsecond")},
    "Duration": {n: operator.attrgetter(n) for n in ("days", "seconds", "microseconds")},
}
