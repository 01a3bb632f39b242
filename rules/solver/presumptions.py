"""A presumption never takes a protection away from a child: proved with z3 in `rules check`.

For each presumption (`presume f = v`) and each protection (`protections ...`), the solver looks
for a case where the protection is *not available* (neither required nor permitted) when `f`
is `v`, and *available* when `f` has another value, everything else equal. Such a case is a
finding: leaving `f` out, the presumption would settle the protection as unavailable where
establishing the other value would grant it. Each witness is confirmed by the evaluator: the
case without `f` (the presumption applies) and with `f` set to the other value.
"""

from __future__ import annotations

from typing import Any

from rules.cases.convert import nest
from rules.language.ruleset import RuleSet
from rules.solver.analysis import (
    MODALITY_CODES,
    Encoder,
    Finding,
    Model,
    minimise,
    new_solver,
    safe_evaluate,
)

AVAILABLE = ("required", "permitted")
NOT_AVAILABLE = ("none", "forbidden")


def presumption_findings(ruleset: RuleSet, timeout_ms: int = 10_000
                         ) -> tuple[list[Finding], int]:
    """Findings (with confirmed witnesses) and the number of solver queries."""
    if not ruleset.presumptions or not ruleset.protections:
        return [], 0
    encoder = Encoder(ruleset.facts.values())
    model = Model(encoder, ruleset)
    z3 = encoder.z3
    consistency = encoder.derivations(ruleset)
    solver = new_solver(encoder, [], timeout_ms)
    findings: list[Finding] = []
    queries = 0
    states = {action: model.action_state(action) for action in ruleset.protections}
    for presumption in ruleset.presumptions.values():
        fact = ruleset.facts[presumption.fact]
        var = encoder.vars[presumption.fact]
        if fact.type.kind == "date":   # no presumption on a date in practice; not encoded
            continue
        other = z3.FreshConst(var.sort(), "other")
        presumed = encoder.z3_value(fact, presumption.value)
        rebutted = [other != presumed, *encoder.domain_of(fact, other)]
        with_presumed = [z3.substitute(t, (var, presumed)) for t in consistency]
        with_other = [z3.substitute(t, (var, other)) for t in consistency]
        for action, state in states.items():
            available = z3.Or(*[state == MODALITY_CODES[m] for m in AVAILABLE])
            taken = z3.Not(z3.substitute(available, (var, presumed)))
            granted = z3.substitute(available, (var, other))
            queries += 1
            solver.push()
            solver.add(taken, granted, *rebutted, *with_presumed, *with_other)
            status = str(solver.check())
            found = solver.model() if status == "sat" else None
            solver.pop()
            what = f"presumption {presumption.fact} = {presumption.value} and {action}"
            if status == "unknown":
                findings.append(Finding("unknown", f"{what}: the solver timed out; not "
                                        "proved either way"))
            if found is None:
                continue
            finding = _confirmed(ruleset, encoder, found, presumption.fact, other, action)
            if finding is not None:
                findings.append(finding)
    return findings, queries


def _confirmed(ruleset: RuleSet, encoder: Encoder, found: Any, path: str, other: Any,
               action: str) -> Finding | None:
    """The finding, if the evaluator agrees on a minimised witness (else nothing: the solver's
    case does not reproduce, which `rules check` would report as an inconsistency)."""
    flat = {p: v for p, v in encoder.witness(found, ruleset.facts).items() if p != path}
    value = encoder.decode(ruleset.facts[path], found.evaluate(other, model_completion=True))

    def holds(trial: dict[str, Any]) -> bool:
        without = safe_evaluate(ruleset, nest(trial), None)
        stated = safe_evaluate(ruleset, nest({**trial, path: value}), None)
        return without is not None and stated is not None and \
            without.state(action) in NOT_AVAILABLE and stated.state(action) in AVAILABLE

    if not holds(flat):
        return None
    witness = nest(minimise(flat, holds))
    presumption = ruleset.presumptions[path]
    return Finding(
        "presumption_takes_protection",
        f"presuming {path} = {_show(presumption.value)} can take {action} away from a child: "
        f"with {path} left out it is not available, with {path} = {_show(value)} it is",
        [], action, witness, confidence=presumption.confidence)


def _show(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
