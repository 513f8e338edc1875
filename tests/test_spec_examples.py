"""Every code example in `spec/` is run, so the reference cannot drift from the code.

The conventions (documented in `spec/README.md`):
- ```sgl          a module that must load clean (parse + check); every `example` in it must pass.
                   With `file=NAME` after the language, the block is also a file for the
                   document's `console` and `python` blocks.
- ```sgl-run      as `sgl`, and `main()` is called: its result, printed as an SGL literal,
                   must equal the text after the block's `# => ` line.
- ```sgl-error    a program that must fail with the code in its `# error: E0xxx` line: when
                   loading it, or running `main()` if it loads.
- ```console      `$ sgl ...` command lines, each followed by its exact output (stdout, then
                   stderr; `…` in a line stands for any text, e.g. a time) and `[exit N]`
                   when the exit code is not 0; run in a temporary directory holding the
                   document's `file=` blocks.
- ```python       a Python snippet (with its own asserts), run in such a directory too.
- ```text, ```ebnf  not code: listings that are not run.

Until the runtime lands (`seglam_lang.loads`), `sgl`/`sgl-run` blocks are only parsed,
`sgl-error` blocks expecting a syntax error (E01xx) are checked, and the rest are skipped.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from seglam_lang.errors import SglError, SglSyntaxError
from seglam_lang.frozen import frozen
from seglam_lang.syntax.parser import parse

# Every case runs on both execution tiers (spec/tiers.md).
pytestmark = pytest.mark.usefixtures("both_tiers")

SPEC = Path(__file__).resolve().parent.parent / "spec"
FENCE = re.compile(r"^```([\w-]*)([^\n]*)\n(.*?)^```[ \t]*$", re.S | re.M)
RUN_LANGS = {"sgl", "sgl-run", "sgl-error", "console", "python"}
TEXT_LANGS = {"text", "ebnf"}


@frozen
class Block:
    doc: Path
    line: int
    lang: str
    attrs: dict[str, str]
    body: str

    @property
    def id(self) -> str:
        return f"{self.doc.name}:{self.line}"


def _blocks() -> list[Block]:
    found = []
    for doc in sorted(SPEC.glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            info = dict(kv.split("=", 1) for kv in m.group(2).split() if "=" in kv)
            line = text.count("\n", 0, m.start()) + 1
            found.append(Block(doc, line, m.group(1), info, m.group(3)))
    return found


BLOCKS = _blocks()


def _loads() -> Any:
    """`seglam_lang.loads` once the runtime provides it, else None (parse-only mode)."""
    try:
        from seglam_lang import loads
    except ImportError:  # the runtime module is not there yet
        return None
    return loads


def _files_of(doc: Path) -> dict[str, str]:
    return {b.attrs["file"]: b.body for b in BLOCKS if b.doc == doc and "file" in b.attrs}


def _codes(e: SglError) -> set[str]:
    return {d.code for d in e.diagnostics}


def test_spec_has_examples() -> None:
    docs = {b.doc.name for b in BLOCKS}
    assert {"expressions.md", "statements.md", "types.md", "cli.md", "errors.md"} <= docs
    assert sum(b.lang.startswith("sgl") for b in BLOCKS) >= 40


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.id)
def test_block_language_is_known(block: Block) -> None:
    assert block.lang in RUN_LANGS | TEXT_LANGS, f"{block.id}: unknown code block language {block.lang!r}"


SGL_BLOCKS = [b for b in BLOCKS if b.lang in ("sgl", "sgl-run")]
ERROR_BLOCKS = [b for b in BLOCKS if b.lang == "sgl-error"]
SHELL_BLOCKS = [b for b in BLOCKS if b.lang in ("console", "python")]


@pytest.mark.parametrize("block", SGL_BLOCKS, ids=lambda b: b.id)
def test_sgl_block(block: Block) -> None:
    name = block.attrs.get("file", block.id)
    loads = _loads()
    if loads is None:
        parse(block.body, name)
        return
    module = loads(block.body, name=name)
    for case in module.examples:
        outcome = case.run()
        assert outcome.passed, f"{block.id}: example `{case.text}` failed: {outcome}"
    if block.lang == "sgl-run":
        from seglam_lang.runtime.values import format_value

        expected = re.search(r"^# => (.*)$", block.body, re.M)
        assert expected, f"{block.id}: an sgl-run block needs a `# => value` line"
        assert format_value(module.call_sgl("main", [], {})) == expected.group(1).strip()


@pytest.mark.parametrize("block", ERROR_BLOCKS, ids=lambda b: b.id)
def test_sgl_error_block(block: Block) -> None:
    m = re.search(r"# error: (E\d{4})", block.body)
    assert m, f"{block.id}: an sgl-error block needs a `# error: E0xxx` line"
    code = m.group(1)
    loads = _loads()
    if loads is None:
        if not code.startswith("E01"):
            pytest.skip("runtime not available yet: only syntax errors are checked")
        with pytest.raises(SglSyntaxError) as info:
            parse(block.body, block.id)
        assert code in _codes(info.value)
        return
    with pytest.raises(SglError) as info:
        module = loads(block.body, name=block.id)
        if "main" in module.procs:
            module.call_sgl("main", [], {})
        for case in module.examples:
            outcome = case.run()
            if outcome.error is not None:
                raise outcome.error
    assert code in _codes(info.value), f"{block.id}: expected {code}, got {info.value}"


def _lines_match(got: list[str], expected: list[str]) -> bool:
    """Equal lines, where `…` in an expected line stands for any text (a time, a path)."""
    return len(got) == len(expected) and all(
        g == e or ("…" in e and re.fullmatch(".*".join(map(re.escape, e.split("…"))), g) is not None)
        for g, e in zip(got, expected))


def _console_steps(body: str) -> list[tuple[str, list[str], int]]:
    """`$ command` lines with the output lines after them and the expected exit code."""
    steps: list[tuple[str, list[str], int]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], [], 0))
        elif steps and (m := re.fullmatch(r"\[exit (\d+)\]", line.strip())):
            cmd, out, _ = steps[-1]
            steps[-1] = (cmd, out, int(m.group(1)))
        elif steps:
            steps[-1][1].append(line)
    return steps


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=lambda b: b.id)
def test_shell_block(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if _loads() is None:
        pytest.skip("runtime not available yet")
    for fname, text in _files_of(block.doc).items():
        (tmp_path / fname).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    if block.lang == "python":
        exec(compile(block.body, block.id, "exec"), {"__name__": "spec_example"})
        return
    from click.testing import CliRunner

    from seglam_lang.cli import main

    for command, expected, code in _console_steps(block.body):
        argv = shlex.split(command)
        assert argv[0] == "sgl", f"{block.id}: console examples run `sgl` only"
        stdin = None
        if "<" in argv:  # `sgl fmt - < file.sgl`
            i = argv.index("<")
            stdin = Path(argv[i + 1]).read_text(encoding="utf-8")
            argv = argv[:i] + argv[i + 2:]
        result = CliRunner().invoke(main, argv[1:], input=stdin, env={"COLUMNS": "100"}, catch_exceptions=False,
                                    prog_name="sgl")
        got = (result.stdout + result.stderr).rstrip("\n").splitlines()
        assert _lines_match(got, expected), f"{block.id}: `{command}` printed:\n" + "\n".join(got)
        assert result.exit_code == code, f"{block.id}: `{command}` exited {result.exit_code}"


def test_builtins_page_names_every_builtin() -> None:
    from seglam_lang.check.builtins import BUILTIN_FUNCTIONS, FIELDS, METHODS

    page = (SPEC / "builtins.md").read_text(encoding="utf-8")
    missing = [f for f in BUILTIN_FUNCTIONS if f"| `{f}` |" not in page]
    for type_name, methods in METHODS.items():
        section = page.split(f"## Methods of `{type_name}`", 1)
        assert len(section) == 2, f"builtins.md has no section for {type_name}"
        body = section[1].split("\n## ", 1)[0]
        missing += [f"{type_name}.{m}" for m in methods if f"| `{m}` |" not in body]
        missing += [f"{type_name}.{f}" for f in FIELDS.get(type_name, {}) if f"`{f}`" not in body]
    assert not missing, f"spec/builtins.md does not document: {', '.join(missing)}"


def test_errors_page_names_every_code() -> None:
    page = (SPEC / "errors.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| (E0\d{3}) \|", page, re.M))
    source = Path(__file__).resolve().parent.parent / "seglam_lang"
    used = {
        code: py.relative_to(source.parent)
        for py in source.rglob("*.py")
        for code in re.findall(r"[\"'](E0\d{3})[\"']", py.read_text(encoding="utf-8"))
    }
    missing = sorted(f"{c} ({where})" for c, where in used.items() if c not in documented)
    assert not missing, f"spec/errors.md does not document: {', '.join(missing)}"
