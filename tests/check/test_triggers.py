"""Trigger validity (`check.triggers`): one rule, the same through `sgl check` and `sgl cache add`.

The corpus `corpus/triggers.txt` (the checker's corpus format, tests/corpus.py) holds valid and invalid triggers; properties show that generated
over-broad triggers are refused (with a witness request that really matches without a
literal word), that the shapes are conservative, and that every trigger the project ships
is still valid.
"""

from __future__ import annotations

import re
from pathlib import Path

import corpus
import pytest
import re2
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from seglam_lang.check.triggers import trigger_problems, trigger_shape
from seglam_lang.cli import main
from seglam_lang.syntax.parser import parse
from seglam_lang.syntax.trigger_regex import regex_shape
from seglam_lang.syntax.trigger_templates import normalise, parse_template, words

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _corpus() -> list[tuple[str, list[tuple[int, str]], bool, str]]:
    """(file name, expected (line, code) marks, over-broad, module source) per case of
    corpus/triggers.txt (format: tests/corpus.py)."""
    return [(f"case_{i:03d}_{c.name}", c.line_errors, "broad" in c.flags, c.source)
            for i, c in enumerate(corpus.read(HERE / "corpus" / "triggers.txt"))]


CORPUS = _corpus()


def test_corpus_covers_every_trigger_code() -> None:
    codes = {c for _, marks, _, _ in CORPUS for _, c in marks}
    assert codes == {"E0224", "E0225", "E0226", "E0227", "E0242"}
    assert sum(not m and not broad for _, m, broad, _ in CORPUS) >= 25
    assert sum(any(c == "E0242" for _, c in m) for _, m, _, _ in CORPUS) >= 20
    assert sum(broad and not m for _, m, broad, _ in CORPUS) >= 5


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("triggers")
    for name, _, _, source in CORPUS:
        (d / f"{name}.sgl").write_text(source)
    return d


def test_sgl_check_agrees_with_the_corpus(corpus_dir: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(corpus_dir)])
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    got: dict[str, list[tuple[int, str]]] = {}
    for m in re.finditer(r"(case_\d+_\w+)\.sgl:(\d+):\d+: error\[(E\d{4})\]", output):
        got.setdefault(m[1], []).append((int(m[2]), m[3]))
    wrong = [(name, marks, got.get(name, [])) for name, marks, _, _ in CORPUS if sorted(got.get(name, [])) != marks]
    assert not wrong, wrong
    assert result.exit_code == 1


def test_sgl_cache_add_agrees_with_the_corpus(corpus_dir: Path, tmp_path: Path) -> None:
    files = [str(corpus_dir / f"{name}.sgl") for name, _, _, _ in CORPUS]
    result = CliRunner().invoke(main, ["cache", "add", *files, "--cache", str(tmp_path / "cache")])
    assert "Traceback" not in result.stdout + result.stderr
    added = set(re.findall(r"added .*(case_\d+_\w+)\.sgl", result.stdout))
    refused = dict(re.findall(r"sgl: (case_\d+_\w+) (.*)", result.stderr))
    for name, marks, broad, _ in CORPUS:
        if broad:
            assert name in refused and "is over-broad: it takes" in refused[name], (name, refused.get(name))
        elif marks:
            first = min(c for _, c in marks)
            assert name in refused and f"error[{first}]" in refused[name], (name, marks, refused.get(name))
        else:
            assert name in added, (name, refused.get(name))
    assert result.exit_code == 1


def test_sgl_test_refuses_an_over_broad_trigger(tmp_path: Path) -> None:
    path = tmp_path / "broad.sgl"
    path.write_text('@when("{x}")\nproc echo(x: Int) -> Int:\n    return x\n\nexample echo(1) == 1\n')
    result = CliRunner().invoke(main, ["test", str(path)])
    assert result.exit_code == 1 and "E0242" in result.stdout + result.stderr


def test_the_diagnostic_has_a_position_and_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "broad.sgl"
    path.write_text('use std.text\n\n@when(re"(?P<x>.+)")\nproc echo(x: Str) -> Str:\n    return x\n')
    result = CliRunner().invoke(main, ["check", str(path)])
    out = result.stdout + result.stderr
    assert "broad.sgl:3:1: error[E0242]: this trigger is too broad" in out
    assert "hint: a trigger must name its kind of request in words" in out


# ---------------------------------------------------------------- generated triggers

_VOCAB = ["what", "total", "price", "sort", "days", "between", "plus"]
_FILL = "zzz"  # a slot's text in a witness request: no word of the vocabulary


