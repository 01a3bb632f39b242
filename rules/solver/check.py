"""`rules check`'s analysis: every static check of a rule set, in one call."""

from __future__ import annotations

import time
from collections.abc import Iterable

from rules.language.ruleset import RuleSet
from rules.solver.analysis import Analysis, analyse
from rules.solver.presumptions import presumption_findings


def check_all(ruleset: RuleSet, gaps: Iterable[str] = (), timeout_ms: int = 10_000) -> Analysis:
    """Conflicts, dead provisions, provisions always set aside, overrides that never bite, gaps
    for the given actions (`analyse`), and presumptions that could take a protection away from
    a child (`presumption_findings`); every witness confirmed by the evaluator."""
    started = time.perf_counter()
    result = analyse(ruleset, gaps, timeout_ms)
    found, queries = presumption_findings(ruleset, timeout_ms)
    result.findings.extend(found)
    result.queries += queries
    result.seconds = time.perf_counter() - started
    return result
