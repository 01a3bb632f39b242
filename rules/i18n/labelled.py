"""Labels for a decision's ids, on request (`rules eval --json --labels ru`).

The JSON contract stays language-neutral: ids, values and modalities are the stable ids. With
`--labels LANG` one more key, `labels`, maps every id the decision uses to its label in LANG, so
a client can show words without a second lookup.
"""

from __future__ import annotations

from typing import Any

from rules.i18n import translator
from rules.language.ruleset import RuleSet
from rules.results import Decision


def decision_labels(decision: Decision, ruleset: RuleSet, lang: str) -> dict[str, Any]:
    """`{"lang", "facts", "values", "actions", "modalities", "conclusions", "provisions"}`."""
    from rules.i18n.words import word

    tr = translator(lang)
    words = tr.words(ruleset)
    facts: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    for path, value in decision.explanation.facts.items():
        if path in ruleset.facts:
            facts[path] = words.fact(path)
            if value is not None:
                values.setdefault(path, {})[str(value)] = words.fact_value(path, value)
    actions = {o.action: words.action(o.action) for o in decision.outcomes}
    actions.update({u.action: words.action(u.action) for u in decision.undetermined if u.action})
    conclusions: dict[str, str] = {}
    for c in decision.conclusions:
        conclusions[c.name] = words.conclusion(c.name)
        kind = ruleset.conclusions.get(c.name)
        if c.value is not None:
            values.setdefault(c.name, {})[str(c.value)] = words.typed_value(
                kind.type if kind is not None else None, c.value)
    for u in decision.undetermined:
        if u.conclusion:
            conclusions[u.conclusion] = words.conclusion(u.conclusion)
    provisions = {p.id: words.title(p.id) for p in decision.explanation.provisions}
    modalities = {m: word(tr, m) for m in ("required", "forbidden", "permitted")}
    return {"lang": tr.lang, "facts": facts, "values": values, "actions": actions,
            "modalities": modalities, "conclusions": conclusions, "provisions": provisions}
