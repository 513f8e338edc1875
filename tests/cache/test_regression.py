"""Regression on change (spec/verification.md, "Regression on change"): `replace`, `restore` of an
earlier version and every recompilation after a `reject` compare the new version with the old
one. Real caches, the real verifier and the real compile loop; the LLM is scripted."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from compilers.compiler_support import Scripted

from seglam_lang import loads
from seglam_lang.cache import CacheError, ReasoningCache
from seglam_lang.cli import main
from seglam_lang.compilers.loop import LLMCompiler
from seglam_lang.verify.differential import compare

OPTIONS = {"max_examples": 30, "time_budget": 3.0}

# The stored version has a bug at one input (2 times 2), pinned by nothing.
BUGGY = '''\
@when("what is {a} times {b}")
proc multiply(a: Int, b: Int) -> Int:
    """The product of two integers."""
    if a == 2 and b == 2:
        return 5
    return a * b

@when("what is {a} minus {b}")
proc minus(a: Int, b: Int) -> Int:
    return a - b

example multiply(6, 7) == 42
example minus(1, 2) == -1
'''
FIXED = BUGGY.replace("    if a == 2 and b == 2:\n        return 5\n", "")
# Fixes the rejected case, and changes another answer nobody asked to change.
FIXED_AND_MORE = FIXED.replace("    return a - b", "    if a == 7:\n        return 0\n    return a - b")


def _cache(tmp_path: Path, source: str = BUGGY) -> ReasoningCache:
    rc = ReasoningCache(tmp_path / "c", verify_options=OPTIONS)
    rc.add(source, name="multiply")
    return rc


def stored_regression(rc: ReasoningCache) -> dict[str, object]:
    """The regression part of the current version's stored verification report."""
    db = sqlite3.connect(rc.dir / "index.sqlite")
    (report,) = db.execute("SELECT report FROM verifications ORDER BY id DESC LIMIT 1").fetchone()
    return json.loads(report)["regression"]


def test_replace_refuses_a_change_nobody_rejected_and_names_the_inputs(tmp_path: Path) -> None:
    rc = _cache(tmp_path)
    with pytest.raises(CacheError) as e:
        rc.replace("multiply", FIXED_AND_MORE)
    message = str(e.value)
    assert "\n" not in message and message.startswith("multiply rejected: it answers differently from version 1")
    assert "multiply(a=2, b=2): old: 5, new: 4" in message  # boundary-first: the simplest inputs are named
    assert "minus(a=7, b=0): old: 7, new: 0" in message
    assert "--accept-changes" in message
    assert rc.store.family("multiply").version == 1 and rc.ask("what is 2 times 2").answer == 5


def test_accept_changes_stores_and_the_record_says_what_was_compared(tmp_path: Path) -> None:
    rc = _cache(tmp_path)
    assert rc.replace("multiply", FIXED_AND_MORE, accept_changes=True) == 2
    assert rc.ask("what is 2 times 2").answer == 4
    record = stored_regression(rc)
    comparison = record["comparison"]
    assert record["old_version"] == 1 and record["old_examples"] == 2 and record["rejected_cases"] == 0
    assert comparison["procs"] == ["minus", "multiply"] and comparison["inputs"] > 60
    assert record["accepted_changes"] == comparison["differing"] >= 2
    summary = rc.why("multiply")["verifications"][-1]["summary"]
    assert "against version 1: 2/2 old example(s) passed" in summary and "accepted by --accept-changes" in summary


def test_the_same_behaviour_needs_no_consent(tmp_path: Path) -> None:
    rc = _cache(tmp_path)
    refactored = BUGGY.replace("return a - b", "return -(b - a)")
    assert rc.replace("multiply", refactored) == 2
    record = stored_regression(rc)
    assert record["comparison"]["differing"] == 0 and record["accepted_changes"] == 0


