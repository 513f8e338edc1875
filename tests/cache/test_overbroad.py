"""Over-broad in fact (issue 16, section 4): a version whose triggers take requests that are
not theirs is never stored; `verify` flags one already stored; a conflict is not compiled."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import seglam_lang
from seglam_lang.cache import CacheError, CacheMiss, ReasoningCache, overbroad
from seglam_lang.cache.admission import validate_triggers
from seglam_lang.cache.llm_protocol import CompileContext, CompileRequest, CompileResult
from seglam_lang.cli import main

ROOT = Path(__file__).resolve().parents[2]

WHAT_IS = '''
@when("what is {thing}")
proc what_is(thing: Str) -> Int:
    return 42

example what_is("x") == 42
'''

X_IS_Y = '''
@when("{x} is {y}")
proc x_is_y(x: Str, y: Str) -> Int:
    return 42
'''

TIMES = '''
@when("what is {a} times {b}")
proc times(a: Int, b: Int) -> Int:
    return a * b

example times(3, 4) == 12
'''


def test_the_corpus_is_varied_and_shipped_in_the_package() -> None:
    requests = overbroad.unrelated_requests()
    assert len(requests) >= 300
    texts = {r.text for r in requests}
    assert "What is the capital of France?" in texts
    assert sum("BIG-Bench" in r.source for r in requests) >= 100
    assert Path(overbroad.__file__).with_name("unrelated_requests.json").is_file()


def _shipped_modules() -> list[Path]:
    paths = [*sorted((ROOT / "examples").glob("*.sgl")), *sorted((ROOT / "examples" / "bbh").glob("*.sgl")),
             *sorted((ROOT / "examples" / "cache" / "procedures").glob("*.sgl")),
             *sorted((ROOT / "tests" / "cache" / "modules").glob("*.sgl"))]
    return [p for p in paths if "@when" in p.read_text()]


@pytest.mark.parametrize("path", _shipped_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_shipped_module_takes_an_unrelated_request(path: Path) -> None:
    module = seglam_lang.load(str(path))
    assert overbroad.taken(module, validate_triggers(module), overbroad.unrelated_requests(), None) == []


@pytest.mark.parametrize("source", [WHAT_IS, X_IS_Y])
def test_add_refuses_a_trigger_that_takes_an_unrelated_request(tmp_path: Path, source: str) -> None:
    path = tmp_path / "broad.sgl"
    path.write_text(source)
    result = CliRunner().invoke(main, ["cache", "add", str(path), "--cache", str(tmp_path / "cache")])
    assert result.exit_code == 1
    assert "is over-broad: it takes" in result.stderr and "an unrelated request shipped with SEGLAM" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "cache" / "procedures" / "broad.sgl").exists()


def test_a_request_another_family_answered_is_not_taken(cache: ReasoningCache) -> None:
    assert cache.ask("what is 2+2").answer == 4
    duplicate = '@when("what is {a}+{b}")\nproc add_again(a: Int, b: Int) -> Int:\n    return a + b\n'
    with pytest.raises(CacheError, match=r"takes \"what is 2\+2\" \(a request family arith answered\)"):
        cache.add(duplicate, name="add_again")
    # A new version of the family that answered it may take it.
    cache.replace("arith", (Path(__file__).parent / "modules" / "arith.sgl").read_text().replace(
        "Sum of two integers.", "The sum."))


def test_a_declined_request_is_not_taken_unless_it_is_the_compiled_one(cache: ReasoningCache) -> None:
    cache.store.log_request("what is 6 times 7", "declined", answer="42")
    with pytest.raises(CacheError, match="a declined request"):
        cache.add(TIMES, name="times")
    assert cache.admission.admit_new(cache.admission.prepare(TIMES, "times"), request="What is 6 times 7?") == 1


def test_the_compile_loop_gets_a_repair_diagnostic(cache: ReasoningCache) -> None:
    passed, summary = cache.admission.check_source(WHAT_IS, "what_is", request="what is 6 times 7")
    assert not passed and "is over-broad: it takes" in summary and "what_is.what_is" in summary
    assert cache.admission.check_source(TIMES, "times", request="what is 6 times 7")[0]


def test_verify_flags_an_over_broad_trigger_already_stored(cache: ReasoningCache) -> None:
    path = cache.store.current_path("words")
    path.write_text(path.read_text().replace('@when("sort {words} alphabetically")', '@when("{words}")'))
    (result,) = cache.verify(["words"], accept=True)
    assert not result.passed and "E0242" in result.summary
    assert cache.store.require("words").status == "tampered"
    path = cache.store.current_path("dates")
    extra = '@when("what is {thing}")\nproc dates_any(thing: Str) -> Int:\n    return 0\n\n'
    path.write_text(path.read_text().replace("origin:", extra + "origin:"))
    (result,) = cache.verify(["dates"], accept=True)
    assert not result.passed and "over-broad" in result.summary and cache.store.require("dates").status == "tampered"
    assert cache.lookup("What is the capital of France?").hits == ()


class _CountingCompiler:
    """Compiles the `times` module again, under the next free name, each time it is called."""

    def __init__(self) -> None:
        self.calls = 0

    def compile(self, request: CompileRequest, context: CompileContext) -> CompileResult:
        self.calls += 1
        return CompileResult("compile", source=TIMES, family=f"times_{self.calls + 1}", llm_calls=1)


def test_a_conflict_is_not_compiled_again_and_is_counted(cache: ReasoningCache) -> None:
    cache.add(TIMES, name="times")
    cache.add(TIMES.replace("return a * b", "return a * b + 1").replace("== 12", "== 13"), name="times_off")
    cache.compiler = _CountingCompiler()
    for _ in range(3):
        with pytest.raises(CacheMiss, match="disagree"):
            cache.ask("What is 3 times 3?")
    assert cache.compiler.calls == 0
    assert sorted(f.name for f in cache.ls()) == ["arith", "dates", "times", "times_off", "vat", "words"]
    assert cache.stats()["conflicts"] == 3
    result = CliRunner().invoke(main, ["cache", "stats", "--json", "--cache", str(cache.dir)])
    assert '"conflicts": 3' in result.stdout
