"""How outcomes combine: the one definition every back end reads.

Three rules, and tables derived from them:

* `combine_modalities`: the outcome of an action when some provisions apply to it: `forbidden`
  with `required` or `permitted` is a conflict, `required` beats `permitted`;
* `combine_values`: the value of a single-valued conclusion: one value, none, or a conflict;
* `settle`: what an item is when some candidates apply for certain and others only may apply
  (the case leaves facts unknown): the set of results over every completion. An item is
  determined when that set has one element; otherwise it is undetermined.

The interpreter calls these functions; the columnar back ends (polars, SQL) and the SMT
encoding look the status up in tables built here from the same functions (`action_table`,
`value_table`, `list_table`), indexed by bits they compute per case. Changing a rule here
changes every back end.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from functools import cache
from itertools import combinations
from typing import Literal, TypeVar

MODALITIES: tuple[str, ...] = ("required", "forbidden", "permitted")
ACTION_STATUSES = ("none", "required", "forbidden", "permitted", "conflict", "undetermined")
CONCLUSION_STATUSES = ("none", "determined", "undetermined", "conflict")

T = TypeVar("T", bound=Hashable)
R = TypeVar("R", bound=Hashable)

ConclusionStatus = Literal["none", "determined", "undetermined", "conflict"]


def combine_modalities(modalities: Iterable[str]) -> str:
    """The outcome on an action of the provisions that apply to it.

    >>> combine_modalities({"required", "permitted"})
    'required'
    >>> combine_modalities({"forbidden", "permitted"})
    'conflict'
    >>> combine_modalities(())
    'none'
    """
    present = set(modalities)
    if "forbidden" in present and present & {"required", "permitted"}:
        return "conflict"
    for modality in ("required", "permitted", "forbidden"):
        if modality in present:
            return modality
    return "none"


def combine_values(values: Iterable[object]) -> str:
    """The state of a single-valued conclusion from the distinct values concluded.

    >>> combine_values(["small"]), combine_values([]), combine_values(["small", "medium"])
    ('value', 'none', 'conflict')
    """
    distinct = set(values)
    if not distinct:
        return "none"
    return "value" if len(distinct) == 1 else "conflict"


def settle(certain: frozenset[T], uncertain: frozenset[T],
           combine: Callable[[frozenset[T]], R]) -> frozenset[R]:
    """The results an item can have: `combine` of the certain candidates and any subset of the
    uncertain ones (each uncertain candidate may or may not apply in a completion of the case).

    >>> sorted(settle(frozenset({"required"}), frozenset({"forbidden"}), combine_modalities))
    ['conflict', 'required']
    """
    extra = sorted(uncertain - certain, key=repr)
    return frozenset(combine(certain | frozenset(chosen))
                     for size in range(len(extra) + 1) for chosen in combinations(extra, size))


def action_status(certain: frozenset[str], uncertain: frozenset[str]) -> str:
    """An action's status: its one possible outcome, or `undetermined`.

    >>> action_status(frozenset({"forbidden"}), frozenset({"forbidden"}))
    'forbidden'
    >>> action_status(frozenset(), frozenset({"required"}))
    'undetermined'
    """
    results = settle(certain, uncertain, combine_modalities)
    return next(iter(results)) if len(results) == 1 else "undetermined"


@cache
def action_table(modalities: tuple[str, ...]) -> tuple[str, ...]:
    """An action's status for every combination of bits, for the columnar back ends.

    The index is `sum(certain[m] << i) + sum(present[m] << (n + i))` over the action's
    modalities `m` (i their position, n their number); `present` means some candidate of that
    modality may apply, `certain` that one applies for certain (certain implies present: the
    other entries never occur and hold `undetermined`).
    """
    n = len(modalities)
    table = []
    for key in range(1 << (2 * n)):
        certain = frozenset(m for i, m in enumerate(modalities) if key >> i & 1)
        present = frozenset(m for i, m in enumerate(modalities) if key >> (n + i) & 1)
        table.append(action_status(certain, present - certain) if certain <= present
                     else "undetermined")
    return tuple(table)


def action_index(modalities: tuple[str, ...], certain: Iterable[str],
                 present: Iterable[str]) -> int:
    """The `action_table` index of some certain and present modalities."""
    n = len(modalities)
    return sum(1 << i for i, m in enumerate(modalities) if m in set(certain)) + \
        sum(1 << (n + i) for i, m in enumerate(modalities) if m in set(present))


def _value_result(values: frozenset[str]) -> str:
    return combine_values(values) if len(values) != 1 else next(iter(values))


@cache
def value_table() -> tuple[ConclusionStatus, ...]:
    """A single-valued conclusion's status from how many distinct values certainly apply and
    how many may apply (each capped at 2), for the columnar back ends: index `3 * certain +
    present`. A present candidate whose value is unknown counts as a further distinct value.

    >>> value_table()[3 * 1 + 1], value_table()[3 * 1 + 2], value_table()[0]
    ('determined', 'undetermined', 'none')
    """
    table: list[ConclusionStatus] = []
    for certain in range(3):
        for present in range(3):
            if present < certain:
                table.append("undetermined")   # never occurs: certain values are present
                continue
            sure = frozenset(f"v{i}" for i in range(certain))
            maybe = frozenset(f"v{i}" for i in range(certain, present))
            results = settle(sure, maybe, _value_result)
            table.append(_value_status(results))
    return tuple(table)


def _value_status(results: frozenset[str]) -> ConclusionStatus:
    if len(results) != 1:
        return "undetermined"
    only = next(iter(results))
    if only in ("none", "conflict"):
        return only  # type: ignore[return-value]
    return "determined"


def value_status(certain: int, present: int) -> ConclusionStatus:
    """`value_table` for counts of distinct values (any size)."""
    return value_table()[3 * min(certain, 2) + min(present, 2)]


@cache
def list_table() -> tuple[ConclusionStatus, ...]:
    """A list conclusion's status: index `2 * open + concluded`, where `open` says some value
    may be concluded that is not certainly concluded, and `concluded` that some value is.

    >>> list_table()
    ('none', 'determined', 'undetermined', 'undetermined')
    """
    table: list[ConclusionStatus] = []
    for open_ in (0, 1):
        for concluded in (0, 1):
            sure = frozenset({"a"}) if concluded else frozenset()
            maybe = frozenset({"b"}) if open_ else frozenset()
            results = settle(sure, maybe, lambda chosen: chosen)
            if len(results) != 1:
                table.append("undetermined")
            else:
                table.append("determined" if next(iter(results)) else "none")
    return tuple(table)


def list_status(open_: bool, concluded: bool) -> ConclusionStatus:
    return list_table()[2 * open_ + concluded]
