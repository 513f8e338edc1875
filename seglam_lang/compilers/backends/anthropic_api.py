"""The Anthropic backend: the Messages API through the official `anthropic` SDK (2.x, on httpx2).

Owns: `AnthropicBackend` (`anthropic[:MODEL]`), the request it sends and how its reply and
errors are read.

- The reply is obtained as a forced tool call (`tool_choice` names the `sgl_reply` tool,
  whose input schema is the reply protocol); a plain text reply holding the JSON object is
  accepted too (some proxies and models answer in text).
- The stable prefix is the `system` block, marked `cache_control: ephemeral`, so repeated
  compiles read it from Anthropic's prompt cache.
- Model: the argument, else `$SGL_MODEL`, else `DEFAULT_MODEL`. Credentials and the base URL
  come from the SDK's own environment (`ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`).
- Errors: the SDK retries (`max_retries`, default 2) rate limits, overload, server errors
  and network failures; what is left becomes a `BackendError` with one line.

`import anthropic` costs about a second: this module is imported only on a miss.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic

from seglam_lang.compilers.backends.base import Completion, Usage
from seglam_lang.compilers.errors import BackendError
from seglam_lang.compilers.prompt import Prompt
from seglam_lang.compilers.protocol import REPLY_SCHEMA, TOOL_NAME
from seglam_lang.settings import env

DEFAULT_MODEL = "claude-sonnet-5-5"
MAX_TOKENS = 16000

_TOOL = {
    "name": TOOL_NAME,
    "description": "Send your reply to SEGLAM: compile a module, link a template, or decline; always with your "
                   "own answer.",
    "input_schema": REPLY_SCHEMA,
}


class AnthropicBackend:
    name = "anthropic"

    def __init__(self, model: str | None = None, *, max_retries: int = 2, timeout: float = 300.0,
                 max_tokens: int = MAX_TOKENS, **client_options: Any) -> None:
        self.model = model or env("SGL_MODEL") or DEFAULT_MODEL
        self.max_tokens = max_tokens
        try:
            self._client = anthropic.Anthropic(max_retries=max_retries, timeout=timeout, **client_options)
        except anthropic.AnthropicError as e:
            raise BackendError(f"anthropic: {_first_line(str(e))}") from None

    def _request(self, prompt: Prompt) -> dict[str, Any]:
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": [{"type": "text", "text": prompt.system, "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": m.role, "content": m.text} for m in prompt.messages],
            "tools": [_TOOL],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
        }

    def complete(self, prompt: Prompt) -> Completion:
        try:
            message = self._client.messages.create(**self._request(prompt))
        except anthropic.AnthropicError as e:
            raise BackendError(f"anthropic ({self.model}): {_explain(e, self._client)}") from None
        u = message.usage
        usage = Usage((u.input_tokens or 0) + (u.cache_creation_input_tokens or 0), u.output_tokens or 0,
                      u.cache_read_input_tokens or 0)
        texts = []
        for block in message.content:
            if block.type == "tool_use" and block.name == TOOL_NAME:
                return Completion(_tool_input(block.input), usage)
            if block.type == "text":
                texts.append(block.text)
        text = "\n".join(texts)
        if message.stop_reason == "max_tokens":
            text += f"\n(the reply was cut off at max_tokens={self.max_tokens}: make it shorter)"
        return Completion(text, usage)


def _tool_input(value: Any) -> dict[str, Any] | str:
    """A tool call's input: a dict, or (from some gateways) a JSON string of one."""
    if isinstance(value, (dict, str)):
        return value
    return json.dumps(value)  # not an object: the protocol parser reports what it is


def _first_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."


def _explain(e: anthropic.AnthropicError, client: anthropic.Anthropic) -> str:
    """One line for an error left after the SDK's retries."""
    retries = f"after {client.max_retries} retr{'y' if client.max_retries == 1 else 'ies'}"
    if isinstance(e, anthropic.AuthenticationError):
        return "authentication failed (HTTP 401): check ANTHROPIC_API_KEY"
    if isinstance(e, anthropic.PermissionDeniedError):
        return f"permission denied (HTTP 403): {_message(e)}"
    if isinstance(e, anthropic.RateLimitError):
        return f"rate limited (HTTP 429) {retries}; try again later"
    if isinstance(e, anthropic.OverloadedError):
        return f"the API is overloaded (HTTP 529) {retries}; try again later"
    if isinstance(e, anthropic.APIStatusError):
        return f"HTTP {e.status_code}" + (f" {retries}" if e.status_code >= 500 else "") + f": {_message(e)}"
    if isinstance(e, anthropic.APITimeoutError):
        return f"the request timed out {retries}"
    if isinstance(e, anthropic.APIConnectionError):
        cause = e.__cause__ or e.__context__
        return f"cannot reach {client.base_url} {retries}" + (f": {_first_line(str(cause))}" if cause else "")
    return _first_line(str(e)) or type(e).__name__


def _message(e: anthropic.APIStatusError) -> str:
    body = e.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict) and body["error"].get("message"):
        return _first_line(str(body["error"]["message"]))
    return _first_line(e.message)
