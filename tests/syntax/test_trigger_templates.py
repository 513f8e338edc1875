"""Template parsing, regex compilation and normalisation (seglam_lang.syntax.trigger_templates)."""

from __future__ import annotations

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies.trigger_strategies import template_and_request

from seglam_lang.syntax.trigger_templates import (
    TemplateError,
    normalise,
    parse_template,
    words,
)


def match(template: str, request: str) -> dict[str, str] | None:
    """Slots captured (as written in the request) or None."""
    t = parse_template(template)
    n = normalise(request)
    m = re2.compile(t.regex).fullmatch(n.text)
    if m is None:
        return None
    return {name: n.original(*m.span(i + 1)) for i, name in enumerate(t.slots) if m.span(i + 1)[0] >= 0}


MATCHES = [
    ("what is {a}+{b}", "What is 21+1?", {"a": "21", "b": "1"}),
    ("what is {a}+{b}", "what   IS 21+1 ?!", {"a": "21", "b": "1"}),
    ("days between {start} and {end}", "Days between 2024-01-03 and 5 March 2024.", {"start": "2024-01-03", "end": "5 March 2024"}),
    ("greet {name}", "greet  Ada   Lovelace", {"name": "Ada   Lovelace"}),
    ("[please] (sort|order) {words} [alphabetically]", "Sort pear fig", {"words": "pear fig"}),
    ("[please] (sort|order) {words} [alphabetically]", "please order Pear Fig alphabetically", {"words": "Pear Fig"}),
    ("a [b] [c] d", "a d", {}),
    ("a [b] [c] d", "a b c d", {}),
    ("a [b] [c] d", "A C D", {}),
    ("x (a|) y", "x y", {}),
    ("x (a|) y", "x a y", {}),
    ("convert {x} [to {unit}]", "convert 3 km", {"x": "3 km"}),
    ("convert {x} to {unit}", "convert 3 km to miles", {"x": "3 km", "unit": "miles"}),
    ("is {n} prime?", "is 7 prime", {"n": "7"}),
    (r"cost \(in {cur}\)", "cost (in EUR)", {"cur": "EUR"}),
    ("price of {item}", "PRICE OF Café Crème", {"item": "Café Crème"}),
]


@pytest.mark.parametrize(("template", "request_text", "slots"), MATCHES)
def test_matches(template: str, request_text: str, slots: dict[str, str]) -> None:
    assert match(template, request_text) == slots


NON_MATCHES = [
    ("what is {a}+{b}", "What is 21-1?"),
    ("what is {a}+{b}", "So what is 21+1"),
    ("a [b] [c] d", "a  b x d"),
    ("a [b] [c] d", "ab d"),
    ("days between {start} and {end}", "days between 2024-01-03"),
    ("total of {items}", "total of"),
    ("x (a|b) y", "x y"),
]


@pytest.mark.parametrize(("template", "request_text"), NON_MATCHES)
def test_non_matches(template: str, request_text: str) -> None:
    assert match(template, request_text) is None


ERRORS = [
    ("a {", 2, "unclosed '{'"),
    ("a {}", 2, "empty slot"),
    ("a { }", 2, "empty slot"),
    ("a {1x}", 2, "bad slot name"),
    ("a {b-c}", 2, "bad slot name"),
    ("a {b{c}}", 4, "cannot nest"),
    ("a [b", 2, "unclosed '['"),
    ("a b]", 3, "']' without"),
    ("a (b|c", 2, "unclosed '('"),
    ("a b)", 3, "')' without"),
    ("a } b", 2, "'}' without"),
    ("x | y", 2, "'|' outside"),
    ("{a} and {a}", 0, "appears twice"),
    ("a [] b", 2, "empty optional"),
    ("a (|) b", 2, "empty alternatives"),
    ("   ", 0, "at least one"),
    ("trailing \\", 9, "backslash"),
]


@pytest.mark.parametrize(("template", "offset", "message"), ERRORS)
def test_errors(template: str, offset: int, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template(template)
    assert info.value.offset == offset
    assert message in info.value.message


def test_slots_in_order_including_optional_and_alternatives() -> None:
    t = parse_template("from {a} [to {b}] (by {c}|via {d})")
    assert t.slots == ("a", "b", "c", "d")


def test_escapes_are_literal() -> None:
    t = parse_template(r"\{literal\} \[x\] {slot}")
    assert t.slots == ("slot",)
    assert match(r"\{literal\} \[x\] {slot}", "{literal} [x] 5") == {"slot": "5"}


def test_normalise_keeps_case_and_maps_back() -> None:
    n = normalise("  Hello \t  World!? ")
    assert n.text == "Hello World"
    assert n.original(0, len(n.text)) == "Hello \t  World"
    assert n.original(6, 11) == "World"


_text = st.text(alphabet=st.sampled_from(list("ab c\t\nD?!.é")), max_size=30)


@given(_text)
@settings(max_examples=200, deadline=None)
def test_normalise_properties(raw: str) -> None:
    n = normalise(raw)
    assert "  " not in n.text and n.text == n.text.strip()
    assert not n.text.endswith(("?", ".", "!"))
    assert normalise(n.text).text == n.text
    # every normalised span maps back to text that folds to the same thing
    for i in range(len(n.text)):
        for j in range(i + 1, len(n.text) + 1):
            assert " ".join(n.original(i, j).split()) == " ".join(n.text[i:j].split())


_word = st.text(alphabet="abcxyz", min_size=1, max_size=5)


def _template_and_request() -> st.SearchStrategy[tuple[str, str]]:
    """A template built from words, optional parts and alternatives, plus a request it matches."""
    return template_and_request(_word, ("word", "opt", "alt"), 5)


@given(_template_and_request())
@settings(max_examples=150, deadline=None)
def test_generated_templates_match_and_anchors_are_conservative(pair: tuple[str, str]) -> None:
    template, request = pair
    t = parse_template(template)
    assert re2.compile(t.regex).fullmatch(normalise(request).text) is not None, t.regex
    request_words = words(request)
    for anchor in t.anchors:
        assert anchor & request_words, (anchor, request)
