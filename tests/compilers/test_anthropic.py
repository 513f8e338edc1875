"""The Anthropic backend and the compile loop, through the real `anthropic` client on an
`httpx2.MockTransport` that serves Messages API replies (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from compiler_support import COMPILE, DECLINE, MUL, NO_PARSE, REQUEST, WRONG_MUL

from seglam_lang.cache import CacheError, ReasoningCache
from seglam_lang.compilers import configured
from seglam_lang.compilers.backends.anthropic_api import DEFAULT_MODEL
from seglam_lang.compilers.errors import BackendError
from seglam_lang.compilers.loop import LLMCompiler
from seglam_lang.compilers.protocol import TOOL_NAME

Reply = dict[str, Any] | str | Callable[[httpx2.Request], httpx2.Response]


class MessagesAPI:
    """Serves scripted replies: a dict is sent as a forced tool call, a str as a text block,
    a callable builds the response (errors, timeouts). Keeps the request bodies."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[httpx2.Headers] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        assert request.url.path.endswith("/v1/messages")
        self.bodies.append(json.loads(request.content))
        self.headers.append(request.headers)
        reply = self.replies.pop(0)
        if callable(reply):
            return reply(request)
        block = ({"type": "tool_use", "id": "toolu_1", "name": TOOL_NAME, "input": reply} if isinstance(reply, dict)
                 else {"type": "text", "text": reply})
        return httpx2.Response(200, json={
            "id": "msg_1", "type": "message", "role": "assistant", "model": self.bodies[-1]["model"],
            "content": [block], "stop_reason": "tool_use" if isinstance(reply, dict) else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 120, "output_tokens": 80, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 9000}})


def error(status: int, kind: str, message: str) -> Callable[[httpx2.Request], httpx2.Response]:
    # `retry-after-ms` keeps the SDK's retries fast in tests.
    return lambda request: httpx2.Response(status, headers={"retry-after-ms": "1"},
                                           json={"type": "error", "error": {"type": kind, "message": message}})


