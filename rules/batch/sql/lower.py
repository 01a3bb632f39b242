"""Checked expressions -> sqlglot expressions over fact columns (one row a case).

An unknown fact is SQL `NULL`, and SQL's three-valued logic is Kleene logic: `NULL AND FALSE` is
false, `NULL OR TRUE` is true, comparisons and arithmetic with a `NULL` give `NULL`, `x IN (...)`
with `x` `NULL` is `NULL`, exactly as the interpreter's `Unknown` behaves
(`tests/test_sql.py` checks every operator against the interpreter's table). A fact is a
column named by its path (`"victim.age"`, quoted); a definition is read from its own column
(computed once, level by level) or, with `inline`, expanded in place.

The building blocks below make a fresh node on every call: a sqlglot node has one parent.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rules.language import core

if TYPE_CHECKING:
    from sqlglot import exp

    from rules.language.ruleset import RuleSet


def col(name: str) -> exp.Column:
    """A column, by its name, quoted (`"victim.age"`)."""
    from sqlglot import exp

    return exp.Column(this=exp.Identifier(this=name, quoted=True))


def text(value: str) -> exp.Expression:
    from sqlglot import exp

    return exp.Literal.string(value)


def number(value: int) -> exp.Expression:
    from sqlglot import exp

    if value < 0:
        return exp.Neg(this=exp.Literal.number(-value))
    return exp.Literal.number(value)


def boolean(value: bool) -> exp.Expression:
    from sqlglot import exp

    return exp.Boolean(this=value)


def null(sql_type: str) -> exp.Expression:
    """A typed `NULL` (`CAST(NULL AS BOOLEAN)`)."""
    from sqlglot import exp

    return exp.cast(exp.Null(), sql_type)


def date(value: dt.date) -> exp.Expression:
    from sqlglot import exp

    return exp.cast(exp.Literal.string(value.isoformat()), "DATE")


def sql_type(typ: core.Type) -> str:
    """The SQL type of a value of a fact type (enums and texts are text)."""
    return {"boolean": "BOOLEAN", "integer": "BIGINT", "date": "DATE"}.get(typ.kind, "VARCHAR")


def literal(value: core.Value, typ: core.Type) -> exp.Expression:
    """A constant of a fact type."""
    if typ.kind == "boolean":
        return boolean(bool(value))
    if typ.kind == "integer":
        assert isinstance(value, int)
        return number(value)
    if typ.kind == "date":
        assert isinstance(value, dt.date)
        return date(value)
    return text(str(value))


def paren(e: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    if isinstance(e, (exp.Column, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Cast,
                      exp.Case, exp.Coalesce)):
        return e
    return exp.Paren(this=e)


def all_of(terms: Sequence[exp.Expression]) -> exp.Expression:
    """`a AND b AND ...` (TRUE for none)."""
    from sqlglot import exp

    if not terms:
        return boolean(True)
    return functools.reduce(lambda a, b: exp.And(this=a, expression=paren(b)),
                            [paren(t) for t in terms])


def any_of(terms: Sequence[exp.Expression]) -> exp.Expression:
    """`a OR b OR ...` (FALSE for none)."""
    from sqlglot import exp

    if not terms:
        return boolean(False)
    return functools.reduce(lambda a, b: exp.Or(this=a, expression=paren(b)),
                            [paren(t) for t in terms])


def negate(term: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.Not(this=paren(term))


def is_null(term: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.Is(this=paren(term), expression=exp.Null())


def is_not_null(term: exp.Expression) -> exp.Expression:
    return negate(is_null(term))


def true_or_false(term: exp.Expression, unknown: bool) -> exp.Expression:
    """A boolean with `NULL` read as `unknown` (`COALESCE(term, unknown)`)."""
    from sqlglot import exp

    return exp.Coalesce(this=term, expressions=[boolean(unknown)])


def when(cases: Sequence[tuple[exp.Expression, exp.Expression]],
         otherwise: exp.Expression | None = None) -> exp.Expression:
    """`CASE WHEN c1 THEN v1 ... [ELSE otherwise] END`."""
    from sqlglot import exp

    node = exp.Case()
    for condition, value in cases:
        node = node.when(condition, value, copy=False)
    if otherwise is not None:
        node = node.else_(otherwise, copy=False)
    return node


def cast(term: exp.Expression, to: str) -> exp.Expression:
    from sqlglot import exp

    return exp.cast(term, to)


def try_cast(term: exp.Expression, to: str) -> exp.Expression:
    from sqlglot import exp

    return exp.TryCast(this=term, to=exp.DataType.build(to))


def concat_ws(separator: str, parts: Sequence[exp.Expression]) -> exp.Expression:
    """`CONCAT_WS(sep, ...)`, which skips `NULL` parts in DuckDB and Spark alike (sqlglot's own
    node would wrap it in a `NULL` check)."""
    from sqlglot import exp

    return exp.Anonymous(this="CONCAT_WS", expressions=[text(separator), *parts])


def compact_array(items: Sequence[exp.Expression]) -> exp.Expression:
    """The array of the non-`NULL` items, in order."""
    from sqlglot import exp

    return exp.ArrayCompact(this=exp.Array(expressions=list(items)))


COMPARE = {"=": "EQ", "!=": "NEQ", "<": "LT", "<=": "LTE", ">": "GT", ">=": "GTE"}
ARITH = {"+": "Add", "-": "Sub", "*": "Mul"}


def date_key(day: exp.Expression) -> exp.Expression:
    """A date as the number `yyyymmdd`."""
    from sqlglot import exp

    def part(kind: type[exp.Func], scale: int) -> exp.Expression:
        return exp.Mul(this=exp.cast(kind(this=paren(day.copy())), "BIGINT"),
                       expression=number(scale))

    return exp.Add(this=exp.Add(this=part(exp.Year, 10000), expression=part(exp.Month, 100)),
                   expression=exp.cast(exp.Day(this=paren(day.copy())), "BIGINT"))


def years_between(start: exp.Expression, end: exp.Expression) -> exp.Expression:
    """Whole years from `start` to `end`: the difference of the `yyyymmdd` numbers, in units
    of 10000, floored (`core.years_between`)."""
    from sqlglot import exp

    diff = exp.Sub(this=date_key(end), expression=paren(date_key(start)))
    ratio = exp.Div(this=exp.cast(exp.Paren(this=diff), "DOUBLE"), expression=number(10000))
    return exp.cast(exp.Floor(this=ratio), "BIGINT")


def days_between(start: exp.Expression, end: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.cast(exp.DateDiff(this=end, expression=start, unit=exp.var("DAY")), "BIGINT")


class SqlLowering(core.Lowering["exp.Expression"]):
    """The SQL expression of a checked expression.

    `inline` expands definitions in place (for derived facts, computed before any definition
    column exists); `replace` reads some facts as constants (`--as-of`: the governing date);
    `presumed` gives facts left unknown the value the law presumes.
    """

    def __init__(self, ruleset: RuleSet, inline: bool = False,
                 replace: dict[str, core.Value] | None = None,
                 definition_column: str = "__def.{}",
                 presumed: dict[str, core.Value] | None = None):
        self.ruleset = ruleset
        self.inline = inline
        self.replace = replace or {}
        self.presumed = presumed or {}
        self.definition_column = definition_column

    def lit(self, node: core.Lit) -> exp.Expression:
        return literal(node.value, node.type)

    def fact(self, node: core.FactRef) -> exp.Expression:
        from sqlglot import exp

        if node.path in self.replace:
            return literal(self.replace[node.path], node.type)
        if node.path in self.presumed:
            return exp.Coalesce(this=col(node.path),
                                expressions=[literal(self.presumed[node.path], node.type)])
        return col(node.path)

    def definition(self, node: core.DefRef) -> exp.Expression:
        if self.inline:
            return paren(self.lower(self.ruleset.definitions[node.name].expr))
        return col(self.definition_column.format(node.name))

    def negation(self, node: core.Not) -> exp.Expression:
        return negate(self.lower(node.operand))

    def bool_op(self, node: core.BoolOp) -> exp.Expression:
        parts = [self.lower(o) for o in node.operands]
        return paren(all_of(parts) if node.op == "and" else any_of(parts))

    def compare(self, node: core.Compare) -> exp.Expression:
        from sqlglot import exp

        kind: Any = getattr(exp, COMPARE[node.op])
        return paren(kind(this=paren(self.lower(node.left)),
                          expression=paren(self.lower(node.right))))

    def arith(self, node: core.Arith) -> exp.Expression:
        from sqlglot import exp

        left = paren(self.lower(node.left))
        if node.op == "neg":
            return paren(exp.Neg(this=left))
        assert node.right is not None
        kind: Any = getattr(exp, ARITH[node.op])
        return paren(kind(this=left, expression=paren(self.lower(node.right))))

    def member(self, node: core.In) -> exp.Expression:
        from sqlglot import exp

        operand = self.lower(node.operand)
        if not node.values:
            return when([(is_null(operand), null("BOOLEAN"))], boolean(node.negated))
        found = exp.In(this=paren(operand),
                       expressions=[literal(v, node.operand.type) for v in node.values])
        return paren(negate(found) if node.negated else found)

    def is_known(self, node: core.IsKnown) -> exp.Expression:
        operand = self.lower(node.operand)
        return paren(is_null(operand) if node.negated else is_not_null(operand))

    def call(self, node: core.Call) -> exp.Expression:
        start = self.lower(node.args[0])
        end = self.lower(node.args[1])
        if node.function == "days_between":
            return days_between(start, end)
        return years_between(start, end)


__all__ = ["SqlLowering", "all_of", "any_of", "boolean", "cast", "col", "compact_array",
           "concat_ws", "date", "is_not_null", "is_null", "literal", "negate", "null",
           "number", "sql_type", "text", "true_or_false", "try_cast", "when"]
