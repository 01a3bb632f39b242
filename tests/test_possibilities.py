"""Exact possibilities: an undetermined item lists exactly the outcomes some completion of the
case reaches, each with an example the evaluator confirms; when every possibility means the
same (forbidden or no legal basis: not available), it says so."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rules


def flat(case: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in case.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def nest(facts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in facts.items():
        group, leaf = path.split(".")
        out.setdefault(group, {})[leaf] = value
    return out


def item(decision: rules.Decision, name: str) -> rules.Undetermined:
    return next(u for u in decision.undetermined if name in (u.action, u.conclusion))


def test_a_15_year_olds_liability_is_required_or_forbidden_nothing_else(bill):
    case = {"offence": {"date": "2024-07-01", "kind": "moderate_harm"}, "victim": {"age": 30},
            "offender": {"age": 15}}
    decision = bill.evaluate(case, presumptions=False)
    liability = item(decision, "criminal_liability")
    assert liability.exact and liability.possible == ["required", "forbidden"]
    for state, example in liability.examples.items():
        completed = nest({**flat(case), **example})
        assert bill.evaluate(completed, presumptions=False).state("criminal_liability") == state
    # with presumptions (no cruelty, normal development) it is settled, and says on what
    presumed = bill.evaluate(case).outcome("criminal_liability")
    assert presumed is not None and presumed.modality == "forbidden"
    assert presumed.presumed == ["offence.cruelty", "offender.insane", "offender.lagging_development"]


AVAILABILITY = """
act CC "Criminal Code"
enum kind = battery | threat
governing date offence.date
facts
  offence.date : date 2015-01-01..
  offence.kind : kind
  victim.age : integer 0..150
action reconciliation "Release on reconciliation"

provision ban "No reconciliation for battery of a child"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if offence.kind = battery and victim.age < 18
  then forbid reconciliation
"""


def test_forbidden_or_no_legal_basis_means_not_available():
    ruleset = rules.check({"a.law": AVAILABILITY})
    decision = ruleset.evaluate({"offence": {"date": "2024-07-01"}, "victim": {"age": 10}})
    entry = item(decision, "reconciliation")
    assert sorted(entry.possible) == ["forbidden", "none"]
    assert entry.meaning == "not available"
    assert entry.examples["forbidden"] == {"offence.kind": "battery"}
    assert entry.examples["none"] == {"offence.kind": "threat"}
    from rules.lawyer.report import build_report

    [line] = build_report(decision, ruleset).undetermined
    assert line.settled_in_effect and line.meaning == "not available"


BILL = rules.load()
FACTS = {p: f for p, f in BILL.facts.items() if f.derivation is None}


def values(path: str, fact: Any) -> st.SearchStrategy[Any]:
    kind = fact.type.kind
    if kind == "boolean":
        return st.booleans()
    if kind == "enum":
        return st.sampled_from(fact.type.values)
    if kind == "integer":
        return st.integers(0, 40)
    if kind == "text":
        return st.just("Yesil")
    if path.endswith("birth_date"):
        return st.dates(dt.date(1990, 1, 1), dt.date(2014, 12, 31)).map(str)
    return st.dates(dt.date(2016, 1, 1), dt.date(2026, 12, 31)).map(str)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.dictionaries(st.sampled_from(sorted(FACTS)), st.just(None), min_size=2, max_size=5),
       st.booleans(), st.data())
def test_every_completion_lands_on_a_listed_possibility(stated_paths, strict, data):
    stated = {p: data.draw(values(p, FACTS[p]), label=p) for p in stated_paths}
    try:
        decision = BILL.evaluate(nest(stated), presumptions=not strict)
    except rules.CaseError:
        return
    presumed = {p: decision.explanation.facts[p] for p in decision.explanation.presumed}
    open_items = [u for u in decision.undetermined if u.action]
    for entry in open_items:
        assert entry.exact and entry.possible
        for state, example in entry.examples.items():
            completed = BILL.evaluate(nest({**stated, **example}), presumptions=not strict)
            assert completed.state(entry.action or "") == state
    for _ in range(3):
        filled = dict(stated)
        for path in sorted(set(FACTS) - set(stated)):
            filled[path] = presumed[path] if path in presumed else data.draw(
                values(path, FACTS[path]), label=f"completion {path}")
        try:
            completed = BILL.evaluate(nest(filled), presumptions=not strict)
        except rules.CaseError:
            continue
        for entry in open_items:
            assert completed.state(entry.action or "") in entry.possible, (entry, filled)
