"""The DuckDB engine: the SQL lowering of the rule set, run embedded (no server).

A Parquet input (a file or a folder, hive-partitioned or not) is read by DuckDB itself, so it may
be larger than memory: DuckDB streams it, spilling to `temp_directory` within `memory_limit`.
Results go to one Parquet file, or to a folder partitioned by a column (`partition_by`: hive
layout, `column=value/`). Other inputs (CSV, JSONL) come through the one case reader, chunk by
chunk, and each chunk is decided by the same query over an Arrow table handed over zero-copy.

Row numbers are those of every other engine: the position in the input, files taken in sorted
order (`rules.cases.read.parquet_files`), each file's rows in order (`file_row_number`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rules.batch.engine import Engine
from rules.batch.exprs import ROW
from rules.batch.run import (
    DEFAULT_CHUNK_ROWS,
    BatchError,
    BatchSummary,
    check_outputs,
    default_rejects,
    finish,
    reason_kinds,
    write_whole,
)
from rules.batch.sql.query import SqlPlan
from rules.batch.sql.summary import count_columns, summary_query
from rules.cases.read import input_format, parquet_files

if TYPE_CHECKING:
    import polars as pl

    from rules.language.ruleset import RuleSet


def polars_source_kinds(schema: Any) -> dict[str, str]:
    """The source kind (`rules.batch.sql.validate.SOURCE_KINDS`) of each polars column."""
    import polars as pl

    out = {}
    for name, dtype in schema.items():
        if dtype == pl.String or isinstance(dtype, (pl.Enum, pl.Categorical)):
            kind = "text"
        elif dtype.is_integer():
            kind = "integer"
        elif dtype.is_float():
            kind = "float"
        elif dtype == pl.Boolean:
            kind = "boolean"
        elif dtype == pl.Date:
            kind = "date"
        elif dtype == pl.Null:
            kind = "null"
        else:
            kind = "other"
        out[name] = kind
    return out


def duckdb_source_kind(sql_type: str) -> str:
    """The source kind of a DuckDB column type."""
    t = sql_type.upper()
    if t == "VARCHAR" or t.startswith("ENUM"):
        return "text"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT"):
        return "integer"
    if t in ("FLOAT", "DOUBLE") or t.startswith("DECIMAL"):
        return "float"
    if t == "BOOLEAN":
        return "boolean"
    if t == "DATE":
        return "date"
    if t == '"NULL"' or t == "NULL":
        return "null"
    return "other"


class DuckDBEngine(Engine):
    """DuckDB, embedded; `threads` and `memory_limit` bound what it uses (default: all cores,
    80% of memory), `temp_directory` is where it spills."""

    name = "duckdb"

    def __init__(self, ruleset: RuleSet, as_of: dt.date | str | None = None,
                 presumptions: bool = True, threads: int | None = None,
                 memory_limit: str | None = None, temp_directory: str | None = None):
        import duckdb

        super().__init__(ruleset, as_of, presumptions)
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        if temp_directory:
            config["temp_directory"] = temp_directory
        self.connection = duckdb.connect(config=config)

    def close(self) -> None:
        self.connection.close()

    def sql_plan(self, sources: dict[str, str], keep: Sequence[str], provisions: bool,
                 statuses_only: bool) -> SqlPlan:
        return SqlPlan(self.ruleset, sources, self.as_of, tuple(keep), provisions,
                       statuses_only, presumptions=self.presumptions)

    def decide(self, frame: pl.DataFrame, keep: Sequence[str] = (), provisions: bool = True,
               offset: int = 0, statuses_only: bool = False
               ) -> tuple[pl.DataFrame, pl.DataFrame]:
        frame = frame.with_row_index(ROW, offset=offset)
        plan = self.sql_plan(polars_source_kinds(frame.schema), keep, provisions, statuses_only)
        self.connection.register("__input", frame.to_arrow())
        try:
            results = self.connection.sql(plan.results("duckdb")).pl()
            rejects = self.connection.sql(plan.rejects("duckdb")).pl()
        finally:
            self.connection.unregister("__input")
        keep_schema = {k: frame.schema[k] for k in keep}
        return self.conform(results, rejects, keep_schema, provisions, statuses_only)

    def run(self, cases: Path, out: Path | None = None, rejects: Path | None = None,
            keep: Sequence[str] = (), chunk_rows: int = DEFAULT_CHUNK_ROWS,
            provisions: bool = True, progress: Callable[[int], None] | None = None,
            partition_by: Sequence[str] = ()) -> BatchSummary:
        """A Parquet input is one DuckDB query over the files (results written by DuckDB:
        one file, or hive partitions with `partition_by`); other inputs go chunk by chunk."""
        parquet_out = out is None or out.suffix.lower() in (".parquet", ".pq") or \
            bool(partition_by)
        if not (cases.exists() and input_format(cases) == "parquet" and parquet_out):
            if partition_by:
                raise BatchError("--partition-by needs a Parquet input and a folder for --out")
            return super().run(cases, out, rejects, keep, chunk_rows, provisions, progress)
        from contextlib import ExitStack

        from rules.files import signals_deferred

        if rejects is None and out is not None:
            rejects = default_rejects(out)
        out, rejects = check_outputs(cases, out, rejects, folder=bool(partition_by))
        with signals_deferred(), ExitStack() as outputs:   # whole outputs or none
            summary = self._run_parquet(cases, out, rejects, keep, provisions, partition_by,
                                        outputs)
        if progress is not None:
            progress(summary.rows_in)
        return finish(self.ruleset, summary)

    def _run_parquet(self, cases: Path, out: Path | None, rejects: Path | None,
                     keep: Sequence[str], provisions: bool, partition_by: Sequence[str],
                     outputs: Any) -> BatchSummary:
        from rules.files import atomic_folder, atomic_path

        rows_in = self._register_parquet(cases)
        relation = self.connection.sql("SELECT * FROM __input LIMIT 0")
        sources = {c: duckdb_source_kind(str(t))
                   for c, t in zip(relation.columns, relation.types, strict=True)}
        missing = [c for c in keep if c not in sources]
        if missing:
            raise BatchError(f"{cases}: no column {', '.join(missing)} to keep")
        summary = BatchSummary(rows_in=rows_in)
        plan = self.sql_plan(sources, keep, provisions, statuses_only=out is None)
        results_sql = plan.results("duckdb")
        if out is not None:
            temp = outputs.enter_context(atomic_folder(out) if partition_by else
                                         atomic_path(out))
            options = "FORMAT parquet, COMPRESSION zstd"
            if partition_by:
                columns = ", ".join(f'"{c}"' for c in partition_by)
                options += f", PARTITION_BY ({columns}), OVERWRITE_OR_IGNORE true"
            target = str(temp).replace("'", "''")
            self.connection.execute(f"COPY ({results_sql}) TO '{target}' ({options})").fetchall()
            source = f"read_parquet('{target}/**/*.parquet', hive_partitioning = true)" \
                if partition_by else f"read_parquet('{target}')"
            counted = f"SELECT * FROM {source}"
        else:
            counted = results_sql
        names, query = summary_query(self.ruleset, counted, "duckdb")
        row = self.connection.execute(query).fetchall()[0]
        counts = count_columns(names, row)
        summary.rows_evaluated = int(counts.pop("__evaluated"))
        summary.add(counts)
        rejected = self.connection.sql(plan.rejects("duckdb")).pl().sort(ROW)
        summary.rows_rejected = rejected.height
        for reason, count in reason_kinds(rejected).items():
            summary.reject_reasons[reason] = count
        if rejects is not None:
            write_whole(rejects, rejected)
        self.connection.execute("DROP VIEW IF EXISTS __input").fetchall()
        return summary

    def _register_parquet(self, cases: Path) -> int:
        """The view `__input`: the Parquet files with `row`, their position in the input."""
        import polars as pl
        import pyarrow.parquet as pq

        files = parquet_files(cases)
        if not files:
            raise BatchError(f"{cases}: no Parquet files")
        counts = [pq.ParquetFile(f).metadata.num_rows for f in files]
        starts = [sum(counts[:i]) for i in range(len(counts))]
        offsets = pl.DataFrame({"__file": [str(f) for f in files], "__start": starts},
                               schema={"__file": pl.String, "__start": pl.Int64})
        self.connection.register("__offsets", offsets.to_arrow())
        listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        hive = "true" if cases.is_dir() else "false"
        self.connection.execute(
            f"CREATE OR REPLACE TEMP VIEW __input AS SELECT "
            f"* EXCLUDE (filename, file_row_number, __file, __start), "
            f"__start + file_row_number AS \"{ROW}\" "
            f"FROM read_parquet([{listed}], filename = true, file_row_number = true, "
            f"hive_partitioning = {hive}) JOIN __offsets ON filename = __file").fetchall()
        return sum(counts)


__all__ = ["DuckDBEngine", "duckdb_source_kind", "polars_source_kinds"]
