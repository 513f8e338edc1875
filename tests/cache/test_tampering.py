"""Tampering and recovery (issue 16 §7): a broken index is moved aside and rebuilt from the
files; a file whose name is not a family name is never registered nor used as a path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from seglam_lang.cli import main

MODULES = Path(__file__).parent / "modules"


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    d = tmp_path / "cache"
    result = CliRunner().invoke(main, ["cache", "add", *map(str, sorted(MODULES.glob("*.sgl"))), "--cache", str(d)])
    assert result.exit_code == 0, result.output
    return d


def sgl(cache_dir: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, [*args, "--cache", str(cache_dir)])
    return r.exit_code, r.stdout, r.stderr


def garbage(index: Path) -> None:
    index.write_bytes(b"this is not a database\n" * 100)


def truncated(index: Path) -> None:
    index.write_bytes(index.read_bytes()[: len(index.read_bytes()) // 3])


@pytest.mark.parametrize("damage", [garbage, truncated])
def test_reindex_rebuilds_a_broken_index_from_the_files(cache_dir: Path, damage: object) -> None:
    assert sgl(cache_dir, "ask", "what is 2+2")[1] == "4\n"
    for wal in cache_dir.glob("index.sqlite-*"):
        wal.unlink()  # what a crash or a bad copy leaves: the index file alone
    damage(cache_dir / "index.sqlite")  # type: ignore[operator]
    code, out, err = sgl(cache_dir, "cache", "reindex")
    assert (code, out) == (0, "indexed 4 families\n"), err
    assert "the index could not be read; it was moved to" in err and "Traceback" not in err
    assert len([p for p in cache_dir.glob("index.sqlite.broken-*") if not p.name.endswith(("-wal", "-shm"))]) == 1
    # The verification record went with the broken index: nothing runs until verified again.
    assert {f["status"] for f in json.loads(sgl(cache_dir, "cache", "ls", "--json")[1])} == {"unverified"}
    assert sgl(cache_dir, "ask", "what is 2+2")[0] == 4
    assert sgl(cache_dir, "cache", "verify")[0] == 0
    assert sgl(cache_dir, "ask", "what is 2+2")[1] == "4\n"


def test_a_sound_index_is_left_in_place(cache_dir: Path) -> None:
    assert sgl(cache_dir, "cache", "reindex")[:2] == (0, "indexed 4 families\n")
    assert not list(cache_dir.glob("index.sqlite.broken-*"))
    assert {f["status"] for f in json.loads(sgl(cache_dir, "cache", "ls", "--json")[1])} == {"active"}


@pytest.mark.parametrize("name", ["...sgl", "..sgl", "has space.sgl", "1digit.sgl"])
def test_a_file_that_is_not_a_family_name_is_skipped(cache_dir: Path, name: str) -> None:
    (cache_dir / "procedures" / name).write_text((MODULES / "arith.sgl").read_text())
    before = {p for p in cache_dir.parent.rglob("*") if "index.sqlite" not in p.name}
    code, out, err = sgl(cache_dir, "cache", "reindex")
    assert (code, out) == (0, "indexed 4 families\n") and f"{name}: skipped: bad procedure family name" in err
    assert [f["family"] for f in json.loads(sgl(cache_dir, "cache", "ls", "--json")[1])] == \
        ["arith", "dates", "vat", "words"]
    assert {p for p in cache_dir.parent.rglob("*") if "index.sqlite" not in p.name} == before  # nothing written


def test_triggers_the_index_misstates_are_never_served(cache_dir: Path) -> None:
    """An index edited to serve a trigger its file does not have: the family is not run."""
    import sqlite3

    from seglam_lang.cache.matcher import encode_anchors, trigger_anchors

    db = sqlite3.connect(cache_dir / "index.sqlite")
    pattern = "what is the capital of {a} and {b}"
    db.execute("UPDATE triggers SET pattern = ?, anchors = ? WHERE family = 'arith' AND pattern = 'what is {a}+{b}'",
               (pattern, encode_anchors(trigger_anchors(pattern, False))))
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
    db.commit()
    db.close()
    code, out, err = sgl(cache_dir, "ask", "what is the capital of 2 and 3")  # would answer 5
    assert code == 4 and out == "" and "Traceback" not in err
    status = {f["family"]: f for f in json.loads(sgl(cache_dir, "cache", "ls", "--json")[1])}["arith"]
    assert status["status"] == "tampered" and "triggers do not match its file" in status["reason"]
    assert sgl(cache_dir, "cache", "reindex")[0] == 0  # the advertised fix restores what the file says
    assert sgl(cache_dir, "ask", "what is 2+2")[1] == "4\n"
