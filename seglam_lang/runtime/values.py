"""SGL runtime values: the Python representation of every SGL value, and how values print and convert.

Owns:
- `SglSet`: SGL's `Set[T]`, an insertion-ordered set backed by a dict, so iteration order is
  the order elements were added and never depends on `PYTHONHASHSEED`;
- `Record`: an immutable instance of a `RecordT` (a tuple subclass: its type, then its field values);
- the frozen variants of module constants (`FrozenList`, `FrozenDict`, `FrozenSglSet`), whose
  mutating methods raise "module constants are frozen";
- equality and hashing of records (`deep_equal`, `deep_hash`), which never recurse in C;
- whole-value transforms that never recurse on the depth of the data: `deep_copy`, `freeze`,
  `to_python`, and the printers `format_value` (an SGL literal that parses back), `str_of`
  (Python's `str()`) and `repr_of` (Python's `repr()`);
- `from_python`: checking and converting a host value to a given SGL type, with a path in errors
  (`items[2].qty: expected Int, got str`).

Representation (the contract every layer relies on): Int=int, Float=float, Decimal=decimal.Decimal,
Bool=bool, Str=str, None=None, Date=datetime.date, DateTime=datetime.datetime (naive),
Duration=datetime.timedelta, List=list, Tuple=tuple, Map=dict, Set=SglSet, records=Record (a
tuple subclass `(rtype, *values)`, opaque as a tuple).

Invariants:
- values nested arbitrarily deep (a loop can build `[[[...]]]`) are walked with explicit stacks;
- printers stop with `LimitExceeded` as soon as the text would pass their character limit, so
  printing `[s] * 1000` with a long `s` never builds the huge string first;
- printing is deterministic: sets print in insertion order, ints never depend on
  `sys.set_int_max_str_digits` (the 4,300-digit rule is applied here, as CPython's default).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from operator import itemgetter
from typing import Any

from seglam_lang.check import types as T
from seglam_lang.codes import E_CONVERT, E_FROZEN_AT_RUN, E_INT_SIZE, E_STRING_LENGTH, E_TYPE, E_VALUE
from seglam_lang.errors import LimitExceeded, SglRuntimeError, SglUsageError
from seglam_lang.runtime.limits import DEFAULT_LIMITS, LARGE_ALLOCATION, RunContext

# CPython's default limit on int <-> decimal text (sys.int_info.default_max_str_digits).
INT_MAX_STR_DIGITS = 4300
_INT_STR_BOUND = 10**INT_MAX_STR_DIGITS

# Printing without a run (the CLI, error messages) gets a generous but finite bound.
HOST_PRINT_LIMIT = 64 * DEFAULT_LIMITS.str_len

# Values with no parts: transforms return them unchanged.
ATOMS: frozenset[type] = frozenset(
    {int, float, bool, str, type(None), Decimal, _dt.date, _dt.datetime, _dt.timedelta}
)


def _frozen_error() -> SglRuntimeError:
    return SglRuntimeError("module constants are frozen", code=E_FROZEN_AT_RUN,
                           hint="copy it first: list(X), dict(X), set(X) or X.copy()")


# ---------------------------------------------------------------------------- SglSet


class SglSet:
    """SGL's `Set[T]`: Python's set semantics with insertion-ordered, seed-independent iteration.

    When two equal elements meet (`1` and `True`), the one kept is the one CPython keeps.
    The class reports itself as `set` in Python's error messages (`__name__`), as SGL users
    know it by that name.
    """

    __slots__ = ("_d",)
    __hash__ = None  # type: ignore[assignment]  # sets are not hashable, as in Python

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._d: dict[Any, None] = dict.fromkeys(items)

    @classmethod
    def _of(cls, d: dict[Any, None]) -> SglSet:
        s = SglSet.__new__(SglSet)
        s._d = d
        return s

    # -- queries
    def __len__(self) -> int:
        return len(self._d)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._d)

    def __contains__(self, x: object) -> bool:
        return x in self._d

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SglSet):
            return self._d.keys() == other._d.keys()
        if isinstance(other, set | frozenset):
            return self._d.keys() == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def issubset(self, other: Iterable[Any]) -> bool:
        o = other._d if isinstance(other, SglSet) else set(other)
        return len(self._d) <= len(o) and all(x in o for x in self._d)

    def issuperset(self, other: Iterable[Any]) -> bool:
        return all(x in self._d for x in other)

    def isdisjoint(self, other: Iterable[Any]) -> bool:
        return not any(x in self._d for x in other)

    def __le__(self, other: object) -> bool:
        return self.issubset(other) if isinstance(other, SglSet) else NotImplemented  # type: ignore[return-value]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SglSet):
            return NotImplemented
        return len(self._d) < len(other._d) and self.issubset(other)

    def __ge__(self, other: object) -> bool:
        return other.issubset(self) if isinstance(other, SglSet) else NotImplemented  # type: ignore[return-value]

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, SglSet):
            return NotImplemented
        return len(self._d) > len(other._d) and other.issubset(self)

    # -- new sets (Python keeps: union -> left's element; intersection -> the smaller set's)
    def union(self, *others: Iterable[Any]) -> SglSet:
        d = dict(self._d)
        for o in others:
            for x in o:
                d.setdefault(x, None)
        return SglSet._of(d)

    def intersection(self, *others: Iterable[Any]) -> SglSet:
        result = SglSet._of(dict(self._d))
        for o in others:
            other = o if isinstance(o, SglSet) else SglSet(o)
            small, big = (other, result) if len(other) <= len(result) else (result, other)
            result = SglSet._of({x: None for x in small._d if x in big._d})
        return result

    def difference(self, *others: Iterable[Any]) -> SglSet:
        d = dict(self._d)
        for o in others:
            for x in o:
                d.pop(x, None)
        return SglSet._of(d)

    def symmetric_difference(self, other: Iterable[Any]) -> SglSet:
        d = dict(self._d)
        for x in (other._d if isinstance(other, SglSet) else dict.fromkeys(other)):
            if x in d:
                del d[x]
            else:
                d[x] = None
        return SglSet._of(d)

    def copy(self) -> SglSet:
        return SglSet._of(dict(self._d))

    def _binary(self, other: object, fn: Callable[[SglSet, SglSet], SglSet]) -> SglSet:
        return fn(self, other) if isinstance(other, SglSet) else NotImplemented  # type: ignore[return-value]

    def __or__(self, other: object) -> SglSet:
        return self._binary(other, SglSet.union)

    def __and__(self, other: object) -> SglSet:
        return self._binary(other, SglSet.intersection)

    def __sub__(self, other: object) -> SglSet:
        return self._binary(other, SglSet.difference)

    def __xor__(self, other: object) -> SglSet:
        return self._binary(other, SglSet.symmetric_difference)

    # -- mutation (FrozenSglSet overrides each of these)
    def add(self, x: Any) -> None:
        self._d.setdefault(x, None)

    def remove(self, x: Any) -> None:
        del self._d[x]  # KeyError(x), as Python's set.remove

    def discard(self, x: Any) -> None:
        self._d.pop(x, None)

    def clear(self) -> None:
        self._d.clear()

    def _inplace(self, other: object, fn: Callable[[SglSet, SglSet], SglSet]) -> SglSet:
        if not isinstance(other, SglSet):
            return NotImplemented  # type: ignore[return-value]
        self._d = fn(self, other)._d
        return self

    def __ior__(self, other: object) -> SglSet:
        return self._inplace(other, SglSet.union)

    def __iand__(self, other: object) -> SglSet:
        return self._inplace(other, SglSet.intersection)

    def __isub__(self, other: object) -> SglSet:
        return self._inplace(other, SglSet.difference)

    def __ixor__(self, other: object) -> SglSet:
        return self._inplace(other, SglSet.symmetric_difference)

    def __repr__(self) -> str:
        return repr_of(self)


SglSet.__name__ = SglSet.__qualname__ = "set"


# ---------------------------------------------------------------------------- frozen constants


def _frozen_method(*_: object, **__: object) -> Any:
    raise _frozen_error()


def _freeze_class(cls: type, names: Iterable[str]) -> type:
    for name in names:
        setattr(cls, name, _frozen_method)
    return cls


class FrozenList(list):  # type: ignore[type-arg]
    """A list held by a module constant: reading works as for a list; changing it raises."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]


