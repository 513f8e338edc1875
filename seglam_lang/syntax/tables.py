"""Locating the grammar and building the LALR parser once.

Owns: where `grammar/sgl.lark` is (in the wheel as `seglam_lang/_grammar/`, in a checkout
at the top of the repo) and the cached parse tables.

Invariants:
- the tables are built with `strict=True` (a conflict in the grammar is an error);
- built tables are kept in a private directory (`$SGL_PARSER_CACHE`, else
  `$XDG_CACHE_HOME/seglam`, else `~/.cache/seglam`), mode 0700, under a name that hashes
  the grammar text, the Lark version and the Python version, written atomically; they
  are `marshal` data (never pickle), so a stale or foreign file cannot run code;
- if the directory cannot be written, the tables are built in memory: slower, never wrong.
"""

from __future__ import annotations

import marshal
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seglam_lang.privatedir import private_cache_dir, sha256, write_private

if TYPE_CHECKING:
    import lark

PACKAGE_DIR = Path(__file__).resolve().parent.parent
START_SYMBOLS = ["start", "fstring_expr"]


def resource_dir(name: str) -> Path:
    """`grammar` or `stdlib`: inside the installed package, else at the repo's top level."""
    shipped = PACKAGE_DIR / f"_{name}"
    if shipped.is_dir():
        return shipped
    return PACKAGE_DIR.parent / name


def grammar_text() -> str:
    return (resource_dir("grammar") / "sgl.lark").read_text(encoding="utf-8")


def cache_dir() -> Path:
    return private_cache_dir()


_LAYOUT_TOKENS = frozenset({"_NEWLINE", "_INDENT", "_DEDENT"})


def _positioned(child: object) -> bool:
    """Spans are taken from code only: a rule's trailing newline (which also holds the
    comments and blank lines after it) and indentation tokens do not extend it."""
    return getattr(child, "type", None) not in _LAYOUT_TOKENS


def _build(text: str) -> lark.Lark:
    import lark

    from seglam_lang.syntax.indenter import SglIndenter

    return lark.Lark(
        text,
        parser="lalr",
        lexer="contextual",
        strict=True,
        propagate_positions=_positioned,
        maybe_placeholders=True,
        start=START_SYMBOLS,
        postlex=SglIndenter(),
    )


def _load(blob: bytes) -> lark.Lark:
    import lark

    from seglam_lang.syntax.indenter import SglIndenter

    d = marshal.loads(blob)
    return lark.Lark._load_from_dict(d["data"], d["memo"], postlex=SglIndenter(), propagate_positions=_positioned)


@cache
def parser() -> lark.Lark:
    """The SGL parser, from the private table cache when it is there."""
    import lark

    text = grammar_text()
    key = sha256(
        f"{text}\0{lark.__version__}\0{sys.version_info[:2]}".encode()
    ).hexdigest()[:24]
    path = cache_dir() / f"sgl-parser-{key}.marshal"
    try:
        return _load(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        pass
    built = _build(text)
    _save(built, path)
    return built


def _save(built: lark.Lark, path: Path) -> None:
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = built.memo_serialize([TerminalDef, Rule])
    # Options given again at load time (the post-lexer object) are not data.
    data["options"] = {k: v for k, v in data["options"].items() if k not in ("postlex", "lexer_callbacks", "transformer", "propagate_positions")}
    blob: Any = marshal.dumps({"data": data, "memo": memo})
    write_private(path, blob, ".tables-")
