"""Amendments: applying one gives a new rule set; the old one is untouched; errors are located."""

from __future__ import annotations

from pathlib import Path

import pytest

import rules
from rules.language.amendments import amend, apply_amendment, parse_amendment

AMENDMENTS = Path(__file__).resolve().parent.parent / "amendments"


def modality(ruleset: rules.RuleSet, case: dict, action: str) -> str:
    decision = ruleset.evaluate(case)
    if any(c.action == action for c in decision.conflicts):
        return "conflict"
    if any(u.action == action for u in decision.undetermined):
        return "undetermined"
    outcome = decision.outcome(action)
    return outcome.modality if outcome else "none"


@pytest.fixture(scope="module")
def base() -> rules.RuleSet:
    return rules.load()


def _on(case: dict, date: str) -> dict:
    return {**case, "offence": {**case["offence"], "date": date}}


# ---- the three example amendments: their effect before and after their date ------------------

FAMILY_ACT = {"offence": {"kind": "family_domestic_act", "in_dwelling": True}, "victim": {"age": 10},
              "offender": {"age": 35, "relation": "parent"}, "parties": {"reconciled": True}}

SUICIDE_INCITEMENT = {"offence": {"kind": "suicide_incitement", "death_caused": False,
                                  "grave_harm_caused": False, "cruelty": False},
                      "victim": {"age": 15},
                      "offender": {"age": 16, "first_offence": True, "prior_reconciliation": False,
                                   "lagging_development": False},
                      "parties": {"reconciled": True}, "harm": {"compensated": True}}


def test_psychological_violence_bars_reconciliation_from_2025(base):
    amended = amend(base, AMENDMENTS / "psych_violence_reconciliation.law")
    for case, before in ((FAMILY_ACT, "required"), (SUICIDE_INCITEMENT, "permitted")):
        assert modality(amended, _on(case, "2024-10-01"), "reconciliation") == before
        assert modality(amended, _on(case, "2025-03-01"), "reconciliation") == "forbidden"
        # the old rule set is untouched
        assert modality(base, _on(case, "2025-03-01"), "reconciliation") == before


def test_psychological_violence_amendment_leaves_physical_violence_alone(base):
    amended = amend(base, AMENDMENTS / "psych_violence_reconciliation.law")
    battery = {"offence": {"kind": "battery", "date": "2025-03-01"}, "victim": {"age": 10},
               "parties": {"reconciled": True}, "harm": {"compensated": True}}
    assert modality(amended, battery, "reconciliation") == "forbidden"
    decision = amended.evaluate(battery)
    assert decision.outcome("reconciliation").provisions == [
        "cc_68_minor_violence_2024@psych_violence_2025"]


BULLY_11 = {"offence": {"kind": "bullying", "systematic": True}, "victim": {"age": 13},
            "offender": {"age": 11}}


def test_bullying_liability_age_lowered_to_10(base):
    amended = amend(base, AMENDMENTS / "bullying_age_10.law")
    assert modality(amended, _on(BULLY_11, "2024-10-01"), "parental_liability") == "forbidden"
    assert modality(amended, _on(BULLY_11, "2025-03-01"), "parental_liability") == "required"
    assert modality(base, _on(BULLY_11, "2025-03-01"), "parental_liability") == "forbidden"
    bully_9 = {**BULLY_11, "offender": {"age": 9}}
    assert modality(amended, _on(bully_9, "2025-03-01"), "parental_liability") == "forbidden"
    trace = amended.evaluate(_on(bully_9, "2025-03-01")).trace("cao_127_2_under_10")
    assert trace is not None and trace.status == "applies"


# Every offence kind of the bill is an offence from 16 June 2024, so on complete cases the
# amendment changes nothing (`rules diff` proves it); it matters while the offence is not yet
# qualified: the commissioner is notified of a child victim at once.
UNQUALIFIED = {"offence": {}, "victim": {"age": 15}, "place": {"region": "astana"}}


