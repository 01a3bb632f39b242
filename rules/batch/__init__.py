"""The batch back end: a rule set compiled to one polars lazy plan, run over tables of cases.

    plan = compile_batch(ruleset)                   # rules/batch_compile.py
    results, rejects = evaluate_frame(plan, frame)  # in memory
    summary = run_batch(plan, Path("cases.parquet"), Path("results.parquet"))  # chunked files

Results have one row per valid case: `row` (the case's 0-based row number in the input), then per
action its status (`none` / `required` / `forbidden` / `permitted` / `conflict` /
`undetermined`), its arguments `<action>.<param>` and deciding provisions `<action>.provisions`;
per conclusion its value (a list for `many` conclusions), `<name>.status` (`none` / `determined` /
`undetermined` / `conflict`) and `<name>.provisions`. The interpreter (`RuleSet.evaluate`) is the
reference; `expected_row` maps one of its decisions to the same columns, for differential tests.
See docs/BATCH.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from rules.batch.exprs import CONCLUSION_STATUSES, MODALITIES, STATUSES
from rules.batch.polars_plan import BatchPlan, compile_batch
from rules.batch.run import (
    DEFAULT_CHUNK_ROWS,
    BatchError,
    BatchSummary,
    count_rows,
    evaluate_frame,
    read_chunks,
    run_batch,
)
from rules.language.ruleset import RuleSet
from rules.results import Decision

__all__ = ["CONCLUSION_STATUSES", "DEFAULT_CHUNK_ROWS", "MODALITIES", "STATUSES", "BatchError",
           "BatchPlan", "BatchSummary", "compile_batch", "corpus_states", "count_rows",
           "decide_cases", "evaluate_frame", "expected_row", "flatten_case", "read_chunks",
           "run_batch"]


def flatten_case(case: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested case (`{"victim": {"age": 10}}`) as dotted columns (`{"victim.age": 10}`)."""
    out: dict[str, Any] = {}
    for key, value in case.items():
        if isinstance(value, dict):
            out.update(flatten_case(value, prefix + key + "."))
        else:
            out[prefix + key] = value
    return out


def decide_cases(ruleset: RuleSet, cases: Iterable[dict[str, Any]],
                 as_of: dt.date | str | None = None, provisions: bool = True,
                 plan: BatchPlan | None = None) -> list[dict[str, Any]]:
    """Decide many case dicts (nested or dotted) at once; one result dict per case, in order.

    A rejected case gives `{"row": i, "reason": "..."}` instead of result columns. This is the
    entry point for corpus-wide evaluation (amendment diffs, scenario sweeps).
    """
    from rules.batch.exprs import PARSE_ERROR
    from rules.batch.run import fact_groups, rows_frame, typed_row

    plan = plan or compile_batch(ruleset, as_of)
    kinds = {path: fact.type.kind for path, fact in ruleset.facts.items()}
    groups = fact_groups(kinds)
    rows = [typed_row(c, kinds, groups) if isinstance(c, dict) else
            {PARSE_ERROR: f"a case is a JSON object, not {type(c).__name__}"}
            for c in cases]
    frame = rows_frame(rows, kinds)
    results, rejects = evaluate_frame(plan, frame, provisions=provisions)
    out: list[dict[str, Any]] = [{} for _ in rows]
    for row in results.iter_rows(named=True):
        out[row["row"]] = row
    for row in rejects.iter_rows(named=True):
        out[row["row"]] = row
    return out


def expected_row(decision: Decision, plan: BatchPlan) -> dict[str, Any]:
    """The interpreter's decision in the batch result columns (statuses, args, conclusions)."""
    row: dict[str, Any] = {}
    ruleset = plan.ruleset
    for name, action in ruleset.actions.items():
        row[name] = "none"
        for param, _ in action.params:
            row[f"{name}.{param}"] = None
    for name in ruleset.conclusions:
        row[name] = None
        row[f"{name}.status"] = "none"
    for outcome in decision.outcomes:
        row[outcome.action] = outcome.modality
        for param, value in outcome.args.items():
            row[f"{outcome.action}.{param}"] = value
    for conflict in decision.conflicts:
        if conflict.action:
            row[conflict.action] = "conflict"
        elif conflict.conclusion:
            row[f"{conflict.conclusion}.status"] = "conflict"
    for u in decision.open_items():
        if u.action:
            row[u.action] = "undetermined"
        elif u.conclusion:
            row[f"{u.conclusion}.status"] = "undetermined"
    for name, kind in ruleset.conclusions.items():
        values = [v for v in decision.conclusion_values(name)]
        if kind.many:
            row[name] = sorted(str(v) for v in values) if values else None
            if values and row[f"{name}.status"] == "none":
                row[f"{name}.status"] = "determined"
        elif values:
            row[name] = values[0]
            row[f"{name}.status"] = "determined"
    return row


def batch_row(result: dict[str, Any], plan: BatchPlan) -> dict[str, Any]:
    """A batch result row in the form of `expected_row` (lists sorted, dates as ISO text)."""
    row: dict[str, Any] = {}
    for name, action in plan.ruleset.actions.items():
        row[name] = result[name]
        for param, _ in action.params:
            row[f"{name}.{param}"] = _json(result[f"{name}.{param}"])
    for name, kind in plan.ruleset.conclusions.items():
        value = result[name]
        if kind.many:
            row[name] = sorted(str(v) for v in value) if value else None
        else:
            row[name] = _json(value)
        row[f"{name}.status"] = result[f"{name}.status"]
    return row


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def corpus_states(rulesets: list[RuleSet], cases: Iterable[dict[str, Any]],
                  keys: list[tuple[str, str]], as_of: dt.date | None = None,
                  chunk: int = 100_000) -> Iterator[list[tuple[str, ...] | str]]:
    """`corpus.evaluate_corpus` on the batch back end: per case, its states under each rule set.

    A state is an action's status, a single-valued conclusion's value (as text) or its status
    (`none` / `undetermined` / `conflict`); a rejected case gives its reason instead.
    """
    plans = [compile_batch(r, as_of) for r in rulesets]
    batch: list[dict[str, Any]] = []

    def flush() -> Iterator[list[tuple[str, ...] | str]]:
        decided = [decide_cases(r, batch, provisions=False, plan=p)
                   for r, p in zip(rulesets, plans, strict=True)]
        for i in range(len(batch)):
            yield [_states(rows[i], keys) for rows in decided]

    for case in cases:
        batch.append(case)
        if len(batch) >= chunk:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def _states(row: dict[str, Any], keys: list[tuple[str, str]]) -> tuple[str, ...] | str:
    if "reason" in row:
        return str(row["reason"])
    out = []
    for kind, name in keys:
        if kind == "action":
            out.append(str(row[name]))
        else:
            status = row[f"{name}.status"]
            out.append(str(row[name]) if status == "determined" else str(status))
    return tuple(out)
