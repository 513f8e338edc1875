"""Asking the cache: hits compute, near misses miss, conflicts never answer (the tests of
`any_cache` run once per store backend: a folder, a PostgreSQL database)."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from seglam_lang.cache import CacheError, CacheMiss, ReasoningCache
from seglam_lang.cache.llm_protocol import CompileContext, CompileRequest, CompileResult, Spend

HITS: list[tuple[str, Any, str]] = [
    ("What is 1+1?", 2, "arith.add"),
    # The semantic-cache failure: a cached "1+1" must never answer "21+1".
    ("What is 21+1?", 22, "arith.add"),
    ("what   is 21 plus 1 !", 22, "arith.add"),
    ("What is 1-1?", 0, "arith.sub"),
    ("what is 1,000+1", 1001, "arith.add"),
    ("add -3 and 4", 1, "arith.add"),
    ("days between 2024-01-03 and 2024-03-05", 62, "dates.days_between"),
    ("How many days between 5 March 2024 and March 6, 2024?", 1, "dates.days_between"),
    ("sort pear fig apple alphabetically", "apple fig pear", "words.sort_words"),
    ("Sort the following words alphabetically: List: pear fig apple", "apple fig pear", "words.sort_words"),
    ("price 10.00 with 20% vat", Decimal("12.00"), "vat.with_vat"),
    ("price $10 with vat at 5% vat", Decimal("10.50"), "vat.with_vat"),
    ("what does 3.50 cost with vat at 0%", Decimal("3.50"), "vat.with_vat"),
]


@pytest.mark.parametrize(("request_text", "value", "procedure"), HITS)
def test_hits(cache: ReasoningCache, request_text: str, value: Any, procedure: str) -> None:
    a = cache.ask(request_text)
    assert a.hit and a.procedure == procedure and a.llm_calls == 0 and a.version == 1
    assert a.answer == value and type(a.answer) is type(value)


MISSES = [
    "What is 1.5+1?",               # not an Int: never rounded or guessed
    "What is one+one?",
    "What is 1+1+1?",               # `1+1` is not an Int
    "What is 1*1?",                 # a near miss: another operation
    "what was 1+1",
    "What is 1+1 in binary?",
    "days between 2024-03-05 and 2024-01-03",  # require fails: not applicable
    "days between 03/05/2024 and 2024-04-01",  # ambiguous date
    "days between 2024-01-03",
    "price 10.00 with -5% vat",     # require fails
    "price ten with 20% vat",
    "sort alphabetically",
    "",
]


@pytest.mark.parametrize("request_text", MISSES)
def test_misses(cache: ReasoningCache, request_text: str) -> None:
    with pytest.raises(CacheMiss):
        cache.ask(request_text)


def test_reversed_question_computes_not_recalls(cache: ReasoningCache) -> None:
    assert cache.ask("days between 2024-01-01 and 2024-01-31").answer == 30
    with pytest.raises(CacheMiss, match="not applicable"):
        cache.ask("days between 2024-01-31 and 2024-01-01")


CONFLICTING = '''
@when("what is {a}+{b}")
proc concat_numbers(a: Int, b: Int) -> Str:
    return str(a) + str(b)

example concat_numbers(1, 2) == "12"
'''

AGREEING = '''
@when("what is {a}+{b}")
proc plus(a: Int, b: Int) -> Int:
    return b + a

example plus(1, 2) == 3
'''


def test_conflict_is_a_miss_and_is_logged(cache: ReasoningCache) -> None:
    cache.add(CONFLICTING, name="concat")
    with pytest.raises(CacheMiss, match="conflict"):
        cache.ask("what is 1+2")
    assert cache.stats()["conflicts"] == 1
    assert any("conflict" in p for p in cache.problems)


def test_agreeing_procedures_are_one_hit(cache: ReasoningCache) -> None:
    cache.add(AGREEING, name="plus")
    assert cache.ask("what is 1+2").answer == 3


def test_solve_with_structured_inputs(any_cache: ReasoningCache) -> None:
    a = any_cache.solve("dates.days_between", start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 11))
    assert a.answer == 10 and a.procedure == "dates.days_between"
    assert any_cache.solve("what is {a}+{b}", a=2, b=3).answer == 5  # by the exact text of a template
    assert any_cache.solve("sort_words", words=["b", "a"]).answer == "a b"
    with pytest.raises(CacheError, match="needs"):
        any_cache.solve("add")
    with pytest.raises(CacheError):
        any_cache.solve("nope")


def test_stats_count_hits_and_misses(cache: ReasoningCache) -> None:
    cache.ask("what is 2+2")
    with pytest.raises(CacheMiss):
        cache.ask("what is 2*2")
    s = cache.stats()
    assert (s["requests"], s["hits"], s["misses"]) == (2, 1, 1)
    assert s["hit_rate"] == 0.5


def test_hit_path_imports_no_verifier_or_sdk(tmp_path: Path) -> None:
    import subprocess

    modules = Path(__file__).parent / "modules"
    rc = ReasoningCache(tmp_path / "c")
    rc.add(modules / "arith.sgl")
    rc.close()
    code = (
        "import sys\n"
        "from seglam_lang.cache import ReasoningCache\n"
        f"a = ReasoningCache({str(tmp_path / 'c')!r}).ask('what is 2+3')\n"
        "assert a.answer == 5\n"
        "bad = [m for m in ('hypothesis', 'anthropic', 'seglam_lang.verify.runner') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class _FakeCompiler:
    """A compiler that writes one fixed module (the LLM is not what is tested here)."""

    def __init__(self, source: str, kind: str = "compile") -> None:
        self.source = source
        self.kind = kind
        self.requests: list[CompileRequest] = []

    def compile(self, request: CompileRequest, context: CompileContext) -> CompileResult:
        self.requests.append(request)
        if self.kind == "decline":
            context.meter.charge(Spend(1, 10, 2))
            return CompileResult("decline", answer="Paris")
        ok, why = context.check(self.source, "mul")
        assert ok, why
        context.meter.charge(Spend(1, 100, 50))
        return CompileResult("compile", source=self.source, family="mul", compiler="test/fake")


MUL = '''
@when("what is {a}*{b}")
proc mul(a: Int, b: Int) -> Int:
    return a * b

example mul(3, 4) == 12
'''


def test_miss_compiles_stores_and_then_hits(any_cache: ReasoningCache) -> None:
    any_cache.compiler = _FakeCompiler(MUL)
    first = any_cache.ask("what is 6*7")
    assert (first.answer, first.hit, first.llm_calls, first.procedure) == (42, False, 1, "mul.mul")
    second = any_cache.ask("what is 8*7")
    assert (second.answer, second.hit, second.llm_calls) == (56, True, 0)
    s = any_cache.stats()
    assert s["llm_calls"] == 1 and s["tokens_in"] == 100


def test_decline_answers_without_caching(any_cache: ReasoningCache) -> None:
    any_cache.compiler = _FakeCompiler("", kind="decline")
    a = any_cache.ask("capital of France")
    assert (a.answer, a.hit, a.procedure) == ("Paris", False, None)
    assert [f.name for f in any_cache.ls()] == ["arith", "dates", "vat", "words"]


def test_regex_trigger_is_case_insensitive_and_keeps_lines(cache: ReasoningCache) -> None:
    cache.add('@when(re"totals:\\n(?P<rows>(?:[0-9]+\\n?)+)")\nproc totals(rows: List[Int]) -> Int:\n'
              '    return sum(rows)\n\nexample totals([1, 2]) == 3\n', name="totals")
    assert cache.ask("TOTALS:\n1\n2\n3\n").answer == 6
    with pytest.raises(CacheMiss):
        cache.ask("totals: 1 2 3")


def test_threads_share_one_cache(any_cache: ReasoningCache) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> int:
        return any_cache.ask(f"what is {i}+{i}").answer

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(one, range(100))) == [2 * i for i in range(100)]
    assert any_cache.stats()["hits"] == 100


def test_module_loading_is_timed_apart_from_the_answer(any_cache: ReasoningCache) -> None:
    import time

    with ReasoningCache(any_cache.location) as fresh:
        t0 = time.perf_counter()
        first = fresh.ask("what is 2+3")
        wall_ms = (time.perf_counter() - t0) * 1000
        second = fresh.ask("what is 4+3")
    assert first.load_ms > 0 and second.load_ms == 0  # loaded once per module and process
    assert first.elapsed_ms + first.load_ms <= wall_ms  # two parts of the request, not overlapping


def test_the_request_log_can_be_switched_off_and_on(any_cache: ReasoningCache) -> None:
    any_cache.log_requests = False
    any_cache.ask("what is 2+3")
    assert any_cache.stats()["requests"] == 0
    any_cache.log_requests = True
    any_cache.ask("what is 2+3")
    assert any_cache.stats()["requests"] == 1
