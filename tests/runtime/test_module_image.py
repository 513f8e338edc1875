"""Module images (`runtime.jit.image`): a module served from its image behaves as the full load.

The differential test loads every module of a corpus (examples/, stdlib/, the cache test
modules, the verifier's boundary corpus, and the run corpus tests/runtime/corpus/) twice, in
fresh state (the stdlib's process-wide modules forgotten in between): the full way (parse,
check, compile, tier up, with its `use`d stdlib modules loaded the full way too) and from the
image the first load left. It compares what each module exposes (procs, signatures,
triggers, docstrings, positions, interface, origin) and the outcome of calling its procs with
the arguments of its own examples (values, or errors with their codes, messages, positions,
hints and SGL tracebacks). Then the command line: `sgl exec` and `sgl ask` in fresh processes,
where the second run reads the image and must print the same without importing the parser,
the checker or the translator.
"""

from __future__ import annotations

import ast as pyast
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from corpus import read_all

import seglam_lang
from seglam_lang.errors import SglError, SglRuntimeError
from seglam_lang.runtime import embedding, loader
from seglam_lang.runtime.convert import ConvertError, read_literal
from seglam_lang.runtime.embedding import ServedModule
from seglam_lang.runtime.jit import artifact, image
from seglam_lang.runtime.limits import Limits
from seglam_lang.runtime.values import format_value, sgl_type_name

REPO = Path(__file__).resolve().parents[2]
RUN_CORPUS = Path(__file__).resolve().parent / "corpus"
FILES = sorted([*REPO.glob("examples/*.sgl"), *REPO.glob("examples/bbh/*.sgl"),
                *REPO.glob("examples/cache/procedures/*.sgl"), *REPO.glob("stdlib/*.sgl"),
                *REPO.glob("tests/cache/modules/*.sgl"), *REPO.glob("tests/verify/boundary_corpus/*.sgl")])
EXPR = re.compile(r"^expr (?P<type>[^:]+(?:\[[^\]]*\])?[?]?): (?P<e>.*)$")


def _run_case_source(source: str) -> str:
    body = [ln for ln in source.rstrip("\n").split("\n") if not ln.startswith("#")]
    m = EXPR.match(body[0]) if len(body) == 1 else None
    if m:
        return f"proc main() -> {m.group('type')}:\n    return {m.group('e')}\n"
    return "\n".join(body) + "\n"


CASES: list[tuple[str, str, str, list[str]]] = [  # (id, name, source, extra calls)
    *[(str(p.relative_to(REPO)), (f"std.{p.stem}" if p.parent.name == "stdlib" else p.stem), p.read_text("utf-8"), [])
      for p in FILES],
    *[(f"corpus/{c.file}:{c.name}", "main_case", _run_case_source(c.source), [c.fields.get("call", "main()")])
      for c in read_all(RUN_CORPUS)],
    # modules that do not load: the same error either way (no image is ever written for them)
    ("bad/syntax", "bad", "proc main( -> Int:\n    return 1\n", []),
    ("bad/type", "bad", "proc main() -> Int:\n    return \"a\"\n", []),
    ("bad/use", "bad", "use std.nothing\n\nproc main() -> Int:\n    return 1\n", []),
    ("bad/constant", "bad", "N = 1 // 0\n\nproc main() -> Int:\n    return N\n", []),
]


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("images")


