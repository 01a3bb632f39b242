"""The SQL lowering against the interpreter: three-valued logic in SQL `NULL` semantics, every
operator on every combination of known and unknown operands, and the status tables of
`rules.semantics.combine` read back through the SQL `CASE` lookups (run on DuckDB)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import polars as pl
import pytest

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from rules.batch.sql.decide import bits, lookup  # noqa: E402
from rules.batch.sql.dialects import to_sql  # noqa: E402
from rules.batch.sql.lower import SqlLowering, col  # noqa: E402
from rules.interpreter.closures import Compiler, Unknown  # noqa: E402
from rules.language import core  # noqa: E402
from rules.semantics.combine import action_table, list_table, value_table  # noqa: E402

KIND = core.Type("enum", "kind", ("battery", "bullying", "neglect"))
A = core.FactRef("a", core.BOOLEAN)
B = core.FactRef("b", core.BOOLEAN)
N = core.FactRef("n", core.INTEGER)
M = core.FactRef("m", core.INTEGER)
K = core.FactRef("k", KIND)
D = core.FactRef("d", core.DATE)
E = core.FactRef("e", core.DATE)

EXPRESSIONS: list[core.Expr] = [
    core.BoolOp("and", (A, B)),
    core.BoolOp("or", (A, B)),
    core.BoolOp("and", (A, core.Not(B), core.BoolOp("or", (B, A)))),
    core.Not(A),
    *(core.Compare(op, N, M) for op in ("=", "!=", "<", "<=", ">", ">=")),  # type: ignore[arg-type]
    core.Compare("=", K, core.Lit("bullying", KIND)),
    core.Compare("<", D, E),
    core.Arith("+", N, M),
    core.Arith("-", N, core.Lit(3, core.INTEGER)),
    core.Arith("*", N, M),
    core.Arith("neg", N, None),
    core.In(K, ("battery", "neglect")),
    core.In(K, ("battery", "neglect"), negated=True),
    core.In(K, ()),
    core.In(K, (), negated=True),
    core.In(N, (1, 3)),
    core.IsKnown(A),
    core.IsKnown(K, negated=True),
    core.Call("years_between", (D, E)),
    core.Call("days_between", (D, E)),
]

VALUES: dict[str, list[Any]] = {
    "a": [True, False, None], "b": [True, False, None], "n": [1, 3, None], "m": [3, None],
    "k": ["battery", "bullying", None],
    "d": [dt.date(2008, 2, 29), dt.date(2024, 7, 1), None],
    "e": [dt.date(2024, 2, 28), dt.date(2024, 3, 1), None],
}


def _rows() -> pl.DataFrame:
    names = list(VALUES)
    rows = [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(VALUES[n] for n in names))]
    return pl.DataFrame(rows, schema={"a": pl.Boolean, "b": pl.Boolean, "n": pl.Int64,
                                      "m": pl.Int64, "k": pl.String, "d": pl.Date,
                                      "e": pl.Date})


def _interpreted(expr: core.Expr, row: dict[str, Any]) -> Any:
    env = {k: v for k, v in row.items() if v is not None}
    value = Compiler({}).compile(expr)(env)
    return None if isinstance(value, Unknown) else value


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=[repr(e)[:60] for e in EXPRESSIONS])
def test_sql_three_valued_logic_is_the_interpreters(expr: core.Expr) -> None:
    from sqlglot import exp

    frame = _rows()
    lowered = SqlLowering(None).lower(expr)  # type: ignore[arg-type]
    query = exp.select(lowered.as_("v")).from_("t")
    for dialect in ("duckdb", "spark"):
        assert to_sql(query, dialect)          # every dialect writes it
    connection = duckdb.connect()
    connection.register("t", frame.to_arrow())
    got = [r[0] for r in connection.execute(to_sql(query, "duckdb")).fetchall()]
    want = [_interpreted(expr, row) for row in frame.iter_rows(named=True)]
    mismatches = [(row, w, g) for row, w, g in zip(frame.iter_rows(named=True), want, got,
                                                    strict=True) if w != g]
    assert not mismatches, mismatches[:5]


@pytest.mark.parametrize("table", [action_table(("required", "forbidden", "permitted")),
                                   action_table(("forbidden",)), value_table(), list_table()],
                         ids=["action3", "action1", "value", "list"])
def test_sql_status_lookup_reads_the_semantics_tables(table: tuple[str, ...]) -> None:
    from sqlglot import exp

    connection = duckdb.connect()
    connection.register("t", pl.DataFrame({"i": list(range(len(table)))}).to_arrow())
    query = exp.select(lookup(table, "i").as_("s")).from_("t").order_by(col("i"))
    got = [r[0] for r in connection.execute(to_sql(query, "duckdb")).fetchall()]
    assert tuple(got) == table


def test_sql_bits_index_the_table_as_the_semantics_do() -> None:
    from sqlglot import exp

    flags = list(itertools.product([False, True], repeat=3))
    frame = pl.DataFrame(flags, schema=["x", "y", "z"], orient="row")
    connection = duckdb.connect()
    connection.register("t", frame.to_arrow())
    index = bits([col("x"), col("y"), col("z")])
    got = [r[0] for r in connection.execute(
        to_sql(exp.select(index.as_("i")).from_("t"), "duckdb")).fetchall()]
    assert got == [x + 2 * y + 4 * z for x, y, z in flags]


def test_spark_sql_keeps_try_cast() -> None:
    from rules.batch.sql.lower import try_cast

    assert to_sql(try_cast(col("x"), "BIGINT"), "spark") == "TRY_CAST(`x` AS BIGINT)"
    assert to_sql(try_cast(col("x"), "BIGINT"), "duckdb") == 'TRY_CAST("x" AS BIGINT)'