@st.composite
def _broad_template(draw: st.DrawFn) -> tuple[str, str]:
    """An over-broad template and a witness: a request it matches that holds none of its words."""
    parts: list[tuple[str, str]] = []  # (template text, witness text)
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["slot", "opt", "alt", "glued", "optslot"]))
        word = draw(st.sampled_from(_VOCAB))
        if kind == "slot":
            parts.append((f"{{s{i}}}", _FILL))
        elif kind == "opt":
            parts.append((f"[{word}]", ""))
        elif kind == "optslot":
            parts.append((f"[{word} {{s{i}}}]", ""))
        elif kind == "alt":
            parts.append((f"({word}|{{s{i}}})", _FILL))
        else:
            parts.append((f"{{s{i}}}{draw(st.sampled_from(['s', '-', '+', '%', 'ed']))}", _FILL))
    sep = draw(st.sampled_from([" ", "+", " - "]))
    template = sep.join(t for t, _ in parts) + draw(st.sampled_from(["", "?", "[?]", " [please]"]))
    witness = sep.join(w for _, w in parts if w) or _FILL
    return template, witness


@given(_broad_template())
@settings(max_examples=300, deadline=None)
def test_generated_over_broad_templates_are_refused(case: tuple[str, str]) -> None:
    template, witness = case
    shape = trigger_shape(template, False)
    params = {s: True for s in shape.slots}
    codes = [p.code for p in trigger_problems(template, False, "p", params)]
    # The witness shows the template really is over-broad, whenever it matches.
    if re2.fullmatch(parse_template(template).regex, normalise(witness).text):
        assert not words(witness) & set(_VOCAB)
    assert codes == ["E0242"], (template, codes)


@st.composite
def _broad_regex(draw: st.DrawFn) -> tuple[str, str]:
    parts: list[tuple[str, str]] = []
    for i in range(draw(st.integers(1, 4))):
        word = draw(st.sampled_from(_VOCAB))
        parts.append(draw(st.sampled_from([
            (f"(?P<g{i}>.+)", _FILL), (f"(?P<g{i}>\\w+)", _FILL), (".*", ""), (f"(?:{word} )?", ""),
            (f"(?:{word}|(?P<g{i}>.+))", _FILL), ("[a-z]+", _FILL), (f"{word}(?P<g{i}>.+)", word + _FILL),
            (f"(?P<g{i}>[a-z]+){word}", _FILL + word), ("\\S+", _FILL), (f"(?:{word})?", ""),
        ])))
    sep = draw(st.sampled_from([" ", "\\s+", "-", ""]))
    pattern = draw(st.sampled_from(["", "(?s)", "(?i)", "^"])) + sep.join(p for p, _ in parts)
    witness = (" " if sep == "\\s+" else sep).join(w for _, w in parts)
    return pattern, witness


@given(_broad_regex())
@settings(max_examples=300, deadline=None)
def test_generated_over_broad_regexes_are_refused(case: tuple[str, str]) -> None:
    pattern, witness = case
    options = re2.Options()
    options.case_sensitive = False
    if re2.compile(pattern, options).fullmatch(witness):
        assert not words(witness) & set(_VOCAB), (pattern, witness)
    shape = trigger_shape(pattern, True)
    codes = [p.code for p in trigger_problems(pattern, True, "p", {s: True for s in shape.slots})]
    assert codes == ["E0242"], (pattern, codes)


@st.composite
def _specific_regex(draw: st.DrawFn) -> str:
    """A regex with pieces of every kind and at least one bare word between spaces."""
    pieces = draw(st.lists(st.sampled_from([
        "total", "price", "(?P<a>[0-9]+)", "(?P<b>[a-z]+)", "(?:plus )?", "(?:sort|order)", "[0-9]+", "(?P<c>.+?)",
        "(days|weeks)", "x?", "is", "(?:of the)", "\\.",
    ]), min_size=1, max_size=6))
    return " ".join([*pieces, draw(st.sampled_from(["total", "price", "is"]))])


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_regex_shapes_are_conservative(data: st.DataObject) -> None:
    pattern = data.draw(_specific_regex())
    assume(len(set(re.findall(r"\?P<(\w)>", pattern))) == len(re.findall(r"\?P<", pattern)))  # RE2: unique names
    shape = regex_shape(pattern)
    assert shape.anchors  # the last piece is always a bare word
    text = data.draw(st.from_regex(pattern, fullmatch=True).filter(lambda s: "\n" not in s))
    options = re2.Options()
    options.case_sensitive = False
    m = re2.compile(pattern, options).fullmatch(text)
    assert m is not None, (pattern, text)
    request_words = words(text)
    for anchor in shape.anchors:
        assert anchor & request_words, (pattern, text, anchor)
    for name in shape.always:
        assert m.group(name) is not None, (pattern, text, name)


# ---------------------------------------------------------------- the project's own triggers



def _shipped_triggers() -> list[tuple[str, str, bool]]:
    found = []
    for root in ("examples", "stdlib", "tests"):
        for path in sorted((ROOT / root).rglob("*.sgl")):
            rel = path.relative_to(ROOT).as_posix()
            try:
                tree = parse(path.read_text(), rel)
            except Exception:  # samples of syntax errors live beside good files
                continue
            found += [(rel, t.pattern, t.is_regex) for d in tree.procs for t in d.triggers]
    return found


def test_every_shipped_trigger_is_specific() -> None:
    triggers = _shipped_triggers()
    assert len(triggers) >= 30
    broad = [(rel, pattern) for rel, pattern, is_regex in triggers if not trigger_shape(pattern, is_regex).specific]
    assert not broad, broad
