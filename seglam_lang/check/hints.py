"""Hints for diagnostics: did-you-mean suggestions and how to write a fix.

Owns: the wording helpers shared by the resolver and the checker, so that every
suggestion reads the same way (`did you mean `length`?`).
"""

from __future__ import annotations

from collections.abc import Iterable

from seglam_lang.check.types import DECIMAL, FLOAT, INT, NONE, STR, ListT, MapT, OptionalT, SetT, Type
from seglam_lang.check.unify import prune
from seglam_lang.syntax import ast


def a_an(thing: object) -> str:
    """`thing` with its indefinite article: "an Int", "a Str", "an example"."""
    text = str(thing)
    return f"{'an' if text[:1].lower() in 'aeiou' else 'a'} {text}"


# Python built-ins that SGL has not, and what to write instead: said before any
# did-you-mean, which would offer a look-alike (`print` -> `int`).
PYTHON_ONLY_NAMES: dict[str, str] = {
    "print": "SGL has no output: a procedure's answer is the value it returns (use `assert` or `fail` to report a problem)",
    "input": "SGL reads no input: take the value as a parameter",
    "open": "SGL has no files: take the text as a parameter",
    **dict.fromkeys(
        ("eval", "exec", "compile", "globals", "locals", "vars", "getattr", "setattr", "hasattr", "__import__"),
        "SGL cannot run code or reach names and attributes dynamically: write the field or call itself",
    ),
    **dict.fromkeys(("isinstance", "type"), "types are checked before the run; test an optional value with `x is None`"),
    **dict.fromkeys(("iter", "next"), "SGL has no iterator objects: loop with `for`, or index a list"),
    **dict.fromkeys(("Exception", "ValueError", "TypeError", "KeyError", "RuntimeError"),
                    "SGL has no exceptions: `fail \"message\"` stops with an error, `require` rejects inputs"),
    **dict.fromkeys(("exit", "quit"), "return the answer instead"),
}


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `name` (difflib, or the same name in another case), or None."""
    import difflib  # only a diagnostic needs it: a checked module on a cache hit does not

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


def mismatch_hint(node: object, got: Type, want: Type) -> str | None:
    """A hint for a value of type `got` where `want` is needed, when a Python habit explains it."""
    got, want = prune(got), prune(want)
    if isinstance(want, SetT) and isinstance(node, ast.DictExpr) and not node.keys:
        return "`{}` is an empty Map, as in Python; an empty Set is `set()`"
    if got == NONE and not isinstance(want, OptionalT):
        return f"{a_an(want)} is never None; to allow None, declare the optional type `{want}?`"
    return None
