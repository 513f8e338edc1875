"""`sgl explain`: every code of spec/errors.md's tables has an explanation with a mistake and a
fix (and nothing else has one); a mistake written in SGL fails with its own code (the spec
tests run it); the command prints it, and a bad code is a usage error."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from seglam_lang.cli import main
from seglam_lang.tooling.explain import Explanation, explain, normalize, page_path, parse_page

MEANINGS, EXPLANATIONS = parse_page(page_path().read_text(encoding="utf-8"))


def test_every_code_has_one_explanation_and_nothing_else_has_one() -> None:
    assert len(MEANINGS) > 60
    assert sorted(EXPLANATIONS) == sorted(MEANINGS)


@pytest.mark.parametrize("code", sorted(MEANINGS))
def test_explanation_has_prose_a_mistake_and_a_fix(code: str) -> None:
    e = EXPLANATIONS[code]
    assert len(e.prose) > 40, code
    assert e.mistake and e.fix, f"{code}: needs a `Mistake:` and a `Fix:` block"
    if e.mistake_lang == "sgl-error":
        # The spec tests check the block fails with the code of this marker: it must be this code.
        assert re.findall(r"^# error: (E\d{4})$", e.mistake, re.M) == [code]
    elif e.mistake_lang == "python":
        assert code in e.mistake, f"{code}: a Python mistake asserts the code it gives"
    else:
        assert e.mistake_lang == "text", f"{code}: mistake block in {e.mistake_lang!r}"
    if e.mistake_lang == "sgl-error":
        assert e.fix_lang == "sgl", f"{code}: the fix of an SGL mistake is an `sgl` block (it must load clean)"


def test_codes_of_the_syntax_check_and_runtime_groups_are_shown_in_sgl_where_sgl_can_cause_them() -> None:
    # Generic codes (Ex00), host-only, stdlib-only and run-time guards are the exceptions, by name.
    not_from_sgl = {"E0000", "E0100", "E0103", "E0104", "E0200", "E0241", "E0300", "E0309", "E0310", "E0311",
                    "E0312", "E0399", "E0400", "E0401", "E0402", "E0407"}
    shown = {c for c, e in EXPLANATIONS.items() if e.mistake_lang == "sgl-error"}
    expected = {c for c in MEANINGS if c[:3] in ("E01", "E02", "E03", "E04")} - not_from_sgl
    assert expected - shown == set()


@pytest.mark.parametrize(("raw", "code"), [("E0201", "E0201"), ("e0201", "E0201"), ("0201", "E0201"),
                                           ("201", "E0201"), (" E0304 ", "E0304")])
def test_normalize(raw: str, code: str) -> None:
    assert normalize(raw) == code


def test_command_prints_meaning_prose_mistake_and_fix() -> None:
    r = CliRunner().invoke(main, ["explain", "e201"])
    assert r.exit_code == 0, r.output
    e: Explanation = explain("E0201")
    assert r.stdout.startswith(f"E0201: {MEANINGS['E0201']}\n")
    assert "Mistake:\n\n    proc total" in r.stdout and "Fix:\n\n    proc total" in r.stdout
    assert "return reslt" in r.stdout and "# error:" not in r.stdout  # the test marker is not shown
    assert e.prose.split()[0] in r.stdout


def test_list() -> None:
    r = CliRunner().invoke(main, ["explain", "--list"])
    assert r.exit_code == 0
    assert [ln.split()[0] for ln in r.stdout.splitlines()] == list(MEANINGS)


@pytest.mark.parametrize(("args", "message"), [
    (["E9999"], "unknown error code E9999"),
    (["banana"], "'banana' is not an error code"),
    ([], "give an error code"),
    (["E0201", "--list"], "not both"),
])
def test_bad_codes_are_usage_errors(args: list[str], message: str) -> None:
    r = CliRunner().invoke(main, ["explain", *args])
    assert r.exit_code == 2
    assert message in r.stderr
    assert "Traceback" not in r.output
