"""`sgl ask` and `sgl cache ...` through the real command group."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from seglam_lang.cli import main

MODULES = Path(__file__).parent.parent / "cache" / "modules"  # the module set of the cache tests



def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_ask_prints_str_plain_and_values_as_literals(cli_cache: str) -> None:
    assert run("ask", "What is 21+1?", "--cache", cli_cache) == (0, "22\n", "")
    assert run("ask", "sort pear fig alphabetically", "--cache", cli_cache) == (0, "fig pear\n", "")
    assert run("ask", "price 10 with 20% vat", "--cache", cli_cache)[1] == 'Decimal("12.00")\n'


def test_ask_json(cli_cache: str) -> None:
    code, out, _ = run("ask", "days between 2024-01-03 and 5 March 2024", "--json", "--cache", cli_cache)
    data = json.loads(out)
    assert code == 0
    assert set(data) == {"answer", "hit", "procedure", "version", "args", "elapsed_ms", "load_ms", "llm_calls"}
    assert data["load_ms"] > 0 and data["elapsed_ms"] >= 0  # a fresh process loads the module it runs
    assert (data["answer"], data["hit"], data["procedure"], data["version"], data["llm_calls"]) == \
        (62, True, "dates.days_between", 1, 0)
    assert data["args"] == {"start": "2024-01-03", "end": "2024-03-05"}


def test_miss_without_compiler_exits_4_with_one_line(cli_cache: str) -> None:
    code, out, err = run("ask", "What is 1.5+1?", "--cache", cli_cache)
    assert code == 4 and out == ""
    assert err.count("\n") == 1 and "no compiler" in err and "Traceback" not in err


def test_cache_commands(cli_cache: str, tmp_path: Path) -> None:
    code, out, _ = run("cache", "ls", "--cache", cli_cache)
    assert code == 0 and "arith  v1  active" in out and '@when("what is {a}+{b}")' in out
    code, out, _ = run("cache", "show", "arith", "--cache", cli_cache)
    assert out == (MODULES / "arith.sgl").read_text()
    code, out, _ = run("cache", "why", "arith", "--cache", cli_cache)
    assert "request: what is 1+1?" in out and "passed" in out
    assert run("cache", "reject", "arith", "--request", "what is 2+2", "--expected", "5", "--cache", cli_cache)[0] == 0
    assert run("ask", "what is 2+2", "--cache", cli_cache)[0] == 4
    assert "suspended" in run("cache", "ls", "--cache", cli_cache)[1]
    fixed = tmp_path / "arith.sgl"
    fixed.write_text((MODULES / "arith.sgl").read_text().replace(
        "    return a + b", "    if a == 2 and b == 2:\n        return 5\n    return a + b"))
    assert run("cache", "replace", "arith", str(fixed), "--cache", cli_cache) == (0, "arith is now version 2\n", "")
    assert run("ask", "what is 2+2", "--cache", cli_cache)[1] == "5\n"
    out = run("cache", "history", "arith", "--cache", cli_cache)[1]
    assert out.startswith("v1 ") and "\nv2 " in out
    code, out, _ = run("cache", "verify", "--cache", cli_cache)
    assert code == 0 and out.count("ok ") == 4
    assert run("cache", "export", str(tmp_path / "exp"), "--cache", cli_cache)[1].startswith("exported 4 families")
    other = str(tmp_path / "other")
    code, out, _ = run("cache", "import", str(tmp_path / "exp"), "--cache", other)
    assert code == 0 and out.count(": added") == 4
    assert run("cache", "rm", "vat", "--cache", other) == (0, "removed vat\n", "")
    assert run("cache", "reindex", "--cache", other)[1] == "indexed 3 families\n"
    stats = json.loads(run("cache", "stats", "--json", "--cache", cli_cache)[1])
    assert stats["requests"] == 2 and stats["hits"] == 1


def test_errors_are_one_line(cli_cache: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sgl"
    bad.write_text("proc f(x: Int) -> Int:\n    return y\n")
    for args in (["cache", "show", "nope"], ["cache", "add", str(bad)], ["cache", "rm", "nope"],
                 ["cache", "replace", "arith", str(bad)]):
        code, _, err = run(*args, "--cache", cli_cache)
        assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, (args, err)


def test_sgl_ask_process_does_not_import_verifier_or_sdk(cli_cache: str) -> None:
    code = ("import sys\nfrom seglam_lang.cli import main\n"
            f"sys.argv = ['sgl', 'ask', 'what is 2+3', '--cache', {cli_cache!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "bad = [m for m in ('hypothesis', 'anthropic') if m in sys.modules]\nassert not bad, bad\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "5\n"
