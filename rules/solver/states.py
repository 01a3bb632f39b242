"""The state of every action and conclusion under several rule sets, as z3 terms over one set of
fact variables: what `rules diff`, the retroactivity check and package attribution compare.

A key is an action (its modality code), a single-valued conclusion (an index into the values the
rule sets may conclude, -1 none, -2 conflict) or one value of a list conclusion (1 concluded,
0 absent). The indices are shared by all the rule sets compared, so equal codes mean equal
states.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rules.language.ruleset import RuleSet
from rules.solver.analysis import CODE_MODALITY, MODALITY_CODES, Key, Model


@dataclass
class KeyTerms:
    """One key, its state term under each model (in the order given), and the conclusion
    values the codes index."""

    key: Key
    terms: list[Any]
    values: list[Any]

    def name(self, code: int) -> str:
        """The state a code stands for, as the evaluator reports it."""
        return state_name(self.key, code, self.values)

    def code(self, name: str) -> int:
        """The code of a state name (the inverse of `name`)."""
        if self.key.kind == "action":
            return MODALITY_CODES[name]
        if self.key.value is not None:
            return 1 if name == "concluded" else 0
        if name in ("none", "conflict"):
            return -1 if name == "none" else -2
        return [str(v) for v in self.values].index(name)


def state_name(key: Key, code: int, values: list[Any]) -> str:
    if key.kind == "action":
        return CODE_MODALITY[code]
    if key.value is not None:
        return "concluded" if code else "absent"
    return "conflict" if code == -2 else "none" if code == -1 else str(values[code])


def key_terms(models: list[Model], rulesets: list[RuleSet]) -> list[KeyTerms]:
    """Every action and conclusion of any of the rule sets, with its state under each model."""
    z3 = models[0].z3
    found: list[KeyTerms] = []
    actions = dict.fromkeys(a for r in rulesets for a in r.actions)
    for action in actions:
        found.append(KeyTerms(Key("action", action), [m.action_state(action) for m in models],
                              []))
    names = dict.fromkeys(n for r in rulesets for n in r.conclusions)
    for name in names:
        kind = next(r.conclusions[name] for r in reversed(rulesets) if name in r.conclusions)
        values = list(dict.fromkeys(v for m in models for v in m.conclusion_values(name)))
        if kind.many:
            for value in values:
                found.append(KeyTerms(Key("conclusion", name, value),
                                      [z3.If(m.concluded(name, value), 1, 0) for m in models],
                                      []))
        else:
            found.append(KeyTerms(Key("conclusion", name),
                                  [m.conclusion_state(name, values) for m in models], values))
    return found
