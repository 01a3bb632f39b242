"""Checked expressions -> polars expressions over fact columns (one row a case).

A fact is a column named by its path (`victim.age`); an unknown fact is a null, and polars' `&`
/ `|` on nullable booleans are Kleene, comparisons and arithmetic with a null give null, exactly
as the interpreter's `Unknown` behaves. A definition is read from its own column (computed once,
level by level) or, with `inline`, expanded in place (for derived facts, computed before any
definition column exists).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rules.batch.exprs import all_of, any_of, def_column, years_between_expr
from rules.language import core

if TYPE_CHECKING:
    import polars as pl

    from rules.language.ruleset import RuleSet

COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
}


def literal(value: core.Value, typ: core.Type) -> pl.Expr:
    """A constant of a fact type as a polars literal (enums and texts as strings)."""
    import polars as pl
    if typ.kind == "integer":
        return pl.lit(value, pl.Int64)
    if typ.kind == "boolean":
        return pl.lit(value, pl.Boolean)
    if typ.kind == "date":
        return pl.lit(value, pl.Date)
    return pl.lit(value, pl.String)


class PolarsLowering(core.Lowering["pl.Expr"]):
    """The polars expression of a checked expression."""

    def __init__(self, ruleset: RuleSet, inline: bool = False,
                 definition: Callable[[str], pl.Expr] | None = None):
        self.ruleset = ruleset
        self.inline = inline
        self.resolve = definition

    def lit(self, node: core.Lit) -> pl.Expr:
        return literal(node.value, node.type)

    def fact(self, node: core.FactRef) -> pl.Expr:
        import polars as pl
        return pl.col(node.path)

    def definition(self, node: core.DefRef) -> pl.Expr:
        import polars as pl
        if self.inline:
            return self.lower(self.ruleset.definitions[node.name].expr)
        if self.resolve is not None:
            return self.resolve(node.name)
        return pl.col(def_column(node.name))

    def negation(self, node: core.Not) -> pl.Expr:
        return ~self.lower(node.operand)

    def bool_op(self, node: core.BoolOp) -> pl.Expr:
        parts = [self.lower(o) for o in node.operands]
        return all_of(parts) if node.op == "and" else any_of(parts)

    def compare(self, node: core.Compare) -> pl.Expr:
        compared: pl.Expr = COMPARE[node.op](self.lower(node.left), self.lower(node.right))
        return compared

    def arith(self, node: core.Arith) -> pl.Expr:
        import polars as pl
        # integer columns may come narrow (Int8 ages): widen before computing
        left = self.lower(node.left).cast(pl.Int64)
        if node.op == "neg":
            return -left
        assert node.right is not None
        computed: pl.Expr = ARITH[node.op](left, self.lower(node.right).cast(pl.Int64))
        return computed

    def member(self, node: core.In) -> pl.Expr:
        import polars as pl
        operand = self.lower(node.operand)
        if not node.values:
            return pl.when(operand.is_null()).then(pl.lit(None, pl.Boolean)) \
                .otherwise(pl.lit(False))
        found = operand.is_in(list(node.values))
        return ~found if node.negated else found

    def is_known(self, node: core.IsKnown) -> pl.Expr:
        operand = self.lower(node.operand)
        return operand.is_null() if node.negated else operand.is_not_null()

    def call(self, node: core.Call) -> pl.Expr:
        import polars as pl
        start = self.lower(node.args[0])
        end = self.lower(node.args[1])
        if node.function == "days_between":
            return (end - start).dt.total_days().cast(pl.Int64)
        return years_between_expr(start, end)
