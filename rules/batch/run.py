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

import contextlib
import csv
import errno
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rules.batch.exprs import BAD, CONCLUSION_STATUSES, PARSE_ERROR, REASON, ROW, STATUSES
from rules.batch.polars_plan import BatchPlan
from rules.language.source import RulesError
from rules.limits import MAX_COLUMNS, MAX_LINE_BYTES

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


def check_input(path: Path) -> str:
    """The input's format, after checking that it can be read at all (a regular file, or a
    folder holding Parquet files)."""
    from rules.files import FileError, regular_file

    if path.is_dir():
        if not any(path.glob("**/*.parquet")):
            raise BatchError(f"{path}: no .parquet files in this folder")
        return "parquet"
    fmt = input_format(path)
    try:
        regular_file(path, "case file")
    except FileError as error:
        raise BatchError(str(error)) from None
    return fmt


def input_error(path: Path, error: BaseException) -> BatchError:
    """A reader's exception (polars, pyarrow, OS) as one line naming the input."""
    from rules.files import describe_os_error

    if isinstance(error, OSError) and error.errno is not None:
        return BatchError(f"{path}: cannot read: {describe_os_error(error)}")
    text = str(error).strip().splitlines()
    first = next((line for line in text if line.strip()), type(error).__name__)
    for words, code in (("No space left", errno.ENOSPC), ("os error 28", errno.ENOSPC),
                        ("File too large", errno.EFBIG), ("os error 27", errno.EFBIG),
                        ("Read-only file system", errno.EROFS), ("os error 30", errno.EROFS),
                        ("Permission denied", errno.EACCES), ("os error 13", errno.EACCES)):
        if words in str(error):
            reason = describe_os_error(OSError(code, os.strerror(code)))
            return BatchError(f"cannot write the results: {reason}; the previous output files "
                              "are unchanged")
    if "invalid utf" in first.lower() or "utf-8" in first.lower():
        first = "not UTF-8 text; save the file as UTF-8"
    return BatchError(f"{path}: cannot read the cases: {first[:300]}")


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn any failure of the readers on a malformed input into a `BatchError`."""
    import polars as pl
    import pyarrow as pa

    try:
        yield
    except (RulesError, KeyboardInterrupt, MemoryError):
        raise
    except (pl.exceptions.PolarsError, pa.ArrowException, OSError, ValueError,
            UnicodeDecodeError, csv.Error) as error:
        raise input_error(path, error) from None
    except BaseException as error:
        if type(error).__name__ == "PanicException":   # a reader's internal failure (Rust)
            raise input_error(path, error) from None
        raise


def count_rows(path: Path) -> int | None:
    """The number of rows, when it is cheap to know (Parquet metadata); else None."""
    import polars as pl

    if input_format(path) != "parquet":
        return None
    try:
        with reading(path):
            return int(_scan_parquet(path).select(pl.len()).collect().item())
    except BatchError:
        return None


def _scan_parquet(path: Path) -> pl.LazyFrame:
    import polars as pl

    if path.is_dir():
        return pl.scan_parquet(path / "**" / "*.parquet", hive_partitioning=True)
    return pl.scan_parquet(path)


def read_chunks(path: Path, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                kinds: Mapping[str, str] | None = None) -> Iterator[pl.DataFrame]:
    """The input in chunks of at most about `chunk_rows` rows, in order, every row once.

    `kinds` (fact path -> type kind) lets a JSONL reader type JSON values exactly as the
    interpreter does (`cases.values.from_json`); CSV cells are text, typed by `validate`.
    """
    if not path.exists() and not path.is_symlink():
        raise BatchError(f"{path}: no such file or folder")
    fmt = check_input(path)
    with reading(path):
        if fmt == "parquet":
            yield from _parquet_chunks(path, chunk_rows)
        elif fmt == "csv":
            yield from _csv_chunks(path, chunk_rows)
        else:
            yield from _jsonl_chunks(path, chunk_rows, kinds or {})


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    import polars as pl

    scan = _flatten_structs(_scan_parquet(path))
    _unique_columns(path, scan.collect_schema().names())
    total = int(scan.select(pl.len()).collect().item())
    for start in range(0, total, chunk_rows):
        yield scan.slice(start, chunk_rows).collect()


RESERVED = (ROW, REASON, BAD)


def reserved_columns(names: Sequence[str], keep: Sequence[str] = (),
                     path: Path | None = None) -> None:
    """Refuse an input column (or a kept one) with a name the engine gives its own columns."""
    for name in (*names, *keep):
        if name in RESERVED or (name == PARSE_ERROR and name in keep):
            where = f"{path}: " if path is not None else ""
            raise BatchError(f"{where}the column name {name!r} is reserved (results have their "
                             "own `row` column); rename that column")


def _flatten_structs(scan: pl.LazyFrame) -> pl.LazyFrame:
    """Nested columns (a Parquet struct `victim` with a field `age`) as dotted columns
    (`victim.age`), as JSONL objects are read and as the per-case reader nests them."""
    import polars as pl

    for _ in range(8):             # a case has groups of facts, not deep trees
        schema = scan.collect_schema()
        if not any(isinstance(dtype, pl.Struct) for dtype in schema.dtypes()):
            break
        exprs: list[pl.Expr] = []
        for name, dtype in schema.items():
            if isinstance(dtype, pl.Struct):
                exprs.extend(pl.col(name).struct.field(f.name).alias(f"{name}.{f.name}")
                             for f in dtype.fields)
            else:
                exprs.append(pl.col(name))
        scan = scan.select(exprs)
    return scan


def _unique_columns(path: Path, names: Sequence[str]) -> None:
    """Refuse duplicate column names, and more columns than `limits.MAX_COLUMNS`."""
    if len(names) > MAX_COLUMNS:
        raise BatchError(f"{path}: {len(names):,} columns; a batch input may have at most "
                         f"{MAX_COLUMNS:,}")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise BatchError(f"{path}: the column {name!r} appears twice")
        seen.add(name)


def _csv_header(path: Path) -> list[str] | None:
    with open(path, "rb") as handle:
        first = handle.readline(MAX_LINE_BYTES + 1)
    if len(first) > MAX_LINE_BYTES:
        raise BatchError(f"{path}:1: the header line is longer than {MAX_LINE_BYTES:,} bytes")
    from rules.files import decode

    text = decode(first, f"{path}")
    return next(csv.reader([text]), None)


def _closed_quotes(path: Path) -> None:
    """Refuse a CSV file with a quote that is never closed (the reader would swallow the rest
    of the file into one cell, where Python's reader stops): an odd number of `"`, counted
    fast; the opening quote is then located for the message."""
    odd = False
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            odd ^= block.count(b'"') % 2 == 1
    if not odd:
        return
    line = opened = 1
    inside = False
    with open(path, "rb") as handle:
        for text in handle:
            for index in range(len(text)):
                if text[index] == 34:      # '"'
                    inside = not inside
                    if inside:
                        opened = line
            line += 1
    raise BatchError(f"{path}:{opened}: a quoted cell is never closed (a `\"` without its "
                     "closing `\"`)")


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    import polars as pl
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = _csv_header(path)
    if not header:
        return
    _unique_columns(path, header)
    _closed_quotes(path)
    types = {name: pa.string() for name in header}
    reader = pacsv.open_csv(
        path, read_options=pacsv.ReadOptions(block_size=max(1 << 20, min(chunk_rows, 1 << 16)
                                                            * 64)),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                             quoted_strings_can_be_null=True,
                                             null_values=[""]))
    for batch in reader:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        yield frame


def _jsonl_chunks(path: Path, chunk_rows: int,
                  kinds: Mapping[str, str]) -> Iterator[pl.DataFrame]:
    """JSONL read line by line with Python's JSON (and the limits of `rules.limits`), so that
    each value keeps its JSON type: polars' reader would turn `12` into `"12"` beside a text
    value, or keep the first of two duplicate keys."""
    rows: list[dict[str, Any]] = []
    groups = fact_groups(kinds)
    first = True
    with open(path, "rb") as handle:
        while True:
            line = handle.readline(MAX_LINE_BYTES + 1)
            if not line:
                break
            if first:                               # a byte-order mark is allowed
                line, first = line.removeprefix(b"\xef\xbb\xbf"), False
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
                rows.append({PARSE_ERROR: f"a line longer than {MAX_LINE_BYTES:,} bytes"})
            elif not line.strip():
                continue
            else:
                rows.append(_jsonl_row(line, kinds, groups))
            if len(rows) >= chunk_rows:
                yield rows_frame(rows, kinds)
                rows = []
    if rows:
        yield rows_frame(rows, kinds)


def _jsonl_row(line: bytes, kinds: Mapping[str, str],
               groups: frozenset[str]) -> dict[str, Any]:
    """One JSONL line as dotted columns; its problems in `PARSE_ERROR`."""
    from rules.files import decode_line
    from rules.limits import JsonError, load_json

    try:
        data = load_json(decode_line(line), "line")
    except JsonError as error:
        return {PARSE_ERROR: error.in_line}
    except ValueError as error:
        return {PARSE_ERROR: str(error)}
    if not isinstance(data, dict):
        return {PARSE_ERROR: f"a case is a JSON object, not {type(data).__name__}"}
    return typed_row(data, kinds, groups)


def fact_groups(kinds: Mapping[str, str]) -> frozenset[str]:
    """The groups of facts (`victim` for `victim.age`, and every dotted prefix)."""
    return frozenset(path[:i] for path in kinds for i, c in enumerate(path) if c == ".")


def typed_row(data: dict[str, Any], kinds: Mapping[str, str],
              groups: frozenset[str] | None = None) -> dict[str, Any]:
    """A case as JSON data (nested groups or dotted keys) to one row of dotted columns, each
    fact's value read by the JSON grammar of `cases.values.from_json`, exactly as the case
    model reads it; the problems go in `PARSE_ERROR`, other keys are kept as text."""
    from rules.cases.values import from_json, shown

    if groups is None:
        groups = fact_groups(kinds)
    flat: dict[str, Any] = {}
    problems: list[str] = []
    stack: list[tuple[str, dict[str, Any]]] = [("", data)]
    while stack:
        prefix, node = stack.pop()
        for key, value in node.items():
            if type(key) is not str:
                problems.append(f"{prefix}{shown(key)}: a key must be text")
                continue
            name = prefix + key if prefix else key
            kind = kinds.get(name)
            if kind is not None:                      # a fact: most keys
                if name in flat:
                    problems.append(f"{name}: given twice")
                elif value is None:
                    continue
                elif type(value) is _PLAIN.get(kind) and (   # the common case, no call
                        kind != "integer" or value in _INT64):
                    flat[name] = value
                else:
                    try:
                        flat[name] = from_json(kind, value)
                    except ValueError as error:
                        problems.append(f"{name}: {error}")
            elif name in groups:
                if isinstance(value, dict):
                    stack.append((name + ".", value))
                elif value is not None:               # a group given as null: all unknown
                    problems.append(f"{name}: a group of facts is a JSON object")
            elif name in flat or name in (*RESERVED, PARSE_ERROR):
                problems.append(f"{name}: " + ("given twice" if name in flat else
                                               "unknown field"))
            else:          # not a fact: an unknown field, even when null (as in the case
                flat[name] = _as_text(value)   # model), unless the run keeps it
    if problems:
        flat[PARSE_ERROR] = "; ".join(problems)
    return flat


_PLAIN: dict[str, type] = {"boolean": bool, "integer": int, "enum": str, "text": str}
"""The Python type of a JSON value that `from_json` returns as it is, per fact kind."""
_INT64 = range(-(2**63), 2**63)


def _as_text(value: Any) -> str:
    """A value that is not a fact's (an unknown field, a kept column) as text."""
    from rules.cases.values import shown

    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=repr)
    except (ValueError, TypeError, RecursionError):
        return shown(value)


