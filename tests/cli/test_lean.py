"""The lean path of `sgl ask` / `sgl exec` against the full click command line.

Every command line of the corpus is run twice as a real process: through `run()` (the `sgl`
console script: the lean path when it takes the line, else click) and through the click
group `main`. Exit code, stdout and stderr must be the same (timings in `--json` aside).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seglam_lang.cli.lean import parse

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cache"
LEAN = "import sys; sys.argv[0] = 'sgl'; from seglam_lang.cli import run; run()"
CLICK = "import sys; sys.argv[0] = 'sgl'; from seglam_lang.cli import main; main()"
HIT = "How many days between 2024-01-03 and 2024-03-05?"

PROGRAM = '''record Item:
    name: Str
    qty: Int = 1

proc main() -> Int:
    return sum(i * i for i in range(10))

proc add(a: Int, b: Int = 2) -> Int:
    return a + b

proc shout(s: Str) -> Str:
    return s.upper() + "\\x1b[0m"

proc total(items: List[Item]) -> Int:
    return sum(i.qty for i in items)

proc boom(n: Int) -> Int:
    require n > 0, "n must be positive"
    return 10 // (n - 1)

proc deep(n: Int) -> Int:
    return deep(n + 1)
'''

# (command line, whether the lean path takes it). {cache}, {file}, {bad} and {dir} are filled in.
CORPUS: list[tuple[list[str], bool]] = [
    (["ask", HIT, "--cache", "{cache}"], True),
    (["ask", HIT, "--cache={cache}"], True),
    (["ask", "--cache", "{cache}", HIT], True),
    (["ask", HIT, "--json", "--cache", "{cache}"], True),
    (["ask", "--json", HIT, "--json", "--cache", "{cache}"], True),
    (["ask", "days from 2024-01-01 to 2023-12-01", "--cache", "{cache}"], True),
    (["ask", "what is the meaning of life", "--cache", "{cache}"], True),  # a miss, no compiler: exit 4
    (["ask", "what is the meaning of life", "--cache", "{cache}", "--json"], True),
    (["ask", "days from 2024-13-01 to 2024-01-01", "--cache", "{cache}"], True),
    (["ask", HIT, "--cache", "{dir}/new-cache"], True),  # ask creates a cache
    (["ask", HIT, "--cache", "{file}"], True),  # not a folder
    (["ask", HIT, "--cache", "sqlite:///x.db"], False),
    (["ask", HIT, "--cache", "{cache}", "--cache", "{cache}"], False),
    (["ask", HIT, "--cache"], False),
    (["ask", "--cache", "{cache}"], False),
    (["ask", HIT, "extra", "--cache", "{cache}"], False),
    (["ask", HIT, "--cache", "{cache}", "--max-rounds", "x"], False),
    (["ask", HIT, "--cache", "{cache}", "--bogus"], False),
    (["ask", "--help"], False),
    (["ask", "-h"], False),
    (["ask"], False),
    (["exec", "{file}"], True),
    (["exec", "{file}", "--json"], True),
    (["exec", "{file}", "main"], True),
    (["exec", "{file}", "add", "40"], True),
    (["exec", "{file}", "add", "40", "b=3"], True),
    (["exec", "{file}", "add", "b=3", "40"], True),
    (["exec", "{file}", "add", "1", "2", "3"], True),
    (["exec", "{file}", "add", "x"], True),
    (["exec", "{file}", "add"], True),
    (["exec", "{file}", "nope"], True),
    (["exec", "{file}", "shout", '"hi"'], True),  # an ANSI escape in the output
    (["exec", "{file}", "total", '[Item(name="a", qty=2), Item(name="b")]', "--json"], True),
    (["exec", "{file}", "boom", "0"], True),
    (["exec", "{file}", "boom", "1"], True),
    (["exec", "{file}", "boom", "1", "--json"], True),
    (["exec", "{file}", "deep", "0"], True),
    (["exec", "{bad}"], True),
    (["exec", "{bad}", "--json"], True),
    (["exec", "{dir}/missing.sgl"], True),
    (["exec", "{dir}"], True),
    (["exec", "{file}", "add", "-1"], False),
    (["exec", "{file}", "add", "--", "-1"], False),
    (["exec", "{file}", "--steps", "5"], False),
    (["exec", "{file}", "deep", "0", "--steps=50"], False),
    (["exec", "{file}", "--timeout", "0"], False),
    (["exec", "{file}", "add", "--args-json", '{"a": 1}'], False),
    (["exec", "--help"], False),
    (["exec"], False),
    (["exec", "{file}", "--jsn"], False),
    (["--version"], False),
    (["check", "{file}"], False),
]


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("lean")
    shutil.copytree(EXAMPLES, d / "cache")
    (d / "prog.sgl").write_text(PROGRAM, encoding="utf-8")
    (d / "bad.sgl").write_text("proc main() -> Int:\n    return 1 +\n", encoding="utf-8")
    return {"cache": str(d / "cache"), "file": str(d / "prog.sgl"), "bad": str(d / "bad.sgl"), "dir": str(d)}


def fill(word: str, places: dict[str, str]) -> str:
    for k, v in places.items():
        word = word.replace("{" + k + "}", v)
    return word


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SGL_COMPILER", "ANTHROPIC_API_KEY", "SGL_CACHE")}
    env["COLUMNS"] = "100"
    return env


def _run(code: str, args: list[str], cwd: str) -> tuple[int, str, str]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                         env=_env(), cwd=cwd)
    return out.returncode, _untimed(out.stdout), out.stderr


def _untimed(stdout: str) -> str:
    """`--json` output without its timings (they differ from run to run)."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return stdout
    if isinstance(data, dict):
        for k in ("elapsed_ms", "load_ms"):
            data.pop(k, None)
    return json.dumps(data, sort_keys=True)


