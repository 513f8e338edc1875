"""The slot layout of compiled closures, and the error guard every node that may raise uses.

Owns: `Code` (a compiled node: `code(slots) -> value`), the layout of the slot list a
closure reads (`[slot 0, ..., slot n-1, ret, parent, ctx]`: the function's slots from
`Resolution.functions`, the return value, the slot list a lambda was created in, for FREE
names, and the run's `RunContext`), `CHUNK` (how loops batch their step charges), `const`,
`guard` (convert Python errors and locate SGL ones at a node) and `run_guarded` (the same,
for load-time code).

Invariants: `slots[CTX]` is always the run context, so `slots[-1]` is a constant index;
this module imports nothing of the closure compiler, so every other module of
`runtime/closures/` (and any other execution tier) can build on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seglam_lang.errors import SglRuntimeError
from seglam_lang.runtime.tracebacks import PY_ERRORS, Where, convert, locate

Code = Callable[[list], Any]

RET, PARENT, CTX = -3, -2, -1
EXTRA = 3  # ret, parent, ctx after the slots
CHUNK = 256  # loop iterations counted locally between two charges to the run's budget


def const(v: object) -> Code:
    """A node whose value is known at load."""
    return lambda f: v


def guard(code: Code, where: Where) -> Code:
    """Wrap a node that may raise: convert Python errors and locate SGL ones here."""

    def guarded(f: list) -> Any:
        try:
            return code(f)
        except SglRuntimeError as e:
            locate(e, where)
            raise
        except PY_ERRORS as e:
            raise convert(e, where) from None

    return guarded


def run_guarded(fn: Callable[[], Any], where: Where) -> Any:
    """Run load-time code: every error is an SglRuntimeError located at `where`."""
    try:
        return fn()
    except SglRuntimeError as e:
        locate(e, where)
        raise
    except PY_ERRORS as e:
        raise convert(e, where) from None
