"""The interface every engine implements (`Engine`), and the polars engine.

`rules.batch.engines.open_engine` picks an engine by name; this module is what the engines share:

    engine = open_engine("duckdb", ruleset, as_of=None)     # interpreter | polars | duckdb | spark
    results, rejects = engine.decide(frame)                  # an in-memory table of cases
    summary = engine.run(Path("cases.parquet"), Path("results.parquet"))   # files

Every engine reads the same case files (`rules.cases.read`), gives the same result columns with
the same types (`result_schema`: the polars plan's), and rejects the same rows with the same
reasons; rows in = rows evaluated + rows rejected. The interpreter (`RuleSet.evaluate`, case by
case) is the reference; polars is the fast path on one machine; DuckDB (embedded) and Spark run
the SQL lowering of the same semantic plan (`rules.batch.sql`). An engine whose package is not
installed says which extra to install, in one line.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rules.batch.exprs import ROW
from rules.batch.run import DEFAULT_CHUNK_ROWS, BatchSummary, run_chunks
from rules.language.source import RulesError

if TYPE_CHECKING:
    import polars as pl

    from rules.batch.polars_plan import BatchPlan
    from rules.language.ruleset import RuleSet

PACKAGE = "kz-child-safety-rules"


class EngineUnavailable(RulesError):
    """An engine whose package is not installed (the message names the extra to install)."""


def require(module: str, engine: str, extra: str) -> None:
    """Fail in one line when `module` is missing: which extra brings it."""
    if importlib.util.find_spec(module) is None:
        raise EngineUnavailable(f"the {engine} engine needs {module}: "
                                f"pip install '{PACKAGE}[{extra}]'")


class Engine(ABC):
    """A rule set (judged on `as_of`, if given; with or without presumptions) prepared for
    one engine."""

    name: ClassVar[str]

    def __init__(self, ruleset: RuleSet, as_of: dt.date | str | None = None,
                 presumptions: bool = True):
        from rules.batch.polars_plan import compile_batch

        self.ruleset = ruleset
        self.presumptions = presumptions      # False: `--strict`, presumed facts stay unknown
        self.plan: BatchPlan = compile_batch(ruleset, as_of, presumptions)
        self.as_of = self.plan.as_of

    @abstractmethod
    def decide(self, frame: pl.DataFrame, keep: Sequence[str] = (), provisions: bool = True,
               offset: int = 0, statuses_only: bool = False
               ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(results, rejects) of an in-memory table of raw case columns; `row` numbers start
        at `offset`."""

    def run(self, cases: Path, out: Path | None = None, rejects: Path | None = None,
            keep: Sequence[str] = (), chunk_rows: int = DEFAULT_CHUNK_ROWS,
            provisions: bool = True,
            progress: Callable[[int], None] | None = None) -> BatchSummary:
        """Decide every case of a file; write results (if `out`) and rejects; count."""
        return run_chunks(self.ruleset, self.decide, cases, out, rejects, keep, chunk_rows,
                          provisions, progress)

    def close(self) -> None:  # noqa: B027 - most engines hold nothing
        """Release what the engine holds (a connection, a session)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the common result shape ------------------------------------------------------------

    def result_schema(self, keep: dict[str, pl.DataType], provisions: bool = True,
                      statuses_only: bool = False) -> pl.Schema:
        """The result columns and types every engine gives (the polars plan's)."""
        return result_schema(self.plan, keep, provisions, statuses_only)

    def conform(self, results: pl.DataFrame, rejects: pl.DataFrame, keep: dict[str, Any],
                provisions: bool, statuses_only: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Results and rejects in the common schema, ordered by row."""
        import polars as pl

        schema = self.result_schema(keep, provisions, statuses_only)
        results = results.select([pl.col(n).cast(d) for n, d in schema.items()]).sort(ROW)
        reject_schema = {ROW: pl.UInt32(), **keep, "reason": pl.String()}
        rejects = rejects.select([pl.col(n).cast(d) for n, d in reject_schema.items()]) \
            .sort(ROW)
        return results, rejects


def result_schema(plan: BatchPlan, keep: dict[str, pl.DataType], provisions: bool = True,
                  statuses_only: bool = False) -> pl.Schema:
    import polars as pl

    columns = {ROW: pl.UInt32(), **keep,
               **{path: plan.fact_dtype(fact) for path, fact in plan.ruleset.facts.items()}}
    empty = pl.DataFrame(schema=columns).lazy()
    return plan.decide(empty, tuple(keep), provisions, statuses_only).collect_schema()


class PolarsEngine(Engine):
    """The polars lazy plan (`rules.batch.polars_plan`): one machine, all its cores."""

    name = "polars"

    def decide(self, frame: pl.DataFrame, keep: Sequence[str] = (), provisions: bool = True,
               offset: int = 0, statuses_only: bool = False
               ) -> tuple[pl.DataFrame, pl.DataFrame]:
        from rules.batch.run import evaluate_frame

        return evaluate_frame(self.plan, frame, keep, provisions, offset, statuses_only)

    def run(self, cases: Path, out: Path | None = None, rejects: Path | None = None,
            keep: Sequence[str] = (), chunk_rows: int = DEFAULT_CHUNK_ROWS,
            provisions: bool = True,
            progress: Callable[[int], None] | None = None) -> BatchSummary:
        from rules.batch.run import run_batch

        return run_batch(self.plan, cases, out, rejects, keep, chunk_rows, provisions, progress)


__all__ = ["Engine", "EngineUnavailable", "PolarsEngine", "require", "result_schema"]
