"""An overrider that may apply but would give the same outcome leaves that outcome settled.

CC 120(3-1)(1) (rape of a minor) and 120(3-1)(2) (by a parent or teacher, which overrides it)
both make the crime especially grave: with the offender's relation unknown the article is open,
but the category is not. Both back ends must agree, and the rule must not leak when the
overrider gives another value or may itself be set aside.
"""

from __future__ import annotations

import pytest

import rules
from rules.batch import decide_cases

VOCABULARY = '''
act CC "Criminal Code"
governing date offence.date
facts
  offence.date : date 2015-01-01..
  victim.age : integer 0..150
  offender.teacher : boolean
  offender.parent : boolean
conclusion category : text
conclusion article : list of text
action report
'''

RULES = '''
provision minor "Basic part: a minor victim"
  source CC article 1 part 1
  confidence confirmed
  in force from 2015-01-01
  if victim.age < 18
  then conclude category = "especially grave"
       conclude article = "1(1)"
       require report

provision teacher "By a teacher: the same category, another article"
  source CC article 1 part 2
  confidence confirmed
  in force from 2015-01-01
  overrides minor
  if victim.age < 18 and offender.teacher
  then conclude category = "especially grave"
       conclude article = "1(2)"
       require report

provision parent "By a parent: another category"
  source CC article 1 part 3
  confidence confirmed
  in force from 2015-01-01
  overrides minor
  if victim.age < 18 and offender.parent
  then conclude category = "grave"
       conclude article = "1(3)"
'''


@pytest.fixture(scope="module")
def ruleset() -> rules.RuleSet:
    return rules.check({"vocabulary.law": VOCABULARY, "rules.law": RULES})


CASES = [
    # teacher unknown, parent false: the category is settled, the article is not
    {"offence": {"date": "2024-07-01"}, "victim": {"age": 12}, "offender": {"parent": False}},
    # parent unknown: the category could be "grave" too
    {"offence": {"date": "2024-07-01"}, "victim": {"age": 12}, "offender": {"teacher": False}},
    # both unknown
    {"offence": {"date": "2024-07-01"}, "victim": {"age": 12}},
    # both known
    {"offence": {"date": "2024-07-01"}, "victim": {"age": 12},
     "offender": {"teacher": True, "parent": False}},
]


def test_same_outcome_from_an_uncertain_overrider_is_settled(ruleset: rules.RuleSet) -> None:
    decision = ruleset.evaluate(CASES[0])
    assert decision.conclusion_values("category") == ["especially grave"]
    assert decision.state("report") == "required"
    open_articles = {u.value for u in decision.undetermined if u.conclusion == "article"}
    assert open_articles == {"1(1)", "1(2)"}


def test_a_different_outcome_keeps_it_open(ruleset: rules.RuleSet) -> None:
    decision = ruleset.evaluate(CASES[1])
    assert decision.conclusion_values("category") == []
    entry = next(u for u in decision.undetermined if u.conclusion == "category")
    assert entry.needs == ["offender.parent"]
    # overrides set aside only what both decide: the parent provision says nothing on `report`
    assert decision.state("report") == "required"


def test_batch_agrees(ruleset: rules.RuleSet) -> None:
    rows = decide_cases(ruleset, CASES)
    for case, row in zip(CASES, rows, strict=True):
        decision = ruleset.evaluate(case)
        assert row["report"] == decision.state("report")
        want = decision.conclusion_values("category")
        status = row["category.status"]
        assert (status == "determined") == bool(want)
        if want:
            assert row["category"] == want[0]
