"""`sgl batch` through the real console entry point in a subprocess: results in input order with
worker processes, one LLM call per kind across workers (the loopback OpenAI-compatible stub of
the CI smoke), bad lines as results, exit codes, atomic `--output`, and the progress bar on a
terminal (a pty) but not on a pipe. `answer_many` from Python, including a worker that dies."""

from __future__ import annotations

import json
import os
import pty
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seglam_lang.cache import ReasoningCache
from seglam_lang.cache.batch import FAILED, HIT, UNANSWERED, Request, answer_many, parse_line
from seglam_lang.cache.llm_protocol import CompileContext, CompileRequest, CompileResult

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "tests" / "cache" / "modules"
STUB = ROOT / ".ci" / "smoke" / "openai_stub.py"
SGL = [sys.executable, "-c", "from seglam_lang.cli import main; main()"]


def sgl(*args: str, stdin: str | None = None, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SGL_COMPILER", "ANTHROPIC_API_KEY", "SGL_CACHE")}
    return subprocess.run([*SGL, *args], input=stdin, capture_output=True, text=True, timeout=240, env=env,
                          **kwargs)


def _filled(location: str) -> str:
    """The cache at `location` with the arithmetic and dates families (no words family: sorting is a miss)."""
    rc = ReasoningCache(location, verify_options={"max_examples": 10, "time_budget": 2.0})
    rc.add(MODULES / "arith.sgl")
    rc.add(MODULES / "dates.sgl")
    rc.close()
    return location


@pytest.fixture
def cache_dir(tmp_path: Path) -> str:
    return _filled(str(tmp_path / "cache"))


@pytest.fixture
def any_cache(store_url: str) -> str:
    """The same on either store: a folder, or a PostgreSQL database."""
    return _filled(store_url)


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The CI smoke's OpenAI-compatible stub: every call is answered with the words module."""
    port, calls = tmp_path / "port", tmp_path / "calls"
    proc = subprocess.Popen([sys.executable, str(STUB), str(ROOT / ".ci" / "smoke" / "words.sgl"), "fig pear",
                             str(port), str(calls)])
    try:
        for _ in range(200):
            if port.exists() and port.read_text():
                break
            time.sleep(0.05)
        calls.touch()
        yield f"openai:stub@http://127.0.0.1:{port.read_text()}/v1", calls
    finally:
        proc.kill()
        proc.wait()


class Raw(str):
    """A line of a batch file written as is (not as JSON)."""


def lines(*items: object) -> str:
    return "".join((item if isinstance(item, Raw) else json.dumps(item)) + "\n" for item in items)


def results(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_order_is_kept_with_two_workers_and_a_kind_compiles_once(any_cache: str, stub: tuple[str, Path],
                                                                  tmp_path: Path) -> None:
    spec, calls = stub
    rng = random.Random(14)
    sums = [(rng.randrange(-50, 50), rng.randrange(0, 99)) for _ in range(14)]
    sorts = ["sort pear fig alphabetically", "sort fig pear alphabetically",
             "Sort the following words alphabetically: List: pear fig"]
    items: list[tuple[str, object]] = [(f"what is {a}+{b}", a + b) for a, b in sums]
    for i, request in enumerate(sorts):  # misses of one kind, spread through the stream
        items.insert(2 + 5 * i, (request, "fig pear"))
    batch = tmp_path / "in.jsonl"
    batch.write_text(lines(*[{"request": r, "id": i} if i % 2 else r for i, (r, _) in enumerate(items)]))
    done = sgl("batch", str(batch), "--jobs", "2", "--cache", any_cache, "--compiler", spec)
    assert done.returncode == 0, done.stderr + done.stdout
    out = results(done.stdout)
    assert [(r["line"], r["request"], r["answer"]) for r in out] == \
        [(i + 1, request, answer) for i, (request, answer) in enumerate(items)]
    assert [r.get("id") for r in out] == [i if i % 2 else None for i in range(len(items))]
    assert all(r["error"] is None for r in out)
    assert calls.read_text().count("\n") == 1  # two workers, three misses of one kind: one LLM call
    assert sum(r["llm_calls"] for r in out) == 1
    compiled = [r for r in out if r["outcome"] == "compiled"]
    assert len(compiled) == 1 and compiled[0]["procedure"] == "sort_words.sort_words" and not compiled[0]["hit"]
    assert sum(r["hit"] for r in out) == len(items) - 1
    assert done.stderr.startswith(f"sgl batch: {len(items)} requests in ")  # not a terminal: no bar
    assert done.stderr.count("\n") == 1, done.stderr
    assert "1 compiled" in done.stderr and "; 1 LLM call\n" in done.stderr


def test_bad_lines_are_results_with_their_line_numbers(cache_dir: str, tmp_path: Path) -> None:
    text = lines("what is 1+2", Raw("not json"), {"request": 5}, {"text": "what is 1+1"}, Raw(""), Raw("   "),
                 "What is 1.5+1?", Raw('{"request": "what is 2+2"'), "days between 2024-01-03 and 5 March 2024")
    for jobs in ("1", "2"):
        done = sgl("batch", "-", "--cache", cache_dir, "--jobs", jobs, stdin=text)
        assert done.returncode == 1, done.stderr  # some request failed
        out = results(done.stdout)
        assert [(r["line"], r["outcome"]) for r in out] == [
            (1, HIT), (2, FAILED), (3, FAILED), (4, FAILED), (7, UNANSWERED), (8, FAILED), (9, HIT)]
        assert [r["answer"] for r in out] == [3, None, None, None, None, None, 62]
        errors = [r["error"] for r in out]
        assert errors[1].startswith("line 2, column 1: not JSON") and errors[2] == \
            "line 3: the request must be a string, not int" and errors[3] == \
            "line 4: unknown key 'text' (keys: request, id)" and errors[5].startswith("line 8, column")
        assert "no compiler is configured" in errors[4] and out[4]["error_code"] == "E0601"
        assert "Traceback" not in done.stderr and "7 requests" in done.stderr and "4 failed" in done.stderr
    only_misses = sgl("batch", "-", "--cache", cache_dir, stdin=lines("what is 1+1", "What is 1.5+1?"))
    assert only_misses.returncode == 4  # unanswered (no compiler), nothing failed: as `sgl ask`
    assert sgl("batch", "-", "--cache", cache_dir, stdin=lines("what is 1+1")).returncode == 0


def test_output_file_is_written_whole_or_not_at_all(cache_dir: str, tmp_path: Path) -> None:
    batch, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    batch.write_text(lines(*[f"what is {i}+1" for i in range(30)]))
    done = sgl("batch", str(batch), "-o", str(out), "-j", "2", "-q", "--cache", cache_dir)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert [r["answer"] for r in results(out.read_text())] == [i + 1 for i in range(30)]
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)  # a normal file, not the temporary's mode
    out.write_text("before\n")
    for args, message in ((["missing.jsonl", "-o", str(out)], "missing.jsonl: no such file"),
                          ([str(batch), "-o", str(tmp_path / "nowhere" / "o.jsonl")], "no such folder"),
                          ([str(batch), "-o", str(out), "--jobs", "0"], "--jobs")):
        bad = sgl("batch", *args, "--cache", cache_dir, cwd=tmp_path)
        assert bad.returncode == 2 and message in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
    assert out.read_text() == "before\n" and not (tmp_path / "nowhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left


def _run_on_pty(args: list[str]) -> tuple[int, str, str]:
    """Run with stderr on a terminal (a pty) and stdout on a pipe: (exit code, stdout, terminal)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("SGL_COMPILER", "ANTHROPIC_API_KEY")}
    proc = subprocess.Popen([*SGL, *args], stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every holder of the terminal's other end is gone
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    stdout = proc.stdout.read().decode() if proc.stdout else ""
    return proc.wait(timeout=60), stdout, seen.decode()


def test_progress_bar_on_a_terminal_only(cache_dir: str, tmp_path: Path) -> None:
    batch = tmp_path / "in.jsonl"
    batch.write_text(lines(*[f"what is {i}+{i}" for i in range(20)], "What is 1.5+1?"))
    code, stdout, terminal = _run_on_pty(["batch", str(batch), "--cache", cache_dir, "--jobs", "2"])
    assert code == 4 and len(stdout.splitlines()) == 21
    assert "\r[" in terminal and "21/21" in terminal and "hits 20" in terminal and "misses 1" in terminal
    assert "LLM calls 0" in terminal and "/s" in terminal and "\x1b[K" in terminal
    assert "\r\x1b[Ksgl batch: 21 requests in " in terminal  # the bar is cleared for the summary line
    piped = sgl("batch", str(batch), "--cache", cache_dir, "--jobs", "2")
    assert "\r" not in piped.stderr and "\x1b" not in piped.stderr and piped.stderr.count("\n") == 1
    _, _, quiet = _run_on_pty(["batch", str(batch), "--cache", cache_dir, "-q"])
    assert quiet == ""


# ---------------------------------------------------------------- from Python


class DiesOnMiss:
    """A compiler whose process dies when it is asked anything (as a worker killed mid-compile)."""

    def compile(self, request: CompileRequest, context: CompileContext) -> CompileResult:
        os._exit(9)


def dies_on_miss() -> DiesOnMiss:
    return DiesOnMiss()


def test_answer_many_from_python_survives_a_dying_worker(cache_dir: str) -> None:
    texts = [f"what is {i}+{i}" for i in range(12)]
    texts.insert(5, "What is 1.5+1?")
    requests = [Request(i + 1, text) for i, text in enumerate(texts)] + [parse_line("[1, 2]", 14)]
    seen: list[int] = []
    out = list(answer_many(cache_dir, requests, jobs=2, compiler=dies_on_miss, on_result=lambda r: seen.append(r.line)))
    assert [r.line for r in out] == [r.line for r in requests] and sorted(seen) == sorted(r.line for r in requests)
    dead = out[5]
    assert dead.outcome == FAILED and "worker process answering it died (exit code 9)" in (dead.error or "")
    assert [r.answer for r in out if r.outcome == HIT] == [2 * i for i in range(12)]
    assert out[-1].error == "line 14: the request must be a string, not list"
    alone = list(answer_many(cache_dir, [r.text or "" for r in requests[:5]]))  # jobs=1: in this process
    assert [r.to_json() for r in alone] == [r.to_json() for r in out[:5]]


BORN_IGNORING = """
import multiprocessing, signal, sys
from seglam_lang.cache.batch import _born_ignoring_ctrl_c

def report(results):
    results.put(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)

if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    results = ctx.Queue()
    p = ctx.Process(target=report, args=(results,))
    with _born_ignoring_ctrl_c():
        p.start()
    print(results.get(timeout=60), signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    p.join()
"""


@pytest.mark.parametrize("method", ["forkserver", "spawn"])
def test_workers_are_born_ignoring_ctrl_c(method: str, tmp_path: Path) -> None:
    """A worker still importing when Ctrl-C came printed a KeyboardInterrupt traceback: the
    pool's processes must ignore SIGINT from their start (what their target sees first),
    and the parent keeps its own handler."""
    script = tmp_path / "born.py"
    script.write_text(BORN_IGNORING)
    out = subprocess.run([sys.executable, str(script), method], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["True", "True"], out.stderr


def test_ctrl_c_stops_the_workers_and_writes_no_output(cache_dir: str, tmp_path: Path) -> None:
    batch, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    batch.write_text(lines(*[f"what is {i}+1" for i in range(50_000)]))
    env = {k: v for k, v in os.environ.items() if k not in ("SGL_COMPILER", "ANTHROPIC_API_KEY")}
    with open(tmp_path / "err", "w") as err:
        proc = subprocess.Popen([*SGL, "batch", str(batch), "-j", "2", "-o", str(out), "--cache", cache_dir],
                                stdout=subprocess.DEVNULL, stderr=err, env=env, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        for _ in range(600):  # answering has begun when the output's temporary file is there
            if any(p.name.startswith(".out.jsonl.") for p in tmp_path.iterdir()):
                break
            time.sleep(0.05)
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole process group
        code = proc.wait(timeout=60)
    assert code == 1 and "Aborted!" in (tmp_path / "err").read_text()
    assert "Traceback" not in (tmp_path / "err").read_text()
    assert not out.exists() and not any(p.name.startswith(".out") for p in tmp_path.iterdir())
