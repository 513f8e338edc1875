"""The shape of a `@when(re"...")` trigger: what every match of its RE2 pattern must contain.

Owns `regex_shape(pattern) -> RegexShape` and `RegexShapeError`. A shape holds the
pattern's named groups (its slots), the groups bound in every match, the *anchors*
(word sets: every match contains, as a whole word, one word of each set), whether
the pattern can match a letter at all, and whether it has a mandatory literal
character outside its slots. The checker's specificity rule (`check.triggers`) and
the cache's trigger index are built on it.

How: the pattern is rewritten from RE2 syntax into Python's (`\\pN`, `[[:alpha:]]`,
`\\Q...\\E`, `\\z`, `\\C`, `\\x{...}`, octal `\\12`, `(?<name>...)`; flags are dropped), then parsed by
Python's own regex parser (`re._parser`, the parser `re` uses) and the tree is walked.

Invariants:
- conservative: an anchor is never a word some match could lack, `letter_free` is
  True only when no part of the pattern can match a letter, and `always` holds only
  groups bound in every match. Where RE2 and Python read a construct differently the
  rewrite errs to "may match anything" (RE2's `\\W`, `\\b` and negated classes are
  ASCII-based, so they are never taken as word delimiters).
- a pattern Python's parser cannot read raises `RegexShapeError`: the caller decides
  (the checker refuses what it cannot show to be specific). The pattern is assumed to
  be valid RE2 already (the checker compiles it with RE2 first).
- words are Python's `\\w+` runs, casefolded, as `syntax.trigger_templates.words` cuts requests.
"""

from __future__ import annotations

import re
import warnings
from re import _constants as C  # the opcode names of Python's regex parser
from re import _parser
from typing import Any, NamedTuple

_WORD_CHAR = re.compile(r"\w")


class RegexShapeError(ValueError):
    """A pattern whose shape cannot be worked out (the message says why)."""


class RegexShape(NamedTuple):  # NamedTuples, not attrs: imported on a cache's first hit
    groups: tuple[str, ...]  # named groups (slots), in pattern order
    always: frozenset[str]  # named groups bound in every match
    anchors: tuple[frozenset[str], ...]
    letter_free: bool  # no part of the pattern (slots included) can match a letter
    literal_outside_slots: bool  # a literal character that every match contains outside the slots


def regex_shape(pattern: str) -> RegexShape:
    """The shape of an RE2 trigger pattern; RegexShapeError when it cannot be analysed."""
    source = _to_python(pattern)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible nested set" and the like: the tree is what counts
            tree = _parser.parse(source, 0)
    except (re.error, RecursionError, OverflowError) as e:
        raise RegexShapeError(f"cannot analyse the pattern: {e}") from None
    names = {gid: name for name, gid in tree.state.groupdict.items()}
    walker = _Walker(names)
    cells = walker.cells(list(tree))
    return RegexShape(
        groups=tuple(sorted(names.values(), key=lambda n: tree.state.groupdict[n])),
        always=frozenset(names[g] for g in walker.always(list(tree)) if g in names),
        anchors=tuple(dict.fromkeys(_anchors(cells, True, True))),
        letter_free=not walker.may_letter_seq(list(tree)),
        literal_outside_slots=any(c.kind == "lit" for c in cells),
    )


# ---------------------------------------------------------------- RE2 -> Python

_POSIX = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ", "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}
_ANYTHING = "\\s\\S"  # inside a class: every character (the conservative reading)


