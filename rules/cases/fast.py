"""The fast path of case loading: a plain dict checked field by field against the facts'
declarations, without building a pydantic model.

Most cases are well-formed, and pydantic's model for a rule set costs more than deciding the
case. This reader accepts exactly what the model accepts *without any help*: booleans, integers
in range, enum ids or labels as written, ISO dates in range, non-empty texts, `null` for unknown.
Anything else - an unknown field, a wrong type, an alias in another spelling, a date written
another way - returns None, and the caller goes through the pydantic model, which either
resolves it or reports every problem with its field path. A property test holds the two paths
to the same result on every input the fast one accepts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rules.limits import INT64_MAX, INT64_MIN

if TYPE_CHECKING:
    from rules.language.ruleset import Fact, RuleSet

_DATE = dt.date
_DATETIME = dt.datetime
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


@dataclass(frozen=True, slots=True)
class _Leaf:
    path: str
    kind: str
    low: Any
    high: Any
    values: frozenset[str]
    labels: dict[str, str]        # a label exactly as written -> the value's id


class FastCases:
    """Reads well-formed case dicts of one rule set (see the module's docstring)."""

    def __init__(self, ruleset: RuleSet):
        self.tree: dict[str, dict[str, _Leaf] | _Leaf] = {}
        for path, fact in ruleset.facts.items():
            leaf = _leaf(ruleset, fact)
            if "." in path:
                group, name = path.split(".", 1)
                if "." in name:       # deeper groups: left to the model
                    self.tree = {}
                    return
                node = self.tree.setdefault(group, {})
                assert isinstance(node, dict)
                node[name] = leaf
            else:
                self.tree[path] = leaf

    def read(self, case: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(the case as stated, JSON-ready; the flat env of its facts), or None."""
        if not self.tree:
            return None
        tree = self.tree
        for key in case:
            if key not in tree:
                return None
        stated: dict[str, Any] = {}
        env: dict[str, Any] = {}
        for key, node in tree.items():   # declaration order, as the model dumps it
            if key not in case:
                continue
            value = case[key]
            if value is None:
                continue
            if isinstance(node, _Leaf):
                checked = _check(node, value)
                if checked is None:
                    return None
                env[node.path], stated[key] = checked
                continue
            if value.__class__ is not dict:
                return None
            for name in value:
                if name not in node:
                    return None
            group: dict[str, Any] = {}
            for name, leaf in node.items():
                item = value.get(name)
                if item is None:
                    continue
                checked = _check(leaf, item)
                if checked is None:
                    return None
                env[leaf.path], group[name] = checked
            stated[key] = group   # as the model dumps it: a group given is kept, even empty
        return stated, env


def _check(leaf: _Leaf, value: Any) -> tuple[Any, Any] | None:
    """(the value in the env, the value as stated in JSON), or None to take the slow path."""
    kind = leaf.kind
    cls = value.__class__
    if kind == "enum":
        if cls is str:
            if value in leaf.values:
                return value, value
            found = leaf.labels.get(value)
            if found is not None:
                return found, found
        return None
    if kind == "boolean":
        return (value, value) if cls is bool else None
    if kind == "integer":
        if cls is not int or value < leaf.low or value > leaf.high:
            return None
        return value, value
    if kind == "date":
        if cls is str:
            if len(value) != 10 or not _ISO_DATE.match(value):   # `20240701`: the slow path
                return None                                      # says why not
            try:
                date = _DATE.fromisoformat(value)
            except ValueError:
                return None
        elif cls is _DATE:
            date = value
        else:
            return None
        if (leaf.low is not None and date < leaf.low) or \
                (leaf.high is not None and date > leaf.high):
            return None
        return date, date.isoformat()
    if cls is str and value:
        return value, value
    return None


def _leaf(ruleset: RuleSet, fact: Fact) -> _Leaf:
    low, high = fact.low, fact.high
    if fact.type.kind == "integer":          # integers are 64-bit (docs/INPUT.md)
        low = INT64_MIN if low is None else low
        high = INT64_MAX if high is None else high
    values = frozenset(fact.type.values) if fact.type.kind == "enum" else frozenset()
    labels: dict[str, str] = {}
    if fact.type.kind == "enum":
        found = ruleset.vocabulary.exact_labels(fact.type)
        labels = {text: value for text, value in found.items() if value in values}
    return _Leaf(fact.path, fact.type.kind, low, high, values, labels)
