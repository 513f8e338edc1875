"""The wheel ships what an installed `sgl` needs: the grammar and the standard library.

`pip install .` (not editable) must work from any directory, so `grammar/sgl.lark` and
`stdlib/` are force-included in the wheel as `seglam_lang/_grammar/` and
`seglam_lang/_stdlib/` (see pyproject.toml), where `seglam_lang.syntax.tables.resource_dir`
finds them. This builds the wheel (a few seconds) and looks inside.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not (ROOT / "pyproject.toml").is_file(), reason="needs the source checkout")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
           "-w", str(out), str(ROOT)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.insert(4, "--no-build-isolation")  # faster and offline when the backend is at hand
    subprocess.run(cmd, check=True, timeout=300, capture_output=True)
    (path,) = out.glob("seglam_lang-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_grammar_and_stdlib(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "seglam_lang/_grammar/sgl.lark" in names
    assert (ROOT / "grammar" / "sgl.lark").read_bytes() == wheel.read("seglam_lang/_grammar/sgl.lark")
    shipped_stdlib = {n.removeprefix("seglam_lang/_stdlib/") for n in names if n.startswith("seglam_lang/_stdlib/")}
    assert shipped_stdlib, "no seglam_lang/_stdlib/ entries in the wheel"
    on_disk = {str(p.relative_to(ROOT / "stdlib")) for p in (ROOT / "stdlib").rglob("*") if p.is_file()}
    assert on_disk <= shipped_stdlib


def test_wheel_has_package_and_console_script(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "seglam_lang/__init__.py" in names
    assert "seglam_lang/cli/__init__.py" in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "sgl = seglam_lang.cli:run" in wheel.read(entry_points).decode()
    # Nothing from the checkout that is not the package: no tests, no caches.
    assert not [n for n in names if n.startswith(("tests/", "spec/")) or "__pycache__" in n]


def test_wheel_ships_the_error_explanations_and_the_plugins(wheel: zipfile.ZipFile) -> None:
    """`sgl explain` reads spec/errors.md, shipped as seglam_lang/_spec/errors.md; the pytest
    plugin and the Pygments lexer are registered as entry points."""
    assert (ROOT / "spec" / "errors.md").read_bytes() == wheel.read("seglam_lang/_spec/errors.md")
    (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "seglam = seglam_lang.tooling.pytest_plugin" in text
    assert "sgl = seglam_lang.tooling.lexer:SglLexer" in text
