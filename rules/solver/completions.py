"""Exactly what an undetermined item can still become, each with an example completion.

The decision says an item is undetermined when the provisions' conditions do not settle it from
the known facts (`rules.semantics.combine.settle`, which treats the uncertain candidates as
independent, so its list of possible outcomes can be too long: a 15-year-old's liability
"required, forbidden, none or conflict" where only two are reachable). Here z3 answers, for
each state the item could take, whether some completion of the case reaches it: the known facts
fixed (stated, derived, inferred, and the presumed ones unless strict), the others free within
their declared domains and the rule set's consistency (inferences, constraints). Each reachable
state comes with an example: the fewest added facts under which the evaluator settles the item
in that state (confirmed by the evaluator, never only by the solver).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rules.cases.convert import nest
from rules.language.ruleset import RuleSet
from rules.results import Undetermined
from rules.solver.analysis import (
    CODE_MODALITY,
    DateTerm,
    Encoder,
    Model,
    minimise,
    new_solver,
    safe_evaluate,
)

ACTION_STATES = ("required", "forbidden", "permitted", "none", "conflict")
AVAILABILITY = {"required": "available", "permitted": "available", "forbidden": "not available",
                "none": "not available", "conflict": "conflict"}


@dataclass
class Completions:
    """The completion search of one rule set. Each case gets a fresh encoding and solver, so
    the same case always gets the same examples (z3 is deterministic from a fresh start; a
    solver reused across cases would carry what it learnt from the others)."""

    ruleset: RuleSet
    timeout_ms: int = 5_000
    encoder: Encoder = field(init=False)
    solver: Any = field(init=False)

    def _start(self, as_of: dt.date | None) -> Model:
        self.encoder = Encoder(self.ruleset.facts.values())
        model = Model(self.encoder, self.ruleset, as_of)
        self.solver = new_solver(self.encoder, self.encoder.derivations(self.ruleset),
                                 self.timeout_ms)
        return model

    def refine_all(self, items: list[Undetermined], known: dict[str, Any],
                   case: dict[str, Any], as_of: dt.date | None,
                   strict: bool) -> list[Undetermined]:
        """`refine` every item of one case, with one fresh encoding in a z3 context of its own."""
        with _own_z3_context():
            model = self._start(as_of)
            return [self._refine(item, model, known, case, as_of, strict) for item in items]

    def _fixed(self, known: dict[str, Any]) -> list[Any]:
        """The known facts as constraints (and, for facts whose statement is tested, stated)."""
        z3 = self.encoder.z3
        terms = []
        for path, value in known.items():
            fact = self.ruleset.facts.get(path)
            if fact is None:
                continue
            var = self.encoder.vars[path]
            if isinstance(var, DateTerm):
                terms += [var.y == value.year, var.m == value.month, var.d == value.day]
            else:
                terms.append(var == self.encoder.z3_value(fact, value))
            if path in self.encoder.stated:
                terms.append(self.encoder.stated[path])
        del z3
        return terms

    def _targets(self, item: Undetermined, model: Model) -> list[tuple[str, Any]]:
        """(state, z3 condition) for every state the item could take."""
        z3 = self.encoder.z3
        if item.action is not None:
            state = model.action_state(item.action)
            codes = {v: k for k, v in CODE_MODALITY.items()}
            return [(s, state == codes[s]) for s in ACTION_STATES]
        name = item.conclusion or ""
        if self.ruleset.conclusions[name].many:
            concluded = model.concluded(name, item.value)
            return [(str(item.value), concluded), ("none", z3.Not(concluded))]
        values = model.conclusion_values(name)
        state = model.conclusion_state(name, values)
        return ([(str(v), state == i) for i, v in enumerate(values)]
                + [("none", state == -1), ("conflict", state == -2)])

    def _refine(self, item: Undetermined, model: Model, known: dict[str, Any],
                case: dict[str, Any], as_of: dt.date | None, strict: bool) -> Undetermined:
        """The item with its exact possibilities, an example for each, and their meaning."""
        fixed = self._fixed(known)
        possible: list[str] = []
        examples: dict[str, dict[str, Any]] = {}
        for state, condition in self._targets(item, model):
            self.solver.push()
            self.solver.add(*fixed, condition)
            status = str(self.solver.check())
            found = self.solver.model() if status == "sat" else None
            self.solver.pop()
            if status == "unknown":
                possible.append(state)   # not excluded: the solver did not answer in time
                continue
            if found is None:
                continue
            possible.append(state)
            example = self._example(item, state, found, known, case, as_of, strict)
            if example is not None:
                examples[state] = example
        meaning = _meaning(item, possible)
        return item.model_copy(update={"possible": possible, "examples": examples,
                                       "meaning": meaning, "exact": True})

    def _example(self, item: Undetermined, state: str, found: Any, known: dict[str, Any],
                 case: dict[str, Any], as_of: dt.date | None,
                 strict: bool) -> dict[str, Any] | None:
        """The fewest facts to add to the case for the evaluator to settle the item in `state`
        (the solver's completion, minimised; None if the evaluator does not confirm it)."""
        flat = _flatten(case)
        witness = self.encoder.witness(found, self.ruleset.facts)
        added = {p: v for p, v in witness.items()
                 if p not in known and p not in flat and self.ruleset.facts[p].derivation is None}

        def holds(extra: dict[str, Any]) -> bool:
            trial = {**flat, **{p: _json(v) for p, v in extra.items()}}
            decision = safe_evaluate_mode(self.ruleset, nest(trial), as_of, strict)
            return decision is not None and _state(decision, item) == state

        # most often the facts the item needs suffice: start from them (a derived fact through
        # the facts it is computed from), else from the whole completion
        wanted = set(item.needs)
        for path in item.needs:
            fact = self.ruleset.facts.get(path)
            if fact is not None and fact.derivation is not None:
                wanted |= self.ruleset.facts_read(fact.derivation)
        few = {p: v for p, v in added.items() if p in wanted}
        start = few if few and holds(few) else added
        if start is added and not holds(added):
            return None
        return {p: _json(v) for p, v in minimise(start, holds).items()}


@contextmanager
def _own_z3_context() -> Iterator[None]:
    """Build and solve in a new z3 context, then give the default one back: the same case then
    gets the same examples whatever was solved before in this process (a context keeps terms
    and caches that steer the search), and nothing built here mixes with other analyses."""
    import z3  # type: ignore[import-untyped]

    previous = z3.z3._main_ctx
    z3.z3._main_ctx = z3.Context()
    try:
        yield
    finally:
        z3.z3._main_ctx = previous


def safe_evaluate_mode(ruleset: RuleSet, case: dict[str, Any], as_of: dt.date | None,
                       strict: bool) -> Any:
    if not strict:
        return safe_evaluate(ruleset, case, as_of)
    from rules.language.source import CaseError

    try:
        return ruleset.evaluate(case, as_of=as_of, presumptions=False)
    except CaseError:
        return None


def _state(decision: Any, item: Undetermined) -> str:
    if item.action is not None:
        state: str = decision.state(item.action)
        return state
    name = item.conclusion or ""
    if item.value is not None:
        shown: str = decision.conclusion_state(name, item.value)
        return str(item.value) if shown == "concluded" else (
            "none" if shown == "absent" else shown)
    return str(decision.conclusion_state(name))


def _meaning(item: Undetermined, possible: list[str]) -> str | None:
    """What every possibility means alike, if they do: one state, or (for an action) available
    or not available whichever it is ("forbidden" and "no legal basis" alike)."""
    if len(possible) == 1:
        return possible[0]
    if item.action is not None and possible:
        meanings = {AVAILABILITY[s] for s in possible}
        if len(meanings) == 1 and "conflict" not in meanings:
            return meanings.pop()
    return None


def _flatten(case: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in case.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def completions_of(ruleset: RuleSet) -> Completions:
    """The rule set's completion search, built once."""
    found: Completions = ruleset.derived("completions", Completions)
    return found
