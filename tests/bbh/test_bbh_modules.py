"""The BIG-Bench Hard model modules (`examples/bbh/*.sgl`) against the BBH data: zero wrong answers.

Owns the guarantee behind issue 7: every request of a family either gets the target
answer from its module or is a miss (no trigger matches, a slot does not read, or a
`require` fails with NotApplicable), and misses stay under 1% per family. A wrong answer
fails the test, whatever the miss rate.

How a request reaches a procedure here is how the reasoning cache does it: a `re"..."`
trigger must match all of the request, case-insensitively, with RE2, and each named
group is read by the cache's slot reader for its parameter's type. Every request is
tried in two forms, and each must be answered correctly or missed: as written with outer
whitespace stripped (what spec/triggers.md says regex triggers see: line breaks kept)
and normalised (`syntax.trigger_templates.normalise`: whitespace folded, a trailing ?/./!
dropped, what templates see). The modules' regexes accept both.

Module for a family: `<family>.sgl`, or `<prefix>.sgl` where the family is
`<prefix>_<variant>` (`tracking_shuffled_objects.sgl` serves the three
`tracking_shuffled_objects_*_objects` families).

The data lives outside the repository (`../shared/data/bbh/*.json`, or `$SEGLAM_BBH_DATA`);
without it the data-driven tests skip and only the modules' own examples run.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import re2

import seglam_lang
from seglam_lang.cache.readers import ReadError, read
from seglam_lang.syntax.trigger_templates import normalise

REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / "examples" / "bbh"
DATA = Path(os.environ.get("SEGLAM_BBH_DATA", REPO.parent / "shared" / "data" / "bbh"))

# The families issue 7 requires a module for.
FAMILIES = [
    "boolean_expressions", "dyck_languages", "multistep_arithmetic_two", "navigate", "object_counting",
    "temporal_sequences", "tracking_shuffled_objects_three_objects", "tracking_shuffled_objects_five_objects",
    "tracking_shuffled_objects_seven_objects", "logical_deduction_three_objects",
    "logical_deduction_five_objects", "logical_deduction_seven_objects", "web_of_lies", "word_sorting",
    "chinese_remainder_theorem", "schedule_meeting",
]
MAX_MISS_RATE = 0.01
MODULE_PATHS = sorted(MODULES.glob("*.sgl"))

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"BBH data not found at {DATA}")


def module_path_for(family: str) -> Path | None:
    for path in MODULE_PATHS:
        if family == path.stem or family.startswith(path.stem + "_"):
            return path
    return None


class Served:
    """A loaded module with its regex triggers compiled the way the cache matches them."""

    def __init__(self, path: Path) -> None:
        self.module = seglam_lang.load(path)
        options = re2.Options()
        options.case_sensitive = False
        self.triggers = [
            (name, re2.compile(trigger.pattern, options), {p.name: p.type for p in info.sig.params})
            for name, info in self.module.procs.items()
            for trigger in info.triggers
        ]

    def matches(self, normalised: str) -> bool:
        return any(rx.fullmatch(normalised) for _, rx, _ in self.triggers)

    def answer(self, text: str) -> tuple[str, Any]:
        """("answer", value) or ("miss", reason) for one request text, as the cache would serve it."""
        for proc, rx, types in self.triggers:
            m = rx.fullmatch(text)
            if m is None:
                continue
            try:
                args = {k: read(types[k], v) for k, v in m.groupdict().items() if v is not None}
            except ReadError as e:
                return "miss", f"slot does not read: {e}"
            try:
                return "answer", self.module.call(proc, **args)
            except seglam_lang.NotApplicable as e:
                return "miss", str(e)
        return "miss", "no trigger matches"


@cache
def served(path: Path) -> Served:
    return Served(path)


@cache
def rows(family: str) -> list[dict[str, str]]:
    return json.loads((DATA / f"{family}.json").read_text())["examples"]


@cache
def normalised_inputs(family: str) -> list[str]:
    return [normalise(row["input"]).text for row in rows(family)]


@cache
def written_inputs(family: str) -> list[str]:
    return [row["input"].strip() for row in rows(family)]


def request_forms(request: str) -> dict[str, str]:
    return {"as written": request.strip(), "normalised": normalise(request).text}


# Instances written by hand (not in the data), phrased like their family: the expected
# answer, or None where the procedure cannot be sure and must miss.
NEW_INSTANCES: list[tuple[str, str | None]] = [
    ("I have a car, and a bed. How many objects do I have?", "2"),
    ("I have two fish, a mouse, three heads of broccoli, and a yam. How many vegetables do I have?", "4"),
    ("I have a car, a dog. How many objects do I have?", None),
    ("I have a unicorn and a dog. How many animals do I have?", None),
    ("Question: Ann lies. Bo says Ann lies. Cy says Bo lies. Does Cy tell the truth?", "No"),
    ("Alice, Bob, and Claire are friends and avid readers who occasionally trade books. At the start of the semester, they each buy one new book: Alice gets Pride and Prejudice, Bob gets Moby Dick, and Claire gets The Great Gatsby.\nAs the semester proceeds, they start trading around the new books. First, Alice and Bob swap books. Then, Bob and Claire swap books. Finally, Alice and Claire swap books. At the end of the semester, Claire has\nOptions:\n(A) Pride and Prejudice\n(B) Moby Dick\n(C) The Great Gatsby", "(B)"),
    ("A and B want to schedule a 2-hour meeting together.\nA's availability: 09:00 - 12:00\nB's availability: 10:00 - 13:00\nWhat time slot works best? (if multiple, choose the earliest one)", "10:00 - 12:00"),
    ("The following paragraphs each describe a set of three objects arranged in a fixed order. The statements are logically consistent within each paragraph. In a golf tournament, there were three golfers: Ana, Rob, and Mya. Rob finished above Mya. Ana finished last.\nOptions:\n(A) Ana finished first\n(B) Rob finished first\n(C) Mya finished first", "(B)"),
    ("The following paragraphs each describe a set of three objects arranged in a fixed order. The statements are logically consistent within each paragraph. In a golf tournament, there were three golfers: Ana, Rob, and Mya. Ana finished last.\nOptions:\n(A) Ana finished first\n(B) Rob finished first\n(C) Mya finished first", None),
    ("Sort the following words alphabetically: List: Zeta alpha", None),
    ("Complete the rest of the sequence, making sure that the parentheses are closed properly. Input: ( ]", None),
    ("(((-3 + 4) * 2) - -5) =", "7"),
    ("There is a box of no more than 100 pears. If we divide them equally among 7 cows, we have 3 left; if we divide them equally among 11 bears, we have 2 left. How many pears are in the box?", "24"),
    ("There is a box of no more than 200 pears. If we divide them equally among 7 cows, we have 3 left; if we divide them equally among 11 bears, we have 2 left. How many pears are in the box?", None),
    ("If you follow these instructions, do you return to the starting point? Turn right. Take 2 steps. Turn around. Take 2 steps.\nOptions:\n- Yes\n- No", "Yes"),
    ("not not ( True and False ) or True is", "True"),
]


@pytest.mark.parametrize(("request_text", "expected"), NEW_INSTANCES, ids=lambda v: str(v)[:40])
def test_new_instances_are_answered_or_missed(request_text: str, expected: str | None) -> None:
    answers = []
    for text in request_forms(request_text).values():
        outcomes = [s.answer(text) for s in map(served, MODULE_PATHS)]
        answers.append([value for kind, value in outcomes if kind == "answer"])
    assert answers == [[expected] if expected is not None else []] * 2


def test_every_required_family_has_a_module() -> None:
    assert [f for f in FAMILIES if module_path_for(f) is None] == []


def test_every_module_serves_a_family() -> None:
    served_stems = {p.stem for f in FAMILIES if (p := module_path_for(f)) is not None}
    assert sorted(p.stem for p in MODULE_PATHS if p.stem not in served_stems) == []


@pytest.mark.parametrize("path", MODULE_PATHS, ids=lambda p: p.stem)
def test_module_examples_pass_and_triggers_are_regexes(path: Path) -> None:
    s = served(path)
    shown = [e for e in s.module.examples if e.expect is None]
    assert 3 <= len(shown) <= 8, "a model module shows a few examples"
    assert len(shown) < len(s.module.examples), "a model module states the inputs it is not for"
    failing = [(e.text, o.left, o.right, o.error) for e in s.module.examples if not (o := e.run()).passed]
    assert failing == []
    assert s.triggers, "a model module has at least one trigger"
    for proc, rx, types in s.triggers:
        assert set(rx.groupindex) <= set(types), f"{proc}: a named group is not a parameter"


@needs_data
@pytest.mark.parametrize("family", FAMILIES)
def test_family_is_answered_correctly_or_missed(family: str) -> None:
    path = module_path_for(family)
    assert path is not None
    s = served(path)
    data = rows(family)
    wrong: list[str] = []
    misses: dict[str, list[str]] = {"as written": [], "normalised": []}
    for row in data:
        for form, text in request_forms(row["input"]).items():
            kind, value = s.answer(text)
            if kind == "miss":
                misses[form].append(f"{value} | {text[:120]!r}")
            elif value != row["target"]:
                wrong.append(f"{form}: {value!r} != {row['target']!r} | {text[:200]!r}")
    assert wrong == [], f"{len(wrong)} wrong answers: {wrong[:5]}"
    for form, missed in misses.items():
        assert len(missed) <= MAX_MISS_RATE * len(data), f"{form}: {len(missed)} misses of {len(data)}: {missed[:5]}"


@needs_data
def test_triggers_do_not_fire_on_other_families() -> None:
    """A request of one BBH task (required or not) never reaches another family's module."""
    crossings: list[str] = []
    for file in sorted(DATA.glob("*.json")):
        own = module_path_for(file.stem)
        for path in MODULE_PATHS:
            if path == own:
                continue
            s = served(path)
            hits = [text for text in normalised_inputs(file.stem) + written_inputs(file.stem) if s.matches(text)]
            if hits:
                crossings.append(f"{path.stem} fires on {len(hits)} {file.stem} rows, e.g. {hits[0][:100]!r}")
    assert crossings == []
