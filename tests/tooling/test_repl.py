"""`sgl repl`: the session (bindings, declarations, diagnostics located in the input), the
reader that cuts a stream into inputs, the piped command and the interactive terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from seglam_lang.cli import main
from seglam_lang.tooling.repl import Reader, incomplete
from seglam_lang.tooling.session import Session

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def transcript(*inputs: str) -> list[tuple[bool, list[str], str]]:
    """Each input's (ok, results, messages joined) in one session."""
    session = Session()
    out = []
    for text in inputs:
        o = session.run(text)
        out.append((o.ok, o.results, "\n".join(o.messages)))
    return out


# (inputs, the results of the last input)
CASES = [
    (["1 + 2"], ["3"]),
    (["x = 41", "x + 1"], ["42"]),
    (["x = 1", 'x = "now a string"', "x"], ['"now a string"']),
    (["x = 1", "x += 2", "x *= 10", "x"], ["30"]),
    (["a, b = 1, 2", "(b, a)"], ["(2, 1)"]),
    (["xs = [1, 2]", "xs.append(3)", "xs"], ["[1, 2, 3]"]),
    (["xs: List[Int] = []", "xs.append(7)", "xs"], ["[7]"]),
    (["m: Map[Str, Int] = {}", "m[\"k\"] = 2", "m"], ["{\"k\": 2}"]),
    (['"alone"'], ['"alone"']),
    (['"""two\nlines"""'], ['"two\\nlines"']),
    (["None"], []),
    (["range(3)"], ["<Iter[Int]> [0, 1, 2]"]),
    (['{"a": 1}.items()'], ['<View[Tuple[Str, Int]]> [("a", 1)]']),
    (["x = 5", "if x > 2:\n    y = 1\nelse:\n    y = 2", "y"], ["1"]),
    (["t = 0", "for i in range(4):\n    t += i", "t"], ["6"]),
    (["proc sq(n: Int) -> Int:\n    return n * n", "sq(7)"], ["49"]),
    (["proc f() -> Int:\n    return 1", "proc f() -> Int:\n    return 2", "f()"], ["2"]),
    (["record P:\n    a: Int\n    b: Str = \"q\"", "p = P(a=1)", "p"], ['P(a=1, b="q")']),
    (["use std.math", "math.floor(2.5)"], ["2"]),
    (["d = date(2024, 1, 3)", "d + duration(days=1)"], ["date(2024, 1, 4)"]),
    (["example 1 + 1 == 2"], ["example 1 + 1 == 2: passed"]),
    (["s = 'x'", "f\"{s}-{s}\""], ['"x-x"']),
]


@pytest.mark.parametrize(("inputs", "last"), CASES, ids=[" | ".join(c[0]) for c in CASES])
def test_inputs_keep_bindings_and_declarations(inputs: list[str], last: list[str]) -> None:
    results = transcript(*inputs)
    for text, (ok, _, messages) in zip(inputs, results):
        assert ok, f"{text!r} failed: {messages}"
    assert results[-1][1] == last


# (a failing input, the code it reports, the line:col it reports in the input)
ERRORS = [
    ("zz + 1", "E0201", "1:1"),
    ("1 +", "E0101", "1:4"),
    ("x = 1\nx.nope()", "E0203", "2:1"),
    ("len", "E0230", "1:1"),
    ("1 // 0", "E0304", "1:1"),
    ('int("x")', "E03", "1:1"),
    ("return 3", "E0500", "1:1"),
    ("while True:\n    pass", "E0401", "1:1"),
    ("proc f(n: Int) -> Int:\n    return n + \"a\"", "E0211", "2:12"),
    ("use std.nosuch", "E0205", "1:1"),
    ("example 1 == 2", "", ""),
]


