"""The reply protocol: every form a backend returns is read, every malformed reply is one clear line."""

from __future__ import annotations

import json

import pytest

from seglam_lang.compilers.protocol import REPLY_SCHEMA, Reply, ReplyError, parse_reply

GOOD = {"action": "compile", "module": "proc f() -> Int:\n    return 1\n", "answer": "1"}

ACCEPTED = [
    (GOOD, Reply("compile", "1", module=GOOD["module"])),
    (json.dumps(GOOD), Reply("compile", "1", module=GOOD["module"])),
    ("Here it is:\n```json\n" + json.dumps(GOOD) + "\n```\nDone.", Reply("compile", "1", module=GOOD["module"])),
    ("Sure! " + json.dumps(GOOD) + " Hope this helps.", Reply("compile", "1", module=GOOD["module"])),
    ({"action": "link", "procedure": "dates.days_between", "template": "days from {start} to {end}",
      "answer": "62"}, Reply("link", "62", procedure="dates.days_between", template="days from {start} to {end}")),
    ({"action": "decline", "answer": "Paris", "notes": ""}, Reply("decline", "Paris")),
    ({"action": "decline", "answer": 42}, Reply("decline", "42")),  # a number answer becomes its JSON text
    ({"action": "decline", "answer": ["a", "b"]}, Reply("decline", '["a", "b"]')),
]


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED)
def test_accepted_forms(raw: object, expected: Reply) -> None:
    assert parse_reply(raw) == expected  # type: ignore[arg-type]


REFUSED = [
    ("", "no JSON object"),
    ("I think the answer is 42.", "no JSON object"),
    ('{"action": "compile", "module": "x", "answer": "1"', "not valid JSON"),
    ("[1, 2]", "not an object"),
    ({"action": "run", "answer": "1"}, '"action" must be one of compile, link, decline (got "run")'),
    ({"answer": "1"}, '"action" must be one of'),
    ({"action": "compile", "answer": "1"}, 'a "compile" reply needs "module"'),
    ({"action": "compile", "module": "", "answer": "1"}, 'needs "module"'),
    ({"action": "link", "answer": "1", "template": "x"}, 'a "link" reply needs "procedure"'),
    ({"action": "link", "answer": "1"}, 'needs "procedure" and "template"'),
    ({"action": "compile", "module": ["x"], "answer": "1"}, '"module" must be a string (got list)'),
    ({"action": "decline"}, '"answer" is missing'),
]


@pytest.mark.parametrize(("raw", "message"), REFUSED)
def test_refused_forms_say_why_in_one_line(raw: object, message: str) -> None:
    with pytest.raises(ReplyError) as info:
        parse_reply(raw)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_schema_names_every_reply_field() -> None:
    assert set(REPLY_SCHEMA["properties"]) == {"action", "module", "procedure", "template", "answer", "notes"}
    assert REPLY_SCHEMA["properties"]["action"]["enum"] == ["compile", "link", "decline"]
    assert parse_reply(Reply("link", "x", procedure="a.b", template="t").to_json()).procedure == "a.b"
