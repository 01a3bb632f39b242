"""Case text never reaches a terminal raw, and CSV outputs never carry a live formula.

A district of "\\x1b[2J\\x1b[HFORGED..." cleared the screen and printed forged text in the
terminal report. Every terminal output (report, why-not, ask, verify, diagnostics, batch and diff
summaries) must show it escaped; JSON output escapes it as JSON does (and C1 / bidirectional
controls too); a CSV output cell starting with = + - @ is quoted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from reliability.support import INPUTS, ROOT
from typer.testing import CliRunner

from cli import app

runner = CliRunner()
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
AMENDMENT = str(ROOT / "amendments" / "psych_violence_reconciliation.law")


def _raw_controls(text: str) -> list[str]:
    return RAW.findall(text)


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    case = tmp_path / "case.json"
    case.write_bytes((INPUTS / "case_escape.json").read_bytes())
    return case


@pytest.mark.parametrize("args", [
    ["eval", "{case}"],
    ["eval", "{case}", "--why-not", "bill_district_support_centre"],
    ["eval", "{case}", "--json"],
    ["ask", "{case}"],
], ids=["report", "why-not", "json", "ask"])
def test_case_text_is_escaped_on_the_terminal(args: list[str], hostile: Path) -> None:
    result = runner.invoke(app, [a.replace("{case}", str(hostile)) for a in args],
                           input="\n" * 30)
    assert result.exit_code == 0, result.output
    output = result.stdout + result.stderr
    if "--why-not" not in args:
        assert "FORGED" in output                 # the text is shown ...
    assert _raw_controls(output) == []            # ... with its controls made visible
    if "--json" in args:
        assert json.loads(result.stdout)["case"]["place"]["district"].startswith("\x1b[2J")


def test_saved_decision_with_controls_verifies_escaped(hostile: Path, tmp_path: Path) -> None:
    saved = tmp_path / "decision.json"
    saved.write_text(runner.invoke(app, ["eval", str(hostile), "--json"]).stdout)
    data = json.loads(saved.read_text())
    data["outcomes"][0]["provisions"] = ["\x1b[31mforged\u202e"]
    saved.write_text(json.dumps(data))
    result = runner.invoke(app, ["verify", str(saved)])
    assert result.exit_code == 1
    assert "forged" in result.stdout and _raw_controls(result.stdout + result.stderr) == []


def test_batch_summary_and_csv_results(tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_bytes((INPUTS / "corpus_formula.csv").read_bytes())
    with cases.open("a", encoding="utf-8") as handle:
        handle.write("x,2024-07-01,battery,10,astana,ok\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("offence.date,\x1b[2Jcolumn\n2024-07-01,1\n", encoding="utf-8")
    result = runner.invoke(app, ["batch", str(bad)])
    assert result.exit_code == 0, result.output
    assert "\\x1b[2Jcolumn" in result.stdout and _raw_controls(result.stdout) == []
    result = runner.invoke(app, ["batch", str(cases), "--out", str(tmp_path / "o.csv"),
                                 "--keep", "id"])
    assert result.exit_code == 0, result.output
    rows = pl.read_csv(tmp_path / "o.csv", infer_schema=False)
    assert rows["id"].to_list() == ["'=HYPERLINK(\"http://x\")", "'+1", "x"]
    district = rows["district_support_centre_referral.district"].to_list()
    assert district == ["'@SUM(A1)", "'-2+3", "ok"]
    for value in rows.to_dicts():
        for cell in value.values():
            assert cell is None or not cell.startswith(("=", "+", "-", "@"))


def test_diagnostics_and_diff_escape(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "x.law").write_text('act X "Title"\nenum e = a | \x1b[2Jb\n', encoding="utf-8")
    result = runner.invoke(app, ["check", str(folder)])
    assert result.exit_code == 2 and "\\x1b" in result.stderr
    assert _raw_controls(result.stdout + result.stderr) == []
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "\x1b[2Jforged", "offence": {"date": "2025-06-01",
                                 "kind": "family_domestic_act"}, "victim": {"age": 12},
                                 "parties": {"reconciled": True}}) + "\n")
    result = runner.invoke(app, ["diff", "--amendment", AMENDMENT, "--cases", str(cases)])
    assert result.exit_code == 0, result.output
    assert _raw_controls(result.stdout + result.stderr) == []


def test_scenario_names_are_not_markup(tmp_path: Path) -> None:
    scenarios = tmp_path / "s.yaml"
    scenarios.write_text('- name: "[/] \\e[2J broken [red]"\n'
                         "  case: {offence: {date: 2024-07-01}}\n"
                         "  expect: {outcomes: {reconciliation: required}}\n")
    result = runner.invoke(app, ["test", str(scenarios)])
    assert result.exit_code == 1, result.output
    assert "[/]" in result.stdout and "\\x1b[2J" in result.stdout
    assert _raw_controls(result.stdout) == []
