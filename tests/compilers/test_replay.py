"""Recording replies from any backend and replaying them offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from compiler_support import COMPILE, DECLINE, REQUEST, WRONG_MUL, Scripted

from seglam_lang.cache import ReasoningCache
from seglam_lang.compilers import configured
from seglam_lang.compilers.backends.replay import Recorder, ReplayBackend, request_key
from seglam_lang.compilers.errors import BackendError
from seglam_lang.compilers.loop import LLMCompiler


def test_record_then_replay_gives_the_same_module(cache: ReasoningCache, tmp_path: Path) -> None:
    log = tmp_path / "session.jsonl"
    cache.compiler = LLMCompiler(Recorder(Scripted({**COMPILE, "module": WRONG_MUL}, COMPILE), log))
    recorded = cache.ask(REQUEST)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["call"], e["request"], e["compiler"]) for e in entries] == [(0, REQUEST, "scripted/test-model"),
                                                                            (1, REQUEST, "scripted/test-model")]
    assert entries[1]["reply"] == COMPILE and entries[0]["usage"] == {"tokens_in": 100, "tokens_out": 50,
                                                                      "tokens_cache_read": 1000}

    offline = ReasoningCache(tmp_path / "offline", verify_options={"max_examples": 20, "time_budget": 2.0})
    offline.compiler = configured(f"replay:{log}")
    replayed = offline.ask("  what is 6   TIMES 7?")  # the key folds whitespace and case
    assert (replayed.answer, replayed.llm_calls) == (recorded.answer, 2)
    assert offline.show("multiply").split("origin:")[0] == cache.show("multiply").split("origin:")[0]
    origin = offline.why("multiply")["origin"]
    assert origin["compiler"] == "replay/scripted/test-model" and origin["tokens"] == "in 0, out 0, cache-read 0"
    assert offline.stats()["llm_calls"] == 2 and offline.stats()["tokens_in"] == 0


def test_replay_of_a_decline(cache: ReasoningCache, tmp_path: Path) -> None:
    log = tmp_path / "d.jsonl"
    log.write_text(json.dumps({"key": request_key("capital of France"), "call": 0, "reply": DECLINE}) + "\n")
    cache.compiler = configured(f"replay:{log}")
    assert cache.ask("Capital of France").answer == "Paris"


def test_unrecorded_requests_are_a_clear_error(cache: ReasoningCache, tmp_path: Path) -> None:
    log = tmp_path / "s.jsonl"
    log.write_text(json.dumps({"key": request_key(REQUEST), "call": 0, "reply": {**COMPILE, "module": WRONG_MUL}})
                   + "\n\n")
    cache.compiler = configured(f"replay:{log}")
    with pytest.raises(BackendError) as info:
        cache.ask("what is 2 times 3")
    assert str(info.value) == (f"replay: no recorded reply for the request 'what is 2 times 3' (call 1, key "
                               f"{request_key('what is 2 times 3')}) in {log}; record it with --record")
    with pytest.raises(BackendError, match=r"only 1 recorded reply for the request .* \(call 2,"):
        cache.ask(REQUEST)  # the recorded reply needs a repair that was never recorded
    assert cache.ls() == []


@pytest.mark.parametrize(("content", "message"), [
    ("not json\n", r"s.jsonl:1 is not a recorded reply"),
    ('{"key": "k", "call": 0}\n', r"s.jsonl:1 is not a recorded reply"),
    ('\n{"key": "k", "reply": 3}\n', r"s.jsonl:2: the reply must be text or an object"),
])
def test_bad_replay_files(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "s.jsonl").write_text(content)
    with pytest.raises(BackendError, match=message):
        ReplayBackend(tmp_path / "s.jsonl")
    with pytest.raises(BackendError, match="cannot read"):
        ReplayBackend(tmp_path / "missing.jsonl")
