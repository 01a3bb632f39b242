"""The Spark engine: the same SQL as DuckDB's, in Spark's dialect, over partitioned Parquet.

Locally (`master="local[2]"`, what the tests use) or on a cluster (`spark-submit`, see
docs/BATCH.md): a Parquet input (a file or a folder of files, hive-partitioned or not) is read by
Spark, decided by one SQL query (row-wise: every task decides its own splits) and the results
written as a Parquet dataset (a folder), partitioned by `partition_by` if given. Other inputs
come through the one case reader, chunk by chunk, handed over as Arrow tables.

Row numbers are those of every other engine: files in sorted order, each file's rows in order
(Spark's `_metadata.row_index`), offset by the rows of the files before it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rules.batch.duckdb_engine import polars_source_kinds
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


# Spark folds a query over a small in-memory table (an Arrow chunk) into a local relation by
# evaluating it on the driver, interpreted: 35 s for 5 000 rows of the bill's query. Off.
_NOT_LOCALLY = "org.apache.spark.sql.catalyst.optimizer.ConvertToLocalRelation"


def spark_session(master: str | None = None, partitions: int = 2,
                  config: dict[str, str] | None = None) -> Any:
    """A Spark session (the running one if there is one): quiet, bound to the loopback address
    when local, `partitions` shuffle partitions. Without `master`: the cluster's when the job
    was started by `spark-submit`, else `local[*]` (every core of this machine)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if master is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
        master = "local[*]"
    if master is not None:
        builder = builder.master(master)
    builder = builder.appName("rules batch") \
        .config("spark.sql.shuffle.partitions", str(partitions)) \
        .config("spark.sql.optimizer.excludedRules", _NOT_LOCALLY) \
        .config("spark.ui.enabled", "false") \
        .config("spark.sql.session.timeZone", "UTC")
    if master is not None and master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.host", "127.0.0.1") \
            .config("spark.driver.bindAddress", "127.0.0.1")
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_source_kind(data_type: Any) -> str:
    """The source kind of a Spark column type."""
    name = type(data_type).__name__
    if name in ("StringType", "VarcharType", "CharType"):
        return "text"
    if name in ("ByteType", "ShortType", "IntegerType", "LongType"):
        return "integer"
    if name in ("FloatType", "DoubleType", "DecimalType"):
        return "float"
    if name == "BooleanType":
        return "boolean"
    if name == "DateType":
        return "date"
    if name == "NullType":
        return "null"
    return "other"


