"""The syntax layer: SGL source text to an abstract syntax tree, and back to canonical text.

Contract: `parser.parse(source, file) -> ast.Module` (or `astcache.parse_cached`, the same
tree from a persistent cache without loading Lark), raising `SglSyntaxError` carrying every
diagnostic with its span; `printer` and `format` turn a tree (with its comments) back into
the canonical text `sgl fmt` writes. `trigger_templates` and `trigger_regex` read the
little languages of `@when` triggers, which the checker judges and the cache matches.

Modules: `ast` (frozen nodes, each with a `Span`), `tables` (the grammar and its LALR
tables, built once and kept in the private cache), `indenter` (INDENT/DEDENT tokens and
comments), `parser`, `astcache`, `printer`, `format`, `formatspec` (the f-string format-spec
subset), `trigger_templates`, `trigger_regex`.

Invariants: the layer imports only the base modules (`errors`, `codes`, `privatedir`,
`settings`); a tree is immutable and every node has a span within its source; parsing never
raises anything but `SglSyntaxError`, whatever the input (parsing is iterative, and a tree
nested deeper than `parser.MAX_NESTING` is refused before any recursive pass sees it);
the printer's output parses back to the same tree.
"""
