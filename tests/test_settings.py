"""The environment is read in one place: `seglam_lang.settings`, whose table spec/cli.md lists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from seglam_lang import settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "seglam_lang"


def test_no_module_but_settings_reads_the_environment() -> None:
    readers = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb") and (
                    isinstance(node.value, ast.Name) and node.value.id == "os"):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not readers, "read the environment through seglam_lang.settings.env:\n" + "\n".join(readers)


def test_every_variable_read_is_documented_and_every_documented_one_is_read() -> None:
    used: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name == "settings.py":
            continue
        used |= set(re.findall(r"""\benv\(\s*["']([A-Z_][A-Z0-9_]*)["']""", path.read_text(encoding="utf-8")))
    assert used == set(settings.VARIABLES)


def test_spec_lists_the_variables() -> None:
    page = (ROOT / "spec" / "cli.md").read_text(encoding="utf-8")
    section = page.split("## Environment", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([A-Z_][A-Z0-9_]*)` \|", section, re.M)
    assert listed == list(settings.VARIABLES)


def test_env_reads_at_call_time_and_treats_empty_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SGL_CACHE", "/tmp/a")
    assert settings.env("SGL_CACHE") == "/tmp/a"
    monkeypatch.setenv("SGL_CACHE", "")
    assert settings.env("SGL_CACHE") is None
    monkeypatch.delenv("SGL_CACHE")
    assert settings.env("SGL_CACHE") is None
    with pytest.raises(KeyError):
        settings.env("SGL_NOT_A_VARIABLE")