def rows_frame(rows: list[dict[str, Any]], kinds: Mapping[str, str]) -> pl.DataFrame:
    """Rows from `typed_row` as a frame: a fact's column has its type's dtype."""
    import polars as pl

    dtypes = {"integer": pl.Int64, "boolean": pl.Boolean, "date": pl.Date}
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    if not names:
        return pl.DataFrame(height=len(rows))
    schema = {name: dtypes.get(kinds.get(name, ""), pl.String) for name in names}
    return pl.from_dicts(rows, schema=schema)


# ---- writing ---------------------------------------------------------------------------------

RESULT_SUFFIXES = (".parquet", ".pq", ".csv")


class _Writer:
    """Appends frames to a Parquet or CSV file, written to a temporary file beside it and
    renamed over it only by `commit` (`rules.files.atomic_path`): a run that fails or is
    interrupted leaves the previous file as it was. In CSV, lists are joined with `|` and text
    cells that a spreadsheet would run as a formula are quoted (`rules.text.csv_cell`)."""

    def __init__(self, path: Path):
        from rules.files import atomic_path

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

    def commit(self, empty: pl.DataFrame) -> None:
        """Finish the file (a file with no rows still has its schema or header) and put it in
        place of the target."""
        if self._first:
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


def check_outputs(cases: Path, out: Path | None,
                  rejects_path: Path | None) -> tuple[Path | None, Path | None]:
    """Check the input and both outputs before anything is read or written: suffixes, folders,
    and that no output is the input (or inside an input folder) or the other output."""
    from rules.files import check_output

    if not cases.exists() and not cases.is_symlink():
        raise BatchError(f"{cases}: no such file or folder")
    input_format(cases)
    target = check_output(out, RESULT_SUFFIXES, [cases], "results", make_folder=True) \
        if out is not None else None
    rejects = check_output(rejects_path, RESULT_SUFFIXES, [cases, out], "rejects",
                           make_folder=True) if rejects_path is not None else None
    check_input(cases)
    return target, rejects


