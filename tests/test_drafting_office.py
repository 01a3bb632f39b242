"""A drafting office's tools (issue 15): retroactivity, packages of amendments with attribution
and interactions, consolidated text and redlines, readable witnesses, the impact report, and the
commands that take `--amendment`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rules
from cli import app
from rules.drafter.consolidate import consolidated_texts, versions, write_consolidated
from rules.drafter.package import apply_package, diff_package
from rules.drafter.redline import redlines, render_plain
from rules.language.amendments import apply_amendment, load_amendments, parse_amendment
from rules.solver.retroactivity import check_retroactivity

ROOT = Path(__file__).resolve().parent.parent


def generated_cases(ruleset: rules.RuleSet, n: int, seed: int) -> list[dict]:
    """Cases from the generator of `rules generate`, as case dicts."""
    from rules.batch.generate import generate
    from rules.cases.convert import nest

    return [nest({k: v for k, v in row.items() if v is not None})
            for row in generate(ruleset, n, seed=seed).to_dicts()]
AMENDMENTS = ROOT / "amendments"
REFUSED = ROOT / "examples" / "amendments" / "battery_2019.law"

RULES = '''
provision p_old "An old rule"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if minor_victim
  then require report

provision p_late "A rule from 2020"
  source CC article 2
  confidence confirmed
  in force from 2020-01-01
  worsens position
  if flags.a
  then require harsh

provision p_lenient "A lenient rule"
  source CC article 3
  confidence confirmed
  in force from 2020-01-01
  improves position
  if flags.b
  then permit lenient
'''


def head(aid: str, date: str, extra: str = "") -> str:
    return (f'amendment {aid} "Amendment {aid}"\n  source CC article 9\n  confidence confirmed\n'
            f'{extra}  in force from {date}\n')


@pytest.fixture
def small(check_with) -> rules.RuleSet:
    return check_with(RULES)


def amended(ruleset: rules.RuleSet, text: str, file: str = "a.law") -> rules.RuleSet:
    return apply_amendment(ruleset, parse_amendment(text, file))


def files(tmp_path: Path, **texts: str) -> list[Path]:
    paths = []
    for name, text in texts.items():
        path = tmp_path / f"{name}.law"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


# ---- retroactivity ----------------------------------------------------------------------------


def test_re_dating_a_worsening_provision_reaches_back_and_is_an_error(small):
    after = amended(small, head("a1", "2025-01-01")
                    + "  amend p_late\n    period\n      in force from 2016-01-01\n")
    check = check_retroactivity(small, after)
    assert not check.ok
    [reach] = check.errors
    assert reach.provision == "p_late" and (str(reach.key), reach.before, reach.after) == \
        ("harsh", "none", "required")
    date = reach.witness["offence"]["date"]
    assert "2016-01-01" <= date < "2020-01-01"           # the witness carries its date
    decision = after.evaluate(reach.witness)
    assert decision.state("harsh") == "required" and small.evaluate(reach.witness).state(
        "harsh") == "none"
    [diagnostic] = check.diagnostics()
    assert diagnostic.code == "retroactive_change" and diagnostic.span.file == "a.law"
    assert diagnostic.span.line == 5 and "witness" in diagnostic.notes[0]


def test_a_solver_timeout_is_unknown_never_a_proof(small, monkeypatch):
    import z3

    after = amended(small, head("a1", "2025-01-01")
                    + "  amend p_late\n    period\n      in force from 2016-01-01\n")
    monkeypatch.setattr(z3.Solver, "check", lambda self, *a: z3.unknown)
    check = check_retroactivity(small, after)
    assert not check.reaches and check.unknown
    assert "not proved either way" in check.unknown[0]
    assert {d.severity for d in check.diagnostics()} == {"warning"}


def test_a_new_provision_dated_before_the_amendment_reaches_back(small):
    after = amended(small, head("a1", "2025-01-01")
                    + '  add provision p_new "New"\n    in force from 2018-01-01\n'
                      "    if flags.c\n    then require report\n")
    check = check_retroactivity(small, after)
    assert [r.provision for r in check.errors] == ["p_new"]
    assert check.errors[0].witness["offence"]["date"] < "2025-01-01"


def test_a_harsher_text_of_an_improving_provision_reaches_back_through_its_condition(small):
    after = amended(small, head("a1", "2025-01-01")
                    + "  amend p_lenient condition if flags.b and flags.c\n")
    check = check_retroactivity(small, after)
    assert check.errors and check.errors[0].after == "none"


def test_a_declared_improvement_may_reach_back_and_is_listed(small):
    after = amended(small, head("a1", "2025-01-01")
                    + '  replace p_lenient with\n    provision p_lenient "More lenient"\n'
                      "      improves position\n      if flags.b or flags.c\n"
                      "      then permit lenient\n")
    check = check_retroactivity(small, after)
    assert check.ok and check.reaches and all(r.allowed for r in check.reaches)


def test_splitting_in_time_never_reaches_back(small):
    after = amended(small, head("a1", "2025-01-01")
                    + "  amend p_old condition if victim.age < 12\n")
    check = check_retroactivity(small, after)
    assert check.ok and not check.reaches and check.queries > 0


def test_the_example_amendments_do_not_reach_back_and_the_refused_one_does(bill):
    for file in sorted(AMENDMENTS.glob("*.law")):
        applied = apply_package(bill, load_amendments([file]))
        assert applied.retroactivity[0].ok, file
    with pytest.raises(rules.RuleSetError) as raised:
        apply_package(bill, load_amendments([REFUSED]))
    [diagnostic] = raised.value.diagnostics
    assert diagnostic.code == "retroactive_change" and "cc_109_1" in diagnostic.message
    witness = json.loads(diagnostic.notes[0].removeprefix("witness: "))
    assert witness["offence"]["date"] < "2025-01-01"
    assert "battery_2019.law:10:9" in raised.value.render()


def test_the_refused_amendment_exits_2_with_a_located_error():
    for command in (["diff"], ["eval", str(ROOT / "examples" / "cases" /
                                             "battery_of_child_2024.json")], ["check"]):
        result = CliRunner().invoke(app, [*command, "--amendment", str(REFUSED)])
        assert result.exit_code == 2, command
        assert "retroactive_change" in result.output and "^^^" in result.output


# ---- packages ----------------------------------------------------------------------------------


def test_a_change_that_needs_two_amendments_together(small, tmp_path):
    a, b = files(tmp_path,
                 a=head("a", "2025-01-01") + '  add provision p_a "A"\n    if flags.a\n'
                                            "    then require support\n",
                 b=head("b", "2025-01-01") + '  add provision p_b "B"\n    if flags.b\n'
                                            "    then forbid support\n")
    applied = apply_package(small, load_amendments([a, b]))
    report = diff_package(applied)
    by = {(str(x.transition.key), x.transition.before, x.transition.after): x
          for x in report.attributions}
    assert by[("support", "none", "required")].by == ["a"]
    assert by[("support", "none", "forbidden")].by == ["b"]
    conflict = by[("support", "none", "conflict")]
    assert conflict.by == [] and conflict.together is not None
    assert conflict.together["flags"] == {"a": True, "b": True}
    data = report.to_json()
    assert any(c["by"] == ["a"] for c in data["changes"]) and data["amendments"][0]["id"] == "a"


def test_one_amendment_undoes_another(small, tmp_path):
    a, b = files(tmp_path,
                 a=head("a", "2025-01-01") + "  amend p_old condition if victim.age < 12\n",
                 b=head("b", "2026-01-01") + "  amend p_old condition if minor_victim\n")
    applied = apply_package(small, load_amendments([b, a]))    # given out of order
    assert [x.id for x in applied.amendments] == ["a", "b"]
    report = diff_package(applied)
    [undone] = report.undone
    assert (undone.amendment, undone.undone_by) == ("a", ["b"])
    assert (str(undone.key), undone.before, undone.alone) == ("report", "required", "none")
    assert undone.witness["offence"]["date"] >= "2026-01-01"
    assert 12 <= undone.witness["victim"]["age"] < 18
    moves = {(str(x.transition.key), x.transition.before, x.transition.after)
             for x in report.attributions}
    assert moves == {("report", "required", "none")}     # only 2025 acts change


def test_the_package_in_the_readme_on_the_bill():
    result = CliRunner().invoke(app, [
        "diff", "--amendment", str(AMENDMENTS / "psych_violence_reconciliation.law"),
        "--amendment", str(AMENDMENTS / "restore_reconciliation_bar.law")])
    assert result.exit_code == 0, result.output
    assert "package of 2 amendment(s)" in result.output
    assert "reconciliation: required -> forbidden   [psych_violence_2025]" in result.output
    assert "with restore_bar_2025 it stays permitted" in result.output, result.output[-3000:]


def test_the_same_amendment_twice_on_the_command_line():
    file = str(AMENDMENTS / "bullying_age_10.law")
    result = CliRunner().invoke(app, ["diff", "--amendment", file, "--amendment", file])
    assert result.exit_code == 2
    assert "amendment `bullying_age_10_2025` is given twice" in result.output


# ---- consolidated text, versions, redlines -----------------------------------------------------


def same_decisions(a: rules.RuleSet, b: rules.RuleSet, cases: list[dict]) -> None:
    decided = 0
    for case in cases:
        case = {k: v for k, v in case.items() if k != "id"}
        try:
            x = a.evaluate(case)
        except rules.CaseError:     # a generated case whose facts contradict each other
            with pytest.raises(rules.CaseError):
                b.evaluate(case)
            continue
        y = b.evaluate(case)
        decided += 1
        assert x.model_dump(include={"outcomes", "conclusions", "undetermined", "conflicts"}) \
            == y.model_dump(include={"outcomes", "conclusions", "undetermined", "conflicts"})
    assert decided >= min(30, len(cases))


def test_consolidated_text_loads_back_to_the_same_rule_set(bill, tmp_path):
    paths = [AMENDMENTS / "psych_violence_reconciliation.law",
             AMENDMENTS / "bullying_age_10.law", AMENDMENTS / "restore_reconciliation_bar.law"]
    applied = apply_package(bill, load_amendments(paths))
    written = write_consolidated(applied.final, tmp_path / "out")
    again = rules.load(tmp_path / "out")
    assert again == applied.final
    assert len(written) == len(list((ROOT / "provisions").glob("*.law"))) + 1
    examples = [json.loads(p.read_text()) for p in sorted((ROOT / "examples" / "cases")
                                                          .glob("*.json"))]
    same_decisions(applied.final, again, [*examples, *generated_cases(bill, 300, seed=5)])
    # the consolidated text is itself in the canonical layout
    result = CliRunner().invoke(app, ["fmt", "--check", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def test_consolidating_definitions_and_fixture_files(small, tmp_path):
    after = amended(small, head("a1", "2025-01-01")
                    + "  amend define young_child = victim.age < 10\n"
                      "  amend p_old condition if young_child\n")
    texts = consolidated_texts(after)
    assert list(texts) == sorted(texts)
    write_consolidated(after, tmp_path)
    assert rules.load(tmp_path) == after


def test_versions_and_redlines(bill):
    applied = apply_package(bill, load_amendments([AMENDMENTS /
                                                   "psych_violence_reconciliation.law"]))
    rows = versions(applied.final, only="cc_68_minor_violence_2024")
    assert [(v.id, str(v.start), str(v.end)) for v in rows] == [
        ("cc_68_minor_violence_2024", "2024-06-16", "2024-12-31"),
        ("cc_68_minor_violence_2024@psych_violence_2025", "2025-01-01", "None")]
    assert rows[1].made_by == "psych_violence_2025" and rows[0].made_by == ""
    assert rows[0].origin == "original text; period set by psych_violence_2025"
    lines = redlines(bill, applied.final, applied.steps)
    first = lines[0]
    assert (first.verb, first.target) == ("amend", "cc_68_minor_violence_2024")
    deleted = "".join(c for k, c in first.segments if k == "del")
    inserted = "".join(c for k, c in first.segments if k == "ins")
    assert "secondary" in deleted and "uncertain" in inserted
    assert "suicide_incitement" in inserted and "2025-01-01" in inserted
    assert "stays in force from 2024-06-16 until 2024-12-31" in first.notes[0]
    assert "{+" in render_plain(lines)


def test_consolidate_command(tmp_path):
    html = tmp_path / "redlines.html"
    result = CliRunner().invoke(app, [
        "consolidate", "--amendment", str(AMENDMENTS / "bullying_age_10.law"),
        "--out", str(tmp_path / "out"), "--html", str(html)])
    assert result.exit_code == 0, result.output
    assert "cao_127_2_3_parents@bullying_age_10_2025" in result.output
    assert "[-12-]{+10+}" in result.output
    page = html.read_text()
    assert "<del>12</del><ins>10</ins>" in page and "<table>" in page
    assert rules.load(tmp_path / "out").by_id["cao_127_2_under_10"]


# ---- ids stay stable ----------------------------------------------------------------------------


def test_why_not_finds_the_version_in_force(tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"offence": {"date": "2025-03-01", "kind": "family_domestic_act"},
                                "victim": {"age": 10}, "parties": {"reconciled": True}}))
    result = CliRunner().invoke(app, [
        "eval", str(case), "--amendment", str(AMENDMENTS / "psych_violence_reconciliation.law"),
        "--why-not", "cc_68_minor_violence_2024"])
    assert result.exit_code == 0, result.output
    assert "cc_68_minor_violence_2024@psych_violence_2025" in result.output


# ---- check, explain, test with --amendment -------------------------------------------------------


def test_check_marks_what_the_amendment_brings_in(tmp_path):
    conflict = tmp_path / "conflict.law"
    conflict.write_text(
        head("c1", "2025-01-01").replace("CC article 9", "LRC")
        + '  add provision lrc_support_forbidden "No support programme for teenagers"\n'
          "    if victim.age >= 14 and victim.age < 18\n"
          "    then forbid victim_support_programme\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "--amendment", str(conflict)])
    assert result.exit_code == 0, result.output
    assert "amended by c1 (2025-01-01)" in result.output
    assert "reaches no earlier act" in result.output
    new = [line for line in result.output.splitlines() if line.endswith("[NEW]")]
    assert new and all("lrc_support_forbidden" in line for line in new)
    # the bill alone has no finding (test_analysis.test_the_bill_has_no_findings): everything
    # found with the amendment is the amendment's, and marked so


def test_explain_shows_the_versions():
    result = CliRunner().invoke(app, [
        "explain", "cao_127_2_3_parents", "--amendment", str(AMENDMENTS / "bullying_age_10.law")],
        env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Versions and their periods in force" in result.output
    assert "2024-12-31" in result.output and "bullying_age_10_2025" in result.output


def test_scenarios_under_an_amendment():
    result = CliRunner().invoke(app, [
        "test", "--amendment", str(AMENDMENTS / "bullying_age_10.law")])
    assert "passed" in result.output


def test_scenarios_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [
        "diff", "--amendment", str(AMENDMENTS / "mandatory_notification.law")])
    assert result.exit_code == 0, result.output
    ran = int(result.output.split("scenarios: ")[1].split(" run")[0])
    assert ran > 100
    own = tmp_path / "rules"
    own.mkdir()
    for law in (ROOT / "provisions").glob("*.law"):
        (own / law.name).write_text(law.read_text())
    result = CliRunner().invoke(app, [
        "diff", "--rules", str(own), "--amendment",
        str(AMENDMENTS / "mandatory_notification.law")])
    assert "scenarios: no scenarios found; pass --scenarios DIR" in result.output


# ---- readable witnesses ---------------------------------------------------------------------------


def test_witnesses_are_realistic_and_carry_their_date(bill):
    import datetime as dt

    from rules.drafter.diff import diff
    from rules.language.amendments import amend

    after = amend(bill, AMENDMENTS / "bullying_age_10.law")
    report = diff(bill, after, as_of=dt.date(2025, 3, 1))
    assert report.changes
    for t in report.changes:
        case = t.witness
        assert case["offence"]["date"] == "2025-03-01"      # replayable with --as-of
        for group in ("victim", "offender"):
            age = case.get(group, {}).get("age")
            assert age is None or age <= 30, case
    plain = diff(bill, after)
    for t in plain.changes:
        assert "2015-01-01" <= t.witness["offence"]["date"] <= "2030-12-31"


def test_a_witness_district_belongs_to_its_region(bill):
    from rules.solver.analysis import Encoder, new_solver
    from rules.solver.examples import DISTRICTS

    encoder = Encoder(bill.facts.values())
    encoder.text_code("Yesil")                  # a text the rules mention
    solver = new_solver(encoder, encoder.derivations(bill), 5000)
    region = bill.facts["place.region"].type.values.index("almaty")
    solver.add(encoder.vars["place.region"] == region, encoder.vars["place.district"] == 7)
    assert str(solver.check()) == "sat"
    witness = encoder.witness(solver.model())
    assert witness["place.district"] in DISTRICTS["almaty"]
    assert witness["place.district"] != "Yesil"


def test_gap_findings_read_once():
    result = CliRunner().invoke(app, ["check", "--gaps", "victim_support_programme"])
    assert "gap: gap:" not in result.output and "gap: no provision decides" in result.output


# ---- the impact report ----------------------------------------------------------------------------


def test_impact_report(bill, tmp_path):
    corpus = tmp_path / "cases.jsonl"
    with corpus.open("w") as out:
        for case in generated_cases(bill, 400, seed=2):
            out.write(json.dumps(case) + "\n")
    page = tmp_path / "impact.html"
    result = CliRunner().invoke(app, [
        "diff", "--amendment", str(AMENDMENTS / "psych_violence_reconciliation.law"),
        "--amendment", str(ROOT / "tests" / "fixtures" / "district_amendment.law"),
        "--cases", str(corpus), "--report", str(page), "--interpreter"])
    assert result.exit_code == 0, result.output
    html = page.read_text()
    for heading in ("What changes: the proof", "Earlier acts", "Effect on the corpus",
                    "Changed cases by year", "By region", "Affected groups",
                    "Changes of action arguments", "Redlines"):
        assert heading in html, heading
    assert "outside the proof" in html and "psych_violence_2025" in html
    assert "No action keeps its modality with different arguments" not in html
    arguments = html.split("Changes of action arguments")[1].split("Redlines")[0]
    assert "district_support_centre_referral" in arguments and "Yesil" in arguments
    assert "<script" not in html


def test_impact_data_model_is_separate_from_rendering(bill, tmp_path):
    from rules.drafter.impact import build_impact, render_impact_html

    applied = apply_package(bill, load_amendments([AMENDMENTS / "bullying_age_10.law"]))
    impact = build_impact(applied, diff_package(applied))
    data = impact.to_json()
    assert data["amendments"][0]["id"] == "bullying_age_10_2025" and data["corpus"] is None
    impact.title = "<b>x</b>"
    assert "&lt;b&gt;x&lt;/b&gt;" in render_impact_html(impact)      # autoescaped
