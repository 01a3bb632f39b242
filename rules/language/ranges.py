"""Integer ranges through rule arithmetic: no expression may leave the 64-bit range.

Python's integers never overflow; polars' (and SQL's) 64-bit integers wrap or fail. So that every
back end computes the same numbers, the checker proves that no integer a rule computes can leave
`INT64_MIN..INT64_MAX`: each integer expression gets an interval from the declared ranges of the
facts it reads (`victim.age : integer 0..150`; a fact declared without a range is any 64-bit
integer, which is all the case model accepts), the values of literals and the bounds of date
functions, carried through `+`, `-`, `*` and negation. An expression whose interval reaches
outside is a check error (`integer_overflow`) at its place, naming the range it can reach and
the facts whose ranges it came from; declaring a narrower range for those facts fixes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rules.language import core
from rules.language.ruleset import (
    ConclusionOutcome,
    Definition,
    DeonticOutcome,
    Fact,
    Provision,
)
from rules.language.source import Diagnostic
from rules.limits import INT64_MAX, INT64_MIN

Interval = tuple[int, int]
FULL: Interval = (INT64_MIN, INT64_MAX)
_DAYS = (dt.date.max - dt.date.min).days
_CALLS: dict[str, Interval] = {
    "days_between": (-_DAYS, _DAYS),
    "years_between": (-(dt.date.max.year - dt.date.min.year), dt.date.max.year - dt.date.min.year),
}


class _Ranges:
    def __init__(self, facts: dict[str, Fact], definitions: dict[str, Definition]):
        self.facts = facts
        self.definitions = definitions
        self.memo: dict[str, Interval] = {}
        self.diagnostics: list[Diagnostic] = []
        self._reported: set[tuple[str, int, int]] = set()

    def fact(self, fact: Fact) -> Interval:
        low = fact.low if isinstance(fact.low, int) else INT64_MIN
        high = fact.high if isinstance(fact.high, int) else INT64_MAX
        return low, high

    def definition(self, name: str) -> Interval:
        if name not in self.memo:
            self.memo[name] = FULL        # a (checked-out) cycle cannot loop here
            self.memo[name] = self.interval(self.definitions[name].expr)
        return self.memo[name]

    def check(self, expr: core.Expr) -> None:
        """Report every integer sub-expression of `expr` that can leave the 64-bit range."""
        for node in core.walk(expr):
            if node.type == core.INTEGER and isinstance(node, (core.Arith, core.Lit)):
                self.interval(node)
            elif isinstance(node, core.In) and node.operand.type == core.INTEGER:
                for value in node.values:
                    if isinstance(value, int):
                        self._bounded(node, (value, value))

    def interval(self, e: core.Expr) -> Interval:
        """The values an integer expression can take (reported if outside 64 bits)."""
        if isinstance(e, core.Lit):
            value = e.value if isinstance(e.value, int) else 0
            return self._bounded(e, (value, value))
        if isinstance(e, core.FactRef):
            return self.fact(self.facts[e.path])
        if isinstance(e, core.DefRef):
            return self.definition(e.name)
        if isinstance(e, core.Call):
            return _CALLS.get(e.function, FULL)
        if isinstance(e, core.Arith):
            left = self.interval(e.left)
            if e.op == "neg":
                return self._bounded(e, (-left[1], -left[0]))
            assert e.right is not None
            right = self.interval(e.right)
            if e.op == "+":
                result = (left[0] + right[0], left[1] + right[1])
            elif e.op == "-":
                result = (left[0] - right[1], left[1] - right[0])
            else:
                products = [a * b for a in left for b in right]
                result = (min(products), max(products))
            return self._bounded(e, result)
        return FULL

    def _bounded(self, e: core.Expr, interval: Interval) -> Interval:
        low, high = interval
        if low >= INT64_MIN and high <= INT64_MAX:
            return interval
        key = (e.span.file, e.span.line, e.span.column)
        if key not in self._reported:
            self._reported.add(key)
            facts = sorted(core.fact_paths(e))
            ranges = ", ".join(f"{p} is {_range_text(self.fact(self.facts[p]))}" for p in facts)
            self.diagnostics.append(Diagnostic(
                "integer_overflow",
                f"this integer can reach {_range_text(interval)}, outside the 64-bit range",
                e.span, "error",
                tuple(n for n in (
                    f"from the declared ranges: {ranges}" if ranges else "",
                    f"integers are 64-bit ({INT64_MIN}..{INT64_MAX}) in every back end; declare "
                    "narrower ranges for the facts (`victim.age : integer 0..150`) or use "
                    "smaller numbers") if n)))
        return max(low, INT64_MIN), min(high, INT64_MAX)


def _range_text(interval: Interval) -> str:
    low, high = interval
    return f"{low}..{high}"


def integer_overflows(facts: dict[str, Fact], definitions: dict[str, Definition],
                      provisions: Iterable[Provision],
                      others: Iterable[core.Expr] = ()) -> list[Diagnostic]:
    """Every place where rule arithmetic can leave the 64-bit integer range (in facts'
    derivations, definitions, provisions, and `others`: inferences, constraints)."""
    ranges = _Ranges(facts, definitions)
    for expr in others:
        ranges.check(expr)
    for fact in facts.values():
        if fact.derivation is not None:
            ranges.check(fact.derivation)
    for definition in definitions.values():
        ranges.check(definition.expr)
    for provision in provisions:
        for condition in provision.conditions:
            ranges.check(condition.expr)
        for outcome in provision.outcomes:
            if isinstance(outcome, DeonticOutcome):
                for _, arg in outcome.args:
                    ranges.check(arg)
            elif isinstance(outcome, ConclusionOutcome):
                ranges.check(outcome.value)
    return ranges.diagnostics
