"""The bill's presumptions, inferences and constraints as a lawyer meets them: brief cases are
settled (and say when they rest on a presumption), contradictory facts are a case error naming
the fields, and the child's measures never read a presumed fact."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

import rules
from cli import app
from rules.drafter.scenarios import load_scenarios

ROOT = Path(__file__).resolve().parent.parent


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lawyer_cases", ROOT / "bench/lawyer_cases.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("lawyer_cases", module)   # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bill() -> rules.RuleSet:
    return rules.load(ROOT / "provisions")


def test_brief_cases_are_settled_and_say_what_rests_on_a_presumption() -> None:
    counts, total = _bench().run()
    assert len(counts) >= 15
    assert total.determined >= 0.95 * total.outcomes
    assert total.strict_determined < total.determined      # the presumptions do close facts
    assert total.resting > 0 and total.labelled == total.resting


def test_brief_cases_agree_with_strict_mode_where_strict_mode_decides(bill) -> None:
    """Soundness, on the brief cases: what strict mode settles, the presumptions do not change."""
    for _name, _brief, case in _bench().load_cases(ROOT / "bench/lawyer_cases.yaml"):
        presumed, strict = bill.evaluate(case), bill.evaluate(case, presumptions=False)
        for outcome in strict.outcomes:
            again = presumed.outcome(outcome.action)
            assert again is not None and (again.modality, again.args) == (
                outcome.modality, outcome.args) and not again.presumed
        for conclusion in strict.conclusions:
            assert conclusion.value in presumed.conclusion_values(conclusion.name)


def _problems(bill: rules.RuleSet, case: dict) -> set[str]:
    with pytest.raises(rules.CaseError) as raised:
        bill.evaluate(case)
    return {path for path, _ in raised.value.problems}


@pytest.mark.parametrize("case, fields", [
    # an earlier penalty denied, yet its date stated
    ({"offence": {"date": "2024-09-01", "kind": "bullying", "systematic": True},
      "offender": {"prior_sanction": False, "last_sanction_date": "2024-03-01"}},
     {"offender.prior_sanction", "offender.last_sanction_date"}),
    # a first crime, yet an earlier release on reconciliation for a crime
    ({"offence": {"date": "2023-03-01", "kind": "moderate_harm"},
      "offender": {"first_offence": True, "prior_reconciliation_crime": True}},
     {"offender.first_offence", "offender.prior_reconciliation_crime"}),
    # an earlier release for a crime, yet no earlier release
    ({"offence": {"date": "2023-03-01", "kind": "moderate_harm"},
      "offender": {"prior_reconciliation": False, "prior_reconciliation_crime": True}},
     {"offender.prior_reconciliation", "offender.prior_reconciliation_crime"}),
    # battery that caused a death, murder without one
    ({"offence": {"date": "2024-09-01", "kind": "battery", "death_caused": True}},
     {"offence.death_caused", "offence.kind"}),
    ({"offence": {"date": "2024-09-01", "kind": "murder", "death_caused": False}},
     {"offence.death_caused", "offence.kind"}),
    # a parent who says he did not know his child's age
    ({"offence": {"date": "2024-09-01", "kind": "sexual_act_with_under_16"},
      "victim": {"age": 12}, "offender": {"relation": "parent", "knew_victim_age": False}},
     {"offender.knew_victim_age", "offender.relation"}),
])
def test_contradictory_facts_are_a_case_error_naming_the_fields(bill, case, fields) -> None:
    assert _problems(bill, case) == fields


def test_the_cli_refuses_a_contradictory_case_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"offence": {"date": "2024-09-01", "kind": "murder",
                                            "death_caused": False}}), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(path)])
    assert result.exit_code == 2
    assert "offence.death_caused" in result.output and "Traceback" not in result.output


def test_the_childs_measures_read_no_presumed_fact(bill) -> None:
    """A presumption never takes a protection away from a child: the conditions of the bill's
    measures do not read any fact the law presumes (rules check proves the weaker property)."""
    measures = {"victim_support_programme", "bullying_support_programme",
                "district_support_centre_referral", "psychological_support_referral",
                "regional_commissioner_notification"}
    presumed = set(bill.presumptions)
    checked = 0
    for provision in bill.provisions:
        if measures & {o.action for o in provision.outcomes if getattr(o, "action", None)}:
            read = {f for c in provision.conditions for f in c.facts}
            assert not read & presumed, (provision.id, read & presumed)
            checked += 1
    assert checked >= 5


def test_every_presumption_is_shown_absent_and_in_strict_mode() -> None:
    """Each presumed fact appears in a scenario that leaves it out (labelled `presumed`, or a
    `none` that rests on it) and in a strict scenario that leaves it open."""
    bill = rules.load(ROOT / "provisions")
    scenarios = load_scenarios(ROOT / "tests/scenarios")
    strict_needs = {n for s in scenarios if s.strict
                    for needs in s.expect.get("undetermined", {}).values() for n in needs or []}
    presumed_in = {f for s in scenarios
                   for facts in s.expect.get("presumed", {}).values() for f in facts or []}
    for fact in bill.presumptions:
        assert fact in strict_needs, f"{fact}: no strict scenario leaves it open"
        left_out = [s for s in scenarios if not s.strict
                    and fact.split(".")[1] not in s.case.get(fact.split(".")[0], {})]
        assert fact in presumed_in or left_out, f"{fact}: no scenario leaves it out"
