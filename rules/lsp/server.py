"""The language server for `.law` files (`rules lsp`, pygls over stdio).

A thin layer: every request is answered by `rules.lsp.workspace`, which knows nothing of LSP.
Diagnostics are the checker's (and, for an amendment file, those of applying it), published for
every file of the rule set on each change, so an error fixed in one file disappears from another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from rules.language.source import Diagnostic, RulesError, Span
from rules.lsp.workspace import Workspace
from rules.version import __version__


class LawServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("rules-law", __version__)
        self.law = Workspace(None, self._open_documents)

    def _open_documents(self) -> dict[str, str]:
        found = {}
        for uri, document in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if path:
                found[str(Path(path).resolve())] = document.source
        return found


server = LawServer()


def _path(uri: str) -> str:
    path = to_fs_path(uri)
    if path is None:
        raise RulesError(f"not a file: {uri}")
    return str(Path(path).resolve())


def _range(span: Span) -> types.Range:
    line = max(span.line - 1, 0)
    end_line = max(span.end_line - 1, line)
    end = span.end_column - 1 if span.end_line >= span.line else span.column
    if end_line == line and end <= span.column - 1:
        end = span.column
    return types.Range(start=types.Position(line=line, character=max(span.column - 1, 0)),
                       end=types.Position(line=end_line, character=max(end, 0)))


def _lsp_diagnostic(d: Diagnostic) -> types.Diagnostic:
    severity = types.DiagnosticSeverity.Error if d.severity == "error" \
        else types.DiagnosticSeverity.Warning
    message = d.message + "".join(f"\n{note}" for note in d.notes)
    return types.Diagnostic(range=_range(d.span), message=message, severity=severity,
                            code=d.code, source="rules")


def publish(ls: LawServer, uri: str) -> None:
    try:
        by_file = ls.law.diagnostics(_path(uri))
    except RulesError as error:     # e.g. the rule folder cannot be read
        by_file = {_path(uri): [Diagnostic("workspace", str(error), Span(_path(uri), 1, 1, 1, 2))]}
    for file, diagnostics in by_file.items():
        target = from_fs_path(file)
        if target is None:
            continue
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=target, diagnostics=[_lsp_diagnostic(d) for d in diagnostics]))


@server.feature(types.INITIALIZE)
def initialize(ls: LawServer, params: types.InitializeParams) -> None:
    root = params.root_uri or (params.workspace_folders[0].uri if params.workspace_folders
                               else None)
    if root:
        path = to_fs_path(root)
        ls.law.root = Path(path).resolve() if path else None


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LawServer, params: types.DidOpenTextDocumentParams) -> None:
    publish(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LawServer, params: types.DidChangeTextDocumentParams) -> None:
    publish(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: LawServer, params: types.DidSaveTextDocumentParams) -> None:
    publish(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: LawServer, params: types.HoverParams) -> types.Hover | None:
    text = ls.law.hover(_path(params.text_document.uri), params.position.line + 1,
                        params.position.character + 1)
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def definition(ls: LawServer, params: types.DefinitionParams) -> types.Location | None:
    span = ls.law.definition(_path(params.text_document.uri), params.position.line + 1,
                             params.position.character + 1)
    if span is None:
        return None
    uri = from_fs_path(str(Path(span.file).resolve()))
    return types.Location(uri=uri, range=_range(span)) if uri else None


_KINDS = {"fact": types.CompletionItemKind.Field, "definition": types.CompletionItemKind.Function,
          "value": types.CompletionItemKind.EnumMember,
          "provision": types.CompletionItemKind.Reference}


@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=[".", " ", "{", ","]))
def completion(ls: LawServer, params: types.CompletionParams) -> types.CompletionList:
    found = ls.law.completion(_path(params.text_document.uri), params.position.line + 1,
                              params.position.character + 1)
    items = [types.CompletionItem(label=s.name, kind=_KINDS.get(s.kind),
                                  detail=s.detail or None, documentation=s.doc or None)
             for s in found]
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_RENAME)
def rename(ls: LawServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    try:
        edits = ls.law.rename(_path(params.text_document.uri), params.position.line + 1,
                              params.position.character + 1, params.new_name)
    except RulesError as error:
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error,
                                                       message=str(error)))
        return None
    changes: dict[str, list[types.TextEdit]] = {}
    for file, found in edits.items():
        uri = from_fs_path(file)
        if uri is None:
            continue
        changes[uri] = [types.TextEdit(range=types.Range(
            start=types.Position(line=t.line - 1, character=t.column - 1),
            end=types.Position(line=t.line - 1, character=t.end - 1)),
            new_text=new) for t, new in found]
    return types.WorkspaceEdit(changes=changes)


def serve(**kwargs: Any) -> None:
    """Run the server on standard input and output."""
    server.start_io(**kwargs)


if __name__ == "__main__":
    serve()
