"""A loopback OpenAI-compatible server for the plain-install smoke (stdlib only).

Serves POST /chat/completions with one scripted reply: a `compile` reply holding the module
file given on the command line. Writes its port to PORT_FILE once listening, and counts the
calls it answered in CALLS_FILE (one line per call), so the smoke can assert that a miss
cost exactly one LLM call.

Usage: python openai_stub.py MODULE.sgl ANSWER PORT_FILE CALLS_FILE
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

module_path, answer, port_file, calls_file = sys.argv[1:5]
REPLY = json.dumps({"action": "compile", "module": Path(module_path).read_text(), "answer": answer,
                    "notes": "smoke"})


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        with open(calls_file, "a") as f:
            f.write(self.path + "\n")
        body = json.dumps({"choices": [{"message": {"content": REPLY}, "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 1000, "completion_tokens": 200}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
Path(port_file).write_text(str(server.server_address[1]))
server.serve_forever()
