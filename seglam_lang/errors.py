"""Errors and diagnostics shared by every layer of SGL.

Owns: `Span` (a source range), `Diagnostic` (one message with a code, a span and a hint),
and the exception hierarchy of the public API:

    SglError
    ├── SglSyntaxError      the source does not parse
    ├── SglTypeError        the program does not check (names, types, static rules)
    ├── SglRuntimeError     a run failed; carries the SGL stack trace
    │   ├── LimitExceeded   a run hit one of its limits
    │   └── NotApplicable   a `require` failed: the procedure does not apply
    └── SglUsageError       the host or the user called the API wrongly

Invariants: every error carries at least one `Diagnostic`; `str(error)` is one line
(`file:line:col: error[CODE]: message`); `error.render(source)` adds the source line,
a caret under the span and the hint. Nothing here imports another SGL layer.
"""

from __future__ import annotations

from collections.abc import Sequence

from seglam_lang.codes import E_CHECK, E_ERROR, E_LIMIT, E_REQUIRE, E_RUNTIME, E_SYNTAX, E_USAGE
from seglam_lang.frozen import frozen


def source_lines(source: str) -> list[str]:
    """The lines of a source as the lexer counts them: LF, CRLF and a lone CR end a line.

    Never `str.splitlines()`, which also splits on U+2028, U+2029, U+0085, VT, FF and
    U+001C-U+001E: those may stand inside a string or a comment, and splitting on them
    would shift every later line number away from the spans.
    """
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")


@frozen
class Span:
    """A range of source text: 1-based lines and columns, end exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, line: int, col: int) -> Span:
        return cls(line, col, line, col + 1)

    def __str__(self) -> str:
        return f"{self.line}:{self.col}"


NO_SPAN = Span(0, 0, 0, 0)


@frozen
class Diagnostic:
    """One problem found in a file, with what a person needs to fix it."""

    code: str
    message: str
    span: Span = NO_SPAN
    file: str = "<input>"
    hint: str | None = None
    severity: str = "error"

    def headline(self) -> str:
        """`file:line:col: error[CODE]: message`, the one-line form."""
        where = self.file if self.span.line == 0 else f"{self.file}:{self.span.line}:{self.span.col}"
        return f"{where}: {self.severity}[{self.code}]: {self.message}"

    def render(self, source: str | None = None) -> str:
        """The headline, then the source line with a caret under the span, then the hint."""
        lines = [self.headline()]
        if source is not None and self.span.line > 0:
            src_lines = source_lines(source)
            if self.span.line <= len(src_lines):
                text = src_lines[self.span.line - 1].expandtabs(1)
                gutter = f"{self.span.line:>4} | "
                lines.append(gutter + text)
                start = max(self.span.col - 1, 0)
                if self.span.end_line == self.span.line:
                    width = max(self.span.end_col - self.span.col, 1)
                else:
                    width = max(len(text.rstrip()) - start, 1)
                lines.append(" " * (len(gutter) - 2) + "| " + " " * start + "^" * width)
        if self.hint:
            lines.append(f"     = hint: {self.hint}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.span.line,
            "col": self.span.col,
            "end_line": self.span.end_line,
            "end_col": self.span.end_col,
            "hint": self.hint,
            "severity": self.severity,
        }


class SglError(Exception):
    """Base of every error SGL raises on purpose."""

    default_code = E_ERROR

    def __init__(
        self,
        message: str | None = None,
        *,
        diagnostics: Sequence[Diagnostic] | None = None,
        span: Span = NO_SPAN,
        file: str = "<input>",
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        if diagnostics is None:
            diagnostics = [
                Diagnostic(code or self.default_code, message or "", span, file, hint)
            ]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__(self.diagnostics[0].headline())

    @property
    def diagnostic(self) -> Diagnostic:
        return self.diagnostics[0]

    @property
    def message(self) -> str:
        return self.diagnostics[0].message

    @property
    def span(self) -> Span:
        return self.diagnostics[0].span

    def render(self, source: str | None = None) -> str:
        return "\n".join(d.render(source) for d in self.diagnostics)


class SglSyntaxError(SglError):
    default_code = E_SYNTAX


class SglTypeError(SglError):
    default_code = E_CHECK


class SglUsageError(SglError):
    default_code = E_USAGE


@frozen
class TraceFrame:
    """One frame of an SGL stack trace."""

    name: str
    file: str
    span: Span

    def __str__(self) -> str:
        return f'  {self.file}:{self.span.line}:{self.span.col}, in {self.name}'


TRACE_HEADER = "SGL traceback (most recent call last):"
_SHOWN_REPEATS = 3  # a repeated call (or cycle of calls) is shown this many times, then counted
_LONGEST_CYCLE = 4  # mutual recursion through up to this many procs collapses too


def trace_lines(frames: Sequence[TraceFrame]) -> list[str]:
    """The stack trace's lines, outermost first, with runaway recursion collapsed.

    A frame (or a cycle of up to `_LONGEST_CYCLE` frames, for mutual recursion) repeated
    more than `_SHOWN_REPEATS` times in a row is printed that many times, then counted:
    `  ... 195 more calls of deep` (`... of a -> b` for a cycle), not 200 identical lines.
    """
    lines = [TRACE_HEADER]
    i = 0
    while i < len(frames):
        for period in range(1, _LONGEST_CYCLE + 1):
            block = frames[i: i + period]
            reps = 1
            while frames[i + reps * period: i + (reps + 1) * period] == block:
                reps += 1
            if len(block) == period and reps > _SHOWN_REPEATS:
                lines.extend(str(f) for f in list(block) * _SHOWN_REPEATS)
                more = (reps - _SHOWN_REPEATS) * period
                names = " -> ".join(f.name for f in block)
                lines.append(f"  ... {more} more call{'s' if more != 1 else ''} of {names}")
                i += reps * period
                break
        else:
            lines.append(str(frames[i]))
            i += 1
    return lines


class SglRuntimeError(SglError):
    """A run failed. `frames` is the SGL stack, innermost last."""

    default_code = E_RUNTIME

    def __init__(self, message: str | None = None, *, frames: Sequence[TraceFrame] = (), **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.frames: list[TraceFrame] = list(frames)

    def traceback(self) -> str:
        """The SGL stack trace, outermost call first, then the one-line error."""
        if not self.frames:
            return self.diagnostic.headline()
        return "\n".join([*trace_lines(self.frames), self.diagnostic.headline()])


class LimitExceeded(SglRuntimeError):
    default_code = E_LIMIT


class NotApplicable(SglRuntimeError):
    """A `require` failed: these inputs are outside the procedure's domain."""

    default_code = E_REQUIRE