class FrozenDict(dict):  # type: ignore[type-arg]
    """A map held by a module constant."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]


class FrozenSglSet(SglSet):
    """A set held by a module constant."""

    __slots__ = ()


LIST_MUTATORS = ("append", "extend", "insert", "pop", "remove", "sort", "reverse", "clear",
                 "__setitem__", "__delitem__", "__iadd__", "__imul__")
DICT_MUTATORS = ("pop", "popitem", "setdefault", "update", "clear", "__setitem__", "__delitem__", "__ior__")
SET_MUTATORS = ("add", "remove", "discard", "clear", "__ior__", "__iand__", "__isub__", "__ixor__")
_freeze_class(FrozenList, LIST_MUTATORS)
_freeze_class(FrozenDict, DICT_MUTATORS)
_freeze_class(FrozenSglSet, SET_MUTATORS)
FrozenList.__name__ = FrozenList.__qualname__ = "list"
FrozenDict.__name__ = FrozenDict.__qualname__ = "dict"
FrozenSglSet.__name__ = FrozenSglSet.__qualname__ = "set"

LIST_TYPES = (list, FrozenList)
DICT_TYPES = (dict, FrozenDict)
SET_TYPES = (SglSet, FrozenSglSet)


# ---------------------------------------------------------------------------- records


class Record(tuple):  # type: ignore[type-arg]
    """An immutable record value: the tuple `(rtype, v0, v1, ...)` of its `RecordT` and its field
    values in field order. `.type` is the `RecordT`, `.values` the field values as a tuple.

    Built by tuple's own constructor, `Record((rtype, *values))` (`make_record(rtype, values)`):
    there is no Python-level `__init__`, so building one costs what a tuple costs (the jit tier
    builds and reads records millions of times: field `i` is `r[i + 1]`, one C subscript).
    Nothing of the tuple shows: a record is not iterable and has no length, no `in`, no `+` or
    `*` and no order; fields are read by name with `record_field(r, name)` (attribute names
    are not used, so a field may be called `type` or `values`). Equality and hashing are by
    record type and values, as before; a record never equals a tuple.
    """

    __slots__ = ()
    type: T.RecordT
    values: tuple[Any, ...]

    @classmethod
    def build(cls, rt: T.RecordT, fields: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> Record:
        """A record from field values by name, defaults filling the rest; SglRuntimeError on a bad name."""
        unknown = [n for n in fields if rt.field(n) is None]
        if unknown:
            raise SglRuntimeError(f"{rt.name} has no field {unknown[0]!r}", code=E_TYPE)
        values: list[Any] = [rt]
        for f in rt.fields:
            if f.name in fields:
                values.append(fields[f.name])
            elif defaults is not None and f.name in defaults:
                values.append(defaults[f.name])
            else:
                raise SglRuntimeError(f"{rt.name} needs a value for field {f.name!r}", code=E_TYPE)
        return cls(values)

    def __setattr__(self, name: str, value: object) -> None:
        raise SglRuntimeError("records are immutable", code=E_FROZEN_AT_RUN, hint="use r.replace(field=value)")

    def as_dict(self) -> dict[str, Any]:
        return {f.name: v for f, v in zip(self[0].fields, self[1:])}

    def replace(self, **changes: Any) -> Record:
        return Record.build(self[0], {**self.as_dict(), **changes})

    def __eq__(self, other: object) -> bool:
        if type(other) is not Record:
            return False  # not NotImplemented: tuple's own `==` would then compare the items
        if self is other:
            return True
        values = self[1:]
        if _NESTABLE.isdisjoint(map(type, values)):  # flat: Python compares without recursing
            rt, ot = self[0], other[0]
            return (rt is ot or rt == ot) and values == other[1:]
        return deep_equal(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        # Equal records are both flat or both not: equal values have the same kind of container.
        values = self[1:]
        if _NESTABLE.isdisjoint(map(type, values)):
            return hash((self[0].name, self[0].module, values))
        return deep_hash(self)

    def __repr__(self) -> str:
        return repr_of(self)

    def __reduce__(self) -> Any:  # records are plain data: no pickling route into SGL
        raise TypeError("SGL records cannot be pickled")

    # The tuple underneath stays out of sight: what a record without these answered before.
    __iter__ = None  # type: ignore[assignment]  # "'Record' object is not iterable"

    def __len__(self) -> int:
        raise TypeError("object of type 'Record' has no len()")

    def __bool__(self) -> bool:
        return True

    def __contains__(self, item: object) -> bool:
        raise TypeError("argument of type 'Record' is not iterable")

    def _no_operator(self, other: object) -> Any:
        return NotImplemented

    __add__ = __radd__ = __mul__ = __rmul__ = __lt__ = __le__ = __gt__ = __ge__ = _no_operator


# `r.type` and `r.values` for the layers that read a record by name (printers, converters):
# C-level getters, so they cost an attribute read as the slots they replace did.
Record.type = property(itemgetter(0))  # type: ignore[assignment,misc]
Record.values = property(itemgetter(slice(1, None)))  # type: ignore[assignment,misc]


def make_record(rt: T.RecordT, values: Iterable[Any]) -> Record:
    """The record of type `rt` with these field values, in field order."""
    return Record((rt, *values))


def record_field(r: Record, name: str) -> Any:
    """Field `name` of record `r` (KeyError when it has none): the read of a field whose record
    type is known only at run time."""
    for i, f in enumerate(r[0].fields, 1):
        if f.name == name:
            return r[i]
    raise KeyError(name)


# ---------------------------------------------------------------------------- equality and hashing
# Records can nest without bound (`record Node: next: Node?`), and CPython compares and hashes
# tuples, lists and dicts by C recursion, which overflows the C stack long before a long linked
# list ends. Records therefore compare and hash with an explicit stack, through every container
# that can hold a record; other values are compared by Python (`x == y`), which is exact.


def deep_equal(a: Any, b: Any) -> bool:
    """`a == b` with Python's meaning (identity first, as containers compare), without recursion."""
    stack = [(a, b)]
    pop, push = stack.pop, stack.append
    while stack:
        x, y = pop()
        if x is y:
            continue
        tx, ty = type(x), type(y)
        if tx is Record:
            if ty is not Record or not (x[0] is y[0] or x[0] == y[0]):
                return False
            stack.extend(zip(x[1:], y[1:]))
        elif tx in _SEQUENCES and ty in _SEQUENCES:
            if (tx is tuple) != (ty is tuple) or len(x) != len(y):
                return False
            stack.extend(zip(x, y))
        elif tx in DICT_TYPES and ty in DICT_TYPES:
            if len(x) != len(y):
                return False
            for k, v in x.items():
                if k not in y:  # keys are hashable: records among them hash with deep_hash
                    return False
                push((v, y[k]))
        elif not (x == y):
            return False
    return True


