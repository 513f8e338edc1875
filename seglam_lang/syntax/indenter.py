"""The indentation post-lexer: Python-style _INDENT/_DEDENT tokens, and comments.

Owns: turning `_NEWLINE` tokens into indentation structure (newlines inside brackets are
ignored, as in Python), collecting comments (they live inside `_NEWLINE` tokens) for the
formatter, and the bracket-nesting limit.

Invariants: one `SglIndenter` serves every parse; per-parse state (file name, comments)
lives in a thread-local set by `parse_context`, so concurrent parses do not mix.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from lark import Token
from lark.lark import PostLex

from seglam_lang.codes import E_INDENTATION, E_PARSER_BOUND, E_TAB
from seglam_lang.errors import SglSyntaxError, Span

MAX_NESTING = 100

_state = threading.local()


@contextmanager
def parse_context(file: str, comments: list[tuple[str, int, int]]) -> Iterator[None]:
    """Within this block, the indenter reports errors against `file` and appends comments."""
    _state.file, _state.comments = file, comments
    try:
        yield
    finally:
        _state.file, _state.comments = "<input>", []


class SglIndenter(PostLex):
    """Python-style INDENT/DEDENT from newlines; ignores newlines inside brackets.

    Also records every comment it sees (they live inside _NEWLINE tokens).
    """

    always_accept = ("_NEWLINE",)
    _OPEN = {"LPAR", "LSQB", "LBRACE"}
    _CLOSE = {"RPAR", "RSQB", "RBRACE"}

    def _error(self, message: str, tok: Token, code: str = E_INDENTATION) -> SglSyntaxError:
        line = (tok.end_line or tok.line or 1)
        return SglSyntaxError(message, span=Span.point(line, 1), file=_state.file, code=code)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        levels = [0]
        depth = 0
        last: Token | None = None
        for tok in stream:
            last = tok
            if tok.type == "_NEWLINE":
                self._collect_comments(tok)
                if depth > 0:
                    continue
                yield tok
                indent_str = tok.value.rsplit("\n", 1)[1] if "\n" in tok.value else ""
                if "\t" in indent_str:
                    raise self._error("tab in indentation: indent with spaces", tok, E_TAB)
                indent = len(indent_str)
                if "\n" not in tok.value:
                    continue  # a comment at the very end of the file
                if indent > levels[-1]:
                    levels.append(indent)
                    yield Token.new_borrow_pos("_INDENT", indent_str, tok)
                else:
                    while indent < levels[-1]:
                        levels.pop()
                        yield Token.new_borrow_pos("_DEDENT", indent_str, tok)
                    if indent != levels[-1]:
                        raise self._error("unindent does not match any outer indentation level", tok)
                continue
            yield tok
            if tok.type in self._OPEN:
                depth += 1
                if depth > MAX_NESTING:
                    raise SglSyntaxError(
                        f"brackets nested too deeply (more than {MAX_NESTING} levels)",
                        span=Span.point(tok.line or 1, tok.column or 1), file=_state.file, code=E_PARSER_BOUND,
                    )
            elif tok.type in self._CLOSE:
                depth = max(depth - 1, 0)
        while len(levels) > 1:
            levels.pop()
            yield Token.new_borrow_pos("_DEDENT", "", last) if last else Token("_DEDENT", "")

    def _collect_comments(self, tok: Token) -> None:
        if "#" not in tok.value:
            return
        line, col = tok.line or 1, tok.column or 1
        for part in tok.value.split("\n"):
            idx = part.find("#")
            if idx >= 0:
                _state.comments.append((part[idx:].rstrip("\r"), line, col + idx))
            line += 1
            col = 1