def _to_python(pattern: str) -> str:
    """RE2 syntax rewritten into Python's, erring towards "may match anything"."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = 0
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in "pP":
                end = pattern.find("}", i) + 1 if i + 2 < n and pattern[i + 2] == "{" else i + 3
                if end <= 0:
                    raise RegexShapeError("unclosed \\p{...}")
                out.append(_ANYTHING if in_class else f"[{_ANYTHING}]")
                i = end
            elif nxt == "Q" and not in_class:
                end = pattern.find("\\E", i + 2)
                end = n if end < 0 else end
                out.append(re.escape(pattern[i + 2 : end]))
                i = end + 2
            elif nxt == "z":
                out.append("\\Z")
                i += 2
            elif nxt == "C":
                out.append(_ANYTHING if in_class else f"[{_ANYTHING}]")
                i += 2
            elif nxt in "01234567":  # RE2 reads \12 as an octal code, Python as a group reference
                digits = re.match(r"[0-7]{1,3}", pattern[i + 1 :]).group()  # type: ignore[union-attr]
                out.append(f"\\U{int(digits, 8):08x}")
                i += 1 + len(digits)
            elif nxt == "x" and i + 2 < n and pattern[i + 2] == "{":
                end = pattern.find("}", i)
                try:
                    out.append(f"\\U{int(pattern[i + 3 : end], 16):08x}")
                except ValueError:
                    raise RegexShapeError("bad \\x{...} escape") from None
                i = end + 1
            else:
                out.append(pattern[i : i + 2])
                i += 2
        elif in_class:
            if c == "[" and pattern.startswith(":", i + 1):
                end = pattern.find(":]", i + 2)
                name = pattern[i + 2 : end] if end > 0 else ""
                if end > 0 and name.lstrip("^") in _POSIX:
                    out.append(_ANYTHING if name.startswith("^") else _POSIX[name])
                    i = end + 2
                    continue
            if c == "]" and i > class_start:
                in_class = False
            out.append(c)
            i += 1
        elif c == "[":
            in_class = True
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            class_start = i  # a `]` right after `[` or `[^` is a literal `]`
            out.append(pattern[i - (2 if pattern[i - 1] == "^" else 1) : i])
        elif c == "(" and pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
        elif c == "(" and pattern.startswith("(?", i):
            m = re.match(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])", pattern[i:])
            if m is None:
                out.append(c)
                i += 1
                continue
            bad = set(m.group(1) + (m.group(2) or "")) - set("imsU")
            if bad:
                raise RegexShapeError(f"RE2 has no (?{''.join(sorted(bad))}) flag")
            # Flags change nothing the analysis looks at (case is folded, `.` may match
            # anything anyway), and Python refuses global flags after the start: drop them.
            out.append("(?:" if m.group(3) == ":" else "")
            i += len(m.group())
        else:
            out.append(c)
            i += 1
    return "".join(out)


# ---------------------------------------------------------------- the parse tree

_MAY_NOT_LETTER = {C.CATEGORY_DIGIT: (True, False), C.CATEGORY_SPACE: (False, False)}


class _Cell(NamedTuple):
    """One item of a flattened sequence: a mandatory literal character outside slots, an
    alternation still to be looked into, or anything else (`opaque`)."""

    kind: str  # "lit", "alt", "opaque"
    char: str = ""
    may_word: bool = True  # can put a word character into the match
    may_empty: bool = False  # can match nothing
    branches: tuple[tuple[_Cell, ...], ...] = ()


class _Walker:
    def __init__(self, names: dict[int, str]) -> None:
        self.names = names

    # Properties of one item (op, av) of Python's parse tree.

    def may_word(self, op: Any, av: Any) -> bool:
        return self._may(op, av, letters=False)

    def may_letter_seq(self, seq: list[Any]) -> bool:
        return any(self._may(op, av, letters=True) for op, av in seq)

    def _may(self, op: Any, av: Any, *, letters: bool) -> bool:
        """Can the item put a word character (or, with `letters`, a letter) into a match?"""
        if op is C.LITERAL:
            return _is_letter(chr(av)) if letters else _is_word(chr(av))
        if op is C.IN:
            return _class_may(av, letters)
        if op in (C.AT,):
            return False
        if op is C.SUBPATTERN:
            return any(self._may(o, a, letters=letters) for o, a in av[3])
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            return av[1] > 0 and any(self._may(o, a, letters=letters) for o, a in av[2])
        if op is C.BRANCH:
            return any(self._may(o, a, letters=letters) for b in av[1] for o, a in b)
        if op in (C.ANY, C.NOT_LITERAL):
            return True
        raise RegexShapeError(f"unsupported construct ({op})")

    def may_empty(self, op: Any, av: Any) -> bool:
        if op is C.AT:
            return True
        if op is C.SUBPATTERN:
            return all(self.may_empty(o, a) for o, a in av[3])
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            return av[0] == 0 or all(self.may_empty(o, a) for o, a in av[2])
        if op is C.BRANCH:
            return any(all(self.may_empty(o, a) for o, a in b) for b in av[1])
        return False

    def cells(self, seq: list[Any]) -> tuple[_Cell, ...]:
        """The sequence flattened: unnamed groups inlined, named groups (slots) and
        quantified items opaque, alternations kept for a look into each branch."""
        out: list[_Cell] = []
        for op, av in seq:
            if op is C.LITERAL:
                out.append(_Cell("lit", chr(av), _is_word(chr(av))))
            elif op is C.SUBPATTERN and av[0] not in self.names:
                out.extend(self.cells(list(av[3])))
            elif op is C.BRANCH:
                out.append(_Cell("alt", may_word=self.may_word(op, av), may_empty=self.may_empty(op, av),
                                 branches=tuple(self.cells(list(b)) for b in av[1])))
            else:
                out.append(_Cell("opaque", may_word=self.may_word(op, av), may_empty=self.may_empty(op, av)))
        return tuple(out)

    def always(self, seq: list[Any]) -> set[int]:
        """Group numbers bound in every match of the sequence."""
        found: set[int] = set()
        for op, av in seq:
            if op is C.SUBPATTERN:
                if av[0] is not None:
                    found.add(av[0])
                found |= self.always(list(av[3]))
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] > 0:
                found |= self.always(list(av[2]))
            elif op is C.BRANCH:
                per_branch = [self.always(list(b)) for b in av[1]]
                found |= set.intersection(*per_branch) if per_branch else set()
        return found


def _is_word(ch: str) -> bool:
    return _WORD_CHAR.match(ch) is not None or _WORD_CHAR.match(ch.casefold()[:1]) is not None


def _is_letter(ch: str) -> bool:
    return ch.isalpha() or ch.casefold().isalpha() or ch.swapcase().isalpha()


_RANGE_SCAN = 4096  # ranges wider than this are assumed to hold a letter (conservative)


def _class_may(items: list[Any], letters: bool) -> bool:
    test = _is_letter if letters else _is_word
    for op, av in items:
        if op is C.NEGATE:
            return True
        if op is C.LITERAL and test(chr(av)):
            return True
        if op is C.RANGE:
            lo, hi = av
            if hi - lo > _RANGE_SCAN or any(test(chr(k)) for k in range(lo, hi + 1)):
                return True
        if op is C.CATEGORY:
            word, letter = _MAY_NOT_LETTER.get(av, (True, True))
            if letter if letters else word:
                return True
        if op not in (C.LITERAL, C.RANGE, C.CATEGORY):
            return True
    return False


# ---------------------------------------------------------------- anchors


def _delimited(cells: tuple[_Cell, ...], start: int, step: int, edge: bool) -> bool:
    """Is the character next to position `start` (going by `step`) sure not to be a word
    character? `edge` says whether the end of the sequence is such a boundary."""
    k = start
    while 0 <= k < len(cells):
        c = cells[k]
        if c.kind == "lit":
            return not c.may_word
        if c.may_word:
            return False
        if not c.may_empty:
            return True
        k += step
    return edge


def _anchors(cells: tuple[_Cell, ...], left_edge: bool, right_edge: bool) -> list[frozenset[str]]:
    """Word sets every match of `cells` contains (one word of each set, as a whole word)."""
    out: list[frozenset[str]] = []
    k = 0
    while k < len(cells):
        c = cells[k]
        if c.kind == "lit" and c.may_word:
            j = k
            while j < len(cells) and cells[j].kind == "lit" and cells[j].may_word:
                j += 1
            if _delimited(cells, k - 1, -1, left_edge) and _delimited(cells, j, 1, right_edge):
                out.append(frozenset(["".join(x.char for x in cells[k:j]).casefold()]))
            k = j
            continue
        if c.kind == "alt":
            left, right = _delimited(cells, k - 1, -1, left_edge), _delimited(cells, k + 1, 1, right_edge)
            per_branch = [_anchors(b, left, right) for b in c.branches]
            if per_branch and all(per_branch):
                out.append(frozenset().union(*(min(a, key=len) for a in per_branch)))
        k += 1
    return out
