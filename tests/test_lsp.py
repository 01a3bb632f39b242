"""The language server, spoken to in LSP through pygls's own client over the server's stdio:
diagnostics as you type, hover, go to definition, completion, rename across files."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from rules.lsp.workspace import Workspace, names_in, word_at

ROOT = Path(__file__).resolve().parent.parent
VOCABULARY = ROOT / "tests" / "fixtures" / "semantics" / "00_vocabulary.law"

RULES = '''provision p_report "Report offences against minors"
  source CC article 1
  quote "every offence against a minor is reported"
  confidence confirmed
  in force from 2015-01-01
  if minor_victim and offence.kind = battery
  then require report

provision p_special "Young children"
  source CC article 2
  confidence confirmed
  in force from 2015-01-01
  overrides p_report
  if young_child
  then forbid report
'''


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    rules = tmp_path / "provisions"
    rules.mkdir()
    shutil.copy(VOCABULARY, rules / "00_vocabulary.law")
    (rules / "10_rules.law").write_text(RULES, encoding="utf-8")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "s.yaml").write_text(
        "- name: reported\n  case: {victim: {age: 15}}\n  expect:\n    applies: [p_report]\n"
        "    not_applies: [p_special, p_reporter]\n", encoding="utf-8")
    (tmp_path / "amendments").mkdir()
    (tmp_path / "amendments" / "a1.law").write_text(
        'amendment a1 "x"\n  source CC article 1\n  confidence confirmed\n'
        "  in force from 2025-01-01\n  amend p_report condition if young_child\n",
        encoding="utf-8")
    return tmp_path


class Session:
    """A running server and a client speaking LSP to it."""

    def __init__(self, root: Path):
        self.root = root
        self.client = LanguageClient("test-client", "1")
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.published: dict[str, asyncio.Event] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)
            self.published.setdefault(params.uri, asyncio.Event()).set()

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_message(params: Any) -> None:
            return None

    async def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH",
                                                                                  "")}
        await self.client.start_io(sys.executable, "-m", "rules.lsp.server", env=env,
                                   cwd=str(ROOT))
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=from_fs_path(str(self.root))))
        self.client.initialized(types.InitializedParams())

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    def open(self, path: Path, text: str | None = None) -> str:
        uri = from_fs_path(str(path))
        assert uri is not None
        self.published[uri] = asyncio.Event()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="law", version=1,
                text=text if text is not None else path.read_text())))
        return uri

    def change(self, uri: str, text: str, version: int) -> None:
        self.published[uri] = asyncio.Event()
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    async def diagnostics_of(self, uri: str) -> list[types.Diagnostic]:
        await asyncio.wait_for(self.published.setdefault(uri, asyncio.Event()).wait(), 30)
        return self.diagnostics.get(uri, [])


def run(root: Path, scenario: Any) -> None:
    async def main() -> None:
        session = Session(root)
        await session.start()
        try:
            await scenario(session)
        finally:
            await session.stop()

    asyncio.run(main())


def position_of(text: str, needle: str, offset: int = 1) -> types.Position:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


def test_diagnostics_as_you_type(folder: Path):
    path = folder / "provisions" / "10_rules.law"

    async def scenario(session: Session) -> None:
        uri = session.open(path)
        assert await session.diagnostics_of(uri) == []
        broken = RULES.replace("if young_child", "if young_chld")
        session.change(uri, broken, 2)
        [diagnostic] = await session.diagnostics_of(uri)
        assert diagnostic.code == "unknown_name"
        assert "young_chld" in diagnostic.message and "did you mean `young_child`" in \
            diagnostic.message
        assert diagnostic.range.start == position_of(broken, "young_chld", 0)
        session.change(uri, RULES, 3)
        assert await session.diagnostics_of(uri) == []

    run(folder, scenario)


def test_amendment_file_is_checked_against_the_rules_it_amends(folder: Path):
    path = folder / "amendments" / "a1.law"

    async def scenario(session: Session) -> None:
        uri = session.open(path)
        assert await session.diagnostics_of(uri) == []
        session.change(uri, path.read_text().replace("amend p_report", "amend p_reprt"), 2)
        [diagnostic] = await session.diagnostics_of(uri)
        assert diagnostic.code == "amendment_unknown_target"
        assert "did you mean `p_report`" in diagnostic.message

    run(folder, scenario)


def test_hover_definition_completion_rename(folder: Path):
    path = folder / "provisions" / "10_rules.law"
    vocabulary = folder / "provisions" / "00_vocabulary.law"

    async def scenario(session: Session) -> None:
        uri = session.open(path)
        await session.diagnostics_of(uri)
        document = types.TextDocumentIdentifier(uri=uri)
        hover = await session.client.text_document_hover_async(types.HoverParams(
            text_document=document, position=position_of(RULES, "offence.kind", 3)))
        assert hover is not None and "offence_kind" in hover.contents.value
        hover = await session.client.text_document_hover_async(types.HoverParams(
            text_document=document, position=position_of(RULES, "overrides p_report", 12)))
        value = hover.contents.value
        assert "Report offences against minors" in value and "source: CC article 1" in value
        assert "every offence against a minor is reported" in value
        target = await session.client.text_document_definition_async(types.DefinitionParams(
            text_document=document, position=position_of(RULES, "young_child")))
        assert target.uri == from_fs_path(str(vocabulary.resolve()))
        assert target.range.start.line == vocabulary.read_text().split("\n").index(
            next(line for line in vocabulary.read_text().split("\n")
                 if line.startswith("define young_child")))
        completion = await session.client.text_document_completion_async(
            types.CompletionParams(
            text_document=document, position=position_of(RULES, "battery", 0)))
        labels = [item.label for item in completion.items]
        assert labels[:4] == ["battery", "minor_harm", "murder", "bullying"]
        completion = await session.client.text_document_completion_async(
            types.CompletionParams(
            text_document=document, position=position_of(RULES, "p_report\n  if", 0)))
        assert {"p_report", "p_special"} <= {item.label for item in completion.items}
        edit = await session.client.text_document_rename_async(types.RenameParams(
            text_document=document, position=position_of(RULES, "provision p_report", 12),
            new_name="p_report_minors"))
        files = {uri_: [e.new_text for e in edits] for uri_, edits in edit.changes.items()}
        amendment_uri = from_fs_path(str((folder / "amendments" / "a1.law").resolve()))
        assert files[uri] == ["p_report_minors", "p_report_minors"]
        assert files[amendment_uri] == ["p_report_minors"]
        scenario_uri = from_fs_path(str((folder / "scenarios" / "s.yaml").resolve()))
        [scenario_edit] = edit.changes[scenario_uri]
        assert scenario_edit.new_text == "p_report_minors"
        assert scenario_edit.range.start.line == 3 and scenario_edit.range.start.character == 14

    run(folder, scenario)


# ---- the workspace without a server --------------------------------------------------------------


def test_names_skip_texts_and_comments():
    text = 'provision p "p q"  # p\n  overrides p, p@a1\n'
    assert [(t.text, t.line, t.column) for t in names_in(text)] == [
        ("provision", 1, 1), ("p", 1, 11), ("overrides", 2, 3), ("p", 2, 13),
        ("p@a1", 2, 16)]
    assert word_at(text, 2, 17).text == "p@a1"


def test_rename_refuses_what_is_not_a_provision(folder: Path):
    workspace = Workspace(folder)
    path = folder / "provisions" / "10_rules.law"
    import rules

    with pytest.raises(rules.RulesError):
        workspace.rename(path, 6, 7, "x")      # `minor_victim`: a definition
    with pytest.raises(rules.RulesError):
        workspace.rename(path, 1, 12, "not valid")
