"""Matching a request against every trigger of a cache, without scanning every trigger.

Owns: `TriggerIndex` (the in-memory index of triggers), `trigger_anchors` (a
trigger's anchor words, stored in the cache index so that a process start does not
re-parse templates), `Key` and `choose_key` (which anchors a trigger is filed under), and `find(request, ...) -> Outcome`: matching,
slot reading, running, and conflict detection.

How a lookup stays small: a template's *anchors* are words every request it matches
contains as whole words (see `syntax.trigger_templates`); a regex trigger's are the literal
words its pattern requires (`syntax.trigger_regex`). A trigger is filed under the pair of its two rarest
anchors in the whole index (or one word, or one alternative set). A lookup tokenises the
request and tries only the triggers filed under its words or pairs of its words, plus
the few that have no anchor. Templates are parsed and compiled on first use; before a
trigger first runs a procedure it is judged against that procedure by the checker's
rule (`check.triggers`), since the index could disagree with the file.

Invariants:
- a hit needs all of: a trigger matches (full match), every slot reads as its type,
  the procedure's `require`s hold (NotApplicable is a non-match), the run ends
  without error. Anything else is a non-match, never a guess;
- when two matches give different answers (different type or value) the outcome is a
  conflict, and not a hit; equal answers from several triggers are one hit;
- the order candidates are tried in is deterministic (trigger registration order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from re2 import _re2  # the low-level binding: ~2 µs per match instead of ~11 µs

from seglam_lang.cache.readers import Reader, ReadError, reader
from seglam_lang.check.regex import RegexError, compile_quiet
from seglam_lang.errors import NotApplicable, SglError
from seglam_lang.frozen import define, frozen
from seglam_lang.runtime.embedding import same_value
from seglam_lang.syntax.trigger_templates import TemplateError, normalise, parse_template, words

_ANCHOR_BOTH = _re2.RE2.Anchor.ANCHOR_BOTH

Anchors = tuple[frozenset[str], ...]


def encode_anchors(anchors: Anchors) -> str:
    """Anchor sets as text for the cache index: sets separated by spaces, the words of
    one alternative set by `|` (words are `\\w+`, so neither separator occurs in them)."""
    return " ".join("|".join(sorted(a)) for a in anchors)


def decode_anchors(text: str) -> Anchors:
    return tuple(frozenset(part.split("|")) for part in text.split())


def trigger_anchors(pattern: str, is_regex: bool) -> Anchors:
    """The anchors of one trigger (`check.triggers.TriggerError` for one that does not parse)."""
    from seglam_lang.check.triggers import trigger_shape  # not on the hit path: anchors come from the index

    return trigger_shape(pattern, is_regex).anchors


@frozen
class Key:
    """Where a trigger is filed: under a pair of words that every match contains (`all`),
    under each of a set of words one of which every match contains (`any`), or nowhere
    (no words: tried for every request)."""

    words: tuple[str, ...] = ()
    mode: str = "any"  # "all" (a pair) or "any"


def choose_key(anchors: Anchors, df: Mapping[str, int]) -> Key:
    """The most selective key for a trigger, given `df` (how many triggers of the index
    have each word as an anchor): its two rarest single words as a pair when it has two
    (a pair is far rarer than either word), else its rarest word or alternative set."""
    singles = sorted({next(iter(a)) for a in anchors if len(a) == 1}, key=lambda w: (df.get(w, 0), -len(w), w))
    if len(singles) >= 2:
        return Key(tuple(sorted(singles[:2])), "all")
    options = [(df.get(singles[0], 0), (singles[0],))] if singles else []
    options += [(sum(df.get(w, 0) for w in a), tuple(sorted(a))) for a in anchors if len(a) > 1]
    if not options:
        return Key()
    return Key(min(options)[1], "any")


@define(eq=False)
class Trigger:
    """One trigger of one procedure, as the index holds it."""

    family: str
    proc: str
    pattern: str
    is_regex: bool
    anchors: Anchors
    key: Key = Key()
    required: frozenset[str] = frozenset()  # every single-word anchor: a cheap filter before the regex
    seq: int = 0
    _compiled: Any = None  # (low-level RE2, group index -> slot name) once compiled

    def compiled(self) -> tuple[Any, tuple[tuple[int, str], ...]]:
        if self._compiled is None:
            source = self.pattern if self.is_regex else parse_template(self.pattern).regex
            try:  # case-insensitive: templates carry (?i) themselves; regex triggers get it here
                rx = compile_quiet(source, case_sensitive=False)._regexp
            except RegexError as e:
                raise TemplateError(f"not a valid RE2 pattern: {e}", 0) from None
            groups = tuple((index, name.decode()) for name, index in rx.NamedCapturingGroups())
            self._compiled = (rx, groups)
        return self._compiled

    def match(self, normalised_bytes: bytes, raw_bytes: bytes) -> dict[str, tuple[int, int]] | None:
        """Byte spans of the slots that took part in a full match, or None."""
        rx, groups = self.compiled()
        text = raw_bytes if self.is_regex else normalised_bytes
        spans = rx.Match(_ANCHOR_BOTH, text, 0, len(text))
        if spans[0][0] < 0:
            return None
        return {name: spans[i] for i, name in groups if spans[i][0] >= 0}


class TriggerIndex:
    """Triggers filed under their keys, chosen with the word frequencies of the whole
    index (`build`). Immutable once built; safe to share between threads."""

    def __init__(self, triggers: Iterable[Trigger] = ()) -> None:
        self._by_word: dict[str, list[Trigger]] = {}
        self._by_pair: dict[tuple[str, str], list[Trigger]] = {}
        self._pair_words: set[str] = set()
        self._always: list[Trigger] = []
        self.triggers = list(triggers)
        df: dict[str, int] = {}
        for t in self.triggers:
            for w in {w for a in t.anchors for w in a}:
                df[w] = df.get(w, 0) + 1
        for seq, t in enumerate(self.triggers):
            t.seq = seq
            t.key = choose_key(t.anchors, df)
            t.required = frozenset(w for a in t.anchors if len(a) == 1 for w in a)
            if not t.key.words:
                self._always.append(t)
            elif t.key.mode == "all":
                a, b = t.key.words
                self._by_pair.setdefault((a, b), []).append(t)
                self._pair_words.update(t.key.words)
            else:
                for w in t.key.words:
                    self._by_word.setdefault(w, []).append(t)

    def __len__(self) -> int:
        return len(self.triggers)

    def candidates(self, request_words: Iterable[str]) -> list[Trigger]:
        """Triggers that could match a request with these (casefolded) words, in order."""
        found: dict[int, Trigger] = {t.seq: t for t in self._always}
        by_word = self._by_word
        paired: list[str] = []
        for w in request_words:
            ts = by_word.get(w)
            if ts:
                for t in ts:
                    found[t.seq] = t
            if w in self._pair_words:
                paired.append(w)
        if len(paired) > 1:
            paired.sort()
            by_pair = self._by_pair
            for i, a in enumerate(paired):
                for b in paired[i + 1 :]:
                    ts = by_pair.get((a, b))
                    if ts:
                        for t in ts:
                            found[t.seq] = t
        if len(found) > 1:
            return [found[k] for k in sorted(found)]
        return list(found.values())


# ---------------------------------------------------------------- outcomes


@frozen
class Hit:
    family: str
    proc: str
    pattern: str
    args: dict[str, Any]
    value: Any


@frozen
class Outcome:
    """What a lookup found. `hit` is set only when every successful run agreed."""

    hit: Hit | None
    hits: tuple[Hit, ...] = ()
    conflict: bool = False
    # Why candidates that matched a trigger did not hit: (family, proc, reason).
    rejected: tuple[tuple[str, str, str], ...] = ()
    tried: int = 0


def same_answer(a: Any, b: Any, limits: Any = None) -> bool:
    """Two answers agree when they are of the same type and equal. The comparison is a run
    under `limits`: answers too big to compare within them do not agree (a conflict, not a hit)."""
    try:
        return same_value(a, b, limits)
    except SglError:
        return False


@frozen
class _Plan:
    """How to turn one trigger's slot texts into arguments for its procedure (computed once)."""

    readers: dict[str, Reader]


