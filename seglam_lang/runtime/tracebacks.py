"""Runtime error positions: SGL stack traces, and Python exceptions turned into SGL errors.

Owns: `Where` (the proc name, file and span of one node, computed at load), the
conversion of the Python exceptions a native or an operator may raise into an
`SglRuntimeError` located at the node that raised it, and the building of the SGL
stack trace as an error travels outward.

How a trace is built (innermost frame last):
- the node where an error starts locates it: an error raised without frames (by a
  native, an operator or a size check) gets the node's span and one `TraceFrame`;
- when an error leaves a proc or a lambda, the boundary marks it `needs_site`; the next
  call node that sees it (in the caller) prepends the caller's frame at the call site;
- every other node lets a located error pass untouched.
So each activation contributes exactly one frame, whatever the nesting of expressions.

Invariants: only `SglRuntimeError`s leave compiled code; a Python traceback never reaches
the user (the top-level runner converts anything that slipped through, including
`RecursionError` and `MemoryError`, into `LimitExceeded`).
"""

from __future__ import annotations

import decimal

# Runtime error codes (E03xx, and the limits a frame enforces): named in seglam_lang.codes.
from seglam_lang.codes import (
    E_DEPTH,
    E_INDEX,
    E_INTERNAL,
    E_KEY,
    E_MEMORY,
    E_OVERFLOW,
    E_RUNTIME,
    E_TYPE,
    E_VALUE,
    E_ZERO_DIVISION,
)
from seglam_lang.errors import NO_SPAN, LimitExceeded, SglRuntimeError, Span, TraceFrame
from seglam_lang.frozen import evolve, frozen

# The Python exceptions a node converts (anything else is a bug and is caught at the top).
# RuntimeError: a map or set changed while iterated, and RecursionError.
PY_ERRORS = (ArithmeticError, LookupError, ValueError, TypeError, RuntimeError)


@frozen
class Where:
    """The position of a node in its function: for error frames."""

    name: str
    file: str
    span: Span

    def trace_frame(self) -> TraceFrame:
        return TraceFrame(self.name, self.file, self.span)


def locate(e: SglRuntimeError, where: Where) -> None:
    """Called by a node that sees `e` pass: give it a position and the right frames."""
    if not e.frames:
        d = e.diagnostics[0]
        if d.span == NO_SPAN:
            e.diagnostics[0] = evolve(d, span=where.span, file=where.file)
            e.args = (e.diagnostics[0].headline(),)
        e.frames = [where.trace_frame()]
    elif getattr(e, "needs_site", False):
        e.frames.insert(0, where.trace_frame())
        e.needs_site = False  # type: ignore[attr-defined]


def leaving(e: SglRuntimeError) -> None:
    """Called when `e` leaves a proc or lambda: the caller's call node adds its frame."""
    if e.frames:
        e.needs_site = True  # type: ignore[attr-defined]


def _key_message(e: KeyError) -> str:
    if not e.args:
        return "key not found"
    from seglam_lang.runtime.values import format_value

    try:
        shown = format_value(e.args[0])
    except Exception:  # a key format_value does not know: still a clear message
        shown = repr(e.args[0])
    return f"key {shown} not found"


def convert(e: BaseException, where: Where) -> SglRuntimeError:
    """The SGL error for a Python exception raised at `where` (Python's message kept)."""
    code, message = E_RUNTIME, str(e)
    if isinstance(e, decimal.DivisionByZero | ZeroDivisionError):
        code, message = E_ZERO_DIVISION, (message if isinstance(e, ZeroDivisionError) and "[" not in message
                                          else "decimal division by zero")
    elif isinstance(e, decimal.Overflow):
        code, message = E_OVERFLOW, "decimal overflow (the result has too many digits)"
    elif isinstance(e, decimal.InvalidOperation):
        code, message = E_VALUE, "invalid decimal operation"
    elif isinstance(e, OverflowError):
        code = E_OVERFLOW
        if e.args and isinstance(e.args[0], int):  # the C library's errno: (34, 'Numerical result out of range')
            message = "numeric result out of range (a Float result too large)"
    elif isinstance(e, KeyError):
        code, message = E_KEY, _key_message(e)
    elif isinstance(e, IndexError):
        code = E_INDEX
    elif isinstance(e, ValueError):
        code = E_VALUE
    elif isinstance(e, TypeError):
        code = E_TYPE
    elif isinstance(e, RecursionError):
        return LimitExceeded("call depth limit exceeded (Python stack exhausted)", code=E_DEPTH,
                             span=where.span, file=where.file, frames=[where.trace_frame()],
                             hint="look for unbounded recursion")
    elif isinstance(e, RuntimeError) and "during iteration" in message:
        code, message = E_VALUE, "a map or set was changed while it was being iterated"
    elif isinstance(e, MemoryError):
        return LimitExceeded("out of memory", code=E_MEMORY, span=where.span, file=where.file,
                             frames=[where.trace_frame()], hint="lower the sizes of the data")
    elif not isinstance(e, ArithmeticError | LookupError):
        code, message = E_INTERNAL, f"internal error ({type(e).__name__}: {e})"
    return SglRuntimeError(message or type(e).__name__, code=code, span=where.span, file=where.file,
                           frames=[where.trace_frame()])
