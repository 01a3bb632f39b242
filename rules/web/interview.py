"""The guided interview over HTTP: the engine behind `rules ask` (`lawyer.ask.Session`), with the
state in the request instead of a terminal session.

The state is the case so far, the facts answered "don't know", and, for the pages, the answers in
order (so "back" drops the last one and "forward" puts it back). Replaying the answers through
`Session.answer` re-validates each one, so a state edited by hand in a URL is checked like typed
answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rules.language.ruleset import RuleSet
from rules.lawyer.ask import AnswerError, Question, Session
from rules.web.forms import parse_date, value_label

DONT_KNOW = "?"


@dataclass
class State:
    """Where an interview stands: the starting case and the answers given, in order."""

    case: dict[str, Any] = field(default_factory=dict)
    steps: list[tuple[str, str]] = field(default_factory=list)    # (fact path, answer text)
    redo: list[tuple[str, str]] = field(default_factory=list)     # answers taken back

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"case": self.case, "steps": [list(s) for s in self.steps]}
        if self.redo:
            data["redo"] = [list(s) for s in self.redo]
        return data

    @classmethod
    def from_json(cls, data: Any) -> State:
        """A state from a URL or a request; `ValueError` if it has the wrong shape."""
        if not isinstance(data, dict):
            raise ValueError("the interview state must be a JSON object")
        case = data.get("case") or {}
        if not isinstance(case, dict):
            raise ValueError("state.case must be a JSON object")
        return cls(case, _pairs(data.get("steps"), "steps"), _pairs(data.get("redo"), "redo"))


def _pairs(value: Any, name: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in value):
        raise ValueError(f"state.{name} must be a list of [fact path, answer] pairs")
    return [(p[0], p[1]) for p in value]


def normalise_answer(ruleset: RuleSet, path: str, text: str) -> str:
    """An answer as the engine reads it: dates as written by people become ISO."""
    fact = ruleset.facts.get(path)
    if fact is not None and fact.type.kind == "date":
        date = parse_date(text)
        if date is not None:
            return date.isoformat()
    return text


def replay(ruleset: RuleSet, state: State, as_of: dt.date | str | None = None) -> Session:
    """A session with the state's answers given again (CaseError on a bad starting case,
    AnswerError naming the answer that is no longer accepted)."""
    session = Session(ruleset, state.case, as_of=_date(as_of))
    for path, text in state.steps:
        if path not in ruleset.facts:
            raise AnswerError(f"{path}: no such fact")
        try:
            session.answer(path, normalise_answer(ruleset, path, text))
        except AnswerError as error:
            raise AnswerError(f"{path}: {error}") from None
    return session


def _date(as_of: dt.date | str | None) -> dt.date | None:
    if as_of is None or isinstance(as_of, dt.date):
        return as_of
    from rules.language.source import CaseError

    try:
        return dt.date.fromisoformat(as_of)
    except ValueError:
        raise CaseError([("as_of", f"expected a date like 2024-06-16, got {as_of!r}")]) from None


def question_json(ruleset: RuleSet, question: Question) -> dict[str, Any]:
    """A question as the API gives it: the fact, its meaning, and the answers it allows."""
    fact = ruleset.facts[question.path]
    data: dict[str, Any] = {"path": question.path, "text": question.doc, "kind": fact.type.kind,
                            "allowed": question.allowed, "bears_on": list(question.items)}
    if fact.type.kind == "enum":
        data["choices"] = [{"value": v, "label": value_label(v)} for v in fact.type.values]
    for bound in ("low", "high"):
        value = getattr(fact, bound)
        if value is not None:
            data[bound] = value.isoformat() if isinstance(value, dt.date) else value
    return data