@pytest.fixture
def images(image_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SGL_PARSER_CACHE", str(image_dir))
    monkeypatch.delenv("SGL_TIER", raising=False)
    saved = dict(loader._cache)
    yield image_dir
    loader._cache.clear()
    loader._cache.update(saved)


def _fresh_stdlib() -> None:
    loader._cache.clear()


def _full(source: str, name: str, file: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The reference: the module and the stdlib modules it uses, all loaded the full way."""
    _fresh_stdlib()
    with monkeypatch.context() as m:
        m.setattr(embedding, "load_std_file", lambda path, n: embedding.load(path, name=n))
        try:
            return embedding.loads(source, name, file=file)
        except SglError as e:
            return e
        finally:
            _fresh_stdlib()


def _served(source: str, name: str, file: str) -> Any:
    _fresh_stdlib()
    try:
        embedding.loads(source, name, file=file, image=True)  # leaves the images (or reads them)
        _fresh_stdlib()
        return embedding.loads(source, name, file=file, image=True)
    except SglError as e:
        return e


def _error(e: SglError) -> Any:
    frames = [str(f) for f in e.frames] if isinstance(e, SglRuntimeError) else []
    return (type(e).__name__, str(e), [(x.code, x.message, x.span, x.file, x.hint) for x in e.diagnostics], frames)


def _surface(m: Any) -> Any:
    """Everything a module exposes to a host without running it."""
    return (m.name, m.file, m.origin, m.interface,
            [(n, p.sig, [(t.pattern, t.is_regex, t.span) for t in p.triggers], p.doc, p.span, p.defaults())
             for n, p in m.procs.items()])


def _calls(module: Any, texts: list[str]) -> list[tuple[str, list[str], dict[str, str]]]:
    """(proc, positional argument texts, keyword argument texts) of each call of a proc in `texts`."""
    out = []
    for text in texts:
        try:
            tree = pyast.parse(text.replace(" is not applicable", "").replace(" fails", ""), mode="eval")
        except SyntaxError:
            continue
        for node in pyast.walk(tree):
            if isinstance(node, pyast.Call) and isinstance(node.func, pyast.Name) and node.func.id in module.procs:
                out.append((node.func.id, [_segment(text, a) for a in node.args],
                            {k.arg: _segment(text, k.value) for k in node.keywords if k.arg}))
    return out


def _segment(text: str, node: Any) -> str:
    return pyast.get_source_segment(text, node) or ""


def _outcome(module: Any, proc: str, args: list[str], kwargs: dict[str, str]) -> Any:
    """The result (or error) of calling `proc` with arguments read from their literal texts; None
    when an argument is not a literal (it cannot be read without evaluating it)."""
    from seglam_lang.cli.execute import _record_defaults

    sig = {p.name: p.type for p in module.procs[proc].sig.params}
    names = [p.name for p in module.procs[proc].sig.params]
    try:
        values = {n: read_literal(t, sig[n], _record_defaults(module)) for n, t in zip(names, args)}
        values.update({k: read_literal(t, sig[k], _record_defaults(module)) for k, t in kwargs.items() if k in sig})
    except (ConvertError, SglError, KeyError):
        return None
    try:
        result = module.call_sgl(proc, [], values, limits=Limits(steps=200_000, timeout=5))
    except SglError as e:
        return _error(e)
    return ("value", sgl_type_name(result), format_value(result))


@pytest.mark.parametrize(("case_id", "name", "source", "calls"), CASES, ids=[c[0] for c in CASES])
def test_served_module_is_the_full_load(case_id: str, name: str, source: str, calls: list[str], images: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    file = f"<{case_id}>"
    full = _full(source, name, file, monkeypatch)
    served = _served(source, name, file)
    if isinstance(full, SglError):
        assert isinstance(served, SglError) and _error(served) == _error(full)
        return
    assert not isinstance(served, SglError), served
    # Served from an image exactly when the full load has one (never when a proc is declined)
    has_image = image.build(full) is not None
    assert (type(served) is ServedModule) == has_image
    assert not (full.tier.declined and has_image)
    if has_image:
        assert served.tier.cached and served.tier.procs == full.tier.procs
    assert _surface(served) == _surface(full)
    texts = [*calls, *(e.text for e in full.examples)]
    for proc, args, kwargs in _calls(full, texts):
        expected = _outcome(full, proc, args, kwargs)
        if expected is not None:
            assert _outcome(served, proc, args, kwargs) == expected, (proc, args, kwargs)
    if type(served) is ServedModule:  # what an image does not hold comes from a full load, on first use
        assert [e.text for e in served.examples] == [e.text for e in full.examples]
        assert list(served.properties) == list(full.properties)


# ---------------------------------------------------------------------- when there is no image, and bad images


SOURCE = textwrap.dedent("""\
    record Point:
        x: Int
        y: Int = 2

    ORIGIN = Point(x=0)  # y from its field default
    TABLE = {"a": [1, 2], "b": [3]}

    @when("norm of {p}")
    proc norm(p: Point = ORIGIN, scale: Decimal = Decimal("1.5")) -> Decimal:
        \"\"\"The taxicab norm, scaled.\"\"\"
        require p.x >= 0, "x must not be negative"
        return (abs(p.x) + abs(p.y) + len(TABLE["a"])) * scale
    """)


def test_tree_tier_and_host_functions_have_no_image(images: Path) -> None:
    tree = seglam_lang.loads(SOURCE, "m", limits=Limits(tier="tree"), image=True)
    assert type(tree) is not ServedModule and tree.tier.tier == "tree"
    assert type(seglam_lang.loads(SOURCE, "m", limits=Limits(tier="tree"), image=True)) is not ServedModule
    host = {"twice": ("(x: Int) -> Int", lambda x: 2 * x)}
    src = "proc main(n: Int) -> Int:\n    return twice(n)\n"
    seglam_lang.loads(src, "h", host=host, image=True)
    again = seglam_lang.loads(src, "h", host=host, image=True)
    assert type(again) is not ServedModule and again.call("main", 4) == 8


def test_every_link_key_kind_has_a_lowering() -> None:
    """A kind of link key this module does not know gives no image (safe, but every module using it
    would load the full way): a new kind is taught to `image._lower` with the linker."""
    from seglam_lang.runtime.jit import link

    assert set(link._RESOLVERS) == image._NODE_FREE | image._NODE_KEYS
    assert not image._NODE_FREE & image._NODE_KEYS


def test_an_image_is_keyed_by_source_name_file_and_limits() -> None:
    base = image.key_of(SOURCE, "m", "f", Limits())
    assert base is not None
    assert len({base, image.key_of(SOURCE + "\n", "m", "f", Limits()), image.key_of(SOURCE, "n", "f", Limits()),
                image.key_of(SOURCE, "m", "g", Limits()), image.key_of(SOURCE, "m", "f", Limits(int_bits=64)),
                image.key_of(SOURCE, "m", "f", Limits(tier="jit"))}) == 6
    assert image.key_of(SOURCE, "m", "f", Limits(tier="tree")) is None


def test_a_corrupt_or_untrusted_image_is_ignored_and_rewritten(images: Path) -> None:
    first = seglam_lang.loads(SOURCE, "m", image=True)
    assert type(first) is not ServedModule
    path = artifact.image_path_of(image.key_of(SOURCE, "m", "m", Limits()))
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    served = seglam_lang.loads(SOURCE, "m", image=True)
    assert type(served) is ServedModule
    assert served.call("norm") == first.call("norm") == seglam_lang.loads(SOURCE, "m").call("norm")
    path.write_bytes(path.read_bytes()[:-9])  # truncated
    assert type(seglam_lang.loads(SOURCE, "m", image=True)) is not ServedModule
    assert type(seglam_lang.loads(SOURCE, "m", image=True)) is ServedModule  # rewritten
    path.chmod(0o666)  # writable by others: not trusted
    assert type(seglam_lang.loads(SOURCE, "m", image=True)) is not ServedModule
    path.chmod(0o600)
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0xFF  # a flipped byte: the checksum fails
    path.write_bytes(bytes(blob))
    assert type(seglam_lang.loads(SOURCE, "m", image=True)) is not ServedModule
    # a well-formed image of the wrong shape (stale format): ignored, never run
    artifact.write_image(image.key_of(SOURCE, "m", "m", Limits()), {"version": image.IMAGE_VERSION, "keys": 3})
    module = seglam_lang.loads(SOURCE, "m", image=True)
    assert type(module) is not ServedModule and module.call("norm") == first.call("norm")


def test_constants_keep_their_values_types_and_sharing(images: Path) -> None:
    from seglam_lang.runtime import values as V

    src = textwrap.dedent("""\
        record R:
            d: Date
            t: DateTime
            span: Duration
            tags: Set[Str]
        ROW = (Decimal("1.50"), Decimal("-0"), 1.0, -0.0, 10**40, True, None, "é")
        INTS = [1, 2]
        GRID = [INTS, INTS]
        REC = R(d=date("2024-02-29"), t=datetime("2024-01-02T03:04:05.000006"), span=duration(days=3, microseconds=7), tags={"b", "a"})
        PAIRS = {(1, "x"): REC}

        proc main() -> Int:
            return len(GRID) + len(PAIRS) + len(ROW)
        """)
    full = seglam_lang.loads(src, "c")
    seglam_lang.loads(src, "c", image=True)
    served = seglam_lang.loads(src, "c", image=True)
    assert type(served) is ServedModule
    for name in ("ROW", "INTS", "GRID", "REC", "PAIRS"):
        a, b = full.member(name).value, served.member(name).value
        assert format_value(a) == format_value(b) and type(a) is type(b)
        assert V.deep_equal(a, b)
    grid = served.member("GRID").value
    assert grid[0] is grid[1] and type(grid) is V.FrozenList  # sharing and frozenness kept
    assert [type(x) for x in served.member("ROW").value] == [type(x) for x in full.member("ROW").value]


def test_a_module_with_a_declined_proc_has_no_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seglam_lang.runtime.jit import translate

    monkeypatch.setenv("SGL_PARSER_CACHE", str(tmp_path))  # (its translation, with the decline, is cached too)

    def decline(self: Any, s: Any) -> None:
        raise translate.Decline("a statement this test pretends the translator cannot do")

    monkeypatch.setattr(translate.Translator, "s_Require", decline)
    src = "proc half(n: Int) -> Int:\n    require n >= 0\n    return n // 2\n\nproc main() -> Int:\n    return half(8)\n"
    first = seglam_lang.loads(src, "d", image=True)
    assert first.tier.declined == {"half": "a statement this test pretends the translator cannot do"}
    assert image.build(first) is None
    again = seglam_lang.loads(src, "d", image=True)
    assert type(again) is not ServedModule and again.call("main") == 4 and again.tier.declined
    assert not list(artifact.image_path_of("x").parent.glob("*.marshal"))


def test_a_function_value_constant_has_no_image(images: Path) -> None:
    src = "proc twice(n: Int) -> Int:\n    return 2 * n\n\nF = twice\n\nproc main() -> Int:\n    return F(4)\n"
    seglam_lang.loads(src, "fv", image=True)
    again = seglam_lang.loads(src, "fv", image=True)
    assert type(again) is not ServedModule and again.call("main") == 8


# ---------------------------------------------------------------------- the command line, in fresh processes


HEAVY = ("lark", "seglam_lang.syntax.parser", "seglam_lang.syntax.astcache", "seglam_lang.check.checker",
         "seglam_lang.runtime.jit.translate", "seglam_lang.runtime.closures.module_compiler")
PROBE = "import sys; from seglam_lang.cli import run\ntry:\n    run(sys.argv[1:])\nfinally:\n    " \
        "print('MODULES', sorted(m for m in sys.modules if m.startswith({heavy!r})), file=sys.stderr)"


def _sgl(args: list[str], cache: Path) -> tuple[int, str, str, list[str]]:
    env = {**os.environ, "SGL_PARSER_CACHE": str(cache)}
    env.pop("SGL_TIER", None)
    out = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], capture_output=True, text=True,
                         env=env, check=False)
    lines = out.stderr.splitlines()
    modules = pyast.literal_eval(lines[-1].removeprefix("MODULES "))
    return out.returncode, out.stdout, "\n".join(lines[:-1]), modules


def test_sgl_exec_reads_the_image_in_a_fresh_process(tmp_path: Path) -> None:
    f = tmp_path / "prog.sgl"
    f.write_text("use std.text\n\nproc main(n: Int) -> Int:\n    require n >= 0\n    return inner(n)\n\n"
                 "proc inner(n: Int) -> Int:\n    return 10 // (n - 3) + len(text.words(\"a b\"))\n")
    cache = tmp_path / "cache"
    for args in (["exec", str(f), "5"], ["exec", str(f), "3"], ["exec", str(f), "-1"], ["exec", str(f), "x"]):
        first = _sgl(args, cache)
        second = _sgl(args, cache)
        assert first[:3] == second[:3], args  # same exit code, output and error text
        assert second[3] == [], f"{args}: the image path imported {second[3]}"
    assert _sgl(["exec", str(f), "3"], cache)[2].count("main") >= 1  # the traceback names the frames


def test_sgl_ask_reads_the_image_in_a_fresh_process(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    shutil.copytree(REPO / "examples" / "cache", cache_dir)
    images_dir = tmp_path / "images"
    request = "How many days between 2024-01-03 and 2024-03-05?"
    first = _sgl(["ask", request, "--cache", str(cache_dir), "--json"], images_dir)
    second = _sgl(["ask", request, "--cache", str(cache_dir), "--json"], images_dir)
    assert first[0] == second[0] == 0
    strip = re.compile(r'"(elapsed_ms|load_ms)": [0-9.]+')
    assert strip.sub("", first[1]) == strip.sub("", second[1]) and '"answer": 62' in second[1]
    assert second[3] == [], f"the image path imported {second[3]}"
