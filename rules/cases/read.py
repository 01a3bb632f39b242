"""The one reader of case files, for every engine and for the corpus diff.

A case file is a table: one row a case, one column a fact named by its path (`victim.age`), a
null an unknown fact. Formats, by suffix:

* `.parquet` (or a folder of Parquet files, hive-partitioned or not): typed columns (struct
  columns become dotted ones);
* `.csv`: every cell is text (typed later, per the fact's type, by the engine's validation);
* `.jsonl` / `.ndjson`: one JSON object a line, dotted (`{"victim.age": 10}`) or nested
  (`{"victim": {"age": 10}}`); `.json`: a JSON list of such objects (or JSONL).

`read_frames` yields polars frames of at most about `chunk_rows` rows, in order, every row once,
so inputs larger than memory work. JSON is read with Python's JSON within the limits of
`rules.limits`, each fact's value typed by the one value grammar (`rules.cases.values.from_json`,
docs/INPUT.md) given the facts' kinds: a line that is not a JSON object, or a value the grammar
does not read, is kept as a row whose `__parse_error` column says why: the engines reject it with
that reason, so rows in = rows evaluated + rows rejected still holds. A file that cannot be read
at all (missing, not UTF-8, corrupt Parquet, an unclosed CSV quote, duplicate columns) is one
`BatchError` line naming it, never a traceback (`reading`). Nothing here knows a rule set:
validation is the engines' (`rules.batch`).
"""

from __future__ import annotations

import csv
import errno
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rules.language.source import RulesError
from rules.limits import MAX_COLUMNS, MAX_LINE_BYTES

if TYPE_CHECKING:
    import polars as pl

PARSE_ERROR = "__parse_error"
DEFAULT_CHUNK_ROWS = 1_000_000
RESERVED_KEYS = frozenset({"row", "__reason", "__bad", PARSE_ERROR})
"""JSON keys that are never a case's column: the engines' own (`rules.batch.exprs`)."""


class CaseFileError(RulesError):
    """A case file that cannot be read at all (missing, or of an unknown format)."""


class BatchError(CaseFileError):
    """A problem with a batch input or output (not with one row: those are rejects)."""


def input_format(path: Path) -> str:
    """`parquet`, `csv`, `jsonl` or `json` (a list), by the suffix (a folder: Parquet)."""
    if path.is_dir():
        return "parquet"
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    raise BatchError(f"{path}: read cases from .parquet (or a folder of them), .csv, .jsonl "
                     "or .json")


def check_input(path: Path) -> str:
    """The input's format, after checking that it can be read at all (a regular file, or a
    folder holding Parquet files)."""
    from rules.files import FileError, regular_file

    if not path.exists() and not path.is_symlink():
        raise BatchError(f"{path}: no such file or folder")
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
    """Turn any failure of the readers (and of engines reading) on a malformed input into one
    `BatchError` line."""
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


def parquet_files(path: Path) -> list[Path]:
    """The Parquet files of an input, in the order every engine reads them."""
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*.parquet") if p.is_file())


def parquet_null_counts(path: Path) -> dict[str, int | None]:
    """Per column (its dotted path) how many values are unknown, from the Parquet files'
    statistics, without reading any data (None: a row group does not say). A batch run on
    columns with no unknown value takes the smaller plan (`BatchPlan.complete`)."""
    import pyarrow.parquet as pq

    out: dict[str, int | None] = {}
    for file in parquet_files(path):
        meta = pq.ParquetFile(file).metadata
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                column = group.column(c)
                stats = column.statistics
                count = stats.null_count if stats is not None and stats.has_null_count \
                    else None
                name = column.path_in_schema
                before = out.get(name, 0)
                out[name] = None if before is None or count is None else before + count
    return out


def scan_parquet(path: Path) -> pl.LazyFrame:
    """A lazy scan of a Parquet file or folder (hive partitions become columns)."""
    import polars as pl

    if path.is_dir():
        return pl.scan_parquet(path / "**" / "*.parquet", hive_partitioning=True)
    return pl.scan_parquet(path)


def scan_cases(path: Path) -> pl.LazyFrame:
    """`scan_parquet` with struct columns flattened to dotted ones, the columns checked
    (`unique_columns`)."""
    scan = flatten_struct_scan(scan_parquet(path))
    unique_columns(path, scan.collect_schema().names())
    return scan


def count_rows(path: Path) -> int | None:
    """The number of rows, when it is cheap to know (Parquet metadata); else None."""
    import polars as pl

    if not path.exists() or input_format(path) != "parquet":
        return None
    try:
        with reading(path):
            return int(scan_parquet(path).select(pl.len()).collect().item())
    except BatchError:
        return None


