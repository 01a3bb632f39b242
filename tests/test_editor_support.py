"""The VS Code extension folder: a valid manifest that starts `rules lsp`, and a TextMate grammar
that highlights every keyword of the rule language (checked with a small TextMate tokenizer over
the kitchen-sink file, whose sample covers every rule of grammar/law.lark)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = json.loads((VSCODE / "syntaxes" / "law.tmLanguage.json").read_text())
SINK = ROOT / "tests" / "fixtures" / "format" / "kitchen_sink.law"


def test_manifest_declares_the_language_the_grammar_and_the_server():
    manifest = json.loads((VSCODE / "package.json").read_text())
    [language] = manifest["contributes"]["languages"]
    assert language["id"] == "law" and language["extensions"] == [".law"]
    [grammar] = manifest["contributes"]["grammars"]
    assert (VSCODE / grammar["path"]).is_file() and grammar["scopeName"] == GRAMMAR["scopeName"]
    assert (VSCODE / manifest["main"]).is_file()
    assert (VSCODE / language["configuration"]).is_file()
    json.loads((VSCODE / language["configuration"]).read_text())
    command = manifest["contributes"]["configuration"]["properties"]["lawRules.command"]
    assert command["default"] == ["rules", "lsp"]
    assert "vscode-languageclient" in manifest["dependencies"]
    source = (VSCODE / "extension.js").read_text()
    assert "TransportKind.stdio" in source and '"lawRules"' in source


def tokenize(line: str) -> list[tuple[str, str]]:
    """(text, scope) runs of one line, first matching pattern wins, as a TextMate engine does
    for single-line rules."""
    repository = GRAMMAR["repository"]
    rules = [repository[p["include"][1:]] for p in GRAMMAR["patterns"]]
    out: list[tuple[str, str]] = []
    position = 0
    while position < len(line):
        best = None
        for rule in rules:
            pattern = rule.get("match") or rule["begin"] + r'(?:[^"\\]|\\.)*' + rule["end"]
            found = re.compile(pattern, re.MULTILINE).search(line, position)
            if found and found.end() > found.start() and \
                    (best is None or found.start() < best[0].start()):
                best = (found, rule)
        if best is None:
            break
        found, rule = best
        if "captures" in rule:
            for index, capture in rule["captures"].items():
                if found.group(int(index)):
                    out.append((found.group(int(index)), capture["name"]))
        else:
            out.append((found.group(0), rule["name"]))
        position = found.end()
    return out


def keywords() -> set[str]:
    text = (ROOT / "grammar" / "law.lark").read_text()
    return {w for w in re.findall(r'"([a-z_]+)"', text)}


def test_every_regex_compiles():
    for rule in GRAMMAR["repository"].values():
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])


def test_every_keyword_of_the_grammar_is_highlighted_as_a_keyword():
    scopes: dict[str, set[str]] = {}
    for line in SINK.read_text().splitlines():
        for text, scope in tokenize(line):
            for word in text.split():
                scopes.setdefault(word, set()).add(scope)
    for keyword in keywords():
        assert keyword in scopes, f"`{keyword}` does not occur in the kitchen sink"
        assert not scopes[keyword] & {"variable.other.law"}, (keyword, scopes[keyword])


def test_names_strings_dates_and_comments():
    runs = dict((text, scope) for text, scope in tokenize(
        '  if victim.age < 14 and offence.date >= 2024-06-16  # young "child"'))
    assert runs["victim.age"] == "variable.other.law"
    assert runs["2024-06-16"] == "constant.numeric.date.law"
    assert runs['# young "child"'] == "comment.line.number-sign.law"
    runs = dict(tokenize('provision cc_68@a1 "No \\"reconciliation\\""'))
    assert runs["provision"] == "keyword.declaration.law"
    assert runs["cc_68@a1"] == "entity.name.definition.law"
    assert runs['"No \\"reconciliation\\""'] == "string.quoted.double.law"
