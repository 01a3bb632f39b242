"""Amendments as a drafting office uses them: several in date order, the same one twice refused by
name, definitions, facts and enums amended, ids kept by improving versions, and the messages of
the errors (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

import rules
from rules.language.amendments import amend_all, apply_amendment, parse_amendment

RULES = '''
provision p_old "An old rule"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if minor_victim
  then require report

provision p_young "Support for young children"
  source CC article 2
  confidence confirmed
  in force from 2015-01-01
  if young_child and flags.a
  then require support

provision p_lenient "A lenient rule"
  source CC article 3
  confidence confirmed
  in force from 2020-01-01
  improves position
  if flags.b
  then permit reconciliation
'''


def head(aid: str, date: str, extra: str = "") -> str:
    return (f'amendment {aid} "Amendment {aid}"\n  source CC article 9\n  confidence confirmed\n'
            f'{extra}  in force from {date}\n')


@pytest.fixture
def small(check_with) -> rules.RuleSet:
    return check_with(RULES)


def apply(ruleset: rules.RuleSet, text: str, file: str = "a.law") -> rules.RuleSet:
    return apply_amendment(ruleset, parse_amendment(text, file))


def errors(ruleset: rules.RuleSet, text: str, file: str = "a.law") -> rules.RuleSetError:
    with pytest.raises(rules.RuleSetError) as raised:
        apply(ruleset, text, file)
    return raised.value


def state(ruleset: rules.RuleSet, case: dict, action: str) -> str:
    return ruleset.evaluate(case).state(action)


def case(date: str, age: int, **flags: bool) -> dict:
    return {"offence": {"date": date}, "victim": {"age": age},
            "flags": {"a": False, "b": False, "c": False, **flags}}


# ---- several amendments -------------------------------------------------------------------------


def test_amendments_apply_in_date_order_whatever_the_command_line_order(small, tmp_path):
    later = tmp_path / "later.law"
    later.write_text(head("later", "2026-01-01") + "  amend p_old condition if victim.age < 12\n")
    earlier = tmp_path / "earlier.law"
    earlier.write_text(head("earlier", "2025-01-01")
                       + "  amend p_old condition if victim.age < 16\n")
    amended = amend_all(small, [later, earlier])
    assert [r.id for r in amended.history] == ["earlier", "later"]
    assert state(amended, case("2024-06-01", 17), "report") == "required"
    assert state(amended, case("2025-06-01", 15), "report") == "required"
    assert state(amended, case("2026-06-01", 15), "report") == "none"
    assert state(amended, case("2026-06-01", 11), "report") == "required"


def test_the_same_amendment_twice_is_refused_by_name(small, tmp_path):
    file = tmp_path / "a.law"
    file.write_text(head("a1", "2025-01-01") + "  repeal p_old\n")
    copy = tmp_path / "copy.law"
    copy.write_text(file.read_text())
    for paths in ([file, file], [file, copy]):
        with pytest.raises(rules.RuleSetError) as raised:
            amend_all(small, paths)
        [diagnostic] = raised.value.diagnostics
        assert diagnostic.code == "amendment_given_twice"
        assert "amendment `a1` is given twice" in diagnostic.message
    once = amend_all(small, [file])
    with pytest.raises(rules.RuleSetError) as raised:
        amend_all(once, [copy])
    assert [d.code for d in raised.value.diagnostics] == ["amendment_applied_twice"]
    assert "`a1` is already applied" in raised.value.render()


def test_out_of_order_names_the_version_and_the_amendment_that_made_it(small):
    once = apply(small, head("late", "2026-01-01") + "  amend p_old condition if flags.a\n",
                 "late.law")
    error = errors(once, head("early", "2025-01-01") + "  amend p_old condition if flags.b\n",
                   "early.law")
    [diagnostic] = error.diagnostics
    assert diagnostic.code == "amendment_out_of_order"
    assert "`early` (in force from 2025-01-01) changes `p_old`" in diagnostic.message
    assert "`p_old@late` (made by amendment `late`) enters into force only on 2026-01-01" \
        in diagnostic.message
    assert "early.law:5:9" in error.render() and "^^^^^" in error.render()


def test_header_messages_read_well():
    with pytest.raises(rules.RuleSetError) as raised:
        parse_amendment('amendment a "x"\n  repeal p\n', "x.law")
    text = raised.value.render()
    assert "has no `source`" in text and "has no `confidence`" in text
    assert "has no `in force from` date" in text and "no a `" not in text


def test_an_amendment_declares_only_improving(small):
    with pytest.raises(rules.RuleSetError) as raised:
        parse_amendment(head("a1", "2025-01-01", "  worsens position\n") + "  repeal p_old\n",
                        "a.law")
    assert [d.code for d in raised.value.diagnostics] == ["amendment_effect"]


# ---- ids across versions -------------------------------------------------------------------------


def test_an_improving_replace_keeps_the_id(small):
    amended = apply(small, head("a1", "2025-01-01")
                    + '  replace p_lenient with\n    provision p_lenient "A more lenient rule"\n'
                      "      improves position\n      if flags.b or flags.c\n"
                      "      then permit reconciliation\n")
    assert [p.id for p in amended.provisions if p.id.startswith("p_lenient")] == ["p_lenient"]
    assert amended.by_id["p_lenient"].title == "A more lenient rule"
    assert state(amended, case("2019-01-01", 30, c=True), "reconciliation") == "permitted"
    trace = amended.why_not(case("2019-01-01", 30, c=True), "p_lenient")
    assert trace.status == "applies"
    [record] = amended.history
    assert record.changes[0].verb == "replace" and record.changes[0].improving


def test_an_amendment_that_declares_improving_reaches_back(small):
    amended = apply(small, head("a1", "2025-01-01", "  improves position\n")
                    + "  amend p_old condition if victim.age < 16\n")
    assert amended.by_id["p_old"].effect == "improves"
    assert state(amended, case("2016-01-01", 17), "report") == "none"


# ---- definitions, facts and enums -----------------------------------------------------------


def test_a_definition_is_split_in_time_with_every_provision_that_reads_it(small):
    amended = apply(small, head("a1", "2025-01-01")
                    + "  amend define young_child = victim.age < 10\n")
    assert amended.definitions["young_child@a1"].text == "victim.age < 10"
    assert amended.definitions["young_child"].text == "victim.age < 14"
    # the provision that reads it is split: the old text to the day before, the new one after
    assert amended.by_id["p_young"].end.isoformat() == "2024-12-31"
    assert amended.by_id["p_young@a1"].start.isoformat() == "2025-01-01"
    assert amended.by_id["p_young@a1"].title == "Support for young children"
    assert state(amended, case("2024-12-31", 12, a=True), "support") == "required"
    assert state(amended, case("2025-01-01", 12, a=True), "support") == "none"
    assert state(amended, case("2025-01-01", 9, a=True), "support") == "required"
    # what does not read it is untouched
    assert "p_old@a1" not in amended.by_id
    record = amended.history[0]
    assert [(c.verb, c.target) for c in record.changes] == [("define", "young_child"),
                                                           ("split", "p_young")]


def test_definitions_built_on_an_amended_one_change_with_it(check_with):
    base = check_with(RULES + '''
define small_child = young_child and victim.age < 7
provision p_small "Small children"
  source CC article 4
  confidence confirmed
  in force from 2015-01-01
  if small_child
  then require notify(region = place.region)
''')
    amended = apply(base, head("a1", "2025-01-01") + "  amend define young_child = victim.age < 5\n")
    assert "small_child@a1" in amended.definitions
    assert amended.definitions["small_child@a1"].text == "young_child@a1 and victim.age < 7"
    six = {"offence": {"date": "2025-06-01"}, "victim": {"age": 6},
           "place": {"region": "astana"}}
    assert state(base, six, "notify") == "required"
    assert state(amended, six, "notify") == "none"


def test_a_new_definition_with_an_existing_name_is_an_amendment_not_a_duplicate(small):
    error = errors(small, head("a1", "2025-01-01") + "  amend define no_such = flags.a\n")
    assert [d.code for d in error.diagnostics] == ["amendment_unknown_target"]


def test_facts_and_enums_may_grow(small):
    amended = apply(small, head("a1", "2025-01-01")
                    + '  amend facts\n    flags.n : integer 0..200 "A wider count"\n'
                    + "  amend enum region = abai | astana | almaty | shymkent\n")
    assert amended.facts["flags.n"].high == 200 and amended.facts["flags.n"].doc
    assert "shymkent" in amended.enums["region"].values
    assert amended.evaluate({"place": {"region": "shymkent"}, "flags": {"n": 150}})


@pytest.mark.parametrize("change", [
    "  amend facts\n    flags.n : integer 0..50\n",
    "  amend facts\n    flags.n : boolean\n",
    "  amend enum region = abai | astana\n",
    "  amend facts\n    victim.age : integer 0..150 = years_between(victim.birth_date, "
    "victim.birth_date)\n",
])
def test_facts_and_enums_may_not_shrink(small, change):
    error = errors(small, head("a1", "2025-01-01") + change)
    assert [d.code for d in error.diagnostics] == ["amendment_fact_narrowed"]
    assert "a.law:5:" in error.render() or "a.law:6:" in error.render()
    assert "^" in error.render()


def test_bill_definition_amended(bill):
    text = (head("pv", "2025-01-01").replace("CC article 9", "LAW72")
            + "  amend define physical_violence = offence.kind in {battery, minor_harm, "
              "moderate_harm, grave_harm, murder, torment, rape, violent_sexual_act, torture, "
              "cruel_upbringing}\n")
    amended = apply(bill, text)
    battery_like = {"offence": {"kind": "cruel_upbringing", "date": "2025-03-01",
                                "cruelty": False},
                    "victim": {"age": 10}, "parties": {"reconciled": True},
                    "harm": {"compensated": True}}
    assert amended.evaluate(battery_like).state("reconciliation") == "forbidden"
    earlier = {**battery_like, "offence": {**battery_like["offence"], "date": "2024-09-01"}}
    assert amended.evaluate(earlier).state("reconciliation") == \
        bill.evaluate(earlier).state("reconciliation")


ROOT = Path(__file__).resolve().parent.parent
