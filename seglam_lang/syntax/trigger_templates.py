"""`@when` trigger templates: parsing, request normalisation, and compilation to RE2.

Owns: `parse_template(text) -> Template`, `TemplateError(message, offset)`,
`normalise(request) -> Normalised` and `words(text)` (the index's request tokens).
Shared by the checker (which reports a `TemplateError` at the trigger's span and
judges a template by its slots and anchors: `check.triggers`) and the reasoning cache
(which matches requests). `re"..."` triggers are analysed by `syntax.trigger_regex`.

Template syntax (see `spec/triggers.md`):
    literal text      matched as written, case-insensitively, runs of spaces as one space
    {name}            a slot: captures text for the parameter `name` (an identifier)
    [optional words]  may be absent; may contain slots and alternatives (and nest)
    (a|b|c)           alternatives; each may contain slots and optional parts
    \\x               the character x literally (for `{ } [ ] ( ) | \\`)

Invariants:
- a compiled template is an RE2-compatible pattern (no backreferences or look-around),
  matched with a full (anchored both ends) match against the *normalised* request:
  whitespace runs folded to one space, stripped, trailing `?`, `.`, `!` dropped. The
  request's case is kept, so a slot captures the text as the user wrote it; case is
  ignored only by the match (`(?i)`).
- a slot name appears at most once per template (RE2 forbids duplicate group names).
- `Template.always` are the slots every match binds: not inside an optional part, and
  in every option of an alternative.
- `Template.anchors` are word sets: every matching request contains, as a whole word
  (casefolded), at least one word of each set. Built from mandatory literal text not
  glued to a slot or group, and from mandatory alternatives. The cache's index relies
  on this being conservative (never a word a match could lack).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from seglam_lang.frozen import frozen

_SLOT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WORD = re.compile(r"\w+")
_NOT_WORD = re.compile(r"[^\w ]+")  # `words`: what is neither a word character nor a space
# `words` of ASCII text in one pass: A-Z to a-z (casefolding), every byte \w does not match to a space.
_ASCII_WORDS = bytes(
    c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122 or c == 95) else 32 for c in range(256))
_SPECIAL = "{}[]()|\\"
_TRAILING = "?.! \t\r\n\f\v"


class TemplateError(ValueError):
    """A malformed template; `offset` is the 0-based character offset of the problem."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at character {offset + 1})")
        self.message = message
        self.offset = offset


# ---------------------------------------------------------------- template tree


@frozen
class Lit:
    text: str  # whitespace already folded to single spaces


@frozen
class Slot:
    name: str


@frozen
class Opt:
    body: Seq


@frozen
class Alt:
    options: tuple[Seq, ...]


Part = Lit | Slot | Opt | Alt
Seq = tuple[Part, ...]


@frozen
class Template:
    """A parsed template. `regex` is the RE2 pattern over normalised requests."""

    text: str
    parts: Seq
    slots: tuple[str, ...]
    always: frozenset[str]  # slots bound in every match
    regex: str
    anchors: tuple[frozenset[str], ...]


def parse_template(text: str) -> Template:
    """Parse a `@when` template; raise TemplateError for a malformed one."""
    parser = _Parser(text)
    parts = parser.seq()
    if not any(_consumes(p) for p in parts):
        raise TemplateError("a template needs at least one literal word or slot", 0)
    slots = tuple(_slots(parts))
    seen: set[str] = set()
    for s in slots:
        if s in seen:
            raise TemplateError(f"slot {{{s}}} appears twice; each parameter can be read once", text.find("{" + s))
        seen.add(s)
    parts = _strip_trailing(parts)
    return Template(text, parts, slots, _always(parts), "(?is)" + _regex(parts), tuple(dict.fromkeys(_anchors(parts))))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def seq(self, closers: str = "") -> Seq:
        """Parse items until one of `closers` (not consumed) or the end."""
        out: list[Part] = []
        lit: list[str] = []

        def flush() -> None:
            if lit:
                out.append(Lit("".join(lit)))
                lit.clear()

        t = self.text
        while self.pos < len(t):
            c = t[self.pos]
            if c in closers:
                break
            if c == "\\":
                if self.pos + 1 >= len(t):
                    raise TemplateError("a template cannot end with a lone backslash", self.pos)
                lit.append(t[self.pos + 1])
                self.pos += 2
            elif c.isspace():
                lit.append(" ")
                while self.pos < len(t) and t[self.pos].isspace():
                    self.pos += 1
            elif c == "{":
                flush()
                out.append(self.slot())
            elif c == "[":
                flush()
                start = self.pos
                self.pos += 1
                body = self.seq(closers="]")
                self.expect("]", start, "unclosed '[': add ']' to end the optional part")
                if not any(_consumes(p) for p in body):
                    raise TemplateError("empty optional part '[]'", start)
                out.append(Opt(body))
            elif c == "(":
                flush()
                out.append(self.alt())
            elif c in "}])|":
                what = {"}": "'}' without a '{'", "]": "']' without a '['", ")": "')' without a '('",
                        "|": "'|' outside '( )': write alternatives as (a|b)"}[c]
                raise TemplateError(what + " (write \\" + c + " for the character itself)", self.pos)
            else:
                lit.append(c)
                self.pos += 1
        flush()
        return tuple(out)

    def expect(self, ch: str, start: int, message: str) -> None:
        if self.pos >= len(self.text) or self.text[self.pos] != ch:
            raise TemplateError(message, start)
        self.pos += 1

    def slot(self) -> Slot:
        start = self.pos
        end = start + 1
        t = self.text
        while end < len(t) and t[end] not in "{}":
            end += 1
        if end >= len(t):
            raise TemplateError("unclosed '{': add '}' to end the slot", start)
        if t[end] == "{":
            raise TemplateError("slots cannot nest: '{' inside a slot", end)
        name = t[start + 1 : end].strip()
        if not name:
            raise TemplateError("empty slot '{}': name the parameter, e.g. {amount}", start)
        if not _SLOT_NAME.match(name):
            raise TemplateError(f"bad slot name {name!r}: a slot names a parameter (letters, digits, _)", start)
        self.pos = end + 1
        return Slot(name)

    def alt(self) -> Part:
        start = self.pos
        self.pos += 1
        options = [self.seq(closers="|)")]
        while self.pos < len(self.text) and self.text[self.pos] == "|":
            self.pos += 1
            options.append(self.seq(closers="|)"))
        self.expect(")", start, "unclosed '(': add ')' to end the alternatives")
        options = [_trim(o) for o in options]
        nonempty = tuple(o for o in options if any(_consumes(p) for p in o))
        if not nonempty:
            raise TemplateError("empty alternatives '()'", start)
        if len(nonempty) < len(options):
            # `(a|)` means "a or nothing": the same as an optional part.
            return Opt(nonempty[0]) if len(nonempty) == 1 else Opt((Alt(nonempty),))
        return nonempty[0][0] if len(nonempty) == 1 and len(nonempty[0]) == 1 else Alt(nonempty)


