"""The run-wide memory bound (`Limits.memory_mb`, E0407): many values each under the size
limits, which together would take gigabytes, end the run early and leave the process small."""

from __future__ import annotations

import os
import time

import pytest

import seglam_lang
from seglam_lang.runtime.limits import resident_bytes

BOMBS = {
    "many small lists": "xs = [[i] * 999 for i in range(1000000)]\n    return len(xs)",
    "many large strings": "xs = []\n    for i in range(2000):\n        xs.append(\"a\" * 999999)\n    return len(xs)",
    "map of lists": "m = {}\n    for i in range(1000000):\n        m[i] = list(range(500))\n    return len(m)",
}


@pytest.mark.parametrize("body", BOMBS.values(), ids=BOMBS.keys())
def test_memory_bombs_end_with_e0407(body: str) -> None:
    module = seglam_lang.loads(f"proc main() -> Int:\n    {body}\n")
    before = resident_bytes()
    started = time.process_time()
    with pytest.raises(seglam_lang.LimitExceeded) as info:
        module.call("main", limits=seglam_lang.Limits(memory_mb=48, steps=10**9, timeout=120))
    assert info.value.diagnostic.code == "E0407"
    assert "memory_mb" in (info.value.diagnostic.hint or "")
    assert time.process_time() - started < 5
    assert resident_bytes() - before < 200 << 20  # the values were freed with the run


def test_a_normal_run_is_not_limited() -> None:
    module = seglam_lang.loads("proc main() -> Int:\n    xs = [i * i for i in range(200000)]\n    return sum(xs)\n")
    assert module.call("main", limits=seglam_lang.Limits(memory_mb=48)) == sum(i * i for i in range(200000))


def test_resident_memory_is_the_callers_own_after_fork() -> None:
    """The memory bound reads /proc/self/statm through a descriptor kept open: a forked child
    must read its own memory, not its parent's (the descriptor it inherits names the parent)."""
    resident_bytes()  # the parent's descriptor is open
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: grow by 256 MB and report what it reads
        os.close(read)
        before = resident_bytes()
        ballast = bytearray(256 << 20)
        ballast[:: 4096] = b"x" * len(ballast[:: 4096])  # touch every page
        os.write(write, f"{before} {resident_bytes()}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        before, after = map(int, f.read().split())
    os.waitpid(pid, 0)
    assert after - before >= 200 << 20
    assert resident_bytes() < after - (100 << 20)  # the parent did not grow
