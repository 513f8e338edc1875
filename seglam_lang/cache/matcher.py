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
- the order candidates are tried in is deterministic (trigger registration order);
- a `Matcher`'s index is its own, and its loader gives the same module for a family for as
  long as the matcher lives (`Lookup` makes a new matcher whenever the store changes): a
  trigger keeps the module it first ran with its plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from re2 import _re2  # the low-level binding: ~2 µs per match instead of ~11 µs

from seglam_lang.cache.readers import Reader, ReadError, reader
from seglam_lang.check.regex import RegexError, compile_quiet
from seglam_lang.errors import NotApplicable, SglError
from seglam_lang.frozen import define, frozen
from seglam_lang.runtime.embedding import Module, run_envelope, same_value
from seglam_lang.runtime.limits import Limits
from seglam_lang.syntax.trigger_templates import TemplateError, backtracks_linearly, normalise, parse_template, words

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
    # The rarest of `required` beyond the key's words (None when `required` is empty): one
    # membership test turns most of the candidates filed under the same key away before the
    # whole of `required` is tested.
    pivot: str | None = None
    seq: int = 0
    # Once compiled: (low-level RE2, group index -> slot name, the same pattern compiled by
    # Python's `re` when it backtracks linearly and is ASCII, else None).
    _compiled: Any = None
    _plan: Any = None  # `_Plan` (or why none) for the module last run through this trigger

    def admits(self, request_words: set[str] | frozenset[str]) -> bool:
        """Whether a request with these words could match (`Matcher.find` inlines this test)."""
        return self.pivot is None or (self.pivot in request_words and self.required <= request_words)

    def compiled(self) -> tuple[Any, tuple[tuple[int, str], ...]]:
        if self._compiled is None:
            template = None if self.is_regex else parse_template(self.pattern)
            source = self.pattern if template is None else template.regex
            try:  # case-insensitive: templates carry (?i) themselves; regex triggers get it here
                rx = compile_quiet(source, case_sensitive=False)._regexp
            except RegexError as e:
                raise TemplateError(f"not a valid RE2 pattern: {e}", 0) from None
            groups = tuple((index, name.decode()) for name, index in rx.NamedCapturingGroups())
            # A few times faster than RE2 through its binding, and it keeps the interpreter lock;
            # only where it is as safe and gives the same matches (see `backtracks_linearly`).
            py = re.compile(source) if template is not None and source.isascii() and backtracks_linearly(template) \
                else None
            self._compiled = (rx, groups, py)
        return self._compiled


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
            beyond = t.required.difference(t.key.words)
            t.pivot = min(beyond or t.required, key=lambda w: (df.get(w, 0), w)) if t.required else None
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

    def candidates(self, request_words: set[str]) -> list[Trigger]:
        """Triggers that could match a request with these (casefolded) words, in order.
        On the hot path: the words are intersected with the index's in C, and the common case
        (one list of triggers, filed under one word or pair) is returned as it is."""
        by_word = self._by_word
        lists = [by_word[w] for w in by_word.keys() & request_words] if by_word else []
        paired = sorted(self._pair_words.intersection(request_words))
        if len(paired) == 2 and not lists and not self._always:
            return self._by_pair.get((paired[0], paired[1]), [])  # the commonest case: one pair of words
        if len(paired) > 1:
            by_pair = self._by_pair
            for i, a in enumerate(paired):
                for b in paired[i + 1 :]:
                    ts = by_pair.get((a, b))
                    if ts:
                        lists.append(ts)
        if self._always:
            lists.append(self._always)
        if len(lists) == 1:
            return lists[0]  # in registration order, as filed
        found = {t.seq: t for ts in lists for t in ts}
        return [found[k] for k in sorted(found)]


# ---------------------------------------------------------------- outcomes


