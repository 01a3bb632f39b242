"""`rules verify`: re-run a saved decision; exit 0 when it holds, 1 when not, 2 on bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rules
from cli import app
from rules.lawyer.verify import BadDecision, verify

runner = CliRunner()
CASE = {"offence": {"date": "2024-07-01", "kind": "battery"}, "victim": {"age": 10},
        "place": {"region": "astana"}}


@pytest.fixture
def saved(tmp_path: Path, bill: rules.RuleSet) -> Path:
    path = tmp_path / "decision.json"
    path.write_text(bill.evaluate(CASE).model_dump_json(indent=2), encoding="utf-8")
    return path


def edit(path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_identical_decision_exits_0(saved: Path) -> None:
    result = runner.invoke(app, ["verify", str(saved)])
    assert result.exit_code == 0, result.output
    assert "Rule set: unchanged" in result.stdout
    assert "still holds" in result.stdout


def test_changed_outcome_exits_1_and_lists_differences(saved: Path) -> None:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        for outcome in data["outcomes"]:
            if outcome["action"] == "reconciliation":
                outcome["modality"] = "permitted"
        data["conclusions"] = [c for c in data["conclusions"] if c["name"] != "qualification"]

    result = runner.invoke(app, ["verify", str(edit(saved, change))])
    assert result.exit_code == 1
    assert "outcome reconciliation: modality was permitted, now forbidden" in result.stdout
    assert "conclusion qualification = CC 109-1: new" in result.stdout
    as_json = json.loads(runner.invoke(app, ["verify", str(saved), "--json"]).stdout)
    assert as_json["holds"] is False
    assert {d["kind"] for d in as_json["differences"]} == {"outcome", "conclusion"}


def test_rules_changed_is_reported(saved: Path, tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(rules.bundled_path(), folder)
    law = sorted(folder.glob("*.law"))[-1]
    law.write_text(law.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    result = runner.invoke(app, ["verify", str(saved), "--rules", str(folder)])
    assert result.exit_code == 0
    assert "Rule set: CHANGED since the decision" in result.stdout


def test_as_of_decision_is_rerun_as_of(bill: rules.RuleSet, tmp_path: Path) -> None:
    decision = bill.evaluate(CASE, as_of="2024-01-01")
    assert decision.as_of_source == "as_of"
    result = verify(json.loads(decision.model_dump_json()), bill)
    assert result.holds
    assert result.now.as_of == decision.as_of


def test_bad_input_exits_2(saved: Path, tmp_path: Path) -> None:
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(CASE), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    edited = edit(saved, lambda d: d["case"]["offence"].update(kind="murder"))
    for path, message in ((case_file, "not a saved decision"), (broken, "not valid JSON"),
                          (tmp_path / "missing.json", "no such case file"),
                          (edited, "does not match its record")):
        result = runner.invoke(app, ["verify", str(path)])
        assert result.exit_code == 2, path
        assert message in result.stderr
        assert "Traceback" not in result.output
    with pytest.raises(BadDecision):
        verify([1, 2], rules.load())
