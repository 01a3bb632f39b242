"""Evaluator semantics (docs/LANGUAGE.md) on the fixture rule set tests/fixtures/semantics/:
Kleene logic, priorities, conflicts, in force, derived facts, determinism and explanations."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import provision

import rules

DATE = "2024-07-01"


def case(**groups) -> dict:
    """A case with an offence date (unless given) and the groups as keyword arguments."""
    groups.setdefault("offence", {})
    groups["offence"].setdefault("date", DATE)
    return groups


def undetermined(decision: rules.Decision, name: str) -> list[rules.Undetermined]:
    return [u for u in decision.undetermined if u.action == name or u.conclusion == name]


def decided(decision: rules.Decision, name: str) -> bool:
    """Whether the decision says anything at all about an action or conclusion."""
    return bool(decision.outcome(name) or undetermined(decision, name)
                or decision.conclusion_values(name)
                or any(c.action == name or c.conclusion == name for c in decision.conflicts))


# ---- Kleene logic -------------------------------------------------------------------------


def test_false_and_unknown_is_false(semantics):
    d = semantics.evaluate(case(flags={"a": False}))
    assert not decided(d, "act_and")
    assert d.trace("k_and").status == "does_not_apply"
    assert d.trace("k_and").conditions[0].value == "false"


def test_true_and_unknown_is_unknown(semantics):
    d = semantics.evaluate(case(flags={"a": True}))
    assert d.outcome("act_and") is None
    [u] = undetermined(d, "act_and")
    assert u.needs == ["flags.b"]
    assert set(u.possible) == {"required", "none"}
    trace = d.trace("k_and")
    assert trace.status == "undetermined"
    assert trace.conditions[0].value == "unknown"
    assert trace.needs == ["flags.b"]


def test_true_and_true_applies(semantics):
    d = semantics.evaluate(case(flags={"a": True, "b": True}))
    assert d.outcome("act_and").modality == "required"
    assert d.outcome("act_and").provisions == ["k_and"]


def test_true_or_unknown_is_true(semantics):
    d = semantics.evaluate(case(flags={"a": True}))
    assert d.outcome("act_or").modality == "required"
    assert not undetermined(d, "act_or")


def test_false_or_unknown_is_unknown(semantics):
    d = semantics.evaluate(case(flags={"a": False}))
    [u] = undetermined(d, "act_or")
    assert u.needs == ["flags.b"]


def test_not_unknown_is_unknown(semantics):
    assert undetermined(semantics.evaluate(case()), "act_not")[0].needs == ["flags.c"]
    assert semantics.evaluate(case(flags={"c": False})).outcome("act_not").modality == "required"
    assert not decided(semantics.evaluate(case(flags={"c": True})), "act_not")


def test_arithmetic_and_comparison_with_unknown_are_unknown(semantics):
    assert undetermined(semantics.evaluate(case()), "act_cmp")[0].needs == ["flags.n"]
    assert semantics.evaluate(case(flags={"n": 10})).outcome("act_cmp").modality == "required"
    assert not decided(semantics.evaluate(case(flags={"n": 9})), "act_cmp")


def test_is_known_reads_the_case_file_only_through_an_inference(semantics):
    # `infer flags.k = true if parties.reconciled is known`: stating the fact settles flags.k
    assert semantics.evaluate(case(parties={"reconciled": False})).outcome(
        "act_known").modality == "required"
    assert undetermined(semantics.evaluate(case()), "act_known")[0].needs == ["flags.k"]
    # a case stating the opposite of what the law infers contradicts itself
    with pytest.raises(rules.CaseError) as error:
        semantics.evaluate(case(parties={"reconciled": True}, flags={"k": False}))
    assert {p for p, _ in error.value.problems} == {"flags.k", "parties.reconciled"}


def test_is_known_in_a_provision_is_a_located_error(vocabulary_text):
    text = provision("p", "if parties.reconciled is known\n  then require support")
    with pytest.raises(rules.RuleSetError) as error:
        rules.check({"v.law": vocabulary_text, "p.law": text})
    [diagnostic] = [d for d in error.value.diagnostics if d.code == "known_in_condition"]
    assert (diagnostic.span.file, diagnostic.span.line) == ("p.law", 5)


def test_a_presumed_fact_is_labelled_and_strict_mode_leaves_it_unknown(semantics):
    decision = semantics.evaluate(case())
    outcome = decision.outcome("act_presumed")
    assert outcome is not None and outcome.modality == "required"
    assert outcome.presumed == ["flags.p"]
    [presumed] = decision.presumed
    assert (presumed.fact, presumed.value, presumed.rebuttal) == (
        "flags.p", False, "flags.p is established")
    assert presumed.confidence == "secondary" and outcome.confidence == "secondary"
    strict = semantics.evaluate(case(), presumptions=False)
    assert undetermined(strict, "act_presumed")[0].needs == ["flags.p"]
    assert strict.presumed == [] and strict.record.strict
    # a stated fact always wins, and an outcome that does not rest on it is not labelled
    stated = semantics.evaluate(case(flags={"p": False}))
    assert stated.outcome("act_presumed").presumed == [] and stated.presumed == []
    assert not decided(semantics.evaluate(case(flags={"p": True})), "act_presumed")


def test_contradictory_facts_are_a_case_error_naming_both(semantics):
    with pytest.raises(rules.CaseError) as error:
        semantics.evaluate(case(flags={"a": True, "p": True}))
    assert {p for p, _ in error.value.problems} == {"flags.a", "flags.p"}
    assert "flags.a and flags.p cannot both hold" in str(error.value)


@pytest.mark.parametrize("reconciled, expected", [
    (True, None), (False, "required"), ("unknown", "undetermined")])
def test_unless(semantics, reconciled, expected):
    parties = {} if reconciled == "unknown" else {"reconciled": reconciled}
    d = semantics.evaluate(case(flags={"a": True}, parties=parties))
    if expected == "undetermined":
        assert undetermined(d, "act_unless")[0].needs == ["parties.reconciled"]
    elif expected is None:
        assert not decided(d, "act_unless")
        assert d.trace("k_unless").failed == ["unless parties.reconciled"]
    else:
        assert d.outcome("act_unless").modality == expected


# ---- priorities -----------------------------------------------------------------------------


def test_overriding_provision_sets_aside_the_general_one(semantics):
    d = semantics.evaluate(case(offence={"kind": "battery"}, victim={"age": 10}))
    outcome = d.outcome("reconciliation")
    assert outcome.modality == "forbidden"
    assert outcome.provisions == ["minor_no_reconciliation"]
    assert outcome.set_aside == ["general_reconciliation"]
    assert d.trace("general_reconciliation").status == "applies"
    assert d.trace("general_reconciliation").set_aside_by == ["minor_no_reconciliation"]
    assert d.conclusion_values("qualification") == ["CC 68(4)(5)"]
    assert not d.conflicts


def test_general_provision_stands_when_the_special_one_does_not_apply(semantics):
    d = semantics.evaluate(case(offence={"kind": "battery"}, victim={"age": 30}))
    assert d.outcome("reconciliation").modality == "permitted"
    assert d.outcome("reconciliation").provisions == ["general_reconciliation"]
    assert d.conclusion_values("qualification") == ["CC 68(1)"]


def test_overrides_set_aside_only_shared_actions(semantics):
    d = semantics.evaluate(case(offence={"kind": "battery"}, victim={"age": 10}))
    report = d.outcome("report")
    assert report is not None and report.modality == "required"
    assert report.provisions == ["general_reconciliation"]
    assert report.set_aside == []


def test_undetermined_overrider_makes_the_overridden_outcome_undetermined(semantics):
    d = semantics.evaluate(case(offence={"kind": "battery"}))  # victim's age unknown
    assert d.outcome("reconciliation") is None
    [u] = undetermined(d, "reconciliation")
    assert "victim.age" in u.needs
    assert {"permitted", "forbidden"} <= set(u.possible)
    assert set(u.provisions) == {"general_reconciliation", "minor_no_reconciliation"}
    # the action the special provision does not decide is unaffected
    assert d.outcome("report").modality == "required"
    # a conclusion the overrider also draws is undetermined too: neither value is certain
    assert d.conclusion_values("qualification") == []
    assert undetermined(d, "qualification")


def test_override_on_a_fresh_rule_set(check_with):
    text = (provision("gen", "if flags.a then permit support conclude qualification = \"gen\"")
            + provision("spec", "overrides gen if flags.a and flags.b then forbid support"))
    ruleset = check_with(text)
    d = ruleset.evaluate(case(flags={"a": True, "b": True}))
    assert d.outcome("support").modality == "forbidden"
    assert d.conclusion_values("qualification") == ["gen"]  # not shared: stands
    d = ruleset.evaluate(case(flags={"a": True}))
    assert d.outcome("support") is None
    assert undetermined(d, "support")[0].needs == ["flags.b"]
    assert d.conclusion_values("qualification") == ["gen"]


# ---- combining and conflicts ----------------------------------------------------------------


def test_forbid_and_require_without_priority_is_a_conflict(semantics):
    d = semantics.evaluate(case(offence={"systematic": True}))
    assert d.outcome("support") is None
    assert not undetermined(d, "support")
    [conflict] = [c for c in d.conflicts if c.action == "support"]
    assert {(i.provision, i.modality) for i in conflict.items} == {
        ("support_forbidden", "forbidden"), ("support_required", "required")}
    assert conflict.message


def test_required_beats_permitted(semantics):
    d = semantics.evaluate(case(flags={"b": True}))
    outcome = d.outcome("merged")
    assert outcome.modality == "required"
    assert set(outcome.provisions) == {"merged_permit", "merged_require"}
    assert not d.conflicts


def test_single_valued_conclusion_with_two_values_is_a_conflict(semantics):
    d = semantics.evaluate(case(offence={"kind": "minor_harm"}, flags={"c": True}))
    assert d.conclusion_values("category") == []
    [conflict] = [c for c in d.conflicts if c.conclusion == "category"]
    assert {(i.provision, i.value) for i in conflict.items} == {
        ("category_small", "small"), ("category_medium", "medium")}


def test_single_valued_conclusion_alone(semantics):
    d = semantics.evaluate(case(offence={"kind": "minor_harm"}, flags={"c": False}))
    assert d.conclusion_values("category") == ["small"]
    assert not d.conflicts


def test_single_valued_conclusion_that_may_conflict_is_undetermined(semantics):
    d = semantics.evaluate(case(offence={"kind": "minor_harm"}))
    assert d.conclusion_values("category") == []
    assert undetermined(d, "category")[0].needs == ["flags.c"]


def test_many_valued_conclusion_collects_values(check_with):
    text = (provision("q1", 'if flags.a then conclude qualification = "CC 1"')
            + provision("q2", 'if flags.a then conclude qualification = "CC 2"'))
    d = check_with(text).evaluate(case(flags={"a": True}))
    assert sorted(d.conclusion_values("qualification")) == ["CC 1", "CC 2"]
    assert not d.conflicts


def test_action_arguments(semantics):
    d = semantics.evaluate(case(offence={"kind": "bullying"}, place={"region": "astana"}))
    outcome = d.outcome("notify")
    assert outcome.modality == "required"
    assert outcome.args == {"region": "astana"}
    assert outcome.sources == ["LAW72 art. 2"]
    assert outcome.confidence == "uncertain"


def test_action_with_unknown_argument_is_undetermined(semantics):
    d = semantics.evaluate(case(offence={"kind": "bullying"}))
    assert d.outcome("notify") is None
    assert "place.region" in undetermined(d, "notify")[0].needs


def test_outcome_sources_and_confidence(semantics):
    d = semantics.evaluate(case(offence={"kind": "battery"}, victim={"age": 10}))
    outcome = d.outcome("reconciliation")
    assert outcome.sources == ["CC art. 68(4)(5)", "LAW72 art. 1, as amended"]
    assert outcome.confidence == "secondary"


# ---- in force -------------------------------------------------------------------------------

MURDER = {"kind": "murder"}


def test_worsening_law_does_not_reach_back(semantics):
    d = semantics.evaluate(case(offence={**MURDER, "date": "2024-06-15"}))
    assert not decided(d, "harsh")
    trace = d.trace("harsh_2024")
    assert trace.in_force == "false"
    assert trace.status == "does_not_apply"
    assert any("not in force" in reason for reason in trace.failed)


def test_improving_law_reaches_back(semantics):
    d = semantics.evaluate(case(offence={**MURDER, "date": "2024-06-15"}))
    assert d.outcome("lenient").modality == "permitted"
    assert d.trace("lenient_2024").in_force == "true"


def test_both_apply_from_the_first_day(semantics):
    d = semantics.evaluate(case(offence={**MURDER, "date": "2024-06-16"}))
    assert d.outcome("harsh").modality == "forbidden"
    assert d.outcome("lenient").modality == "permitted"


@pytest.mark.parametrize("date, applies", [
    ("2019-12-31", False), ("2020-01-01", True), ("2022-12-31", True), ("2023-01-01", False)])
def test_until_is_inclusive(semantics, date, applies):
    d = semantics.evaluate(case(offence={**MURDER, "date": date}))
    assert (d.outcome("bounded") is not None) == applies


def test_improving_law_does_not_reach_past_its_end(check_with):
    header = ("  source CC article 1\n  confidence confirmed\n"
              "  in force from 2020-01-01 until 2022-12-31\n  improves position\n")
    ruleset = check_with(provision("p", "then permit support", header))
    assert ruleset.evaluate(case(offence={"date": "2016-01-01"})).outcome("support")
    assert ruleset.evaluate(case(offence={"date": "2022-12-31"})).outcome("support")
    assert ruleset.evaluate(case(offence={"date": "2023-01-01"})).outcome("support") is None


def test_as_of_overrides_the_offence_date(semantics):
    d = semantics.evaluate(case(offence={**MURDER, "date": "2024-06-15"}), as_of="2024-06-16")
    assert d.outcome("harsh").modality == "forbidden"
    assert d.as_of == dt.date(2024, 6, 16)
    assert d.as_of_source == "as_of"
    d = semantics.evaluate(case(offence={**MURDER, "date": "2024-06-16"}),
                           as_of=dt.date(2024, 6, 15))
    assert not decided(d, "harsh")
    assert d.as_of == dt.date(2024, 6, 15)


def test_as_of_comes_from_the_offence_date(semantics):
    d = semantics.evaluate(case(offence={**MURDER, "date": "2024-06-15"}))
    assert d.as_of == dt.date(2024, 6, 15)
    assert d.as_of_source == "offence date"


def test_unknown_offence_date_makes_in_force_unknown(semantics):
    d = semantics.evaluate({"offence": MURDER})
    assert d.as_of is None
    assert d.as_of_source == "unknown"
    assert d.outcome("harsh") is None
    [u] = undetermined(d, "harsh")
    assert "offence.date" in u.needs
    trace = d.trace("harsh_2024")
    assert trace.in_force == "unknown"
    assert "offence.date" in trace.needs
    [u] = undetermined(d, "bounded")
    assert "offence.date" in u.needs


def test_unknown_date_inside_the_declared_range_is_in_force(semantics):
    # offence.date is declared `date 2015-01-01..`: every possible date is inside the window
    d = semantics.evaluate({"offence": MURDER})
    assert d.outcome("always").modality == "required"
    assert d.trace("always_2015").in_force == "true"
    # an improving law with no end reaches every date
    assert d.outcome("lenient").modality == "permitted"


def test_unknown_date_outside_the_declared_range_is_not_in_force(semantics):
    d = semantics.evaluate({"offence": MURDER})
    assert not decided(d, "expired")
    assert d.trace("expired_2014").in_force == "false"


# ---- derived facts --------------------------------------------------------------------------


@pytest.mark.parametrize("date, age, reconciliation", [
    ("2024-07-01", 17, "forbidden"), ("2024-07-02", 18, "permitted")])
def test_age_derived_from_birth_date(semantics, date, age, reconciliation):
    d = semantics.evaluate({"offence": {"date": date, "kind": "battery"},
                            "victim": {"birth_date": "2006-07-02"}})
    assert d.explanation.facts["victim.age"] == age
    assert d.outcome("reconciliation").modality == reconciliation


def test_leap_day_birthday(semantics):
    d = semantics.evaluate({"offence": {"date": "2025-02-28"},
                            "victim": {"birth_date": "2007-02-28"}})
    assert d.explanation.facts["victim.age"] == 18
    d = semantics.evaluate({"offence": {"date": "2026-02-28"},
                            "victim": {"birth_date": "2008-02-29"}})
    assert d.explanation.facts["victim.age"] == 17


def test_stated_age_agreeing_with_birth_date_is_fine(semantics):
    d = semantics.evaluate({"offence": {"date": "2024-07-01"},
                            "victim": {"birth_date": "2006-07-02", "age": 17}})
    assert d.explanation.facts["victim.age"] == 17


def test_stated_age_disagreeing_with_birth_date_is_a_case_error(semantics):
    with pytest.raises(rules.CaseError) as raised:
        semantics.evaluate({"offence": {"date": "2024-07-01"},
                            "victim": {"birth_date": "2006-07-02", "age": 18}})
    assert [path for path, _ in raised.value.problems] == ["victim.age"]
    assert "victim.age" in raised.value.render()


def test_derived_age_without_offence_date_is_unknown(semantics):
    d = semantics.evaluate({"offence": {"kind": "battery"},
                            "victim": {"birth_date": "2006-07-02"}})
    assert "victim.age" not in d.explanation.facts
    assert d.outcome("reconciliation") is None


def test_stated_age_without_birth_date_is_used(semantics):
    d = semantics.evaluate(case(offence={"kind": "battery"}, victim={"age": 12}))
    assert d.outcome("reconciliation").modality == "forbidden"


# ---- results contract -----------------------------------------------------------------------

BIG_CASE = {"offence": {"date": "2024-07-01", "kind": "battery", "systematic": True},
            "victim": {"birth_date": "2010-01-01"}, "flags": {"a": True, "n": 3},
            "place": {"region": "almaty", "district": "Medeu"}}


def test_json_output_is_deterministic(semantics):
    first = semantics.evaluate(BIG_CASE).model_dump_json()
    second = semantics.evaluate(json.loads(json.dumps(BIG_CASE))).model_dump_json()
    assert first == second
    third = semantics.evaluate(json.dumps(BIG_CASE)).model_dump_json()
    assert first == third


def test_json_output_is_deterministic_across_loads_and_key_order():
    fresh = rules.load(__import__("conftest").FIXTURES / "semantics")
    reordered = {k: dict(reversed(list(v.items()))) for k, v in reversed(list(BIG_CASE.items()))}
    first = fresh.evaluate(BIG_CASE).model_dump_json()
    again = rules.load(__import__("conftest").FIXTURES / "semantics").evaluate(reordered)
    assert again.model_dump_json() == first


def test_lists_are_sorted(semantics):
    d = semantics.evaluate(BIG_CASE)
    actions = [o.action for o in d.outcomes]
    assert actions == sorted(actions)
    for u in d.undetermined:
        assert u.needs == sorted(u.needs)
    ids = [p.id for p in d.explanation.provisions]
    order = [p.id for p in semantics.provisions]
    assert ids == [pid for pid in order if pid in ids]  # rule-set order
    # every provision is explained: traced, or excluded with the condition that fails
    assert set(ids) | set(d.explanation.excluded) == set(order)
    assert not set(ids) & set(d.explanation.excluded)
    for pid, reason in d.explanation.excluded.items():
        assert reason.startswith("if ") and ": false" in reason
        assert d.trace(pid) is not None and d.trace(pid).status == "does_not_apply"


def test_why_not_lists_the_failing_condition(semantics):
    d = semantics.evaluate(case(offence={"kind": "battery"}, victim={"age": 30}))
    trace = d.trace("minor_no_reconciliation")
    assert trace.status == "does_not_apply"
    assert trace.failed == ["if offence.kind = battery and minor_victim"]
    [condition] = trace.conditions
    assert condition.value == "false"
    # the facts the value rests on: the age that makes minor_victim false, not the kind that held
    assert condition.facts["victim.age"] == 30
    assert "offence.kind" not in condition.facts


def test_why_not_for_a_wrong_offence_kind(semantics):
    facts = case(offence={"kind": "murder"})
    trace = semantics.why_not(facts, "general_reconciliation")
    assert trace.failed == ["if offence.kind = battery"]
    assert trace.conditions[0].facts == {"offence.kind": "murder"}
    # the decision itself carries the failing condition in one line
    brief = semantics.evaluate(facts).trace("general_reconciliation")
    assert brief.status == "does_not_apply"
    assert brief.failed == ["if offence.kind = battery: false (offence.kind = murder)"]


def test_applying_provision_has_no_failures(semantics):
    trace = semantics.evaluate(case(offence={"kind": "battery"})).trace("general_reconciliation")
    assert trace.status == "applies"
    assert trace.failed == []


def test_every_provision_is_traced(semantics):
    d = semantics.evaluate(case())
    assert {p.id for p in d.explanation.provisions} == set(semantics.by_id)
    assert d.trace("no_such_provision") is None


def test_library_raises_only_its_own_errors_on_bad_arguments() -> None:
    """A bad `as_of` is a CaseError naming `as_of`; an unknown provision id an UnknownProvision
    (a RulesError) with a did-you-mean hint, never a bare ValueError or StopIteration."""
    import pytest

    import rules

    bill = rules.load()
    with pytest.raises(rules.CaseError, match="as_of"):
        bill.evaluate({}, as_of="2024-02-30")
    with pytest.raises(rules.UnknownProvision, match="did you mean `cc_68_1_release`"):
        bill.why_not({}, "cc_68_1")
    assert issubclass(rules.UnknownProvision, rules.RulesError)