_HASHED_PARTS = object()  # marks a container whose children's hashes are on the hash stack


def deep_hash(root: Any) -> int:
    """A hash for `root` agreeing with `deep_equal`, computed without recursion.

    Records and tuples are hashed from their parts' hashes (a tuple inside a record hashes
    differently from CPython's own tuple hash, which is never compared with it).
    """
    hashes: list[int] = []
    todo: list[Any] = [root]
    while todo:
        v = todo.pop()
        if v is _HASHED_PARTS:
            n, tag = todo.pop(), todo.pop()
            parts = tuple(hashes[len(hashes) - n:])
            del hashes[len(hashes) - n:]
            hashes.append(hash((tag, parts)))
            continue
        t = type(v)
        if t is Record:
            parts = v[1:]
            tag: Any = (v[0].name, v[0].module)
        elif t is tuple:
            parts, tag = v, len(v)
        else:
            hashes.append(hash(v))
            continue
        todo += (tag, len(parts), _HASHED_PARTS)
        todo.extend(parts)
    return hashes[0]


_SEQUENCES = frozenset({list, FrozenList, tuple})
_NESTABLE = frozenset({Record, tuple, list, FrozenList, dict, FrozenDict, SglSet, FrozenSglSet})


# ---------------------------------------------------------------------------- whole-value transforms


