"""The parsed-module cache (syntax/astcache.py) gives back exactly what the parser gave.

A module seen before is served from disk without importing Lark; that is what keeps a cache
hit and `sgl exec` of a known file fast. A cached tree that cannot be decoded would silently
fall back to parsing on every start, so these tests check the round trip on every shipped
file (layout-only fields included: a raw string must stay raw) and the import in a fresh process.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seglam_lang.frozen import evolve
from seglam_lang.syntax import astcache
from seglam_lang.syntax.parser import parse
from seglam_lang.syntax.printer import print_module

REPO = Path(__file__).resolve().parents[2]
FILES = sorted(p for p in [*REPO.glob("examples/**/*.sgl"), *REPO.glob("stdlib/*.sgl")] if "cache" not in p.parts)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(REPO)) for p in FILES])
def test_encoded_tree_decodes_to_the_same_tree(path: Path) -> None:
    tree = parse(path.read_text(encoding="utf-8"), str(path))
    blob = marshal.dumps(astcache._encode(evolve(tree, file="", source="")))
    back = astcache._decode(marshal.loads(blob))
    assert back == evolve(tree, file="", source="")
    assert print_module(back) == print_module(tree)  # layout-only fields (raw strings) survive too


def test_a_module_seen_before_is_loaded_without_lark(tmp_path: Path) -> None:
    program = (
        "import sys, seglam_lang\n"
        f"seglam_lang.load({str(REPO / 'examples' / 'basket.sgl')!r})\n"
        "print('lark' in sys.modules)\n"
    )
    env = {**os.environ, "SGL_PARSER_CACHE": str(tmp_path / "pc")}
    runs = [subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120,
                           check=True).stdout.strip() for _ in range(2)]
    assert runs == ["True", "False"]
