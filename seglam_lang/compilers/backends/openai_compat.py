"""The OpenAI-compatible backend: `openai:MODEL@BASE_URL`, for local models (llama.cpp server,
vLLM, Ollama) or any hosted endpoint that speaks the Chat Completions API.

Owns: `OpenAIBackend`: one POST to `BASE_URL/chat/completions` per call, with httpx2.

- The stable prefix is the system message (providers that cache prompts do so by prefix).
- JSON mode (`response_format: {"type": "json_object"}`) is asked for; a server that rejects
  it with HTTP 400 is asked again without it, and not asked for it again by this backend.
- `$OPENAI_API_KEY`, when set, is sent as a bearer token; `BASE_URL` defaults to
  `$OPENAI_BASE_URL`.
- Rate limits (429), server errors (5xx), timeouts and connection failures are retried
  `max_retries` times with exponential backoff (honouring `Retry-After`, capped); what is
  left becomes a `BackendError` with one line.
- Usage: `tokens_in` is `prompt_tokens` minus `prompt_tokens_details.cached_tokens`.
"""

from __future__ import annotations

import time
from typing import Any

import httpx2

from seglam_lang.compilers.backends.base import Completion, Usage
from seglam_lang.compilers.errors import BackendError
from seglam_lang.compilers.prompt import Prompt
from seglam_lang.settings import env

MAX_TOKENS = 16000
MAX_DELAY = 8.0


class OpenAIBackend:
    name = "openai"

    def __init__(self, model: str, base_url: str | None = None, *, max_retries: int = 2, timeout: float = 300.0,
                 retry_delay: float = 0.5, max_tokens: int = MAX_TOKENS, api_key: str | None = None,
                 http_client: httpx2.Client | None = None) -> None:
        url = base_url or env("OPENAI_BASE_URL")
        if not url:
            raise BackendError("openai needs a base URL: openai:MODEL@BASE_URL (or set OPENAI_BASE_URL)")
        self.model = model
        self.url = url.rstrip("/") + "/chat/completions"
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.max_tokens = max_tokens
        self.json_mode = True
        key = api_key or env("OPENAI_API_KEY")
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = http_client or httpx2.Client(timeout=timeout)

    def _body(self, prompt: Prompt) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": prompt.system},
                         *({"role": m.role, "content": m.text} for m in prompt.messages)],
            "temperature": 0,
            "max_tokens": self.max_tokens,
        }
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        return body

    def complete(self, prompt: Prompt) -> Completion:
        data = self._post(prompt)
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise BackendError(f"{self.where}: the server's reply has no choices[0].message.content") from None
        if choice.get("finish_reason") == "length":
            text += f"\n(the reply was cut off at max_tokens={self.max_tokens}: make it shorter)"
        u = data.get("usage") or {}
        cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
        return Completion(text, Usage(max((u.get("prompt_tokens") or 0) - cached, 0), u.get("completion_tokens") or 0,
                                      cached))

    @property
    def where(self) -> str:
        return f"openai ({self.model} at {self.url})"

    def _post(self, prompt: Prompt) -> dict[str, Any]:
        where = self.where
        attempt = 0
        while True:
            try:
                response = self._http.post(self.url, json=self._body(prompt), headers=self._headers)
            except httpx2.TimeoutException:
                problem, response = "the request timed out", None
            except httpx2.TransportError as e:
                problem, response = f"cannot reach the server: {' '.join(str(e).split()) or type(e).__name__}", None
            else:
                if response.status_code == 400 and self.json_mode and "response_format" in response.text:
                    self.json_mode = False  # this server has no JSON mode: the prompt asks for JSON anyway
                    continue
                if response.status_code < 300:
                    try:
                        return response.json()
                    except ValueError:
                        raise BackendError(f"{where}: the server's reply is not JSON") from None
                problem = _status_problem(response)
                if not (response.status_code == 429 or response.status_code >= 500):
                    raise BackendError(f"{where}: {problem}")
            if attempt >= self.max_retries:
                retries = f" after {attempt} retr{'y' if attempt == 1 else 'ies'}" if attempt else ""
                raise BackendError(f"{where}: {problem}{retries}")
            time.sleep(self._delay(attempt, response))
            attempt += 1

    def _delay(self, attempt: int, response: httpx2.Response | None) -> float:
        if response is not None:
            try:
                return min(float(response.headers.get("retry-after", "")), MAX_DELAY)
            except ValueError:
                pass
        return min(self.retry_delay * 2**attempt, MAX_DELAY)


def _status_problem(response: httpx2.Response) -> str:
    code = response.status_code
    try:
        error = response.json().get("error")
        detail = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        detail = None
    detail = " ".join(str(detail or response.text or response.reason_phrase).split())[:300]
    label = {401: "authentication failed (check OPENAI_API_KEY)", 403: "permission denied",
             404: "not found (check the model and the base URL)", 429: "rate limited"}.get(code, "error")
    return f"HTTP {code} {label}: {detail}"