class Hit:
    """One successful run: the trigger's procedure, its arguments (SGL values by parameter
    name) and its answer (an SGL value). Made on every hit: a plain slotted class."""

    __slots__ = ("args", "family", "pattern", "proc", "procedure", "value")

    def __init__(self, family: str, proc: str, pattern: str, args: dict[str, Any], value: Any,
                 procedure: str) -> None:
        self.family, self.proc, self.pattern, self.args, self.value = family, proc, pattern, args, value
        self.procedure = procedure  # "family.proc", made once per trigger and module (`_Plan`)

    def __repr__(self) -> str:
        return f"Hit({self.family}.{self.proc} {self.args!r} -> {self.value!r})"


class Outcome:
    """What a lookup found. `hit` is set only when every successful run agreed. `rejected`
    says why candidates that matched a trigger did not hit: (family, proc, reason)."""

    __slots__ = ("conflict", "hit", "hits", "rejected", "tried")

    def __init__(self, hit: Hit | None, hits: tuple[Hit, ...] = (), conflict: bool = False,
                 rejected: tuple[tuple[str, str, str], ...] = (), tried: int = 0) -> None:
        self.hit, self.hits, self.conflict, self.rejected, self.tried = hit, hits, conflict, rejected, tried

    def __repr__(self) -> str:
        return (f"Outcome(hit={self.hit!r}, hits={len(self.hits)}, conflict={self.conflict}, "
                f"rejected={self.rejected!r}, tried={self.tried})")


def same_answer(a: Any, b: Any, limits: Limits | None = None) -> bool:
    """Two answers agree when they are of the same type and equal. The comparison is a run
    under `limits`: answers too big to compare within them do not agree (a conflict, not a hit)."""
    try:
        return same_value(a, b, limits)
    except SglError:
        return False


class _Plan:
    """How one trigger serves its procedure in one loaded module (made once per pair): per slot,
    its regex group and its reader; the procedure's parameter names (in order); its translated
    function when it has one (called directly when every parameter is given)."""

    __slots__ = ("in_order", "module", "names", "procedure", "slots", "translated")

    def __init__(self, module: Module, slots: tuple[tuple[int, str, Reader], ...], names: tuple[str, ...],
                 translated: Callable[..., Any] | None, procedure: str) -> None:
        self.module, self.slots, self.names, self.translated = module, slots, names, translated
        self.in_order = tuple(name for _, name, _ in slots) == names  # slots read in parameter order
        self.procedure = procedure  # "family.proc"


Loader = Callable[[str], Module | None]  # family -> loaded Module, or None when it must not run