def read_frames(path: Path, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                kinds: Mapping[str, str] | None = None) -> Iterator[pl.DataFrame]:
    """The input in chunks of at most about `chunk_rows` rows, in order, every row once.

    `kinds` (fact path -> type kind: `integer`, `boolean`, `date`, `enum`, `text`) lets the
    JSON readers type values exactly as the interpreter does (`cases.values.from_json`); CSV
    cells are text, Parquet columns typed, both checked by the engine's validation.
    """
    fmt = check_input(path)
    with reading(path):
        if fmt == "parquet":
            yield from _parquet_chunks(path, chunk_rows)
        elif fmt == "csv":
            yield from _csv_chunks(path, chunk_rows)
        elif fmt == "json" and _starts_with_list(path):
            yield from _json_list_chunks(path, chunk_rows, kinds)
        else:
            yield from _jsonl_chunks(path, chunk_rows, kinds)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    import polars as pl

    scan = scan_cases(path)
    total = int(scan.select(pl.len()).collect().item())
    for start in range(0, total, chunk_rows):
        yield scan.slice(start, chunk_rows).collect()


def flatten_struct_scan(scan: pl.LazyFrame) -> pl.LazyFrame:
    """Nested columns (a Parquet struct `victim` with a field `age`) as dotted columns
    (`victim.age`), as JSON objects are read and as the per-case reader nests them."""
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


def unique_columns(path: Path, names: Sequence[str]) -> None:
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
    unique_columns(path, header)
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


def _starts_with_list(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"[")


def _json_list_chunks(path: Path, chunk_rows: int,
                      kinds: Mapping[str, str] | None) -> Iterator[pl.DataFrame]:
    """A `.json` list of cases, read whole within `limits.MAX_TEXT_BYTES`."""
    from rules.files import FileError, read_text
    from rules.limits import JsonError, load_json

    try:
        data = load_json(read_text(path, "case file"), str(path))
    except (JsonError, FileError) as error:
        raise BatchError(str(error)) from None
    if not isinstance(data, list):  # pragma: no cover - _starts_with_list saw a list
        raise BatchError(f"{path}: a .json case file is a list of cases")
    groups = fact_groups(kinds) if kinds is not None else None
    for start in range(0, len(data), chunk_rows):
        rows = [typed_row(item, kinds or {}, groups) if isinstance(item, dict) else
                {PARSE_ERROR: f"a case is a JSON object, not {type(item).__name__}"}
                for item in data[start:start + chunk_rows]]
        yield rows_frame(rows, kinds or {})


def _jsonl_chunks(path: Path, chunk_rows: int,
                  kinds: Mapping[str, str] | None) -> Iterator[pl.DataFrame]:
    """JSONL read line by line with Python's JSON (and the limits of `rules.limits`), so that
    each value keeps its JSON type: polars' reader would turn `12` into `"12"` beside a text
    value, or keep the first of two duplicate keys."""
    rows: list[dict[str, Any]] = []
    groups = fact_groups(kinds) if kinds is not None else None
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
                rows.append(_jsonl_row(line, kinds or {}, groups))
            if len(rows) >= chunk_rows:
                yield rows_frame(rows, kinds or {})
                rows = []
    if rows:
        yield rows_frame(rows, kinds or {})


def _jsonl_row(line: bytes, kinds: Mapping[str, str],
               groups: frozenset[str] | None) -> dict[str, Any]:
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


def typed_row(data: Mapping[str, Any], kinds: Mapping[str, str],
              groups: frozenset[str] | None = None) -> dict[str, Any]:
    """A case as JSON data (nested groups or dotted keys) to one row of dotted columns, each
    fact's value read by the JSON grammar of `cases.values.from_json`, exactly as the case
    model reads it; the problems go in `PARSE_ERROR`, other keys are kept as text. With
    `groups` None (no facts known), every JSON object is a group."""
    from rules.cases.values import from_json, shown

    flat: dict[str, Any] = {}
    problems: list[str] = []
    stack: list[tuple[str, Mapping[str, Any]]] = [("", data)]
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
            elif name in groups if groups is not None else isinstance(value, Mapping):
                if isinstance(value, Mapping):
                    stack.append((name + ".", value))
                elif value is not None:               # a group given as null: all unknown
                    problems.append(f"{name}: a group of facts is a JSON object")
            elif name in flat or name in RESERVED_KEYS:
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


__all__ = ["DEFAULT_CHUNK_ROWS", "PARSE_ERROR", "RESERVED_KEYS", "BatchError", "CaseFileError",
           "check_input", "count_rows", "fact_groups", "flatten_struct_scan", "input_error",
           "input_format", "parquet_files", "read_frames", "reading", "rows_frame",
           "scan_cases", "scan_parquet", "typed_row", "unique_columns"]