def _trim(seq: Seq) -> Seq:
    """Drop leading/trailing spaces of an alternative: `( a | b )` means `(a|b)`."""
    parts = list(seq)
    if parts and isinstance(parts[0], Lit):
        parts[0] = Lit(parts[0].text.lstrip(" "))
    if parts and isinstance(parts[-1], Lit):
        parts[-1] = Lit(parts[-1].text.rstrip(" "))
    return tuple(p for p in parts if not (isinstance(p, Lit) and not p.text))


def _strip_trailing(parts: Seq) -> Seq:
    """Templates are normalised like requests: outer spaces and trailing `?.!` dropped."""
    out = list(parts)
    if out and isinstance(out[0], Lit):
        out[0] = Lit(out[0].text.lstrip(" "))
    if out and isinstance(out[-1], Lit):
        out[-1] = Lit(out[-1].text.rstrip(_TRAILING))
    return tuple(p for p in out if not (isinstance(p, Lit) and not p.text))


def _consumes(p: Part) -> bool:
    return not isinstance(p, Lit) or bool(p.text.strip())


def _slots(parts: Seq) -> Iterator[str]:
    for p in parts:
        if isinstance(p, Slot):
            yield p.name
        elif isinstance(p, Opt):
            yield from _slots(p.body)
        elif isinstance(p, Alt):
            for o in p.options:
                yield from _slots(o)


def _always(parts: Seq) -> frozenset[str]:
    """The slots every match of the sequence binds."""
    found: set[str] = set()
    for p in parts:
        if isinstance(p, Slot):
            found.add(p.name)
        elif isinstance(p, Alt):
            found |= frozenset.intersection(*(_always(o) for o in p.options))
    return frozenset(found)


# ---------------------------------------------------------------- regex


def _regex(parts: Seq) -> str:
    """RE2 pattern for a sequence.

    The sequence is split at spaces into chunks. An optional chunk (only `[...]` parts)
    takes one neighbouring space with it, so `a [b] c` matches `a b c` and `a c` but
    never `a  c` or `ab c`: chunks before the first mandatory one take the space after
    them, the others the space before them.
    """
    chunks: list[tuple[str, bool]] = []  # (pattern, mandatory)
    current: list[Part] = []

    def close() -> None:
        if current:
            mandatory = not all(isinstance(p, Opt) for p in current)
            if not mandatory and len(current) == 1:
                chunks.append((_regex(current[0].body), False))  # type: ignore[union-attr]
            else:
                chunks.append(("".join(map(_part_regex, current)), mandatory))
            current.clear()

    for p in parts:
        if isinstance(p, Lit):
            pieces = p.text.split(" ")
            for k, piece in enumerate(pieces):
                if k > 0:
                    close()
                if piece:
                    current.append(Lit(piece))
        else:
            current.append(p)
    close()
    first = next((i for i, (_, mandatory) in enumerate(chunks) if mandatory), None)
    if first is None:
        pats = [c for c, _ in chunks]
        return "(?:" + "|".join(pats[i] + "".join(f"(?: {c})?" for c in pats[i + 1 :]) for i in range(len(pats))) + ")?"
    out = [f"(?:{c} )?" for c, _ in chunks[:first]]
    out.append(chunks[first][0])
    out.extend(" " + c if mandatory else f"(?: {c})?" for c, mandatory in chunks[first + 1 :])
    return "".join(out)


