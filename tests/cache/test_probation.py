"""Probation (spec/embedding.md and spec/cli.md, "Probation"): the first K hits of a newly stored
version are also answered by the LLM. Real caches and stores; the LLM is a stub that answers
from a table (and, through the CLI, the replay backend with recorded replies)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cache.test_regression import BUGGY, FIXED  # 2 times 2 is 5 in BUGGY: what probation is for
from click.testing import CliRunner

from seglam_lang.cache import CacheError, ReasoningCache
from seglam_lang.cache.llm_protocol import CompileContext, CompileRequest, CompileResult, Spend
from seglam_lang.cli import main
from seglam_lang.compilers.backends.replay import request_key


class StubLLM:
    """Answers `a times b` right; compiles `module` when asked to compile; counts its calls."""

    def __init__(self, module: str = FIXED, fail: bool = False) -> None:
        self.module = module
        self.fail = fail
        self.asked: list[CompileRequest] = []

    def compile(self, request: CompileRequest, context: CompileContext) -> CompileResult:
        self.asked.append(request)
        context.meter.charge(Spend(1, 10, 1))
        if self.fail:
            raise CacheError("the backend is down")
        if request.answer_only:
            words = request.text.split()
            return CompileResult("decline", answer=str(int(words[2]) * int(words[4])))
        return CompileResult("compile", source=self.module, family="multiply", compiler="stub")


def _cache(tmp_path: Path, probation: int, llm: StubLLM | None) -> ReasoningCache:
    rc = ReasoningCache(tmp_path / "c", compiler=llm, probation=probation,
                        verify_options={"max_examples": 20, "time_budget": 2.0})
    if rc.store.family("multiply") is None:
        rc.add(BUGGY, name="multiply")
    return rc


def test_the_first_k_hits_of_a_version_are_checked_then_none(tmp_path: Path) -> None:
    llm = StubLLM()
    rc = _cache(tmp_path, 2, llm)
    calls = [rc.ask(f"what is {a} times 3") for a in (1, 2, 4, 5)]
    assert [(a.answer, a.hit, a.llm_calls) for a in calls] == [(3, True, 1), (6, True, 1), (12, True, 0),
                                                               (15, True, 0)]
    assert [r.answer_only for r in llm.asked] == [True, True]
    stats = rc.stats()
    assert (stats["probation_calls"], stats["probation_suspended"], stats["llm_calls"]) == (2, 0, 2)
    # A new version is on probation again.
    rc.replace("multiply", BUGGY.replace("return a * b", "return b * a"))
    assert rc.ask("what is 7 times 3").llm_calls == 1
    assert rc.stats()["probation_calls"] == 3


def test_a_disagreement_suspends_the_version_and_answers_with_the_llm(tmp_path: Path) -> None:
    llm = StubLLM()
    rc = _cache(tmp_path, 5, llm)
    answer = rc.ask("what is 2 times 2")
    assert (answer.answer, answer.hit, answer.llm_calls, answer.procedure) == ("4", False, 1, None)
    row = rc.store.family("multiply")
    assert row.status == "suspended" and "'what is 2 times 2' should be 4" in row.reason
    assert rc.why("multiply")["rejected_cases"] == [{"request": "what is 2 times 2", "expected": "4"}]
    assert any("suspended on probation: it answered 5" in p for p in rc.problems)
    assert rc.stats()["probation_suspended"] == 1
    # The next request of its kind recompiles with the case (a rejected case is the allowed
    # difference of the regression check), and the fixed version is on probation in turn.
    again = rc.ask("what is 2 times 2")
    assert (again.answer, again.hit, again.version) == (4, False, 2)
    assert llm.asked[-1].failing_cases[0].expected == "4"
    assert (rc.ask("what is 3 times 3").answer, rc.store.family("multiply").status) == (9, "active")


def test_probation_off_calls_no_llm_on_a_hit(tmp_path: Path) -> None:
    llm = StubLLM()
    rc = _cache(tmp_path, 0, llm)
    assert rc.ask("what is 2 times 2").answer == 5 and llm.asked == []
    assert rc.stats()["probation_calls"] == 0


def test_the_count_is_kept_by_the_store_across_instances(tmp_path: Path) -> None:
    llm = StubLLM()
    assert _cache(tmp_path, 2, llm).ask("what is 1 times 1").llm_calls == 1
    other = _cache(tmp_path, 2, llm)
    assert [other.ask(f"what is {a} times 1").llm_calls for a in (3, 4)] == [1, 0]


def test_a_failed_probation_call_serves_the_hit_and_gives_its_turn_back(tmp_path: Path) -> None:
    rc = _cache(tmp_path, 1, StubLLM(fail=True))
    answer = rc.ask("what is 3 times 3")
    assert (answer.answer, answer.hit, answer.llm_calls) == (9, True, 1)
    assert any("the LLM call failed: the backend is down" in p for p in rc.problems)
    rc.compiler = StubLLM()
    assert rc.ask("what is 3 times 4").llm_calls == 1  # the turn was given back
    assert rc.stats()["probation_calls"] == 1


def test_probation_needs_a_compiler(tmp_path: Path) -> None:
    rc = _cache(tmp_path, 1, None)
    with pytest.raises(CacheError, match=r"is on probation .* no compiler is configured"):
        rc.ask("what is 3 times 3")
    with pytest.raises(ValueError):
        ReasoningCache(tmp_path / "d", probation=-1)


def test_a_hit_with_probation_off_does_not_load_it(tmp_path: Path) -> None:
    rc = _cache(tmp_path, 0, None)
    rc.close()
    code = ("import sys\nfrom seglam_lang.cache import ReasoningCache\n"
            f"assert ReasoningCache({str(tmp_path / 'c')!r}).ask('what is 3 times 3').answer == 9\n"
            "assert 'seglam_lang.cache.probation' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_ask_probation_with_recorded_replies(tmp_path: Path) -> None:
    cache, module, replies = str(tmp_path / "c"), tmp_path / "multiply.sgl", tmp_path / "replies.jsonl"
    module.write_text(BUGGY)
    replies.write_text("".join(json.dumps({"key": request_key(r), "request": r, "call": 0, "compiler": "rec/m",
                                           "reply": {"action": "decline", "answer": a}}) + "\n"
                               for r, a in (("what is 3 times 3", "9"), ("what is 2 times 2", "4"))))
    run = CliRunner()

    def sgl(*args: str) -> tuple[int, str, str]:
        r = run.invoke(main, [*args, "--cache", cache])
        return r.exit_code, r.stdout, r.stderr

    assert sgl("cache", "add", str(module))[0] == 0
    code, out, _ = sgl("ask", "what is 3 times 3", "--json", "--probation", "2", "--compiler", f"replay:{replies}")
    assert code == 0 and json.loads(out)["answer"] == 9 and json.loads(out)["llm_calls"] == 1
    code, out, err = sgl("ask", "what is 2 times 2", "--probation", "2", "--compiler", f"replay:{replies}")
    assert (code, out) == (0, "4\n") and "suspended on probation" in err
    stats = json.loads(sgl("cache", "stats", "--json")[1])
    assert (stats["probation_calls"], stats["probation_suspended"]) == (2, 1)
    assert "probation: 2 LLM calls checked hits of new versions, 1 suspended a version" in sgl("cache", "stats")[1]
    assert sgl("ask", "what is 3 times 3", "--probation", "-1")[0] == 2


def test_batch_puts_new_versions_on_probation(tmp_path: Path) -> None:
    from seglam_lang.cache.batch import answer_many

    _cache(tmp_path, 0, None).close()
    results = list(answer_many(tmp_path / "c", ["what is 3 times 3", "what is 2 times 2", "what is 4 times 4"],
                               compiler=StubLLM, probation=2))
    assert [(r.answer, r.outcome, r.llm_calls) for r in results] == [(9, "hit", 1), ("4", "declined", 1),
                                                                     (16, "compiled", 1)]
