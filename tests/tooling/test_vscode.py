"""editors/vscode: the extension's manifest, grammar and language configuration agree with
each other and with `sgl lsp`. (The grammar itself is tested by tokenizing the repository with
vscode-textmate: `cd editors/vscode && npm ci && npm test`, see its README.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from seglam_lang.cli import COMMANDS

EXT = Path(__file__).resolve().parents[2] / "editors" / "vscode"


def load(name: str) -> Any:
    return json.loads((EXT / name).read_text(encoding="utf-8"))


def test_manifest_declares_the_language_grammar_and_server() -> None:
    pkg = load("package.json")
    (lang,) = pkg["contributes"]["languages"]
    assert (lang["id"], lang["extensions"]) == ("sgl", [".sgl"])
    assert (EXT / lang["configuration"]).is_file()
    (grammar,) = pkg["contributes"]["grammars"]
    assert grammar["language"] == "sgl"
    assert load(grammar["path"])["scopeName"] == grammar["scopeName"] == "source.sgl"
    props = pkg["contributes"]["configuration"]["properties"]
    assert props["sgl.server.command"]["default"] == "sgl"
    assert props["sgl.server.args"]["default"] == ["lsp"] and "lsp" in COMMANDS
    assert (EXT / pkg["main"]).is_file()
    assert {"vscode-textmate", "vscode-oniguruma", "@vscode/vsce"} <= set(pkg["devDependencies"])
    assert "vscode-languageclient" in pkg["dependencies"]


def test_grammar_includes_resolve() -> None:
    grammar = load("syntaxes/sgl.tmLanguage.json")
    text = json.dumps(grammar)
    included = set(re.findall(r'"include": "#([\w-]+)"', text))
    assert included and included <= set(grammar["repository"])


def test_language_configuration() -> None:
    conf = load("language-configuration.json")
    assert conf["comments"]["lineComment"] == "#"
    increase = re.compile(conf["indentationRules"]["increaseIndentPattern"])
    assert increase.match("proc f(x: Int) -> Int:") and increase.match("    if x > 0:  # why")
    assert not increase.match("    return x")
