"""Hypothesis strategies derived from SGL types.

Owns: `strategy_for(type)`, which draws SGL *runtime* values (ints, `Decimal`s,
`SglSet`s, `Record`s...) for any type a user can write in an annotation, and
`params_strategy(params)`, which draws the keyword arguments of a property.

Invariants:
- every value drawn is a valid runtime value of its type (a `Set[T]` is an `SglSet`
  without duplicates, a record is a `Record` of its `RecordT`, a map's keys are unique);
- every strategy shrinks toward small, readable values: `0`, `""`, `[]`, `Decimal("0")`,
  `date(2000, 1, 1)`, `None` for optionals, field and parameter defaults where they exist;
- sizes are bounded by default (collections of at most `MAX_SIZE` items, short strings),
  so a property run stays fast and a counterexample stays short;
- type variables, `Any`, function and iterator types are rejected with `SglUsageError`:
  there is no sensible way to generate "any value" or a function.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable, Mapping, Sequence

from hypothesis import strategies as st

from seglam_lang.check import types as T
from seglam_lang.codes import E_CONVERT
from seglam_lang.errors import SglUsageError
from seglam_lang.runtime.values import SglSet, make_record
from seglam_lang.verify.narrowing import Constraint, Number

MAX_SIZE = 10        # items in a generated list, set or map
MAX_STR = 20         # characters in a generated string
MAX_PLACES = 4       # digits after the point of a generated Decimal
SMALL_INT = 10**6    # most ints are within +-SMALL_INT; a few reach 2**64

# Field defaults of a record type, evaluated: `RecordT -> {field name: value}`.
RecordDefaults = Callable[[T.RecordT], Mapping[str, object]]

_DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2100, 12, 31))
_DATETIME_RANGE = (dt.datetime(1900, 1, 1), dt.datetime(2100, 12, 31, 23, 59, 59))
_DURATION_RANGE = (dt.timedelta(days=-3650), dt.timedelta(days=3650))


def _window(lo: int | None, hi: int | None, radius: int) -> st.SearchStrategy[int]:
    """Ints within `lo..hi` and, where the bounds allow, within +-radius of 0 (else next to a bound)."""
    a = -radius if lo is None else max(lo, -radius)
    b = radius if hi is None else min(hi, radius)
    if a > b:  # the bounds lie outside the window: take a window's width at the nearer bound
        if lo is not None and lo > radius:
            a, b = lo, lo + radius if hi is None else min(hi, lo + radius)
        else:
            assert hi is not None
            a, b = hi - radius if lo is None else max(lo, hi - radius), hi
    return st.integers(a, b)


def _ints(lo: Number | None = None, hi: Number | None = None) -> st.SearchStrategy[int]:
    lo_i = None if lo is None else math.ceil(lo)
    hi_i = None if hi is None else math.floor(hi)
    if lo_i is not None and hi_i is not None and lo_i > hi_i:
        return st.nothing()
    # `one_of` shrinks toward its first branch, so counterexamples land on small ints.
    return st.one_of(_window(lo_i, hi_i, SMALL_INT), _window(lo_i, hi_i, 2**64))


def _floats(allow_nan: bool, lo: Number | None = None, hi: Number | None = None) -> st.SearchStrategy[float]:
    if lo is None and hi is None:
        return st.one_of(
            st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
            st.floats(allow_nan=allow_nan, allow_infinity=allow_nan),
        )
    lo_f = None if lo is None else float(lo)
    hi_f = None if hi is None else float(hi)
    if lo_f is not None and hi_f is not None and lo_f > hi_f:
        return st.nothing()
    return st.floats(lo_f, hi_f, allow_nan=False, allow_infinity=False)


def _decimal(digits: int, places: int) -> decimal.Decimal:
    # scaleb keeps the exponent: 1234 with 2 places is Decimal("12.34"), 0 is Decimal("0.00").
    return decimal.Decimal(digits).scaleb(-places)


def _decimals(lo: Number | None = None, hi: Number | None = None) -> st.SearchStrategy[decimal.Decimal]:
    if lo is None and hi is None:
        return st.builds(_decimal, st.integers(-(10**8), 10**8), st.integers(0, MAX_PLACES))

    def with_places(p: int) -> st.SearchStrategy[decimal.Decimal]:
        scale = decimal.Decimal(10) ** p
        lo_d = None if lo is None else math.ceil(decimal.Decimal(lo) * scale)
        hi_d = None if hi is None else math.floor(decimal.Decimal(hi) * scale)
        if lo_d is not None and hi_d is not None and lo_d > hi_d:
            return st.nothing()
        return _window(lo_d, hi_d, 10**8).map(lambda n: _decimal(n, p))

    return st.integers(0, MAX_PLACES).flatmap(with_places)


def _sizes(c: Constraint | None, default_max: int) -> tuple[int, int]:
    """(min_size, max_size) under constraint `c`: sizes stay within the default unless the
    constraint needs more (`len(xs) >= 50`); min > max means nothing satisfies it."""
    lo = 0 if c is None or c.min_len is None else c.min_len
    cap = max(lo, default_max)
    return lo, cap if c is None or c.max_len is None else min(c.max_len, cap)


def _strs(c: Constraint | None = None) -> st.SearchStrategy[str]:
    # Printable characters (no surrogates, controls or unassigned code points), plus the
    # two whitespace controls text procedures must cope with.
    chars = st.characters(exclude_categories=("Cs", "Cc", "Co", "Cn")) | st.sampled_from("\n\t")
    lo, hi = _sizes(c, MAX_STR)
    return st.text(chars, min_size=lo, max_size=hi) if lo <= hi else st.nothing()


def _leaf(t: T.PrimT, allow_nan: bool, c: Constraint | None) -> st.SearchStrategy[object]:
    lo, hi = (None, None) if c is None else (c.lo, c.hi)
    if t == T.INT:
        return _ints(lo, hi)
    if t == T.FLOAT:
        return _floats(allow_nan, lo, hi)
    if t == T.DECIMAL:
        return _decimals(lo, hi)
    if t == T.BOOL:
        return st.booleans()
    if t == T.STR:
        return _strs(c)
    if t == T.DATE:
        return st.one_of(st.dates(*_DATE_RANGE), st.dates())
    if t == T.DATETIME:
        return st.one_of(st.datetimes(*_DATETIME_RANGE), st.datetimes())
    if t == T.DURATION:
        return st.one_of(st.timedeltas(*_DURATION_RANGE), st.timedeltas())
    if t == T.NONE:
        return st.none()
    raise SglUsageError(
        f"cannot generate values of type {t}",
        code=E_CONVERT,
        hint="give the property parameter a concrete type such as Int, Str or List[Int]",
    )


class _Builder:
    """Builds strategies for one family of types; memoises records so recursive ones work."""

    def __init__(self, record_defaults: RecordDefaults | None, allow_nan: bool) -> None:
        self.record_defaults = record_defaults
        self.allow_nan = allow_nan
        self.records: dict[T.RecordT, st.SearchStrategy[object]] = {}

    def build(self, t: T.Type, c: Constraint | None = None) -> st.SearchStrategy[object]:
        """The strategy for `t`, narrowed by `c` (bounds read off `require`s) where given."""
        if isinstance(t, T.PrimT):
            return _leaf(t, self.allow_nan, c)
        if isinstance(t, T.OptionalT):
            return st.one_of(st.none(), self.build(t.inner, c))
        elem = None if c is None else c.elem
        if isinstance(t, T.ListT | T.SetT | T.MapT):
            lo, hi = _sizes(c, MAX_SIZE)
            if lo > hi:
                return st.nothing()
            if isinstance(t, T.ListT):
                return st.lists(self.build(t.elem, elem), min_size=lo, max_size=hi)
            if isinstance(t, T.SetT):
                return st.lists(self.build(t.elem, elem), min_size=lo, max_size=hi, unique=True).map(SglSet)
            # `for k in m` iterates the keys, so an element constraint is on the keys.
            return st.dictionaries(self.build(t.key, elem), self.build(t.value), min_size=lo, max_size=hi)
        if isinstance(t, T.TupleT):
            return st.tuples(*(self.build(e) for e in t.elems))
        if isinstance(t, T.RecordT):
            return self.record(t)
        raise SglUsageError(
            f"cannot generate values of type {t}",
            code=E_CONVERT,
            hint="property parameters need concrete types: no type variables, functions or iterators",
        )

    def record(self, rt: T.RecordT) -> st.SearchStrategy[object]:
        if rt not in self.records:
            # While the record's own fields are built, a field mentioning the record again
            # (through a list or an optional) gets a deferred reference to the finished one.
            done: list[st.SearchStrategy[object]] = []
            self.records[rt] = st.deferred(lambda: done[0])
            done.append(self._record_now(rt))
            self.records[rt] = done[0]
        return self.records[rt]

    def _record_now(self, rt: T.RecordT) -> st.SearchStrategy[object]:
        defaults = dict(self.record_defaults(rt)) if self.record_defaults else {}
        fields = [_with_default(self.build(f.type), f.name, defaults) for f in rt.fields]
        # A Record holds its field values in declaration order.
        return st.tuples(*fields).map(lambda vals: make_record(rt, vals))


def _with_default(s: st.SearchStrategy[object], name: str, defaults: Mapping[str, object]) -> st.SearchStrategy[object]:
    """`s`, or the default value when there is one (tried first: defaults are the simplest case)."""
    if name not in defaults:
        return s
    return st.one_of(st.just(defaults[name]), s)


def strategy_for(
    t: T.Type,
    *,
    defaults: RecordDefaults | None = None,
    allow_nan: bool = False,
) -> st.SearchStrategy[object]:
    """A strategy drawing runtime values of SGL type `t`.

    `defaults` gives the evaluated field defaults of a record type; fields that have
    one sometimes take it. `allow_nan` lets Floats be NaN and +-inf (off by default:
    `x == x` fails for NaN, which is rarely what a property means to test).
    Raises `SglUsageError` for types that cannot be generated (type variables, `Any`...).
    """
    return _Builder(defaults, allow_nan).build(t)


def params_strategy(
    params: Sequence[T.ParamSig],
    param_defaults: Mapping[str, object] | None = None,
    *,
    defaults: RecordDefaults | None = None,
    allow_nan: bool = False,
    constraints: Mapping[str, Constraint] | None = None,
) -> st.SearchStrategy[dict[str, object]]:
    """A strategy drawing `{param name: value}` for a property's parameters.

    A parameter with a default value is sometimes left at its default (which is also
    where it shrinks to). `constraints` narrows parameters to bounds every accepted input
    satisfies (see `narrowing`). Every parameter is present in the drawn dict, so a
    printed counterexample is complete.
    """
    builder = _Builder(defaults, allow_nan)
    pdefaults = dict(param_defaults or {})
    cs = dict(constraints or {})
    return st.fixed_dictionaries(
        {p.name: _with_default(builder.build(p.type, cs.get(p.name)), p.name, pdefaults) for p in params}
    )
