"""Cases: the case model built from the facts' declarations, loading, conversion, generation."""

from rules.language.ruleset import attach


def _case_model(ruleset: object) -> object:
    from rules.cases.model import build_case_model

    return build_case_model(ruleset)  # type: ignore[arg-type]


attach("case_model", _case_model)
