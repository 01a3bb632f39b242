"""Building blocks of the batch plan: column names, Kleene helpers, table lookups, dates.

Plain functions from polars expressions to polars expressions, shared by the compiler
(`batch_compile`) and the runner (`batch_run`); nothing here knows about a rule set.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rules.cases.read import PARSE_ERROR
from rules.semantics.combine import ACTION_STATUSES, CONCLUSION_STATUSES, MODALITIES

if TYPE_CHECKING:
    import polars as pl

__all__ = ["BAD", "CONCLUSION_STATUSES", "MODALITIES", "PARSE_ERROR", "REASON", "ROW", "STATUSES"]


STATUSES = ACTION_STATUSES
REASON = "__reason"
BAD = "__bad"
ROW = "row"


def require_polars() -> Any:
    try:
        import polars
    except ImportError as error:  # pragma: no cover - depends on the install
        from rules.language.source import RulesError

        raise RulesError("the batch back end needs polars and pyarrow: "
                         "pip install 'kz-child-safety-rules[batch]'") from error
    return polars


def any_of(exprs: Sequence[pl.Expr]) -> pl.Expr:
    import polars as pl
    if not exprs:
        return pl.lit(False)
    return functools.reduce(operator.or_, exprs)


def all_of(exprs: Sequence[pl.Expr]) -> pl.Expr:
    import polars as pl
    if not exprs:
        return pl.lit(True)
    return functools.reduce(operator.and_, exprs)


def two_or_more(exprs: Sequence[pl.Expr]) -> pl.Expr:
    """At least two of some non-null booleans hold."""
    import polars as pl
    if len(exprs) < 2:
        return pl.lit(False)
    seen, pairs = exprs[0], []
    for e in exprs[1:]:
        pairs.append(seen & e)
        seen = seen | e
    return any_of(pairs)


def coalesce(exprs: Sequence[pl.Expr]) -> pl.Expr:
    import polars as pl
    return exprs[0] if len(exprs) == 1 else pl.coalesce(exprs)


_SEPARATOR = "\x1f"


def list_of(items: Sequence[tuple[pl.Expr, pl.Expr | str]],
             dtype: pl.DataType | None = None) -> pl.Expr:
    """The list of the values whose condition holds, in order (text joined, then split: much
    faster in polars than `concat_list` of many nullable items).

    A value given as a Python string is a literal: runs of up to 8 of them are one lookup (their
    conditions as the bits of a small integer index a table of the 256 joined subsets), about
    four times faster than one `when/then` text column per item. Conditions are non-null
    booleans (a null would drop its whole run).
    """
    import polars as pl
    parts: list[pl.Expr] = []
    run: list[tuple[pl.Expr, str]] = []

    def flush() -> None:
        if len(run) == 1:
            parts.append(pl.when(run[0][0]).then(pl.lit(run[0][1], pl.String)))
        elif run:
            key = functools.reduce(operator.add, [k.cast(pl.UInt16) * (1 << j)
                                                  for j, (k, _) in enumerate(run)])
            table = [_SEPARATOR.join(v for j, (_, v) in enumerate(run) if mask >> j & 1) or None
                     for mask in range(1 << len(run))]
            parts.append(pl.lit(pl.Series(table, dtype=pl.String)).gather(key))
        run.clear()

    for k, v in items:
        if isinstance(v, str):
            run.append((k, v))
            if len(run) == _RUN:
                flush()
        else:
            flush()
            parts.append(pl.when(k).then(v.cast(pl.String)))
    flush()
    joined = pl.concat_str(parts, separator=_SEPARATOR, ignore_nulls=True)
    listed = joined.str.split(_SEPARATOR)
    if dtype is not None and dtype != pl.String:
        listed = listed.cast(pl.List(dtype))
    return listed


_RUN = 8


def dedupe(exprs: list[pl.Expr]) -> list[pl.Expr]:
    seen: set[str] = set()
    out = []
    for e in exprs:
        name = e.meta.output_name()
        if name not in seen:
            seen.add(name)
            out.append(e)
    return out



def lookup(table: Sequence[str], index: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """`table[index]` per row: a status read from a table the semantics built."""
    import polars as pl
    return pl.lit(pl.Series(list(table), dtype=dtype)).gather(index)


def bits(flags: Sequence[pl.Expr]) -> pl.Expr:
    """Booleans (non-null) as the bits of a small integer: `sum(flag_i << i)`."""
    import polars as pl
    if not flags:
        return pl.lit(0, pl.UInt32)
    return functools.reduce(operator.add, [f.cast(pl.UInt32) * (1 << i)
                                           for i, f in enumerate(flags)])


def count_capped(flags: Sequence[pl.Expr], cap: int = 2) -> pl.Expr:
    """How many of some non-null booleans hold, at most `cap`."""
    import polars as pl
    if not flags:
        return pl.lit(0, pl.UInt32)
    total = functools.reduce(operator.add, [f.cast(pl.UInt32) for f in flags])
    return pl.min_horizontal(total, pl.lit(cap, pl.UInt32))


def def_column(name: str) -> str:
    return f"__def.{name}"


def derived_column(path: str) -> str:
    return f"__derived.{path}"


def status_column(index: int) -> str:
    return f"__p{index}"


def applies_column(index: int) -> str:
    return f"__a{index}"


def may_column(index: int) -> str:
    return f"__m{index}"


def window_column(low: dt.date | None, high: dt.date | None) -> str:
    return f"__in_force:{low}:{high}"


def years_between_expr(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Whole years from `start` to `end`: the difference of the dates' `yyyymmdd` numbers, in
    units of 10000 (floored), which is the year difference less one when the end's month-day
    comes before the start's."""
    import polars as pl
    return ((_date_key(end) - _date_key(start)) // 10000).cast(pl.Int64)


_CYCLE_DAYS = 146_097   # the Gregorian calendar repeats every 400 years, to the day
_CYCLE_START = 10_957   # 2000-01-01, days since 1970-01-01


@functools.cache
def _cycle_keys() -> pl.Series:
    """`yyyymmdd` of every day of the 400 years from 2000-01-01."""
    import polars as pl
    days = pl.date_range(dt.date(2000, 1, 1), dt.date(2399, 12, 31), eager=True)
    assert days.len() == _CYCLE_DAYS
    return (days.dt.year().cast(pl.Int32) * 10000 + days.dt.month().cast(pl.Int32) * 100
            + days.dt.day().cast(pl.Int32)).rename("")


def _date_key(date: pl.Expr) -> pl.Expr:
    """A date as the number `yyyymmdd` (Int64): a lookup in one 400-year cycle, several times
    faster in polars than extracting year, month and day (exact for any date)."""
    import polars as pl
    x = date.cast(pl.Int32).cast(pl.Int64) - _CYCLE_START
    cycles = x // _CYCLE_DAYS
    return pl.lit(_cycle_keys()).gather(x - cycles * _CYCLE_DAYS).cast(pl.Int64) \
        + cycles * 4_000_000


def flag_rows(problems: Sequence[tuple[pl.Expr, pl.Expr]], texts: bool) -> pl.Expr:
    import polars as pl
    if texts:
        return join_reasons([pl.when(c).then(t) for c, t in problems]).alias(REASON)
    return any_of([c for c, _ in problems]).alias(BAD)


def join_reasons(reasons: Sequence[pl.Expr]) -> pl.Expr:
    import polars as pl
    if not reasons:
        return pl.lit("", pl.String)
    return pl.concat_str(list(reasons), separator="; ",
                         ignore_nulls=True)


def table_expr(table: Sequence[Any], flags: Sequence[pl.Expr], leaf: Any,
               valid: Any = None) -> pl.Expr:
    """`leaf(table[index])` per row, where `index = sum(flag_i << i)` over non-null boolean
    flags, as a small decision tree of `when/then/otherwise` on the flags themselves.

    Twenty times faster in polars than gathering from the table at a computed index (the tree
    for one modality is `when(certain) required, when(present) undetermined, else none`).
    Entries where `valid(index)` is false never occur (certain without present): they are
    free to take any value, which keeps the tree small. Equal subtrees are the same
    expression, so polars computes them once.
    """
    k = len(flags)
    live = [i for i in range(1 << k) if valid is None or valid(i)]
    memo: dict[tuple[tuple[int, Any], ...], pl.Expr] = {}

    def build(indices: list[int], free: tuple[int, ...]) -> pl.Expr:
        values = {table[i] for i in indices}
        if len(values) <= 1:
            leafed: pl.Expr = leaf(table[indices[0]] if indices else table[0])
            return leafed
        key = tuple((i, table[i]) for i in indices)
        if key in memo:
            return memo[key]

        def split_cost(bit: int) -> int:
            ones = {table[i] for i in indices if i >> bit & 1}
            zeros = {table[i] for i in indices if not i >> bit & 1}
            return len(ones) + len(zeros)

        # a bit all live entries agree on tells nothing: never test it
        telling = [b for b in free if len({i >> b & 1 for i in indices}) == 2]
        bit = min(telling, key=split_cost)
        rest = tuple(b for b in free if b != bit)
        import polars as pl
        ones = [i for i in indices if i >> bit & 1]
        zeros = [i for i in indices if not i >> bit & 1]
        sides = ({table[i] for i in ones}, {table[i] for i in zeros})
        yes_no = all(isinstance(table[i], bool) for i in indices)
        if yes_no and sides == ({True}, {False}):          # the flag itself
            expr = flags[bit]
        elif yes_no and sides == ({False}, {True}):
            expr = ~flags[bit]
        else:
            expr = pl.when(flags[bit]).then(build(ones, rest)).otherwise(build(zeros, rest))
        memo[key] = expr
        return expr

    return build(live, tuple(range(k)))
