"""The pytest plugin: opt-in collection of `.sgl` examples and properties, stable item names,
`-k`, and failure reports identical to `sgl test`'s. Each case runs a real pytest process
in a temporary project, with the plugin loaded through its installed entry point."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROCS = """\
proc inc(n: Int) -> Int:
    \"\"\"n plus one.\"\"\"
    return n + 1

example inc(1) == 2
example inc(2) == 4

property grows(n: Int):
    assert inc(n) > n

property grows_by_two(n: Int):
    assert inc(n) >= n + 2
"""

PY_TEST = "def test_plain():\n    assert True\n"


def pytest_run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=project,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "procs").mkdir()
    (tmp_path / "procs" / "inc.sgl").write_text(PROCS, encoding="utf-8")
    (tmp_path / "test_plain.py").write_text(PY_TEST, encoding="utf-8")
    return tmp_path


def collected(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [ln for ln in result.stdout.splitlines() if "::" in ln]


def test_sgl_files_are_not_collected_unless_asked_for(project: Path) -> None:
    assert collected(pytest_run(project, "--collect-only", "-q")) == ["test_plain.py::test_plain"]


EXPECTED_ITEMS = ["procs/inc.sgl::example_line_5", "procs/inc.sgl::example_line_6", "procs/inc.sgl::grows",
                  "procs/inc.sgl::grows_by_two"]


@pytest.mark.parametrize("how", ["flag", "ini", "path"])
def test_opting_in_collects_examples_and_properties(project: Path, how: str) -> None:
    if how == "flag":
        result = pytest_run(project, "--collect-only", "-q", "--sgl")
    elif how == "ini":
        (project / "pytest.ini").write_text("[pytest]\nsgl_collect = true\n", encoding="utf-8")
        result = pytest_run(project, "--collect-only", "-q")
    else:  # a file named on the command line is collected without opting in
        result = pytest_run(project, "--collect-only", "-q", "procs/inc.sgl")
    items = collected(result)
    assert [i for i in items if i.endswith(".py::test_plain")] == ([] if how == "path" else ["test_plain.py::test_plain"])
    assert [i for i in items if ".sgl::" in i] == EXPECTED_ITEMS


def test_failures_are_reported_as_sgl_test_reports_them(project: Path) -> None:
    result = pytest_run(project, "--sgl", "procs")
    assert result.returncode == 1
    assert re.search(r"2 failed, 2 passed", result.stdout), result.stdout
    sgl = subprocess.run([str(Path(sys.executable).parent / "sgl"), "test", "procs/inc.sgl"], cwd=project,
                         capture_output=True, text=True, timeout=300)
    # Every failure block of `sgl test` (minus its timing) appears in pytest's output.
    blocks = re.split(r"\n(?=\S)", sgl.stdout.strip())
    failures = [b for b in blocks if b.startswith("FAIL")]
    assert len(failures) == 2
    timing = re.compile(r"\([^()]*\d\.\d\ds\)")
    pytest_out = timing.sub("", result.stdout)
    for block in failures:
        assert timing.sub("", block) in pytest_out, block
    assert "counterexample:" in pytest_out and "n = " in pytest_out
    assert "Traceback" not in result.stdout


def test_k_selects_by_name(project: Path) -> None:
    result = pytest_run(project, "--sgl", "procs", "-k", "grows and not two", "-q")
    assert re.search(r"1 passed, 3 deselected", result.stdout), result.stdout
    result = pytest_run(project, "--sgl", "procs/inc.sgl::example_line_6", "-q")
    assert re.search(r"1 failed", result.stdout), result.stdout


def test_a_file_that_does_not_load_is_a_collection_error(project: Path) -> None:
    (project / "procs" / "bad.sgl").write_text("proc f() -> Int:\n    return nope\n", encoding="utf-8")
    result = pytest_run(project, "--sgl", "procs")
    assert result.returncode != 0
    assert "bad.sgl:2:12: error[E0201]: unknown name `nope`" in result.stdout
    assert "Traceback" not in result.stdout


def test_bad_setting_is_a_usage_error(project: Path) -> None:
    (project / "pytest.ini").write_text("[pytest]\nsgl_collect = true\nsgl_seed = many\n", encoding="utf-8")
    result = pytest_run(project, "procs")
    assert result.returncode != 0
    assert "sgl_seed = 'many': expected int" in result.stdout + result.stderr


def test_this_repository_collects_the_same_tests_with_the_plugin() -> None:
    """Installing the plugin changes nothing in a suite that does not opt in (tests/cache holds .sgl files)."""
    with_plugin = collected(pytest_run(REPO, "--collect-only", "-q", "-o", "addopts=", "tests/cache"))
    without = collected(pytest_run(REPO, "--collect-only", "-q", "-o", "addopts=", "-p", "no:seglam", "tests/cache"))
    assert with_plugin == without and len(with_plugin) > 10
    assert not any(".sgl::" in i for i in with_plugin)


def test_identical_examples_on_two_lines_are_two_items(tmp_path: Path) -> None:
    (tmp_path / "twice.sgl").write_text("proc one() -> Int:\n    return 1\n\nexample one() == 1\nexample one() == 1\n",
                                        encoding="utf-8")
    result = pytest_run(tmp_path, "twice.sgl", "-v")
    assert "twice.sgl::example_line_4 PASSED" in result.stdout and "twice.sgl::example_line_5 PASSED" in result.stdout