class Matcher:
    """`find` requests in a `TriggerIndex`, running modules obtained from `load`."""

    def __init__(self, index: TriggerIndex, load: Loader, limits: Limits | None = None) -> None:
        self.index = index
        self.load = load
        self.limits = limits

    @staticmethod
    def plan(module: Module, trig: Trigger) -> _Plan | str:
        """Readers per slot, or why the trigger cannot serve its proc. The index's trigger is
        judged again against the loaded module by the checker's own rule (`check.triggers`):
        the index and the file could disagree. Kept on the trigger for the module last used."""
        memo = trig._plan
        if memo is not None and memo[0] is module:
            return memo[1]  # type: ignore[no-any-return]
        from seglam_lang.check.triggers import trigger_problems  # once per trigger and module

        plan: _Plan | str
        info = module.procs.get(trig.proc)
        if info is None:
            plan = f"no procedure {trig.proc!r}"
        else:
            params = info.sig.params
            problems = trigger_problems(trig.pattern, trig.is_regex, trig.proc, {p.name: p.has_default for p in params})
            if problems:
                plan = f"invalid trigger: {problems[0].message}"
            else:
                try:
                    readers = {p.name: reader(p.type) for p in params}
                    _rx, groups, _py = trig.compiled()
                    plan = _Plan(module, tuple((i, name, readers[name]) for i, name in groups),
                                 tuple(p.name for p in params), module.translated(trig.proc),
                                 f"{trig.family}.{trig.proc}")
                except ReadError as e:
                    plan = str(e)
        trig._plan = (module, plan)
        return plan

    def find(self, request: str) -> Outcome:
        n = normalise(request)
        norm_bytes = n.text.encode()
        ascii_norm = len(norm_bytes) == len(n.text)
        raw = raw_bytes = None  # for regex triggers, which match the request as written: made on first use
        request_words = words(n.text)
        candidates = self.index.candidates(request_words)
        hits: list[Hit] = []
        rejected: list[tuple[str, str, str]] = []
        for trig in candidates:
            pivot = trig.pivot  # `trig.admits(request_words)`, inlined: most candidates end here
            if pivot is not None and (pivot not in request_words or not trig.required <= request_words):
                continue
            try:
                rx, _groups, py = trig._compiled or trig.compiled()
            except TemplateError as e:
                rejected.append((trig.family, trig.proc, f"bad trigger {trig.pattern!r}: {e.message}"))
                continue
            if py is not None and ascii_norm:  # ASCII: character offsets are byte offsets
                m = py.fullmatch(n.text)
                if m is None:
                    continue
                spans = m.regs
            else:
                if trig.is_regex:
                    if raw_bytes is None:
                        raw = request.strip()
                        raw_bytes = raw.encode()
                    text = raw_bytes
                else:
                    text = norm_bytes
                spans = rx.Match(_ANCHOR_BOTH, text, 0, len(text))
                if spans[0][0] < 0:
                    continue
            memo = trig._plan
            if memo is not None:
                # This index's triggers live as long as its families' loaded modules: `Lookup`
                # makes a new matcher whenever the store changes.
                module, plan = memo
            else:
                module = self.load(trig.family)
                if module is None:
                    rejected.append((trig.family, trig.proc, "module not available (suspended, unverified or tampered)"))
                    continue
                plan = self.plan(module, trig)
            if isinstance(plan, str):
                rejected.append((trig.family, trig.proc, plan))
                continue
            args: dict[str, Any] = {}
            why = None
            for i, name, read in plan.slots:
                i0, i1 = spans[i]
                if i0 < 0:
                    continue  # an optional part of the template that did not take part
                if trig.is_regex:
                    slot = raw[i0:i1] if len(text) == len(raw) else text[i0:i1].decode()  # type: ignore[index,arg-type]
                elif ascii_norm:
                    slot = n.original(i0, i1)
                else:  # non-ASCII: byte offsets to character offsets
                    slot = n.original(len(norm_bytes[:i0].decode()), len(norm_bytes[:i1].decode()))
                try:
                    args[name] = read(slot)
                except ReadError as e:
                    why = f"slot {{{name}}}: {e}"
                    break
            if why is None:
                why = self._run(module, trig, plan, args)
            if isinstance(why, str):
                rejected.append((trig.family, trig.proc, why))
            else:
                hits.append(why)
        if len(hits) == 1 and not rejected:
            return Outcome(hits[0], (hits[0],), False, (), len(candidates))
        return _decide(hits, rejected, len(candidates), self.limits)

    def _run(self, module: Module, trig: Trigger, plan: _Plan, args: dict[str, Any]) -> Hit | str:
        try:
            if len(args) == len(plan.names):  # every parameter given: bound by position (cheaper)
                positional = list(args.values()) if plan.in_order else [args[k] for k in plan.names]
                if plan.translated is not None:
                    value = run_envelope(self.limits or module.limits, plan.translated, None, positional)
                else:
                    value = module.call_sgl(trig.proc, positional, None, limits=self.limits)
            else:
                value = module.call_sgl(trig.proc, [], args, limits=self.limits)
        except NotApplicable as e:
            return f"not applicable: {e.message}"
        except SglError as e:
            return f"run failed: {e.message}"
        except RecursionError:
            return "run failed: recursion too deep"
        return Hit(trig.family, trig.proc, trig.pattern, args, value, plan.procedure)


def _decide(hits: list[Hit], rejected: list[tuple[str, str, str]], tried: int, limits: Limits | None) -> Outcome:
    if not hits:
        return Outcome(None, (), False, tuple(rejected), tried)
    first = hits[0]
    conflict = any(not same_answer(first.value, h.value, limits) for h in hits[1:])
    return Outcome(None if conflict else first, tuple(hits), conflict, tuple(rejected), tried)
