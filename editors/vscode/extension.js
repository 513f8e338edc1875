// The SGL extension: the grammar and language configuration are declared in package.json;
// this starts `sgl lsp` (the command is a setting) and connects VS Code to it over stdio.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("sgl");
  const command = config.get("server.command", "sgl");
  const args = config.get("server.args", ["lsp"]);
  const serverOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "sgl" }, { scheme: "untitled", language: "sgl" }],
    outputChannelName: "SGL language server",
  };
  client = new LanguageClient("sgl", "SGL language server", serverOptions, clientOptions);
  client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `SGL: cannot start \`${command} ${args.join(" ")}\` (${error.message}). ` +
        "Install it with: pip install 'seglam-lang[lsp]', or set sgl.server.command.");
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