def _children(v: Any) -> Iterable[Any]:
    t = type(v)
    if t is dict or t is FrozenDict:
        return [*v.keys(), *v.values()]
    if t in (list, tuple, FrozenList, SglSet, FrozenSglSet, set, frozenset):
        return v
    if t is Record:
        return v[1:]
    return ()


def _rebuild(root: Any, make: Callable[[Any, Callable[[Any], Any]], Any], ctx: RunContext | None = None) -> Any:
    """Rebuild `root` bottom-up with `make(node, get)` per container, without recursion.

    `get(child)` gives the rebuilt child. Shared sub-values are rebuilt once (aliasing is
    kept, as `copy.deepcopy` keeps it); a value containing itself is an error. With a run's
    `ctx`, the memory limit is checked every LARGE_ALLOCATION containers rebuilt.
    """
    if type(root) in ATOMS:
        return root
    if ctx is not None:
        inner = make
        count = 0

        def make(v: Any, get: Callable[[Any], Any]) -> Any:
            nonlocal count
            count += 1
            if count % LARGE_ALLOCATION == 0:
                ctx.check_memory()
            return inner(v, get)

    done: dict[int, Any] = {}
    active: set[int] = set()
    keep: list[Any] = []  # keeps originals alive so their ids stay unique during the walk

    def get(c: Any) -> Any:
        return c if type(c) in ATOMS else done[id(c)]

    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        v, ready = stack.pop()
        i = id(v)
        if ready:
            active.discard(i)
            done[i] = make(v, get)
            continue
        if i in done:
            continue
        if i in active:
            raise SglRuntimeError("a value contains itself", code=E_VALUE)
        active.add(i)
        keep.append(v)
        stack.append((v, True))
        stack.extend((c, False) for c in _children(v) if type(c) not in ATOMS and id(c) not in done)
    return done[id(root)]


