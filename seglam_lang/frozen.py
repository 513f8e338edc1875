"""`frozen`: the immutable value classes of SGL's data model (AST nodes, types, spans).

Owns: one class decorator and the base class it adds. They are attrs classes (frozen,
slotted, fields and defaults declared the attrs way), but only `__init__` is generated
per class: equality, hash and repr are shared methods of `Frozen`. Generating them per
class is what makes importing ~100 attrs classes cost tens of milliseconds, and these
modules are imported by every `sgl` command, the cache hit included.

Invariants: `a == b` iff same class and equal fields whose attrs `eq` is true (fields
declared `eq=False`, such as source spans, take no part), exactly as attrs' generated
`__eq__` would; `hash` agrees with `==`; instances cannot be mutated.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs

C = TypeVar("C", bound=type)


class Frozen:
    """Shared equality, hash and repr for `@frozen` classes."""

    __slots__ = ()

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, a.name) for a in self.__attrs_attrs__ if a.eq)  # type: ignore[attr-defined]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self._key()))

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{a.name}={getattr(self, a.name)!r}" for a in self.__attrs_attrs__ if a.repr  # type: ignore[attr-defined]
        )
        return f"{type(self).__name__}({fields})"


def frozen(cls: C) -> C:
    """Make `cls` a frozen, slotted attrs class whose equality, hash and repr come from `Frozen`."""
    if not issubclass(cls, Frozen):
        body = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
        bases = (*(b for b in cls.__bases__ if b is not object), Frozen)
        rebuilt = type(cls.__name__, bases, body)
        rebuilt.__qualname__ = cls.__qualname__
        cls = rebuilt  # type: ignore[assignment]
    return attrs.define(  # type: ignore[no-any-return]
        cls, frozen=True, slots=True, weakref_slot=False, repr=False, eq=False,
        getstate_setstate=False, match_args=False,
    )