@pytest.mark.parametrize(("text", "code", "where"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_diagnostics_located_in_the_input_and_never_end_the_session(
        text: str, code: str, where: str) -> None:
    session = Session(limits=Session().limits.replace(steps=10_000))
    session.run("keep = 7")
    o = session.run(text)
    assert not o.ok
    shown = "\n".join(o.messages + o.results)
    assert f"error[{code}" in shown or (not code and "failed" in shown), shown
    if where:
        assert f"<input>:{where}:" in shown, shown
    assert "<repl>" not in shown and "__repl__" not in shown
    after = session.run("keep + 1")
    assert after.ok and after.results == ["8"], "the session lost its bindings after an error"


def test_type_of_does_not_run() -> None:
    session = Session()
    session.run("xs = [1.5]")
    assert session.type_of("{x: [x] for x in xs}").results == ["Map[Float, List[Float]]"]
    assert session.type_of("1 // 0").results == ["Int"]  # not run
    bad = session.type_of("x = 1")
    assert not bad.ok and ":type takes one expression" in bad.messages[0]


def test_unkeepable_binding_is_a_note() -> None:
    session = Session()
    o = session.run("e = []")
    assert o.ok and "`e` (List[Any]) is not kept" in o.messages[0]
    assert not session.run("e").ok


def test_load_file_brings_names_in() -> None:
    session = Session()
    o = session.load_file(str(EXAMPLES / "basket.sgl"))
    assert o.ok, o.messages
    assert "basket_total" in o.results[0]
    r = session.run('basket_total([Item(name="pen", unit_price=Decimal("1.10"), qty=3)])')
    assert r.results == ['Decimal("3.96")']


def test_load_bad_file_reports_its_own_positions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sgl"
    bad.write_text("proc f() -> Int:\n    return nope\n", encoding="utf-8")
    o = Session().load_file(str(bad))
    assert not o.ok and f"{bad}:2:12: error[E0201]" in o.messages[0]
    missing = Session().load_file(str(tmp_path / "missing.sgl"))
    assert not missing.ok and "cannot read" in missing.messages[0]


@settings(max_examples=30, deadline=None)
@given(st.integers(-10**12, 10**12), st.integers(-10**6, 10**6))
def test_bindings_carry_values(a: int, b: int) -> None:
    session = Session()
    assert session.run(f"x = {a}").ok
    assert session.run(f"x = x * 3 + ({b})").ok
    assert session.run("x // 7").results == [str((a * 3 + b) // 7)]


# ---------------------------------------------------------------- reading inputs


def inputs_of(text: str, *, piped: bool = True) -> list[str]:
    lines = iter(text.split("\n"))
    reader = Reader(lambda prompt: next(lines, None), look_past_blanks=piped)
    out = []
    while (item := reader.read()) is not None:
        out.append(item)
    return out


def test_reader_cuts_blocks_brackets_and_commands() -> None:
    text = "\n".join([
        "x = 1",
        "if x:",
        "    y = 2",
        "else:",
        "    y = 3",
        "xs = [1,",
        "  2]",
        '@when("double {n}")',
        "proc d(n: Int) -> Int:",
        "    m = n",
        "",
        "    return m * 2",
        ":type x",
        's = """a:',
        'b"""',
        "",
        "",
        "d(1)",
    ])
    assert inputs_of(text) == [
        "x = 1",
        "if x:\n    y = 2\nelse:\n    y = 3",
        "xs = [1,\n  2]",
        '@when("double {n}")\nproc d(n: Int) -> Int:\n    m = n\n\n    return m * 2',
        ":type x",
        's = """a:\nb"""',
        "d(1)",
    ]
    # On a terminal a blank line ends the block at once.
    assert inputs_of("if x:\n    y = 2\n\n    z = 3", piped=False) == ["if x:\n    y = 2", "    z = 3"]


@pytest.mark.parametrize(("text", "open_"), [
    ("f(1,", True), ("f(1)", False), ('"("', False), ('"""doc', True), ('"""doc"""', False),
    ("x = 1 \\", True), ("# (", False), ("{'a': [1]", True), ("'it''s'", False),
])
def test_incomplete(text: str, open_: bool) -> None:
    assert incomplete(text) is open_


# ---------------------------------------------------------------- the command


def test_piped_prints_each_result() -> None:
    sgl = Path(sys.executable).parent / "sgl"  # the console script installed with the package
    out = subprocess.run([str(sgl), "repl"], input="1 + 2\nx = 2\nx * 21\n", capture_output=True, text=True,
                         timeout=120)
    assert (out.stdout, out.stderr, out.returncode) == ("3\n42\n", "", 0)


def test_piped_exit_status_and_preloaded_files() -> None:
    r = CliRunner().invoke(main, ["repl", str(EXAMPLES / "basket.sgl")], input="nope\nVAT_STANDARD\n")
    assert r.exit_code == 1
    assert r.stdout.splitlines()[-1] == 'Decimal("0.20")'
    assert "error[E0201]" in r.stderr
    r = CliRunner().invoke(main, ["repl", "--steps", "50"], input="t = 0\nwhile True:\n    t += 1\n\nt\n")
    assert r.exit_code == 1 and "error[E0401]" in r.stderr and r.stdout == "0\n"


def test_commands() -> None:
    r = CliRunner().invoke(main, ["repl"], input=":help\n:bogus\n:type\n:quit\n1 + 1\n")
    assert ":type EXPR" in r.stdout
    assert "unknown command :bogus" in r.stderr and "usage: :type EXPR" in r.stderr
    assert "2" not in r.stdout.split(":quit")[-1]  # nothing after :quit runs
    assert r.exit_code == 1


def test_terminal_prompts_and_history(tmp_path: Path) -> None:
    history = tmp_path / "history"
    pid, fd = pty.fork()
    if pid == 0:  # the child: a real terminal on its stdin and stdout
        os.environ["SGL_HISTORY"] = str(history)
        os.execvp(sys.executable, [sys.executable, "-c", "from seglam_lang.cli import main; main(['repl'])"])
    output = b""

    def read_until(marker: bytes, timeout: float = 120) -> None:
        nonlocal output
        end = time.monotonic() + timeout
        while marker not in output and time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    output += os.read(fd, 4096)
                except OSError:
                    break
        assert marker in output, f"no {marker!r} in {output!r}"

    try:
        read_until(b">>> ")
        os.write(fd, b"proc inc(n: Int) -> Int:\r")
        read_until(b"... ")
        os.write(fd, b"    return n + 1\r\r")
        read_until(b">>> ")
        output = b""
        os.write(fd, b"inc(41)\r")
        read_until(b"42")
        os.write(fd, b":quit\r")
        end = time.monotonic() + 120
        status = None
        while status is None and time.monotonic() < end:
            done, raw = os.waitpid(pid, os.WNOHANG)
            status = raw if done else None
            if status is None:
                time.sleep(0.1)
        assert status is not None, "the REPL did not exit on :quit"
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
    assert "inc(41)" in history.read_text(encoding="utf-8")


def test_a_bug_in_one_input_does_not_end_the_session(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from seglam_lang.tooling.repl import Repl

    session = Session()
    real = session.run

    def flaky(text: str) -> object:
        if text == "boom":
            raise RuntimeError("simulated bug")
        return real(text)

    monkeypatch.setattr(session, "run", flaky)
    repl = Repl(session, interactive=False)
    lines = iter(["boom", "1 + 1"])
    repl.loop(Reader(lambda prompt: next(lines, None)))
    out, err = capsys.readouterr()
    assert "internal error: RuntimeError: simulated bug" in err and out == "2\n" and repl.failed