def _copy_make(list_t: type, dict_t: type, set_t: type) -> Callable[[Any, Callable[[Any], Any]], Any]:
    def make(v: Any, get: Callable[[Any], Any]) -> Any:
        t = type(v)
        if t in LIST_TYPES:
            return list_t(map(get, v))
        if t in DICT_TYPES:
            return dict_t({get(k): get(x) for k, x in v.items()})
        if t in SET_TYPES:
            return set_t(map(get, v))
        if t is tuple:
            return tuple(map(get, v))
        if t is Record:
            return Record((v[0], *map(get, v[1:])))
        return v  # functions, ranges, views: not data, shared as they are
    return make


_DEEP_COPY = _copy_make(list, dict, SglSet)
_FREEZE = _copy_make(FrozenList, FrozenDict, FrozenSglSet)


def deep_copy(value: Any, ctx: RunContext | None = None) -> Any:
    """A copy sharing no mutable part with `value` (frozen parts come back mutable).

    Sharing inside `value` is kept. Given a run's `ctx`, the copy is held to its memory limit.
    """
    return _rebuild(value, _DEEP_COPY, ctx)


def freeze(value: Any) -> Any:
    """The value of a module constant: every list, map and set inside it frozen."""
    return _rebuild(value, _FREEZE)


def _to_python_make(hashable: bool) -> Callable[[Any, Callable[[Any], Any]], Any]:
    def make(v: Any, get: Callable[[Any], Any]) -> Any:
        t = type(v)
        if t in LIST_TYPES:
            return list(map(get, v))
        if t in DICT_TYPES:
            return {_to_python_key(k): get(x) for k, x in v.items()}
        if t in SET_TYPES:
            return (frozenset if hashable else set)(map(_to_python_key, v))
        if t is tuple:
            return tuple(map(get, v))
        if t is Record:
            if hashable:
                return tuple(map(get, v[1:]))
            return {f.name: get(x) for f, x in zip(v[0].fields, v[1:])}
        return v
    return make


_TO_PY = _to_python_make(hashable=False)
_TO_PY_HASHABLE = _to_python_make(hashable=True)


def _to_python_key(k: Any) -> Any:
    return _rebuild(k, _TO_PY_HASHABLE)


def to_python(value: Any) -> Any:
    """A plain Python value: SglSet -> set, Record -> dict, frozen -> plain.

    Inside set elements and map keys (which must stay hashable) a record becomes the tuple
    of its field values and a set a frozenset.
    """
    return _rebuild(value, _TO_PY)


# ---------------------------------------------------------------------------- printing


def int_text(v: int) -> str:
    """`str(v)` with CPython's default 4,300-digit rule, independent of the host's setting."""
    if -_INT_STR_BOUND < v < _INT_STR_BOUND:
        return int.__repr__(v)
    raise LimitExceeded(
        f"integer too large to convert to text (more than {INT_MAX_STR_DIGITS:,} digits)", code=E_INT_SIZE,
        hint="CPython has the same limit; print it in hex with f\"{x:x}\" or keep fewer digits",
    )


def sgl_str_literal(s: str) -> str:
    """A double-quoted SGL/Python string literal for `s`."""
    if s.isprintable() and '"' not in s and "\\" not in s:
        return f'"{s}"'
    out = []
    for c in s:
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        else:
            out.append(repr(c)[1:-1])  # \n, \t, \x00, \u200b, \U000e0001
    return '"' + "".join(out) + '"'


def _sgl_float(f: float) -> str:
    if math.isfinite(f):
        return repr(f)
    return 'float("nan")' if math.isnan(f) else ('float("inf")' if f > 0 else 'float("-inf")')


def _sgl_int(v: int) -> str:
    # Above 4,300 digits neither CPython nor the SGL parser reads decimal text: use hex.
    if -_INT_STR_BOUND < v < _INT_STR_BOUND:
        return int.__repr__(v)
    return hex(v)


def _time_args(dt: _dt.datetime) -> list[int]:
    args = [dt.year, dt.month, dt.day, dt.hour, dt.minute]
    if dt.second or dt.microsecond:
        args.append(dt.second)
    if dt.microsecond:
        args.append(dt.microsecond)
    return args


