"""The reference engine: every row decided case by case by the interpreter (`RuleSet.evaluate`).

A row of a case table becomes a nested case (`rules.cases.convert.nest`); text cells of boolean
and integer facts (a CSV gives only text) are read as the columnar engines read them, with the
same reasons when they cannot be, and a fact no rule reads is left out, as every engine leaves it
unchecked (`DecisionPlan.facts_read`). The decision is then put in the batch result columns
(`result_row`), so this engine can stand in for any other, slowly, and every other can be
tested against it. A row the case model rejects is rejected with the interpreter's reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rules.batch.engine import Engine
from rules.batch.exprs import ROW
from rules.cases.convert import nest
from rules.cases.read import PARSE_ERROR
from rules.language.source import CaseError

if TYPE_CHECKING:
    import polars as pl

    from rules.language.ruleset import Fact, RuleSet
    from rules.results import Decision

class InterpreterEngine(Engine):
    """Case by case, with the reference interpreter."""

    name = "interpreter"

    def decide(self, frame: pl.DataFrame, keep: Sequence[str] = (), provisions: bool = True,
               offset: int = 0, statuses_only: bool = False
               ) -> tuple[pl.DataFrame, pl.DataFrame]:
        import polars as pl

        keep_schema = {k: frame.schema[k] for k in keep}
        schema = self.result_schema(keep_schema, provisions, statuses_only)
        results: list[dict[str, Any]] = []
        rejects: list[dict[str, Any]] = []
        for number, row in enumerate(frame.iter_rows(named=True), offset):
            kept = {k: row[k] for k in keep}
            case, problems = self.case_of(row, keep)
            if not problems:
                try:
                    decision = self.ruleset.evaluate(case, as_of=self.as_of,
                                                     presumptions=self.presumptions)
                except CaseError as error:
                    problems = [str(error)]
            if problems:
                rejects.append({ROW: number, **kept, "reason": "; ".join(problems)})
                continue
            out = result_row(decision, self.ruleset, provisions)
            results.append({ROW: number, **kept, **{k: out.get(k) for k in schema
                                                   if k != ROW and k not in kept}})
        typed = pl.DataFrame(results, schema=schema, orient="row") if results else \
            pl.DataFrame(schema=schema)
        reject_schema = {ROW: pl.UInt32(), **keep_schema, "reason": pl.String()}
        rejected = pl.DataFrame(rejects, schema=reject_schema, orient="row") if rejects else \
            pl.DataFrame(schema=reject_schema)
        return typed, rejected

    def case_of(self, row: dict[str, Any], keep: Sequence[str]) -> tuple[dict[str, Any],
                                                                          list[str]]:
        """A table row as a nested case, and the problems of cells that cannot be read."""
        if row.get(PARSE_ERROR) is not None:
            return {}, [str(row[PARSE_ERROR])]
        facts = self.ruleset.facts
        read = self.plan.decider.plan.facts_read
        flat: dict[str, Any] = {}
        problems: list[str] = []
        for column, value in row.items():
            if value is None or column in keep or column in (ROW, PARSE_ERROR):
                continue
            fact = facts.get(column)
            if fact is None:
                flat[column] = value        # the case model rejects it: an unknown field
                continue
            if column not in read:
                continue                    # decides nothing: not checked (every engine alike)
            try:
                flat[column] = _cell(fact, value)
            except ValueError as error:
                problems.append(f"{column}: {error}")
        return nest(flat), problems


def _cell(fact: Fact, value: Any) -> Any:
    """A table cell as the case model takes it, read by the one value grammar
    (`rules.cases.values`, docs/INPUT.md) exactly as the columnar engines read it: text cells
    by the text grammar (a CSV gives only text), numbers within 64 bits, NaN and Infinity
    refused."""
    from rules.cases.values import date_from_text, from_json, from_text

    kind = fact.type.kind
    if isinstance(value, str) and kind in ("boolean", "integer"):
        return from_text(kind, value)
    if isinstance(value, str) and kind == "date":
        date_from_text(value)
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and kind == "integer":
        return from_json(kind, value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def result_row(decision: Decision, ruleset: RuleSet, provisions: bool = True
               ) -> dict[str, Any]:
    """A decision in the batch result columns: per action its status, arguments and deciding
    provisions; per conclusion its value(s), status and deciding provisions. Statuses come from
    `Decision.states` (the one reduction of a decision to per-item states; it asks no solver
    for the exact possibilities)."""
    keys = [*(("action", a) for a in ruleset.actions),
            *(("conclusion", c) for c in ruleset.conclusions)]
    states = dict(zip(keys, decision.states(keys), strict=True))
    row: dict[str, Any] = {}
    for name, action in ruleset.actions.items():
        row[name] = states[("action", name)]
        for param, _ in action.params:
            row[f"{name}.{param}"] = None
        row[f"{name}.provisions"] = None
    for outcome in decision.outcomes:
        if row[outcome.action] != outcome.modality:
            continue
        for param, value in outcome.args.items():
            row[f"{outcome.action}.{param}"] = _value(value, ruleset, outcome.action, param)
        if provisions:
            row[f"{outcome.action}.provisions"] = list(outcome.provisions)
    order = _provision_order(ruleset)
    for name, kind in ruleset.conclusions.items():
        concluded = sorted((c for c in decision.conclusions if c.name == name),
                           key=lambda c: _unit_index(ruleset, name, c.value, c.provisions))
        values = [_typed(c.value, kind.type.kind) for c in concluded]
        state = states[("conclusion", name)]
        if state in ("undetermined", "conflict"):
            row[f"{name}.status"] = state
        else:
            row[f"{name}.status"] = "determined" if values else "none"
        decided = bool(values) and (kind.many or row[f"{name}.status"] == "determined")
        row[name] = (values if kind.many else values[0]) if decided else None
        row[f"{name}.provisions"] = None
        if provisions and decided:   # in candidate order, as the columnar engines list them
            row[f"{name}.provisions"] = sorted({p for c in concluded for p in c.provisions},
                                               key=order.__getitem__)
    return row


def _unit_index(ruleset: RuleSet, name: str, value: Any, provisions: Sequence[str]) -> int:
    """Where a concluded value comes in the columnar engines' lists: the order of the plan's
    units (literal values first, by their first candidate; then computed values)."""
    from rules.language import core
    from rules.semantics.plan import plan_of

    plan = plan_of(ruleset)
    for index, unit in enumerate(plan.units[name]):
        if isinstance(unit.value, core.Lit):
            if unit.value.value == value:
                return index
        elif any(plan.candidates[n].pid in provisions for n in unit.candidates):
            return index
    return len(plan.units[name])


def _provision_order(ruleset: RuleSet) -> dict[str, int]:
    order: dict[str, int] = ruleset.derived(
        "provision_order", lambda r: {p.id: i for i, p in enumerate(r.provisions)})
    return order


def _value(value: Any, ruleset: RuleSet, action: str, param: str) -> Any:
    kind = dict(ruleset.actions[action].params)[param].kind
    return _typed(value, kind)


def _typed(value: Any, kind: str) -> Any:
    if kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


__all__ = ["InterpreterEngine", "result_row"]