def test_commissioner_notification_becomes_mandatory(base):
    amended = amend(base, AMENDMENTS / "mandatory_notification.law")
    action = "regional_commissioner_notification"
    assert modality(amended, _on(UNQUALIFIED, "2024-10-01"), action) == "undetermined"
    assert modality(amended, _on(UNQUALIFIED, "2025-03-01"), action) == "required"
    assert modality(base, _on(UNQUALIFIED, "2025-03-01"), action) == "undetermined"
    outcome = amended.evaluate(_on(UNQUALIFIED, "2025-03-01")).outcome(action)
    assert outcome is not None and outcome.args == {"region": "astana"}
    assert outcome.confidence == "uncertain"    # the weaker of the provision's and the amendment's


def test_amended_rule_set_is_new_and_fingerprinted(base):
    amended = amend(base, AMENDMENTS / "mandatory_notification.law")
    assert amended is not base
    assert amended.fingerprint != base.fingerprint
    assert len(base.provisions) + 1 == len(amended.provisions)
    old = amended.by_id["lrc_regional_commissioner_2024"]
    assert str(old.end) == "2024-12-31"
    assert base.by_id["lrc_regional_commissioner_2024"].end is None


def test_amendments_compose(base):
    once = amend(base, AMENDMENTS / "bullying_age_10.law")
    twice = amend(once, AMENDMENTS / "mandatory_notification.law")
    assert modality(twice, _on(BULLY_11, "2025-03-01"), "parental_liability") == "required"
    assert modality(twice, _on(UNQUALIFIED, "2025-03-01"),
                    "regional_commissioner_notification") == "required"


# ---- small amendments on the fixture rule set --------------------------------------------------

HEAD = ('amendment a1 "A test amendment"\n  source CC article 1\n  confidence confirmed\n'
        '  in force from {date}\n')

RULES = '''
provision p_old "An old rule"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if minor_victim
  then require report

provision p_special "A special rule"
  source CC article 2
  confidence confirmed
  in force from 2015-01-01
  overrides p_old
  if young_child and flags.a
  then forbid report

provision p_lenient "A lenient rule"
  source CC article 3
  confidence confirmed
  in force from 2020-01-01
  improves position
  if flags.b
  then permit support
'''


@pytest.fixture
def small(check_with) -> rules.RuleSet:
    return check_with(RULES)


def _apply(ruleset: rules.RuleSet, changes: str, date: str = "2025-01-01") -> rules.RuleSet:
    return apply_amendment(ruleset, parse_amendment(HEAD.format(date=date) + changes,
                                                    "a1.law"))


def _errors(ruleset: rules.RuleSet, changes: str, date: str = "2025-01-01") -> list[str]:
    with pytest.raises(rules.RuleSetError) as raised:
        _apply(ruleset, changes, date)
    return [d.code for d in raised.value.diagnostics]


def case(date: str, **facts: object) -> dict:
    return {"offence": {"date": date}, "victim": {"age": facts.pop("age", 10)},
            "flags": {"a": False, "b": False, "c": False, **facts}}


def test_repeal_ends_the_provision_the_day_before(small):
    amended = _apply(small, "  repeal p_old\n")
    assert modality(amended, case("2024-12-31"), "report") == "required"
    assert modality(amended, case("2025-01-01"), "report") == "none"


def test_amend_condition_splits_the_provision_in_time(small):
    amended = _apply(small, "  amend p_old condition if victim.age < 16\n")
    assert modality(amended, case("2024-06-01", age=17), "report") == "required"
    assert modality(amended, case("2025-06-01", age=17), "report") == "none"
    assert modality(amended, case("2025-06-01", age=15), "report") == "required"
    # the override of the old text reaches the new version too
    assert modality(amended, case("2025-06-01", age=10, a=True), "report") == "forbidden"
    assert "p_old@a1" in amended.by_id["p_special"].overrides


