"""Building blocks of the batch plan: status names, column names, Kleene helpers, dates.

Plain functions from polars expressions to polars expressions, shared by the compiler
(`batch_compile`) and the runner (`batch_run`); nothing here knows about a rule set.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl


STATUSES = ("none", "required", "forbidden", "permitted", "conflict", "undetermined")
MODALITIES = ("required", "forbidden", "permitted")
CONCLUSION_STATUSES = ("none", "determined", "undetermined", "conflict")
REASON = "__reason"
BAD = "__bad"
ROW = "row"


def _polars() -> Any:
    try:
        import polars
    except ImportError as error:  # pragma: no cover - depends on the install
        from rules.language.source import RulesError

        raise RulesError("the batch back end needs polars and pyarrow: "
                         "pip install 'kz-child-safety-rules[batch]'") from error
    return polars


def _any(exprs: Sequence[pl.Expr]) -> pl.Expr:
    import polars as pl
    if not exprs:
        return pl.lit(False)
    return functools.reduce(operator.or_, exprs)


def _all(exprs: Sequence[pl.Expr]) -> pl.Expr:
    import polars as pl
    if not exprs:
        return pl.lit(True)
    return functools.reduce(operator.and_, exprs)


def _two_or_more(exprs: Sequence[pl.Expr]) -> pl.Expr:
    """At least two of some non-null booleans hold."""
    import polars as pl
    if len(exprs) < 2:
        return pl.lit(False)
    seen, pairs = exprs[0], []
    for e in exprs[1:]:
        pairs.append(seen & e)
        seen = seen | e
    return _any(pairs)


def _coalesce(exprs: Sequence[pl.Expr]) -> pl.Expr:
    import polars as pl
    return exprs[0] if len(exprs) == 1 else pl.coalesce(exprs)


_SEPARATOR = "\x1f"


def _list_of(items: Sequence[tuple[pl.Expr, pl.Expr | str]],
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


_PARSE_ERROR = "__parse_error"

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
}


def _def_column(name: str) -> str:
    return f"__def.{name}"


def _derived_column(path: str) -> str:
    return f"__derived.{path}"


def _status(index: int) -> str:
    return f"__p{index}"


def _applies(index: int) -> str:
    return f"__a{index}"


def _may(index: int) -> str:
    return f"__m{index}"


def _window_col(low: dt.date | None, high: dt.date | None) -> str:
    return f"__in_force:{low}:{high}"


def _years_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
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


def _flag(problems: Sequence[tuple[pl.Expr, pl.Expr]], texts: bool) -> pl.Expr:
    import polars as pl
    if texts:
        return _join_reasons([pl.when(c).then(t) for c, t in problems]).alias(REASON)
    return _any([c for c, _ in problems]).alias(BAD)


def _join_reasons(reasons: Sequence[pl.Expr]) -> pl.Expr:
    import polars as pl
    if not reasons:
        return pl.lit("", pl.String)
    return pl.concat_str(list(reasons), separator="; ",
                         ignore_nulls=True)


def _status_rule(certain: dict[str, Any], present: dict[str, Any]) -> list[tuple[str, Any]]:
    """An action's status from plain booleans, first match wins, else `undetermined`.

    `certain[m]`: a candidate of modality `m` certainly applies; `present[m]`: one may apply
    (certain implies present). Only the modalities the action has are keys. This is the
    evaluator's `_combine_action` in closed form: a conflict among the certain modalities, else
    the combination of the certain ones when every completion of the uncertain ones gives the
    same; `_check_status_rule` proves it against `_action_table` (the evaluator's own
    `_combined` / `_subsets`) for every combination, at compile time.
    """
    cr, cp, cf = (certain.get(m) for m in ("required", "permitted", "forbidden"))
    pr, pp, pf = (present.get(m) for m in ("required", "permitted", "forbidden"))
    rule: list[tuple[str, Any]] = []

    def both(*parts: Any) -> Any:
        kept = [p for p in parts if p is not None]
        return functools.reduce(operator.and_, kept)

    def nor(*parts: Any) -> Any:
        kept = [p for p in parts if p is not None]
        return ~functools.reduce(operator.or_, kept) if kept else None

    if cf is not None and (cr is not None or cp is not None):
        rule.append(("conflict", both(cf, functools.reduce(
            operator.or_, [x for x in (cr, cp) if x is not None]))))
    if cr is not None:
        rule.append(("required", both(cr, nor(pf))))
    if cp is not None:
        rule.append(("permitted", both(cp, nor(pr, pf))))
    if cf is not None:
        rule.append(("forbidden", both(cf, nor(pr, pp))))
    rule.append(("none", nor(pr, pp, pf)))
    return rule


class _Bit:
    """A Python boolean with `&`, `|`, `~` as logic (to run `_status_rule` on plain values)."""

    __slots__ = ("value",)

    def __init__(self, value: bool):
        self.value = value

    def __and__(self, other: _Bit) -> _Bit:
        return _Bit(self.value and other.value)

    def __or__(self, other: _Bit) -> _Bit:
        return _Bit(self.value or other.value)

    def __invert__(self) -> _Bit:
        return _Bit(not self.value)


@functools.cache
def _check_status_rule(modalities: tuple[str, ...]) -> None:
    """`_status_rule` agrees with the evaluator's combination on every (certain, uncertain)."""
    table = _action_table(modalities)
    n = len(modalities)
    for key, expected in enumerate(table):
        certain = {m: _Bit(bool(key >> k & 1)) for k, m in enumerate(modalities)}
        present = {m: _Bit(bool(key >> k & 1 or key >> (n + k) & 1))
                   for k, m in enumerate(modalities)}
        got = next((label for label, cond in _status_rule(certain, present) if cond.value),
                   "undetermined")
        if got != expected:  # pragma: no cover - a bug in _status_rule
            raise AssertionError(f"status rule for {modalities}, key {key}: {got} != {expected}")


def _action_table(modalities: Sequence[str]) -> list[str]:
    """Status for each (certain bits, uncertain bits) key, with the evaluator's own rules."""
    from rules.interpreter.evaluator import _combined, _subsets

    n = len(modalities)
    table = []
    for key in range(1 << (2 * n)):
        certain = {m for k, m in enumerate(modalities) if key >> k & 1}
        uncertain = {m for k, m in enumerate(modalities) if key >> (n + k) & 1}
        if _combined(certain) == "conflict":
            table.append("conflict")
            continue
        possible = {_combined(certain | set(extra)) for extra in _subsets(uncertain)}
        table.append(possible.pop() if len(possible) == 1 else "undetermined")
    return table