def _duration_args(td: _dt.timedelta) -> str:
    parts = [f"{k}={v}" for k, v in (("days", td.days), ("seconds", td.seconds), ("microseconds", td.microseconds)) if v]
    return ", ".join(parts)


def _sgl_leaf(v: Any) -> str | None:
    t = type(v)
    if t is str:
        return sgl_str_literal(v)
    if t is int:
        return _sgl_int(v)
    if t is bool or v is None:
        return repr(v)
    if t is float:
        return _sgl_float(v)
    if t is Decimal:
        return f'Decimal("{v}")'
    if t is _dt.date:
        return f"date({v.year}, {v.month}, {v.day})"
    if t is _dt.datetime:
        return f"datetime({', '.join(map(str, _time_args(v)))})"
    if t is _dt.timedelta:
        return f"duration({_duration_args(v)})"
    return None


def _py_leaf(v: Any) -> str | None:
    t = type(v)
    if t is int:
        return int_text(v)
    if t in ATOMS:
        return repr(v)
    if t is range:
        return repr(v)
    return None


_VIEW_TYPES = {type({}.keys()): "dict_keys", type({}.values()): "dict_values", type({}.items()): "dict_items"}


class _Printer:
    """One iterative printer; `sgl` selects SGL literal syntax over Python's repr."""

    def __init__(self, sgl: bool, limit: int, truncate: bool = False) -> None:
        self.sgl = sgl
        self.leaf = _sgl_leaf if sgl else _py_leaf
        self.limit = limit
        self.truncate = truncate  # past the limit: the text so far and TRUNCATED, not an error

    def parts(self, v: Any) -> list[tuple[bool, Any]] | None:
        """The pieces of a container as (is_text, item) in print order; None for a leaf."""
        t = type(v)
        seq: Iterable[Any]
        if t in LIST_TYPES:
            open_, close, seq = "[", "]", v
        elif t is tuple:
            open_, close, seq = "(", ",)" if len(v) == 1 else ")", v
        elif t in SET_TYPES:
            if not v:
                return [(True, "set()")]
            open_, close, seq = "{", "}", v
        elif t in DICT_TYPES:
            out: list[tuple[bool, Any]] = [(True, "{")]
            for n, (k, x) in enumerate(v.items()):
                out += [(True, ", ")] if n else []
                out += [(False, k), (True, ": "), (False, x)]
            return [*out, (True, "}")]
        elif t is Record:
            out = [(True, v.type.name + "(")]
            for n, (f, x) in enumerate(zip(v.type.fields, v.values)):
                out += [(True, (", " if n else "") + f.name + "="), (False, x)]
            return [*out, (True, ")")]
        elif t in _VIEW_TYPES and not self.sgl:
            open_, close, seq = _VIEW_TYPES[t] + "([", "])", v
        else:
            return None
        out = [(True, open_)]
        for n, x in enumerate(seq):
            if n:
                out.append((True, ", "))
            out.append((False, x))
        out.append((True, close))
        return out

    def render(self, root: Any) -> str:
        out: list[str] = []
        total = 0
        limit = self.limit
        stack: list[tuple[bool, Any]] = [(False, root)]
        while stack:
            is_text, item = stack.pop()
            if not is_text:
                text = self.leaf(item)
                if text is None:
                    parts = self.parts(item)
                    if parts is None:
                        text = self.unknown(item)
                    else:
                        stack.extend(reversed(parts))
                        continue
                item = text
            total += len(item)
            if total > limit:
                if self.truncate:
                    out.append(item[:len(item) - (total - limit)])
                    return "".join(out) + TRUNCATED
                raise LimitExceeded(f"text too long to build (over {limit:,} characters)", code=E_STRING_LENGTH,
                                    hint="raise it with Limits(str_len=...)")
            out.append(item)
        return "".join(out)

    def unknown(self, v: Any) -> str:
        if self.sgl:
            raise SglUsageError(f"a {type(v).__name__} value has no SGL literal form")
        return "<function>" if callable(v) else f"<{type(v).__name__}>"


def format_value(v: Any, *, limit: int = HOST_PRINT_LIMIT) -> str:
    """`v` as SGL source text that parses (and evaluates) back to an equal value."""
    return _Printer(True, limit).render(v)


TRUNCATED = " ... (truncated)"