class SparkEngine(Engine):
    """Spark SQL, local or on a cluster (`session`, or one made from `master`)."""

    name = "spark"

    def __init__(self, ruleset: RuleSet, as_of: dt.date | str | None = None,
                 presumptions: bool = True, master: str | None = None, partitions: int = 2,
                 session: Any = None):
        super().__init__(ruleset, as_of, presumptions)
        self.session = session if session is not None else spark_session(master, partitions)

    def sql_plan(self, sources: dict[str, str], keep: Sequence[str], provisions: bool,
                 statuses_only: bool) -> SqlPlan:
        return SqlPlan(self.ruleset, sources, self.as_of, tuple(keep), provisions,
                       statuses_only, presumptions=self.presumptions)

    def decide(self, frame: pl.DataFrame, keep: Sequence[str] = (), provisions: bool = True,
               offset: int = 0, statuses_only: bool = False
               ) -> tuple[pl.DataFrame, pl.DataFrame]:
        import polars as pl

        frame = frame.with_row_index(ROW, offset=offset)
        frame = frame.with_columns([pl.col(n).cast(pl.String) for n, d in frame.schema.items()
                                    if isinstance(d, (pl.Enum, pl.Categorical))])
        frame = frame.with_columns(pl.col(ROW).cast(pl.Int64))
        plan = self.sql_plan(polars_source_kinds(frame.schema), keep, provisions, statuses_only)
        # Spark has no unsigned 64-bit type (pyspark refuses the Arrow column): its values go
        # over as whole decimals, still an integer column to the validation, which rejects those
        # beyond the signed 64-bit range as every engine does
        frame = frame.with_columns([pl.col(n).cast(pl.Decimal(20, 0))
                                    for n, d in frame.schema.items() if d == pl.UInt64])
        data = self.session.createDataFrame(frame.to_arrow())
        data.createOrReplaceTempView("__input")
        results = _to_polars(self.session.sql(plan.results("spark")))
        rejects = _to_polars(self.session.sql(plan.rejects("spark")))
        keep_schema = {k: frame.schema[k] for k in keep}
        return self.conform(results, rejects, keep_schema, provisions, statuses_only)

    def run(self, cases: Path, out: Path | None = None, rejects: Path | None = None,
            keep: Sequence[str] = (), chunk_rows: int = DEFAULT_CHUNK_ROWS,
            provisions: bool = True, progress: Callable[[int], None] | None = None,
            partition_by: Sequence[str] = ()) -> BatchSummary:
        """A Parquet input is one Spark job (results written by Spark as a Parquet dataset, a
        folder, hive-partitioned with `partition_by`); other inputs go chunk by chunk."""
        if not (cases.exists() and input_format(cases) == "parquet"):
            if partition_by:
                raise BatchError("--partition-by needs a Parquet input")
            return super().run(cases, out, rejects, keep, chunk_rows, provisions, progress)
        from contextlib import ExitStack

        from rules.files import signals_deferred

        if rejects is None and out is not None:
            rejects = default_rejects(out)
        out, rejects = check_outputs(cases, out, rejects, folder=True)
        with signals_deferred(), ExitStack() as outputs:   # whole outputs or none
            summary = self._run_parquet(cases, out, rejects, keep, provisions, partition_by,
                                        outputs)
        if progress is not None:
            progress(summary.rows_in)
        return finish(self.ruleset, summary)

    def _run_parquet(self, cases: Path, out: Path | None, rejects: Path | None,
                     keep: Sequence[str], provisions: bool, partition_by: Sequence[str],
                     outputs: Any) -> BatchSummary:
        from rules.files import atomic_folder

        rows_in = self._register_parquet(cases)
        schema = self.session.table("__input").schema
        sources = {f.name: spark_source_kind(f.dataType) for f in schema.fields}
        missing = [c for c in keep if c not in sources]
        if missing:
            raise BatchError(f"{cases}: no column {', '.join(missing)} to keep")
        summary = BatchSummary(rows_in=rows_in)
        plan = self.sql_plan(sources, keep, provisions, statuses_only=out is None)
        results = self.session.sql(plan.results("spark"))
        if out is not None:
            temp = outputs.enter_context(atomic_folder(out))
            writer = results.write.mode("overwrite").option("compression", "zstd")
            if partition_by:
                writer = writer.partitionBy(*partition_by)
            writer.parquet(str(temp))
            self.session.read.parquet(str(temp)).createOrReplaceTempView("__results")
            counted = "SELECT * FROM __results"
        else:
            results.createOrReplaceTempView("__results")
            counted = "SELECT * FROM __results"
        names, query = summary_query(self.ruleset, counted, "spark")
        row = self.session.sql(query).collect()[0]
        counts = count_columns(names, list(row))
        summary.rows_evaluated = int(counts.pop("__evaluated"))
        summary.add(counts)
        rejected = _to_polars(self.session.sql(plan.rejects("spark"))).sort(ROW)
        summary.rows_rejected = rejected.height
        for reason, count in reason_kinds(rejected).items():
            summary.reject_reasons[reason] = count
        if rejects is not None:
            write_whole(rejects, rejected)
        return summary

    def _register_parquet(self, cases: Path) -> int:
        """The view `__input`: the Parquet files with `row`, their position in the input."""
        import polars as pl
        import pyarrow.parquet as pq
        from pyspark.sql import functions as F

        files = parquet_files(cases)
        if not files:
            raise BatchError(f"{cases}: no Parquet files")
        counts = [pq.ParquetFile(f).metadata.num_rows for f in files]
        starts = [sum(counts[:i]) for i in range(len(counts))]
        reader = self.session.read
        if cases.is_dir():
            reader = reader.option("basePath", str(cases.resolve()))
        data = reader.parquet(*(str(f.resolve()) for f in files))
        columns = data.columns
        offsets = self.session.createDataFrame(pl.DataFrame(
            {"__file": [str(f.resolve()) for f in files], "__start": starts},
            schema={"__file": pl.String, "__start": pl.Int64}).to_arrow())
        # `_metadata.file_path` is a URI (`file:/tmp/a%20b.parquet`): back to a local path
        path = F.url_decode(F.regexp_replace(F.col("_metadata.file_path"), "^file:(//)?", ""))
        numbered = data.select("*", path.alias("__path"),
                               F.col("_metadata.row_index").alias("__index")) \
            .join(F.broadcast(offsets), F.col("__path") == F.col("__file")) \
            .select(*(F.col(f"`{c}`") for c in columns),
                    (F.col("__start") + F.col("__index")).alias(ROW))
        numbered.createOrReplaceTempView("__input")
        return sum(counts)


def _to_polars(data: Any) -> pl.DataFrame:
    import polars as pl

    frame = pl.from_arrow(data.toArrow())
    assert isinstance(frame, pl.DataFrame)
    return frame


__all__ = ["SparkEngine", "spark_session", "spark_source_kind"]
