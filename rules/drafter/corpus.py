"""Corpora of cases: reading JSONL, CSV and Parquet, evaluating them, and diffing two rule sets.

JSONL and CSV need only the standard library; Parquet needs polars or pyarrow (the `batch`
extra), imported only when a Parquet file is read. CSV columns are dotted fact paths
(`victim.age`), an empty cell is an unknown fact, and an `id` column (JSONL: an `id` key) names
the row; otherwise rows are named by their number (1-based, header excluded).

Every row read is either evaluated or rejected with its row number and reason: rows in = rows
evaluated + rows rejected. Evaluation of a corpus goes through one function, `evaluate_corpus`,
so that a batch engine can replace the per-case interpreter without touching the callers.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rules.batch.impact import CorpusDiff, state_keys
from rules.language.ruleset import RuleSet
from rules.language.source import CaseError, RulesError
from rules.solver.analysis import nest


class CorpusError(RulesError):
    """A corpus file that cannot be read at all (missing, unknown format, no Parquet engine)."""


@dataclass(frozen=True, slots=True)
class Row:
    number: int                     # 1-based position among the data rows
    id: str
    case: dict[str, Any] | None     # None when the row could not be read
    error: str = ""


# ---- reading ------------------------------------------------------------------------------------


def read_cases(path: str | Path, ruleset: RuleSet | None = None) -> Iterator[Row]:
    """The rows of a corpus, by file suffix: .jsonl/.ndjson, .csv, .parquet, or .json (a list)."""
    file = Path(path)
    if not file.is_file():
        raise CorpusError(f"{file}: no such corpus file")
    suffix = file.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(file)
    if suffix == ".csv":
        return _read_csv(file, ruleset)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(file, ruleset)
    if suffix == ".json":
        return _read_json_list(file)
    raise CorpusError(f"{file}: unknown corpus format {suffix!r}; use .jsonl, .csv or .parquet")


def _split_id(number: int, data: Any) -> Row:
    if not isinstance(data, dict):
        return Row(number, str(number), None, f"a case is a JSON object, not "
                   f"{type(data).__name__}")
    data = dict(data)
    row_id = data.pop("id", None)
    flat = {k: v for k, v in data.items() if "." in k}
    case = {k: v for k, v in data.items() if "." not in k}
    if flat:
        for group, values in nest({k: v for k, v in flat.items() if v is not None}).items():
            if isinstance(case.get(group), dict):
                case[group] = {**values, **case[group]}
            else:
                case.setdefault(group, values)
    return Row(number, str(row_id) if row_id is not None else str(number), case)


def _read_jsonl(file: Path) -> Iterator[Row]:
    number = 0
    with file.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            number += 1
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                yield Row(number, str(number), None, f"not valid JSON: {error.msg} at column "
                          f"{error.colno}")
                continue
            yield _split_id(number, data)


def _read_json_list(file: Path) -> Iterator[Row]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CorpusError(f"{file}: not valid JSON: {error.msg} at line {error.lineno}") from None
    if not isinstance(data, list):
        raise CorpusError(f"{file}: a .json corpus is a list of cases")
    for number, item in enumerate(data, 1):
        yield _split_id(number, item)


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def _cell(kind: str, text: str) -> Any:
    if kind == "boolean":
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
    return text    # dates stay ISO text: the case model validates them


def _read_csv(file: Path, ruleset: RuleSet | None) -> Iterator[Row]:
    kinds = {p: f.type.kind for p, f in ruleset.facts.items()} if ruleset else {}
    with file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for number, record in enumerate(reader, 1):
            row_id = (record.get("id") or "").strip() or str(number)
            if None in record:
                yield Row(number, row_id, None, "more cells than columns")
                continue
            flat: dict[str, Any] = {}
            problems = []
            for column, text in record.items():
                if column == "id" or text is None or text.strip() == "":
                    continue
                try:
                    flat[column] = _cell(kinds.get(column, "text"), text)
                except ValueError as error:
                    problems.append(f"{column}: {error}")
            if problems:
                yield Row(number, row_id, None, "; ".join(problems))
            else:
                yield Row(number, row_id, nest(flat))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _read_parquet(file: Path, ruleset: RuleSet | None = None) -> Iterator[Row]:
    records: Iterable[dict[str, Any]]
    try:
        import polars as pl

        records = pl.read_parquet(file).iter_rows(named=True)
    except ImportError:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise CorpusError(f"{file}: reading Parquet needs polars or pyarrow: "
                              "pip install 'kz-child-safety-rules[batch]'") from None
        records = pq.read_table(file).to_pylist()
    kinds = {p: f.type.kind for p, f in ruleset.facts.items()} if ruleset else {}
    for number, record in enumerate(records, 1):
        flat: dict[str, Any] = {}
        problems = []
        for column, value in record.items():
            if value is None:
                continue
            if isinstance(value, str) and kinds.get(column) in ("boolean", "integer"):
                # a text column (as a CSV would give it): read it by the fact's type
                try:
                    value = _cell(kinds[column], value)
                except ValueError as error:
                    problems.append(f"{column}: {error}")
                    continue
            flat[column] = _plain(value)
        if problems:
            yield Row(number, str(flat.get("id", number)), None, "; ".join(problems))
        else:
            yield _split_id(number, flat)


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with Path(path).open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")
            count += 1
    return count


# ---- evaluation -------------------------------------------------------------------------------


Outcome = tuple[str, ...] | str     # the states in `keys` order, or the reason a case failed


def evaluate_corpus(rulesets: list[RuleSet], cases: Iterable[dict[str, Any]],
                    keys: list[tuple[str, str]],
                    as_of: dt.date | None = None) -> Iterator[list[Outcome]]:
    """For each case, its states under each rule set (or the reason it was rejected).

    The one entry point of corpus evaluation: a batch (columnar) engine can replace this
    function. Identical cases are decided once.
    """
    cache: list[dict[str, Outcome]] = [{} for _ in rulesets]
    for case in cases:
        text = json.dumps(case, sort_keys=True, separators=(",", ":"))
        results: list[Outcome] = []
        for ruleset, memo in zip(rulesets, cache, strict=True):
            found = memo.get(text)
            if found is None:
                try:
                    found = ruleset.evaluate(case, as_of=as_of).states(keys)
                except CaseError as error:
                    found = str(error)
                if len(memo) < 200_000:
                    memo[text] = found
            results.append(found)
        yield results


def diff_corpus(base: RuleSet, amended: RuleSet, rows: Iterable[Row],
                as_of: dt.date | None = None,
                progress: Callable[[int], None] | None = None,
                changed: Callable[[dict[str, Any]], None] | None = None,
                examples: int = 3) -> CorpusDiff:
    """Evaluate every row under both rule sets and count the transitions per action."""
    import time

    started = time.perf_counter()
    keys = list(dict.fromkeys([*state_keys(base), *state_keys(amended)]))
    result = CorpusDiff()
    readable: list[Row] = []

    def cases() -> Iterator[dict[str, Any]]:
        for row in rows:
            result.rows_in += 1
            if row.case is None:
                result.rejected.append((row.number, row.id, row.error))
                if progress:
                    progress(1)
                continue
            readable.append(row)
            yield row.case

    for row_index, (old, new) in enumerate(evaluate_corpus([base, amended], cases(), keys,
                                                           as_of)):
        row = readable[row_index]
        readable[row_index] = row    # keep index stable; rows are released below
        if isinstance(old, str) or isinstance(new, str):
            reason = old if isinstance(old, str) else new
            result.rejected.append((row.number, row.id, str(reason)))
        else:
            result.evaluated += 1
            moves = []
            for (kind, name), a, b in zip(keys, old, new, strict=True):
                if a != b:
                    slot = (name, a, b)
                    result.counts[slot] = result.counts.get(slot, 0) + 1
                    ids = result.examples.setdefault(slot, [])
                    if len(ids) < examples:
                        ids.append(row.id)
                    moves.append({kind: name, "from": a, "to": b})
            if moves:
                result.changed_rows += 1
                if changed is not None:
                    changed({"row": row.number, "id": row.id, "changes": moves,
                             "case": row.case})
        if progress:
            progress(1)
    result.seconds = time.perf_counter() - started
    return result


# ---- a seeded generator, for benchmarks and demos -------------------------------------------


def generate_cases(ruleset: RuleSet, n: int, seed: int = 0,
                   missing: float = 0.1) -> Iterator[dict[str, Any]]:
    """`n` plausible cases for `ruleset`, reproducible from `seed`: ages rather than birth
    dates, offence dates 2015-2026, each fact left out with probability `missing`."""
    from rules.solver.analysis import derivation_inputs

    rng = random.Random(seed)
    skip = set(derivation_inputs(ruleset))
    facts = [f for p, f in ruleset.facts.items() if p not in skip]
    start = dt.date(2015, 1, 1).toordinal()
    span = dt.date(2026, 12, 31).toordinal() - start
    for i in range(n):
        flat: dict[str, Any] = {"id": f"case-{i + 1:06d}"}
        for fact in facts:
            if fact.path != ruleset.governing_date and rng.random() < missing:
                continue
            kind = fact.type.kind
            if kind == "boolean":
                flat[fact.path] = rng.random() < 0.4
            elif kind == "integer":
                low = fact.low if fact.low is not None else 0
                high = min(fact.high if fact.high is not None else 100, low + 30)
                flat[fact.path] = rng.randint(low, high)
            elif kind == "enum":
                flat[fact.path] = rng.choice(fact.type.values)
            elif kind == "date":
                flat[fact.path] = dt.date.fromordinal(start + rng.randint(0, span)).isoformat()
            else:
                flat[fact.path] = f"district {rng.randint(1, 5)}"
        row_id = flat.pop("id")
        yield {"id": row_id, **nest(flat)}
