"""The trigger index: conservative (never loses a match) and selective (does not scan everything)."""

from __future__ import annotations

import re2
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies.trigger_strategies import template_and_request

from seglam_lang.cache.matcher import (
    Key,
    Trigger,
    TriggerIndex,
    choose_key,
    decode_anchors,
    encode_anchors,
    trigger_anchors,
)
from seglam_lang.syntax.trigger_templates import backtracks_linearly, normalise, parse_template, words

_word = st.sampled_from("alpha beta gamma delta tax area of the for and what is".split())


def _templates() -> st.SearchStrategy[tuple[str, str]]:
    """A template over a small vocabulary (so words repeat) and a request it matches."""
    return template_and_request(_word, ("word", "word", "slot", "opt", "alt"), 6)


@given(st.lists(_templates(), min_size=1, max_size=12))
@settings(max_examples=150, deadline=None)
def test_index_never_loses_a_matching_trigger(pairs: list[tuple[str, str]]) -> None:
    triggers = [Trigger(f"f{i}", "p", t, False, decode_anchors(encode_anchors(trigger_anchors(t, False))))
                for i, (t, _) in enumerate(pairs)]
    index = TriggerIndex(triggers)
    for (template, request), trig in zip(pairs, triggers):
        text = normalise(request).text
        assert re2.compile(parse_template(template).regex).fullmatch(text) is not None
        assert trig in index.candidates(words(text)), (template, request, trig.key)
        assert trig.admits(words(text)), (template, request, trig.pivot)


def test_lookup_tries_few_of_many_triggers() -> None:
    nouns = [f"noun{i}" for i in range(50)]
    things = [f"thing{i}" for i in range(50)]
    triggers = [Trigger(f"{n}_{t}", "p", f"what is the {n} of the {t} for {{x}}", False,
                        trigger_anchors(f"what is the {n} of the {t} for {{x}}", False))
                for n in nouns for t in things]
    index = TriggerIndex(triggers)
    found = index.candidates(words("What is the noun7 of the thing42 for 12"))
    assert [t.family for t in found] == ["noun7_thing42"]
    assert index.candidates(words("what is the weather")) == []


def test_keys_prefer_rare_words_and_pairs() -> None:
    df = {"what": 900, "is": 900, "area": 10, "circle": 3, "total": 500}
    assert choose_key((frozenset({"what"}), frozenset({"area"}), frozenset({"circle"})), df) == \
        Key(("area", "circle"), "all")
    assert choose_key((frozenset({"total"}),), df) == Key(("total",), "any")
    assert choose_key((frozenset({"sort", "order"}),), df) == Key(("order", "sort"), "any")
    assert choose_key((), df) == Key()


def test_regex_anchors() -> None:
    anchors = trigger_anchors(r"(?s)Sort the following words alphabetically: List: (?P<words>.*)", True)
    assert {w for a in anchors for w in a} == {"sort", "the", "following", "words", "alphabetically", "list"}
    assert trigger_anchors(r"(?P<n>\d+) squared|cubed", True) == (frozenset({"squared", "cubed"}),)


def test_an_index_trigger_is_judged_against_its_module_before_it_runs() -> None:
    """A trigger read from the index that does not fit the module (an over-broad one, a
    slot that names no parameter) is a non-match with the checker's reason: never a hit."""
    import seglam_lang
    from seglam_lang.cache.matcher import Matcher

    module = seglam_lang.loads('@when("echo {x}")\nproc echo(x: Int) -> Int:\n    return 42\n', "echo")
    index = TriggerIndex([Trigger("echo", "echo", "{x}", False, ()), Trigger("echo", "echo", "echo {y}", False, ()),
                          Trigger("echo", "echo", r"(?P<x>.+)", True, ())])
    matcher = Matcher(index, lambda _family: module)
    outcome = matcher.find("What is the capital of France?")
    assert outcome.hit is None
    assert [r[2].split(":")[0] for r in outcome.rejected] == ["invalid trigger", "invalid trigger"]
    assert "too broad" in outcome.rejected[0][2]
    assert matcher.find("echo 5").hit is None  # {y} is not a parameter of echo
    assert Matcher(TriggerIndex([Trigger("echo", "echo", "echo {x}", False, ())]),
                   lambda _family: module).find("echo 5").hit is not None


_ascii_request_word = st.sampled_from("alpha beta gamma delta tax area of the for and what is 7 42 x-ray ALPHA".split())


@given(_templates(), st.lists(_ascii_request_word, max_size=8), st.booleans())
@settings(max_examples=300, deadline=None)
def test_python_re_and_re2_agree_on_the_templates_given_to_python_re(pair: tuple[str, str], noise: list[str],
                                                                       perturb: bool) -> None:
    """A template that backtracks linearly is matched by Python's `re` on ASCII requests: it
    must match exactly what RE2 matches, with the same slot spans, on requests it matches and
    on others."""
    template, request = pair
    parsed = parse_template(template)
    trig = Trigger("f", "p", template, False, ())
    rx, _groups, py = trig.compiled()
    assert (py is not None) == (backtracks_linearly(parsed) and parsed.regex.isascii())
    if py is None:
        assert len(parsed.slots) > 1 or not backtracks_linearly(parsed)
        return
    texts = [request, " ".join(noise), request + " " + " ".join(noise) if perturb else " ".join(noise) + " " + request]
    for raw in texts:
        text = normalise(raw).text
        spans = rx.Match(re2._re2.RE2.Anchor.ANCHOR_BOTH, text.encode(), 0, len(text))
        m = py.fullmatch(text)
        assert (m is not None) == (spans[0][0] >= 0), (template, text)
        if m is not None:
            assert list(m.regs) == [tuple(s) for s in spans], (template, text)


def test_only_templates_with_one_slot_and_few_paths_backtrack_linearly() -> None:
    assert backtracks_linearly(parse_template("what is the area of {x} [please]"))
    assert backtracks_linearly(parse_template("[please] (compute|calculate) [the] tax for {x} (now|today)"))
    assert not backtracks_linearly(parse_template("add {a} and {b}"))  # two lazy slots: every split
    many = " ".join(f"[w{i}]" for i in range(7)) + " {x}"  # 2**7 ways through the optional words
    assert not backtracks_linearly(parse_template(many))
