"""Stack battery: deep values and deep calls end with the right answer or a clean SGL error, never SIGSEGV.

Each case runs in a subprocess (a C stack overflow kills the process, so a crash fails the test
instead of killing pytest), twice there: in the main thread and in a thread started with
`threading.stack_size(512 * 1024)` (what macOS gives secondary threads). The outcome is printed
as one JSON line per thread: the value, or the SGL error code.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import seglam_lang
from seglam_lang import LimitExceeded, Limits

PRELUDE = """
use std.json as json

record Node:
    v: Int
    next: Node?

record Tree:
    kids: List[Tree]

record Keyed:
    key: Tuple[Int, Node?]

proc chain(n: Int) -> Node?:
    head: Node? = None
    for i in range(n):
        head = Node(v=i, next=head)
    return head

proc tree(n: Int) -> Tree:
    t = Tree(kids=[])
    for i in range(n):
        t = Tree(kids=[t])
    return t

proc keyed(n: Int) -> Keyed:
    k = Keyed(key=(0, None))
    for i in range(n):
        k = Keyed(key=(i, Node(v=i, next=Node(v=i, next=None))))
    return k

proc down(n: Int) -> Int:
    if n == 0:
        return 0
    return 1 + down(n - 1)

proc down_sorted(n: Int) -> Int:
    if n == 0:
        return 0
    return sorted([n], key=lambda x: down_sorted(n - 1))[0]

proc down_sum(n: Int) -> Int:
    if n == 0:
        return 0
    return sum(down_sum(n - 1) for i in range(1)) + 1

proc down_value(n: Int) -> Int:
    if n == 0:
        return 0
    return max(map(down_value, [n - 1])) + 1
"""

RUNNER = """
import json, sys, threading
import seglam_lang
from seglam_lang import Limits, SglError

src, body, limits = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
m = seglam_lang.loads(src + body, name="deep")

def run(label):
    before = sys.getrecursionlimit()
    try:
        value = m.call_sgl("main", [], {}, limits=Limits(**limits))
        out = {"value": value if isinstance(value, (bool, int, str)) else repr(type(value))}
    except SglError as e:
        out = {"error": e.diagnostic.code}
    out["restored"] = sys.getrecursionlimit() == before
    print(label, json.dumps(out), flush=True)

