"""The public Python API (spec/embedding.md): what each package exports, one exception
hierarchy, plain answers, and host functions and limits in the reasoning cache."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import seglam_lang
from seglam_lang.cache.llm_protocol import CompileResult

SPANS = '''
record Span:
    days: Int
    tags: Set[Str]

@when("span from {start} to {end}")
proc span(start: Date, end: Date) -> Span:
    """Days from start to end, tagged."""
    return Span(days=(end - start).days, tags={"b", "a"})

example span(date(2024, 1, 1), date(2024, 1, 2)).days == 1
'''


def test_every_public_name_is_exported_where_the_spec_says() -> None:
    from seglam_lang import cache, compilers

    for name in seglam_lang.__all__:
        assert getattr(seglam_lang, name) is not None, name
    assert seglam_lang.ReasoningCache is cache.ReasoningCache
    assert seglam_lang.CacheMiss is cache.CacheMiss
    assert seglam_lang.CompilerError is compilers.CompilerError
    for name in cache.__all__ + compilers.__all__:
        assert getattr(cache if name in cache.__all__ else compilers, name) is not None


@pytest.mark.parametrize("name", ["CacheError", "CacheMiss", "StoreError"])
def test_cache_errors_are_sgl_errors_with_one_line_messages(name: str) -> None:
    from seglam_lang import cache

    cls = getattr(cache, name)
    assert issubclass(cls, seglam_lang.SglError)
    err = cls("a thing went wrong") if name != "CacheMiss" else cls("a thing went wrong", None)
    assert str(err) == "a thing went wrong" and err.diagnostic.code.startswith("E06")


def test_compiler_errors_are_cache_errors() -> None:
    from seglam_lang.compilers import BackendError, CompilerError

    assert issubclass(BackendError, CompilerError) and issubclass(CompilerError, seglam_lang.CacheError)
    assert str(BackendError("no   network\n here")) == "no network here"


def test_import_stays_light() -> None:
    code = ("import sys, seglam_lang, seglam_lang.cache, seglam_lang.compilers\n"
            "heavy = [m for m in ('seglam_lang.cache.reasoning_cache', 'seglam_lang.cache.lookup', 'seglam_lang.runtime.embedding', 'lark', 'hypothesis',"
            " 'sqlite3', 'anthropic') if m in sys.modules]\nprint(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_answers_are_plain_python_values(tmp_path: Path) -> None:
    cache = seglam_lang.ReasoningCache(tmp_path / "c")
    cache.add(SPANS, name="spans")
    for a in (cache.ask("span from 2024-01-01 to 2024-01-31"),
              cache.solve("spans.span", start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 31))):
        assert a.answer == {"days": 30, "tags": {"a", "b"}} and type(a.answer) is dict
        assert a.args == {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31)}
        assert seglam_lang.format_value(a.value) == 'Span(days=30, tags={"b", "a"})'
        assert json.dumps(seglam_lang.to_json(a.value)) == '{"days": 30, "tags": ["b", "a"]}'
    module = seglam_lang.loads(SPANS)
    assert cache.ask("span from 2024-01-01 to 2024-01-31").answer == module.call(
        "span", dt.date(2024, 1, 1), dt.date(2024, 1, 31))


def test_json_dumps_of_a_record_answer(tmp_path: Path) -> None:
    cache = seglam_lang.ReasoningCache(tmp_path / "c")
    cache.add('''
record Pair:
    word: Str
    count: Int

@when("first word of {text}")
proc first_word(text: Str) -> Pair:
    """The first word and how many words there are."""
    words = text.split()
    require len(words) > 0
    return Pair(word=words[0], count=len(words))

example first_word("a b").count == 2
''', name="first")
    assert json.dumps(cache.ask("first word of to be or not").answer) == '{"word": "to", "count": 4}'


FX = '''
@when("convert {amount} {currency} to USD")
proc to_usd(amount: Decimal, currency: Str) -> Decimal:
    """An amount in USD, rounded to cents."""
    return round(amount * usd_rate(currency), 2)

example to_usd(Decimal("10"), "EUR") == Decimal("10.80")
'''
HOST = {"usd_rate": ("(currency: Str) -> Decimal", lambda c: {"EUR": Decimal("1.08")}[c])}


def test_cached_procedures_call_host_functions_under_the_cache_limits(tmp_path: Path) -> None:
    cache = seglam_lang.ReasoningCache(tmp_path / "c", host=HOST, limits=seglam_lang.Limits(steps=1_000))
    cache.add(FX, name="fx")
    assert cache.ask("convert 5 EUR to USD").answer == Decimal("5.40")
    # Another process (a fresh instance) on the same folder with the same host answers too.
    again = seglam_lang.ReasoningCache(tmp_path / "c", host=HOST)
    assert again.solve("to_usd", amount=Decimal("1"), currency="EUR").answer == Decimal("1.08")
    # Without the host function the stored module does not load: not served, and reported.
    bare = seglam_lang.ReasoningCache(tmp_path / "c")
    with pytest.raises(seglam_lang.CacheError):
        bare.ask("convert 5 EUR to USD")


def test_the_cache_limits_bound_every_run(tmp_path: Path) -> None:
    cache = seglam_lang.ReasoningCache(tmp_path / "c", limits=seglam_lang.Limits(steps=500))
    cache.add('''
@when("count up to {n}")
proc count_up(n: Int) -> Int:
    """Counts one by one."""
    i = 0
    while i < n:
        i += 1
    return i

example count_up(3) == 3
''', name="count")
    assert cache.ask("count up to 100").answer == 100
    with pytest.raises(seglam_lang.CacheError, match="limit"):
        cache.solve("count_up", n=10**6)


class _HostAwareCompiler:
    """A compiler (the cache's `Compiler` protocol) that writes a module calling the host function."""

    def __init__(self) -> None:
        self.seen_host: object = None

    def compile(self, request: object, context: object) -> CompileResult:
        self.seen_host = context.host  # type: ignore[attr-defined]
        return CompileResult("compile", source=FX, family="fx", answer="5.40")


def test_a_compiler_sees_the_host_functions_and_its_module_may_call_them(tmp_path: Path) -> None:
    compiler = _HostAwareCompiler()
    cache = seglam_lang.ReasoningCache(tmp_path / "c", host=HOST, compiler=compiler)
    a = cache.ask("convert 5 EUR to USD")
    assert a.answer == Decimal("5.40") and not a.hit
    assert compiler.seen_host == HOST


def test_the_prompt_lists_the_host_functions() -> None:
    from seglam_lang.compilers import prompt

    text = prompt.first_message("convert 5 EUR to USD", [], [], HOST)
    assert "- usd_rate(currency: Str) -> Decimal" in text
    assert "Host functions" not in prompt.first_message("x", [], [])
