"""The batch back end: many cases decided at once, by any engine.

    engine = open_engine("polars", ruleset)          # or interpreter | duckdb | spark
    results, rejects = engine.decide(frame)           # in memory
    summary = engine.run(Path("cases.parquet"), Path("results.parquet"))   # files

Results have one row per valid case: `row` (the case's 0-based row number in the input), then per
action its status (`none` / `required` / `forbidden` / `permitted` / `conflict` /
`undetermined`), its arguments `<action>.<param>` and deciding provisions `<action>.provisions`;
per conclusion its value (a list for `many` conclusions), `<name>.status` (`none` / `determined` /
`undetermined` / `conflict`) and `<name>.provisions`. The interpreter (`RuleSet.evaluate`) is the
reference; every engine gives the same columns (`rules.batch.engines`). See docs/BATCH.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from rules.batch.engines import ENGINES, Engine, EngineUnavailable, open_engine
from rules.batch.exprs import CONCLUSION_STATUSES, MODALITIES, STATUSES
from rules.batch.polars_plan import BatchPlan, compile_batch
from rules.batch.run import (
    DEFAULT_CHUNK_ROWS,
    BatchError,
    BatchSummary,
    count_rows,
    evaluate_frame,
    run_batch,
)
from rules.cases.read import PARSE_ERROR, fact_groups, rows_frame, typed_row
from rules.language.ruleset import RuleSet

__all__ = ["CONCLUSION_STATUSES", "DEFAULT_CHUNK_ROWS", "ENGINES", "MODALITIES", "STATUSES",
           "BatchError", "BatchPlan", "BatchSummary", "Engine", "EngineUnavailable",
           "compile_batch", "count_rows", "decide_cases", "evaluate_frame", "open_engine",
           "run_batch", "typed_frame"]


def decide_cases(ruleset: RuleSet, cases: Iterable[dict[str, Any]],
                 as_of: dt.date | str | None = None, provisions: bool = True,
                 plan: BatchPlan | None = None) -> list[dict[str, Any]]:
    """Decide many case dicts (nested or dotted) at once; one result dict per case, in order.

    A rejected case gives `{"row": i, "reason": "..."}` instead of result columns. This is the
    entry point for corpus-wide evaluation (amendment diffs, scenario sweeps).
    """
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


def typed_frame(plan: BatchPlan, data: dict[str, list[Any]], height: int) -> Any:
    """A frame from columns of Python values (JSON values, or dates), each fact's value read
    by the one value grammar (`rules.cases.values.from_json`) as `decide_cases` reads it; a
    value it does not read is a `__parse_error` that the plan rejects with its reason."""
    kinds = {path: fact.type.kind for path, fact in plan.ruleset.facts.items()}
    groups = fact_groups(kinds)
    rows = [typed_row({name: values[i] for name, values in data.items()
                      if values[i] is not None}, kinds, groups)
            for i in range(height)]
    return rows_frame(rows, kinds)
