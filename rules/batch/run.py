"""Running a compiled plan over files: chunked reading, results, rejects and the summary.

Inputs: Parquet (a file, or a folder of Parquet files, hive-partitioned or not), CSV, JSONL (dotted
column names, or nested JSON objects). A Parquet input (to a summary or to Parquet results) is
one streaming polars query over the whole input (`_run_parquet`): planned once, memory bounded
by the streaming engine's morsels, results sunk by polars' parallel Parquet writer. Other inputs
are read in chunks; each chunk is validated and decided in one lazy pass, results and rejects
appended to their files as chunks finish, so memory is bounded by the chunk size, not the input.
The row count is an invariant: rows in = rows evaluated + rows rejected, checked for every run
(and every chunk).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rules.batch.exprs import BAD, CONCLUSION_STATUSES, PARSE_ERROR, REASON, ROW, STATUSES
from rules.batch.polars_plan import BatchPlan
from rules.language.source import RulesError

if TYPE_CHECKING:
    import polars as pl
    import pyarrow.parquet as pq

DEFAULT_CHUNK_ROWS = 1_000_000


class BatchError(RulesError):
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

    def to_dict(self) -> dict[str, Any]:
        return {"rows_in": self.rows_in, "rows_evaluated": self.rows_evaluated,
                "rows_rejected": self.rows_rejected, "balanced": self.balanced,
                "actions": self.actions, "conclusions": self.conclusions,
                "reject_reasons": self.reject_reasons}


# ---- reading ---------------------------------------------------------------------------------

def input_format(path: Path) -> str:
    if path.is_dir():
        return "parquet"
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise BatchError(f"{path}: read cases from .parquet (or a folder of them), .csv or .jsonl")


def count_rows(path: Path) -> int | None:
    """The number of rows, when it is cheap to know (Parquet metadata); else None."""
    import polars as pl

    if input_format(path) != "parquet":
        return None
    return int(_scan_parquet(path).select(pl.len()).collect().item())


def _scan_parquet(path: Path) -> pl.LazyFrame:
    import polars as pl

    if path.is_dir():
        return pl.scan_parquet(path / "**" / "*.parquet", hive_partitioning=True)
    return pl.scan_parquet(path)


def read_chunks(path: Path, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pl.DataFrame]:
    """The input in chunks of at most about `chunk_rows` rows, in order, every row once."""
    if not path.exists():
        raise BatchError(f"{path}: no such file or folder")
    fmt = input_format(path)
    if fmt == "parquet":
        yield from _parquet_chunks(path, chunk_rows)
    elif fmt == "csv":
        yield from _csv_chunks(path, chunk_rows)
    else:
        yield from _jsonl_chunks(path, chunk_rows)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    total = count_rows(path) or 0
    scan = _scan_parquet(path)
    for start in range(0, total, chunk_rows):
        yield scan.slice(start, chunk_rows).collect()


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    import polars as pl
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        return
    types = {name: pa.string() for name in header}
    reader = pacsv.open_csv(
        path, read_options=pacsv.ReadOptions(block_size=max(1 << 20, chunk_rows * 64)),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                             quoted_strings_can_be_null=True))
    for batch in reader:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        yield frame


def _jsonl_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    with open(path, "rb") as handle:
        lines: list[bytes] = []
        for line in handle:
            if not line.strip():
                continue
            lines.append(line)
            if len(lines) >= chunk_rows:
                yield _jsonl_frame(lines)
                lines = []
        if lines:
            yield _jsonl_frame(lines)


def _jsonl_frame(lines: list[bytes]) -> pl.DataFrame:
    import polars as pl

    try:
        frame = pl.read_ndjson(io.BytesIO(b"".join(lines)), infer_schema_length=None)
        if frame.height != len(lines):
            raise ValueError("row count")
        return _flatten(frame)
    except Exception:  # one bad line: parse line by line, reject only that line
        return _jsonl_slow(lines)


def _flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested JSON objects (struct columns) to dotted columns: `victim.age`."""
    import polars as pl

    while any(isinstance(dtype, pl.Struct) for dtype in frame.dtypes):
        exprs: list[pl.Expr] = []
        for name, dtype in frame.schema.items():
            if isinstance(dtype, pl.Struct):
                exprs.extend(pl.col(name).struct.field(f.name).alias(f"{name}.{f.name}")
                             for f in dtype.fields)
            else:
                exprs.append(pl.col(name))
        frame = frame.select(exprs)
    return frame


def _jsonl_slow(lines: list[bytes]) -> pl.DataFrame:
    """Line by line: malformed lines are rejected; values are given as text and typed later."""
    import polars as pl

    rows: list[dict[str, str | None]] = []
    for line in lines:
        row: dict[str, str | None] = {}
        try:
            data = json.loads(line)
        except ValueError as error:
            row[PARSE_ERROR] = f"not valid JSON: {error}"
        else:
            if isinstance(data, dict):
                _flatten_dict(data, "", row)
            else:
                row[PARSE_ERROR] = f"a case is a JSON object, not {type(data).__name__}"
        rows.append(row)
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return pl.DataFrame({name: [row.get(name) for row in rows] for name in names},
                        schema={name: pl.String for name in names}, height=len(rows))


