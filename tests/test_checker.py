"""Checker: each kind of mistake in rule text gets its stable diagnostic code, at the place of
the mistake, with a hint where one helps; every error of a rule set is reported at once."""

from __future__ import annotations

import pytest
from conftest import provision

import rules


def codes(diagnostics: list[rules.Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics if d.severity == "error"]


def only(diagnostics: list[rules.Diagnostic], code: str) -> rules.Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in diagnostics]
    return found[0]


def test_the_fixture_rule_set_checks(check_with):
    ruleset = check_with(provision("p", "if minor_victim then require report"))
    assert "p" in ruleset.by_id
    assert ruleset.governing_date == "offence.date"


def test_the_bundled_bill_checks(bill):
    assert bill.provisions
    assert bill.governing_date == "offence.date"


def test_duplicate_provision_id_within_a_file(diagnostics_of):
    text = provision("p", "then require report") + provision("p", "then require support")
    error = only(diagnostics_of(text), "duplicate_id")
    assert "`p`" in error.message
    assert error.span.file == "extra.law"
    assert error.span.line > 1  # the second declaration is the one reported


def test_duplicate_provision_id_across_files(diagnostics_of):
    diagnostics = diagnostics_of(provision("p", "then require report"),
                                 other_law=provision("p", "then require support"))
    error = only(diagnostics, "duplicate_id")
    assert "`p`" in error.message
    mentioned = " ".join([error.message, *error.notes, str(error.span)])
    assert "extra.law" in mentioned and "other.law" in mentioned


def test_unknown_name_with_did_you_mean(diagnostics_of):
    text = provision("p", "if minor_victm then require report")
    error = only(diagnostics_of(text), "unknown_name")
    assert "minor_victm" in error.message
    assert any("did you mean `minor_victim`?" in note for note in error.notes)
    assert error.span.file == "extra.law"
    assert (error.span.line, error.span.column) == (5, 6)
    assert "did you mean `minor_victim`?" in error.render({"extra.law": text})


def test_unknown_fact_with_did_you_mean(diagnostics_of):
    error = only(diagnostics_of(provision("p", "if victim.aeg < 18 then require report")),
                 "unknown_name")
    assert any("victim.age" in note for note in error.notes)


def test_type_mismatch_age_against_date(diagnostics_of):
    text = provision("p", "if victim.age < offence.date then require report")
    error = only(diagnostics_of(text), "type_mismatch")
    assert "integer" in error.message and "date" in error.message
    assert error.span.line == 5


@pytest.mark.parametrize("condition", [
    "victim.age",                       # an integer where a condition is expected
    "offence.kind = 3",                 # an enum against an integer
    "flags.a + 1 > 2",                  # arithmetic on a boolean
    'place.district < "x"',             # ordering texts
    "years_between(victim.age, offence.date) > 1",
])
def test_type_mismatch_variants(diagnostics_of, condition):
    assert "type_mismatch" in codes(diagnostics_of(provision("p", f"if {condition} "
                                                             "then require report")))


def test_definition_cycle_names_the_loop(diagnostics_of):
    text = ("define loop_a : boolean = loop_b and flags.a\n"
            "define loop_b : boolean = loop_c\n"
            "define loop_c : boolean = loop_a or flags.b\n")
    error = only(diagnostics_of(text), "definition_cycle")
    for name in ("loop_a", "loop_b", "loop_c"):
        assert name in error.message
    assert "loop_a -> loop_b -> loop_c -> loop_a" in error.message


def test_self_referencing_definition(diagnostics_of):
    error = only(diagnostics_of("define selfish = selfish or flags.a\n"), "definition_cycle")
    assert "selfish -> selfish" in error.message


def test_unknown_override(diagnostics_of):
    text = provision("p", "overrides no_such_provision then require report")
    error = only(diagnostics_of(text), "unknown_override")
    assert "no_such_provision" in error.message


def test_unknown_override_did_you_mean(diagnostics_of):
    text = (provision("general_rule", "then require report")
            + provision("p", "overrides general_rul then require report"))
    error = only(diagnostics_of(text), "unknown_override")
    assert any("general_rule" in note for note in error.notes)


def test_override_cycle(diagnostics_of):
    text = (provision("a", "overrides b then require report")
            + provision("b", "overrides c then require report")
            + provision("c", "overrides a then require report"))
    diagnostics = diagnostics_of(text)
    cycles = [d for d in diagnostics if d.code == "override_cycle"]
    assert cycles
    assert all(name in cycles[0].message for name in ("a", "b", "c"))