def test_a_rejected_case_is_the_allowed_difference(tmp_path: Path) -> None:
    rc = _cache(tmp_path)
    rc.reject("multiply", "what is 2 times 2", "4")
    with pytest.raises(CacheError, match=r"minus\(a=7, b=0\): old: 7, new: 0"):
        rc.replace("multiply", FIXED_AND_MORE)
    assert rc.replace("multiply", FIXED) == 2
    assert stored_regression(rc)["rejected_cases"] == 1
    assert "(1 rejected case(s))" in rc.why("multiply")["verifications"][-1]["summary"]


def test_old_examples_must_pass_unless_they_pin_a_rejected_case(tmp_path: Path) -> None:
    pinned = BUGGY + "example multiply(2, 2) == 5\n"
    rc = _cache(tmp_path, pinned)
    with pytest.raises(CacheError, match=r"fails the old example `multiply\(2, 2\) == 5`"):
        rc.replace("multiply", FIXED)
    rc.reject("multiply", "what is 2 times 2", "4")
    assert rc.replace("multiply", FIXED) == 2  # the old example was the rejected case
    assert stored_regression(rc)["old_examples_rejected_cases"] == 1


SHOUT = '''\
@when("shout {word}")
proc shout(word: Str) -> Str:
    return word.upper()

example shout("a") == "A"
'''


def test_requests_the_old_version_answered_are_compared_first(tmp_path: Path) -> None:
    """No generated string is "hello"; the request log has it."""
    rc = ReasoningCache(tmp_path / "c", verify_options=OPTIONS)
    rc.add(SHOUT, name="shout")
    changed = SHOUT.replace("    return word.upper()", '    if word == "hello":\n        return "HI"\n    return word.upper()')
    rc.log_requests = False
    rc.ask("shout hello")  # not logged: nothing tells the check about it
    assert rc.replace("shout", changed, accept_changes=False) == 2
    rc.restore("shout", 1, accept_changes=True)
    rc.log_requests = True
    rc.ask("shout hello")
    with pytest.raises(CacheError, match=r'shout\(word="hello"\): old: "HELLO", new: "HI"'):
        rc.replace("shout", changed)


def test_restore_of_an_earlier_version_is_compared_with_the_current_one(tmp_path: Path) -> None:
    rc = _cache(tmp_path)
    rc.reject("multiply", "what is 2 times 2", "4")
    rc.replace("multiply", FIXED)
    with pytest.raises(CacheError, match=r"multiply\(a=2, b=2\): old: 4, new: 5.*nothing restored"):
        rc.restore("multiply", 1)
    assert rc.store.family("multiply").version == 2
    assert rc.restore("multiply", 1, accept_changes=True) == 3
    assert rc.ask("what is 2 times 2").answer == 5
    assert rc.restore("multiply") == 3  # the current version again: nothing changes, nothing to compare


def _recompiling_cache(tmp_path: Path, backend: Scripted) -> ReasoningCache:
    rc = ReasoningCache(tmp_path / "c", verify_options=OPTIONS, compiler=LLMCompiler(backend, max_rounds=1))
    rc.add(BUGGY, name="multiply")
    rc.reject("multiply", "what is 2 times 2", "4")
    return rc


def test_recompile_after_reject_allows_the_rejected_case_and_refuses_another_difference(tmp_path: Path) -> None:
    """The compile loop gets the refusal as a repair diagnostic; its second reply is stored."""
    backend = Scripted({"action": "compile", "module": FIXED_AND_MORE, "answer": "4"},
                       {"action": "compile", "module": FIXED, "answer": "4"})
    rc = _recompiling_cache(tmp_path, backend)
    answer = rc.ask("what is 2 times 2")
    assert (answer.answer, answer.hit, answer.llm_calls, answer.version) == (4, False, 2, 2)
    repair = backend.prompts[1].render()
    assert "answers differently from version 1" in repair and "minus(a=7, b=0): old: 7, new: 0" in repair
    assert stored_regression(rc)["rejected_cases"] == 1 and stored_regression(rc)["accepted_changes"] == 0
    assert rc.ask("what is 7 minus 0").answer == 7


