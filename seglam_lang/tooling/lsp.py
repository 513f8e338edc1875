"""`sgl lsp`: start the SGL language server on stdio (see `seglam_lang.tooling.lsp_server`).

Owns: the command and its one-line error when the optional dependencies are missing.
Invariant: pygls and lsprotocol are imported only when the command runs, and only here
and in `lsp_server`; without them `sgl lsp` says what to install and exits 2.
"""

from __future__ import annotations

import importlib.util

import click

INSTALL_HINT = "pip install 'seglam-lang[lsp]'"


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Speak the protocol on stdin/stdout (the default and only transport).")
def lsp_command(stdio: bool) -> None:
    """Run the SGL language server on stdin/stdout (for an editor to start)."""
    missing = [m for m in ("pygls", "lsprotocol") if importlib.util.find_spec(m) is None]
    if missing:
        from seglam_lang.cli.failures import EXIT_USAGE, fail

        fail(f"`sgl lsp` needs {' and '.join(missing)}: {INSTALL_HINT}", EXIT_USAGE)
    from seglam_lang.tooling.lsp_server import serve

    serve()
