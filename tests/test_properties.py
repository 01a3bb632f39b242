"""Property tests (hypothesis).

* Robustness: the parser and the checker raise nothing but `rules.RulesError` subclasses on any
  text (random, token soup, or mutated real provision files); the case loader raises nothing but
  `CaseError` on any JSON-like value.
* Soundness (docs/LANGUAGE.md, "Combining"): an outcome reported as determined is the same for
  every value of the unknown facts. We generate complete cases over the bundled bill's facts,
  drop a random subset, and check that every determined outcome and conclusion of the partial
  decision is identical in the full decision and in other random completions of the dropped
  facts; and that dropping a fact never makes a determined outcome appear that the full case
  does not have.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rules

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(max_examples=60, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

BILL = rules.load()
BILL_FILES = {str(p): p.read_text(encoding="utf-8")
              for p in sorted(Path(rules.bundled_path()).glob("*.law"))}
VOCABULARY = {name: text for name, text in BILL_FILES.items()
              if Path(name).name.startswith(("00_", "05_"))}
PROVISION_FILES = sorted(name for name in BILL_FILES if name not in VOCABULARY)


# ---- robustness of the front end --------------------------------------------------------

TOKENS = ["act", "enum", "facts", "define", "action", "conclusion", "governing", "date",
          "provision", "amendment", "source", "confidence", "quote", "in", "force", "from",
          "until", "worsens", "improves", "position", "overrides", "if", "unless", "then",
          "require", "forbid", "permit", "conclude", "and", "or", "not", "is", "known",
          "unknown", "list", "of", "boolean", "integer", "text", "true", "false", "article",
          "part", "item", "note", "add", "repeal", "replace", "with", "amend", "condition",
          "outcomes", "period", "CC", "p", "q", "victim.age", "offence.date", "offence.kind",
          "battery", "minor_victim", "report", "years_between", "2024-06-16", "2024-02-30",
          "2024-13-01", "0000-00-00", "9999-99-99", "18", "0", "108-1", '"text"', '"', "=", "!=",
          "<", "<=", ">", ">=", "+", "-", "*", "(", ")", "{", "}", ",", ":", "|", "..", "#",
          "\n", " ", "\t", "@", "\\", "é", "\x00"]

token_soup = st.lists(st.sampled_from(TOKENS), max_size=60).map(" ".join)


def front_end(text: str) -> None:
    """Parse and check a text; anything but a RulesError escapes and fails the test."""
    try:
        rules.parse(text, "fuzz.law")
    except rules.RulesError:
        pass
    try:
        rules.check({"fuzz.law": text})
    except rules.RulesError:
        pass


@SETTINGS
@given(st.text(max_size=400))
def test_arbitrary_text_only_raises_rules_errors(text):
    front_end(text)


@SETTINGS
@given(token_soup)
def test_token_soup_only_raises_rules_errors(text):
    front_end(text)


@FEW
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join), st.data())
def test_tokens_inside_a_valid_file_only_raise_rules_errors(insert, data):
    name = data.draw(st.sampled_from(PROVISION_FILES))
    text = BILL_FILES[name]
    at = data.draw(st.integers(0, len(text)))
    front_end(text[:at] + insert + text[at:])


@st.composite
def mutated_provision_file(draw) -> tuple[str, str]:
    name = draw(st.sampled_from(PROVISION_FILES))
    text = BILL_FILES[name]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "duplicate", "insert", "swap_lines", "replace"]))
        if not text:
            break
        a = draw(st.integers(0, len(text) - 1))
        b = min(len(text), a + draw(st.integers(0, 80)))
        if kind == "delete":
            text = text[:a] + text[b:]
        elif kind == "duplicate":
            text = text[:b] + text[a:b] + text[b:]
        elif kind == "insert":
            text = text[:a] + draw(st.sampled_from(TOKENS)) + text[a:]
        elif kind == "replace":
            text = text[:a] + draw(st.text(max_size=5)) + text[b:]
        else:
            lines = text.splitlines(keepends=True)
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
    return name, text


@FEW
@given(mutated_provision_file())
def test_mutated_provision_files_only_raise_rules_errors(mutated):
    name, text = mutated
    try:
        rules.parse(text, name)
    except rules.RulesError:
        pass
    try:
        rules.check({**VOCABULARY, name: text})
    except rules.RuleSetError as error:
        for diagnostic in error.diagnostics:
            assert diagnostic.span.file in {name, *VOCABULARY, "<builtin>"}
            diagnostic.render(error.sources)  # rendering never fails either


def test_unmutated_bill_checks():
    rules.check(BILL_FILES)


# ---- robustness of the case loader --------------------------------------------------------

GROUPS = sorted({path.split(".")[0] for path in BILL.facts})
LEAVES = sorted({path.split(".")[1] for path in BILL.facts})
KEYS = st.one_of(st.sampled_from(GROUPS + LEAVES), st.text(max_size=8))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True), st.text(max_size=12),
                    st.sampled_from(["2024-06-16", "2024-02-30", "battery", "astana", "1e9"]),
                    st.integers(min_value=2**63, max_value=2**70))
json_like = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)), max_leaves=20)


@st.composite
def case_shaped(draw) -> dict:
    """Dicts shaped like cases: real groups and leaves, any values."""
    case: dict[str, Any] = {}
    for group in draw(st.lists(st.sampled_from(GROUPS), max_size=4, unique=True)):
        case[group] = draw(st.one_of(json_like, st.dictionaries(
            st.sampled_from(LEAVES), json_like, max_size=5)))
    return case


def load_case(case: Any) -> None:
    try:
        BILL.evaluate(case)
    except rules.CaseError as error:
        assert error.problems
        for path, reason in error.problems:
            assert isinstance(path, str) and isinstance(reason, str)


@SETTINGS
@given(json_like)
def test_case_loader_only_raises_case_errors(case):
    load_case(case)


@SETTINGS
@given(case_shaped())
def test_case_shaped_input_only_raises_case_errors(case):
    load_case(case)
    try:
        text = json.dumps(case)
    except ValueError:
        return
    load_case(text)


@SETTINGS
@given(st.text(max_size=60))
def test_case_text_only_raises_case_errors(text):
    load_case(text)


# ---- soundness ----------------------------------------------------------------------------
#
# Soundness (docs/LANGUAGE.md): what is reported as determined holds for every completion of the
# facts the case leaves out that is consistent (no inference or constraint broken) and, with
# presumptions on, agrees with the presumptions the decision applied (a completion establishing
# the opposite of a presumed fact rebuts it: the decision never claimed to hold then). In strict
# mode every consistent completion counts. `is known` reads the case file only through
# inferences, so every fact may be dropped.

BASE_FACTS = {path: fact for path, fact in BILL.facts.items() if fact.derivation is None}
DROPPABLE = sorted(BASE_FACTS)
TEXTS = ["Yesil", "Medeu", "Almaly"]


def _dates(low: dt.date, high: dt.date) -> st.SearchStrategy[str]:
    return st.dates(low, high).map(dt.date.isoformat)


def value_strategy(path: str, fact) -> st.SearchStrategy[Any]:
    kind = fact.type.kind
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low = fact.low if fact.low is not None else -5
        high = fact.high if fact.high is not None else 200
        return st.integers(low, min(high, low + 200))
    if kind == "enum":
        return st.sampled_from(fact.type.values)
    if kind == "text":
        return st.sampled_from(TEXTS)
    if path.endswith("birth_date"):
        # before every possible offence date, so derived ages are always in range
        return _dates(dt.date(1990, 1, 1), dt.date(2014, 12, 31))
    low = max(fact.low or dt.date(2015, 1, 1), dt.date(2015, 1, 1))
    high = min(fact.high or dt.date(2030, 12, 31), dt.date(2030, 12, 31))
    return _dates(low, high)


STRATEGIES = {path: value_strategy(path, fact) for path, fact in BASE_FACTS.items()}


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    case: dict[str, Any] = {}
    for path, value in flat.items():
        group, leaf = path.split(".")
        case.setdefault(group, {})[leaf] = value
    return case


def consistent(ruleset: rules.RuleSet, flat: dict[str, Any]) -> dict[str, Any]:
    """A random case made consistent: facts named by a contradiction are left out, one at a
    time, until the rule set accepts the case."""
    flat = dict(flat)
    while True:
        try:
            ruleset.evaluate(nest(flat), presumptions=False)
            return flat
        except rules.CaseError as error:
            named = [p for p, _ in error.problems if p in flat]
            assert named, error
            # leave out a secondary fact first (a decision date before the act, a knowledge of
            # the age the victim did not have), so that the case keeps its date, kind and ages
            core = ("offence.date", "offence.kind", "victim.birth_date", "offender.birth_date")
            del flat[sorted(named, key=lambda p: p in core)[0]]


complete_cases = st.fixed_dictionaries(STRATEGIES).map(lambda f: consistent(BILL, f))


def determined(decision: rules.Decision) -> dict[tuple[str, str], Any]:
    """Everything the decision reports as determined: outcomes and conclusion values."""
    found: dict[tuple[str, str], Any] = {}
    for outcome in decision.outcomes:
        found[("action", outcome.action)] = (outcome.modality, outcome.args)
    for conclusion in decision.conclusions:
        found[("conclusion", f"{conclusion.name}={conclusion.value!r}")] = conclusion.value
    return found


def assert_sound(partial: rules.Decision, complete: rules.Decision, label: str,
                 ruleset: rules.RuleSet = BILL) -> None:
    have = determined(complete)
    for key, value in determined(partial).items():
        assert key in have, f"{label}: {key} is determined as {value} with facts missing, " \
                            f"but absent once they are known"
        assert have[key] == value, f"{label}: {key} is {value} with facts missing, " \
                                   f"but {have[key]} once they are known"
    # a single-valued conclusion settled in the partial case has no other value in the full one
    for conclusion in partial.conclusions:
        if not ruleset.conclusions[conclusion.name].many:
            assert complete.conclusion_values(conclusion.name) == [conclusion.value], label


def completions(ruleset: rules.RuleSet, partial_case: dict[str, Any], dropped: set[str],
                strategies: dict[str, Any], data: st.DataObject, partial: rules.Decision,
                strict: bool) -> list[tuple[str, rules.Decision]]:
    """Random completions of the dropped facts that are consistent and (with presumptions)
    agree with the presumptions the partial decision applied."""
    presumed = {path: partial.explanation.facts[path] for path in partial.explanation.presumed}
    found = []
    for i in range(3):
        filled = dict(partial_case)
        for path in sorted(dropped):
            filled[path] = presumed[path] if path in presumed else data.draw(
                strategies[path], label=f"completion {i}: {path}")
        try:
            decision = ruleset.evaluate(nest(filled), presumptions=not strict)
        except rules.CaseError:
            continue   # an inconsistent completion is not a case
        facts = decision.explanation.facts
        if all(facts.get(path) == value for path, value in presumed.items()):
            found.append((f"completion {i}", decision))
    return found


@SETTINGS
@given(complete_cases, st.sets(st.sampled_from(DROPPABLE), min_size=1), st.booleans(),
       st.data())
def test_soundness_of_determined_outcomes(full, dropped, strict, data):
    partial_case = {p: v for p, v in full.items() if p not in dropped}
    partial = BILL.evaluate(nest(partial_case), presumptions=not strict)
    for label, decision in completions(BILL, partial_case, dropped,
                                       STRATEGIES, data, partial, strict):
        assert_sound(partial, decision, label)


@SETTINGS
@given(complete_cases, st.sets(st.sampled_from(DROPPABLE), min_size=1, max_size=3))
def test_unknown_never_becomes_false(full, dropped):
    """In strict mode, dropping facts never adds a determined outcome, conclusion or conflict
    that the full case does not have: an unknown fact is never read as false."""
    partial = BILL.evaluate(nest({p: v for p, v in full.items() if p not in dropped}),
                            presumptions=False)
    complete = BILL.evaluate(nest(full), presumptions=False)
    extra = set(determined(partial)) - set(determined(complete))
    assert not extra, f"dropping {sorted(dropped)} made {sorted(extra)} appear"
    conflicts = {(c.action, c.conclusion) for c in complete.conflicts}
    for conflict in partial.conflicts:
        assert (conflict.action, conflict.conclusion) in conflicts, conflict.message


@SETTINGS
@given(complete_cases, st.sets(st.sampled_from(DROPPABLE), min_size=1, max_size=3))
def test_nothing_resting_on_a_presumption_is_plainly_settled(full, dropped):
    """Every outcome and conclusion that the strict decision leaves open but presumptions
    settle says which presumed facts it rests on; all others rest on none."""
    case = nest({p: v for p, v in full.items() if p not in dropped})
    strict = determined(BILL.evaluate(case, presumptions=False))
    decision = BILL.evaluate(case)
    for outcome in decision.outcomes:
        key = ("action", outcome.action)
        assert bool(outcome.presumed) == (strict.get(key) != (outcome.modality, outcome.args))
    for conclusion in decision.conclusions:
        key = ("conclusion", f"{conclusion.name}={conclusion.value!r}")
        assert bool(conclusion.presumed) == (key not in strict)
    used = {f for o in [*decision.outcomes, *decision.conclusions] for f in o.presumed}
    assert {p.fact for p in decision.presumed} == used


@SETTINGS
@given(complete_cases)
def test_complete_cases_are_fully_determined_and_deterministic(full):
    first = BILL.evaluate(nest(full))
    assert first.as_of == dt.date.fromisoformat(full["offence.date"])
    # no undetermined outcome can need a fact the case states
    for item in first.open_items():
        assert not set(item.needs) & set(full), item
    assert BILL.evaluate(json.dumps(nest(full))).model_dump_json() == first.model_dump_json()


@FEW
@given(complete_cases, st.sets(st.sampled_from(DROPPABLE), min_size=1))
def test_undetermined_outcomes_need_only_missing_facts(full, dropped):
    partial_case = {p: v for p, v in full.items() if p not in dropped}
    decision = BILL.evaluate(nest(partial_case))
    derived = {p for p, f in BILL.facts.items() if f.derivation is not None}
    missing = set(BILL.facts) - set(partial_case)
    for item in decision.open_items():
        assert item.needs, item
        for need in item.needs:
            assert need not in partial_case, (need, item)
            assert need in missing or need in derived, (need, item)
            assert need not in decision.explanation.presumed, (need, item)


def test_there_is_something_to_drop():
    assert len(DROPPABLE) >= 10
    assert "offence.date" in DROPPABLE


# The same soundness property on the fixture rule set, whose provisions exercise conflicts,
# single-valued conclusions, overrides, action arguments, in-force windows, an inference that
# reads whether a fact is stated, a presumption and a constraint on purpose.

FIXTURE = rules.load(Path(__file__).resolve().parent / "fixtures" / "semantics")
FIXTURE_BASE = {path: f for path, f in FIXTURE.facts.items() if f.derivation is None}
FIXTURE_DROPPABLE = sorted(FIXTURE_BASE)
FIXTURE_STRATEGIES = {path: value_strategy(path, f) for path, f in FIXTURE_BASE.items()}


@SETTINGS
@given(st.fixed_dictionaries(FIXTURE_STRATEGIES).map(lambda f: consistent(FIXTURE, f)),
       st.sets(st.sampled_from(FIXTURE_DROPPABLE), min_size=1), st.booleans(), st.data())
def test_soundness_on_the_fixture_rule_set(full, dropped, strict, data):
    partial_case = {p: v for p, v in full.items() if p not in dropped}
    partial = FIXTURE.evaluate(nest(partial_case), presumptions=not strict)
    for label, decision in completions(FIXTURE, partial_case, dropped, FIXTURE_STRATEGIES,
                                       data, partial, strict):
        assert_sound(partial, decision, label, FIXTURE)
