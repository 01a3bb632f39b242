"""A legal-rules engine for Kazakhstan's child-safety law.

The pipeline, read top to bottom (each package imports only those above it; the architecture
test holds it)::

    provisions/*.law
      --language.parser-->  syntax.Module        (trees with positions; source.Diagnostics)
      --language.checker--> RuleSet              (core expressions, types, labels, amendments)
      --semantics.plan-->   DecisionPlan         (windows, candidates, overrides, flags; the
                                                  combination rules in semantics.combine)
      --> interpreter  one case: closures over the plan, Kleene logic, explanations
      --> batch        many cases: polars, DuckDB/Spark through SQL, the interpreter; generate
      --> solver       z3 over the plan: rule-set findings, exact possibilities, retroactivity

and around it: `cases` (the case model, the fast reader, inferences and presumptions, file
reading), `i18n` (Russian and Kazakh), `results` (the pydantic output contract), and the three
users' tools: `lawyer` (report, HTML, ask, verify), `drafter` (diff, packages, consolidation,
redlines, impact, scenarios), `web` (the browser front end) and `lsp` (editors).

Use it like this::

    import rules
    bill = rules.load()                       # the bundled bill
    decision = bill.evaluate({"offence": {"date": "2024-07-01", "kind": "battery"},
                              "victim": {"age": 10}})
    decision.outcome("reconciliation")        # forbidden, with the provisions behind it
"""

from __future__ import annotations

import rules.cases
import rules.i18n  # (attaches the vocabulary to every RuleSet)
import rules.interpreter
import rules.solver  # noqa: F401  (attaches the completion search to every RuleSet)
from rules.language.loader import bundled_path, check, load, parse
from rules.language.ruleset import RuleSet
from rules.language.source import (
    CaseError,
    Diagnostic,
    RulesError,
    RuleSetError,
    Span,
    UnknownProvision,
)
from rules.results import (
    Conclusion,
    Conflict,
    Decision,
    Explanation,
    Outcome,
    ProvisionTrace,
    Undetermined,
)
from rules.version import __version__

__all__ = [
    "CaseError", "Conclusion", "Conflict", "Decision", "Diagnostic", "Explanation", "Outcome",
    "ProvisionTrace", "RuleSet", "RuleSetError", "RulesError", "Span", "Undetermined",
    "UnknownProvision",
    "__version__", "bundled_path", "check", "load", "parse",
]