def format_value_capped(v: Any, cap: int) -> str:
    """`format_value(v)` when it has at most `cap` characters, else its first `cap` and TRUNCATED.

    For records of values (logs, messages): it never fails for length and never builds more
    than `cap` characters of a huge value.
    """
    return _Printer(True, cap, truncate=True).render(v)


def repr_of(v: Any, limit: int = HOST_PRINT_LIMIT) -> str:
    """Python's `repr(v)` for an SGL value (records print like a dataclass)."""
    return _Printer(False, limit).render(v)


def str_of(v: Any, limit: int = HOST_PRINT_LIMIT) -> str:
    """Python's `str(v)` for an SGL value."""
    t = type(v)
    if t is str:
        return v
    if t is int:
        return int_text(v)
    if t in ATOMS:
        return str(v)
    return repr_of(v, limit)


# ---------------------------------------------------------------------------- type names


def sgl_type_name(v: Any) -> str:
    """The SGL name of a value's type, for messages (`Int`, `List`, `Item`...)."""
    t = type(v)
    if t is Record:
        return v.type.name
    return _SGL_NAMES.get(t, t.__name__)


_SGL_NAMES: dict[type, str] = {
    int: "Int", float: "Float", Decimal: "Decimal", bool: "Bool", str: "Str", type(None): "None",
    _dt.date: "Date", _dt.datetime: "DateTime", _dt.timedelta: "Duration", list: "List", FrozenList: "List",
    tuple: "Tuple", dict: "Map", FrozenDict: "Map", SglSet: "Set", FrozenSglSet: "Set",
}


def method_table_name(v: Any) -> str:
    """The name under which the methods and fields of a value's type are listed (`natives.METHODS`):
    its SGL type name, `Record` for every record. For dispatch when the static type is unknown."""
    t = type(v)
    if t is Record:
        return "Record"
    return _SGL_NAMES.get(t, t.__name__)


# ---------------------------------------------------------------------------- from host values


RecordDefaults = Callable[[T.RecordT], Mapping[str, Any]]


def from_python(value: Any, type: T.Type, *, path: str = "value", defaults: RecordDefaults | None = None,
                int_bits: int = DEFAULT_LIMITS.int_bits) -> Any:
    """Check a host value against an SGL type and convert it; SglUsageError names the path.

    Ints widen to Float and Decimal; a bool is not an Int; a dict becomes a record by field
    names (`defaults(rt)` supplies the defaults of fields it omits); Python sets become
    `SglSet`s in sorted order (a host set's own order depends on the hash seed).
    Recursion follows the depth of the TYPE, which is small, never the data's. An Int (or an
    Int widened to Float or Decimal) of more than `int_bits` bits is refused, as SGL would
    refuse to compute it.
    """
    return _Converter(defaults, int_bits).convert(value, type, path)


