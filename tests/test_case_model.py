"""Case input: the pydantic case model built from the `facts` declarations. Every malformed case
is a CaseError naming the field path; the JSON schema mirrors the fact groups."""

from __future__ import annotations

import pytest

import rules


def problems(ruleset, case) -> list[tuple[str, str]]:
    with pytest.raises(rules.CaseError) as raised:
        ruleset.evaluate(case)
    assert raised.value.problems
    return raised.value.problems


def paths(ruleset, case) -> list[str]:
    return [path for path, _ in problems(ruleset, case)]


def test_empty_case_is_valid_and_all_unknown(semantics):
    strict = semantics.evaluate({}, presumptions=False)
    assert strict.explanation.facts == {}
    # only what the law presumes is filled in, and it says so
    d = semantics.evaluate({})
    assert d.explanation.facts == {"flags.p": False}
    assert d.explanation.presumed == ["flags.p"]


def test_nulls_are_unknown(semantics):
    d = semantics.evaluate({"offence": None, "victim": {"age": None}}, presumptions=False)
    assert d.explanation.facts == {}


def test_json_text_is_accepted(semantics):
    d = semantics.evaluate('{"offence": {"date": "2024-07-01", "kind": "battery"}}')
    assert d.explanation.facts["offence.kind"] == "battery"


@pytest.mark.parametrize("case, path", [
    ({"offence": {"colour": "red"}}, "offence.colour"),
    ({"suspect": {"age": 3}}, "suspect"),
    ({"victim": {"age": 10, "name": "x"}}, "victim.name"),
])
def test_unknown_field(semantics, case, path):
    found = problems(semantics, case)
    assert path in [p for p, _ in found]
    assert "unknown field" in dict(found)[path]


@pytest.mark.parametrize("case, path", [
    ({"victim": {"age": "12"}}, "victim.age"),
    ({"victim": {"age": 12.5}}, "victim.age"),
    ({"victim": {"age": True}}, "victim.age"),
    ({"flags": {"a": "true"}}, "flags.a"),
    ({"flags": {"a": 1}}, "flags.a"),
    ({"place": {"district": 5}}, "place.district"),
    ({"offence": "battery"}, "offence"),
])
def test_wrong_type(semantics, case, path):
    assert paths(semantics, case) == [path]


@pytest.mark.parametrize("case, path", [
    ({"victim": {"age": -1}}, "victim.age"),
    ({"victim": {"age": 151}}, "victim.age"),
    ({"flags": {"n": 101}}, "flags.n"),
    ({"offence": {"date": "2014-12-31"}}, "offence.date"),
])
def test_out_of_range(semantics, case, path):
    assert paths(semantics, case) == [path]


def test_range_bounds_are_inclusive(semantics):
    semantics.evaluate({"victim": {"age": 0}})
    semantics.evaluate({"victim": {"age": 150}})
    semantics.evaluate({"offence": {"date": "2015-01-01"}})


def test_unknown_enum_value(semantics):
    [(path, reason)] = problems(semantics, {"offence": {"kind": "burglary"}})
    assert path == "offence.kind"
    assert "burglary" in reason
    assert "battery" in reason  # the allowed values are listed


@pytest.mark.parametrize("value", ["2024-02-30", "01.07.2024", "2024-7-1", "yesterday", 20240701,
                                   "2024-07-01T10:00:00"])
def test_malformed_date(semantics, value):
    [(path, reason)] = problems(semantics, {"offence": {"date": value}})
    assert path == "offence.date"
    assert "2024-06-16" in reason or "date" in reason


@pytest.mark.parametrize("case", [[1, 2], 3, "\"text\"", "[]", "null", True])
def test_non_object_json(semantics, case):
    [(path, reason)] = problems(semantics, case)
    assert path == ""
    assert "object" in reason


@pytest.mark.parametrize("text", ["{", "{'offence': {}}", "", "not json"])
def test_invalid_json_text(semantics, text):
    [(path, reason)] = problems(semantics, text)
    assert path == ""
    assert "JSON" in reason


def test_several_problems_are_all_reported(semantics):
    found = paths(semantics, {"victim": {"age": "12"}, "offence": {"kind": "x", "date": "x"},
                              "extra": 1})
    assert sorted(found) == ["extra", "offence.date", "offence.kind", "victim.age"]


def test_derived_value_out_of_range_is_a_case_error(semantics):
    # born after the offence: the computed age is negative
    found = paths(semantics, {"offence": {"date": "2024-07-01"},
                              "victim": {"birth_date": "2025-01-01"}})
    assert found == ["victim.age"]


def test_case_error_render_and_message(semantics):
    with pytest.raises(rules.CaseError) as raised:
        semantics.evaluate({"victim": {"age": "12"}})
    assert "victim.age" in str(raised.value)
    assert raised.value.render().startswith("invalid case: 1 problem(s)")
    assert isinstance(raised.value, rules.RulesError)


def _resolve(schema: dict, node: dict) -> dict:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return schema["$defs"][name]
    for option in node.get("anyOf", []):
        if option.get("type") != "null":
            return _resolve(schema, option)
    return node


def _enum_values(schema: dict, node: dict) -> list[str]:
    node = _resolve(schema, node)
    if "enum" in node:
        return node["enum"]
    if "const" in node:
        return [node["const"]]
    return []


def test_schema_has_nested_groups(semantics):
    schema = semantics.case_schema()
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"offence", "victim", "parties", "place", "flags"}
    offence = _resolve(schema, schema["properties"]["offence"])
    assert set(offence["properties"]) == {"date", "kind", "systematic"}
    victim = _resolve(schema, schema["properties"]["victim"])
    assert set(victim["properties"]) == {"birth_date", "age"}
    # unknown fields are rejected at every level
    assert schema.get("additionalProperties") is False
    assert offence.get("additionalProperties") is False


def test_schema_has_enum_values_and_ranges(semantics):
    schema = semantics.case_schema()
    offence = _resolve(schema, schema["properties"]["offence"])
    assert _enum_values(schema, offence["properties"]["kind"]) == [
        "battery", "minor_harm", "murder", "bullying"]
    place = _resolve(schema, schema["properties"]["place"])
    assert _enum_values(schema, place["properties"]["region"]) == ["abai", "astana", "almaty"]
    victim = _resolve(schema, schema["properties"]["victim"])
    age = _resolve(schema, victim["properties"]["age"])
    assert age.get("minimum") == 0 and age.get("maximum") == 150
    assert offence["properties"]["date"]["description"] == "The date of the act"


def test_bill_schema_lists_every_fact(bill):
    schema = bill.case_schema()
    for path in bill.facts:
        group, leaf = path.split(".")
        node = _resolve(schema, schema["properties"][group])
        assert leaf in node["properties"], path