def timeout(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ReadTimeout("timed out", request=request)


def compiler(api: MessagesAPI, **options: Any) -> LLMCompiler:
    return configured("anthropic", api_key="test-key", base_url="http://anthropic.test", max_retries=1,
                      http_client=httpx2.Client(transport=httpx2.MockTransport(api)), **options)


def test_compile_stores_a_verified_module_then_hits(cache: ReasoningCache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SGL_MODEL", raising=False)
    api = MessagesAPI(COMPILE)
    cache.compiler = compiler(api)
    first = cache.ask(REQUEST)
    assert (first.answer, first.hit, first.procedure, first.llm_calls) == (42, False, "multiply.multiply", 1)
    assert (cache.ask("what is 12 times 12").answer, len(api.bodies)) == (144, 1)
    body = api.bodies[0]
    assert body["model"] == DEFAULT_MODEL
    assert body["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    assert body["tools"][0]["input_schema"]["required"] == ["action", "answer"]
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert REQUEST not in body["system"][0]["text"] and REQUEST in body["messages"][0]["content"]
    assert api.headers[0]["authorization"] == "Bearer test-key"
    origin = cache.why("multiply")["origin"]
    assert origin["request"] == REQUEST and origin["compiler"] == f"anthropic/{DEFAULT_MODEL}"
    assert (origin["backend"], origin["model"], origin["rounds"]) == ("anthropic", DEFAULT_MODEL, "1")
    assert origin["tokens"] == "in 120, out 80, cache-read 9000" and origin["notes"] == "integer product"
    stats = cache.stats()
    assert (stats["llm_calls"], stats["tokens_in"], stats["tokens_out"], stats["tokens_cache_read"]) == (1, 120, 80,
                                                                                                        9000)


def test_model_from_spec_and_environment(cache: ReasoningCache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SGL_MODEL", "claude-from-env")
    api = MessagesAPI(DECLINE, DECLINE)
    cache.compiler = compiler(api)
    cache.ask("capital of France")
    cache.compiler = configured("anthropic:claude-explicit", api_key="k", base_url="http://anthropic.test",
                                http_client=httpx2.Client(transport=httpx2.MockTransport(api)))
    cache.ask("capital of France")
    assert [b["model"] for b in api.bodies] == ["claude-from-env", "claude-explicit"]


def test_decline_answers_without_caching(cache: ReasoningCache) -> None:
    cache.compiler = compiler(MessagesAPI(DECLINE))
    answer = cache.ask("What is the capital of France?")
    assert (answer.answer, answer.hit, answer.procedure, answer.llm_calls) == ("Paris", False, None, 1)
    assert cache.ls() == [] and cache.stats()["llm_calls"] == 1


def test_plain_text_json_reply_is_accepted(cache: ReasoningCache) -> None:
    cache.compiler = compiler(MessagesAPI("Here you go:\n```json\n" + json.dumps(COMPILE) + "\n```"))
    assert cache.ask(REQUEST).answer == 42


def test_link_adds_a_trigger_to_an_existing_family(cache: ReasoningCache) -> None:
    cache.add(MUL, name="multiply")
    api = MessagesAPI({"action": "link", "procedure": "multiply.multiply", "template": "what is {a} multiplied by {b}",
                       "answer": "42"})
    cache.compiler = compiler(api)
    answer = cache.ask("What is 6 multiplied by 7?")
    assert (answer.answer, answer.procedure, answer.version) == (42, "multiply.multiply", 2)
    assert "family `multiply`" in api.bodies[0]["messages"][0]["content"]  # the nearest procedure was offered
    assert cache.ask("what is 3 multiplied by 3").hit and cache.ask("what is 3 times 3").hit
    assert cache.why("multiply")["origin"]["linked_request"] == "What is 6 multiplied by 7?"


def test_a_wrong_module_is_repaired(cache: ReasoningCache) -> None:
    api = MessagesAPI({**COMPILE, "module": WRONG_MUL}, COMPILE)
    cache.compiler = compiler(api)
    answer = cache.ask(REQUEST)
    assert (answer.answer, answer.llm_calls) == (42, 2)
    second = api.bodies[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert json.loads(second[1]["content"])["module"] == WRONG_MUL
    assert "repair round 1 of 3" in second[2]["content"]
    assert 'returns 13, but your answer is "42"' in second[2]["content"]
    assert cache.why("multiply")["origin"]["rounds"] == "2"
    assert cache.stats()["tokens_in"] == 240


def test_malformed_json_costs_a_round(cache: ReasoningCache) -> None:
    api = MessagesAPI('{"action": "compile", "module": ', COMPILE)
    cache.compiler = compiler(api)
    assert cache.ask(REQUEST).answer == 42
    assert "not valid JSON" in api.bodies[1]["messages"][2]["content"]


def test_repairs_are_bounded_and_the_failure_is_one_line(cache: ReasoningCache) -> None:
    api = MessagesAPI(*[{**COMPILE, "module": NO_PARSE}] * 3)
    cache.compiler = compiler(api, max_rounds=2)
    with pytest.raises(CacheError) as info:
        cache.ask(REQUEST)
    message = str(info.value)
    assert "after 3 call(s) (2 repair round(s))" in message and "does not parse" in message and "\n" not in message
    assert len(api.bodies) == 3 and cache.ls() == []
    stats = cache.stats()
    assert (stats["misses"], stats["llm_calls"], stats["tokens_in"]) == (1, 3, 360)  # the spent tokens are counted


def test_llm_call_budget(cache: ReasoningCache) -> None:
    api = MessagesAPI({**COMPILE, "module": NO_PARSE}, COMPILE)
    cache.compiler = compiler(api, max_llm_calls=1)
    with pytest.raises(CacheError, match=r"call budget is spent \(1 call"):
        cache.ask(REQUEST)
    assert len(api.bodies) == 1


@pytest.mark.parametrize(("reply", "calls", "message"), [
    (error(401, "authentication_error", "invalid x-api-key"), 1, "authentication failed (HTTP 401): check ANTHROPIC_API_KEY"),
    (error(429, "rate_limit_error", "slow down"), 2, "rate limited (HTTP 429) after 1 retry"),
    (error(529, "overloaded_error", "Overloaded"), 2, "overloaded (HTTP 529) after 1 retry"),
    (error(500, "api_error", "boom"), 2, "HTTP 500 after 1 retry: boom"),
    (error(400, "invalid_request_error", "max_tokens: too large"), 1, "HTTP 400: max_tokens: too large"),
    (timeout, 2, "timed out after 1 retry"),
])
def test_api_errors_become_one_line(cache: ReasoningCache, reply: Reply, calls: int, message: str) -> None:
    api = MessagesAPI(*[reply] * calls)
    cache.compiler = compiler(api)
    with pytest.raises(BackendError) as info:
        cache.ask(REQUEST)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith(f"anthropic ({DEFAULT_MODEL}): ")
    assert len(api.bodies) == calls and not api.replies  # the SDK retried what is retryable, no more
    assert cache.ls() == [] and cache.stats()["llm_calls"] == 1


def test_unreachable_server(cache: ReasoningCache) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    cache.compiler = compiler(MessagesAPI(refuse, refuse))
    with pytest.raises(BackendError, match=r"cannot reach http://anthropic.test.* after 1 retry: connection refused"):
        cache.ask(REQUEST)


def test_backend_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    from seglam_lang.compilers import resolve_spec

    for name in ("SGL_COMPILER", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert resolve_spec() is None and configured() is None
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    assert resolve_spec() == "anthropic"  # the default when a key is set
    monkeypatch.setenv("SGL_COMPILER", "replay:x.jsonl")
    assert resolve_spec() == "replay:x.jsonl" and resolve_spec("openai:m@http://h") == "openai:m@http://h"


def test_base_url_from_the_environment(cache: ReasoningCache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://gateway.test/anthropic")
    hosts: list[str] = []
    api = MessagesAPI(DECLINE)

    def handler(request: httpx2.Request) -> httpx2.Response:
        hosts.append(f"{request.url.host}{request.url.path}")
        return api(request)

    cache.compiler = configured("anthropic", api_key="k",
                                http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    assert cache.ask("capital of France").answer == "Paris" and hosts == ["gateway.test/anthropic/v1/messages"]