class _Converter:
    def __init__(self, defaults: RecordDefaults | None, int_bits: int) -> None:
        self.defaults = defaults
        self.int_bits = int_bits

    def int_value(self, v: int, path: str) -> int:
        bits = int.bit_length(v)
        if bits > self.int_bits:
            raise SglUsageError(f"{path}: integer too large ({bits:,} bits; limit {self.int_bits:,})", code=E_CONVERT,
                                hint="raise it with Limits(int_bits=...)")
        return int.__index__(v)

    @staticmethod
    def fail(path: str, want: T.Type | str, value: Any) -> SglUsageError:
        return SglUsageError(f"{path}: expected {want}, got {_py_type_name(value)}", code=E_CONVERT)

    def convert(self, v: Any, t: T.Type, path: str) -> Any:
        if isinstance(t, T.PrimT):
            return self.prim(v, t, path)
        if isinstance(t, T.OptionalT):
            return None if v is None else self.convert(v, t.inner, path)
        if isinstance(t, T.ListT):
            if not _host_sequence(v):
                raise self.fail(path, t, v)
            return [self.convert(x, t.elem, f"{path}[{i}]") for i, x in enumerate(v)]
        if isinstance(t, T.TupleT):
            if not _host_sequence(v):
                raise self.fail(path, t, v)
            if len(v) != len(t.elems):
                raise SglUsageError(f"{path}: expected {t} ({len(t.elems)} items), got {len(v)} items", code=E_CONVERT)
            return tuple(self.convert(x, et, f"{path}[{i}]") for i, (x, et) in enumerate(zip(v, t.elems)))
        if isinstance(t, T.SetT):
            if not isinstance(v, set | frozenset | SglSet):
                raise self.fail(path, t, v)
            items = [self.convert(x, t.elem, f"{path} element") for x in v]
            return SglSet(v if isinstance(v, SglSet) else _deterministic_order(items))
        if isinstance(t, T.MapT):
            if not isinstance(v, Mapping):
                raise self.fail(path, t, v)
            out = {}
            for k, x in v.items():
                key = self.convert(k, t.key, f"{path} key")
                out[key] = self.convert(x, t.value, f"{path}[{format_value(key, limit=200) if _is_short(key) else '...'}]")
            return out
        if isinstance(t, T.RecordT):
            return self.record(v, t, path)
        if t == T.ANY or isinstance(t, T.TypeVar):
            return _rebuild(v, _FROM_UNTYPED)
        raise SglUsageError(f"{path}: a host value cannot be converted to {t}", code=E_CONVERT)

    def prim(self, v: Any, t: T.PrimT, path: str) -> Any:
        pt = type(v)
        if t == T.INT:
            if isinstance(v, int) and pt is not bool:
                return self.int_value(v, path)
        elif t == T.FLOAT:
            if isinstance(v, float):
                return float(v)
            if isinstance(v, int) and pt is not bool:
                try:
                    return float(self.int_value(v, path))
                except OverflowError:
                    raise SglUsageError(f"{path}: integer too large for a Float", code=E_CONVERT) from None
        elif t == T.DECIMAL:
            if isinstance(v, int) and pt is not bool:
                return Decimal(self.int_value(v, path))
            if isinstance(v, Decimal):
                return Decimal(v)
        elif t == T.BOOL:
            if pt is bool:
                return v
        elif t == T.STR:
            if isinstance(v, str):
                return str.__str__(v)
        elif t == T.DATE:
            if isinstance(v, _dt.date) and not isinstance(v, _dt.datetime):
                return _dt.date(v.year, v.month, v.day)
        elif t == T.DATETIME:
            if isinstance(v, _dt.datetime):
                if v.tzinfo is not None:
                    raise SglUsageError(f"{path}: DateTime values are naive; got one with a time zone",
                                        code=E_CONVERT, hint="convert it to local or UTC time and drop tzinfo")
                return _dt.datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)
        elif t == T.DURATION:
            if isinstance(v, _dt.timedelta):
                return _dt.timedelta(v.days, v.seconds, v.microseconds)
        elif t == T.NONE:
            if v is None:
                return None
        elif t == T.ANY:
            return _rebuild(v, _FROM_UNTYPED)
        raise self.fail(path, t, v)

    def record(self, v: Any, rt: T.RecordT, path: str) -> Record:
        if type(v) is Record and v.type == rt:
            return v
        if not isinstance(v, Mapping):
            raise self.fail(path, rt, v)
        for k in v:
            if not isinstance(k, str) or rt.field(k) is None:
                raise SglUsageError(f"{path}: {rt.name} has no field {k!r}", code=E_CONVERT,
                                    hint=f"fields: {', '.join(f.name for f in rt.fields)}")
        given = {f.name: self.convert(v[f.name], f.type, f"{path}.{f.name}") for f in rt.fields if f.name in v}
        missing = [f for f in rt.fields if f.name not in given]
        if missing:
            supplied = self.defaults(rt) if self.defaults is not None else {}
            for f in missing:
                if not f.has_default or f.name not in supplied:
                    raise SglUsageError(f"{path}: missing field {f.name!r} of {rt.name}", code=E_CONVERT)
                given[f.name] = supplied[f.name]
        return Record((rt, *(given[f.name] for f in rt.fields)))


def _host_sequence(v: Any) -> bool:
    """Is host value `v` a list or a tuple (a record is a tuple underneath, and is neither)?"""
    return isinstance(v, list | tuple) and type(v) is not Record


def _is_short(v: Any) -> bool:
    return type(v) in ATOMS and (type(v) is not str or len(v) <= 40)


def _py_type_name(v: Any) -> str:
    return type(v).__name__


def _deterministic_order(items: list[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=lambda x: (sgl_type_name(x), repr_of(x)))


def _from_untyped_make(v: Any, get: Callable[[Any], Any]) -> Any:
    t = type(v)
    if t in (set, frozenset):
        return SglSet(_deterministic_order(list(map(get, v))))
    if t in LIST_TYPES:
        return list(map(get, v))
    if t in DICT_TYPES:
        return {get(k): get(x) for k, x in v.items()}
    if t is tuple:
        return tuple(map(get, v))
    return _DEEP_COPY(v, get)


_FROM_UNTYPED = _from_untyped_make