def run_batch(plan: BatchPlan, cases: Path, out: Path | None, rejects_path: Path | None = None,
              keep: Sequence[str] = (), chunk_rows: int = DEFAULT_CHUNK_ROWS,
              provisions: bool = True,
              progress: Callable[[int], None] | None = None) -> BatchSummary:
    """Decide every case of a file; write results (if `out`) and rejects; count everything.

    Outputs are written whole or not at all (`_Writer`): on any error or interruption the
    previous results and rejects files are left as they were.
    """
    from rules.files import signals_deferred

    with signals_deferred():      # a signal stops the run at the next chunk, never half-way
        return _run_batch(plan, cases, out, rejects_path, keep, chunk_rows, provisions,
                          progress)


def _run_batch(plan: BatchPlan, cases: Path, out: Path | None, rejects_path: Path | None,
               keep: Sequence[str], chunk_rows: int, provisions: bool,
               progress: Callable[[int], None] | None) -> BatchSummary:
    summary = BatchSummary()
    if rejects_path is None and out is not None:
        rejects_path = out.with_name(out.stem + ".rejects.csv")
    out, rejects_path = check_outputs(cases, out, rejects_path)
    if input_format(cases) == "parquet" and (
            out is None or out.suffix.lower() in (".parquet", ".pq")):
        with reading(cases):
            _run_parquet(plan, cases, out, rejects_path, keep, provisions, summary, progress)
        return _finish(plan, summary)
    writers: list[_Writer] = []
    try:
        writer = _Writer(out) if out is not None else None
        writers += [writer] if writer is not None else []
        reject_writer = _Writer(rejects_path) if rejects_path is not None else None
        writers += [reject_writer] if reject_writer is not None else []
        empty_results, empty_rejects = _run_chunks(plan, cases, keep, chunk_rows, provisions,
                                                   summary, progress, writer, reject_writer)
        if writer is not None:
            writer.commit(empty_results)
        if reject_writer is not None:
            reject_writer.commit(empty_rejects)
    except BaseException as error:
        for open_writer in writers:
            open_writer.abort(error)
        if isinstance(error, OSError):
            from rules.files import FileError, describe_os_error

            raise FileError(f"{out or rejects_path}: cannot write: {describe_os_error(error)}; "
                            "the previous output files are unchanged") from None
        raise
    return _finish(plan, summary)


