"""Language tooling built on the public layers: the REPL, `sgl explain`, the pytest plugin,
the Pygments lexer and the language server.

Modules: `session` and `repl` (`sgl repl`), `explain` (`sgl explain CODE`), `analysis`
(what an editor asks of one document), `lsp_server` and `lsp` (`sgl lsp`), `lexer`
(Pygments), `pytest_plugin` (`.sgl` examples and properties as pytest items).

Invariants: nothing here is imported by the runtime, the cache or the hit path; each tool
imports what it needs when it runs (the LSP's pygls and the lexer's Pygments are optional
dependencies, never needed by another command); tools reuse the parser, checker, runtime
and verifier through their public entry points and never re-implement a rule of theirs.
"""
