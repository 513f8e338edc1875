"""A persistent cache of parsed modules: `parse_cached(source, file) -> ast.Module`.

Owns: skipping Lark on the hot path. Lark's LALR parser builds a parse tree in pure
Python (several reductions per token), which makes parsing the dominant cost of loading
a module; a reasoning-cache hit in a fresh process loads its module, so that cost is on
the product's critical path. A parsed tree is stored as `marshal` data (nested lists,
tuples and scalars: never pickle, so a foreign file cannot run code), keyed by the
SHA-256 of the source and of the syntax layer's own sources (grammar, AST classes,
parser), so any change to either invalidates it.

Invariants:
- `parse_cached(s, f) == parse(s, f)` (same tree, same spans, same comments, same file);
- a source that does not parse is never cached (its SglSyntaxError is raised each time);
- an unreadable, stale or corrupt cache entry is ignored and rewritten; an unwritable
  cache directory only costs speed. Entries live beside the parse tables, in the
  private directory of `seglam_lang.syntax.tables`.
"""

from __future__ import annotations

import marshal
from functools import cache
from pathlib import Path
from typing import Any

from seglam_lang.errors import Span
from seglam_lang.frozen import evolve, fields, has
from seglam_lang.privatedir import sha256, write_private
from seglam_lang.syntax import ast
from seglam_lang.syntax.tables import cache_dir, grammar_text

_SYNTAX_DIR = Path(__file__).resolve().parent
_NODE_CLASSES: dict[str, type] = {
    name: cls for name, cls in vars(ast).items() if isinstance(cls, type) and has(cls)
}
# Fields are stored in declaration order and given back by name: some are keyword-only.
_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    name: tuple(a.name for a in fields(cls) if a.name != "span") for name, cls in _NODE_CLASSES.items()
}
_MEMORY_LIMIT = 256  # parsed modules kept in this process
_memory: dict[str, ast.Module] = {}


@cache
def _format_key() -> str:
    """A hash of everything that decides what `parse` returns."""
    h = sha256(grammar_text().encode())
    for name in ("ast.py", "parser.py", "indenter.py", "tables.py"):
        h.update((_SYNTAX_DIR / name).read_bytes())
    return h.hexdigest()[:16]


def _encode(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_encode(v) for v in value)
    if hasattr(value, "__frozen_fields__"):
        fields = [_encode(getattr(value, a.name)) for a in value.__frozen_fields__ if a.name != "span"]
        span = getattr(value, "span", None)
        return [type(value).__name__, (span.line, span.col, span.end_line, span.end_col) if span is not None else None, *fields]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_decode(v) for v in value)
    if isinstance(value, list):
        name, span, *fields = value
        kwargs = dict(zip(_FIELD_NAMES[name], (_decode(f) for f in fields), strict=True))
        if span is not None:
            kwargs["span"] = Span(*span)
        return _NODE_CLASSES[name](**kwargs)
    return value


def parse_cached(source: str, file: str = "<input>") -> ast.Module:
    """Like `parse`, but served from the memory or disk cache when the source was seen before."""
    key = sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:32] + _format_key()
    tree = _memory.get(key)
    if tree is None:
        path = cache_dir() / "ast" / f"{key}.marshal"
        tree = _read(path)
        if tree is None:
            from seglam_lang.syntax.parser import parse  # Lark is imported only on a cache miss

            tree = parse(source, file)
            _write(path, tree)
        if len(_memory) >= _MEMORY_LIMIT:
            _memory.pop(next(iter(_memory)))
        _memory[key] = tree
    return evolve(tree, file=file, source=source)


def _read(path: Path) -> ast.Module | None:
    try:
        tree = _decode(marshal.loads(path.read_bytes()))
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        return None
    return tree if isinstance(tree, ast.Module) else None


def _write(path: Path, tree: ast.Module) -> None:
    try:
        blob = marshal.dumps(_encode(evolve(tree, file="", source="")))
    except ValueError:  # a value marshal cannot write: the tree is simply not kept
        return
    write_private(path, blob, ".ast-")

