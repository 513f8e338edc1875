"""Benchmark: concurrent misses on one cache folder (the single-flight policy of `cache/miss.py`).

Not a timed test. Run:  python bench/concurrent_misses.py [--threads 16] [--delay 1.0]

The LLM is simulated in-process: it takes `--delay` seconds per call, then writes the module of
the request's kind with the right answer (the loop, the verification and the store are real).
It measures:
- one kind: `--threads` threads, each with its own `ReasoningCache` on one folder (as separate
  hosts would be), ask "Reverse the words of alpha beta gamma {i}" at once: LLM calls made,
  versions stored, and the wall time of the slowest;
- unrelated kinds: the time an unrelated miss takes alone, and while a compile of another kind
  is in flight (its wait for that compile is the difference; the policy says it is none).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import threading
import time
from pathlib import Path

from seglam_lang.cache import ReasoningCache
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
MULTIPLY = '''\
@when("multiply {a} by {b}")
proc multiply(a: Int, b: Int) -> Int:
    """The product of two integers."""
    return a * b

example multiply(6, 7) == 42
'''
OPTIONS = {"max_examples": 10, "time_budget": 2.0}


class SimulatedLLM:
    name = "simulated"
    model = "bench"

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls = 0
        self._lock = threading.Lock()

    def complete(self, prompt: Prompt) -> Completion:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay)
        found = re.search(r"reverse the words of (.*?)\s*$", prompt.request, re.I)
        if found:
            reply = {"action": "compile", "module": REVERSE, "answer": " ".join(reversed(found.group(1).split()))}
        else:
            a, b = map(int, re.findall(r"\d+", prompt.request)[:2])
            reply = {"action": "compile", "module": MULTIPLY, "answer": str(a * b)}
        return Completion(reply, Usage(1, 1))


def one_kind(root: Path, threads: int, delay: float) -> None:
    llm = SimulatedLLM(delay)
    caches = [ReasoningCache(root, compiler=LLMCompiler(llm), verify_options=OPTIONS) for _ in range(threads)]
    wrong: list[int] = []

    def ask(i: int) -> None:
        if caches[i].ask(f"Reverse the words of alpha beta gamma {i}").answer != f"{i} gamma beta alpha":
            wrong.append(i)

    t0 = time.perf_counter()
    pool = [threading.Thread(target=ask, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - t0
    versions = len(caches[0].history("reverse_words"))
    print(f"one kind, {threads} threads: {llm.calls} LLM call(s), {versions} version(s) stored, "
          f"{len(wrong)} wrong answer(s), slowest {wall:.2f} s (one LLM call takes {delay:.2f} s)")


def unrelated(root: Path, delay: float) -> None:
    def timed_miss(folder: Path) -> float:
        rc = ReasoningCache(folder, compiler=LLMCompiler(SimulatedLLM(0.0)), verify_options=OPTIONS)
        t0 = time.perf_counter()
        assert rc.ask("multiply 6 by 7").answer == 42
        return time.perf_counter() - t0

    alone = timed_miss(root / "alone")
    slow = ReasoningCache(root / "shared", compiler=LLMCompiler(SimulatedLLM(delay * 3)), verify_options=OPTIONS)
    busy = threading.Thread(target=lambda: slow.ask("Reverse the words of one two"))
    busy.start()
    time.sleep(delay)  # the other kind's compile is in flight now
    beside = timed_miss(root / "shared")
    still_busy = busy.is_alive()
    busy.join()
    print(f"unrelated miss: alone {alone * 1000:.0f} ms; beside a compile in flight {beside * 1000:.0f} ms "
          f"(that compile still running when it ended: {still_busy})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds per simulated LLM call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one_kind(Path(tmp) / "one", args.threads, args.delay)
        unrelated(Path(tmp), args.delay)


if __name__ == "__main__":
    main()
