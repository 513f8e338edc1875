"""The prompt: a byte-stable prefix generated from spec/ and examples/, and a variable part."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from seglam_lang.cache.llm_protocol import FailingCase, NearProcedure
from seglam_lang.compilers import prompt, reference

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_reference_is_what_spec_and_examples_generate() -> None:
    if not (ROOT / "spec").is_dir():
        pytest.skip("not a checkout")
    assert reference.SHIPPED.read_text(encoding="utf-8") == reference.generate(ROOT), \
        "run `python -m seglam_lang.compilers.reference` to regenerate seglam_lang/compilers/reference.md"


def test_reference_card_keeps_syntax_and_drops_tooling() -> None:
    card = reference.reference()
    for needed in ("## Triggers: `@when`", "### Slot readers", "### Methods of `Str`", "upper() -> Str",
                   "## examples/bbh/word_sorting.sgl", "require"):
        assert needed in card, needed
    assert "```python" not in card and "```console" not in card and "```sgl-error" not in card
    assert "| `upper` |" not in card  # signature tables are compacted into one line


def test_stable_prefix_is_identical_across_processes() -> None:
    code = "from seglam_lang.compilers.prompt import stable_prefix; import sys; sys.stdout.write(stable_prefix())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PATH": ""}).stdout
    assert other == prompt.stable_prefix()
    assert "`std.text`" in other  # the stdlib index is part of it
    assert '"required": [' in other  # and so is the reply schema


def test_first_message_holds_the_request_near_procedures_and_rejections() -> None:
    request = "Sort these:\n```\npear fig\n```"
    text = prompt.first_message(request, [NearProcedure("words", "proc sort_words(w: Str) -> Str:\n    return w\n")],
                                [FailingCase("words", "sort b a", '"a b"')])
    assert "````\n" + request + "\n````" in text  # a fence the request cannot close
    assert "family `words`" in text and "proc sort_words" in text
    assert "'sort b a' should be \"a b\"" in text
    assert request not in prompt.stable_prefix()


def test_render_shows_every_part() -> None:
    p = prompt.build("hi", [prompt.Message("user", "first"), prompt.Message("assistant", "{}"),
                            prompt.Message("user", prompt.repair_message(["bad"], 1, 3))], 1)
    text = p.render()
    assert text.index("=== system") < text.index("=== user ===\nfirst") < text.index("=== assistant ===")
    assert "repair round 1 of 3" in text and "- bad" in text
