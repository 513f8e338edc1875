"""A compile that fails after LLM calls were made: every call is counted, nothing is left behind.

Through the real paths: `sgl ask` with a recorded `replay:` session, and the OpenAI-compatible
backend against a loopback server. "Nothing left behind" is checked on the folder itself: the
same files before and after the failed ask, apart from the index (which logs the miss)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from compiler_support import COMPILE, MUL, NO_PARSE, REQUEST, ChatServer

from seglam_lang.cache import CacheError, ReasoningCache
from seglam_lang.cli import main
from seglam_lang.compilers import configured
from seglam_lang.compilers.backends.replay import request_key

INDEX = {"index.sqlite", "index.sqlite-wal", "index.sqlite-shm"}

WRONG_TIMES = '''\
@when("what is {a} times {b}")
proc wrong_times(a: Int, b: Int) -> Int:
    """A product that is really a sum (a family that disagrees with any right one)."""
    return a + b

example wrong_times(1, 1) == 2
'''

SESSIONS: dict[str, tuple[list[dict[str, Any]], list[str], int, str]] = {
    # name: (replies, extra `sgl ask` options, LLM calls made, what the one-line error says)
    "repairs spent": ([{**COMPILE, "module": NO_PARSE}] * 2, ["--max-rounds", "1"], 2, "does not parse"),
    "no module in the reply": ([{"action": "compile", "answer": "42"}] * 3, ["--max-rounds", "2"], 3,
                               'a "compile" reply needs "module"'),
    "budget spent after a call": ([{**COMPILE, "module": NO_PARSE}], ["--max-llm-calls", "1"], 1,
                                  "call budget is spent"),
}


@pytest.fixture(autouse=True)
def no_ambient_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SGL_COMPILER", "ANTHROPIC_API_KEY", "SGL_MODEL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def files(root: Path) -> set[str]:
    """Every file and folder under `root` except the index (which records the request)."""
    return {str(p.relative_to(root)) for p in root.rglob("*")} - INDEX


def session(path: Path, replies: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps({"key": request_key(REQUEST), "request": REQUEST, "call": i, "reply": r,
                                        "usage": {"tokens_in": 0, "tokens_out": 0, "tokens_cache_read": 0}}) + "\n"
                            for i, r in enumerate(replies)))
    return f"replay:{path}"


def stats(cache: Path) -> dict[str, Any]:
    return json.loads(CliRunner().invoke(main, ["cache", "stats", "--json", "--cache", str(cache)]).stdout)


def with_families(tmp_path: Path, *sources: str) -> Path:
    cache = tmp_path / "cache"
    for source in sources:
        module = tmp_path / (source.split("proc ")[1].split("(")[0] + ".sgl")
        module.write_text(source)
        assert CliRunner().invoke(main, ["cache", "add", str(module), "--cache", str(cache)]).exit_code == 0
    return cache


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_a_failed_compile_counts_its_calls_and_leaves_nothing(tmp_path: Path, name: str) -> None:
    replies, options, calls, message = SESSIONS[name]
    cache = with_families(tmp_path, MUL.replace("times", "multiplied by"))
    before = files(cache)
    r = CliRunner().invoke(main, ["ask", REQUEST, "--cache", str(cache), "--compiler",
                                  session(tmp_path / "s.jsonl", replies), *options])
    assert r.exit_code == 1 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert files(cache) == before
    s = stats(cache)
    assert (s["requests"], s["misses"], s["llm_calls"], s["procedures"]) == (1, 1, calls, 1)


def test_a_conflict_is_not_compiled(tmp_path: Path) -> None:
    """With two disagreeing families in the cache the request is a conflict: a compiled module
    could only be stored beside them (issue 16: times_2, times_3...), so no LLM call is made,
    nothing is stored, and the conflict is counted."""
    cache = with_families(tmp_path, WRONG_TIMES, WRONG_TIMES.replace("wrong_times", "other_times").replace("+", "-")
                          .replace("(1, 1) == 2", "(1, 1) == 0"))
    before = files(cache)
    r = CliRunner().invoke(main, ["ask", REQUEST, "--cache", str(cache), "--compiler",
                                  session(tmp_path / "s.jsonl", [COMPILE])])
    assert r.exit_code == 4 and "cached procedures disagree on this request (conflict: " in r.stderr, r.stderr
    assert files(cache) == before
    s = stats(cache)
    assert (s["conflicts"], s["llm_calls"], s["procedures"]) == (1, 0, 2)


def test_an_exception_after_the_call_is_counted(tmp_path: Path) -> None:
    """The first-hour report: verification's dependency missing at run time. The call was paid
    for, so it is counted; the failure is an internal error, and the folder is as it was."""
    cache = with_families(tmp_path, MUL.replace("times", "multiplied by"))
    before = files(cache)
    code = ("import sys\nsys.modules['hypothesis'] = None  # `import hypothesis` now fails\n"
            "from seglam_lang.cli import main\nmain()\n")
    env = {k: v for k, v in os.environ.items() if k not in ("SGL_COMPILER", "ANTHROPIC_API_KEY")}
    r = subprocess.run([sys.executable, "-c", code, "ask", REQUEST, "--cache", str(cache),
                        "--compiler", session(tmp_path / "s.jsonl", [COMPILE])],
                       capture_output=True, text=True, env=env, timeout=120, check=False)
    assert r.returncode == 3 and "internal error: ModuleNotFoundError" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and files(cache) == before
    s = stats(cache)
    assert (s["misses"], s["llm_calls"], s["procedures"]) == (1, 1, 1)


def test_calls_to_a_server_are_counted_when_the_compile_fails(tmp_path: Path, server: ChatServer) -> None:
    """Two calls answered with a module that does not parse, then a server error: three calls
    (the failed one may have been billed), their tokens, and an empty folder of families."""
    cache = ReasoningCache(tmp_path / "cache", verify_options={"max_examples": 10, "time_budget": 2.0})
    before = files(cache.dir)
    server.replies = [(200, json.dumps({**COMPILE, "module": NO_PARSE}))] * 2 + [(500, {"error": "boom"})]
    cache.compiler = configured(server.spec(), max_rounds=3, max_retries=0, retry_delay=0.01)
    with pytest.raises(CacheError, match="HTTP 500"):
        cache.ask(REQUEST)
    s = cache.stats()
    assert (s["misses"], s["llm_calls"], s["tokens_in"], s["tokens_out"]) == (1, 3, 200, 400)
    assert files(cache.dir) == before and cache.ls() == []
    cache.close()


def test_a_successful_compile_leaves_no_lock_or_staging_file(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    r = CliRunner().invoke(main, ["ask", REQUEST, "--cache", str(cache), "--compiler",
                                  session(tmp_path / "s.jsonl", [COMPILE])])
    assert (r.exit_code, r.stdout) == (0, "42\n")
    assert files(cache) == {".lock", "procedures", "procedures/multiply.sgl", "history", "history/multiply",
                            "history/multiply/1.sgl"}
