"""The library raises only `rules.RulesError` subclasses, whatever it is given.

Random case data (nested dicts with keys of any type, huge integers, NaN, bytes, dates, lists),
random JSON text, random rule text built from the language's own words, and random corpora for
the batch back end: every call returns a result or raises a `RulesError`, never anything else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rules
from reliability.support import SEMANTICS
from rules.batch import compile_batch, decide_cases

SEMANTIC_RULES = rules.load(SEMANTICS)
PLAN = compile_batch(SEMANTIC_RULES)
PATHS = list(SEMANTIC_RULES.facts)

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(4401, 6000).flatmap(
        lambda digits: st.sampled_from([10**digits + 7, -(10**digits) - 3])),
    st.floats(), st.text(max_size=30), st.binary(max_size=8), st.dates(),
    st.datetimes(), st.sampled_from(["2024-07-01", "20240701", "battery", "astana", "true",
                                     "10", " 10", "\x1b[2J", "NaN"]),
)
KEYS = st.one_of(st.sampled_from([p.split(".")[0] for p in PATHS]),
                 st.sampled_from([p.split(".")[1] for p in PATHS]),
                 st.sampled_from(PATHS), st.text(max_size=8), st.integers(), st.none())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)
CASES = st.one_of(st.dictionaries(KEYS, VALUES, max_size=6), VALUES)


def _only_rules_errors(call: Any) -> Any:
    try:
        return call()
    except rules.RulesError:
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=CASES, as_of=st.one_of(st.none(), SCALARS))
def test_evaluate_raises_only_case_errors(case: Any, as_of: Any) -> None:
    _only_rules_errors(lambda: SEMANTIC_RULES.evaluate(case, as_of=as_of))
    _only_rules_errors(lambda: SEMANTIC_RULES.why_not(case, "k_and", as_of=as_of))


JSON_PIECES = st.sampled_from(['{', '}', '[', ']', '"offence"', '"victim"', '"age"', ':', ',',
                               '10', '1e999', 'NaN', '-Infinity', '99999999999999999999',
                               '"2024-07-01"', 'true', 'null', '"\\u0000"', '"\\ud800"', ' ',
                               '"a"', '{"date": "2024-07-01"}'])


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(JSON_PIECES, max_size=40), depth=st.integers(0, 3000),
       raw=st.binary(max_size=40))
def test_case_text_raises_only_case_errors(pieces: list[str], depth: int, raw: bytes) -> None:
    text = "[" * depth + "".join(pieces) + "]" * depth
    _only_rules_errors(lambda: SEMANTIC_RULES.evaluate(text))
    _only_rules_errors(lambda: SEMANTIC_RULES.evaluate(raw))
    _only_rules_errors(lambda: SEMANTIC_RULES.evaluate(text.encode("utf-8", "surrogatepass")))


VOCABULARY = (SEMANTICS / "00_vocabulary.law").read_text(encoding="utf-8")
RULE_WORDS = st.sampled_from([
    "provision", "p", '"T"', "source", "CC", "article", "1", "confidence", "confirmed", "in",
    "force", "from", "2015-01-01", "2024-02-30", "if", "then", "require", "report", "and", "or",
    "not", "-", "+", "*", "(", ")", "flags.a", "flags.n", "victim.age", ">", "=", "{", "}",
    ",", "is", "known", "define", "d", "facts", "x.y", ":", "integer", "..", "9" * 25,
    "4611686018427387904", "enum", "e", "|", "\n", "\x1b", "\u202e", "#", "unless", "overrides",
    "years_between", "conclude", "category", "grave"])


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(words=st.lists(RULE_WORDS, max_size=60), nesting=st.integers(0, 400),
       operator=st.sampled_from(["not ", "- ", "("]))
def test_rule_text_raises_only_rule_set_errors(words: list[str], nesting: int,
                                               operator: str) -> None:
    deep = operator * nesting + "flags.a" + (")" * nesting if operator == "(" else "")
    header = ('provision fuzz "F"\n  source CC article 1\n  confidence confirmed\n'
              "  in force from 2015-01-01\n")
    for text in (" ".join(words), header + f"  if {deep}\n  then require report\n",
                 header + "  if " + " ".join(words) + "\n  then require report\n"):
        _only_rules_errors(lambda text=text: rules.check({"v.law": VOCABULARY, "x.law": text}))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases=st.lists(CASES, min_size=1, max_size=5))
def test_batch_raises_only_rules_errors(cases: list[Any]) -> None:
    rows = _only_rules_errors(lambda: decide_cases(SEMANTIC_RULES, cases, plan=PLAN))
    if rows is not None:
        assert len(rows) == len(cases)
        for case, row in zip(cases, rows, strict=True):
            if isinstance(case, dict) and any(isinstance(k, str) and "." in k for k in case):
                continue    # dotted keys: a corpus row may use them, a single case may not
            accepted = _only_rules_errors(lambda case=case: SEMANTIC_RULES.evaluate(case))
            # both back ends reject a case or neither does
            assert ("reason" in row) == (accepted is None), (case, row)


def test_dates_and_datetimes() -> None:
    """A date object is a date; a datetime is not (in both back ends)."""
    good = {"offence": {"date": dt.date(2024, 7, 1)}}
    bad = {"offence": {"date": dt.datetime(2024, 7, 1, 10)}}
    assert SEMANTIC_RULES.evaluate(good).as_of == dt.date(2024, 7, 1)
    [ok, rejected] = decide_cases(SEMANTIC_RULES, [good, bad], plan=PLAN)
    assert "reason" not in ok and "offence.date" in rejected["reason"]
