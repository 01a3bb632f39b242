"""Guided questions: `rules ask [CASE.json]`.

Start from what the case states and ask only for facts that can still change an outcome: the
facts the undetermined items need, most decisive first (needed by the most items, ties by name),
and then facts a provision only tests for being stated (`place.region is known`) when stating one
would change the decision. A fact computed from others (`victim.age` from the birth date and the
offence date) is asked directly unless one of its inputs is stated, in which case its missing
inputs are asked instead. "I don't know" (`?`, an empty answer, "don't know") is an answer: the
fact is not asked again and the report says what stays undetermined. An answer outside the
allowed values, or one the case rejects (an age that contradicts the birth date), is refused
with the reason and asked again. The session stops as soon as nothing more can change.

`Session` holds the logic and no I/O; `run_session` asks through two callables, so a terminal,
piped standard input and tests all drive the same code.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rules.language import core
from rules.language.ruleset import Fact, RuleSet
from rules.language.source import CaseError, did_you_mean
from rules.lawyer.report import label, needed_facts
from rules.results import Decision

DONT_KNOW_ANSWERS = frozenset({"", "?", "don't know", "dont know", "do not know", "i don't know",
                               "i dont know", "unknown", "idk", "not known"})
_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})


class AnswerError(ValueError):
    """An answer that cannot be accepted; the message says why and what is allowed."""


class _DontKnow:
    def __repr__(self) -> str:
        return "DONT_KNOW"


DONT_KNOW: Any = _DontKnow()


def allowed_answers(fact: Fact) -> str:
    """The answers a fact accepts, in words."""
    kind = fact.type.kind
    if kind == "boolean":
        text = "yes or no"
    elif kind == "integer":
        if fact.low is not None and fact.high is not None:
            text = f"a whole number from {fact.low} to {fact.high}"
        elif fact.low is not None:
            text = f"a whole number of at least {fact.low}"
        else:
            text = "a whole number"
    elif kind == "date":
        text = "a date like 2024-06-16"
        if fact.low is not None and fact.high is not None:
            text += f", from {fact.low.isoformat()} to {fact.high.isoformat()}"
        elif fact.low is not None:
            text += f", on or after {fact.low.isoformat()}"
        elif fact.high is not None:
            text += f", on or before {fact.high.isoformat()}"
    elif kind == "enum":
        text = "one of: " + ", ".join(f"{i} {v}" for i, v in enumerate(fact.type.values, 1))
        text += " (the name or its number)"
    else:
        text = "any text"
    return text + "; or ? if you don't know"


def parse_answer(fact: Fact, text: str) -> Any:
    """The value an answer gives a fact, `DONT_KNOW`, or `AnswerError` with the reason."""
    answer = text.strip()
    lowered = answer.lower().replace("\u2019", "'")
    if lowered in DONT_KNOW_ANSWERS:
        return DONT_KNOW
    kind = fact.type.kind
    if kind == "boolean":
        if lowered in _YES:
            return True
        if lowered in _NO:
            return False
        raise AnswerError(f"{answer!r} is not yes or no")
    if kind == "integer":
        try:
            number = int(answer)
        except ValueError:
            raise AnswerError(f"{answer!r} is not a whole number") from None
        if (fact.low is not None and number < fact.low) or \
                (fact.high is not None and number > fact.high):
            raise AnswerError(f"{number} is outside {fact.low}..{fact.high}")
        return number
    if kind == "date":
        try:
            date = dt.date.fromisoformat(answer)
        except ValueError:
            raise AnswerError(f"{answer!r} is not a date like 2024-06-16") from None
        if fact.low is not None and date < fact.low:
            raise AnswerError(f"{date.isoformat()} is before {fact.low.isoformat()}")
        if fact.high is not None and date > fact.high:
            raise AnswerError(f"{date.isoformat()} is after {fact.high.isoformat()}")
        return date.isoformat()
    if kind == "enum":
        values = fact.type.values
        if answer.isdigit() and 1 <= int(answer) <= len(values):
            return values[int(answer) - 1]
        name = lowered.replace(" ", "_").replace("-", "_")
        if name in values:
            return name
        hint = did_you_mean(name, values)
        raise AnswerError(f"{answer!r} is not one of the answers" + (f"; {hint}" if hint else ""))
    return answer


@dataclass(frozen=True, slots=True)
class Question:
    """A fact to ask about, in plain words, with the items it bears on."""

    path: str
    doc: str
    allowed: str
    items: tuple[str, ...]      # the undetermined items (or provisions) it can settle

    @property
    def text(self) -> str:
        why = (f"it bears on {len(self.items)} open item(s): {', '.join(self.items[:6])}"
               + (", ..." if len(self.items) > 6 else ""))
        return f"{self.doc}? [{self.path}]\n  ({why})\n  Answer: {self.allowed}"


def _set(case: dict[str, Any], path: str, value: Any) -> None:
    *groups, leaf = path.split(".")
    node = case
    for group in groups:
        node = node.setdefault(group, {})
    node[leaf] = value


def _stated(case: dict[str, Any], path: str) -> bool:
    node: Any = case
    for key in path.split("."):
        if not isinstance(node, dict) or node.get(key) is None:
            return False
        node = node[key]
    return True


def _probe_value(fact: Fact) -> Any:
    kind = fact.type.kind
    if kind == "enum":
        return fact.type.values[0]
    if kind == "boolean":
        return True
    if kind == "integer":
        return fact.low if fact.low is not None else 0
    if kind == "date":
        date = fact.low or fact.high or dt.date.today()
        return date.isoformat()
    return "x"


def _tested_for_known(ruleset: RuleSet) -> list[str]:
    """Facts some condition tests with `is known` / `is unknown`, in name order."""
    found: set[str] = set()
    exprs: list[core.Expr] = [c.expr for p in ruleset.provisions for c in p.conditions]
    exprs += [d.expr for d in ruleset.definitions.values()]
    stack = exprs
    while stack:
        node = stack.pop()
        if isinstance(node, core.IsKnown):
            found |= ruleset.facts_read(node.operand, derived=False)
        stack.extend(core.children(node))
    return sorted(found)


def _specific_inputs(ruleset: RuleSet) -> set[str]:
    """Inputs of a derivation that serve only it (a birth date for an age; not the offence date).

    A computed fact is asked directly unless one of its specific inputs is stated: a lawyer who
    gave the birth date is then asked the missing offence date instead of the age.
    """
    uses: dict[str, int] = {}
    for fact in ruleset.facts.values():
        if fact.derivation is not None:
            for path in ruleset.facts_read(fact.derivation, derived=False):
                uses[path] = uses.get(path, 0) + 1
    return {path for path, count in uses.items()
            if count == 1 and path != ruleset.governing_date}


def _signature(decision: Decision) -> str:
    return "\n".join(x.model_dump_json() for part in (decision.outcomes, decision.conclusions,
                                                      decision.undetermined, decision.conflicts)
                     for x in part)


class Session:
    """A guided-questions session: the case so far, what was asked, what is still worth asking."""

    def __init__(self, ruleset: RuleSet, case: dict[str, Any] | None = None,
                 as_of: dt.date | None = None):
        self.ruleset = ruleset
        self.as_of = as_of
        self.case: dict[str, Any] = copy.deepcopy(case) if case else {}
        self.decision = ruleset.evaluate(self.case, as_of=as_of)   # CaseError on a bad case
        self.case = copy.deepcopy(self.decision.case)
        self.asked: list[str] = []
        self.answers: dict[str, Any] = {}
        self.not_known: list[str] = []
        self._known_tested = _tested_for_known(ruleset)
        self._specific = _specific_inputs(ruleset)

    def _candidates(self) -> list[Question]:
        done = set(self.asked)
        scores: dict[str, list[str]] = {}

        def add(path: str, items: list[str]) -> None:
            entry = scores.setdefault(path, [])
            entry.extend(i for i in items if i not in entry)

        by_fact: dict[str, list[str]] = {}
        for u in self.decision.undetermined:
            name = label(u.action or u.conclusion or "")
            if u.conclusion and u.value is not None:
                name += f" = {u.value}"
            for path in u.needs:
                by_fact.setdefault(path, [])
                if name not in by_fact[path]:
                    by_fact[path].append(name)
        for needed in needed_facts(self.decision, self.ruleset):
            path = needed.path
            items = by_fact.get(path, [])
            fact = self.ruleset.facts.get(path)
            if fact is None or _stated(self.case, path):
                continue
            if fact.derivation is not None:
                inputs = sorted(self.ruleset.facts_read(fact.derivation, derived=False))
                if any(_stated(self.case, i) for i in inputs if i in self._specific):
                    missing = [i for i in inputs if not _stated(self.case, i) and i not in done]
                    if missing:
                        for i in missing:
                            add(i, items)
                        continue
            if path not in done:
                add(path, items)
        ranked = sorted(scores.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        return [self._question(path, items) for path, items in ranked]

    def _question(self, path: str, items: list[str]) -> Question:
        fact = self.ruleset.facts[path]
        return Question(path, fact.doc or path, allowed_answers(fact), tuple(items))

    def _known_probe(self) -> Question | None:
        """A fact only tested for being stated, when stating it would change the decision."""
        current = _signature(self.decision)
        for path in self._known_tested:
            if path in self.asked or _stated(self.case, path) or path not in self.ruleset.facts:
                continue
            trial = copy.deepcopy(self.case)
            _set(trial, path, _probe_value(self.ruleset.facts[path]))
            try:
                probed = self.ruleset.evaluate(trial, as_of=self.as_of)
            except CaseError:
                continue
            if _signature(probed) != current:
                changed = [p.id for p in probed.explanation.provisions
                           if p.status != "does_not_apply" and any(
                               path in c.facts for c in p.conditions)]
                return self._question(path, [f"provision {pid}" for pid in changed])
        return None

    def next_question(self) -> Question | None:
        """The most decisive fact still worth asking, or None when nothing more can change."""
        candidates = self._candidates()
        if candidates:
            return candidates[0]
        return self._known_probe()

    def answer(self, path: str, text: str) -> Any:
        """Record an answer (text as typed); `AnswerError` if it cannot be accepted."""
        fact = self.ruleset.facts[path]
        value = parse_answer(fact, text)
        if value is DONT_KNOW:
            self.asked.append(path)
            self.not_known.append(path)
            return value
        trial = copy.deepcopy(self.case)
        _set(trial, path, value)
        try:
            decision = self.ruleset.evaluate(trial, as_of=self.as_of)
        except CaseError as error:
            reasons = "; ".join(f"{p}: {why}" for p, why in error.problems)
            raise AnswerError(f"the case rejects it: {reasons}") from None
        self.case, self.decision = copy.deepcopy(decision.case), decision
        self.asked.append(path)
        self.answers[path] = value
        return value

    def still_undetermined(self) -> list[str]:
        """The undetermined items, as labels, for the closing summary."""
        items = []
        for u in self.decision.undetermined:
            name = label(u.action or u.conclusion or "")
            if u.conclusion and u.value is not None:
                name += f" = {u.value}"
            items.append(f"{name} (needs {', '.join(u.needs)})")
        return items


def run_session(session: Session, read: Callable[[str], str], write: Callable[[str], None],
                echo: bool = False) -> Decision:
    """Ask until nothing more can change; `read` raises EOFError or KeyboardInterrupt to stop.

    With `echo`, each answer read is written back (for piped input, so the transcript reads as a
    dialogue).
    """
    number = 0
    question = session.next_question()
    if question is None:
        write("Nothing to ask: no fact that is not stated can change the outcome.")
    while question is not None:
        number += 1
        write(f"\nQuestion {number}: {question.text}")
        while True:
            text = read("> ")
            if echo:
                write(text)
            try:
                session.answer(question.path, text)
                break
            except AnswerError as error:
                write(f"  Not accepted: {error} (please answer again)")
        question = session.next_question()
    if number:
        write(f"\nNothing more can change the outcome after {number} question(s).")
    if session.not_known:
        write("You did not know: " + ", ".join(session.not_known) + ".")
        remaining = session.still_undetermined()
        if remaining:
            write("These stay undetermined:\n" + "\n".join(f"  - {r}" for r in remaining))
    write("")
    return session.decision
