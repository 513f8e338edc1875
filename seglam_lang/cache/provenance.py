"""Provenance: a stored module's `origin:` block, which only SEGLAM writes.

Owns: the keys SEGLAM writes (`COMPILE_KEYS` when a compile stores a new family,
`LINK_KEYS` when a link adds a trigger to one), the admission rule on a module's origin
(`origin_problem`: every key is one of those), and the two edits the compile loop makes to
module text: `with_origin(source, entries)` and `with_trigger(source, proc, template)`.

Invariants:
- module text is edited through the AST and the printer (`syntax.format.format_tree`,
  which keeps comments), never by splicing lines: a value from a request or a reply is
  always printed inside a string literal, with quotes, backslashes, newlines and every
  other line separator (U+2028, U+2029, U+0085, VT, FF, U+001C-U+001E) escaped, so no text
  from outside can become a line of code;
- each edit parses its own output back and compares it with the edited tree, so an edit
  that would not round-trip fails loudly (ValueError) instead of storing other text;
- the check layer refuses a second `origin:` block and a key given twice (E0221), so
  `Module.origin` is the one block as written.
Nothing here imports the parser until an edit is made (the hit path stays light).
"""

from __future__ import annotations

from collections.abc import Mapping

from seglam_lang.errors import Span
from seglam_lang.syntax import ast

COMPILE_KEYS = ("request", "compiler", "backend", "model", "created", "rounds", "tokens", "notes")
LINK_KEYS = ("linked_request", "linked_by", "linked_at", "linked_rounds", "linked_tokens")
ORIGIN_KEYS = frozenset(COMPILE_KEYS + LINK_KEYS)


def origin_problem(origin: Mapping[str, str]) -> str | None:
    """Why a module's origin block cannot be stored (a key SEGLAM does not write), else None."""
    unknown = [k for k in origin if k not in ORIGIN_KEYS]
    if not unknown:
        return None
    keys = ", ".join(f"`{k}`" for k in unknown)
    return (f"its origin block has {keys}, which SEGLAM does not write (only SEGLAM writes provenance; "
            f"the keys are {', '.join(COMPILE_KEYS + LINK_KEYS)}): remove {'it' if len(unknown) == 1 else 'them'}")


def with_origin(source: str, entries: Mapping[str, str]) -> str:
    """`source` with its origin block replaced by one holding its entries updated with `entries`,
    placed at the end of the module."""
    from seglam_lang.syntax.parser import parse

    tree = parse(source, "<module>")
    merged = {**tree.origin, **entries}
    decls = tuple(d for d in tree.decls if not isinstance(d, ast.OriginDecl))
    block = ast.OriginDecl(tuple((str(k), str(v)) for k, v in merged.items()))
    return _print(tree, source, (*decls, block))


def with_trigger(source: str, proc: str, template: str) -> str:
    """`source` with `@when(template)` added before the triggers of `proc` (ValueError if none)."""
    from seglam_lang.syntax.parser import parse

    tree = parse(source, "<module>")
    decls: list[ast.Decl] = list(tree.decls)
    at = next((i for i, d in enumerate(decls) if isinstance(d, ast.ProcDecl) and d.name == proc), None)
    if at is None:
        raise ValueError(f"the module has no proc {proc!r}")
    decl = decls[at]
    assert isinstance(decl, ast.ProcDecl)
    if decl.triggers:
        # It stands on the first trigger's line, so comments written above the proc stay above both.
        first = decl.triggers[0].span
        trigger = ast.Trigger(template, span=Span(first.line, first.col, first.line, first.col))
    else:
        trigger = ast.Trigger(template)
    decls[at] = ast.ProcDecl(decl.name, decl.params, decl.returns, decl.body, decl.doc,
                             (trigger, *decl.triggers), span=decl.span)
    return _print(tree, source, tuple(decls))


def _print(tree: ast.Module, source: str, decls: tuple[ast.Decl, ...]) -> str:
    from seglam_lang.frozen import evolve
    from seglam_lang.syntax.format import format_tree
    from seglam_lang.syntax.parser import parse

    edited = evolve(tree, decls=decls)
    text = format_tree(edited, source)
    if parse(text, "<module>").decls != edited.decls:
        raise ValueError("an edited module does not read back as edited")  # a printer bug: never store it
    return text
