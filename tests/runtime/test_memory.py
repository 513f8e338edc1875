"""Memory battery: argument copies, `--json` output and the request log stay bounded.

- A proc that changes its argument works on a copy; the copy keeps the argument's sharing (as
  CPython's objects would be shared), so `[row] * 1000000` costs one copied row, not a million.
- `sgl exec` of a huge result, plain or `--json`, stops at 64M characters with a clear error,
  without first building the data or the text (the child runs under an address-space limit).
- The request log stores an answer capped at `LOGGED_ANSWER_CHARS`: a long answer never grows
  the index by its size, and a valid hit never turns into an error because its answer is long.
"""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest

import seglam_lang
from seglam_lang.cache.lookup import LOGGED_ANSWER_CHARS
from seglam_lang.cache.reasoning_cache import ReasoningCache
from seglam_lang.runtime.values import TRUNCATED, format_value_capped

MUTATES = """
proc touch(grid: List[List[Int]]) -> Int:
    grid[0][0] = 7
    return grid[1][0] + len(grid)

proc main(n: Int) -> Int:
    row = [0] * 10
    return touch([row] * n)

proc unchanged() -> Int:
    row = [0] * 3
    grid = [row] * 2
    touch(grid)
    return grid[0][0]
"""


def test_a_mutated_argument_copy_keeps_sharing_and_stays_small() -> None:
    m = seglam_lang.loads(MUTATES, name="copies")
    assert m.call("main", 10) == 7 + 10  # grid[0] and grid[1] are one row, as in CPython
    assert m.call("unchanged") == 0  # the caller's value never changes
    tracemalloc.start()
    try:
        assert m.call("main", 1_000_000) == 7 + 1_000_000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 150_000_000, f"peak {peak / 1e6:.0f} MB"  # the list of 10^6 references, copied once


def _sgl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    def limit_memory() -> None:  # the old --json path built > 1.2 GB before writing anything
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))

    code = "import sys; from seglam_lang.cli import main; sys.argv[0] = 'sgl'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, preexec_fn=limit_memory)


@pytest.mark.parametrize("as_json", [True, False], ids=["--json", "plain"])
def test_printing_a_huge_result_stops_cleanly(tmp_path: Path, as_json: bool) -> None:
    prog = tmp_path / "huge.sgl"
    prog.write_text("proc main() -> List[List[Int]]:\n    row = list(range(100))\n    return [row] * 1000000\n",
                    encoding="utf-8")
    proc = _sgl("exec", str(prog), *(["--json"] if as_json else []), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "too large" in proc.stderr or "too long" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stdout) < 10_000  # the error (as JSON under --json), never a partial result


def test_json_output_of_a_small_result_is_unchanged(tmp_path: Path) -> None:
    prog = tmp_path / "small.sgl"
    prog.write_text(textwrap.dedent("""
        proc main() -> Map[Tuple[Int, Str], List[Decimal]]:
            return {(1, "a"): [Decimal("1.10")], (2, "b"): []}
    """), encoding="utf-8")
    proc = _sgl("exec", str(prog), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == '{"[1, \\"a\\"]": ["1.10"], "[2, \\"b\\"]": []}\n'


LONG_ANSWERS = """
@when("long answer {n}")
proc long_answer(n: Int) -> List[Str]:
    \"\"\"n copies of a million-character text.\"\"\"
    return ["a" * 1000000] * n

example len(long_answer(2)) == 2

origin:
    request: "long answer 2"
    compiler: "hand"
"""


def test_the_request_log_caps_answers_and_long_hits_stay_hits(tmp_path: Path) -> None:
    cache = ReasoningCache(tmp_path / "cache", verify_options={"max_examples": 5, "time_budget": 2.0})
    try:
        (tmp_path / "long.sgl").write_text(LONG_ANSWERS, encoding="utf-8")
        cache.add(tmp_path / "long.sgl")
        for _ in range(5):
            assert len(cache.ask("long answer 50").answer) == 50
        assert len(cache.ask("long answer 70").answer) == 70  # 70M characters printed: over the 64M printer bound
        stats = cache.stats()
        assert (stats["requests"], stats["hits"]) == (6, 6)
    finally:
        cache.close()
    index = next((tmp_path / "cache").rglob("*.sqlite*"), None) or next((tmp_path / "cache").rglob("*.db"))
    with sqlite3.connect(index) as db:
        answers = [a for (a,) in db.execute("SELECT answer FROM requests")]
    assert len(answers) == 6
    assert all(len(a) <= LOGGED_ANSWER_CHARS + len(TRUNCATED) and a.endswith(TRUNCATED) for a in answers)
    assert sum(f.stat().st_size for f in (tmp_path / "cache").rglob("*") if f.is_file()) < 5_000_000


@pytest.mark.parametrize(("value", "cap", "text"), [
    ([1, 2, 3], 100, "[1, 2, 3]"),
    ([1, 2, 3], 9, "[1, 2, 3]"),
    ([1, 2, 3], 5, "[1, 2" + TRUNCATED),
    ("x" * 50, 10, '"xxxxxxxxx' + TRUNCATED),
    ([["a" * 10**6] * 1000] * 1000, 12, '[["aaaaaaaaa' + TRUNCATED),
])
def test_capped_printing(value: object, cap: int, text: str) -> None:
    assert format_value_capped(value, cap) == text
