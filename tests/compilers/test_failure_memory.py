"""Failure memory and the request log's settings, through `sgl ask` with a recorded session.

A request the compiler declined or gave up on is remembered: asked again, it costs one call
(an answer, no compile). The log keeps a bounded number of rows (statistics still count every
request) and can keep a hash instead of the request's text."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from compiler_support import COMPILE, DECLINE, NO_PARSE, REQUEST

from seglam_lang.cli import main
from seglam_lang.compilers.backends.replay import request_key


@pytest.fixture(autouse=True)
def no_ambient_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SGL_COMPILER", "ANTHROPIC_API_KEY", "SGL_MODEL"):
        monkeypatch.delenv(name, raising=False)


def sgl(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def session(path: Path, request: str, replies: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps({"key": request_key(request), "request": request, "call": i, "reply": r})
                            + "\n" for i, r in enumerate(replies)))
    return f"replay:{path}"


def calls(cache: str) -> int:
    return json.loads(sgl("cache", "stats", "--json", "--cache", cache)[1])["llm_calls"]


def test_a_request_that_failed_to_compile_costs_one_call_next_time(tmp_path: Path) -> None:
    cache, replay = str(tmp_path / "c"), session(tmp_path / "s.jsonl", REQUEST, [{**COMPILE, "module": NO_PARSE}] * 3)
    ask = ["ask", REQUEST, "--cache", cache, "--compiler", replay, "--max-rounds", "2"]
    code, _, err = sgl(*ask)
    assert code == 1 and "did not produce a module that verifies after 3 call(s)" in err and calls(cache) == 3
    # Asked again (in other words and case): one call for the model's own answer, no compile.
    again = ["ask", "  what is 6 TIMES 7?", "--cache", cache, "--compiler",
             session(tmp_path / "t.jsonl", "  what is 6 TIMES 7?", [{**COMPILE, "module": NO_PARSE}]), "--json"]
    code, out, _ = sgl(*again)
    data = json.loads(out)
    assert (code, data["answer"], data["hit"], data["llm_calls"]) == (0, "42", False, 1)
    assert calls(cache) == 4 and sgl("cache", "ls", "--cache", cache)[1].startswith("(no procedures")
    # Forgotten, it is compiled again (and this time the session has a module that verifies).
    assert sgl("cache", "forget", "--cache", cache)[1] == "forgot 1 request\n"
    fixed = session(tmp_path / "u.jsonl", REQUEST, [COMPILE])
    assert sgl("ask", REQUEST, "--cache", cache, "--compiler", fixed)[:2] == (0, "42\n")
    assert sgl("ask", "what is 3 times 3", "--cache", cache)[:2] == (0, "9\n")


def test_a_declined_request_is_asked_for_an_answer_only(tmp_path: Path) -> None:
    cache, question = str(tmp_path / "c"), "What is the capital of France?"
    replay = session(tmp_path / "s.jsonl", question, [DECLINE])
    for _ in range(2):
        assert sgl("ask", question, "--cache", cache, "--compiler", replay)[:2] == (0, "Paris\n")
    assert calls(cache) == 2
    shown = sgl("ask", question, "--cache", cache, "--compiler", replay, "--show-prompt")[1]
    assert "Do not write a module" in shown and "Existing procedures" not in shown


def test_the_log_keeps_at_most_its_rows_and_counts_every_request(tmp_path: Path) -> None:
    cache = str(tmp_path / "c")
    module = tmp_path / "mul.sgl"
    module.write_text(COMPILE["module"])
    assert sgl("cache", "add", str(module), "--cache", cache)[0] == 0
    assert sgl("cache", "settings", "--log-rows", "5", "--cache", cache)[1] == \
        "log rows: 5  days: no bound  requests kept as: text\n"
    for i in range(70):
        assert sgl("ask", f"what is {i} times 2", "--cache", cache)[1] == f"{i * 2}\n"
    kept = sqlite3.connect(Path(cache) / "index.sqlite").execute("SELECT COUNT(*) FROM requests").fetchone()[0]
    assert kept <= 5 + 32  # bounds are applied every 32 log writes
    stats = json.loads(sgl("cache", "stats", "--json", "--cache", cache)[1])
    assert (stats["requests"], stats["hits"], stats["hit_rate"]) == (70, 70, 1.0)
    assert sgl("cache", "settings", "--log-rows", "0", "--cache", cache)[1].startswith("log rows: no bound")


def test_the_log_can_keep_a_hash_instead_of_the_request(tmp_path: Path) -> None:
    cache, secret = str(tmp_path / "c"), "What is 4417 times 1234?"
    module = tmp_path / "mul.sgl"
    module.write_text(COMPILE["module"])
    assert sgl("cache", "add", str(module), "--cache", cache)[0] == 0
    assert sgl("cache", "settings", "--log-text", "hash", "--cache", cache)[0] == 0
    assert sgl("ask", secret, "--cache", cache)[1] == "5450578\n"
    assert sgl("ask", "What is 4417 to 1234?", "--cache", cache)[0] == 4  # a miss is logged too
    db = sqlite3.connect(Path(cache) / "index.sqlite")
    assert all(r.startswith("sha256:") for (r,) in db.execute("SELECT request FROM requests"))
    db.close()
    raw = b"".join(p.read_bytes() for p in Path(cache).glob("index.sqlite*"))
    assert b"4417" not in raw


@pytest.mark.parametrize(("args", "message"), [
    (["--log-text", "plain"], "'plain' is not one of 'text', 'hash'"),
    (["--log-rows", "-1"], "-1 is not in the range x>=0"),
])
def test_bad_settings(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = sgl("cache", "settings", *args, "--cache", str(tmp_path / "c"))
    assert code == 2 and message in err