MAX_BACKTRACKING_PATHS = 64


def backtracks_linearly(t: Template) -> bool:
    """Whether a backtracking engine (Python's `re`) matches `t.regex` against a request in
    time linear in the request's length, as RE2 does for every pattern: at most one slot (two
    lazy slots can make it try every split of the request, quadratic and worse), and at most
    MAX_BACKTRACKING_PATHS ways through the optional and alternative parts (tried at each
    length of the slot at most). Such a template's matches are the same in both engines on
    ASCII text (leftmost-first preferences, and ASCII case-folding, are the same)."""
    return len(t.slots) <= 1 and _paths(t.parts) <= MAX_BACKTRACKING_PATHS


def _paths(parts: Seq) -> int:
    n = 1
    for p in parts:
        if isinstance(p, Opt):
            n *= 1 + _paths(p.body)
        elif isinstance(p, Alt):
            n *= sum(_paths(o) for o in p.options)
        if n > MAX_BACKTRACKING_PATHS:
            break  # the answer is known; a huge template must not cost a huge product
    return n


def _part_regex(p: Part) -> str:
    if isinstance(p, Lit):
        return _escape(p.text)
    if isinstance(p, Slot):
        return f"(?P<{p.name}>.+?)"
    if isinstance(p, Opt):
        return f"(?:{_regex(p.body)})?"
    return "(?:" + "|".join(_regex(o) for o in p.options) + ")"


def _escape(text: str) -> str:
    return "".join("\\" + c if not (c.isalnum() or c == " " or c == "_" or ord(c) > 127) else c for c in text)


def _anchors(parts: Seq, glued_left: bool = False, glued_right: bool = False) -> list[frozenset[str]]:
    """Word sets such that every matching request contains at least one word of each set
    as a whole word (casefolded). Literal words give singletons; a mandatory `(a|b)`
    whose every option has an anchor gives the union of one anchor per option. Words
    glued to a slot, a group, or the outside of the sequence are skipped."""
    out: list[frozenset[str]] = []
    last = len(parts) - 1
    for i, p in enumerate(parts):
        gl = glued_left if i == 0 else not (isinstance(parts[i - 1], Lit) and parts[i - 1].text.endswith(" "))
        gr = glued_right if i == last else not (isinstance(parts[i + 1], Lit) and parts[i + 1].text.startswith(" "))
        if isinstance(p, Lit):
            text = p.text
            for m in _WORD.finditer(text):
                if (m.start() == 0 and (gl if i == 0 else True)) or (m.end() == len(text) and (gr if i == last else True)):
                    continue
                out.append(frozenset([m.group().casefold()]))
        elif isinstance(p, Alt):
            per_option = [_anchors(o, gl, gr) for o in p.options]
            if all(per_option):
                out.append(frozenset().union(*(min(a, key=len) for a in per_option)))
    return out


# ---------------------------------------------------------------- requests


class Normalised:
    """A request prepared for matching: `text` is normalised; `original(i, j)` maps a
    span of `text` back to the request as written (its whitespace kept). Made for every
    request the cache sees: a plain slotted class (cheaper to make than a `frozen` one)."""

    __slots__ = ("lead", "raw", "starts", "text")

    def __init__(self, raw: str, text: str, lead: int = 0, starts: tuple[int, ...] | None = None) -> None:
        self.raw = raw
        self.text = text
        self.lead = lead  # when `starts` is None, text == raw[lead:lead + len(text)]
        self.starts = starts  # else: the raw index of each normalised char

    def original(self, i: int, j: int) -> str:
        if i >= j:
            return ""
        if self.starts is None:
            return self.raw[self.lead + i : self.lead + j]
        return self.raw[self.starts[i] : self.starts[j - 1] + 1]


def normalise(request: str) -> Normalised:
    """Fold whitespace runs to one space, strip, drop trailing `?`, `.`, `!`."""
    # `split()` splits at runs of what `\s` matches (str.isspace): each run, leading and trailing
    # ones included, becomes one space and is stripped, with no regex scan of every character.
    text = " ".join(request.split()).rstrip(_TRAILING)
    lead = len(request) - len(request.lstrip())
    if request.startswith(text, lead):
        return Normalised(request, text, lead)
    starts: list[int] = []
    k = lead
    for ch in text:
        starts.append(k)
        if ch == " ":
            while k < len(request) and request[k].isspace():
                k += 1
        else:
            k += 1
    return Normalised(request, text, lead, tuple(starts))


def words(text: str) -> set[str]:
    """The casefolded whole words of a text (the cache index's request tokens)."""
    # Every character that is not \w becomes a space, and `split` takes the runs between them:
    # `set(_WORD.findall(...))` without a regex step per word (every request pays this).
    if text.isascii():
        return set(text.encode().translate(_ASCII_WORDS).decode().split())
    return set(_NOT_WORD.sub(" ", text.casefold()).split())
