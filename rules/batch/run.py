"""Running a compiled plan over files: results, rejects and the summary.

Inputs are read by the one reader of case files (`rules.cases.read`). A Parquet input (to a
summary or to Parquet results) is one streaming polars query over the whole input
(`_run_parquet`): planned once, memory bounded by the streaming engine's morsels, results sunk by
polars' parallel Parquet writer. Other inputs, and every engine without a whole-file path of its
own, go chunk by chunk (`run_chunks`, any engine's `decide`): results and rejects are appended
to their files as chunks finish, so memory is bounded by the chunk size, not the input. The row
count is an invariant: rows in = rows evaluated + rows rejected, checked for every run (and
every chunk).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from rules.batch.exprs import BAD, CONCLUSION_STATUSES, REASON, ROW, STATUSES
from rules.batch.polars_plan import BatchPlan
from rules.cases.read import (
    DEFAULT_CHUNK_ROWS,
    CaseFileError,
    count_rows,
    input_format,
    read_frames,
    scan_parquet,
)

if TYPE_CHECKING:
    import polars as pl
    import pyarrow.parquet as pq

    from rules.language.ruleset import RuleSet

IN_MEMORY: Final = "in-memory"


class BatchError(CaseFileError):
    """A problem with a batch input or output (not with one row: those are rejects)."""


@dataclass
class BatchSummary:
    """Counts over a whole run: per action and status, per conclusion and status."""

    rows_in: int = 0
    rows_evaluated: int = 0
    rows_rejected: int = 0
    actions: dict[str, dict[str, int]] = field(default_factory=dict)
    conclusions: dict[str, dict[str, int]] = field(default_factory=dict)
    reject_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.rows_evaluated + self.rows_rejected

    def add(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            name, status = key.split("\0")
            if name.endswith(".status"):
                table = self.conclusions.setdefault(name.removesuffix(".status"), {})
            else:
                table = self.actions.setdefault(name, {})
            table[status] = table.get(status, 0) + int(value)

    def merge(self, other: BatchSummary) -> None:
        """Add another run's counts (a partition decided apart): summaries add up."""
        self.rows_in += other.rows_in
        self.rows_evaluated += other.rows_evaluated
        self.rows_rejected += other.rows_rejected
        for name, counts in other.actions.items():
            table = self.actions.setdefault(name, {})
            for status, count in counts.items():
                table[status] = table.get(status, 0) + count
        for name, counts in other.conclusions.items():
            table = self.conclusions.setdefault(name, {})
            for status, count in counts.items():
                table[status] = table.get(status, 0) + count
        for reason, count in other.reject_reasons.items():
            self.reject_reasons[reason] = self.reject_reasons.get(reason, 0) + count

    def to_dict(self) -> dict[str, Any]:
        return {"rows_in": self.rows_in, "rows_evaluated": self.rows_evaluated,
                "rows_rejected": self.rows_rejected, "balanced": self.balanced,
                "actions": self.actions, "conclusions": self.conclusions,
                "reject_reasons": self.reject_reasons}


# ---- writing ---------------------------------------------------------------------------------

class Writer:
    """Appends frames to a Parquet or CSV file (lists joined with `|` in CSV)."""

    def __init__(self, path: Path):
        self.path = path
        suffix = path.suffix.lower()
        if suffix not in (".parquet", ".pq", ".csv"):
            raise BatchError(f"{path}: write results to .parquet or .csv")
        self.parquet = suffix != ".csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(path, "wb")
        self._pq: pq.ParquetWriter | None = None
        self._first = True

    def write(self, frame: pl.DataFrame) -> None:
        import polars as pl

        if self.parquet:
            import pyarrow.parquet as pq

            table = frame.to_arrow()
            if self._pq is None:
                self._pq = pq.ParquetWriter(self._handle, table.schema, compression="zstd")
            self._pq.write_table(table.cast(self._pq.schema))
        else:
            lists = [n for n, d in frame.schema.items() if isinstance(d, pl.List)]
            if lists:
                frame = frame.with_columns([pl.col(n).list.join("|") for n in lists])
            frame.write_csv(self._handle, include_header=self._first)
        self._first = False

    def close(self, empty: pl.DataFrame | None = None) -> None:
        if self._first and empty is not None:
            self.write(empty)
        if self._pq is not None:
            self._pq.close()
        self._handle.close()


# ---- running ---------------------------------------------------------------------------------

