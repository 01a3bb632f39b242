"""A legal-rules engine for Kazakhstan's child-safety law.

The pipeline, one module per arrow::

    provisions/*.law --parser--> syntax.Module --checker--> RuleSet --evaluator(case)--> Decision
                                                                |-- compile: closures, Kleene logic
                                                                '-- facts: pydantic case model

Use it like this::

    import rules
    bill = rules.load()                       # the bundled bill
    decision = bill.evaluate({"offence": {"date": "2024-07-01", "kind": "battery"},
                              "victim": {"age": 10}})
    decision.outcome("reconciliation")        # forbidden, with the provisions behind it
"""

from __future__ import annotations

import rules.cases
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
