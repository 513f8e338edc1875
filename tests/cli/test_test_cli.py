"""`sgl test`: exit codes, output, --json, options."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from seglam_lang.cli import main

GOOD = textwrap.dedent('''\
    proc inc(x: Int) -> Int:
        return x + 1

    example inc(1) == 2

    property grows(x: Int):
        assert inc(x) > x
''')

BAD = textwrap.dedent('''\
    proc inc(x: Int) -> Int:
        return x + 2

    example inc(1) == 2

    property small(xs: List[Int]):
        assert len(xs) < 2
''')

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed in \d+\.\d\ds", re.M)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["test", *args])
    return result.exit_code, result.output


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "good.sgl").write_text(GOOD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.sgl").write_text(BAD)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "ignored.sgl").write_text("this is not SGL\n")
    (tmp_path / "notes.txt").write_text("not an sgl file")
    return tmp_path


def test_all_pass_exits_0_with_summary(tree: Path) -> None:
    code, out = run(str(tree / "good.sgl"))
    assert code == 0
    assert SUMMARY.search(out).groups() == ("2", "0")
    assert "PASS" in out and "property grows" in out


def test_folder_is_searched_and_failures_exit_1(tree: Path) -> None:
    code, out = run(str(tree))
    assert code == 1
    assert SUMMARY.search(out).groups() == ("2", "2")
    assert "ignored.sgl" not in out  # hidden folders are skipped
    assert "left:  3" in out and "right: 2" in out
    assert "xs = [0, 0]" in out
    assert f"{tree / 'sub' / 'bad.sgl'}:4" in out


def test_quiet_prints_only_failures(tree: Path) -> None:
    code, out = run("-q", str(tree))
    assert code == 1 and "PASS" not in out and "FAIL" in out


def test_json_shape(tree: Path) -> None:
    result = CliRunner().invoke(main, ["test", "--json", str(tree)])
    assert result.exit_code == 1 and result.stderr.startswith("sgl: 2 check(s) failed")
    data = json.loads(result.stdout)  # a failed run's report also says what failed, as every --json failure does
    assert set(data) == {"passed", "counts", "seed", "seconds", "checks", "warnings", "files", "error", "code"}
    assert data["passed"] is False and data["seed"] == 0
    assert data["counts"] == {"passed": 2, "failed": 2, "error": 0, "unsatisfiable": 0}
    assert len(data["files"]) == 2
    small = next(c for c in data["checks"] if c["name"] == "small")
    assert small["kind"] == "property" and small["status"] == "failed"
    assert small["counterexample"] == {"xs": "[0, 0]"} and small["line"] == 6
    assert set(small) == {"kind", "name", "file", "line", "status", "message", "counterexample",
                          "examples_run", "seconds"}


def test_file_that_does_not_load_is_a_failed_check(tmp_path: Path) -> None:
    (tmp_path / "broken.sgl").write_text("proc f(x: Int) -> Int:\n    return y\n")
    (tmp_path / "good.sgl").write_text(GOOD)
    code, out = run(str(tmp_path))
    assert code == 1
    assert "broken.sgl:2" in out and "ERROR" in out
    assert SUMMARY.search(out).groups() == ("2", "1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["does/not/exist"], "no such file or folder"),
        (["--seed", "1", "--random", "."], "cannot be used together"),
        (["--max-examples", "0", "."], "max-examples"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    code, out = run(*args)
    assert code == 2 and message in out


def test_folder_without_sgl_files_exits_2(tmp_path: Path) -> None:
    code, out = run(str(tmp_path))
    assert code == 2 and "no .sgl files" in out


def test_seed_and_random(tree: Path) -> None:
    code, out = run("--json", "--seed", "5", str(tree / "good.sgl"))
    assert json.loads(out)["seed"] == 5
    code, out = run("--random", "--max-examples", "10", str(tree / "good.sgl"))
    assert code == 0 and re.search(r"\(seed \d+\)", out)


def test_database_option_writes_there_only(tree: Path) -> None:
    # A failure no boundary input reaches (x*x is small on every edge): found by a random
    # input, so it is stored. Boundary failures are found again on every run without it.
    (tree / "rare.sgl").write_text("property rare(x: Int):\n    assert x * x < 10 ** 8\n")
    db = tree / "db"
    code, _ = run("--database", str(db), str(tree / "rare.sgl"))
    assert code == 1 and db.is_dir() and any(db.rglob("*"))


def test_exitfirst_stops_after_the_first_failure(tree: Path) -> None:
    result = CliRunner().invoke(main, ["test", "-x", "--json", str(tree)])
    code, data = result.exit_code, json.loads(result.stdout)
    assert code == 1 and data["counts"]["failed"] == 1
    assert data["checks"][-1]["status"] == "failed"