def _run_chunks(plan: BatchPlan, cases: Path, keep: Sequence[str], chunk_rows: int,
                provisions: bool, summary: BatchSummary,
                progress: Callable[[int], None] | None, writer: _Writer | None,
                reject_writer: _Writer | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read, decide and write chunk by chunk; the empty results and rejects frames (with
    their schemas) for files that get no row."""
    import polars as pl

    summary_exprs = plan.summary_exprs()
    kinds = {path: fact.type.kind for path, fact in plan.ruleset.facts.items()}
    last: tuple[pl.DataFrame, pl.DataFrame] | None = None
    from rules.files import check_interrupted

    for chunk in read_chunks(cases, chunk_rows, kinds):
        check_interrupted()
        missing = [c for c in keep if c not in chunk.columns]
        if missing:
            raise BatchError(f"{cases}: no column {', '.join(missing)} to keep")
        reserved_columns(chunk.columns, keep, cases)
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
    return evaluate_frame(plan, pl.DataFrame(), provisions=provisions,
                          statuses_only=writer is None)


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
    its morsels, not by the input (so `chunk_rows` does not apply). Results are sunk by polars'
    own (parallel) Parquet writer into a temporary file beside `out`, renamed over it when the
    run succeeds; without `out` only the counts are computed. Rejected rows (usually none) are
    flagged in the same pass and explained in a second, small one.
    """
    import polars as pl

    from rules.files import atomic_path

    scan = _flatten_structs(_scan_parquet(cases))
    names = scan.collect_schema().names()
    _unique_columns(cases, names)
    reserved_columns(names, keep, cases)
    missing = [c for c in keep if c not in names]
    if missing:
        raise BatchError(f"{cases}: no column {', '.join(missing)} to keep")
    scan = scan.with_row_index(ROW)
    checked = plan.validate(scan, keep, texts=False)
    valid = checked.filter(~pl.col(BAD))
    flagged = checked.select(pl.len().alias(_ROWS), pl.col(BAD).sum().alias(_REJECTED))
    with ExitStack() as outputs:
        if out is None:
            decided = plan.decide(valid, (), provisions=False, statuses_only=True)
            counts = decided.select([pl.len().alias(_EVALUATED), *plan.summary_exprs()])
            totals, flags = pl.collect_all([counts, flagged], engine="streaming")
        else:
            temp = outputs.enter_context(atomic_path(out))
            results = plan.decide(valid, keep, provisions)
            sink = results.sink_parquet(temp, compression="zstd", lazy=True)
            flags = pl.collect_all([sink, flagged], engine="streaming")[1]
            totals = pl.scan_parquet(temp).select(
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
                    writer.commit(rejects.clear())
                except BaseException as error:
                    writer.abort(error)
                    raise
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
