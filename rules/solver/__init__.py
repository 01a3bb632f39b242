"""Static analysis and proofs with z3: the rule set encoded over complete cases (`analysis`),
`rules check` (`check`: conflicts, dead provisions, idle overrides, gaps, presumptions that would
take a protection away), the exact possibilities of an undetermined item (`completions`)."""

from rules.language.ruleset import attach


def _completions(ruleset: object) -> object:
    from rules.solver.completions import Completions

    return Completions(ruleset)  # type: ignore[arg-type]


attach("completions", _completions)
