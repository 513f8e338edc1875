"""Support for the checker tests: the corpus cases (`tests/check/corpus/`, format in `tests/corpus.py`) and the fake module interfaces they use."""

from __future__ import annotations

from pathlib import Path

from corpus import read_all

from seglam_lang.check.types import DECIMAL, INT, STR, ListT, ModuleInterface, ParamSig, ProcSig
from seglam_lang.syntax import ast

CASES = read_all(Path(__file__).resolve().parent / "corpus")


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