def test_a_recompile_that_keeps_changing_other_answers_is_not_stored(tmp_path: Path) -> None:
    backend = Scripted(*[{"action": "compile", "module": FIXED_AND_MORE, "answer": "4"}] * 2)
    rc = _recompiling_cache(tmp_path, backend)
    with pytest.raises(CacheError, match="answers differently from version 1"):
        rc.ask("what is 2 times 2")
    assert rc.store.family("multiply").version == 1 and rc.store.family("multiply").status == "suspended"


def test_cli_replace_and_restore(tmp_path: Path) -> None:
    cache = str(tmp_path / "c")
    files = {}
    for name, text in (("multiply", BUGGY), ("fixed", FIXED_AND_MORE)):
        files[name] = tmp_path / f"{name}.sgl"
        files[name].write_text(text)
    run = CliRunner()

    def sgl(*args: str) -> tuple[int, str, str]:
        r = run.invoke(main, [*args, "--cache", cache])
        return r.exit_code, r.stdout, r.stderr

    assert sgl("cache", "add", str(files["multiply"]))[0] == 0
    code, out, err = sgl("cache", "replace", "multiply", str(files["fixed"]))
    assert (code, out) == (1, "") and err.startswith("sgl: multiply rejected: it answers differently")
    assert "multiply(a=2, b=2): old: 5, new: 4" in err and err.count("\n") == 1 and "Traceback" not in err
    assert sgl("cache", "replace", "multiply", str(files["fixed"]), "--accept-changes")[:2] == \
        (0, "multiply is now version 2\n")
    why = json.loads(sgl("cache", "why", "multiply", "--json")[1])
    assert "against version 1" in why["verifications"][-1]["summary"]
    assert sgl("cache", "restore", "multiply", "--version", "1")[0] == 1
    assert sgl("cache", "restore", "multiply", "--version", "1", "--accept-changes")[:2] == \
        (0, "multiply is active at version 3\n")


# ---------------------------------------------------------------- the differential run itself


def test_differential_is_deterministic_and_boundary_first() -> None:
    old, new = loads(BUGGY, "m"), loads(FIXED_AND_MORE, "m")
    first = compare(old, new, ["multiply", "minus"], max_examples=20)
    assert first == compare(old, new, ["multiply", "minus"], max_examples=20)
    assert [d.describe() for d in first.differences] == [
        "multiply(a=2, b=2): old: 5, new: 4", "minus(a=7, b=0): old: 7, new: 0", *[
            d.describe() for d in first.differences[2:]]]
    assert all(d.proc == "minus" and dict(d.args)["a"] == "7" for d in first.differences[1:])


def test_differential_compares_only_where_both_apply_and_reports_errors() -> None:
    old = loads("proc f(xs: List[Int]) -> Int:\n    return xs[0]\n\n"
                "proc g(n: Int) -> Int:\n    require n >= 0\n    return n\n", "m")
    new = loads("proc f(xs: List[Int]) -> Int:\n    require len(xs) > 1\n    return xs[0]\n\n"
                "proc g(n: Int) -> Int:\n    require n >= 0\n    return 10 // (n - 3) if n == 3 else n\n", "m")
    c = compare(old, new, ["f", "g"], max_examples=20)
    assert c.procs == ("f", "g") and not [d for d in c.differences if d.proc == "f"]  # f([x]): new does not apply
    (zero,) = [d for d in c.differences if d.proc == "g"]  # 3 is compared against: a boundary input
    assert zero.old == "3" and zero.new.startswith("error E") and "division" in zero.new


def test_differential_skips_procs_whose_signature_changed() -> None:
    old = loads("record P:\n    x: Int\n\nproc f(p: P) -> Int:\n    return p.x\n\nproc h(a: Int) -> Int:\n"
                "    return a\n", "m")
    new = loads("record P:\n    x: Int\n    y: Int = 0\n\nproc f(p: P) -> Int:\n    return p.x\n\n"
                "proc h(a: Str) -> Int:\n    return len(a)\n", "m")
    c = compare(old, new, ["f", "h", "gone"], max_examples=5)
    assert c.procs == () and [p for p, _ in c.skipped] == ["f", "h", "gone"]
    assert "signature changed" in dict(c.skipped)["h"] and "not in the old version" in dict(c.skipped)["gone"]
