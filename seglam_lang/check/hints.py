"""Hints for diagnostics: did-you-mean suggestions and how to write a fix.

Owns: the wording helpers shared by the resolver and the checker, so that every
suggestion reads the same way (`did you mean `length`?`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from seglam_lang.check.types import DECIMAL, FLOAT, INT, STR, ListT, MapT, OptionalT, SetT, Type


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `name` (difflib, or the same name in another case), or None."""
    pool = sorted({c for c in candidates if c != name and not c.startswith("_")})
    match = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if match:
        return match[0]
    lowered = {c.lower(): c for c in pool}
    return lowered.get(name.lower())


def did_you_mean(name: str, candidates: Iterable[str], fallback: str | None = None) -> str | None:
    """`did you mean `x`?` for the closest candidate, else `fallback`."""
    match = closest(name, candidates)
    return f"did you mean `{match}`?" if match else fallback


_SAMPLE: dict[Type, str] = {INT: "0", FLOAT: "0.0", DECIMAL: 'Decimal("0")', STR: '""'}


def sample_value(t: Type) -> str:
    """A short literal of type `t` for a hint (`0.0`, `[]`, `None`), or `...`."""
    if t in _SAMPLE:
        return _SAMPLE[t]
    if isinstance(t, ListT):
        return "[]"
    if isinstance(t, MapT):
        return "{}"
    if isinstance(t, SetT):
        return "set()"
    if isinstance(t, OptionalT):
        return "None"
    return "..."


def declare_hint(name: str, t: Type) -> str:
    """How to give a local a wider type up front: "declare it: `total: Float = 0.0`"."""
    return f"declare it with the wider type at its first assignment: `{name}: {t} = {sample_value(t)}`"
