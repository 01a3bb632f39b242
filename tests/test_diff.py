"""rules diff: proofs of no change, transitions with confirmed minimal witnesses, scenarios the
amendment breaks, and the effect on a corpus (JSONL, CSV)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rules
from cli import app
from rules.batch.impact import diff_corpus_file
from rules.batch.generate import generate
from rules.drafter.diff import diff, diff_scenarios
from rules.language.amendments import amend, apply_amendment, parse_amendment

ROOT = Path(__file__).resolve().parent.parent
AMENDMENTS = ROOT / "amendments"

RULES = '''
provision p_report "Report offences against minors"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if minor_victim
  then require report
       conclude category = small
'''

AMENDMENT = '''amendment a1 "Report only for young children"
  source CC article 1
  confidence confirmed
  in force from 2025-01-01
  amend p_report condition if young_child
'''


@pytest.fixture
def pair(check_with):
    base = check_with(RULES)
    return base, apply_amendment(base, parse_amendment(AMENDMENT, "a1.law"))


def test_transitions_with_minimal_confirmed_witnesses(pair):
    base, amended = pair
    report = diff(base, amended)
    moves = sorted((str(t.key), t.before, t.after) for t in report.changes)
    assert moves == [("category", "small", "none"), ("report", "required", "none")]
    for t in report.changes:
        # minimal: the age and the date, nothing else
        assert set(t.witness) == {"offence", "victim"}
        assert 14 <= t.witness["victim"]["age"] < 18
        assert t.witness["offence"]["date"] >= "2025-01-01"
        assert t.key.state(base.evaluate(t.witness)) == t.before
        assert t.key.state(amended.evaluate(t.witness)) == t.after
    assert "support" in report.unchanged and not report.unknown


def test_as_of_before_the_amendment_changes_nothing(pair):
    import datetime as dt

    base, amended = pair
    report = diff(base, amended, as_of=dt.date(2024, 12, 31))
    assert report.changes == [] and "report" in report.unchanged


def test_the_same_rules_are_proved_unchanged(pair):
    base, _ = pair
    report = diff(base, base)
    assert report.changes == [] and report.queries == 0


def test_timeout_is_unknown_never_no_change(pair, monkeypatch):
    import z3

    base, amended = pair
    monkeypatch.setattr(z3.Solver, "check", lambda self, *a: z3.unknown)
    report = diff(base, amended)
    assert report.changes == []
    assert {u.get("action") or u.get("conclusion") for u in report.unknown} == {
        "report", "category"}
    assert "report" not in report.unchanged


@pytest.fixture(scope="module")
def bill():
    return rules.load()


def test_bullying_amendment_on_the_bill(bill):
    amended = amend(bill, AMENDMENTS / "bullying_age_10.law")
    report = diff(bill, amended)
    moves = {(str(t.key), t.before, t.after) for t in report.changes}
    assert ("parental_liability", "forbidden", "required") in moves
    assert "administrative_liability" in report.unchanged
    assert not report.inconsistencies and not report.unknown
    assert report.seconds < 10


def test_psychological_violence_amendment_on_the_bill(bill):
    amended = amend(bill, AMENDMENTS / "psych_violence_reconciliation.law")
    report = diff(bill, amended)
    moves = {(str(t.key), t.before, t.after) for t in report.changes}
    assert {("reconciliation", "required", "forbidden"),
            ("reconciliation", "permitted", "forbidden")} <= moves
    assert all(k.startswith("reconciliation") for k, _, _ in moves)


def test_notification_amendment_reaches_only_acts_that_are_no_offence(bill):
    # every child victim of an offence of the bill is notified already; the amendment adds the
    # minors whose case is no offence (a consensual act with a 17-year-old, CC 122 needing a
    # victim under 16), and changes nothing else
    amended = amend(bill, AMENDMENTS / "mandatory_notification.law")
    report = diff(bill, amended)
    assert report.changes and not report.unknown
    for change in report.changes:
        assert (str(change.key), change.before, change.after) == (
            "regional_commissioner_notification", "permitted", "required")
        decision = bill.evaluate(change.witness)
        assert decision.outcome("district_support_centre_referral") is None


def test_scenarios_broken_by_an_amendment(check_with, pair, tmp_path):
    base, amended = pair
    (tmp_path / "s.yaml").write_text(
        "- name: teenager\n  case: {offence: {date: 2025-06-01}, victim: {age: 15}}\n"
        "  expect: {outcomes: {report: required}}\n"
        "- name: child\n  case: {offence: {date: 2025-06-01}, victim: {age: 5}}\n"
        "  expect: {outcomes: {report: required}}\n", encoding="utf-8")
    broken, ran, already = diff_scenarios(base, amended, tmp_path)
    assert ran == 2 and already == 0
    assert [b.name for b in broken] == ["teenager"]
    assert broken[0].failures == ["report: expected required, got none"]


# ---- corpus ---------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["interpreter", "polars"])
def test_corpus_jsonl_counts_every_row(pair, tmp_path, engine):
    base, amended = pair
    file = tmp_path / "cases.jsonl"
    file.write_text("\n".join([
        json.dumps({"id": "a", "offence": {"date": "2025-06-01"}, "victim": {"age": 15}}),
        json.dumps({"id": "b", "offence.date": "2025-06-01", "victim.age": 5}),
        "{not json",
        json.dumps({"id": "d", "victim": {"age": 200}}),
        json.dumps({"id": "e", "offence": {"date": "2024-06-01"}, "victim": {"age": 15}}),
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "changed.jsonl"
    result = diff_corpus_file(base, amended, file, changed_out=out, engine=engine)
    assert result.rows_in == 5 == result.evaluated + len(result.rejected)
    assert [(r, why.split(":")[0]) for r, _, why in result.rejected] == [
        (3, "not valid JSON"), (4, "victim.age")]
    assert result.counts == {("report", "required", "none"): 1,
                             ("category", "small", "none"): 1}
    assert result.examples[("report", "required", "none")] == ["a"]
    changed = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [c["id"] for c in changed] == ["a"]


@pytest.mark.parametrize("engine", ["interpreter", "polars"])
def test_corpus_csv_with_dotted_columns(pair, tmp_path, engine):
    base, amended = pair
    file = tmp_path / "cases.csv"
    file.write_text("id,offence.date,victim.age,flags.b\n"
                    "x1,2025-06-01,15,true\n"
                    "x2,2025-06-01,maybe,\n"
                    "x3,2025-06-01,7,maybe\n", encoding="utf-8")
    result = diff_corpus_file(base, amended, file, engine=engine)
    assert result.rows_in == 3 and result.evaluated == 2
    # flags.b is read by no rule: its value decides nothing and is not checked (x3)
    assert result.rejected == [(2, "x2", "victim.age: expected an integer, got 'maybe'")]
    assert result.counts[("report", "required", "none")] == 1


def test_generated_corpus_is_reproducible(bill, tmp_path):
    first = generate(bill, 50, seed=7)
    assert first.equals(generate(bill, 50, seed=7))
    file = tmp_path / "cases.parquet"
    first.write_parquet(file)
    amended = amend(bill, AMENDMENTS / "bullying_age_10.law")
    results = [diff_corpus_file(bill, amended, file, engine=e) for e in ("interpreter", "polars")]
    assert results[0].rows_in == 50 == results[0].evaluated + len(results[0].rejected)
    assert results[0].counts == results[1].counts


# ---- the command line -------------------------------------------------------------------------


def test_cli_diff_json(tmp_path):
    runner = CliRunner()
    out = tmp_path / "changed.jsonl"
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "k", "offence": {"date": "2025-03-01", "kind": "bullying",
                                                          "systematic": True},
                                 "victim": {"age": 13}, "offender": {"age": 11}}) + "\n",
                     encoding="utf-8")
    result = runner.invoke(app, ["diff", "--amendment", str(AMENDMENTS / "bullying_age_10.law"),
                                 "--json", "--cases", str(cases), "--changed-out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"action": "parental_liability", "from": "forbidden", "to": "required"}.items() <= \
        next(c for c in data["changes"] if c.get("action") == "parental_liability").items()
    assert "reconciliation" in data["unchanged"]
    assert data["corpus"]["rows_in"] == 1 and data["corpus"]["changed_rows"] == 1
    assert json.loads(out.read_text(encoding="utf-8"))["id"] == "k"


def test_cli_eval_with_amendment(tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"offence": {"date": "2025-03-01", "kind": "bullying",
                                            "systematic": True},
                                "victim": {"age": 13}, "offender": {"age": 11}}),
                    encoding="utf-8")
    runner = CliRunner()
    plain = json.loads(runner.invoke(app, ["eval", str(case), "--json"]).output)
    amended = json.loads(runner.invoke(app, ["eval", str(case), "--json", "--amendment",
                                             str(AMENDMENTS / "bullying_age_10.law")]).output)
    modality = {o["action"]: o["modality"] for o in plain["outcomes"]}
    assert modality["parental_liability"] == "forbidden"
    assert {o["action"]: o["modality"] for o in amended["outcomes"]}[
        "parental_liability"] == "required"


def test_cli_bad_amendment_is_a_located_error(tmp_path):
    bad = tmp_path / "bad.law"
    bad.write_text('amendment x "x"\n  source CC article 1\n  confidence confirmed\n'
                   "  in force from 2025-01-01\n  repeal cc_68_1_relase\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["diff", "--amendment", str(bad)])
    assert result.exit_code == 2
    assert "amendment_unknown_target" in result.output and "did you mean `cc_68_1_release`" \
        in result.output and "^" in result.output


def test_cli_check_runs_the_analysis():
    result = CliRunner().invoke(app, ["check", "--json"])
    assert result.exit_code == 0, result.output
    analysis = json.loads(result.output)["analysis"]
    assert [f["kind"] for f in analysis["findings"]] == []
    skipped = json.loads(CliRunner().invoke(app, ["check", "--json", "--no-analysis"]).output)
    assert "analysis" not in skipped