Loader = Callable[[str], Any]  # family -> loaded Module, or None when it must not run


class Matcher:
    """`find` requests in a `TriggerIndex`, running modules obtained from `load`."""

    def __init__(self, index: TriggerIndex, load: Loader, limits: Any = None) -> None:
        self.index = index
        self.load = load
        self.limits = limits
        self._plans: dict[tuple[int, str, str, bool], _Plan | str] = {}

    def plan(self, module: Any, trig: Trigger) -> _Plan | str:
        """Readers per parameter, or why the trigger cannot serve its proc. The index's
        trigger is judged again against the loaded module by the checker's own rule
        (`check.triggers`): the index and the file could disagree."""
        key = (id(module), trig.proc, trig.pattern, trig.is_regex)
        plan = self._plans.get(key)
        if plan is None:
            from seglam_lang.check.triggers import trigger_problems  # once per trigger and module

            info = module.procs.get(trig.proc)
            if info is None:
                plan = f"no procedure {trig.proc!r}"
            else:
                problems = trigger_problems(trig.pattern, trig.is_regex, trig.proc,
                                            {p.name: p.has_default for p in info.sig.params})
                try:
                    plan = f"invalid trigger: {problems[0].message}" if problems else \
                        _Plan({p.name: reader(p.type) for p in info.sig.params})
                except ReadError as e:
                    plan = str(e)
            self._plans[key] = plan
        return plan

    def find(self, request: str) -> Outcome:
        n = normalise(request)
        norm_bytes = n.text.encode()
        raw = request.strip()
        raw_bytes = raw.encode()
        request_words = words(n.text)
        candidates = self.index.candidates(request_words)
        hits: list[Hit] = []
        rejected: list[tuple[str, str, str]] = []
        for trig in candidates:
            if not trig.required <= request_words:
                continue
            try:
                spans = trig.match(norm_bytes, raw_bytes)
            except TemplateError as e:
                rejected.append((trig.family, trig.proc, f"bad trigger {trig.pattern!r}: {e.message}"))
                continue
            if spans is None:
                continue
            module = self.load(trig.family)
            if module is None:
                rejected.append((trig.family, trig.proc, "module not available (suspended, unverified or tampered)"))
                continue
            plan = self.plan(module, trig)
            if isinstance(plan, str):
                rejected.append((trig.family, trig.proc, plan))
                continue
            if trig.is_regex:
                texts = {k: _slice(raw, raw_bytes, s) for k, s in spans.items()}
            else:
                texts = {k: _original(n, norm_bytes, s) for k, s in spans.items()}
            result = self._run(module, trig, plan, texts)
            if isinstance(result, str):
                rejected.append((trig.family, trig.proc, result))
            else:
                hits.append(result)
        return _decide(hits, rejected, len(candidates), self.limits)

    def _run(self, module: Any, trig: Trigger, plan: _Plan, texts: dict[str, str]) -> Hit | str:
        args: dict[str, Any] = {}
        for name, text in texts.items():
            try:
                args[name] = plan.readers[name](text)
            except ReadError as e:
                return f"slot {{{name}}}: {e}"
        try:
            value = module.call_sgl(trig.proc, [], args, limits=self.limits)
        except NotApplicable as e:
            return f"not applicable: {e.message}"
        except SglError as e:
            return f"run failed: {e.message}"
        except RecursionError:
            return "run failed: recursion too deep"
        return Hit(trig.family, trig.proc, trig.pattern, args, value)


def _decide(hits: list[Hit], rejected: list[tuple[str, str, str]], tried: int, limits: Any) -> Outcome:
    if not hits:
        return Outcome(None, (), False, tuple(rejected), tried)
    first = hits[0]
    conflict = any(not same_answer(first.value, h.value, limits) for h in hits[1:])
    return Outcome(None if conflict else first, tuple(hits), conflict, tuple(rejected), tried)


def _slice(text: str, b: bytes, span: tuple[int, int]) -> str:
    if len(b) == len(text):
        return text[span[0] : span[1]]
    return b[span[0] : span[1]].decode()


def _original(n: Any, b: bytes, span: tuple[int, int]) -> str:
    """The request text (as written) under a byte span of the normalised request."""
    i, j = span
    if len(b) != len(n.text):  # non-ASCII: byte offsets to character offsets
        i, j = len(b[:i].decode()), len(b[:j].decode())
    return n.original(i, j)
