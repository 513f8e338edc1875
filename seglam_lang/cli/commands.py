"""The table of `sgl` sub-commands: name -> "module:attribute" + one line of help.

Invariant: nothing is imported to list the commands (`sgl --help` imports none of them).
"""

from __future__ import annotations

# name -> ("module:attribute", short help). The order here is the order `sgl --help` shows.
COMMANDS: dict[str, tuple[str, str]] = {
    "exec": ("seglam_lang.cli.lang:exec_command", "Run a procedure of an SGL file and print its result."),
    "check": ("seglam_lang.cli.lang:check_command", "Parse and type-check SGL files; print diagnostics."),
    "fmt": ("seglam_lang.cli.lang:fmt_command", "Format SGL files in place (or check that they are formatted)."),
    "test": ("seglam_lang.cli.test:test_command", "Run the examples and properties of SGL files."),
    "ask": ("seglam_lang.cli.cache:ask_command", "Answer a request through the reasoning cache."),
    "batch": ("seglam_lang.cli.batch:batch_command", "Answer every request of a JSONL file through the reasoning cache."),
    "cache": ("seglam_lang.cli.cache:cache_group", "Inspect and manage a reasoning cache."),
    "repl": ("seglam_lang.tooling.repl:repl_command", "Evaluate SGL interactively (or each line of a pipe)."),
    "explain": ("seglam_lang.tooling.explain:explain_command", "Explain an error code, with a mistake and its fix."),
    "lsp": ("seglam_lang.tooling.lsp:lsp_command", "Run the SGL language server on stdio (for editors)."),
}
