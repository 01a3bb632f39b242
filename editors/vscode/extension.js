// A minimal VS Code extension: highlighting comes from syntaxes/law.tmLanguage.json; this file
// starts the language server (`rules lsp`, configurable in the setting lawRules.command) over
// stdio for .law files. No build step: `npm install --omit=dev` fetches vscode-languageclient.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace
    .getConfiguration("lawRules")
    .get("command", ["rules", "lsp"]);
  const serverOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "law" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.law") },
  };
  client = new LanguageClient("lawRules", "Law rules", serverOptions, clientOptions);
  client.start();
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
