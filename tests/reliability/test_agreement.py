"""The interpreter and the batch back end agree, where they used to drift apart.

* Integer arithmetic with large constants: Python's integers never overflow, polars' 64-bit ones
  wrap. On random rule sets with large constants and ranges, either the checker rejects the rule
  set (`integer_overflow`: some intermediate value can leave 64 bits, and a witness shows it), or
  both back ends give the same decision on random cases, bounds included.
* Values: one grammar (docs/INPUT.md). A JSON value is accepted by the case model exactly when
  the batch back end's JSON reader accepts it, with the same value; a CSV text cell is accepted
  by the per-case corpus reader exactly when the batch back end's text grammar accepts it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability.support import SEMANTICS

import rules
from rules.batch import compile_batch, decide_cases, evaluate_frame
from rules.limits import INT64_MAX, INT64_MIN

VOCABULARY = (SEMANTICS / "00_vocabulary.law").read_text(encoding="utf-8")
HEADER = "  source CC article 1\n  confidence confirmed\n  in force from 2015-01-01\n"

# Integer literals and range bounds are written without a sign in the rule language.
LARGE = st.one_of(
    st.integers(0, 12),
    st.integers(0, 2**40),
    st.integers(0, INT64_MAX),
    st.sampled_from([2**62, 4611686018427387904, INT64_MAX, 3037000499, 3037000500]),
)


@st.composite
def ranges(draw: Any) -> tuple[int, int]:
    a, b = draw(LARGE), draw(LARGE)
    return min(a, b), max(a, b)


def _expr(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(["big.x", "big.y"]), LARGE.map(str))
    if depth == 0:
        return leaf
    inner = _expr(depth - 1)
    return st.one_of(leaf, st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"), inner.map(lambda e: f"-({e})"))


@st.composite
def rule_sets(draw: Any) -> tuple[str, tuple[int, int], tuple[int, int]]:
    x, y = draw(ranges()), draw(ranges())
    left, right = draw(_expr(2)), draw(_expr(2))
    comparator = draw(st.sampled_from(["<", "<=", ">", ">=", "=", "!="]))
    threshold = draw(LARGE)
    text = (f"facts\n  big.x : integer {x[0]}..{x[1]}\n  big.y : integer {y[0]}..{y[1]}\n\n"
            f"define weighed = {left}\n\n"
            f'provision p "P"\n{HEADER}  if weighed {comparator} {right}\n'
            "  then require report\n\n"
            f'provision q "Q"\n{HEADER}  if big.x * 2 > {threshold} or weighed > big.y\n'
            "  then require support\n")
    return text, x, y


def _values(bounds: tuple[int, int]) -> st.SearchStrategy[int | None]:
    low, high = bounds
    return st.one_of(st.none(), st.sampled_from([low, high]), st.integers(low, high))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(rule_set=rule_sets(), data=st.data())
def test_batch_equals_interpreter_with_large_constants(
        rule_set: tuple[str, tuple[int, int], tuple[int, int]], data: Any) -> None:
    text, x_range, y_range = rule_set
    try:
        ruleset = rules.check({"vocabulary.law": VOCABULARY, "big.law": text})
    except rules.RuleSetError as error:
        codes = {d.code for d in error.diagnostics}
        assert codes == {"integer_overflow"}, error.render()
        return
    cases = [{"offence": {"date": "2024-07-01"},
              "big": {k: v for k, v in (("x", data.draw(_values(x_range))),
                                        ("y", data.draw(_values(y_range)))) if v is not None}}
             for _ in range(6)]
    plan = compile_batch(ruleset)
    for case, row in zip(cases, decide_cases(ruleset, cases, plan=plan), strict=True):
        decision = ruleset.evaluate(case)
        assert "reason" not in row, (text, case, row)
        assert (row["report"], row["support"]) == (decision.state("report"),
                                                   decision.state("support")), (text, case)


def test_the_reported_overflow_is_real() -> None:
    """The finding itself: accepted before, now refused; eval and batch disagreed on it."""
    text = (f'provision p "P"\n{HEADER}  if victim.age * 4611686018427387904 > 1\n'
            "  then require report\n")
    try:
        rules.check({"vocabulary.law": VOCABULARY, "p.law": text})
    except rules.RuleSetError as error:
        [diagnostic] = error.diagnostics
        assert diagnostic.code == "integer_overflow"
    else:
        raise AssertionError("accepted")
    # the witness: age 2 gives 2**63, one beyond 64 bits
    assert 2 * 4611686018427387904 > INT64_MAX


# ---- one value grammar ------------------------------------------------------------------------

# The fixture's rules with one more provision that reads `place.district`: every engine types
# and checks only the facts the rules read (`DecisionPlan.facts_read`), so each fact tested here
# must be read.
SEMANTIC_RULES = rules.check({
    **{p.name: p.read_text(encoding="utf-8") for p in sorted(SEMANTICS.glob("*.law"))},
    "20_district.law": "provision reads_district \"reads the district\"\n"
                       "  source CC article 90\n  confidence confirmed\n"
                       "  in force from 2015-01-01\n  if place.district = \"x\"\n"
                       "  then require report\n"})
PLAN = compile_batch(SEMANTIC_RULES)
FACTS = {"integer": "flags.n", "boolean": "flags.a", "date": "offence.date",
         "enum": "place.region", "text": "place.district"}

TEXTS = st.one_of(
    st.sampled_from(["true", "false", "TRUE", "True", " true", "1", "0", "yes", "10", " 10",
                     "10 ", "+10", "-0", "010", "10.0", "1e1", "٣", "2024-07-01", "20240701",
                     "2024-7-1", "2024-02-30", "2024-07-01T00:00", " 2024-07-01", "astana",
                     "Astana", "astana ", "", " ", "99999999999999999999",
                     "9223372036854775807", "-9223372036854775808", "NaN", "inf"]),
    st.text(alphabet="0123456789-+ .eETtrufalsn:", max_size=12),
)
JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), TEXTS,
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([10.0, -0.0, 100.0, 1e18, 9.3e18, 50.5, float("nan")]),
    st.lists(st.integers(0, 3), max_size=2),
)


def _interpreter(kind: str, value: Any) -> tuple[bool, Any]:
    group, name = FACTS[kind].split(".")
    try:
        decision = SEMANTIC_RULES.evaluate({group: {name: value}})
    except rules.CaseError:
        return False, None
    return True, decision.case.get(group, {}).get(name)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _batch_value(kind: str, frame: pl.DataFrame) -> tuple[bool, Any]:
    """Whether the batch back end accepts a one-row frame, and the typed value it reads."""
    checked = PLAN.validate(frame.with_row_index("row").lazy()).collect()
    if checked.item(0, "__reason"):
        return False, None
    return True, _plain(checked.item(0, FACTS[kind]))


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(list(FACTS)), value=JSON_VALUES)
def test_json_values_one_grammar(kind: str, value: Any) -> None:
    """A JSON value: the case model and the batch JSON reader accept the same, read the same."""
    if isinstance(value, float) and math.isnan(value) and kind == "text":
        value = "nan"
    accepted, stated = _interpreter(kind, value)
    from rules.cases.read import rows_frame, typed_row

    kinds = {p: f.type.kind for p, f in SEMANTIC_RULES.facts.items()}
    group, name = FACTS[kind].split(".")
    frame = rows_frame([typed_row({group: {name: value}}, kinds)], kinds)
    ok, read = _batch_value(kind, frame)
    assert ok == accepted, (kind, value)
    if ok and value is not None:
        assert read == stated, (kind, value, read, stated)


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(list(FACTS)), text=TEXTS)
def test_text_cells_one_grammar(kind: str, text: str) -> None:
    """A CSV cell: the interpreter engine's reading (`rules diff --cases --engine
    interpreter`) and the batch text grammar agree."""
    from rules.batch.interpreter_engine import _cell

    column = FACTS[kind]
    if text == "":
        return      # an empty cell is an unknown fact in both (tested in test_bad_inputs)
    try:
        accepted, stated = _interpreter(kind, _cell(SEMANTIC_RULES.facts[column], text))
    except ValueError:
        accepted, stated = False, None
    ok, read = _batch_value(kind, pl.DataFrame({column: [text]}, schema={column: pl.String}))
    assert ok == accepted, (kind, text)
    if ok:
        assert read == stated, (kind, text, read, stated)


def test_evaluate_frame_reads_typed_columns_like_json() -> None:
    """Parquet-typed columns: uint64 beyond int64, NaN and a whole float, as the model does."""
    frame = pl.DataFrame({"flags.n": pl.Series([10, 2**64 - 1], dtype=pl.UInt64)})
    results, rejects = evaluate_frame(PLAN, frame)
    assert results.height == 1 and rejects.height == 1
    frame = pl.DataFrame({"flags.n": [float("nan"), 10.0, 10.5]})
    results, rejects = evaluate_frame(PLAN, frame)
    assert results.height == 1 and rejects["reason"].to_list() == [
        "flags.n: expected an integer, got NaN", "flags.n: expected an integer, got 10.5"]
    assert _interpreter("integer", 10.0) == (True, 10)
    assert _interpreter("integer", float("nan"))[0] is False
