"""Support for the checker tests: the corpora's `# error: E0xxx` / `# hint: text` expectations, fake module interfaces."""

from __future__ import annotations

import re
from pathlib import Path

from seglam_lang.check.types import DECIMAL, INT, STR, ListT, ModuleInterface, ParamSig, ProcSig
from seglam_lang.syntax import ast

CONFORMANCE = Path(__file__).resolve().parent.parent / "conformance"
ERROR_FILES = sorted((CONFORMANCE / "check_errors").glob("*.sgl"))
OK_FILES = sorted((CONFORMANCE / "check_ok").glob("*.sgl"))

_ERROR = re.compile(r"#\s*error:\s*((?:E\d{4}\s*)+)")
_NOTE = re.compile(r"^\s*#\s*(hint|message):\s*(.+?)\s*$")


def expectations(source: str) -> tuple[list[tuple[int, str]], dict[int, str], dict[int, str]]:
    """(sorted (line, code) pairs, {line: hint substring}, {line: message substring}).

    A `# hint: text` or `# message: text` line refers to the error line above it.
    """
    errors: list[tuple[int, str]] = []
    notes: dict[str, dict[int, str]] = {"hint": {}, "message": {}}
    last_error_line = 0
    for n, text in enumerate(source.splitlines(), start=1):
        m = _ERROR.search(text)
        if m:
            errors.extend((n, code) for code in m.group(1).split())
            last_error_line = n
        h = _NOTE.match(text)
        if h:
            notes[h.group(1)][last_error_line] = h.group(2)
    return sorted(errors), notes["hint"], notes["message"]


# Interfaces of modules the corpora `use` (the checker sees only interfaces, never the code).
_TEXT = ModuleInterface(
    "std.text",
    procs={
        "words": ProcSig("words", (ParamSig("text", STR),), ListT(STR)),
        "size": ProcSig("size", (ParamSig("items", ListT(STR)),), INT),
    },
    records={},
    consts={"VOWELS": STR},
)
_MONEY = ModuleInterface(
    "std.money",
    procs={"round_half_up": ProcSig("round_half_up", (ParamSig("x", DECIMAL), ParamSig("places", INT)), DECIMAL)},
    records={},
    consts={},
)
MODULES = {"std.text": _TEXT, "std.money": _MONEY}


def fake_imports(use: ast.Use) -> ModuleInterface | None:
    return MODULES.get(".".join(use.path))
