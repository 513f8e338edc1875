"""The conventions every `sgl` command follows (spec/cli.md "Conventions"): exit codes, one
JSON object for every failure under --json, missing inputs, cache folders that are not
there or are URLs, stdin for check, help for every option, and `test -k`."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from seglam_lang.cli import COMMANDS, main
from seglam_lang.cli.cachedir import READ_ONLY

PROG = '''
@when("add {a} and {b}")
proc add(a: Int, b: Int) -> Int:
    """The sum."""
    require a >= 0, "a must not be negative"
    return a + b

example add(1, 2) == 3
example add(2, 2) == 4

property add_commutes(a: Int, b: Int):
    require a >= 0 and b >= 0
    assert add(a, b) == add(b, a)

property add_grows(a: Int, b: Int):
    require a >= 0 and b >= 0
    assert add(a, b) >= a
'''


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args), input=input, env=env)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "prog.sgl").write_text(PROG, encoding="utf-8")
    (tmp_path / "bad.sgl").write_text("proc f() -> Int:\n    return nope\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SGL_CACHE", raising=False)
    monkeypatch.delenv("SGL_COMPILER", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return tmp_path


@pytest.fixture
def cache(here: Path) -> str:
    assert run("cache", "add", "prog.sgl", "--cache", "c")[0] == 0
    return "c"


# ---------------------------------------------------------------- --json: one object for every failure

FAILURES = [
    (["exec", "prog.sgl", "--json", "--", "-1", "2"], 1, "E0301"),
    (["exec", "prog.sgl", "--json", "x"], 2, "E0500"),
    (["exec", "prog.sgl", "--json", '"1"', "2"], 2, "E0500"),
    (["exec", "missing.sgl", "--json"], 2, "E0500"),
    (["exec", "bad.sgl", "--json"], 1, "E0201"),
    (["exec", "prog.sgl", "--json", "--steps", "nope"], 2, "E0500"),
    (["check", "--json", "bad.sgl"], 1, "E0201"),
    (["check", "--json", "missing.sgl"], 2, "E0500"),
    (["ask", "--json", "what is the capital of France?", "--cache", "c"], 4, "E0601"),
    (["ask", "--json", "add 1 and 2", "--cache", "sqlite:///db/x"], 2, "E0500"),
    (["ask", "--json", "add 1 and 2", "--cache", "postgresql://postgres@127.0.0.1:1/x"], 1, "E0602"),
    (["cache", "why", "nosuch", "--json", "--cache", "c"], 1, None),
    (["cache", "ls", "--json", "--cache", "nowhere"], 2, "E0500"),
    (["test", "--json", "bad.sgl"], 1, None),
    (["test", "--json", "missing.sgl"], 2, "E0500"),
]


@pytest.mark.parametrize(("argv", "exit_code", "error_code"), FAILURES, ids=[" ".join(f[0][:3]) for f in FAILURES])
def test_every_json_failure_is_one_object_on_stdout_and_a_message_on_stderr(
        cache: str, argv: list[str], exit_code: int, error_code: str | None) -> None:
    code, out, err = run(*argv)
    assert code == exit_code, (out, err)
    data = json.loads(out)  # exactly one JSON document
    assert isinstance(data, dict) and data["code"] == exit_code and data["error"]
    if error_code:
        assert data["error_code"] == error_code
    assert err.strip() and "Traceback" not in err


def test_failures_without_json_print_nothing_on_stdout(cache: str) -> None:
    code, out, err = run("ask", "what is the capital of France?", "--cache", cache)
    assert (code, out) == (4, "") and err.startswith("sgl: no cached procedure answers")


def test_exit_3_is_for_internal_errors_only(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seglam_lang.runtime.embedding import Module

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Module, "call_sgl", broken)
    code, out, err = run("exec", "prog.sgl", "1", "2", "--json")
    assert code == 3 and "internal error: RuntimeError: a bug" in err
    assert json.loads(out)["error_code"] == "E0399"


# ---------------------------------------------------------------- missing inputs are usage errors

@pytest.mark.parametrize("argv", [
    ["exec", "missing.sgl"], ["check", "missing.sgl"], ["fmt", "missing.sgl"], ["test", "missing.sgl"],
    ["cache", "add", "missing.sgl", "--cache", "c"], ["cache", "replace", "prog", "missing.sgl", "--cache", "c"],
    ["cache", "import", "missing-dir", "--cache", "c"], ["batch", "missing.jsonl", "--cache", "c"],
    ["ask", "what is the capital of France?", "--cache", "c", "--compiler", "replay:missing.jsonl"],
])
def test_a_missing_input_file_is_exit_2(cache: str, argv: list[str]) -> None:
    code, _, err = run(*argv)
    assert code == 2 and "missing" in err and "Traceback" not in err


# ---------------------------------------------------------------- cache folders

@pytest.mark.parametrize("verb", sorted(READ_ONLY))
def test_read_only_commands_need_an_existing_cache_and_create_nothing(here: Path, verb: str) -> None:
    args = {"why": ["prog"], "show": ["prog"], "history": ["prog"], "export": ["out"],
            "report": ["--html", "out"]}.get(verb, [])
    code, _, err = run("cache", verb, *args, "--cache", "typo")
    assert code == 2 and "typo: does not exist" in err and "nothing was created" in err
    assert not (here / "typo").exists() and not (here / "out").exists()
    (here / "plain").mkdir()
    code, _, err = run("cache", verb, *args, "--cache", "plain")
    assert code == 2 and "is not a cache folder" in err and list((here / "plain").iterdir()) == []


def test_read_only_commands_work_on_an_existing_cache(cache: str) -> None:
    for verb, args in [("ls", []), ("why", ["prog"]), ("show", ["prog"]), ("history", ["prog"]), ("stats", [])]:
        assert run("cache", verb, *args, "--cache", cache)[0] == 0, verb


@pytest.mark.parametrize("url", ["sqlite:///tmp/x", "s3://bucket/cache", "mysql://user@host/db"])
@pytest.mark.parametrize("argv", [["ask", "add 1 and 2"], ["cache", "ls"], ["cache", "add", "prog.sgl"]])
def test_a_url_is_never_taken_as_a_folder(here: Path, url: str, argv: list[str]) -> None:
    """A URL of a backend there is none of is refused; `postgresql://` opens a database
    (tests/cache/test_backends.py)."""
    before = sorted(p.name for p in here.iterdir())
    code, _, err = run(*argv, "--cache", url)
    assert code == 2 and "is a URL" in err and "store is not available" in err
    code, _, err = run(*argv, env={"SGL_CACHE": url})
    assert code == 2 and "$SGL_CACHE" in err and "is a URL" in err
    assert sorted(p.name for p in here.iterdir()) == before


# ---------------------------------------------------------------- check -

def test_check_reads_stdin(here: Path) -> None:
    assert run("check", "-", input=PROG) == (0, "ok: 1 file(s)\n", "")
    code, _, err = run("check", "-", input="proc f() -> Int:\n    return nope\n")
    assert code == 1 and "<stdin>:2:12: error[E0201]" in err and "return nope" in err
    code, out, _ = run("check", "--json", "-", input="proc f() -> Int:\n    return nope\n")
    assert code == 1 and json.loads(out)["diagnostics"][0]["file"] == "<stdin>"
    assert run("check", "-", "prog.sgl")[0] == 2


# ---------------------------------------------------------------- help

def _commands() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []

    def walk(cmd: click.Command, path: str) -> None:
        found.append((path, cmd))
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None, name
                walk(sub, f"{path} {name}")

    walk(main, "sgl")
    return found


def test_every_command_and_option_has_help_text() -> None:
    commands = _commands()
    assert {path.split()[1] for path, _ in commands if " " in path} == set(COMMANDS)
    missing = [f"{path} {'/'.join(p.opts)}" for path, cmd in commands for p in cmd.params
               if isinstance(p, click.Option) and not (p.help or "").strip()]
    missing += [path for path, cmd in commands if not (cmd.help or cmd.short_help or "").strip()]
    assert not missing, f"no help text: {', '.join(missing)}"


# ---------------------------------------------------------------- test -k

def test_test_k_selects_checks_by_name(here: Path) -> None:
    code, out, _ = run("test", "prog.sgl", "--json", "-k", "commutes")
    assert code == 0
    assert [c["name"] for c in json.loads(out)["checks"]] == ["add_commutes"]
    code, out, _ = run("test", "prog.sgl", "--json", "-k", "ADD(2", "-k", "grows")
    assert code == 0 and [c["name"] for c in json.loads(out)["checks"]] == ["add(2, 2) == 4", "add_grows"]
    code, out, _ = run("test", "prog.sgl", "--json", "-k", "example")
    assert [c["kind"] for c in json.loads(out)["checks"]] == ["example", "example"]
    code, _, err = run("test", "prog.sgl", "-k", "nothing-like-this")
    assert code == 2 and "no check matches -k nothing-like-this" in err


# ---------------------------------------------------------------- bounded JSON in and out

BIG = '''
proc echo(xs: List[Int]) -> Int:
    return len(xs)

proc huge() -> Int:
    return 10 ** 4400

proc wide() -> List[Str]:
    return ["x" * 1000] * 100000
'''


@pytest.mark.parametrize(("argv", "exit_code", "message"), [
    (["echo", "--args-json", '{"xs": ' + "[" * 60_000 + "]" * 60_000 + "}"], 2, "nested more than"),
    (["echo", "--args-json", '{"xs": [' + "9" * 5000 + "]}"], 2, "not valid JSON"),
    (["huge", "--json"], 1, "more than 4,300 digits"),
    (["wide", "--json"], 1, "too large to write as JSON"),
])
def test_json_in_and_out_is_bounded(here: Path, argv: list[str], exit_code: int, message: str) -> None:
    (here / "big.sgl").write_text(BIG, encoding="utf-8")
    code, out, err = run("exec", "big.sgl", *argv)
    assert code == exit_code and message in err and "Traceback" not in err
    if "--json" in argv:
        assert json.loads(out)["code"] == exit_code
