"""The `rules` command: reports, JSON, and user errors (exit 2, a message, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "examples" / "cases" / "battery_of_child_2024.json"
runner = CliRunner()


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_eval_json_is_the_decision_contract() -> None:
    code, out, _ = run("eval", str(CASE), "--json")
    assert code == 0
    decision = json.loads(out)
    for key in ("as_of", "outcomes", "conclusions", "undetermined", "conflicts", "explanation",
                "record", "case"):
        assert key in decision
    reconciliation = next(o for o in decision["outcomes"] if o["action"] == "reconciliation")
    assert reconciliation["modality"] == "forbidden"
    assert set(reconciliation) >= {"action", "modality", "args", "provisions", "set_aside",
                                   "sources"}


def test_eval_json_is_deterministic() -> None:
    first = run("eval", str(CASE), "--json")[1]
    second = run("eval", str(CASE), "--json")[1]
    assert first == second


def test_eval_report_is_readable_not_json() -> None:
    code, out, _ = run("eval", str(CASE))
    assert code == 0
    assert "reconciliation" in out and "forbidden" in out
    assert not out.lstrip().startswith("{")


def test_as_of_overrides_the_offence_date() -> None:
    code, out, _ = run("eval", str(CASE), "--json", "--as-of", "2024-06-15")
    assert code == 0
    decision = json.loads(out)
    assert decision["as_of"] == "2024-06-15"
    assert decision["as_of_source"] == "as_of"


@pytest.mark.parametrize(("content", "fragment"), [
    ("{not json", "not valid JSON"),
    ('{"victim": {"age": "twelve"}}', "victim.age"),
    ('{"victim": {"age": 200}}', "victim.age"),
    ('{"victim": {"height": 120}}', "victim.height"),
    ('{"offence": {"kind": "theft_of_a_bike"}}', "offence.kind"),
    ('{"offence": {"date": "2024-13-01"}}', "offence.date"),
    ('[1, 2]', "JSON object"),
    ('{"offence": {"date": "2024-07-01"}, "victim": {"age": 12, "birth_date": "2006-07-02"}}',
     "victim.age"),
])
def test_bad_case_is_exit_2_with_the_field_path(tmp_path: Path, content: str,
                                                fragment: str) -> None:
    case = tmp_path / "case.json"
    case.write_text(content, encoding="utf-8")
    code, out, err = run("eval", str(case))
    assert code == 2
    assert fragment in err
    assert "Traceback" not in out + err


def test_missing_case_file_is_exit_2() -> None:
    code, _, err = run("eval", "no/such/case.json")
    assert code == 2
    assert "no such case file" in err


def test_bad_as_of_is_exit_2() -> None:
    code, _, err = run("eval", str(CASE), "--as-of", "16.06.2024")
    assert code == 2
    assert "2024-06-16" in err


def test_broken_rules_are_located_with_a_caret(tmp_path: Path) -> None:
    (tmp_path / "a.law").write_text(
        'act CC "Criminal Code"\n'
        "provision p1 \"A provision\"\n"
        "  source CC article 1\n"
        "  confidence confirmed\n"
        "  in force from 2024-6-16\n"
        "  then forbid x\n", encoding="utf-8")
    code, out, err = run("check", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'a.law'}:5:" in err
    assert "^" in err
    assert "Traceback" not in out + err


def test_check_reports_every_error_with_codes(tmp_path: Path) -> None:
    (tmp_path / "a.law").write_text(
        'act CC "Criminal Code"\n'
        "facts\n  victim.age : integer 0..150\n  offence.date : date\n"
        "action reconciliation\n"
        "provision p1 \"One\"\n  source CC article 1\n  confidence confirmed\n"
        "  in force from 2024-06-16\n  if victim.agee < 18\n  then forbid reconciliation\n"
        "provision p2 \"Two\"\n  source CC article 2\n  confidence confirmed\n"
        "  in force from 2024-06-16\n  if victim.age < offence.date\n"
        "  then forbid reconciliation\n", encoding="utf-8")
    code, _, err = run("check", str(tmp_path))
    assert code == 2
    assert "unknown_name" in err and "did you mean `victim.age`" in err
    assert "type_mismatch" in err


def test_check_bundled_bill_is_clean() -> None:
    code, out, _ = run("check", "--no-analysis") if _has_option("check", "--no-analysis") \
        else run("check")
    assert code == 0
    assert "ok:" in out


def test_schema_lists_the_fact_groups() -> None:
    code, out, _ = run("schema")
    assert code == 0
    schema = json.loads(out)
    assert "victim" in schema["properties"]
    assert "offence" in schema["properties"]


def test_rules_test_runs_the_scenarios_with_full_coverage() -> None:
    code, out, _ = run("test", str(ROOT / "tests" / "scenarios"))
    assert code == 0, out
    assert "0 failed" in out
    assert "provisions covered" in out


def test_process_exit_code_and_no_traceback_for_bad_case(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text('{"victim": {"age": -1}}', encoding="utf-8")
    process = subprocess.run([sys.executable, str(ROOT / "cli.py"), "eval", str(case)],
                             capture_output=True, text=True, check=False)
    assert process.returncode == 2
    assert "victim.age" in process.stderr
    assert "Traceback" not in process.stderr


def _has_option(command: str, option: str) -> bool:
    return option in runner.invoke(app, [command, "--help"]).stdout