def evaluate_frame(plan: BatchPlan, frame: pl.DataFrame, keep: Sequence[str] = (),
                   provisions: bool = True, offset: int = 0,
                   statuses_only: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(results, rejects) of an in-memory table of cases; `row` numbers start at `offset`."""
    import polars as pl

    frame = frame.with_row_index(ROW, offset=offset)
    # One lazy plan from the frame to the results (validation, decision, the bad-row flag
    # carried along), on the in-memory engine: polars 2 streams by default, which costs more
    # than it saves on a frame already in memory. Bad rows are decided too, then dropped.
    checked = plan.validate(frame.lazy(), keep, texts=False)
    decided = plan.decide(checked, (*keep, BAD), provisions, statuses_only) \
        .collect(engine=IN_MEMORY)
    bad = decided.get_column(BAD)
    if bad.any():
        # Explain only the flagged rows: reason texts cost more than the whole decision.
        rejects = plan.validate(frame.filter(bad).lazy(), keep).select(
            [ROW, *keep, pl.col(REASON).alias("reason")]).collect(engine=IN_MEMORY)
        results = decided.filter(~bad).drop(BAD)
    else:
        rejects = frame.head(0).select([ROW, *keep]).with_columns(
            pl.lit("", pl.String).alias("reason"))
        results = decided.drop(BAD)
    if results.height + rejects.height != frame.height:  # pragma: no cover - invariant
        raise BatchError(f"rows lost: {frame.height} in, {results.height} evaluated, "
                         f"{rejects.height} rejected")
    return results, rejects


Decide = Callable[..., "tuple[pl.DataFrame, pl.DataFrame]"]


def run_batch(plan: BatchPlan, cases: Path, out: Path | None, rejects_path: Path | None = None,
              keep: Sequence[str] = (), chunk_rows: int = DEFAULT_CHUNK_ROWS,
              provisions: bool = True,
              progress: Callable[[int], None] | None = None) -> BatchSummary:
    """Decide every case of a file with polars; write results (if `out`) and rejects; count
    everything."""
    if rejects_path is None and out is not None:
        rejects_path = default_rejects(out)
    if cases.exists() and input_format(cases) == "parquet" and (
            out is None or out.suffix.lower() in (".parquet", ".pq")):
        summary = BatchSummary()
        _run_parquet(plan, cases, out, rejects_path, keep, provisions, summary, progress)
        return finish(plan.ruleset, summary)

    def decide(frame: pl.DataFrame, keep: Sequence[str], provisions: bool, offset: int,
               statuses_only: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
        return evaluate_frame(plan, frame, keep, provisions, offset, statuses_only)

    return run_chunks(plan.ruleset, decide, cases, out, rejects_path, keep, chunk_rows,
                      provisions, progress)


def default_rejects(out: Path) -> Path:
    """Where the rejects of results written to `out` go by default."""
    return out.with_name(out.stem + ".rejects.csv")


def run_chunks(ruleset: RuleSet, decide: Decide, cases: Path, out: Path | None,
               rejects_path: Path | None = None, keep: Sequence[str] = (),
               chunk_rows: int = DEFAULT_CHUNK_ROWS, provisions: bool = True,
               progress: Callable[[int], None] | None = None) -> BatchSummary:
    """Any engine's `decide(frame, keep, provisions, offset, statuses_only) -> (results,
    rejects)` over the chunks of a case file, results and rejects appended as chunks finish."""
    import polars as pl

    summary = BatchSummary()
    if rejects_path is None and out is not None:
        rejects_path = default_rejects(out)
    writer = Writer(out) if out is not None else None
    reject_writer = Writer(rejects_path) if rejects_path is not None else None
    counts = summary_exprs(ruleset)
    last_results: pl.DataFrame | None = None
    last_rejects: pl.DataFrame | None = None
    try:
        for chunk in read_frames(cases, chunk_rows):
            missing = [c for c in keep if c not in chunk.columns]
            if missing:
                raise BatchError(f"{cases}: no column {', '.join(missing)} to keep")
            results, rejects = decide(chunk, keep, provisions, summary.rows_in, writer is None)
            summary.rows_in += chunk.height
            summary.rows_evaluated += results.height
            summary.rows_rejected += rejects.height
            if results.height:
                summary.add(results.select(counts).row(0, named=True))
            if rejects.height:
                for reason, count in reason_kinds(rejects).items():
                    summary.reject_reasons[reason] = summary.reject_reasons.get(reason, 0) + count
            if writer is not None:
                if results.height:
                    writer.write(results)
                last_results = results
            if reject_writer is not None and rejects.height:
                reject_writer.write(rejects)
            last_rejects = rejects
            if progress is not None:
                progress(chunk.height)
    finally:
        if writer is not None:
            writer.close(last_results.clear() if last_results is not None else None)
        if reject_writer is not None:
            reject_writer.close(last_rejects.clear() if last_rejects is not None else
                                pl.DataFrame({ROW: [], "reason": []},
                                             schema={ROW: pl.UInt32, "reason": pl.String}))
    return finish(ruleset, summary)


def summary_exprs(ruleset: RuleSet) -> list[pl.Expr]:
    """One count per (action, status) and (conclusion, status): a single-row frame."""
    import polars as pl

    out: list[pl.Expr] = []
    for name in ruleset.actions:
        for status in STATUSES:
            out.append((pl.col(name) == status).sum().alias(f"{name}\0{status}"))
    for name in ruleset.conclusions:
        for status in CONCLUSION_STATUSES:
            out.append((pl.col(f"{name}.status") == status).sum()
                       .alias(f"{name}.status\0{status}"))
    return out


def finish(ruleset: RuleSet, summary: BatchSummary) -> BatchSummary:
    """Every action in the summary, and the row count checked."""
    for name in ruleset.actions:
        summary.actions.setdefault(name, {})
    if not summary.balanced:  # pragma: no cover - invariant
        raise BatchError(f"rows lost: {summary.rows_in} in, {summary.rows_evaluated} evaluated, "
                         f"{summary.rows_rejected} rejected")
    return summary


def _run_parquet(plan: BatchPlan, cases: Path, out: Path | None, rejects_path: Path | None,
                 keep: Sequence[str], provisions: bool, summary: BatchSummary,
                 progress: Callable[[int], None] | None) -> None:
    """A Parquet input (file or folder) as one streaming query over the whole input.

    The plan is optimised once, not once per chunk, and the streaming engine bounds memory by
    its morsels, not by the input (so `chunk_rows` does not apply). Results are sunk to `out` by
    polars' own (parallel) Parquet writer; without `out` only the counts are computed. Rejected
    rows (usually none) are flagged in the same pass and explained in a second, small one.
    """
    import polars as pl

    scan = scan_parquet(cases)
    names = scan.collect_schema().names()
    missing = [c for c in keep if c not in names]
    if missing:
        raise BatchError(f"{cases}: no column {', '.join(missing)} to keep")
    scan = scan.with_row_index(ROW)
    checked = plan.validate(scan, keep, texts=False)
    valid = checked.filter(~pl.col(BAD))
    flagged = checked.select(pl.len().alias(_ROWS), pl.col(BAD).sum().alias(_REJECTED))
    if out is None:
        decided = plan.decide(valid, (), provisions=False, statuses_only=True)
        counts = decided.select([pl.len().alias(_EVALUATED), *summary_exprs(plan.ruleset)])
        totals, flags = pl.collect_all([counts, flagged], engine="streaming")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        results = plan.decide(valid, keep, provisions)
        sink = results.sink_parquet(out, compression="zstd", lazy=True)
        flags = pl.collect_all([sink, flagged], engine="streaming")[1]
        totals = pl.scan_parquet(out).select(
            [pl.len().alias(_EVALUATED), *summary_exprs(plan.ruleset)]).collect()
    row = totals.row(0, named=True)
    summary.rows_in += int(flags.item(0, _ROWS))
    summary.rows_evaluated += int(row.pop(_EVALUATED))
    summary.rows_rejected += int(flags.item(0, _REJECTED))
    if summary.rows_evaluated:
        summary.add(row)
    if summary.rows_rejected or rejects_path is not None:
        bad = checked.filter(pl.col(BAD)).select(ROW)
        rejects = plan.validate(scan.join(bad, on=ROW, how="semi"), keep) \
            .select([ROW, *keep, pl.col(REASON).alias("reason")]) \
            .collect(engine="streaming").sort(ROW)
        for reason, count in reason_kinds(rejects).items():
            summary.reject_reasons[reason] = summary.reject_reasons.get(reason, 0) + count
        if rejects_path is not None:
            writer = Writer(rejects_path)
            try:
                if rejects.height:
                    writer.write(rejects)
            finally:
                writer.close(rejects.clear())
    if progress is not None:
        progress(summary.rows_in)


_EVALUATED = "__evaluated"
_ROWS = "__rows"
_REJECTED = "__rejected"


def reason_kinds(rejects: pl.DataFrame) -> dict[str, int]:
    """Rejections by the field of their first problem (`victim.age`, `offence.kind`, ...)."""
    import polars as pl

    fields = rejects.select(pl.col("reason").str.split(": ").list.first().alias("field"))
    counts = fields.group_by("field").len()
    return {str(f): int(n) for f, n in counts.iter_rows()}


__all__ = ["CONCLUSION_STATUSES", "DEFAULT_CHUNK_ROWS", "STATUSES", "BatchError",
           "BatchSummary", "count_rows", "default_rejects", "evaluate_frame", "finish",
           "reason_kinds", "run_batch", "run_chunks", "summary_exprs"]
