"""The interpreter's fast paths give exactly what the general paths give.

* A well-formed case dict is read field by field (`rules.cases.fast`) instead of through the
  pydantic model: on every input the fast reader accepts, the model gives the same stated case
  (same keys, same order) and the same facts.
* With every overrider of an outcome surely not applying, the evaluator takes the outcome's own
  status instead of asking `DecisionPlan.flags`: that is what `flags` gives then.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rules
from rules.semantics.plan import PythonBools

BILL = rules.load()
FACTS = {p: f for p, f in BILL.facts.items()}
GROUPS = sorted({p.split(".")[0] for p in FACTS})


def values(fact: Any) -> st.SearchStrategy[Any]:
    kind = fact.type.kind
    odd = st.one_of(st.none(), st.integers(-5, 200), st.text(max_size=6), st.booleans(),
                    st.floats(allow_nan=False), st.sampled_from(["2024-02-30", "20240701",
                                                                "01.07.2024", " astana"]))
    if kind == "enum":
        vocabulary = BILL.vocabulary
        spellings = [s for v in fact.type.values for s in vocabulary.spellings(fact.type, v)]
        good = st.sampled_from(sorted(set(spellings)))
    elif kind == "boolean":
        good = st.booleans()
    elif kind == "integer":
        good = st.integers(-2, 160)
    elif kind == "date":
        good = st.dates(dt.date(2010, 1, 1), dt.date(2030, 1, 1)).map(dt.date.isoformat)
    else:
        good = st.text(min_size=0, max_size=8)
    return st.one_of(good, good, odd)


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    case: dict[str, Any] = {}
    for path in draw(st.lists(st.sampled_from(sorted(FACTS)), max_size=12, unique=True)):
        group, leaf = path.split(".")
        case.setdefault(group, {})[leaf] = draw(values(FACTS[path]))
    if draw(st.booleans()):
        case[draw(st.sampled_from([*GROUPS, "stray"]))] = draw(st.one_of(
            st.none(), st.just({}), st.just({"nope": 1}), st.integers()))
    return case


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_fast_reader_agrees_with_the_model(case: dict[str, Any]) -> None:
    loader = BILL.evaluator.loader
    fast = loader.fast.read(case)
    if fast is None:
        return
    assert fast == loader._validated(case)
    assert list(fast[0]) == list(loader._validated(case)[0])


def test_the_fast_reader_accepts_the_common_case() -> None:
    case = {"offence": {"date": "2024-07-01", "kind": "battery"}, "victim": {"age": 10},
            "place": {"region": "Astana"}}
    assert BILL.evaluator.loader.fast.read(case) is not None


@given(st.lists(st.sampled_from([True, False, "u"]), min_size=8, max_size=8))
def test_flags_with_no_overrider_that_may_apply(statuses: list[Any]) -> None:
    plan = BILL.plan if hasattr(BILL, "plan") else None
    from rules.semantics.plan import plan_of

    plan = plan_of(BILL)
    bools = PythonBools()
    for cand in plan.candidates:
        if not cand.overriders:
            continue
        status = dict(enumerate(statuses))

        def own(j: int) -> Any:
            return status.get(j % len(statuses))

        def applies(j: int) -> bool:
            return j == cand.provision and own(j) is True

        def may(j: int) -> bool:
            return j == cand.provision and own(j) is not False

        present, certain = plan.flags(cand, bools, applies, may, lambda a, b: True)
        assert (present, certain) == (may(cand.provision), applies(cand.provision))
