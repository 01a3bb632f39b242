"""The reference interpreter: checked expressions lowered to closures (`closures`), cases decided
against the decision plan (`evaluator`), and explained (`explain`)."""

from rules.language.ruleset import attach


def _interpreter(ruleset: object) -> object:
    from rules.interpreter.evaluator import Evaluator

    return Evaluator(ruleset)  # type: ignore[arg-type]


attach("interpreter", _interpreter)
