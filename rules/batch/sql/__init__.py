"""The SQL back end: a checked rule set lowered to one SQL query, built as sqlglot expressions.

One lowering serves many engines, the way sqlglot has one tree and many dialects:

* `lower`: checked expressions -> sqlglot expressions (`SqlLowering`), SQL `NULL` as unknown;
* `validate`: raw input columns -> typed facts and the reason a row is rejected;
* `decide`: the decision columns, read from the semantic plan (`rules.semantics`), statuses as a
  `CASE` over the index into the semantics' own tables;
* `query`: the whole query (`SqlPlan`), emitted per dialect (`dialects`: DuckDB, Spark).

The engines that run it are `rules.batch.duckdb_engine` and `rules.batch.spark_engine`.
"""
