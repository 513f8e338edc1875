"""RE2 compiled quietly: the one place SGL compiles a regular expression.

Owns: compiling a pattern with RE2 (`google-re2`: linear-time matching, no backreferences
or look-around) with RE2's own stderr logging off, since a bad pattern is reported as a
diagnostic or an SGL error, never as log noise; RE2's reason for a bad pattern, as text;
and which functions of `std.re` take a pattern first (the checker compiles literal ones).
Used by the checker (regex triggers, literal patterns), the runtime's `std.re` and the
cache's trigger matcher.

Invariants: `re2` is imported on the first compile, not with this module, so checking or
loading a module without regular expressions does not pay for it; every failure to compile
is a `RegexError` carrying RE2's reason.
"""

from __future__ import annotations

from typing import Any

# The functions of `std.re` whose first argument (`pattern`) is a regular expression.
PATTERN_FUNCTIONS = frozenset({"match", "full_match", "search", "find_all", "split", "replace", "named_groups",
                               "is_match", "count"})


class RegexError(ValueError):
    """A pattern RE2 rejects; the message is RE2's reason."""


MAX_MEM = 4 << 20  # RE2 keeps a compiled pattern (program and match caches) within this many bytes


def compile_quiet(pattern: str, *, case_sensitive: bool = True) -> Any:
    """`pattern` compiled by RE2 without logging; raises RegexError with RE2's reason."""
    import re2

    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_MEM
    options.case_sensitive = case_sensitive
    try:
        return re2.compile(pattern, options)
    except re2.error as ex:
        reason = ex.args[0].decode(errors="replace") if ex.args and isinstance(ex.args[0], bytes) else str(ex)
        raise RegexError(reason) from None


def pattern_error(pattern: str) -> str | None:
    """RE2's reason why `pattern` is invalid, or None when it compiles."""
    try:
        compile_quiet(pattern)
    except RegexError as ex:
        return str(ex)
    return None
