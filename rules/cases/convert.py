"""Flat and nested cases: the one converter between `{"victim": {"age": 10}}` (a case file, the
case model) and `{"victim.age": 10}` (a table's columns, the batch engines, the solver).

Dates become ISO text on the way to nested form (what a case file holds); an unknown fact stays
`None` (the case model reads a `None` as a fact left out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """`{"victim.age": 10}` -> `{"victim": {"age": 10}}`, dates as ISO text.

    >>> nest({"victim.age": 3, "offence.date": dt.date(2024, 7, 1)})
    {'victim': {'age': 3}, 'offence': {'date': '2024-07-01'}}
    """
    case: dict[str, Any] = {}
    for path, value in flat.items():
        node = case
        *groups, leaf = path.split(".")
        for group in groups:
            child = node.setdefault(group, {})
            if not isinstance(child, dict):     # `a: 1` and `a.b: 2` in one row: keep both
                child = node[group] = {"": child}
            node = child
        node[leaf] = value.isoformat() if isinstance(value, dt.date) else value
    return case


def flatten(case: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested case as dotted paths; dotted keys already in the case stay as they are.

    >>> flatten({"victim": {"age": 10}, "offence.kind": "battery"})
    {'victim.age': 10, 'offence.kind': 'battery'}
    """
    out: dict[str, Any] = {}
    for key, value in case.items():
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


__all__ = ["flatten", "nest"]