def _flatten_dict(data: dict[str, Any], prefix: str, out: dict[str, str | None]) -> None:
    for key, value in data.items():
        name = prefix + key
        if isinstance(value, dict):
            _flatten_dict(value, name + ".", out)
        elif value is None:
            out[name] = None
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (int, float, str)):
            out[name] = str(value)
        else:
            out[name] = json.dumps(value)


# ---- writing ---------------------------------------------------------------------------------

class _Writer:
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
    checked = plan.validate(frame.lazy(), keep, texts=False).collect()
    bad = checked.get_column(BAD)
    if bad.any():
        # Explain only the flagged rows: reason texts cost more than the whole decision.
        rejects = plan.validate(frame.filter(bad).lazy(), keep).select(
            [ROW, *keep, pl.col(REASON).alias("reason")]).collect()
        checked = checked.filter(~pl.col(BAD))
    else:
        rejects = frame.head(0).select([ROW, *keep]).with_columns(
            pl.lit("", pl.String).alias("reason"))
    results = plan.decide(checked.lazy(), keep, provisions, statuses_only).collect()
    if results.height + rejects.height != frame.height:  # pragma: no cover - invariant
        raise BatchError(f"rows lost: {frame.height} in, {results.height} evaluated, "
                         f"{rejects.height} rejected")
    return results, rejects


def run_batch(plan: BatchPlan, cases: Path, out: Path | None, rejects_path: Path | None = None,
              keep: Sequence[str] = (), chunk_rows: int = DEFAULT_CHUNK_ROWS,
              provisions: bool = True,
              progress: Callable[[int], None] | None = None) -> BatchSummary:
    """Decide every case of a file; write results (if `out`) and rejects; count everything."""
    import polars as pl

    summary = BatchSummary()
    if rejects_path is None and out is not None:
        rejects_path = out.with_name(out.stem + ".rejects.csv")
    if cases.exists() and input_format(cases) == "parquet" and (
            out is None or out.suffix.lower() in (".parquet", ".pq")):
        _run_parquet(plan, cases, out, rejects_path, keep, provisions, summary, progress)
        return _finish(plan, summary)
    writer = _Writer(out) if out is not None else None
    reject_writer = _Writer(rejects_path) if rejects_path is not None else None
    summary_exprs = plan.summary_exprs()
    last_results: pl.DataFrame | None = None
    last_rejects: pl.DataFrame | None = None
    try:
        for chunk in read_chunks(cases, chunk_rows):
            missing = [c for c in keep if c not in chunk.columns]
            if missing:
                raise BatchError(f"{cases}: no column {', '.join(missing)} to keep")
            results, rejects = evaluate_frame(plan, chunk, keep, provisions,
                                              offset=summary.rows_in,
                                              statuses_only=writer is None)
            summary.rows_in += chunk.height
            summary.rows_evaluated += results.height
            summary.rows_rejected += rejects.height
            if results.height:
                summary.add(results.select(summary_exprs).row(0, named=True))
            if rejects.height:
                for reason, count in _reason_kinds(rejects).items():
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
    return _finish(plan, summary)


def _finish(plan: BatchPlan, summary: BatchSummary) -> BatchSummary:
    for name in plan.actions:
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

    scan = _scan_parquet(cases)
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
        counts = decided.select([pl.len().alias(_EVALUATED), *plan.summary_exprs()])
        totals, flags = pl.collect_all([counts, flagged], engine="streaming")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        results = plan.decide(valid, keep, provisions)
        sink = results.sink_parquet(out, compression="zstd", lazy=True)
        flags = pl.collect_all([sink, flagged], engine="streaming")[1]
        totals = pl.scan_parquet(out).select(
            [pl.len().alias(_EVALUATED), *plan.summary_exprs()]).collect()
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
        for reason, count in _reason_kinds(rejects).items():
            summary.reject_reasons[reason] = summary.reject_reasons.get(reason, 0) + count
        if rejects_path is not None:
            writer = _Writer(rejects_path)
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


def _reason_kinds(rejects: pl.DataFrame) -> dict[str, int]:
    """Rejections by the field of their first problem (`victim.age`, `offence.kind`, ...)."""
    import polars as pl

    fields = rejects.select(pl.col("reason").str.split(": ").list.first().alias("field"))
    counts = fields.group_by("field").len()
    return {str(f): int(n) for f, n in counts.iter_rows()}


__all__ = ["CONCLUSION_STATUSES", "DEFAULT_CHUNK_ROWS", "STATUSES", "BatchError",
           "BatchSummary", "count_rows", "evaluate_frame", "read_chunks", "run_batch"]
