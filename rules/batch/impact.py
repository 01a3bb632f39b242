"""The effect of an amendment on a corpus, on any engine (`rules.batch.engines`).

Both rule sets are prepared for the engine and run over the same chunks of the corpus (read by
the one case reader); the transitions (`reconciliation: required -> forbidden`) are counted with
a group-by per action and single-valued conclusion, never with a Python loop over rows. The
result does not depend on the engine (`tests/test_engines.py`); rows in = rows evaluated + rows
rejected, per chunk. Rows are numbered from 1, and named by their `id` column when there is one.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rules.batch.engines import open_engine
from rules.batch.exprs import ROW
from rules.batch.run import BatchError, reserved_columns
from rules.cases.read import read_frames
from rules.files import atomic_open, check_interrupted, check_output, signals_deferred
from rules.language.ruleset import RuleSet

if TYPE_CHECKING:
    import polars as pl

    from rules.batch.engine import Engine

def state_keys(ruleset: RuleSet) -> list[tuple[str, str]]:
    """What a corpus diff compares: every action, and every single-valued conclusion."""
    return [*(("action", a) for a in ruleset.actions),
            *(("conclusion", n) for n, k in ruleset.conclusions.items() if not k.many)]


@dataclass
class CorpusDiff:
    rows_in: int = 0
    evaluated: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)   # (row, id, reason)
    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    examples: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    changed_rows: int = 0
    seconds: float = 0.0

    @property
    def cases_per_second(self) -> float:
        return self.rows_in / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in, "evaluated": self.evaluated,
            "rejected": [{"row": r, "id": i, "reason": why} for r, i, why in self.rejected],
            "changed_rows": self.changed_rows,
            "transitions": [{"name": n, "from": a, "to": b, "count": c,
                             "share": round(c / self.evaluated, 6) if self.evaluated else 0.0,
                             "examples": self.examples[(n, a, b)]}
                            for (n, a, b), c in sorted(self.counts.items(),
                                                       key=lambda kv: (-kv[1], kv[0]))],
            "seconds": round(self.seconds, 3)}


ID = "id"
CHUNK_ROWS = 1_000_000
CHANGED_SUFFIXES = (".jsonl", ".ndjson", ".json")


def diff_corpus_file(base: RuleSet, amended: RuleSet, path: Path,
                     as_of: dt.date | None = None, chunk_rows: int = CHUNK_ROWS,
                     progress: Callable[[int], None] | None = None,
                     changed_out: Path | None = None, examples: int = 3,
                     engine: str = "polars", **options: Any) -> CorpusDiff:
    """Decide every case of a file under both rule sets on `engine` and count the
    transitions.

    `changed_out` is checked before anything is read (never the corpus itself) and the changed
    rows go to it (JSONL) whole or not at all (`rules.files`); a signal stops the diff between
    chunks, leaving a previous file as it was."""
    started = time.perf_counter()
    if changed_out is not None:
        changed_out = check_output(changed_out, CHANGED_SUFFIXES, [path], "changed rows")
    keys = list(dict.fromkeys([*state_keys(base), *state_keys(amended)]))
    kinds = {p: f.type.kind for p, f in {**base.facts, **amended.facts}.items()}
    result = CorpusDiff()
    with ExitStack() as stack:
        engines = (stack.enter_context(open_engine(engine, base, as_of, **options)),
                   stack.enter_context(open_engine(engine, amended, as_of, **options)))
        stack.enter_context(signals_deferred())
        handle = stack.enter_context(atomic_open(changed_out)) if changed_out is not None \
            else None
        _diff_chunks(engines, keys, path, chunk_rows, kinds, result, handle, progress,
                     examples)
    result.seconds = time.perf_counter() - started
    return result


def _diff_chunks(engines: tuple[Engine, Engine], keys: list[tuple[str, str]], path: Path,
                 chunk_rows: int, kinds: Mapping[str, str], result: CorpusDiff, handle: Any,
                 progress: Callable[[int], None] | None, examples: int) -> None:
    import polars as pl

    for chunk in read_frames(path, chunk_rows, kinds):
        check_interrupted()
        reserved_columns(chunk.columns, (), path)
        keep = [ID] if ID in chunk.columns else []
        if keep:
            chunk = chunk.with_columns(pl.col(ID).cast(pl.String))
        offset = result.rows_in + 1
        (old, old_rejects), (new, new_rejects) = (
            e.decide(chunk, keep, provisions=False, offset=offset, statuses_only=False)
            for e in engines)
        rejects = pl.concat([old_rejects, new_rejects]).unique(ROW, keep="first",
                                                                maintain_order=True)
        result.rows_in += chunk.height
        for row in rejects.sort(ROW).iter_rows(named=True):
            result.rejected.append((int(row[ROW]), str(row.get(ID) or row[ROW]),
                                    str(row["reason"])))
        joined = _states(old, keys, "old").join(
            _states(new, keys, "new"), on=ROW, how="inner")
        if keep:
            joined = joined.join(old.select(ROW, ID), on=ROW, how="left")
        else:
            joined = joined.with_columns(pl.col(ROW).cast(pl.String).alias(ID))
        result.evaluated += joined.height
        if result.evaluated + len(result.rejected) != result.rows_in:  # pragma: no cover
            raise BatchError(f"rows lost: {result.rows_in} in, {result.evaluated} "
                             f"evaluated, {len(result.rejected)} rejected")
        _count(joined, keys, result, examples)
        changed = pl.any_horizontal([pl.col(f"old:{n}") != pl.col(f"new:{n}")
                                     for _, n in keys])
        moved = joined.filter(changed)
        result.changed_rows += moved.height
        if handle is not None and moved.height:
            _write_changes(handle, moved, chunk, keys, offset)
        if progress is not None:
            progress(chunk.height)


def _states(results: pl.DataFrame, keys: list[tuple[str, str]], side: str) -> pl.DataFrame:
    """One text column per key: an action's status, or a conclusion's value or status."""
    import polars as pl

    columns = [pl.col(ROW)]
    for kind, name in keys:
        if name not in results.columns:
            state = pl.lit("none")
        elif kind == "action":
            state = pl.col(name).cast(pl.String)
        else:
            status = pl.col(f"{name}.status").cast(pl.String)
            state = pl.when(status == "determined").then(pl.col(name).cast(pl.String)) \
                .otherwise(status)
        columns.append(state.alias(f"{side}:{name}"))
    return results.select(columns)


def _count(joined: pl.DataFrame, keys: list[tuple[str, str]], result: CorpusDiff,
           examples: int) -> None:
    import polars as pl

    for _, name in keys:
        old, new = f"old:{name}", f"new:{name}"
        moves = (joined.filter(pl.col(old) != pl.col(new))
                 .group_by(old, new, maintain_order=True)
                 .agg(pl.len().alias("count"), pl.col(ID).head(examples).alias("ids")))
        for a, b, count, ids in moves.iter_rows():
            slot = (name, str(a), str(b))
            result.counts[slot] = result.counts.get(slot, 0) + int(count)
            kept = result.examples.setdefault(slot, [])
            kept.extend(str(i) for i in ids[: max(0, examples - len(kept))])


def _write_changes(handle: Any, moved: pl.DataFrame, chunk: pl.DataFrame,
                   keys: list[tuple[str, str]], offset: int) -> None:
    """One JSON line per changed case: its row, id, the transitions and the case's columns."""
    for row in moved.iter_rows(named=True):
        number = int(row[ROW])
        changes = [{kind: name, "from": row[f"old:{name}"], "to": row[f"new:{name}"]}
                   for kind, name in keys if row[f"old:{name}"] != row[f"new:{name}"]]
        case = {k: _plain(v) for k, v in chunk.row(number - offset, named=True).items()
                if v is not None}
        handle.write(json.dumps({"row": number, "id": row[ID], "changes": changes,
                                 "case": case}, ensure_ascii=False) + "\n")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
