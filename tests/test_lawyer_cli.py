"""The lawyer-facing report: `rules eval` (order, reasons, set-aside grounds, source marks),
`--why-not` (which condition failed, on which fact) and `rules explain` (a provision in words)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rules
from cli import app
from rules.language.source import UnknownProvision
from rules.lawyer.describe import describe, expr_words
from rules.lawyer.report import build_report, set_aside_ground

runner = CliRunner()
CASE = {"offence": {"date": "2024-07-01", "kind": "battery"},
        "victim": {"birth_date": "2014-03-15"},
        "offender": {"birth_date": "1988-05-20", "relation": "parent", "first_offence": True,
                     "prior_reconciliation": False, "lagging_development": False},
        "parties": {"reconciled": True}, "harm": {"compensated": True},
        "place": {"region": "astana", "district": "Yesil"}}


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE), encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_report_order_and_reasons(case_file: Path) -> None:
    code, out, _ = run("eval", str(case_file))
    assert code == 0
    order = ["Facts", "Qualification", "Procedures", "Protections and referrals"]
    positions = [out.index(title) for title in order]
    assert positions == sorted(positions)
    assert out.index("qualification: CC 109-1") < out.index("crime category:") \
        < out.index("penalty:")
    # the facts each condition used, computed facts marked
    assert "10 (computed)" in out
    assert "[offence.kind = battery]" in out
    # what set aside what, and on which ground
    assert "sets aside cc_68_1_release" in out
    assert "later and special law" in out
    # referrals name the district and the region
    assert "district support centre referral (district = Yesil): required" in out
    assert "regional commissioner notification (region = astana): required" in out
    # secondary sources are marked, and the mark is explained
    assert "[S]" in out and "[S] secondary source" in out
    assert "\x1b[" not in out


def test_report_model_undetermined_and_needed_facts(bill: rules.RuleSet) -> None:
    report = build_report(bill.evaluate({"offence": {"kind": "battery"}}), bill)
    assert report.undetermined
    needed = [n.items for n in report.needed]
    assert needed == sorted(needed, reverse=True)
    assert report.needed[0].doc      # each fact with its meaning


def test_set_aside_grounds(bill: rules.RuleSet) -> None:
    later = bill.by_id["cc_68_minor_violence_2024"]
    assert "later" in set_aside_ground(later, bill.by_id["cc_68_1_release"])
    special = bill.by_id["cc_99_2_14_minor"]
    assert set_aside_ground(special, bill.by_id["cc_99_1_murder"]) == \
        "special law (lex specialis)"
    improving = next((p for p in bill.provisions if p.effect == "improves" and p.overrides),
                     None)
    if improving is not None:
        loser = bill.by_id[improving.overrides[0]]
        if loser.effect != "improves":
            assert "more favourable" in set_aside_ground(improving, loser)


def test_why_not_names_the_failed_condition_and_fact(case_file: Path) -> None:
    code, out, _ = run("eval", str(case_file), "--why-not", "cc_99_3_young_child")
    assert code == 0
    assert "Verdict: the provision does not apply." in out
    assert "Failed: if offence.kind = murder and young_child (condition is false)" in out
    assert "on: offence.kind = murder is false, because offence.kind = battery" in out
    assert "victim.age < 14" not in out.split("Failed:")[1]   # the age did not decide it


def test_why_not_on_a_definition_opens_it(tmp_path: Path) -> None:
    path = tmp_path / "teen.json"
    path.write_text('{"offence": {"date": "2024-07-01", "kind": "battery"}, '
                    '"victim": {"age": 15}}', encoding="utf-8")
    code, out, _ = run("eval", str(path), "--why-not", "cc_54_1_7_young_child")
    assert code == 0
    assert "on: victim.age < 14 is false, because victim.age = 15" in out


def test_why_not_set_aside_and_not_in_force(case_file: Path) -> None:
    code, out, _ = run("eval", str(case_file), "--why-not", "cc_68_1_release",
                       "--why-not", "cao_73_2_battery")
    assert code == 0
    assert "set aside" in out and "Set aside by: cc_68_minor_violence_2024" in out
    assert "Failed: not in force on the governing date (in force from 2017-07-16 until " \
           "2024-06-15; governing date 2024-07-01" in " ".join(out.split())


def test_why_not_unknown_provision(case_file: Path) -> None:
    code, out, err = run("eval", str(case_file), "--why-not", "cc_68_1_relase")
    assert code == 2
    assert "unknown provision `cc_68_1_relase`; did you mean `cc_68_1_release`?" in err
    assert "Traceback" not in out + err


def test_explain_shows_a_provision() -> None:
    code, out, _ = run("explain", "cc_68_minor_violence_2024")
    assert code == 0
    flat = " ".join(out.split())
    for expected in ("Criminal Code of the Republic of Kazakhstan No. 226-V", "[S] secondary",
                     "from 2024-06-16", "worsens the offender's position",
                     "cc_68_1_release", "Applies when", "Terms used", "minor_victim",
                     "forbids reconciliation", "What was done"):
        assert expected in flat, expected
    code, out, _ = run("explain", "cc_68_1_release")
    assert "overridden by" in out and "cc_68_minor_violence_2024" in " ".join(out.split())


def test_explain_quote_and_plain_words(bill: rules.RuleSet) -> None:
    d = describe(bill, "cc_99_1_murder")
    assert d.quote.startswith("Murder")
    assert d.conditions[0].words == "what was done [offence.kind] is murder"
    assert d.overridden_by and d.overridden_by[0][0] == "cc_99_2_14_minor"
    age = bill.definitions["young_child"].expr
    assert expr_words(age, bill) == \
        "the victim's age in whole years on the date of the act [victim.age] is under 14"
    with pytest.raises(UnknownProvision, match="did you mean `cc_99_1_murder`"):
        describe(bill, "cc_99_1_murdr")


def test_explain_unknown_provision_exits_2() -> None:
    code, out, err = run("explain", "cc_99_1_murdr")
    assert code == 2
    assert "did you mean `cc_99_1_murder`?" in err
    assert "Traceback" not in out + err
