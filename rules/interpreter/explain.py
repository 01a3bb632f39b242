"""A case's evaluation (`Run`) -> the explanation: why each provision did or did not apply.

Read from what the evaluation already computed (statuses, set-asides); only the conditions of
the provisions considered are evaluated again to record each one's value, the way a tracer
records events (OPA's `topdown/trace`). Provisions the guard index excluded (their offence-kind
test fails) get one line: the condition that fails. They are most of the bill for any one case,
and a full trace each would triple the cost of the explanation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from rules.interpreter.closures import Compiled, Compiler, Unknown
from rules.interpreter.run import Run, jsonable
from rules.language import core
from rules.language.ruleset import RuleSet
from rules.language.unparse import unparse
from rules.semantics.plan import DecisionPlan


class Traced(Protocol):
    """What the explanation reads of the evaluator that ran a case."""

    ruleset: RuleSet
    plan: DecisionPlan
    compiler: Compiler
    conditions: tuple[tuple[tuple[bool, Compiled], ...], ...]

    def in_force(self, index: int, date: Any) -> Any: ...

    def citations(self, pid: str) -> tuple[str, ...]: ...


T = TypeVar("T")


class _ByIdentity(Generic[T]):
    """Values computed once per rule-set object (an expression, a compiler), keyed by identity:
    the trees live as long as their rule set, which each entry holds, so an id is not reused
    while its entry stands; bounded, cleared when full."""

    def __init__(self, limit: int = 50_000) -> None:
        self._entries: dict[int, tuple[object, T]] = {}
        self._limit = limit

    def get(self, key: object, make: Callable[[], T]) -> T:
        hit = self._entries.get(id(key))
        if hit is None or hit[0] is not key:
            if len(self._entries) >= self._limit:
                self._entries.clear()
            hit = self._entries[id(key)] = (key, make())
        return hit[1]


def _facts(evaluator: Traced, run: Run) -> dict[str, Any]:
    return {path: jsonable(run.env[path]) for path in evaluator.ruleset.facts if path in run.env}


def _beaten(run: Run) -> dict[str, set[str]]:
    beaten: dict[str, set[str]] = {}
    for entry in run.set_aside.values():
        for loser, winners in entry.items():
            beaten.setdefault(loser, set()).update(winners)
    return beaten


def explanation(evaluator: Traced, run: Run) -> dict[str, Any]:
    """Each considered provision's trace: in force, each condition's value, the facts read."""
    facts = _facts(evaluator, run)
    beaten = _beaten(run)
    guard = evaluator.plan.guard
    considered = set(guard.reachable(run.env.get(guard.fact)) if guard.fact
                     else guard.everything)
    provisions = []
    excluded: dict[str, str] = {}
    for p in evaluator.plan.provisions:
        if p.index not in considered:
            excluded[p.provision.id] = first_failure(evaluator, run, p.index, facts)
            continue
        provisions.append(_trace(evaluator, run, p.index, facts,
                                 sorted(beaten.get(p.provision.id, ()))))
    return {"facts": facts, "provisions": provisions, "excluded": excluded,
            "presumed": run.presumed,
            "inferred": {path: list(grounds) for path, grounds in run.inferred.items()}}


def trace(evaluator: Traced, run: Run, index: int) -> dict[str, Any]:
    """The full trace of one provision (for `why_not`), whether or not the index excluded it;
    each failed condition also says the simple tests it failed on (`on`)."""
    pid = evaluator.plan.provisions[index].provision.id
    return _trace(evaluator, run, index, _facts(evaluator, run),
                  sorted(_beaten(run).get(pid, ())), tests=True)


def _trace(evaluator: Traced, run: Run, index: int, facts: dict[str, Any],
           set_aside_by: list[str], tests: bool = False) -> dict[str, Any]:
    """One provision's trace as plain data (validated into a `ProvisionTrace`)."""
    plan = evaluator.plan.provisions[index]
    provision = plan.provision
    status = run.statuses[index]   # False for a provision the guard index excluded: it fails
    in_force = evaluator.in_force(index, run.date)
    values = [c(run.env) for _, c in evaluator.conditions[index]]
    conditions = []
    failed = []
    if in_force is False:
        failed.append("not in force on the governing date")
    for condition, value in zip(provision.conditions, values, strict=True):
        behind = _facts_behind(evaluator, run.env, condition.expr, value)
        entry: dict[str, Any] = {"kind": condition.kind, "text": condition.text,
                                 "value": _shown(value),
                                 "facts": {f: facts.get(f) for f in condition.facts
                                           if behind is None or f in behind}}
        if (condition.kind == "if" and value is False) or \
                (condition.kind == "unless" and value is True):
            failed.append(f"{condition.kind} {condition.text}")
            if tests:
                entry["on"] = [{"text": unparse(atom), "value": _shown(atom_value),
                                "facts": {f: facts.get(f) for f in sorted(
                                    evaluator.ruleset.facts_read(atom, derived=False))}}
                               for atom, atom_value in deciding_tests(evaluator, run.env,
                                                                      condition.expr)]
        conditions.append(entry)
    return {
        "id": provision.id, "title": provision.title,
        "status": "applies" if status is True else (
            "does_not_apply" if status is False else "undetermined"),
        "in_force": "unknown" if isinstance(in_force, Unknown) else (
            "true" if in_force else "false"),
        "conditions": conditions, "failed": failed, "set_aside_by": set_aside_by,
        "needs": sorted(status.needs) if isinstance(status, Unknown) else [],
        "sources": list(evaluator.citations(provision.id)), "confidence": provision.confidence,
        "quote": provision.quote}


