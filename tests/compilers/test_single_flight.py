"""Concurrent misses: one LLM call per kind of request, across threads and processes; misses of
unrelated kinds do not wait for each other; a compile never replaces another kind's family.

The LLM is a backend that writes the module of the request's kind and answers the very request
it was sent, so whichever miss compiles, its reply verifies. Waiting is tested with events
rather than timings: a miss that waited where it must not would never finish."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from compiler_support import ChatServer

from seglam_lang.cache import ReasoningCache
from seglam_lang.cache.miss import kind_words, may_share_kind
from seglam_lang.compilers.backends import Completion, Usage
from seglam_lang.compilers.loop import LLMCompiler
from seglam_lang.compilers.prompt import Prompt

REVERSE = '''\
@when("reverse the words of {text}")
proc reverse_words(text: Str) -> Str:
    """The words of a text in reverse order."""
    return " ".join(reversed(text.split()))

example reverse_words("a b c") == "c b a"
'''

CALC_TIMES = '''\
@when("multiply {a} by {b}")
proc calc(a: Int, b: Int) -> Int:
    """The product of two integers."""
    return a * b

example calc(6, 7) == 42
'''

CALC_PLUS = '''\
@when("add {a} and {b}")
proc calc(a: Int, b: Int) -> Int:
    """The sum of two integers."""
    return a + b

example calc(6, 7) == 13
'''

OPTIONS = {"max_examples": 10, "time_budget": 2.0}


def reverse_reply(request: str) -> dict[str, str]:
    """What a right LLM replies to "Reverse the words of ...": the module and the answer."""
    text = re.search(r"reverse the words of (.*?)\s*$", request, re.I | re.S)
    assert text is not None, request
    return {"action": "compile", "module": REVERSE, "answer": " ".join(reversed(text.group(1).split()))}


class KindBackend:
    """An LLM that knows the kinds: it waits on `gate` (when set), then replies for the request."""

    name = "kind"
    model = "test"

    def __init__(self, gate: threading.Barrier | threading.Event | None = None) -> None:
        self.gate = gate
        self.calls: list[str] = []
        self.started = threading.Event()
        self._lock = threading.Lock()

    def complete(self, prompt: Prompt) -> Completion:
        with self._lock:
            self.calls.append(prompt.request)
        self.started.set()
        if isinstance(self.gate, threading.Barrier):
            self.gate.wait(60)
        elif isinstance(self.gate, threading.Event):
            assert self.gate.wait(60), "the gate was never opened"
        if "reverse" in prompt.request.lower():
            return Completion(reverse_reply(prompt.request), Usage(10, 5))
        a, b = map(int, re.findall(r"\d+", prompt.request)[:2])
        module, answer = (CALC_TIMES, a * b) if "multiply" in prompt.request else (CALC_PLUS, a + b)
        return Completion({"action": "compile", "module": module, "answer": str(answer)}, Usage(10, 5))


def cache(root: Path, backend: KindBackend) -> ReasoningCache:
    return ReasoningCache(root, compiler=LLMCompiler(backend), verify_options=OPTIONS)


def run_threads(targets: list[object]) -> None:
    threads = [threading.Thread(target=t) for t in targets]  # type: ignore[arg-type]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a miss never finished"


@pytest.mark.parametrize(("a", "b", "related"), [
    ("Reverse the words of alpha beta gamma 3", "Reverse the words of alpha beta gamma 11", True),
    ("Sort these words: pear fig apple", "Sort these words: kiwi banana", True),
    ("What is 6 times 7?", "what is 11 times 12", True),
    ("12 + 30", "7 + 8", True),  # nothing but numbers: nothing tells them apart
    ("What is 6 times 7?", "Reverse the words of alpha beta", False),
    ("multiply 6 by 7", "add 6 and 7", False),
    ("How many days between 2024-01-03 and 2024-03-05?", "What is the capital of France?", False),
])
def test_which_misses_may_share_a_kind(a: str, b: str, related: bool) -> None:
    assert may_share_kind(kind_words(a), kind_words(b)) is related
    assert may_share_kind(kind_words(b), kind_words(a)) is related


def test_sixteen_threads_of_one_kind_cost_one_call(tmp_path: Path) -> None:
    gate = threading.Event()
    backend = KindBackend(gate)
    caches = [cache(tmp_path / "c", backend) for _ in range(16)]  # one per thread, as separate hosts would
    answers: dict[int, object] = {}

    def ask(i: int) -> None:
        answers[i] = caches[i].ask(f"Reverse the words of alpha beta gamma {i}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    assert backend.started.wait(60)
    time.sleep(0.5)  # the other threads miss (in microseconds) and queue behind the compile
    gate.set()
    for t in threads:
        t.join(120)
    assert len(backend.calls) == 1
    assert {i: a.answer for i, a in answers.items()} == {i: f"{i} gamma beta alpha" for i in range(16)}
    assert sum(a.llm_calls for a in answers.values()) == 1
    assert [(h["version"], h["note"]) for h in caches[0].history("reverse_words")] == [(1, "added")]
    assert [f.name for f in caches[0].ls()] == ["reverse_words"]
    assert not (tmp_path / "c" / "locks").exists()


def test_eight_processes_of_one_kind_cost_one_call(tmp_path: Path, server: ChatServer) -> None:
    """Eight `sgl ask` processes, one loopback server: the first request is held until every
    process has started and missed, so they all overlap the one compile."""
    release = threading.Event()
    server.replies = [(200, lambda body: json.dumps(reverse_reply(_request_of(body))))] * 8
    server.before_reply = lambda: release.wait(60)
    env = {k: v for k, v in os.environ.items() if k not in ("SGL_COMPILER", "ANTHROPIC_API_KEY", "OPENAI_API_KEY")}
    folder = str(tmp_path / "c")
    procs = [subprocess.Popen([sys.executable, "-c", "from seglam_lang.cli import main; main()", "ask",
                               f"Reverse the words of alpha beta gamma {i}", "--cache", folder,
                               "--compiler", server.spec()], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for i in range(8)]
    try:
        _wait_for(lambda: len(server.requests) == 1 and all(_opened(p.pid, Path(folder)) for p in procs), 120)
        time.sleep(1.0)  # each has opened the cache: it misses in milliseconds and queues behind the compile
    finally:
        release.set()
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [(p.returncode, out) for p, (out, _) in zip(procs, outputs)] == \
        [(0, f"{i} gamma beta alpha\n") for i in range(8)], outputs
    assert len(server.requests) == 1
    rc = ReasoningCache(folder)
    assert rc.stats()["llm_calls"] == 1 and [f.name for f in rc.ls()] == ["reverse_words"]
    assert [h["note"] for h in rc.history("reverse_words")] == ["added"]
    assert not Path(folder, "locks").exists()


def test_an_unrelated_miss_does_not_wait(tmp_path: Path) -> None:
    """A compile of one kind is held in flight until a miss of another kind has been compiled
    and answered: if that miss waited for it, neither would ever finish."""
    gate = threading.Event()
    held_back = KindBackend(gate)
    slow, fast = cache(tmp_path / "c", held_back), cache(tmp_path / "c", KindBackend())
    answers: list[object] = []

    def unrelated() -> None:
        assert held_back.started.wait(60)
        answers.append(fast.ask("multiply 6 by 7").answer)
        gate.set()

    run_threads([lambda: answers.append(slow.ask("Reverse the words of one two").answer), unrelated])
    assert answers == [42, "two one"]


def test_concurrent_compiles_never_replace_each_other(tmp_path: Path) -> None:
    """Two kinds compiled at the same moment whose modules both name their proc `calc`: the
    second becomes `calc_2`; both kinds keep answering (issue 16 §8)."""
    both_in_flight = threading.Barrier(2)
    caches = [cache(tmp_path / "c", KindBackend(both_in_flight)) for _ in range(2)]
    answers: dict[str, object] = {}

    def ask(i: int, request: str) -> None:
        answers[request] = caches[i].ask(request).answer

    run_threads([lambda: ask(0, "multiply 6 by 7"), lambda: ask(1, "add 6 and 7")])
    assert answers == {"multiply 6 by 7": 42, "add 6 and 7": 13}
    rc = caches[0]
    assert sorted(f.name for f in rc.ls()) == ["calc", "calc_2"]
    assert [len(rc.history(n)) for n in ("calc", "calc_2")] == [1, 1]
    assert rc.ask("multiply 3 by 4").answer == 12 and rc.ask("add 3 and 4").answer == 7


def _request_of(body: dict[str, object]) -> str:
    messages = body["messages"]
    assert isinstance(messages, list)
    found = re.search(r"Reverse the words of alpha beta gamma \d+", messages[-1]["content"])
    assert found is not None
    return found.group(0)


def _opened(pid: int, folder: Path) -> bool:
    """Has process `pid` opened the cache's index? (Where /proc is missing: after a few seconds.)"""
    fds = Path(f"/proc/{pid}/fd")
    if not Path("/proc/self/fd").exists():
        time.sleep(5)
        return True
    try:
        return any(os.readlink(fd) == str(folder / "index.sqlite") for fd in fds.iterdir())
    except OSError:
        return False  # the process is gone or the fd closed meanwhile: look again


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
