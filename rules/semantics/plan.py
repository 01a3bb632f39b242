"""The decision plan: what a checked rule set decides, and how, built once per rule set.

Every back end reads this plan instead of re-deriving it from the RuleSet:

* per provision its `Window` (the dates of acts it reaches: the in-force rule of CC 5-6) and its
  conditions;
* per action and conclusion (a `Key`) its `Candidate` outcomes, each with the provisions that
  override it on that key (lex specialis) and its *twins*: overriders that, if they apply, give
  the very same outcome, so that an overrider that only may apply leaves it certain;
* conclusion candidates grouped into `Unit`s (candidates concluding one literal value);
* definitions in dependency levels, derived facts in derivation order, inferences in stages
  (each reads only facts the earlier stages have settled);
* the guard index: provisions by the value of the enum fact most of them are guarded on (Rete's
  alpha memory), so a case evaluates only the provisions its value can reach.

`flags` states once when a candidate outcome is *present* (may survive) and *certain* (survives
in every completion of the case), over any boolean algebra; `rules.semantics.combine` states how
the surviving outcomes combine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from rules.language import core
from rules.language.ruleset import (
    ConclusionOutcome,
    DeonticOutcome,
    Fact,
    Inference,
    Provision,
    ProvisionOutcome,
    Window,
)

if TYPE_CHECKING:
    from rules.language.ruleset import RuleSet

Key = tuple[str, str]   # ("action", name) or ("conclusion", name)
B = TypeVar("B")


# ---- in force --------------------------------------------------------------------------------

def window(provision: Provision) -> Window:
    """The dates of the acts `provision` reaches (`Provision.window`: the in-force rule of
    CC 5-6, stated once in the language layer so that the amendment tools read it too)."""
    return provision.window


# ---- candidates --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Candidate:
    """One outcome of one provision on one action or conclusion."""

    number: int                                  # its index in `DecisionPlan.candidates`
    key: Key
    provision: int
    pid: str
    modality: str                      # required / forbidden / permitted; "" for a conclusion
    args: tuple[tuple[str, core.Expr], ...]
    value: core.Expr | None                      # a conclusion's value
    overriders: tuple[int, ...]                  # provisions that set it aside when they apply
    twins: tuple[int, ...]                       # candidates of overriders giving the same outcome
    outcome: ProvisionOutcome = field(compare=False, repr=False, default=None)  # type: ignore[assignment]

    @property
    def literal(self) -> bool:
        return isinstance(self.value, core.Lit)


@dataclass(frozen=True, slots=True)
class Unit:
    """Candidates of a conclusion concluding one literal value, or one non-literal candidate."""

    candidates: tuple[int, ...]
    value: core.Expr


@dataclass(frozen=True, slots=True)
class ProvisionPlan:
    index: int
    provision: Provision
    window: Window
    conditions: tuple[tuple[bool, core.Expr], ...]     # (is `unless`, condition)
    candidates: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Guard:
    """Provisions by the value of one enum fact (`offence.kind`): a provision whose `if`
    conditions require the fact to lie in a set cannot apply to a case outside it."""

    fact: str
    by_value: dict[Any, tuple[int, ...]]
    everything: tuple[int, ...]

    def reachable(self, value: Any) -> tuple[int, ...]:
        """The provisions a case with this value of the fact (or an unknown one) can reach."""
        return self.by_value.get(value, self.everything) if self.fact else self.everything

    def may_meet(self, first: int, second: int) -> bool:
        """Whether some value of the fact lets both provisions apply (False: their guards are
        disjoint, so no case has them both apply)."""
        if not self.fact:
            return True
        return any(first in reached and second in reached for reached in self.by_value.values())


@dataclass(frozen=True, slots=True)
class InferenceStage:
    """Inferences a back end applies together, `rounds` times: each sets its fact where the
    fact is unknown and its condition holds. The facts their conditions read are settled by
    earlier stages, so one round suffices unless they read each other's facts (then as many
    rounds as inferences: each round sets a fact or nothing changes)."""

    inferences: tuple[Inference, ...]
    rounds: int

    @property
    def by_fact(self) -> dict[str, tuple[Inference, ...]]:
        """The stage's inferences grouped by the fact they set, in the rule set's order."""
        grouped: dict[str, list[Inference]] = {}
        for inference in self.inferences:
            grouped.setdefault(inference.fact, []).append(inference)
        return {fact: tuple(group) for fact, group in grouped.items()}


class Algebra(Protocol[B]):
    """Boolean operations of a back end (Python bools, polars or SQL expressions, z3 terms)."""

    def all(self, terms: Sequence[B]) -> B: ...
    def any(self, terms: Sequence[B]) -> B: ...
    def negate(self, term: B) -> B: ...


@dataclass(frozen=True)
class DecisionPlan:
    """A checked rule set, planned for deciding cases (see the module's docstring)."""

    ruleset: RuleSet
    provisions: tuple[ProvisionPlan, ...]
    candidates: tuple[Candidate, ...]
    by_key: dict[Key, tuple[int, ...]]
    units: dict[str, tuple[Unit, ...]]
    definition_levels: tuple[tuple[str, ...], ...]
    derivation_order: tuple[Fact, ...]
    guard: Guard
    inference_stages: tuple[InferenceStage, ...] = ()

    @property
    def keys(self) -> tuple[Key, ...]:
        """Actions then conclusions, each in declaration order."""
        return tuple(self.by_key)

    @cached_property
    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        """The declared range of the governing date fact (unbounded when there is none)."""
        governing = self.ruleset.governing_date
        fact = self.ruleset.facts.get(governing) if governing else None
        return (fact.low, fact.high) if fact is not None else (None, None)

    @cached_property
    def facts_read(self) -> frozenset[str]:
        """The facts a decision reads: in conditions, definitions, arguments and conclusion
        values, the governing date, inferences, constraints and presumptions (they check or
        set facts the decision may read), and the facts those are derived from. A back end
        need not type (nor check) a column of any other fact: it decides nothing."""
        ruleset = self.ruleset
        exprs = [d.expr for d in ruleset.definitions.values()]
        for p in self.provisions:
            exprs.extend(expr for _, expr in p.conditions)
        for c in self.candidates:
            exprs.extend(expr for _, expr in c.args)
            if c.value is not None:
                exprs.append(c.value)
        exprs.extend(i.condition for i in ruleset.inferences)
        exprs.extend(c.expr for c in ruleset.constraints)
        read: set[str] = set()
        for expr in exprs:
            read |= ruleset.facts_read(expr)
        read |= {i.fact for i in ruleset.inferences}
        read |= {p.fact for p in ruleset.presumptions.values()}
        if ruleset.governing_date:
            read.add(ruleset.governing_date)
        for fact in reversed(self.derivation_order):
            if fact.path in read and fact.derivation is not None:
                read |= ruleset.facts_read(fact.derivation)
        return frozenset(read)

    def in_force_static(self, index: int, as_of: dt.date | None = None) -> bool | None:
        """Whether provision `index` is in force without reading a case: always (True), never
        (False), or it depends on the case's governing date (None). With `as_of` every case is
        judged on that date; otherwise the governing date lies in its fact's declared range."""
        win = self.provisions[index].window
        if as_of is not None:
            return win.contains(as_of)
        if self.ruleset.governing_date is None:
            return True
        return win.over(*self.date_range)

    def flags(self, candidate: Candidate, algebra: Algebra[B], applies: Callable[[int], B],
              may: Callable[[int], B], same: Callable[[Candidate, Candidate], B]) -> tuple[B, B]:
        """(present, certain) of a candidate outcome, given per provision whether it certainly
        `applies` and whether it `may` apply, and whether a twin gives the `same` outcome.

        Present: its provision may apply and no overrider applies. Certain: its provision
        applies, no overrider applies, and every overrider surely does not apply or, if it may,
        is a twin that would give the very same outcome with nothing setting that aside.
        """
        beaten = algebra.any([applies(j) for j in candidate.overriders])
        present = algebra.all([may(candidate.provision), algebra.negate(beaten)])
        twins = {self.candidates[t].provision: self.candidates[t] for t in candidate.twins}
        settled = []
        for j in candidate.overriders:
            absent = algebra.negate(may(j))
            twin = twins.get(j)
            if twin is None:
                settled.append(absent)
            else:
                quiet = [algebra.negate(may(k)) for k in twin.overriders]
                settled.append(algebra.any([absent, algebra.all([same(candidate, twin),
                                                                 *quiet])]))
        certain = algebra.all([applies(candidate.provision), algebra.negate(beaten), *settled])
        return present, certain


class PythonBools:
    """The `Algebra` of plain Python booleans (the interpreter's)."""

    def all(self, terms: Sequence[bool]) -> bool:
        return all(terms)

    def any(self, terms: Sequence[bool]) -> bool:
        return any(terms)

    def negate(self, term: bool) -> bool:
        return not term


# ---- building the plan --------------------------------------------------------------------------

def plan_of(ruleset: RuleSet) -> DecisionPlan:
    """The rule set's decision plan, built once."""
    plan: DecisionPlan = ruleset.derived("plan", build_plan)
    return plan


def build_plan(ruleset: RuleSet) -> DecisionPlan:
    """Plan a checked rule set (`plan_of` caches it on the rule set)."""
    provisions = ruleset.provisions
    index = {p.id: i for i, p in enumerate(provisions)}
    keys = [_keys(p) for p in provisions]
    overriders: dict[tuple[int, Key], list[int]] = {}
    for j, p in enumerate(provisions):
        for target in p.overrides:
            i = index[target]
            for shared in keys[i] & keys[j]:
                overriders.setdefault((i, shared), []).append(j)
    raw: list[Candidate] = []
    by_key: dict[Key, list[int]] = {("action", a): [] for a in ruleset.actions}
    by_key.update({("conclusion", c): [] for c in ruleset.conclusions})
    for i, p in enumerate(provisions):
        for outcome in p.outcomes:
            if isinstance(outcome, DeonticOutcome):
                key: Key = ("action", outcome.action)
                cand = Candidate(len(raw), key, i, p.id, outcome.modality, outcome.args, None,
                                 tuple(overriders.get((i, key), ())), (), outcome)
            else:
                assert isinstance(outcome, ConclusionOutcome)
                key = ("conclusion", outcome.name)
                cand = Candidate(len(raw), key, i, p.id, "", (), outcome.value,
                                 tuple(overriders.get((i, key), ())), (), outcome)
            raw.append(cand)
            by_key[key].append(cand.number)
    candidates = tuple(_with_twins(c, raw, by_key[c.key]) for c in raw)
    plans = tuple(
        ProvisionPlan(i, p, window(p),
                      tuple((c.kind == "unless", c.expr) for c in p.conditions),
                      tuple(c.number for c in candidates if c.provision == i))
        for i, p in enumerate(provisions))
    return DecisionPlan(
        ruleset, plans, candidates, {k: tuple(v) for k, v in by_key.items()},
        {name: _units(candidates, by_key[("conclusion", name)]) for name in ruleset.conclusions},
        definition_levels(ruleset), derivation_order(ruleset), _guard_index(ruleset),
        inference_stages(ruleset))


def _keys(provision: Provision) -> frozenset[Key]:
    return frozenset(("action", o.action) if isinstance(o, DeonticOutcome)
                     else ("conclusion", o.name) for o in provision.outcomes)


def _with_twins(cand: Candidate, raw: list[Candidate], same_key: list[int]) -> Candidate:
    """Overriders whose one outcome on the key has the same modality: if they apply they give
    this outcome (when values and arguments agree), so they do not make it uncertain."""
    twins = []
    for j in cand.overriders:
        theirs = [raw[n] for n in same_key if raw[n].provision == j]
        if len(theirs) == 1 and theirs[0].modality == cand.modality:
            twins.append(theirs[0].number)
    if not twins:
        return cand
    return Candidate(cand.number, cand.key, cand.provision, cand.pid, cand.modality, cand.args,
                     cand.value, cand.overriders, tuple(twins), cand.outcome)


def _units(candidates: tuple[Candidate, ...], numbers: list[int]) -> tuple[Unit, ...]:
    units: list[Unit] = []
    literal: dict[Any, list[int]] = {}
    for n in numbers:
        value = candidates[n].value
        assert value is not None
        if isinstance(value, core.Lit):
            literal.setdefault(value.value, []).append(n)
        else:
            units.append(Unit((n,), value))
    grouped = [Unit(tuple(ns), candidates[ns[0]].value) for ns in literal.values()]  # type: ignore[arg-type]
    return (*grouped, *units)


def definition_levels(ruleset: RuleSet) -> tuple[tuple[str, ...], ...]:
    """Definitions in levels: each reads only definitions of earlier levels."""
    depth: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in depth:
            deps = core.definition_names(ruleset.definitions[name].expr)
            depth[name] = 1 + max((level(d) for d in deps), default=-1)
        return depth[name]

    for name in ruleset.definitions:
        level(name)
    levels: list[list[str]] = [[] for _ in range(1 + max(depth.values(), default=-1))]
    for name in ruleset.definitions:
        levels[depth[name]].append(name)
    return tuple(tuple(level_) for level_ in levels)


def derivation_order(ruleset: RuleSet) -> tuple[Fact, ...]:
    """Derived facts in an order where each comes after the derived facts it reads."""
    ordered: list[Fact] = []
    done: set[str] = set()

    def visit(fact: Fact) -> None:
        if fact.path in done:
            return
        done.add(fact.path)
        if fact.derivation is not None:
            for dep in sorted(core.fact_paths(fact.derivation)):
                visit(ruleset.facts[dep])
        if fact.derivation is not None:
            ordered.append(fact)

    for fact in ruleset.facts.values():
        visit(fact)
    return tuple(ordered)


def inference_stages(ruleset: RuleSet) -> tuple[InferenceStage, ...]:
    """The inferences in stages by what their conditions read (`InferenceStage`).

    The interpreter applies them one at a time until nothing changes (`rules.cases.inference`);
    on a consistent case that reaches the same facts whatever the order, because a condition
    that holds keeps holding as more facts become known. Applying them stage by stage gives
    those facts with a few passes instead of one pass per inference, so a batch plan stays
    small: the SQL engines inline a stage into the next, and fourteen rounds of fourteen
    inferences grow past what DuckDB or Spark can plan.

    >>> import rules
    >>> stages = plan_of(rules.load()).inference_stages
    >>> [(len(s.inferences), s.rounds) for s in stages]
    [(12, 2), (2, 1)]
    """
    inferred: dict[str, list[Inference]] = {}
    for inference in ruleset.inferences:
        inferred.setdefault(inference.fact, []).append(inference)
    reads = {fact: {r for i in group for r in ruleset.facts_read(i.condition) if r in inferred}
             for fact, group in inferred.items()}
    components = strongly_connected(reads)
    component_of = {fact: n for n, component in enumerate(components) for fact in component}
    level: list[int] = []
    for n, component in enumerate(components):   # each after the components it reads
        level.append(1 + max((level[component_of[r]] for fact in component for r in reads[fact]
                              if component_of[r] != n), default=-1))
    stages: list[InferenceStage] = []
    for depth in range(1 + max(level, default=-1)):
        here = [c for n, c in enumerate(components) if level[n] == depth]
        members = {fact for c in here for fact in c}
        rounds = max((sum(len(inferred[f]) for f in c) for c in here
                      if len(c) > 1 or c[0] in reads[c[0]]), default=1)   # a cycle
        stages.append(InferenceStage(tuple(i for i in ruleset.inferences if i.fact in members),
                                     rounds))
    return tuple(stages)


def strongly_connected(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of a graph (Tarjan), each after those it reaches."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            out.append(component)

    for node in edges:
        if node not in index:
            visit(node)
    return out


# ---- the guard index ---------------------------------------------------------------------

def _guard_index(ruleset: RuleSet) -> Guard:
    everything = tuple(range(len(ruleset.provisions)))
    guards = [_guards(p, ruleset) for p in ruleset.provisions]
    counts: dict[str, int] = {}
    for guard in guards:
        for path in guard:
            counts[path] = counts.get(path, 0) + 1
    fact_path = max(sorted(counts), key=lambda p: counts[p]) if counts else ""
    fact = ruleset.facts.get(fact_path)
    if fact is None or fact.type.kind != "enum":
        return Guard("", {}, everything)
    by_value = {value: tuple(i for i, guard in enumerate(guards)
                             if fact_path not in guard or value in guard[fact_path])
                for value in fact.type.values}
    return Guard(fact_path, by_value, everything)


def _guards(provision: Provision, ruleset: RuleSet) -> dict[str, frozenset[Any]]:
    """Enum facts whose value must lie in a set for the provision to apply (from the top-level
    conjuncts of its `if` conditions, through definitions)."""
    found: dict[str, frozenset[Any]] = {}

    def expand(expr: core.Expr) -> core.Expr:
        while isinstance(expr, core.DefRef):
            expr = ruleset.definitions[expr.name].expr
        return expr

    def guard(expr: core.Expr) -> tuple[str, frozenset[Any]] | None:
        expr = expand(expr)
        if isinstance(expr, core.In) and not expr.negated and \
                isinstance(expr.operand, core.FactRef):
            return expr.operand.path, frozenset(expr.values)
        if isinstance(expr, core.Compare) and expr.op == "=" and \
                isinstance(expr.left, core.FactRef) and isinstance(expr.right, core.Lit):
            return expr.left.path, frozenset((expr.right.value,))
        if isinstance(expr, core.BoolOp) and expr.op == "or":
            parts = [guard(o) for o in expr.operands]
            paths = {p[0] for p in parts if p is not None}
            if parts and None not in parts and len(paths) == 1:
                return paths.pop(), frozenset().union(*(p[1] for p in parts if p is not None))
        return None

    def conjuncts(expr: core.Expr) -> list[core.Expr]:
        expr = expand(expr)
        if isinstance(expr, core.BoolOp) and expr.op == "and":
            return [c for o in expr.operands for c in conjuncts(o)]
        return [expr]

    for condition in provision.conditions:
        if condition.kind != "if":
            continue
        for part in conjuncts(condition.expr):
            found_guard = guard(part)
            if found_guard is not None:
                path, values = found_guard
                found[path] = found[path] & values if path in found else values
    return found


__all__ = ["Algebra", "Candidate", "DecisionPlan", "Guard", "InferenceStage", "Key",
           "ProvisionPlan", "PythonBools", "Unit", "Window", "build_plan", "definition_levels",
           "derivation_order", "inference_stages", "plan_of", "strongly_connected",
           "window"]