def _facts_behind(evaluator: Traced, env: dict[str, Any], expr: core.Expr,
                  value: Any) -> set[str] | None:
    """The facts a condition's value rests on: those of its deciding tests (`deciding_tests`),
    not every fact its definitions could read. `criminal_offence` reads the offender's
    knowledge of the age for one offence; a battery's trace should not list it.

    None means all of the condition's facts: a value no `or` (when true) or `and` (when false)
    could have chosen among, known from the expression alone, is not searched (most are)."""
    if not isinstance(value, Unknown) and not _may_choose(evaluator.ruleset, expr)[
            0 if value else 1]:
        return None
    read = _atom_facts(evaluator.ruleset)
    found = {f for atom, _ in deciding_tests(evaluator, env, expr) for f in read(atom)}
    return found | set(value.needs) if isinstance(value, Unknown) else found


_CHOICES: _ByIdentity[tuple[bool, bool]] = _ByIdentity()


def _may_choose(ruleset: RuleSet, expr: core.Expr) -> tuple[bool, bool]:
    """Whether a true (first) or false (second) value of `expr` may rest on only some of its
    operands: an `or` under an even number of negations, or an `and` under an odd one, for a
    true value (the other way round for a false one), through definitions."""
    return _CHOICES.get(expr, lambda: _choices(ruleset, expr))


def _choices(ruleset: RuleSet, expr: core.Expr) -> tuple[bool, bool]:
    when_true = when_false = False
    stack: list[tuple[core.Expr, bool]] = [(expr, True)]
    seen: set[tuple[str, bool]] = set()
    while stack:
        node, positive = stack.pop()
        if isinstance(node, core.DefRef):
            if (node.name, positive) not in seen and node.name in ruleset.definitions:
                seen.add((node.name, positive))
                stack.append((ruleset.definitions[node.name].expr, positive))
        elif isinstance(node, core.Not):
            stack.append((node.operand, not positive))
        elif isinstance(node, core.BoolOp):
            if (node.op == "or") == positive:
                when_true = True
            else:
                when_false = True
            stack.extend((o, positive) for o in node.operands)
    return when_true, when_false


_ATOM_FACTS: _ByIdentity[frozenset[str]] = _ByIdentity()


def _atom_facts(ruleset: RuleSet) -> Callable[[core.Expr], frozenset[str]]:
    """`ruleset.facts_read`, once per test."""
    return lambda atom: _ATOM_FACTS.get(atom, lambda: frozenset(ruleset.facts_read(atom)))


def first_failure(evaluator: Traced, run: Run, index: int, facts: dict[str, Any]) -> str:
    """The first `if` condition that is false, with the facts it read."""
    provision = evaluator.plan.provisions[index].provision
    for condition, (is_unless, compiled) in zip(provision.conditions,
                                                evaluator.conditions[index], strict=True):
        if not is_unless and compiled(run.env) is False:
            used = ", ".join(f"{f} = {facts[f]}" for f in condition.facts if f in facts)
            return f"if {condition.text}: false ({used})" if used else \
                f"if {condition.text}: false"
    return "does not apply"


def _shown(value: Any) -> str:
    return "unknown" if isinstance(value, Unknown) else ("true" if value else "false")


_CACHES: _ByIdentity[_ByIdentity[Compiled]] = _ByIdentity(16)


def _compiled(compiler: Compiler) -> Callable[[core.Expr], Compiled]:
    """`compiler.compile`, each expression compiled once."""
    cache = _CACHES.get(compiler, _ByIdentity)
    return lambda expr: cache.get(expr, lambda: compiler.compile(expr))


def deciding_tests(evaluator: Traced, env: dict[str, Any],
                   expr: core.Expr) -> list[tuple[core.Expr, Any]]:
    """The simple tests that gave `expr` its value on a case, with their values.

    For `a and b` false, the false operands; for `a or b` true, the true ones; a definition is
    opened; an unknown value shows the unknown operands. Each node is evaluated once.
    """
    compile_ = _compiled(evaluator.compiler)
    definitions = evaluator.ruleset.definitions
    atoms: list[tuple[core.Expr, Any]] = []
    seen: set[int] = set()

    def visit(node: core.Expr, value: Any) -> None:
        while True:
            if isinstance(node, core.DefRef):
                node = definitions[node.name].expr
            elif isinstance(node, core.Not):
                node, value = node.operand, _negated(value)
            else:
                break
        if isinstance(node, core.BoolOp):
            for operand in node.operands:
                operand_value = compile_(operand)(env)
                if (isinstance(operand_value, Unknown) if isinstance(value, Unknown)
                        else operand_value is value):
                    visit(operand, operand_value)
        elif id(node) not in seen:
            seen.add(id(node))
            atoms.append((node, value))

    visit(expr, compile_(expr)(env))
    return atoms


def _negated(value: Any) -> Any:
    return value if isinstance(value, Unknown) else not value
