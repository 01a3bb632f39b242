"""The one reader of case files, for every engine and for the corpus diff.

A case file is a table: one row a case, one column a fact named by its path (`victim.age`), a
null an unknown fact. Formats, by suffix:

* `.parquet` (or a folder of Parquet files, hive-partitioned or not): typed columns;
* `.csv`: every cell is text (typed later, per the fact's type, by the engine's validation);
* `.jsonl` / `.ndjson`: one JSON object a line, dotted (`{"victim.age": 10}`) or nested
  (`{"victim": {"age": 10}}`); `.json`: a JSON list of such objects (or JSONL).

`read_frames` yields polars frames of at most about `chunk_rows` rows, in order, every row once,
so inputs larger than memory work. A line that is not a JSON object is kept as a row whose
`__parse_error` column says why: the engines reject it with that reason, so rows in = rows
evaluated + rows rejected still holds. Nothing here knows a rule set: typing and validation are
the engines' (`rules.batch`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rules.language.source import RulesError

if TYPE_CHECKING:
    import polars as pl

PARSE_ERROR = "__parse_error"
DEFAULT_CHUNK_ROWS = 1_000_000


class CaseFileError(RulesError):
    """A case file that cannot be read at all (missing, or of an unknown format)."""


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
    raise CaseFileError(f"{path}: read cases from .parquet (or a folder of them), .csv, .jsonl "
                        "or .json")


def parquet_files(path: Path) -> list[Path]:
    """The Parquet files of an input, in the order every engine reads them."""
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*.parquet") if p.is_file())


def scan_parquet(path: Path) -> pl.LazyFrame:
    """A lazy scan of a Parquet file or folder (hive partitions become columns)."""
    import polars as pl

    if path.is_dir():
        return pl.scan_parquet(path / "**" / "*.parquet", hive_partitioning=True)
    return pl.scan_parquet(path)


def count_rows(path: Path) -> int | None:
    """The number of rows, when it is cheap to know (Parquet metadata); else None."""
    import polars as pl

    if not path.exists() or input_format(path) != "parquet":
        return None
    return int(scan_parquet(path).select(pl.len()).collect().item())


def read_frames(path: Path, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pl.DataFrame]:
    """The input in chunks of at most about `chunk_rows` rows, in order, every row once."""
    if not path.exists():
        raise CaseFileError(f"{path}: no such file or folder")
    fmt = input_format(path)
    if fmt == "parquet":
        yield from _parquet_chunks(path, chunk_rows)
    elif fmt == "csv":
        yield from _csv_chunks(path, chunk_rows)
    elif fmt == "json" and _starts_with_list(path):
        yield from _json_list_chunks(path, chunk_rows)
    else:
        yield from _jsonl_chunks(path, chunk_rows)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    total = count_rows(path) or 0
    scan = scan_parquet(path)
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


def _starts_with_list(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip()
    return head.startswith(b"[")


def _json_list_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CaseFileError(f"{path}: not valid JSON: {error.msg} at line {error.lineno}") \
            from None
    if not isinstance(data, list):  # pragma: no cover - _starts_with_list saw a list
        raise CaseFileError(f"{path}: a .json case file is a list of cases")
    for start in range(0, len(data), chunk_rows):
        yield _jsonl_frame([json.dumps(item).encode() for item in data[start:start + chunk_rows]])


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
        frame = pl.read_ndjson(io.BytesIO(b"\n".join(line.rstrip(b"\r\n") for line in lines)),
                               infer_schema_length=None)
        if frame.height != len(lines):
            raise ValueError("row count")
        return flatten_structs(frame)
    except Exception:  # one bad line: parse line by line, reject only that line
        return _jsonl_slow(lines)


def flatten_structs(frame: pl.DataFrame) -> pl.DataFrame:
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

    from rules.cases.convert import flatten

    rows: list[dict[str, str | None]] = []
    for line in lines:
        row: dict[str, str | None] = {}
        try:
            data = json.loads(line)
        except ValueError as error:
            row[PARSE_ERROR] = f"not valid JSON: {error}"
        else:
            if isinstance(data, dict):
                row.update({k: as_text(v) for k, v in flatten(data).items()})
            else:
                row[PARSE_ERROR] = f"a case is a JSON object, not {type(data).__name__}"
        rows.append(row)
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return pl.DataFrame({name: [row.get(name) for row in rows] for name in names},
                        schema={name: pl.String for name in names}, height=len(rows))


def as_text(value: Any) -> str | None:
    """A JSON value as the text a CSV cell would hold (`true`, `12`, `2024-06-16`)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return json.dumps(value)


__all__ = ["DEFAULT_CHUNK_ROWS", "PARSE_ERROR", "CaseFileError", "as_text", "count_rows",
           "flatten_structs", "input_format", "parquet_files", "read_frames", "scan_parquet"]
