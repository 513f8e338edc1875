"""Only SEGLAM writes provenance: `sgl cache add`, `replace` and `import` keep an origin block
whose keys SEGLAM writes and refuse any other key (spec/declarations.md, Origin)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from seglam_lang.cache.provenance import COMPILE_KEYS, LINK_KEYS, origin_problem, with_origin, with_trigger
from seglam_lang.cli import main
from seglam_lang.syntax.parser import parse

MODULE = '''\
@when("what is the answer")
proc answer() -> Int:
    return 42

example answer() == 42
'''
HAND = MODULE + '\norigin:\n    request: "what is the answer?"\n    compiler: "hand-written"\n'
FORGED = MODULE + '\norigin:\n    request: "what is the answer?"\n    verified_by: "a human reviewer"\n'


def sgl(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_add_keeps_a_hand_written_origin_with_seglams_keys(tmp_path: Path) -> None:
    (tmp_path / "answer.sgl").write_text(HAND)
    cache = str(tmp_path / "c")
    assert sgl("cache", "add", str(tmp_path / "answer.sgl"), "--cache", cache)[0] == 0
    why = sgl("cache", "why", "answer", "--cache", cache)[1]
    assert "compiler: hand-written" in why and "request: what is the answer?" in why


@pytest.mark.parametrize("verb", ["add", "replace", "import"])
def test_an_origin_key_seglam_does_not_write_is_refused(tmp_path: Path, verb: str) -> None:
    cache = str(tmp_path / "c")
    (tmp_path / "answer.sgl").write_text(MODULE)
    assert sgl("cache", "add", str(tmp_path / "answer.sgl"), "--cache", cache)[0] == 0
    forged = tmp_path / "forged" / ("forged.sgl" if verb == "add" else "answer.sgl")
    forged.parent.mkdir()
    forged.write_text(FORGED)
    args = {"add": ["add", str(forged)], "replace": ["replace", "answer", str(forged)],
            "import": ["import", str(forged.parent)]}[verb]
    code, out, err = sgl("cache", *args, "--cache", cache)
    assert code == 1, (out, err)
    said = err if verb != "import" else out  # import reports each file on stdout
    assert "`verified_by`, which SEGLAM does not write" in said and "Traceback" not in err
    assert len(said.strip().splitlines()) == 1
    assert "verified_by" not in sgl("cache", "show", "answer", "--cache", cache)[1]
    assert sgl("cache", "show", "forged", "--cache", cache)[0] != 0


def test_the_keys_seglam_writes_are_accepted() -> None:
    every = {k: f"{k} value" for k in COMPILE_KEYS + LINK_KEYS}
    assert origin_problem(every) is None
    assert origin_problem({**every, "Request": "x"}) is not None


def test_edits_keep_comments_and_replace_the_one_origin_block() -> None:
    source = "# header\n" + HAND.replace("    return 42", "    return 42  # the answer")
    edited = with_trigger(with_origin(source, {"rounds": "1\u2028x"}), "answer", "tell me\u2029the answer")
    assert edited.startswith("# header\n@when(")
    assert "# the answer" in edited and edited.count("origin:") == 1
    tree = parse(edited)
    assert tree.origin == {"request": "what is the answer?", "compiler": "hand-written", "rounds": "1\u2028x"}
    assert [t.pattern for t in tree.procs[0].triggers] == ["tell me\u2029the answer", "what is the answer"]
    with pytest.raises(ValueError, match="no proc 'nope'"):
        with_trigger(source, "nope", "x")
