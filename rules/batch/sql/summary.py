"""The summary of a run as one SQL aggregation: rows evaluated, and per action and conclusion
how many rows have each status (`rules.batch.run.BatchSummary`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rules.batch.sql.dialects import to_sql
from rules.batch.sql.lower import col, number, text, when
from rules.semantics.combine import ACTION_STATUSES, CONCLUSION_STATUSES

if TYPE_CHECKING:
    from rules.language.ruleset import RuleSet


def summary_query(ruleset: RuleSet, results_sql: str, dialect: str) -> tuple[list[str], str]:
    """(the key of each output column, the query) counting over the rows of `results_sql`.

    Keys are `__evaluated`, then `<name>\\0<status>` as `BatchSummary.add` takes them.
    """
    from sqlglot import exp

    keys = ["__evaluated"]
    columns: list[exp.Expression] = [exp.Count(this=exp.Star())]
    for name in ruleset.actions:
        for status in ACTION_STATUSES:
            keys.append(f"{name}\0{status}")
            columns.append(_count_of(name, status))
    for name in ruleset.conclusions:
        for status in CONCLUSION_STATUSES:
            keys.append(f"{name}.status\0{status}")
            columns.append(_count_of(f"{name}.status", status))
    select = exp.select(*(c.as_(f"c{i}") for i, c in enumerate(columns))) \
        .from_(exp.Subquery(this=exp.maybe_parse("SELECT 1"), alias="__results"))
    sql = to_sql(select, dialect).replace("(SELECT 1)", f"({results_sql})", 1)
    return keys, sql


def _count_of(column: str, status: str) -> Any:
    from sqlglot import exp

    return exp.Sum(this=when([(exp.EQ(this=col(column), expression=text(status)), number(1))],
                             number(0)))


def count_columns(keys: Sequence[str], row: Sequence[Any]) -> dict[str, int]:
    """The query's one row as `{key: count}` (a sum over no rows is `NULL`: 0)."""
    return {key: int(value or 0) for key, value in zip(keys, row, strict=True)}


__all__ = ["count_columns", "summary_query"]
