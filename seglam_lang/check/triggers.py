"""What a valid `@when` trigger is: the one home of the rule.

Owns `trigger_shape(pattern, is_regex) -> TriggerShape` (slots, the slots every match
binds, anchor words) and `trigger_problems(pattern, is_regex, proc, params)`, the list
of reasons a trigger cannot serve its proc. The checker reports each problem as a
diagnostic at the trigger, so `sgl check`, `sgl test`, loading a module, `sgl cache add`
and the compile loop's repair rounds all apply the same rule; the cache files triggers
under `TriggerShape.anchors` and asks `trigger_problems` again before it runs a trigger
read from its index.

The rule (spec/triggers.md, "Valid triggers"):
1. the pattern parses: a template (E0224) or an RE2 pattern (E0226);
2. every slot (a regex's named group) names a parameter (E0224, E0227);
3. every parameter without a default is bound by every match: its slot is outside
   optional parts and in every alternative (E0225);
4. the trigger is specific (E0242): every match contains, as a whole word, a literal
   word of the trigger outside its slots and optional parts (its anchors are not
   empty). A regex may instead be unable to match any letter at all, and have a
   literal character outside its named groups that every match contains (`3 + 4 =`).

Invariant: a trigger with no problems has a non-empty `anchors` or is a letter-free
regex, so no valid trigger can take over requests written in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from seglam_lang.check.regex import RegexError, compile_quiet
from seglam_lang.codes import (
    E_BAD_REGEX,
    E_OVER_BROAD_TRIGGER,
    E_PARAM_NOT_IN_TEMPLATE,
    E_REGEX_GROUP,
    E_TEMPLATE_SLOT,
)
from seglam_lang.syntax.trigger_regex import RegexShapeError, regex_shape
from seglam_lang.syntax.trigger_templates import TemplateError, parse_template

Anchors = tuple[frozenset[str], ...]


class TriggerError(ValueError):
    """A trigger whose pattern does not parse (`code` is E0224 or E0226)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


class TriggerShape(NamedTuple):  # NamedTuples, not attrs: this module is imported on a cache's first hit
    slots: tuple[str, ...]  # every slot (named group), in order
    always: frozenset[str]  # slots bound in every match
    anchors: Anchors  # word sets: every match contains one word of each, as a whole word
    specific: bool  # the specificity rule (4) holds
    why_not_specific: str = ""  # when it does not hold: what is wrong (one phrase)


class TriggerProblem(NamedTuple):
    code: str
    message: str
    hint: str | None = None


def trigger_shape(pattern: str, is_regex: bool) -> TriggerShape:
    """The shape of one trigger; TriggerError when its pattern does not parse."""
    if not is_regex:
        try:
            t = parse_template(pattern)
        except TemplateError as ex:
            raise TriggerError(E_TEMPLATE_SLOT, f"bad trigger template: {ex}") from None
        why = "" if t.anchors else "it has no literal word outside its slots and optional parts, so it would " \
                                   "match almost any request"
        return TriggerShape(t.slots, t.always, t.anchors, bool(t.anchors), why)
    try:
        groups = tuple(compile_quiet(pattern).groupindex)
    except RegexError as ex:
        raise TriggerError(E_BAD_REGEX, f"the trigger pattern is not a valid RE2 regular expression: {ex}",
                           "RE2 has no backreferences or look-around") from None
    try:
        shape = regex_shape(pattern)
    except RegexShapeError as ex:  # refused as not specific; its groups are not blamed as well
        return TriggerShape(groups, frozenset(groups), (), False, f"its specificity cannot be shown ({ex})")
    specific = bool(shape.anchors) or (shape.letter_free and shape.literal_outside_slots)
    why = "" if specific else "a match need not contain a literal word of it outside its named groups and " \
                              "optional parts, so it could match almost any request"
    return TriggerShape(groups, shape.always, shape.anchors, specific, why)


def trigger_problems(pattern: str, is_regex: bool, proc: str, params: Mapping[str, bool]) -> list[TriggerProblem]:
    """Every reason the trigger cannot serve `proc`, whose parameters are `params`
    (name -> has a default); [] for a valid trigger."""
    try:
        shape = trigger_shape(pattern, is_regex)
    except TriggerError as ex:
        return [TriggerProblem(ex.code, ex.message, ex.hint)]
    found = []
    code, what = (E_REGEX_GROUP, "named group") if is_regex else (E_TEMPLATE_SLOT, "slot")
    unknown = [slot for slot in shape.slots if slot not in params]
    if unknown:
        from seglam_lang.check.hints import did_you_mean  # difflib: only when there is something to suggest
    for slot in unknown:
        found.append(TriggerProblem(code, f"trigger {what} `{slot}` is not a parameter of `{proc}`",
                                    did_you_mean(slot, params, fallback=f"parameters: {', '.join(params) or 'none'}")))
    for name, has_default in params.items() if not unknown else ():  # after a misspelt slot, one diagnostic
        if has_default or name in shape.always:
            continue
        if name not in shape.slots:
            found.append(TriggerProblem(E_PARAM_NOT_IN_TEMPLATE,
                                        f"parameter `{name}` is not in this trigger and has no default",
                                        f"add `{{{name}}}` to the template, or give `{name}` a default"
                                        if not is_regex else f"add `(?P<{name}>...)`, or give `{name}` a default"))
        else:
            where = "group" if is_regex else "slot"
            found.append(TriggerProblem(E_PARAM_NOT_IN_TEMPLATE,
                                        f"parameter `{name}` has no default, but a match of this trigger can leave it "
                                        f"unset (its {where} is optional or in only some alternatives)",
                                        f"give `{name}` a default, or make its {where} part of every match"))
    if not shape.specific:
        example = "`(?P<n>\\d+) squared`" if is_regex else "`what is {a} times {b}`"
        found.append(TriggerProblem(E_OVER_BROAD_TRIGGER, f"this trigger is too broad: {shape.why_not_specific}",
                                    f"a trigger must name its kind of request in words that every match contains, "
                                    f"outside slots and optional parts, e.g. {example}"))
    return found
