"""The compile loop and untested preconditions: a module that verifies but whose `require` no
example or property sees failing is sent back once for a repair; when the rounds run out it
is stored with the warning in its verification record (spec/verification.md)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from compiler_support import REQUEST, Scripted

from seglam_lang.cache import ReasoningCache
from seglam_lang.compilers.loop import LLMCompiler

UNTESTED = '''\
@when("what is {a} times {b}")
proc multiply(a: Int, b: Int) -> Int:
    """The product of two small non-negative integers."""
    require a >= 0 and b >= 0, "only non-negative factors"
    return a * b

example multiply(6, 7) == 42
example multiply(0, 5) == 0
example multiply(1, 1) == 1
'''

COVERED = UNTESTED + "example multiply(-1, 5) is not applicable\n"


def reply(module: str) -> dict[str, str]:
    return {"action": "compile", "module": module, "answer": "42"}


def test_a_warning_asks_for_one_repair(cache: ReasoningCache) -> None:
    backend = Scripted(reply(UNTESTED), reply(COVERED))
    cache.compiler = LLMCompiler(backend)
    answer = cache.ask(REQUEST)
    assert (answer.answer, answer.llm_calls) == (42, 2)
    repair = backend.prompts[1].messages[-1].text
    assert "repair round 1 of 3" in repair
    assert "line 4:5: warning: precondition 'a >= 0 and b >= 0' is never seen failing" in repair
    assert "add example multiply(-1, 0) is not applicable" in repair
    assert "is not applicable" in cache.show("multiply")


def test_rounds_spent_on_warnings_store_the_module_with_them(cache: ReasoningCache, tmp_path: Path) -> None:
    backend = Scripted(*[reply(UNTESTED)] * 2)
    cache.compiler = LLMCompiler(backend, max_rounds=1)
    answer = cache.ask(REQUEST)
    assert (answer.answer, answer.llm_calls) == (42, 2)
    (record,) = cache.why("multiply")["verifications"]
    assert record["passed"] and record["summary"].endswith("1 warning(s)")
    with sqlite3.connect(tmp_path / "cache" / "index.sqlite") as db:
        (report,) = db.execute("SELECT report FROM verifications WHERE family = 'multiply'").fetchone()
    (warning,) = json.loads(report)["warnings"]
    assert (warning["kind"], warning["line"], warning["proc"]) == ("untested-precondition", 4, "multiply")
    assert warning["suggestion"] == "multiply(-1, 0) is not applicable"


def test_a_failed_repair_keeps_the_module_that_verified(cache: ReasoningCache) -> None:
    broken = UNTESTED.replace("return a * b", "return a + b")  # its examples fail
    backend = Scripted(reply(UNTESTED), reply(broken))
    cache.compiler = LLMCompiler(backend, max_rounds=1)
    answer = cache.ask(REQUEST)
    assert (answer.answer, answer.llm_calls) == (42, 2)
    assert "return a * b" in cache.show("multiply")
