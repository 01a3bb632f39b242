"""One case's evaluation, as the evaluator leaves it for the explanation and `why_not`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rules.interpreter.closures import Env
from rules.semantics.plan import Candidate


def jsonable(value: Any) -> Any:
    """A value as JSON holds it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, dt.date) else value


@dataclass(slots=True)
class Survivor:
    """A candidate outcome that may survive on a case: its values there, and whether it is
    certain (`needs` is None) or what would settle it."""

    candidate: Candidate
    value: Any
    args: dict[str, Any]
    needs: frozenset[str] | None


@dataclass(slots=True)
class Run:
    """One case's evaluation: what the explanation and `why_not` read afterwards."""

    env: Env
    date: Any
    statuses: list[Any]
    survivors: dict[tuple[str, str], list[Survivor]] = field(default_factory=dict)
    set_aside: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    presumed: list[str] = field(default_factory=list)
    inferred: dict[str, tuple[str, ...]] = field(default_factory=dict)
