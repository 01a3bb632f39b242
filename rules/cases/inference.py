"""What the law draws from a case's facts before any provision is read.

* *inferences* (`infer fact = value if condition`): a fact that follows from stated facts (a
  stated date of an earlier sanction means there was one); a case that states the opposite
  contradicts itself and is rejected, naming both fields;
* *constraints* (`constraint ... require expr`): facts that cannot hold together (a first offence
  and an earlier release on reconciliation); a case where one is false is rejected;
* *presumptions* (`presume fact = value`): the value a fact takes while the case does not
  establish it (no lagging development, no cruelty, no prior sanction); applied by the
  evaluator, which reports every outcome resting on one.

Inferences and constraints read the case file itself, so they may ask whether a fact `is known`;
legal conditions may not (the checker refuses it there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rules.interpreter.closures import Compiled, Compiler, Env
from rules.language.source import CaseError

if TYPE_CHECKING:
    from rules.language.ruleset import Constraint, Inference, Presumption, RuleSet


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@dataclass
class CaseRules:
    """A rule set's inferences, constraints and presumptions, compiled once."""

    inferences: list[tuple[Inference, Compiled]]
    constraints: list[tuple[Constraint, Compiled]]
    presumptions: dict[str, Presumption]

    @classmethod
    def of(cls, ruleset: RuleSet, compiler: Compiler) -> CaseRules:
        return cls([(i, compiler.compile(i.condition)) for i in ruleset.inferences],
                   [(c, compiler.compile(c.expr)) for c in ruleset.constraints],
                   dict(ruleset.presumptions))

    def infer(self, env: Env) -> dict[str, tuple[str, ...]]:
        """Add what the inferences draw to `env` (which holds only facts); return each inferred
        fact with the stated facts it rests on. Raise `CaseError` on a contradiction."""
        inferred: dict[str, tuple[str, ...]] = {}
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        fired: set[int] = set()
        changed = True
        while changed:   # until nothing new follows (each round sets a fact or stops)
            changed = False
            scratch = dict(env)      # definitions read by conditions are memoised here only
            for number, (inference, condition) in enumerate(self.inferences):
                if number in fired or condition(scratch) is not True:
                    continue
                fired.add(number)
                grounds = self._grounds(inference.facts, env, inferred)
                basis = f"{inference.text} ({', '.join(c.short for c in inference.sources)})"
                if inference.fact in values:
                    if values[inference.fact] != inference.value:
                        facts = ", ".join(sorted({*grounds, *inferred.get(inference.fact, ())}))
                        problems.append((inference.fact, "the facts contradict each other: "
                                         f"they give both {_show(values[inference.fact])} and "
                                         f"{_show(inference.value)} ({facts})"))
                    continue
                stated = env.get(inference.fact)
                if stated is not None and stated != inference.value:
                    shown = ", ".join(f"{g} = {_show(env[g])}" for g in grounds)
                    problems.append((inference.fact, f"is {_show(stated)}, but {shown} means it "
                                     f"is {_show(inference.value)}: {basis}"))
                    problems.extend((g, f"contradicts {inference.fact} = {_show(stated)}")
                                    for g in grounds)
                    continue
                values[inference.fact] = inference.value
                if stated is None:
                    env[inference.fact] = inference.value
                    inferred[inference.fact] = grounds
                    changed = True
                    break   # facts changed: re-read them from the start
        if problems:
            raise CaseError(problems)
        return inferred

    def check(self, env: Env, inferred: dict[str, tuple[str, ...]]) -> None:
        """Raise `CaseError` if the facts break a constraint, naming the stated facts."""
        problems: list[tuple[str, str]] = []
        scratch = dict(env)
        for constraint, expr in self.constraints:
            if expr(scratch) is not False:
                continue
            grounds = self._grounds(constraint.facts, env, inferred)
            shown = ", ".join(f"{g} = {_show(env[g])}" for g in grounds)
            why = (f"the facts contradict each other ({shown}): {constraint.title} "
                   f"({', '.join(c.short for c in constraint.sources)})")
            problems.extend((g, why) for g in grounds)
        if problems:
            raise CaseError(problems)

    @staticmethod
    def _grounds(reads: tuple[str, ...], env: Env,
                 inferred: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        """The stated facts behind some facts read: an inferred fact stands for its grounds."""
        found: list[str] = []
        for path in reads:
            if path not in env:
                continue
            for ground in inferred.get(path, (path,)):
                if ground not in found:
                    found.append(ground)
        return tuple(found)

    def presume(self, env: Env) -> list[Presumption]:
        """The presumptions that apply to a case: those on facts it leaves out."""
        return [p for fact, p in self.presumptions.items() if fact not in env]
