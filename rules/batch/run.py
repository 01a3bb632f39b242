"""Running a compiled plan over files: results, rejects and the summary.

Inputs are read by the one reader of case files (`rules.cases.read`). A Parquet input (to a
summary or to Parquet results) is one streaming polars query over the whole input
(`_run_parquet`): planned once, memory bounded by the streaming engine's morsels, results sunk by
polars' parallel Parquet writer. Other inputs, and every engine without a whole-file path of its
own, go chunk by chunk (`run_chunks`, any engine's `decide`): results and rejects are appended
to their files as chunks finish, so memory is bounded by the chunk size, not the input. The row
count is an invariant: rows in = rows evaluated + rows rejected, checked for every run (and
every chunk).

Outputs are checked before anything is read or written (`check_outputs`: suffixes, folders, no
output is an input or the other output) and written whole or not at all (`Writer`,
`rules.files.atomic_path`): on any error or interruption (SIGINT, SIGTERM: `signals_deferred`,
checked between chunks) the previous results and rejects files are left as they were.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from rules.batch.exprs import BAD, CONCLUSION_STATUSES, PARSE_ERROR, REASON, ROW, STATUSES
from rules.batch.polars_plan import BatchPlan
from rules.cases.read import (
    DEFAULT_CHUNK_ROWS,
    BatchError,
    check_input,
    count_rows,
    input_format,
    parquet_null_counts,
    read_frames,
    reading,
    scan_cases,
)

if TYPE_CHECKING:
    import polars as pl
    import pyarrow.parquet as pq

    from rules.language.ruleset import RuleSet

IN_MEMORY: Final = "in-memory"
RESULT_SUFFIXES: Final = (".parquet", ".pq", ".csv")


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
        """The summary as JSON data, in a fixed order (the same input gives the same bytes):
        actions and conclusions in rule-set order, statuses in their order, reasons by name."""
        def ordered(table: dict[str, dict[str, int]], order: Sequence[str]) -> dict[str, Any]:
            return {name: {k: counts[k] for k in sorted(counts, key=lambda k: (
                order.index(k) if k in order else len(order), k))}
                for name, counts in table.items()}

        return {"rows_in": self.rows_in, "rows_evaluated": self.rows_evaluated,
                "rows_rejected": self.rows_rejected, "balanced": self.balanced,
                "actions": ordered(self.actions, STATUSES),
                "conclusions": ordered(self.conclusions, CONCLUSION_STATUSES),
                "reject_reasons": dict(sorted(self.reject_reasons.items()))}


# ---- checking --------------------------------------------------------------------------------

RESERVED = (ROW, REASON, BAD)


def reserved_columns(names: Sequence[str], keep: Sequence[str] = (),
                     path: Path | None = None) -> None:
    """Refuse an input column (or a kept one) with a name the engine gives its own columns."""
    for name in (*names, *keep):
        if name in RESERVED or (name == PARSE_ERROR and name in keep):
            where = f"{path}: " if path is not None else ""
            raise BatchError(f"{where}the column name {name!r} is reserved (results have their "
                             "own `row` column); rename that column")


def check_outputs(cases: Path, out: Path | None, rejects_path: Path | None,
                  folder: bool = False) -> tuple[Path | None, Path | None]:
    """Check the input and both outputs before anything is read or written: suffixes, folders,
    and that no output is the input (or inside an input folder, or a folder holding the input)
    or the other output. With `folder`, `out` is a folder of Parquet files (Spark, a
    partitioned DuckDB run), replaced whole when the run succeeds."""
    from rules.files import check_output

    if not cases.exists() and not cases.is_symlink():
        raise BatchError(f"{cases}: no such file or folder")
    input_format(cases)
    if out is not None and folder:
        target: Path | None = check_folder_output(out, cases)
    else:
        target = check_output(out, RESULT_SUFFIXES, [cases], "results", make_folder=True) \
            if out is not None else None
    rejects = check_output(rejects_path, RESULT_SUFFIXES, [cases, out], "rejects",
                           make_folder=True) if rejects_path is not None else None
    check_input(cases)
    return target, rejects


def check_folder_output(out: Path, cases: Path) -> Path:
    """A results folder: not a file, not the input, not inside the input folder and not a
    folder that holds the input (replacing it would delete the input)."""
    import os

    text = str(out)
    if text in ("", "."):
        raise BatchError(f"results {text!r}: give a folder name")
    if out.exists() and not out.is_dir():
        raise BatchError(f"{out}: results go to a folder of Parquet files here, not a file")
    real = Path(os.path.realpath(out))
    source = Path(os.path.realpath(cases))
    if real == source or source.is_relative_to(real):
        raise BatchError(f"{out}: the results would replace the input {cases}; write them "
                         "elsewhere")
    if source.is_dir() and real.is_relative_to(source):
        raise BatchError(f"{out}: the results would be written inside the input folder "
                         f"{cases}; write them elsewhere")
    return out


def default_rejects(out: Path) -> Path:
    """Where the rejects of results written to `out` go by default."""
    return out.with_name(out.stem + ".rejects.csv")


# ---- writing ---------------------------------------------------------------------------------

class Writer:
    """Appends frames to a Parquet or CSV file, written to a temporary file beside it and
    renamed over it only by `commit` (`rules.files.atomic_path`): a run that fails or is
    interrupted (`abort`) leaves the previous file as it was. In CSV, lists are joined with `|`
    and text cells that a spreadsheet would run as a formula are quoted (`safe_csv`)."""

    def __init__(self, path: Path):
        from rules.files import atomic_path

        if path.suffix.lower() not in RESULT_SUFFIXES:
            raise BatchError(f"{path}: write results to .parquet or .csv")
        self.path = path
        self.parquet = path.suffix.lower() != ".csv"
        self._atomic = atomic_path(path)
        try:
            self.temp = self._atomic.__enter__()
            self._handle = open(self.temp, "wb")
        except BaseException as error:
            with contextlib.suppress(BaseException):
                self._atomic.__exit__(type(error), error, error.__traceback__)
            raise
        self._pq: pq.ParquetWriter | None = None
        self._first = True

    def write(self, frame: pl.DataFrame) -> None:
        if self.parquet:
            import pyarrow.parquet as pq

            table = frame.to_arrow()
            if self._pq is None:
                self._pq = pq.ParquetWriter(self._handle, table.schema, compression="zstd")
            self._pq.write_table(table.cast(self._pq.schema))
        else:
            safe_csv(frame).write_csv(self._handle, include_header=self._first)
        self._first = False

    def commit(self, empty: pl.DataFrame | None = None) -> None:
        """Finish the file (a file with no rows still has its schema or header) and put it in
        place of the target."""
        if self._first and empty is not None:
            self.write(empty)
        if self._pq is not None:
            self._pq.close()
        self._handle.close()
        self._atomic.__exit__(None, None, None)

    def abort(self, error: BaseException | None = None) -> None:
        """Drop the temporary file; the target is untouched."""
        if self._pq is not None:
            with contextlib.suppress(Exception):
                self._pq.close()
        self._handle.close()
        error = error or RuntimeError("aborted")
        try:
            self._atomic.__exit__(type(error), error, error.__traceback__)
        except BaseException:   # the clean-up re-raises the error it was given
            pass


@contextmanager
def writing(path: Path | None) -> Iterator[Writer | None]:
    """A `Writer` for `path` (None: nothing to write), aborted if the block raises; the block
    commits it."""
    if path is None:
        yield None
        return
    writer = Writer(path)
    try:
        yield writer
    except BaseException as error:
        writer.abort(error)
        raise


def write_whole(path: Path, frame: pl.DataFrame) -> None:
    """A whole frame to `path` (Parquet or CSV), atomically; no rows still gives a valid file."""
    with writing(path) as writer:
        assert writer is not None
        if frame.height:
            writer.write(frame)
        writer.commit(frame.clear())


def safe_csv(frame: pl.DataFrame) -> pl.DataFrame:
    """A frame as it should go to a CSV file: lists joined with `|`, and every text cell and
    column name that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage
    return first) quoted with a leading `'`."""
    import polars as pl

    from rules.text import csv_cell

    columns = []
    risky = r"^[=+@\-\t\r]"        # FORMULA_PREFIXES as a (Rust) regex class
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.List):
            column = column.cast(pl.List(pl.String)).list.join("|")
        if isinstance(dtype, (pl.List, pl.String, pl.Categorical, pl.Enum)):
            text = column.cast(pl.String)
            column = pl.when(text.str.contains(risky)).then(pl.lit("'") + text) \
                .otherwise(text)
        columns.append(column.alias(csv_cell(name)))
    return frame.select(columns)


# ---- running ---------------------------------------------------------------------------------

def evaluate_frame(plan: BatchPlan, frame: pl.DataFrame, keep: Sequence[str] = (),
                   provisions: bool = True, offset: int = 0,
                   statuses_only: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(results, rejects) of an in-memory table of cases; `row` numbers start at `offset`."""
    import polars as pl

    reserved_columns(frame.columns, keep)
    frame = frame.with_row_index(ROW, offset=offset)
    # One lazy plan from the frame to the results (validation, decision, the bad-row flag
    # carried along), on the in-memory engine: polars 2 streams by default, which costs more
    # than it saves on a frame already in memory. Bad rows are decided too, then dropped.
    checked = plan.validate(frame.lazy(), keep, texts=False)
    complete = plan.complete(dict(zip(frame.columns, frame.null_count().row(0), strict=True)))
    decided = plan.decide(checked, (*keep, BAD), provisions, statuses_only, complete) \
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
    everything. Outputs are written whole or not at all."""
    from rules.files import signals_deferred

    if rejects_path is None and out is not None:
        rejects_path = default_rejects(out)
    out, rejects_path = check_outputs(cases, out, rejects_path)
    if input_format(cases) == "parquet" and (
            out is None or out.suffix.lower() in (".parquet", ".pq")):
        summary = BatchSummary()
        with signals_deferred(), reading(cases):   # a signal stops it before any commit
            _run_parquet(plan, cases, out, rejects_path, keep, provisions, summary, progress)
        return finish(plan.ruleset, summary)

    def decide(frame: pl.DataFrame, keep: Sequence[str], provisions: bool, offset: int,
               statuses_only: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
        return evaluate_frame(plan, frame, keep, provisions, offset, statuses_only)

    return run_chunks(plan.ruleset, decide, cases, out, rejects_path, keep, chunk_rows,
                      provisions, progress)


def run_chunks(ruleset: RuleSet, decide: Decide, cases: Path, out: Path | None,
               rejects_path: Path | None = None, keep: Sequence[str] = (),
               chunk_rows: int = DEFAULT_CHUNK_ROWS, provisions: bool = True,
               progress: Callable[[int], None] | None = None) -> BatchSummary:
    """Any engine's `decide(frame, keep, provisions, offset, statuses_only) -> (results,
    rejects)` over the chunks of a case file, results and rejects appended as chunks finish
    and committed (renamed into place) only when every chunk is done."""
    from rules.files import FileError, describe_os_error, signals_deferred

    summary = BatchSummary()
    if rejects_path is None and out is not None:
        rejects_path = default_rejects(out)
    out, rejects_path = check_outputs(cases, out, rejects_path)
    with signals_deferred(), ExitStack() as stack:   # a signal stops it at the next chunk
        try:
            writer = stack.enter_context(writing(out))
            reject_writer = stack.enter_context(writing(rejects_path))
            empty_results, empty_rejects = _chunks(ruleset, decide, cases, keep, chunk_rows,
                                                   provisions, summary, progress, writer,
                                                   reject_writer)
            if writer is not None:
                writer.commit(empty_results)
            if reject_writer is not None:
                reject_writer.commit(empty_rejects)
        except OSError as error:
            raise FileError(f"{out or rejects_path}: cannot write: "
                            f"{describe_os_error(error)}; the previous output files are "
                            "unchanged") from None
    return finish(ruleset, summary)


def _chunks(ruleset: RuleSet, decide: Decide, cases: Path, keep: Sequence[str],
            chunk_rows: int, provisions: bool, summary: BatchSummary,
            progress: Callable[[int], None] | None, writer: Writer | None,
            reject_writer: Writer | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read, decide and write chunk by chunk; the empty results and rejects frames (with
    their schemas) for files that get no row."""
    import polars as pl

    from rules.files import check_interrupted

    counts = summary_exprs(ruleset)
    kinds = {path: fact.type.kind for path, fact in ruleset.facts.items()}
    last: tuple[pl.DataFrame, pl.DataFrame] | None = None
    for chunk in read_frames(cases, chunk_rows, kinds):
        check_interrupted()
        missing = [c for c in keep if c not in chunk.columns]
        if missing:
            raise BatchError(f"{cases}: no column {', '.join(missing)} to keep")
        reserved_columns(chunk.columns, keep, cases)
        results, rejects = decide(chunk, keep, provisions, summary.rows_in, writer is None)
        summary.rows_in += chunk.height
        summary.rows_evaluated += results.height
        summary.rows_rejected += rejects.height
        if results.height:
            summary.add(results.select(counts).row(0, named=True))
        if rejects.height:
            for reason, count in reason_kinds(rejects).items():
                summary.reject_reasons[reason] = summary.reject_reasons.get(reason, 0) + count
        if writer is not None and results.height:
            writer.write(results)
        if reject_writer is not None and rejects.height:
            reject_writer.write(rejects)
        last = (results.clear(), rejects.clear())
        if progress is not None:
            progress(chunk.height)
    if last is not None:
        return last
    if any(keep):
        raise BatchError(f"{cases}: no column {', '.join(keep)} to keep")
    results, rejects = decide(pl.DataFrame(), (), provisions, 0, writer is None)
    return results.clear(), rejects.clear()


def summary_exprs(ruleset: RuleSet, where: pl.Expr | None = None) -> list[pl.Expr]:
    """One count per (action, status) and (conclusion, status): a single-row frame; with
    `where`, only the rows where it holds are counted."""
    import polars as pl

    def count(test: pl.Expr) -> pl.Expr:
        return (test if where is None else test & where).sum()

    out: list[pl.Expr] = []
    for name in ruleset.actions:
        for status in STATUSES:
            out.append(count(pl.col(name) == status).alias(f"{name}\0{status}"))
    for name in ruleset.conclusions:
        for status in CONCLUSION_STATUSES:
            out.append(count(pl.col(f"{name}.status") == status)
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
    its morsels, not by the input (so `chunk_rows` does not apply). Results are sunk by polars'
    own (parallel) Parquet writer into a temporary file beside `out`, renamed over it when the
    run succeeds; without `out` only the counts are computed. Rejected rows (usually none) are
    flagged in the same pass and explained in a second, small one.
    """
    import polars as pl

    from rules.files import atomic_path

    scan = scan_cases(cases)
    names = scan.collect_schema().names()
    reserved_columns(names, keep, cases)
    missing = [c for c in keep if c not in names]
    if missing:
        raise BatchError(f"{cases}: no column {', '.join(missing)} to keep")
    scan = scan.with_row_index(ROW)
    checked = plan.validate(scan, keep, texts=False)
    complete = plan.complete(parquet_null_counts(cases))
    with ExitStack() as outputs:
        if out is None:
            # one pass: every row decided (a flagged one too, as `evaluate_frame` does), the
            # flagged ones left out of the counts; no filter, no second scan for the flags
            decided = plan.decide(checked, (BAD,), provisions=False, statuses_only=True,
                                  complete=complete)
            good = ~pl.col(BAD)
            both = decided.select([pl.len().alias(_ROWS), pl.col(BAD).sum().alias(_REJECTED),
                                   good.sum().alias(_EVALUATED),
                                   *summary_exprs(plan.ruleset, good)]) \
                .collect(engine="streaming")
            flags, totals = both.select(_ROWS, _REJECTED), both.drop(_ROWS, _REJECTED)
        else:
            temp = outputs.enter_context(atomic_path(out))
            results = plan.decide(checked.filter(~pl.col(BAD)), keep, provisions,
                                  complete=complete)
            flagged = checked.select(pl.len().alias(_ROWS), pl.col(BAD).sum().alias(_REJECTED))
            sink = results.sink_parquet(temp, compression="zstd", lazy=True)
            flags = pl.collect_all([sink, flagged], engine="streaming")[1]
            totals = pl.scan_parquet(temp).select(
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
                write_whole(rejects_path, rejects)
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


__all__ = ["CONCLUSION_STATUSES", "DEFAULT_CHUNK_ROWS", "RESULT_SUFFIXES", "STATUSES",
           "BatchError", "BatchSummary", "Writer", "check_folder_output", "check_outputs",
           "count_rows", "default_rejects", "evaluate_frame", "finish", "reason_kinds",
           "reserved_columns", "run_batch", "run_chunks", "safe_csv", "summary_exprs",
           "write_whole", "writing"]
