"""What differs between the SQL engines, and nothing else: the sqlglot dialect each emits.

sqlglot writes `TRY_CAST` as a plain `CAST` for Spark; Spark 4 runs with ANSI mode on, where a
plain cast of a bad value fails the whole query, so the Spark dialect here keeps `TRY_CAST`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

DIALECTS = ("duckdb", "spark")


@cache
def dialect(name: str) -> Any:
    """The sqlglot dialect (an instance) that writes SQL for engine `name`."""
    from sqlglot import exp
    from sqlglot.dialects.duckdb import DuckDB
    from sqlglot.dialects.spark import Spark

    if name == "duckdb":
        return DuckDB()

    def try_cast(generator: Any, node: Any) -> str:
        return f"TRY_CAST({generator.sql(node, 'this')} AS {generator.sql(node, 'to')})"

    base: Any = Spark.Generator

    class RulesSpark(Spark):
        class Generator(base):  # type: ignore[misc]
            TRANSFORMS = {**base.TRANSFORMS,  # noqa: RUF012 - sqlglot's own
                          exp.TryCast: try_cast}

    if name == "spark":
        return RulesSpark()
    raise ValueError(f"no SQL dialect {name!r}; one of {', '.join(DIALECTS)}")


def to_sql(expression: Any, name: str) -> str:
    """An expression (or query) as SQL text of dialect `name`."""
    text: str = dialect(name).generate(expression)
    return text
