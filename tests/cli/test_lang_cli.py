"""The `sgl` command: the lazy group, and `exec`, `check`, `fmt` end to end.

The group and argument-reader tests need only the syntax layer; the `exec`/`check` tests
run the whole pipeline (parse, check, run) through click's runner, in process, and the
start-up tests run the real console script in a subprocess.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from seglam_lang.check.types import DATE, DECIMAL, FLOAT, INT, STR, ListT, MapT, OptionalT, TupleT
from seglam_lang.cli import COMMANDS, main
from seglam_lang.runtime.convert import ConvertError, from_json, read_literal

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def _sgl(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    code = "import sys; from seglam_lang.cli import main; sys.argv[0] = 'sgl'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, timeout=60)


# ---------------------------------------------------------------- the group


def test_help_lists_every_command_without_importing_them() -> None:
    probe = (
        "import sys\nfrom click.testing import CliRunner\nfrom seglam_lang.cli import main\n"
        "out = CliRunner().invoke(main, ['--help']).output\n"
        "print(out)\n"
        "infra = ('seglam_lang.cli.group', 'seglam_lang.cli.commands', 'seglam_lang.cli.failures')\n"
        "print('IMPORTED', sorted(m for m in sys.modules if m.startswith('seglam_lang.cli.') and m not in infra or m in "
        "('hypothesis', 'anthropic', 'seglam_lang.runtime.embedding')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60).stdout
    for name in COMMANDS:
        assert f"  {name} " in out
    assert "IMPORTED []" in out


def test_missing_command_module_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(COMMANDS, "nothing", ("seglam_lang.cli.not_written_yet:cmd", "A command not written yet."))
    code, _, err = run("nothing", "--whatever")
    assert code == 1
    assert "`sgl nothing` is not available" in err and "seglam_lang.cli.not_written_yet" in err
    assert "Traceback" not in err


def test_unknown_command_is_a_usage_error() -> None:
    code, _, err = run("frobnicate")
    assert code == 2 and "No such command" in err


# ---------------------------------------------------------------- argument readers

LITERALS = [
    ("42", INT, 42),
    ("-3", INT, -3),
    ("1", FLOAT, 1.0),
    ('"text"', STR, "text"),
    ("'it''s'", STR, "its"),
    ('Decimal("1.10")', DECIMAL, __import__("decimal").Decimal("1.10")),
    ("7", DECIMAL, __import__("decimal").Decimal(7)),
    ("0.05", DECIMAL, __import__("decimal").Decimal("0.05")),  # a number literal keeps its digits
    ("-1.10", DECIMAL, __import__("decimal").Decimal("-1.10")),
    ("0.1000000000000000000001", DECIMAL, __import__("decimal").Decimal("0.1000000000000000000001")),
    ('date("2024-01-03")', DATE, __import__("datetime").date(2024, 1, 3)),
    ("date(2024, 1, 3)", DATE, __import__("datetime").date(2024, 1, 3)),
    ("[1, 2]", ListT(INT), [1, 2]),
    ("[]", ListT(STR), []),
    ('{"a": 1}', MapT(STR, INT), {"a": 1}),
    ('(1, "a")', TupleT((INT, STR)), (1, "a")),
    ("None", OptionalT(INT), None),
    ("5", OptionalT(INT), 5),
]


@pytest.mark.parametrize(("text", "t", "expected"), LITERALS, ids=[x[0] for x in LITERALS])
def test_literal_is_read_by_type(text: str, t: object, expected: object) -> None:
    value = read_literal(text, t)  # type: ignore[arg-type]
    assert value == expected and type(value) is type(expected)


BAD_LITERALS = [
    ("True", INT, "expected Int, got Bool"),
    ("1.5", INT, "expected Int"),
    ("x + 1", INT, "expected Int, got an expression"),
    ("len([1])", INT, "expected Int, got len(...)"),
    ('date("2024-02-30")', DATE, "not an ISO date"),
    ("[1,", ListT(INT), "not an SGL literal"),
    ("(1, 2, 3)", TupleT((INT, INT)), "tuple of 2 items"),
    ("1\nproc f() -> Int:", INT, "single line"),
]


@pytest.mark.parametrize(("text", "t", "message"), BAD_LITERALS, ids=[x[0] for x in BAD_LITERALS])
def test_bad_literal_is_a_clear_error(text: str, t: object, message: str) -> None:
    with pytest.raises(ConvertError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        read_literal(text, t)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-10**30, max_value=10**30), max_size=8))
def test_int_list_literals_round_trip(xs: list[int]) -> None:
    assert read_literal(repr(xs), ListT(INT)) == xs


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_string_literals_round_trip(s: str) -> None:
    assert read_literal(repr(s), STR) == s


def test_json_is_read_by_type() -> None:
    import datetime
    import decimal

    assert from_json("2024-01-03", DATE) == datetime.date(2024, 1, 3)
    assert from_json("1.10", DECIMAL) == decimal.Decimal("1.10")
    assert from_json({"1": "a"}, MapT(INT, STR)) == {1: "a"}
    with pytest.raises(ConvertError, match="expected Int"):
        from_json(True, INT)


# ---------------------------------------------------------------- exec (needs the runtime)

needs_runtime = pytest.mark.skipif(importlib.util.find_spec("seglam_lang.runtime.embedding") is None,
                                   reason="the runtime is not there yet")


@pytest.fixture
def prog(tmp_path: Path) -> Path:
    p = tmp_path / "prog.sgl"
    p.write_text(
        "record Item:\n    name: Str\n    qty: Int = 1\n\n"
        "proc total(items: List[Item], extra: Int = 0) -> Int:\n"
        "    return sum(i.qty for i in items) + extra\n\n"
        "proc main(start: Date, end: Date) -> Int:\n    return (end - start).days\n\n"
        "proc positive(n: Int) -> Int:\n    require n > 0, \"n must be positive\"\n    return n\n\n"
        "proc spin() -> Int:\n    n = 0\n    while True:\n        n += 1\n    return n\n\n"
        "proc crash(n: Int) -> Int:\n    return 10 // n\n",
        encoding="utf-8",
    )
    return p


@needs_runtime
def test_exec_runs_main_with_literal_arguments(prog: Path) -> None:
    assert run("exec", str(prog), 'date("2024-01-03")', 'date("2024-03-05")') == (0, "62\n", "")


@needs_runtime
def test_exec_named_proc_keyword_and_record_arguments(prog: Path) -> None:
    code, out, _ = run("exec", str(prog), "total", '[Item(name="a", qty=3), Item(name="b")]', "extra=10")
    assert (code, out) == (0, "14\n")


@needs_runtime
def test_exec_args_json_and_json_output(prog: Path) -> None:
    code, out, _ = run("exec", str(prog), "--json", "--args-json", '{"start": "2024-01-03", "end": "2024-01-01"}')
    assert code == 0 and json.loads(out) == -2


@needs_runtime
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "no proc named 'nosuch'"),
        (["positive"], "missing argument(s): n"),
        (["positive", "1", "2"], "takes 1 argument(s)"),
        (["positive", "True"], "expected Int, got Bool"),
        (["positive", "m=1"], "no parameter named 'm'"),
        (["positive", "[1,"], "not an SGL literal"),
        (["--args-json", "{", "positive"], "not valid JSON"),
    ],
)
def test_exec_usage_errors_exit_2(prog: Path, args: list[str], message: str) -> None:
    code, out, err = run("exec", str(prog), *args)
    assert code == 2 and out == "" and message in err and "Traceback" not in err


@needs_runtime
def test_exec_runtime_errors_exit_1_with_sgl_trace(prog: Path) -> None:
    code, _, err = run("exec", str(prog), "crash", "0")
    assert code == 1 and "E0304" in err and "prog.sgl:" in err and "Traceback (most recent" not in err
    code, _, err = run("exec", str(prog), "positive", "-1")
    assert code == 1 and "E0301" in err and "n must be positive" in err
    code, _, err = run("exec", str(prog), "spin", "--steps", "1000")
    assert code == 1 and "E0401" in err


@needs_runtime
def test_exec_reports_check_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sgl"
    bad.write_text("proc main() -> Int:\n    return nope\n", encoding="utf-8")
    code, out, err = run("exec", str(bad))
    assert code == 1 and out == "" and "bad.sgl:2:12" in err and "E0201" in err and "^^^^" in err


def test_exec_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("exec", str(tmp_path / "nope.sgl"))
    assert code == 2 and "no such file" in err


@needs_runtime
def test_exec_examples_from_another_directory(tmp_path: Path) -> None:
    r = _sgl("exec", str(EXAMPLES / "days_between.sgl"), 'date("2024-01-03")', 'date("2024-03-05")', cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, "62\n", "")


@needs_runtime
def test_exec_imports_nothing_heavy(tmp_path: Path) -> None:
    """`sgl exec` of a small file imports no Hypothesis, LLM SDK or SQLite (its speed is bench/startup.py's)."""
    probe = (
        "import sys\nsys.argv = ['sgl', 'exec', sys.argv[1]]\n"
        "from seglam_lang.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('hypothesis', 'anthropic', 'httpx', 'sqlite3') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    small = tmp_path / "small.sgl"
    small.write_text("proc main() -> Int:\n    return 6 * 7\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", probe, str(small)], capture_output=True, text=True, timeout=60)
    assert out.stdout.splitlines() == ["42", "HEAVY []"], out.stderr


# ---------------------------------------------------------------- check


@needs_runtime
def test_check_clean_files_and_directories() -> None:
    code, out, _ = run("check", str(EXAMPLES))
    assert code == 0 and out.startswith("ok: ")


@needs_runtime
def test_check_reports_every_error_as_text_and_json(tmp_path: Path) -> None:
    (tmp_path / "a.sgl").write_text("proc f() -> Int:\n    return x\n\nproc g() -> Int:\n    return y\n", encoding="utf-8")
    (tmp_path / "b.sgl").write_text("proc h( -> Int:\n", encoding="utf-8")
    code, _, err = run("check", str(tmp_path))
    assert code == 1
    assert "a.sgl:2:12" in err and "a.sgl:5:12" in err and "b.sgl:1:" in err
    code, out, _ = run("check", "--json", str(tmp_path))
    result = json.loads(out)
    diags = result["diagnostics"]
    assert code == 1 and {d["code"] for d in diags} >= {"E0201", "E0101"}
    assert (result["code"], result["files"], result["errors"]) == (1, 2, 3) and result["error"].startswith(
        str(tmp_path / "a.sgl"))
    assert set(diags[0]) >= {"code", "message", "file", "line", "col", "end_line", "end_col", "hint"}


# ---------------------------------------------------------------- fmt


def test_fmt_rewrites_checks_and_reads_stdin(tmp_path: Path) -> None:
    p = tmp_path / "f.sgl"
    p.write_text("proc  f( x:Int )->Int:\n    return x+1  # kept\n", encoding="utf-8")
    code, out, _ = run("fmt", "--check", str(p))
    assert code == 1 and "would reformat" in out
    assert run("fmt", str(p))[0] == 0
    formatted = p.read_text(encoding="utf-8")
    assert "# kept" in formatted and "x + 1" in formatted
    assert run("fmt", "--check", str(p))[0] == 0
    assert run("fmt", "-", input="proc  f( x:Int )->Int:\n    return x+1  # kept\n")[1] == formatted
    assert not [q for q in tmp_path.iterdir() if q.name != "f.sgl"]  # no temp files left behind


def test_fmt_syntax_error_leaves_file_untouched(tmp_path: Path) -> None:
    p = tmp_path / "bad.sgl"
    p.write_text("proc f( -> Int:\n", encoding="utf-8")
    code, _, err = run("fmt", str(p))
    assert code == 1 and "bad.sgl:1:" in err
    assert p.read_text(encoding="utf-8") == "proc f( -> Int:\n"
