"""The reply protocol between SEGLAM and an LLM compiler.

Owns: `Reply` (one parsed reply), `REPLY_SCHEMA` (its JSON schema, sent as the input schema of
the forced tool call and shown in the prompt), `TOOL_NAME`, and `parse_reply`, which accepts
a reply in every form a backend may return: a dict (a tool call's input), or text holding a
JSON object (plain, inside a ```json fence, or surrounded by prose).

The LLM returns one JSON object:

    {"action": "compile" | "link" | "decline",
     "module": "<SGL source, for compile>",
     "procedure": "<existing family.proc, for link>",
     "template": "<new @when template, for link>",
     "answer": "<the model's own answer to the request, reasoned independently>",
     "notes": "<optional>"}

Invariant: `parse_reply` either returns a `Reply` whose fields the action needs are present
and of the right type, or raises `ReplyError` with a one-line message that is sent back to
the model as a diagnostic (a malformed reply costs a repair round, never a crash).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from seglam_lang.frozen import asdict, frozen
from seglam_lang.runtime import jsontext

TOOL_NAME = "sgl_reply"
ACTIONS = ("compile", "link", "decline")

REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": list(ACTIONS),
                   "description": "compile: a new SGL module; link: an existing procedure applies, add a "
                                  "template; decline: not a procedural request"},
        "module": {"type": "string", "description": "for compile: the complete SGL module source"},
        "procedure": {"type": "string", "description": "for link: the existing procedure, as family.proc"},
        "template": {"type": "string", "description": "for link: the new @when template (without @when)"},
        "answer": {"type": "string", "description": "your own answer to the request, reasoned independently of "
                                                    "the code, written as the procedure would return it"},
        "notes": {"type": "string", "description": "optional remarks"},
    },
    "required": ["action", "answer"],
    "additionalProperties": False,
}


class ReplyError(ValueError):
    """A reply that does not follow the protocol (the message is one line)."""


@frozen
class Reply:
    action: Literal["compile", "link", "decline"]
    answer: str
    module: str | None = None
    procedure: str | None = None
    template: str | None = None
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


_FENCED = re.compile(r"```(?:json)?\s*\n(.*?)\n\s*```", re.S)


def _json_object(text: str) -> dict[str, Any]:
    """The JSON object in a text reply: the whole text, a fenced block, or the outermost braces."""
    stripped = text.strip()
    candidates = [stripped] if stripped[:1] in ("{", "[") else []
    candidates += [m.group(1) for m in _FENCED.finditer(text)]
    first, last = text.find("{"), text.rfind("}")
    if 0 <= first < last:
        candidates.append(text[first : last + 1])
    error = "the reply holds no JSON object"
    for candidate in candidates:
        try:
            value = jsontext.loads(candidate)  # bounded: deep nesting and huge numbers are errors
        except jsontext.JsonError as e:
            error = f"the reply is not valid JSON ({e})"
            continue
        if isinstance(value, dict):
            return value
        error = f"the reply is JSON but not an object (got {type(value).__name__})"
    raise ReplyError(error)


def _answer_text(value: Any) -> str:
    """The `answer` field as text: models sometimes send a number, a bool or a list."""
    if isinstance(value, str):
        return value
    if value is None:
        raise ReplyError('"answer" is missing: give your own answer to the request')
    return json.dumps(value, ensure_ascii=False)


def parse_reply(raw: str | dict[str, Any]) -> Reply:
    """A `Reply` from a tool call's input (dict) or a text reply; ReplyError when it does not fit."""
    data = raw if isinstance(raw, dict) else _json_object(raw)
    action = data.get("action")
    if action not in ACTIONS:
        raise ReplyError(f'"action" must be one of {", ".join(ACTIONS)} (got {json.dumps(action)})')
    fields: dict[str, str | None] = {}
    for key in ("module", "procedure", "template", "notes"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ReplyError(f'"{key}" must be a string (got {type(value).__name__})')
        fields[key] = value if value else None
    needed = {"compile": ("module",), "link": ("procedure", "template"), "decline": ()}[action]
    missing = [k for k in needed if not fields[k]]
    if missing:
        raise ReplyError(f'a "{action}" reply needs {" and ".join(json.dumps(k) for k in missing)}')
    return Reply(action, _answer_text(data.get("answer")), **fields)