@pytest.mark.parametrize(("line", "lean"), CORPUS, ids=[" ".join(a)[:60] for a, _ in CORPUS])
def test_the_lean_path_and_click_agree(places: dict[str, str], line: list[str], lean: bool) -> None:
    args = [fill(a, places) for a in line]
    assert (parse(args) is not None) == lean
    if "new-cache" in " ".join(args):
        shutil.rmtree(Path(places["dir"]) / "new-cache", ignore_errors=True)
    via_run = _run(LEAN, args, places["dir"])
    if "new-cache" in " ".join(args):
        shutil.rmtree(Path(places["dir"]) / "new-cache", ignore_errors=True)
    via_click = _run(CLICK, args, places["dir"])
    assert via_run == via_click
    assert "Traceback" not in via_run[2]


HIT_PROBE = """
import sys
sys.argv = ['sgl', *sys.argv[1:]]
from seglam_lang.cli import run
try:
    run()
except SystemExit as e:
    code = e.code
heavy = ('click', 'lark', 'hypothesis', 'anthropic', 'attr', 'attrs', 'typing_extensions', 'inspect', 'ast',
         'seglam_lang.cli.group', 'seglam_lang.compilers.backends', 'seglam_lang.cache.llm_protocol',
         'seglam_lang.runtime.jit.translate', 'seglam_lang.syntax.parser', 'seglam_lang.check.checker',
         'seglam_lang.check.builtins', 'seglam_lang.runtime.closures.expr', 'difflib', 'tempfile', 'uuid')
loaded = sorted(m for m in heavy if m in sys.modules)
print('LOADED', code, loaded)
"""


@pytest.mark.parametrize("command", ["ask", "exec"])
def test_a_hit_and_a_small_exec_import_no_click_or_lark(places: dict[str, str], command: str) -> None:
    """Nor attrs (the value classes are built by `seglam_lang.frozen`), `inspect` or `ast`, the
    click group, the LLM side (compiler backends, protocol types), the parser, the checker, the
    closure compiler or the JIT translator (the second run reads the module's image), or what
    only a write or a diagnostic needs (tempfile, uuid, difflib)."""
    args = ["ask", HIT, "--cache", places["cache"]] if command == "ask" else ["exec", places["file"], "add", "1"]
    for _ in range(2):  # the second run reads the module's image
        out = subprocess.run([sys.executable, "-c", HIT_PROBE, *args], capture_output=True, text=True, timeout=120,
                             env=_env())
    assert out.stdout.splitlines() == ["62" if command == "ask" else "3", "LOADED 0 []"], out.stderr
