"""One interface for deciding many cases, with every engine behind it.

    engine = open_engine("duckdb", ruleset, as_of=None)     # interpreter | polars | duckdb | spark
    results, rejects = engine.decide(frame)                  # an in-memory table of cases
    summary = engine.run(Path("cases.parquet"), Path("results.parquet"))   # files

Every engine reads the same case files (`rules.cases.read`), gives the same result columns with
the same types (`rules.batch.engine.result_schema`: the polars plan's), and rejects the same rows
with the same reasons; rows in = rows evaluated + rows rejected. The interpreter
(`RuleSet.evaluate`, case by case) is the reference; polars is the fast path on one machine;
DuckDB (embedded) and Spark run the SQL lowering of the same semantic plan (`rules.batch.sql`).
An engine whose package is not installed says which extra to install, in one line.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from rules.batch.engine import Engine, EngineUnavailable, PolarsEngine, require, result_schema
from rules.batch.interpreter_engine import InterpreterEngine

if TYPE_CHECKING:
    from rules.language.ruleset import RuleSet

ENGINES = ("interpreter", "polars", "duckdb", "spark")


def open_engine(name: str, ruleset: RuleSet, as_of: dt.date | str | None = None,
                presumptions: bool = True, **options: Any) -> Engine:
    """The engine `name` (one of `ENGINES`) for a rule set; options go to its constructor
    (DuckDB: `threads`, `memory_limit`, `temp_directory`; Spark: `master`, `partitions`,
    `session`)."""
    if name == "polars":
        return PolarsEngine(ruleset, as_of, presumptions)
    if name == "interpreter":
        return InterpreterEngine(ruleset, as_of, presumptions)
    if name == "duckdb":
        require("duckdb", "duckdb", "duckdb")
        require("sqlglot", "duckdb", "duckdb")
        from rules.batch.duckdb_engine import DuckDBEngine

        return DuckDBEngine(ruleset, as_of, presumptions, **options)
    if name == "spark":
        require("pyspark", "spark", "spark")
        require("sqlglot", "spark", "spark")
        from rules.batch.spark_engine import SparkEngine

        return SparkEngine(ruleset, as_of, presumptions, **options)
    raise EngineUnavailable(f"no engine {name!r}; one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "EngineUnavailable", "InterpreterEngine", "PolarsEngine",
           "open_engine", "result_schema"]
