"""The lifecycle verbs through `sgl cache ...`: reject (checked), restore, rm then add, why after
replace, and `family.proc` wherever a family is named (spec/cli.md, "The cache verbs")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from seglam_lang.cli import main

MODULES = Path(__file__).parent / "modules"
ODD = (MODULES / "arith.sgl").read_text().replace(
    "    return a + b", "    if a == 2 and b == 2:\n        return 5\n    return a + b")



def sgl(cli_cache: str, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, [*args, "--cache", cli_cache])
    return r.exit_code, r.stdout, r.stderr


def status(cli_cache: str, family: str) -> str:
    return next(f["status"] for f in json.loads(sgl(cli_cache, "cache", "ls", "--json")[1]) if f["family"] == family)


@pytest.mark.parametrize(("name", "request_", "expected", "message"), [
    ("words", "this was never asked", "x", "words does not answer 'this was never asked' (no trigger matches)"),
    ("arith", "what is 2+2", "4", "arith already answers 'what is 2+2' with 4"),
    ("arith", "what is 2+2", " 4 ", "arith already answers"),  # read as the return type
    ("dates", "what is 2+2", "5", "dates does not answer"),  # another family's request
    ("nope", "what is 2+2", "5", "no procedure family 'nope'"),
    ("arith.mul", "what is 2+2", "5", "family arith has no procedure 'mul' (its procedures: add, sub)"),
])
def test_reject_refuses_what_is_not_a_wrong_answer(cli_cache: str, name: str, request_: str, expected: str,
                                                   message: str) -> None:
    code, out, err = sgl(cli_cache, "cache", "reject", name, "--request", request_, "--expected", expected)
    assert (code, out) == (1, "") and message in err and err.count("\n") == 1, err
    assert {f["status"] for f in json.loads(sgl(cli_cache, "cache", "ls", "--json")[1])} == {"active"}


def test_reject_then_restore(cli_cache: str) -> None:
    assert sgl(cli_cache, "cache", "reject", "arith.add", "--request", "what is 2+2", "--expected", "5")[:2] == \
        (0, "suspended arith (it answered 4); the case is kept as a failing example\n")
    assert status(cli_cache, "arith") == "suspended" and sgl(cli_cache, "ask", "what is 2+2")[0] == 4
    assert sgl(cli_cache, "cache", "restore", "arith")[:2] == (0, "arith is active at version 1\n")
    assert sgl(cli_cache, "ask", "what is 2+2")[:2] == (0, "4\n")
    why = json.loads(sgl(cli_cache, "cache", "why", "arith", "--json")[1])
    assert why["rejected_cases"] == [] and why["status"] == "active" and why["version"] == 1


def test_restore_rolls_back_and_keeps_the_history(cli_cache: str, tmp_path: Path) -> None:
    odd = tmp_path / "odd.sgl"
    odd.write_text(ODD)
    # A change of behaviour nobody rejected: refused, in one line naming the input, unless accepted.
    code, out, err = sgl(cli_cache, "cache", "replace", "arith", str(odd))
    assert (code, out) == (1, "") and err.count("\n") == 1, err
    assert "it answers differently from version 1 on 1 input(s) where both apply: add(a=2, b=2): old: 4, new: 5" in err
    assert sgl(cli_cache, "cache", "replace", "arith", str(odd), "--accept-changes")[:2] == \
        (0, "arith is now version 2\n")
    assert sgl(cli_cache, "ask", "what is 2+2")[1] == "5\n"
    code, _, err = sgl(cli_cache, "cache", "restore", "arith", "--version", "1")
    assert code == 1 and "add(a=2, b=2): old: 5, new: 4" in err and "nothing restored" in err
    assert sgl(cli_cache, "ask", "what is 2+2")[1] == "5\n"
    assert sgl(cli_cache, "cache", "restore", "arith", "--version", "1", "--accept-changes")[:2] == \
        (0, "arith is active at version 3\n")
    assert sgl(cli_cache, "ask", "what is 2+2")[1] == "4\n"
    notes = [line.split("  ", 3)[3] for line in sgl(cli_cache, "cache", "history", "arith")[1].splitlines()]
    assert notes == ["added", f"replaces version 1 (from {odd})", "restores version 1"]
    assert sgl(cli_cache, "cache", "show", "arith", "--version", "3")[1] == (MODULES / "arith.sgl").read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--version", "9"], "arith has no stored version 9"),
    (["--version", "0"], "0 is not in the range x>=1"),
])
def test_restore_of_what_is_not_there(cli_cache: str, args: list[str], message: str) -> None:
    code, _, err = sgl(cli_cache, "cache", "restore", "arith", *args)
    assert code in (1, 2) and message in err and "Traceback" not in err


def test_restore_verifies_again(cli_cache: str) -> None:
    """A stored version edited on disk since is not served: restore checks it first."""
    history = Path(cli_cache) / "history" / "arith" / "1.sgl"
    history.write_text(history.read_text().replace("return a + b", "return a +"))
    assert sgl(cli_cache, "cache", "reject", "arith", "--request", "what is 2+2", "--expected", "5")[0] == 1
    code, _, err = sgl(cli_cache, "cache", "restore", "arith")
    assert code == 1 and "arith does not load" in err


def test_rm_then_add_keeps_the_name_and_history(cli_cache: str, tmp_path: Path) -> None:
    assert sgl(cli_cache, "cache", "rm", "arith")[0] == 0
    assert sgl(cli_cache, "cache", "history", "arith")[0] == 0  # kept, as `rm --help` says
    again = tmp_path / "exported_copy.sgl"
    shutil.copy(MODULES / "arith.sgl", again)
    assert sgl(cli_cache, "cache", "add", str(again))[:2] == (0, f"added {again} (version 2)\n")
    assert [f["family"] for f in json.loads(sgl(cli_cache, "cache", "ls", "--json")[1])] == \
        ["arith", "dates", "vat", "words"]
    assert [line.split()[0] for line in sgl(cli_cache, "cache", "history", "arith")[1].splitlines()] == ["v1", "v2"]
    assert sgl(cli_cache, "ask", "what is 2+2")[1] == "4\n"


def test_why_after_replace_shows_the_origin_and_the_replacement(cli_cache: str, tmp_path: Path) -> None:
    sgl(cli_cache, "cache", "reject", "arith", "--request", "what is 2+2", "--expected", "5")
    odd = tmp_path / "odd.sgl"
    odd.write_text(ODD.split("origin:")[0])  # written by hand: no origin block
    assert sgl(cli_cache, "cache", "replace", "arith", str(odd))[0] == 0
    out = sgl(cli_cache, "cache", "why", "arith")[1]
    assert "  origin (of version 1):\n" in out and "  request: what is 1+1?\n" in out and "  compiler: hand\n" in out
    assert f": replaces version 1 (from {odd}); it was suspended: rejected: 'what is 2+2' should be 5\n" in out
    assert "(no origin block)" not in out


@pytest.mark.parametrize("verb", [["why"], ["show"], ["history"], ["why", "--json"]])
def test_a_family_is_named_as_ask_json_prints_it(cli_cache: str, verb: list[str]) -> None:
    procedure = json.loads(sgl(cli_cache, "ask", "what is 2+2", "--json")[1])["procedure"]
    assert procedure == "arith.add"
    by_proc = sgl(cli_cache, "cache", verb[0], procedure, *verb[1:])
    assert by_proc[0] == 0 and by_proc == sgl(cli_cache, "cache", verb[0], "arith", *verb[1:])
    code, _, err = sgl(cli_cache, "cache", verb[0], "arith.nope", *verb[1:])
    assert code == 1 and "family arith has no procedure 'nope'" in err