def test_amend_outcomes_and_period(small):
    amended = _apply(small, "  amend p_old outcomes then permit report\n"
                            "  amend p_special period in force from 2016-01-01\n")
    assert modality(amended, case("2025-06-01"), "report") == "permitted"
    assert amended.by_id["p_special"].start.isoformat() == "2016-01-01"


def test_a_more_lenient_version_reaches_back(small):
    amended = _apply(small, "  amend p_lenient condition if flags.b or flags.c\n")
    assert modality(amended, case("2019-06-01", c=True), "support") == "permitted"
    # the old text is superseded, not split, and the new text keeps the id (scenarios and
    # `--why-not p_lenient` keep working)
    assert [p.id for p in amended.provisions if p.id.startswith("p_lenient")] == ["p_lenient"]
    assert amended.by_id["p_lenient"].conditions[0].text == "flags.b or flags.c"


def test_replace_and_add_take_the_amendment_date(small):
    amended = _apply(small, '  replace p_old with provision p_new "New"\n'
                            "    if victim.age < 16\n    then require report\n"
                            '  add provision p_added "Added"\n    if flags.c\n'
                            "    then require support\n")
    added = amended.by_id["p_added"]
    assert added.start.isoformat() == "2025-01-01" and added.confidence == "confirmed"
    assert [c.short for c in added.sources] == ["CC art. 1"]
    assert modality(amended, case("2024-06-01", age=17), "report") == "required"
    assert modality(amended, case("2025-06-01", age=17), "report") == "none"


@pytest.mark.parametrize(("changes", "code"), [
    ("  repeal p_missing\n", "amendment_unknown_target"),
    ("  repeal p_old\n  repeal p_old\n", "amendment_repealed_twice"),
    ("  repeal p_old\n  amend p_old condition if flags.a\n", "amendment_repealed_target"),
    ("  amend p_nothere outcomes then permit report\n", "amendment_unknown_target"),
    ('  add provision p_old "Again"\n    if flags.a\n    then require report\n',
     "amendment_duplicate_id"),
    ("  amend p_old condition if flags.a\n  amend p_old outcomes then permit report\n",
     "amendment_changed_twice"),
    ("  amend p_old condition if flags.zz\n", "unknown_name"),
])
def test_amendment_errors_are_located(small, changes, code):
    assert code in _errors(small, changes)


def test_amendment_before_the_provision_it_amends(small):
    assert _errors(small, "  amend p_lenient outcomes then require support\n",
                   date="2019-01-01") == ["amendment_before_provision"]
    assert _errors(small, "  repeal p_old\n", date="2015-01-01") == ["amendment_before_provision"]


def test_repealed_in_an_earlier_amendment(small):
    once = _apply(small, "  repeal p_old\n")
    with pytest.raises(rules.RuleSetError) as raised:
        apply_amendment(once, parse_amendment(
            HEAD.format(date="2026-01-01").replace("a1", "a2") + "  repeal p_old\n", "a2.law"))
    assert [d.code for d in raised.value.diagnostics] == ["amendment_repealed_target"]


def test_error_renders_with_a_caret(small):
    with pytest.raises(rules.RuleSetError) as raised:
        _apply(small, "  repeal p_olld\n")
    text = raised.value.render()
    assert "a1.law:5:10" in text and "^^^^^^" in text and "did you mean `p_old`" in text


def test_amendment_header_is_required():
    with pytest.raises(rules.RuleSetError) as raised:
        parse_amendment('amendment a "x"\n  source CC article 1\n  repeal p\n', "x.law")
    codes = [d.code for d in raised.value.diagnostics]
    assert codes == ["missing_confidence", "missing_in_force"]


def test_amendment_file_holds_one_amendment():
    with pytest.raises(rules.RuleSetError) as raised:
        parse_amendment('act CC "x"\n', "x.law")
    assert [d.code for d in raised.value.diagnostics] == ["amendment_count"]
