"""The whole SQL query of a rule set over one input relation, emitted per dialect.

    plan = SqlPlan(ruleset, sources={"row": "integer", "victim.age": "text", ...})
    results_sql, rejects_sql = plan.results("cases", "duckdb"), plan.rejects("cases", "duckdb")

The query is a chain of common table expressions: the input (`row`, kept columns, raw facts) ->
typed facts and `__reason` -> derived facts -> valid rows -> definitions -> applicability ->
flags -> indices -> statuses -> the result columns (`rules.batch` documents them); the rejects
are the rows whose `__reason` is not empty, with `row`, kept columns and `reason`. Every stage
is row-wise, so the query partitions trivially (a file, a partition, a Spark task each).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from rules.batch.sql.decide import SqlDecider
from rules.batch.sql.dialects import to_sql
from rules.batch.sql.lower import col, text
from rules.batch.sql.validate import REASON, Validation
from rules.semantics.plan import plan_of

if TYPE_CHECKING:
    from sqlglot import exp

    from rules.language.ruleset import RuleSet

ROW = "row"


@dataclass
class SqlPlan:
    """A rule set planned as SQL over an input whose columns have the given source kinds."""

    ruleset: RuleSet
    sources: dict[str, str]                 # input column -> `validate.SOURCE_KINDS`
    as_of: dt.date | None = None
    keep: Sequence[str] = ()
    provisions: bool = True
    statuses_only: bool = False
    reserved: Sequence[str] = field(default=())
    presumptions: bool = True

    @cached_property
    def validation(self) -> Validation:
        return Validation(self.ruleset, self.sources, set(plan_of(self.ruleset).facts_read),
                          self.keep, (ROW, *self.reserved))

    @cached_property
    def _checked(self) -> tuple[list[tuple[str, exp.Select]], list[str]]:
        """The validation CTEs (name, select) and the columns of the last one."""
        from sqlglot import exp

        ctes: list[tuple[str, exp.Select]] = []
        typed = self.validation.typed_stage()
        ctes.append(("__typed", exp.select(*(e.as_(n, quoted=True) for n, e in typed))
                     .from_(exp.to_identifier("__input", quoted=True))))
        columns = [n for n, _ in typed]
        stages = [*self.validation.derived_stages(columns),
                  *self.validation.inference_stages(columns)]
        for i, stage in enumerate(stages):
            ctes.append((f"__derived{i}", exp.select(*(e.as_(n, quoted=True) for n, e in stage))
                         .from_(exp.to_identifier(ctes[-1][0], quoted=True))))
        return ctes, columns

    def _decision_ctes(self) -> tuple[list[tuple[str, exp.Select]],
                                      list[tuple[str, exp.Expression]]]:
        from sqlglot import exp

        ctes, _ = self._checked
        ctes = list(ctes)
        last = ctes[-1][0]
        ctes.append(("__valid", exp.select(exp.Star()).from_(exp.to_identifier(last, quoted=True))
                     .where(exp.EQ(this=col(REASON), expression=text("")))))
        decider = SqlDecider(self.ruleset, self.as_of, self.presumptions)
        helpers, outputs = decider.result_stages(self.provisions, self.statuses_only)
        for i, stage in enumerate([*decider.stages(), *helpers]):
            ctes.append((f"__stage{i}", exp.select(exp.Star(), *(e.as_(n, quoted=True)
                                                               for n, e in stage))
                         .from_(exp.to_identifier(ctes[-1][0], quoted=True))))
        return ctes, outputs

    def carried(self) -> list[str]:
        return self.validation.carried()

    def results_query(self) -> exp.Select:
        """The result rows of the valid cases."""
        from sqlglot import exp

        ctes, outputs = self._decision_ctes()
        select = exp.select(*(col(c).as_(c, quoted=True) for c in self.carried()),
                            *(e.as_(n, quoted=True) for n, e in outputs)) \
            .from_(exp.to_identifier(ctes[-1][0], quoted=True))
        return _with(select, ctes)

    def rejects_query(self) -> exp.Select:
        """`row`, kept columns and `reason` of the rejected rows."""
        from sqlglot import exp

        ctes, _ = self._checked
        select = exp.select(*(col(c).as_(c, quoted=True) for c in self.carried()),
                            col(REASON).as_("reason", quoted=True)) \
            .from_(exp.to_identifier(ctes[-1][0], quoted=True)) \
            .where(exp.NEQ(this=col(REASON), expression=text("")))
        return _with(select, ctes)

    def results(self, dialect: str) -> str:
        """The results query as SQL text, reading the relation `__input`."""
        return to_sql(self.results_query(), dialect)

    def rejects(self, dialect: str) -> str:
        return to_sql(self.rejects_query(), dialect)


def _with(select: exp.Select, ctes: list[tuple[str, exp.Select]]) -> exp.Select:
    for name, query in ctes:
        select = select.with_(name, as_=query, copy=False)
    return select


__all__ = ["ROW", "SqlPlan"]
