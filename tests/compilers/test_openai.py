"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1 (http.server in a thread)."""

from __future__ import annotations

import json

import pytest
from compiler_support import COMPILE, REQUEST, WRONG_MUL, ChatServer, HttpReply

from seglam_lang.cache import ReasoningCache
from seglam_lang.compilers import configured
from seglam_lang.compilers.errors import BackendError


def test_compile_through_a_local_server(server: ChatServer, cache: ReasoningCache,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.replies = [(200, json.dumps({**COMPILE, "module": WRONG_MUL})), (200, json.dumps(COMPILE))]
    cache.compiler = configured(server.spec("qwen2.5:7b"))
    answer = cache.ask(REQUEST)
    assert (answer.answer, answer.llm_calls) == (42, 2)
    first, second = server.requests
    assert first["path"] == "/v1/chat/completions" and first["model"] == "qwen2.5:7b"
    assert first["response_format"] == {"type": "json_object"} and first["temperature"] == 0
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert first["messages"][0] == second["messages"][0]  # the stable prefix, byte for byte
    assert server.auth == [None, None]
    assert cache.why("multiply")["origin"]["compiler"] == "openai/qwen2.5:7b"
    stats = cache.stats()
    assert (stats["tokens_in"], stats["tokens_out"], stats["tokens_cache_read"]) == (200, 400, 1800)
    assert cache.ask("what is 5 times 5").hit and len(server.requests) == 2


def test_api_key_and_server_without_json_mode(server: ChatServer, cache: ReasoningCache,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    server.replies = [(400, {"error": {"message": "response_format is not supported"}}), (200, json.dumps(COMPILE))]
    cache.compiler = configured(server.spec())
    assert cache.ask(REQUEST).answer == 42
    assert "response_format" in server.requests[0] and "response_format" not in server.requests[1]
    assert server.auth == ["Bearer sk-local", "Bearer sk-local"]


@pytest.mark.parametrize(("replies", "message"), [
    ([(401, {"error": {"message": "bad key"}})], "HTTP 401 authentication failed (check OPENAI_API_KEY): bad key"),
    ([(404, {"error": "model 'x' not found"})], "HTTP 404 not found (check the model and the base URL)"),
    ([(429, {"error": {"message": "slow"}})] * 2, "HTTP 429 rate limited: slow after 1 retry"),
    ([(503, {"error": {"message": "loading model"}})] * 2, "HTTP 503 error: loading model after 1 retry"),
    ([(200, {"object": "list"})], "no choices[0].message.content"),
])
def test_errors_become_one_line(server: ChatServer, cache: ReasoningCache, replies: list[HttpReply],
                                message: str) -> None:
    server.replies = list(replies)
    cache.compiler = configured(server.spec(), max_retries=1, retry_delay=0.01)
    with pytest.raises(BackendError) as info:
        cache.ask(REQUEST)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith(f"openai (local-model at {server.url}/chat/completions): ")
    assert not server.replies and cache.ls() == []


def test_no_server_listening(cache: ReasoningCache) -> None:
    s = ChatServer()  # bound but never serving, then closed: nothing listens on its port
    s.httpd.server_close()
    cache.compiler = configured(s.spec(), max_retries=1, retry_delay=0.01)
    with pytest.raises(BackendError, match=r"cannot reach the server: .* after 1 retry"):
        cache.ask(REQUEST)


def test_a_base_url_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(BackendError, match="needs a base URL"):
        configured("openai:llama3")