run("main")
threading.stack_size(512 * 1024)
t = threading.Thread(target=run, args=("thread",))
t.start()
t.join()
"""

DEEP = {"call_depth": 1000, "steps": 50_000_000, "timeout": 120.0}
# `{"v": i, "next": ...}` per node, `null` at the end; `Node(v=i, next=...)`, `None` at the end.
JSON_30000 = sum(len('{"v": , "next": }') + len(str(i)) for i in range(30000)) + len("null")
STR_20000 = sum(len("Node(v=, next=)") + len(str(i)) for i in range(20000)) + len("None")
DEFAULT: dict[str, object] = {}

# (id, body of `proc main()`, limits, expected outcome in the main thread, in a 512 KB thread)
CASES: list[tuple[str, str, dict[str, object], dict[str, object], dict[str, object]]] = [
    ("== on 100,000-long linked records", "proc main() -> Bool:\n    return chain(100000) == chain(100000)\n",
     DEEP, {"value": True}, {"value": True}),
    ("!= on deep records differing at the end",
     "proc main() -> Bool:\n    return chain(100000) != chain(99999)\n", DEEP, {"value": True}, {"value": True}),
    ("== on records nested through lists", "proc main() -> Bool:\n    return tree(100000) == tree(100000)\n",
     DEEP, {"value": True}, {"value": True}),
    ("in on a list of deep records", "proc main() -> Bool:\n    return tree(100000) in [tree(5), tree(100000)]\n",
     DEEP, {"value": True}, {"value": True}),
    ("hashing a deep record (set member)", "proc main() -> Int:\n    return len({chain(100000), chain(100000)})\n",
     DEEP, {"value": 1}, {"value": 1}),
    ("hashing a deep record (map key)",
     "proc main() -> Int:\n    m = {chain(100000): 1}\n    return m[chain(100000)]\n", DEEP, {"value": 1}, {"value": 1}),
    ("hashing records through tuples", "proc main() -> Int:\n    return len({keyed(50000), keyed(50000)})\n",
     DEEP, {"value": 1}, {"value": 1}),
    ("json.parse of 200,000 nested arrays",
     'proc main() -> Int:\n    x: List[Int] = json.parse("[" * 200000 + "]" * 200000)\n    return len(x)\n',
     DEEP, {"error": "E0307"}, {"error": "E0307"}),
    ("json.write of a 30,000-deep record",
     "proc main() -> Int:\n    return len(json.write(chain(30000)))\n", DEEP, {"value": JSON_30000}, {"value": JSON_30000}),
    ("str of a 100,000-deep record", "proc main() -> Int:\n    return len(str(chain(100000)))\n",
     DEEP, {"error": "E0403"}, {"error": "E0403"}),
    ("str of a 20,000-deep record", "proc main() -> Int:\n    return len(str(chain(20000)))\n",
     DEEP, {"value": STR_20000}, {"value": STR_20000}),
    ("a deep record returned to the host", "proc main() -> Node?:\n    return chain(100000)\n",
     DEEP, {"value": "<class 'seglam_lang.runtime.values.Record'>"},
     {"value": "<class 'seglam_lang.runtime.values.Record'>"}),
    ("plain recursion at the depth limit", "proc main() -> Int:\n    return down(198)\n",
     DEFAULT, {"value": 198}, {"value": 198}),
    ("plain recursion with a huge depth limit", "proc main() -> Int:\n    return down(100000)\n",
     {"call_depth": 100_000, "steps": 10**8, "timeout": 120.0}, {"error": "E0406"}, {"error": "E0406"}),
    ("recursion through sorted(key=...) under default limits", "proc main() -> Int:\n    return down_sorted(90)\n",
     DEFAULT, {"value": 90}, {"error": "E0406"}),
    ("recursion through sorted(key=...) with a big depth limit",
     "proc main() -> Int:\n    return down_sorted(5000)\n", {"call_depth": 10_000, "steps": 10**8},
     {"error": "E0406"}, {"error": "E0406"}),
    ("recursion through a generator pulled by sum", "proc main() -> Int:\n    return down_sum(5000)\n",
     {"call_depth": 10_000, "steps": 10**8}, {"error": "E0406"}, {"error": "E0406"}),
    ("recursion through a proc value given to map", "proc main() -> Int:\n    return down_value(5000)\n",
     {"call_depth": 10_000, "steps": 10**8}, {"error": "E0406"}, {"error": "E0406"}),
]


@pytest.mark.parametrize(("body", "limits", "main", "thread"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_deep_values_and_calls_never_crash(body: str, limits: dict[str, object], main: dict[str, object],
                                          thread: dict[str, object]) -> None:
    proc = subprocess.run([sys.executable, "-c", RUNNER, PRELUDE, body, json.dumps(limits)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    assert json.loads(lines["main"]) == {**main, "restored": True}
    assert json.loads(lines["thread"]) == {**thread, "restored": True}


@pytest.mark.parametrize("field", ["steps", "call_depth", "int_bits", "str_len", "collection_len", "memory_mb"])
@pytest.mark.parametrize("value", [10**100, 0, -1, True, 1.5, "10"])
def test_absurd_limits_are_refused_with_the_allowed_range(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=rf"Limits\.{field} must be an integer from [\d,]+ to [\d,]+ \(got "):
        Limits(**{field: value})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 0, -1.0, 10**9, "1"])
def test_absurd_timeouts_are_refused_with_the_allowed_range(value: object) -> None:
    with pytest.raises(ValueError, match=r"Limits\.timeout must be a number of seconds from 0\.001 to 1,000,000"):
        Limits(timeout=value)  # type: ignore[arg-type]


def test_call_depth_of_ten_to_the_eighth_is_refused_not_an_overflow() -> None:
    with pytest.raises(ValueError, match=r"call_depth must be an integer from 1 to 100,000 \(got 100000000\)"):
        Limits(call_depth=10**8)
    with pytest.raises(ValueError):
        Limits().replace(call_depth=10**8)


def test_the_recursion_limit_is_restored_after_a_failing_run() -> None:
    m = seglam_lang.loads(textwrap.dedent(PRELUDE) + "proc main() -> Int:\n    return down(100000)\n", name="deep")
    before = sys.getrecursionlimit()
    with pytest.raises(LimitExceeded):
        m.call("main", limits=Limits(call_depth=100_000, steps=10**8))
    assert sys.getrecursionlimit() == before
