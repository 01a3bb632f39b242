"""A case's evaluation (`Run`) -> the explanation: why each provision did or did not apply.

Read from what the evaluation already computed (statuses, set-asides); only the conditions of
the provisions considered are evaluated again to record each one's value, the way a tracer
records events (OPA's `topdown/trace`). Provisions the guard index excluded (their offence-kind
test fails) get one line: the condition that fails. They are most of the bill for any one case,
and a full trace each would triple the cost of the explanation.
"""

from __future__ import annotations

from typing import Any, Protocol

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
                                           if f in behind}}
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
                  value: Any) -> set[str]:
    """The facts a condition's value rests on: those of its deciding tests (`deciding_tests`),
    not every fact its definitions could read. `criminal_offence` reads the offender's
    knowledge of the age for one offence; a battery's trace should not list it."""
    if isinstance(value, Unknown):
        return set(value.needs) | {f for atom, _ in deciding_tests(evaluator, env, expr)
                                   for f in evaluator.ruleset.facts_read(atom)}
    return {f for atom, _ in deciding_tests(evaluator, env, expr)
            for f in evaluator.ruleset.facts_read(atom)}


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


_CACHES: dict[int, tuple[Compiler, dict[int, tuple[core.Expr, Compiled]]]] = {}


def _compiled(compiler: Compiler) -> Any:
    """`compiler.compile`, each expression compiled once (keyed by identity: the rule set's
    trees live as long as the compiler, which the cache holds)."""
    entry = _CACHES.get(id(compiler))
    if entry is None or entry[0] is not compiler:
        if len(_CACHES) > 16:
            _CACHES.clear()
        entry = _CACHES[id(compiler)] = (compiler, {})
    cache = entry[1]

    def compile_(expr: core.Expr) -> Compiled:
        hit = cache.get(id(expr))
        if hit is None or hit[0] is not expr:
            hit = cache[id(expr)] = (expr, compiler.compile(expr))
        return hit[1]
    return compile_


def deciding_tests(evaluator: Traced, env: dict[str, Any],
                   expr: core.Expr) -> list[tuple[core.Expr, Any]]:
    """The simple tests that gave `expr` its value on a case, with their values.

    For `a and b` false, the false operands; for `a or b` true, the true ones; a definition is
    opened; an unknown value shows the unknown operands.
    """
    compile_ = _compiled(evaluator.compiler)
    value = compile_(expr)(env)
    if isinstance(expr, core.DefRef):
        return deciding_tests(evaluator, env, evaluator.ruleset.definitions[expr.name].expr)
    if isinstance(expr, core.Not):
        return deciding_tests(evaluator, env, expr.operand)
    if isinstance(expr, core.BoolOp):
        values = [(o, compile_(o)(env)) for o in expr.operands]
        if isinstance(value, Unknown):
            chosen = [o for o, v in values if isinstance(v, Unknown)]
        else:
            chosen = [o for o, v in values if v is value]
        atoms: list[tuple[core.Expr, Any]] = []
        for operand in chosen:
            atoms.extend(a for a in deciding_tests(evaluator, env, operand) if a not in atoms)
        return atoms
    return [(expr, value)]
