"""Turning a parsed reply into a candidate module, and checking it before the cache sees it.

Owns: `candidate(reply, ...)` (the family name and full source a `compile` or `link` reply
stands for: a link's trigger is added through the AST, `cache.provenance.with_trigger`; a
module that brings an `origin:` block of its own is refused, as only SEGLAM writes one), and
`review(...)` (every reason a candidate cannot be stored, and the warnings of one that can:
the diagnostics sent back to the model in a repair round).

The checks, cheapest first (a later one runs only when the earlier ones pass):
1. the source parses and type-checks, its triggers included (`check.triggers`: slots are
   parameters, unset parameters have defaults, triggers are specific); rendered
   diagnostics with source lines and carets;
2. it has a trigger;
3. a trigger of the module matches the originating request, every slot reads, the run ends
   without error, and the result equals the model's independent `answer` (normalised:
   read by the return type's slot reader, else compared as folded text);
4. cases a person rejected: the module answers them with the expected value where it
   matches them (and must match those of the family it replaces);
5. examples and properties, through the cache's own `context.check` (as `add` will run them);
   its warnings (a `require` no example or property sees both holding and failing) are
   the review's `warnings`.

Invariant: nothing here stores anything; `review` finds no problems only for a module that
the cache will accept and that answers the originating request with the model's answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from seglam_lang.cache.admission import answers_match, validate_triggers
from seglam_lang.cache.llm_protocol import CompileContext, FailingCase, NearProcedure
from seglam_lang.cache.matcher import Matcher, Outcome, Trigger, TriggerIndex, decode_anchors
from seglam_lang.cache.provenance import with_trigger
from seglam_lang.compilers.protocol import Reply
from seglam_lang.errors import SglError
from seglam_lang.frozen import field, frozen
from seglam_lang.runtime.limits import Limits
from seglam_lang.syntax import ast
from seglam_lang.syntax.parser import parse


class Rejected(Exception):
    """A reply that cannot even become a candidate module (the message is the diagnostic)."""


@frozen
class Candidate:
    kind: str  # "compile" or "link"
    family: str
    source: str


def candidate(reply: Reply, nearest: Sequence[NearProcedure], families: Iterable[str],
              failing: Sequence[FailingCase]) -> Candidate:
    """The family and source a `compile` or `link` reply stands for; Rejected when it names nothing."""
    if reply.action == "link":
        return _linked(reply, nearest)
    assert reply.module is not None
    source = reply.module if reply.module.endswith("\n") else reply.module + "\n"
    tree = _parse(source)
    origin = next((d for d in tree.decls if isinstance(d, ast.OriginDecl)), None)
    if origin is not None:
        raise Rejected(f"line {origin.span.line}: remove the `origin:` block: SEGLAM writes the module's "
                       "provenance itself (the request, the compiler, the time); put remarks in \"notes\"")
    procs = tree.procs
    if not procs:
        raise Rejected("the module has no proc")
    name = next((p.name for p in procs if p.triggers), procs[0].name)
    # A suspended family that a person rejected is replaced by its recompilation; any other
    # name that is taken gets a suffix, so a new kind of request never overwrites an old one.
    replaceable = {case.family for case in failing}
    taken = set(families) - replaceable
    family, n = name, 2
    while family in taken:
        family, n = f"{name}_{n}", n + 1
    return Candidate("compile", family, source)


def _linked(reply: Reply, nearest: Sequence[NearProcedure]) -> Candidate:
    assert reply.procedure is not None and reply.template is not None
    family, _, proc = reply.procedure.partition(".")
    near = next((n for n in nearest if n.family == family), None)
    if near is None:
        shown = ", ".join(n.family for n in nearest) or "none were shown"
        raise Rejected(f"cannot link to {reply.procedure!r}: link only to a procedure shown with the request "
                       f"({shown}); otherwise compile a new module")
    tree = _parse(near.source)
    decl = next((p for p in tree.procs if p.name == (proc or family)), None)
    if decl is None:
        raise Rejected(f"family {family} has no proc {proc or family!r} (its procs: "
                       f"{', '.join(p.name for p in tree.procs)})")
    template = reply.template.strip()
    if template.startswith("@when("):
        raise Rejected('"template" is the template text only, without @when( and quotes')
    return Candidate("link", family, with_trigger(near.source, decl.name, template))


def _parse(source: str) -> ast.Module:
    try:
        return parse(source, "<reply>")
    except SglError as e:
        raise Rejected("the module does not parse:\n" + e.render(source)) from None


@frozen
class Review:
    """What the checks found: `problems` (the candidate cannot be stored) and, for a candidate
    without problems, `warnings` (it can be stored, but a repair round is asked for: an
    untested precondition)."""

    problems: list[str]
    warnings: list[str] = field(factory=list)


def review(cand: Candidate, request: str, answer: str, failing: Sequence[FailingCase], context: CompileContext,
           limits: Limits | None = None) -> Review:
    """Why `cand` cannot be stored as the answer to `request` (no problems when it can), and its warnings."""
    from seglam_lang.runtime.embedding import loads

    try:
        module = loads(cand.source, cand.family, limits=limits, host=context.host or None)
    except SglError as e:
        return Review(["the module does not load:\n" + e.render(cand.source)])
    rows = validate_triggers(module)
    if not rows:
        return Review(["the module has no @when trigger, so no request can reach it"])
    matcher = Matcher(TriggerIndex(Trigger(r.family, r.proc, r.pattern, r.is_regex, decode_anchors(r.anchors))
                                   for r in rows), lambda _family: module, limits)
    found = []
    outcome = matcher.find(request)
    if outcome.hit is None:
        found.append(f"the module does not answer the request: {_why_not(outcome)}")
    elif not answer_matches(outcome.hit.value, answer, _returns(module, outcome.hit.proc)):
        found.append(f"run on the request, {outcome.hit.proc}({_args(outcome.hit.args)}) returns "
                     f"{_show(outcome.hit.value)}, but your answer is {json.dumps(answer, ensure_ascii=False)}: "
                     "one of them is wrong. Reason about the request again; fix the code or the answer")
    for case in failing:
        out = matcher.find(case.request)
        if out.hit is None:
            if case.family == cand.family:
                found.append(f"a person rejected {case.family}'s answer to {case.request!r} (expected "
                             f"{case.expected}); the new module must answer it, but: {_why_not(out)}")
        elif not answers_match(out.hit.value, case.expected, _returns(module, out.hit.proc)):
            found.append(f"for {case.request!r} the module returns {_show(out.hit.value)}, but a person said the "
                         f"answer is {case.expected}")
    if found:
        return Review(found)
    passed, summary = context.check(cand.source, cand.family)
    if not passed:
        return Review([f"verification failed: {summary}"])
    # A pass's warnings follow its summary line (see CompileContext.check).
    return Review([], [f"the module verifies, but {w}" for w in summary.splitlines()[1:]])


def answer_matches(value: Any, answer: str, returns: Any) -> bool:
    """Does a procedure's result equal the model's answer? Read by the return type, else as folded text."""
    if answers_match(value, answer, returns):
        return True
    shown = value if isinstance(value, str) else _show(value)
    return _fold(shown) == _fold(answer)


def _fold(text: str) -> str:
    """Text compared loosely: whitespace runs folded, case folded, outer quotes and a final period dropped."""
    t = " ".join(text.split()).casefold()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'`":
        t = t[1:-1].strip()
    return re.sub(r"\.$", "", t)


def _returns(module: Any, proc: str) -> Any:
    return module.procs[proc].sig.returns


def _why_not(outcome: Outcome) -> str:
    if outcome.conflict:
        return "its procedures disagree: " + "; ".join(f"{h.proc} says {_show(h.value)}" for h in outcome.hits)
    if outcome.rejected:
        return "; ".join(f"{proc}: {reason}" for _, proc, reason in outcome.rejected[:3])
    return "no trigger matches it (a template must match the whole request, after whitespace runs are folded " \
           "and a final ?, . or ! is dropped; a regex trigger must match the request as written)"


def _args(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_show(v)}" for k, v in args.items())


def _show(value: Any) -> str:
    from seglam_lang.runtime.values import format_value

    return format_value(value)
