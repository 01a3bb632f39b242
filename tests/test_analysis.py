"""z3 analysis: planted conflicts, dead provisions and idle overrides are found, with witnesses
the evaluator confirms; the bundled bill shows only its known, intended conflict."""

from __future__ import annotations

import pytest

import rules
from rules.cases.convert import nest
from rules.solver.analysis import analyse
from rules.solver.check import check_all

PROVISIONS = '''
provision p_forbid "Forbids reporting"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if flags.a and minor_victim
  then forbid report

provision p_require "Requires reporting"
  source CC article 2
  confidence secondary
  in force from 2015-01-01
  if flags.b
  then require report
'''


def _kinds(result):
    return sorted((f.kind, tuple(f.provisions)) for f in result.findings)


def test_planted_conflict_is_found_with_a_confirmed_witness(check_with):
    ruleset = check_with(PROVISIONS)
    result = analyse(ruleset)
    assert _kinds(result) == [("conflict", ("p_forbid", "p_require"))]
    finding = result.findings[0]
    assert finding.action == "report" and finding.confidence == "secondary"
    # minimal: only the facts the conflict needs; nested like a case file
    assert finding.witness["flags"] == {"a": True, "b": True}
    assert finding.witness["victim"]["age"] < 18
    decision = ruleset.evaluate(finding.witness)
    assert [c.action for c in decision.conflicts] == ["report"]
    assert not result.inconsistencies


def test_an_override_resolves_the_conflict(check_with):
    text = PROVISIONS.replace("  if flags.b\n", "  overrides p_forbid\n  if flags.b\n")
    assert analyse(check_with(text)).findings == []


def test_planted_dead_provisions(check_with):
    ruleset = check_with('''
provision p_dead "Contradictory conditions"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if victim.age < 10 and flags.n > 5
  unless flags.n >= 0
  then require report

provision p_expired "Left force before any case the rule set can judge"
  source CC article 1
  confidence confirmed
  in force from 2010-01-01 until 2014-12-31
  then require support

provision p_exact "An age that contradicts the birth date (years_between is exact)"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if years_between(victim.birth_date, offence.date) >= 18 and minor_victim
  then require report
''')
    result = analyse(ruleset)
    assert _kinds(result) == [("dead", ("p_dead",)), ("dead", ("p_exact",)),
                              ("dead", ("p_expired",))]
    expired = next(f for f in result.findings if f.provisions == ["p_expired"])
    assert "never in force" in expired.message
    assert all(f.proof.startswith("unsat") for f in result.findings)


def test_birthday_boundary_is_not_dead(check_with):
    # 17 on the day before the 18th birthday: a provision needing both is satisfiable
    ruleset = check_with('''
provision p_birthday "Turns 18 within a day"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if victim.age = 17 and days_between(victim.birth_date, offence.date) >= 6574
  then require report
''')
    assert analyse(ruleset).findings == []


def test_override_that_never_bites_and_shadowed_provision(check_with):
    ruleset = check_with('''
provision p_general "General"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if flags.a
  then require report

provision p_special "Special, but for other cases"
  source CC article 2
  confidence confirmed
  in force from 2015-01-01
  overrides p_general
  if not flags.a
  then forbid report

provision p_narrow "Narrow"
  source CC article 3
  confidence confirmed
  in force from 2015-01-01
  if flags.b and flags.c
  then permit support

provision p_broad "Broad, and overrides the narrow one"
  source CC article 3
  confidence confirmed
  in force from 2015-01-01
  overrides p_narrow
  if flags.b
  then require support
''')
    result = analyse(ruleset)
    assert _kinds(result) == [("override_never_bites", ("p_special", "p_general")),
                              ("shadowed", ("p_narrow",))]


def test_gaps_for_an_action(check_with):
    ruleset = check_with(PROVISIONS)
    result = analyse(ruleset, gaps=["report"])
    gaps = [f for f in result.findings if f.kind == "gap"]
    assert gaps
    for gap in gaps:
        decision = ruleset.evaluate(gap.witness)
        assert decision.outcome("report") is None and not decision.conflicts


def test_the_bill_has_no_findings(bill):
    # CAO 66(1) caps a minor's fine "whatever the fine set by the article of the Special Part":
    # the 30 MRP of 127-2(2) is capped, no longer a conflict (issue 11)
    result = check_all(bill)
    assert not result.inconsistencies
    assert [(f.kind, f.action, sorted(f.provisions)) for f in result.findings] == []


def test_nest_builds_case_groups():
    import datetime as dt

    assert nest({"victim.age": 3, "offence.date": dt.date(2024, 7, 1)}) == {
        "victim": {"age": 3}, "offence": {"date": "2024-07-01"}}


def test_unknown_gap_action_is_an_error(check_with):
    import rules

    with pytest.raises(rules.RulesError, match="did you mean `report`"):
        analyse(check_with(PROVISIONS), gaps=["reportt"])


PRESUMED_AWAY = """
act CC "Criminal Code"
enum kind = battery | threat
governing date offence.date
facts
  offence.date : date 2015-01-01..
  offence.kind : kind
  offence.cruelty : boolean
  victim.age : integer 0..150
action support "Support programme"
protections support

presume offence.cruelty = false
  source CC article 54 part 3
  confidence confirmed

provision support_violence "Support for child victims of violence"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if victim.age < 18 and (offence.kind = battery or offence.cruelty)
  then require support
"""


def test_a_presumption_that_takes_a_protection_away_is_found_with_a_witness():
    ruleset = rules.check({"p.law": PRESUMED_AWAY})
    result = check_all(ruleset)
    [finding] = [f for f in result.findings if f.kind == "presumption_takes_protection"]
    assert finding.action == "support" and "offence.cruelty" in finding.message
    # the witness: a threat against a child, cruelty left out (presumed absent: no support)
    assert finding.witness is not None
    assert finding.witness["offence"]["kind"] == "threat"
    assert "cruelty" not in finding.witness["offence"]
    without = ruleset.evaluate(finding.witness)
    assert without.state("support") == "none"
    with_cruelty = ruleset.evaluate({**finding.witness, "offence": {
        **finding.witness["offence"], "cruelty": True}})
    assert with_cruelty.state("support") == "required"
    assert not result.inconsistencies


def test_the_same_protection_without_the_aggravation_is_safe():
    safe = PRESUMED_AWAY.replace("(offence.kind = battery or offence.cruelty)",
                                 "offence.kind in {battery, threat}")
    result = check_all(rules.check({"p.law": safe}))
    assert not [f for f in result.findings if f.kind == "presumption_takes_protection"]
