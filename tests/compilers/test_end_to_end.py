"""End to end: an empty cache, a miss compiled through a backend, then hits with zero LLM calls;
`sgl ask`'s compiler options; concurrent misses for one request compile once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from compiler_support import COMPILE, REQUEST, Scripted

from seglam_lang.cache import ReasoningCache
from seglam_lang.cli import main
from seglam_lang.compilers.backends import Completion
from seglam_lang.compilers.backends.replay import request_key
from seglam_lang.compilers.loop import LLMCompiler
from seglam_lang.compilers.prompt import Prompt


@pytest.fixture(autouse=True)
def no_ambient_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SGL_COMPILER", "ANTHROPIC_API_KEY", "SGL_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def session(tmp_path: Path) -> Path:
    """A recorded session: one compile of REQUEST."""
    path = tmp_path / "session.jsonl"
    path.write_text(json.dumps({"key": request_key(REQUEST), "request": REQUEST, "call": 0,
                                "compiler": "anthropic/claude-test", "reply": COMPILE,
                                "usage": {"tokens_in": 1, "tokens_out": 2, "tokens_cache_read": 3}}) + "\n")
    return path


def sgl(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args), env=env)
    return r.exit_code, r.stdout, r.stderr


def test_miss_compiles_then_other_values_hit(tmp_path: Path, session: Path) -> None:
    cache = str(tmp_path / "cache")
    code, _, err = sgl("ask", REQUEST, "--cache", cache)
    assert code == 4 and "no compiler is configured" in err
    assert sgl("ask", REQUEST, "--cache", cache, "--compiler", f"replay:{session}") == (0, "42\n", "")
    code, out, _ = sgl("ask", "What is 11 times 12?", "--cache", cache, "--json")  # no compiler needed now
    data = json.loads(out)
    assert (code, data["answer"], data["hit"], data["llm_calls"]) == (0, 132, True, 0)
    stats = json.loads(sgl("cache", "stats", "--json", "--cache", cache)[1])
    assert (stats["requests"], stats["misses"], stats["hits"]) == (3, 2, 1)  # one log entry per request
    assert (stats["llm_calls"], stats["tokens_in"], stats["procedures"]) == (1, 0, 1)
    why = sgl("cache", "why", "multiply", "--cache", cache)[1]
    assert "compiler: replay/anthropic/claude-test" in why and f"request: {REQUEST}" in why


def test_compiler_from_the_environment_and_recording(tmp_path: Path, session: Path) -> None:
    recorded = tmp_path / "again.jsonl"
    env = {"SGL_COMPILER": f"replay:{session}"}
    assert sgl("ask", REQUEST, "--cache", str(tmp_path / "a"), "--record", str(recorded), env=env)[:2] == (0, "42\n")
    entry = json.loads(recorded.read_text())
    assert (entry["key"], entry["reply"]) == (request_key(REQUEST), COMPILE)
    # the re-recorded session replays in a fresh cache
    assert sgl("ask", REQUEST, "--cache", str(tmp_path / "b"), "--compiler", f"replay:{recorded}")[:2] == (0, "42\n")


def test_show_prompt_prints_and_sends_nothing(tmp_path: Path, session: Path) -> None:
    cache, recorded = str(tmp_path / "cache"), tmp_path / "none.jsonl"
    code, out, err = sgl("ask", REQUEST, "--cache", cache, "--compiler", f"replay:{session}", "--show-prompt",
                         "--record", str(recorded))
    assert (code, err) == (0, "")
    assert out.startswith("=== system (stable prefix, cached) ===\nYou are the compiler of SEGLAM")
    assert "=== user ===\nThe request" in out and REQUEST in out and "## `std.text`" in out
    assert not recorded.exists()
    assert json.loads(sgl("cache", "stats", "--json", "--cache", cache)[1])["requests"] == 0  # a dry run: not logged


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--compiler", "gpt"], 2, "unknown compiler 'gpt'"),
    (["--compiler", "openai:@http://x"], 2, "openai needs a model"),
    (["--compiler", "replay:"], 2, "replay needs a file"),
    (["--max-rounds", "-1"], 2, "-1 is not in the range x>=0"),
    (["--compiler", "replay:/nonexistent/s.jsonl"], 2, "replay: no such file: /nonexistent/s.jsonl"),  # an input
])
def test_bad_options(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    got, _, err = sgl("ask", REQUEST, "--cache", str(tmp_path / "c"), *args)
    assert got == code and message in err and "Traceback" not in err


def test_unrecorded_request_fails_in_one_line(tmp_path: Path, session: Path) -> None:
    code, out, err = sgl("ask", "what is 1 plus 1", "--cache", str(tmp_path / "c"), "--compiler", f"replay:{session}")
    assert (code, out) == (1, "") and err.startswith("sgl: replay: no recorded reply") and err.count("\n") == 1


def test_a_budget_of_zero_calls(tmp_path: Path, session: Path) -> None:
    code, _, err = sgl("ask", REQUEST, "--cache", str(tmp_path / "c"), "--compiler", f"replay:{session}",
                       "--max-llm-calls", "0")
    assert code == 1 and "call budget is spent (0 call(s), --max-llm-calls)" in err


def test_hit_with_a_compiler_option_imports_no_sdk(tmp_path: Path, session: Path) -> None:
    cache = str(tmp_path / "c")
    assert sgl("ask", REQUEST, "--cache", cache, "--compiler", f"replay:{session}")[0] == 0
    code = ("import sys\nfrom seglam_lang.cli import main\n"
            f"try:\n    main(['ask', 'what is 2 times 2', '--cache', {cache!r}, '--compiler', 'anthropic'])\n"
            "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            "bad = [m for m in ('anthropic', 'hypothesis', 'seglam_lang.compilers.loop') if m in sys.modules]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


class Slow(Scripted):
    """A backend that takes its time, so that a second miss arrives while the first compiles."""

    def __init__(self) -> None:
        super().__init__(COMPILE, COMPILE)
        self.started = threading.Event()

    def complete(self, prompt: Prompt) -> Completion:
        self.started.set()
        time.sleep(0.5)
        return super().complete(prompt)


def test_concurrent_misses_in_threads_compile_once(tmp_path: Path) -> None:
    backend = Slow()
    caches = [ReasoningCache(tmp_path / "c", compiler=LLMCompiler(backend),
                             verify_options={"max_examples": 10, "time_budget": 2.0}) for _ in range(2)]
    answers: list[object] = []
    first = threading.Thread(target=lambda: answers.append(caches[0].ask(REQUEST)))
    first.start()
    assert backend.started.wait(30)
    answers.append(caches[1].ask("what is 6 times 7"))  # misses, waits for the lock, then hits
    first.join()
    assert len(backend.prompts) == 1
    assert sorted((a.hit, a.answer, a.llm_calls) for a in answers) == [(False, 42, 1), (True, 42, 0)]


def test_concurrent_misses_in_processes_compile_once(tmp_path: Path, session: Path) -> None:
    cache, recorded = str(tmp_path / "c"), tmp_path / "calls.jsonl"
    command = [sys.executable, "-c", "from seglam_lang.cli import main; main()", "ask", REQUEST, "--cache", cache,
               "--compiler", f"replay:{session}", "--record", str(recorded)]
    env = {k: v for k, v in os.environ.items() if k not in ("SGL_COMPILER", "ANTHROPIC_API_KEY")}
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [(p.returncode, out) for p, (out, _) in zip(procs, outputs)] == [(0, "42\n")] * 3, outputs
    assert len(recorded.read_text().splitlines()) == 1  # one LLM call in all
