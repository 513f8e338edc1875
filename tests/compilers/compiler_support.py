"""Shared material for the compiler tests: modules a model might write, a scripted backend, and
a loopback OpenAI-compatible chat server.

The LLM is scripted; the loop, the checks, the backends' wire formats and the cache are real."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from seglam_lang.compilers.backends import Completion, Usage
from seglam_lang.compilers.prompt import Prompt

REQUEST = "What is 6 times 7?"

MUL = '''\
@when("what is {a} times {b}")
proc multiply(a: Int, b: Int) -> Int:
    """The product of two integers."""
    return a * b

example multiply(6, 7) == 42
example multiply(0, 5) == 0
example multiply(-2, 3) == -6

property commutes(a: Int, b: Int):
    assert multiply(a, b) == multiply(b, a)
'''

WRONG_MUL = MUL.replace("return a * b", "return a + b")  # examples fail, answer disagrees
NO_PARSE = "proc multiply(a: Int, b: Int) -> Int\n    return a * b\n"

COMPILE = {"action": "compile", "module": MUL, "answer": "42", "notes": "integer product"}
DECLINE = {"action": "decline", "answer": "Paris"}


SCRIPTED_USAGE = Usage(100, 50, 1000)


class Scripted:
    """A backend that returns the given replies in order and keeps every prompt it was sent."""

    name = "scripted"
    model = "test-model"

    def __init__(self, *replies: str | dict[str, Any], usage: Usage = SCRIPTED_USAGE) -> None:
        self.replies = list(replies)
        self.usage = usage
        self.prompts: list[Prompt] = []

    def complete(self, prompt: Prompt) -> Completion:
        self.prompts.append(prompt)
        return Completion(self.replies.pop(0), self.usage)


# (status, body): a dict sent as JSON, a str sent as the message content, or a function of the
# request body giving either
HttpReply = tuple[int, Any]


class ChatServer:
    """A chat-completions endpoint serving scripted replies; keeps what it was sent."""

    def __init__(self) -> None:
        self.replies: list[HttpReply] = []
        self.requests: list[dict[str, Any]] = []
        self.auth: list[str | None] = []
        self.before_reply: Callable[[], object] | None = None  # e.g. hold a reply back until released
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append({"path": self.path, **body})
                    server.auth.append(self.headers.get("Authorization"))
                    status, reply = server.replies.pop(0)
                if server.before_reply is not None:
                    server.before_reply()
                if callable(reply):
                    reply = reply(body)
                if isinstance(reply, str):
                    reply = {"choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": reply}}],
                             "usage": {"prompt_tokens": 1000, "completion_tokens": 200,
                                       "prompt_tokens_details": {"cached_tokens": 900}}}
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def spec(self, model: str = "local-model") -> str:
        return f"openai:{model}@{self.url}"