def test_overrides_must_share_an_action_or_conclusion(check_with):
    # LANGUAGE.md: "A check error is raised if P and Q share no action or conclusion".
    text = (provision("q", "then require report")
            + provision("p", "overrides q then require support"))
    with pytest.raises(rules.RuleSetError) as raised:
        check_with(text)
    errors = [d for d in raised.value.diagnostics if d.severity == "error"]
    assert errors and "q" in errors[0].message and "p" in errors[0].message


def test_date_order(diagnostics_of):
    header = ("  source CC article 1\n  confidence confirmed\n"
              "  in force from 2024-06-16 until 2024-01-01\n")
    error = only(diagnostics_of(provision("p", "then require report", header)), "date_order")
    assert "2024-01-01" in error.message and "2024-06-16" in error.message
    assert error.span.line == 4


def test_until_on_the_start_day_is_fine(check_with):
    header = ("  source CC article 1\n  confidence confirmed\n"
              "  in force from 2024-06-16 until 2024-06-16\n")
    check_with(provision("p", "then require report", header))


@pytest.mark.parametrize("missing, header", [
    ("missing_source", "  confidence confirmed\n  in force from 2015-01-01\n"),
    ("missing_confidence", "  source CC article 1\n  in force from 2015-01-01\n"),
    ("missing_in_force", "  source CC article 1\n  confidence confirmed\n"),
])
def test_required_clauses(diagnostics_of, missing, header):
    diagnostics = diagnostics_of(provision("p", "then require report", header))
    assert codes(diagnostics) == [missing]
    assert diagnostics[0].span.line == 1


def test_all_required_clauses_missing_reports_three_errors(diagnostics_of):
    diagnostics = diagnostics_of(provision("p", "then require report", header=""))
    assert sorted(codes(diagnostics)) == ["missing_confidence", "missing_in_force",
                                          "missing_source"]


def test_bad_confidence(diagnostics_of):
    header = "  source CC article 1\n  confidence confirmd\n  in force from 2015-01-01\n"
    error = only(diagnostics_of(provision("p", "then require report", header)), "bad_confidence")
    assert "confirmd" in error.message
    notes = " ".join(error.notes)
    assert "confirmed" in notes


def test_unknown_action(diagnostics_of):
    error = only(diagnostics_of(provision("p", "then require reprot")), "unknown_action")
    assert "reprot" in error.message
    assert any("report" in note for note in error.notes)


def test_unknown_conclusion(diagnostics_of):
    error = only(diagnostics_of(provision("p", 'then conclude qualifcation = "x"')),
                 "unknown_conclusion")
    assert "qualifcation" in error.message
    assert any("qualification" in note for note in error.notes)


@pytest.mark.parametrize("body", [
    "if offence.kind = batery then require report",
    "if offence.kind in {battery, minor_harn} then require report",
    "then conclude category = huge",
    "then require notify(region = astna)",
])
def test_unknown_enum_value(diagnostics_of, body):
    assert codes(diagnostics_of(provision("p", body))) == ["unknown_enum_value"]


def test_unknown_enum_value_did_you_mean(diagnostics_of):
    error = only(diagnostics_of(provision("p", "if offence.kind = batery then require report")),
                 "unknown_enum_value")
    assert any("battery" in note for note in error.notes)


def test_unknown_act(diagnostics_of):
    header = "  source XX article 1\n  confidence confirmed\n  in force from 2015-01-01\n"
    error = only(diagnostics_of(provision("p", "then require report", header)), "unknown_act")
    assert "XX" in error.message
    assert error.span.line == 2


def test_every_error_is_reported_at_once(diagnostics_of):
    text = (provision("a", "then require reprot")
            + provision("b", "if victim.age < offence.date then require report")
            + provision("c", "overrides nobody then require report"))
    found = set(codes(diagnostics_of(text)))
    assert {"unknown_action", "type_mismatch", "unknown_override"} <= found


def test_diagnostics_are_sorted_by_place(diagnostics_of):
    text = (provision("a", "then require reprot")
            + provision("b", "if victim.age < offence.date then require report"))
    diagnostics = diagnostics_of(text)
    places = [(d.span.file, d.span.line, d.span.column) for d in diagnostics]
    assert places == sorted(places)


def test_rule_set_error_is_a_rules_error(diagnostics_of, check_with):
    with pytest.raises(rules.RulesError):
        check_with(provision("a", "then require reprot"))
