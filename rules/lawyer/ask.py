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
import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rules.i18n import Translator, translator
from rules.i18n.vocabulary import UnknownValue
from rules.language import core
from rules.language.ruleset import Fact, RuleSet
from rules.language.source import CaseError, did_you_mean
from rules.language.spelling import normalize
from rules.lawyer.report import needed_facts
from rules.results import Decision

# "I don't know" in the three languages (compared after `normalize`).
DONT_KNOW_ANSWERS = frozenset({"", "?", "don't know", "dont know", "do not know", "i don't know",
                               "i dont know", "unknown", "idk", "not known",
                               "не знаю", "неизвестно", "нет данных", "не известно",
                               "білмеймін", "белгісіз", "мәлімет жоқ"})
_YES = frozenset({"yes", "y", "true", "да", "д", "иә", "ия", "иа", "и"})
_NO = frozenset({"no", "n", "false", "нет", "н", "жоқ", "ж"})
# For a date that exists only if its yes/no gate is yes (`ask GATE before FACT`): there was none.
NEVER_ANSWERS = frozenset({"never", "none", "no", "n", "никогда", "не было", "нет", "н",
                           "ешқашан", "болған жоқ", "жоқ", "ж"})


def N_(message: str) -> str:
    return message


class AnswerError(ValueError):
    """An answer that cannot be accepted; the message says why and what is allowed."""


class _DontKnow:
    def __repr__(self) -> str:
        return "DONT_KNOW"


DONT_KNOW: Any = _DontKnow()


def allowed_answers(fact: Fact, ruleset: RuleSet | None = None, lang: str | None = None,
                    never: bool = False) -> str:
    """The answers a fact accepts, in words, in a language."""
    tr = translator(lang)
    _ = tr.gettext
    kind = fact.type.kind
    if kind == "boolean":
        text = _("yes or no")
    elif kind == "integer":
        if fact.low is not None and fact.high is not None:
            text = _("a whole number from {low} to {high}").format(low=fact.low, high=fact.high)
        elif fact.low is not None:
            text = _("a whole number of at least {low}").format(low=fact.low)
        else:
            text = _("a whole number")
    elif kind == "date":
        text = _("a date like 2024-06-16 or 16.06.2024")
        if fact.low is not None and fact.high is not None:
            text += ", " + _("from {low} to {high}").format(low=fact.low.isoformat(),
                                                           high=fact.high.isoformat())
        elif fact.low is not None:
            text += ", " + _("on or after {low}").format(low=fact.low.isoformat())
        elif fact.high is not None:
            text += ", " + _("on or before {high}").format(high=fact.high.isoformat())
        if never:
            text += "; " + _("never if there was none")
    elif kind == "enum":
        words = tr.words(ruleset) if ruleset is not None else None
        choices = ", ".join(f"{i} {v}" + (f" ({words.value(fact.type, v)})" if words is not None
                                          and normalize(words.value(fact.type, v))
                                          != normalize(v) else "")
                            for i, v in enumerate(fact.type.values, 1))
        text = _("one of: {choices} (the name, its number or its label in any language)").format(
            choices=choices)
    else:
        text = _("any text")
    return text + "; " + _("or ? if you don't know")


def parse_answer(fact: Fact, text: str, ruleset: RuleSet | None = None,
                 lang: str | None = None) -> Any:
    """The value an answer gives a fact, `DONT_KNOW`, or `AnswerError` with the reason.

    Yes and no in English, Russian or Kazakh; dates as 2024-06-16 or 16.06.2024; an enum value
    by its number, its id, or any label or alias in any language (`ruleset.vocabulary`).
    """
    tr = translator(lang)
    _ = tr.gettext
    answer = text.strip()
    lowered = normalize(answer.replace("\u2019", "'"))
    if lowered in DONT_KNOW_ANSWERS or answer in ("?", ""):
        return DONT_KNOW
    kind = fact.type.kind
    if kind == "boolean":
        if lowered in _YES:
            return True
        if lowered in _NO:
            return False
        raise AnswerError(_("{answer} is not yes or no").format(answer=repr(answer)))
    if kind == "integer":
        try:
            number = int(answer)
        except ValueError:
            raise AnswerError(_("{answer} is not a whole number").format(
                answer=repr(answer))) from None
        if (fact.low is not None and number < fact.low) or \
                (fact.high is not None and number > fact.high):
            raise AnswerError(_("{number} is outside {low}..{high}").format(
                number=number, low=fact.low, high=fact.high))
        return number
    if kind == "date":
        try:
            date = tr.parse_date(answer)
        except ValueError:
            raise AnswerError(_("{answer} is not a date like 2024-06-16 or 16.06.2024").format(
                answer=repr(answer))) from None
        if fact.low is not None and date < fact.low:
            raise AnswerError(_("{date} is before {low}").format(
                date=tr.format_date(date), low=tr.format_date(fact.low)))
        if fact.high is not None and date > fact.high:
            raise AnswerError(_("{date} is after {high}").format(
                date=tr.format_date(date), high=tr.format_date(fact.high)))
        return date.isoformat()
    if kind == "enum":
        values = fact.type.values
        if answer.isdigit() and 1 <= int(answer) <= len(values):
            return values[int(answer) - 1]
        if ruleset is None:
            name = lowered.replace(" ", "_")
            if name in values:
                return name
            hint = did_you_mean(name, values)
            raise AnswerError(_("{answer} is not one of the answers").format(answer=repr(answer))
                              + (f"; {hint}" if hint else ""))
        try:
            return ruleset.vocabulary.resolve(fact.type, answer, tr.lang)
        except UnknownValue as error:
            raise AnswerError(str(error)) from None
    return answer


@dataclass(frozen=True, slots=True)
class Question:
    """A fact to ask about, in plain words, with the items it bears on."""

    path: str
    doc: str
    allowed: str
    items: tuple[str, ...]      # the undetermined items (or provisions) it can settle
    lang: str = "en"

    @property
    def text(self) -> str:
        tr = translator(self.lang)
        count = len(self.items)
        shown = ", ".join(self.items[:6]) + (", ..." if count > 6 else "")
        why = tr.ngettext("it bears on {n} open item: {items}",
                          "it bears on {n} open items: {items}", count).format(n=count,
                                                                              items=shown)
        answer = tr.gettext("Answer: {allowed}").format(allowed=self.allowed)
        question = self.doc if self.doc.rstrip().endswith("?") else self.doc + "?"
        return f"{question} [{self.path}]\n  ({why})\n  {answer}"


def _stated_true(case: dict[str, Any], path: str) -> bool:
    node: Any = case
    for key in path.split("."):
        if not isinstance(node, dict):
            return False
        node = node.get(key)
    return node is True


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
                                                      decision.open_items(), decision.conflicts)
                     for x in part)


class Session:
    """A guided-questions session: the case so far, what was asked, what is still worth asking."""

    def __init__(self, ruleset: RuleSet, case: dict[str, Any] | None = None,
                 as_of: dt.date | None = None, lang: str | None = None,
                 presumptions: bool = True):
        self.ruleset = ruleset
        self.as_of = as_of
        self.presumptions = presumptions
        self.tr = translator(lang)
        self.words = self.tr.words(ruleset)
        self.current: Question | None = None     # the question being asked (for completion)
        self._gates = {fact: gate for gate, fact in ruleset.ask_order}
        self.case: dict[str, Any] = copy.deepcopy(case) if case else {}
        self.decision = ruleset.evaluate(self.case, as_of=as_of,   # CaseError on a bad case
                                         presumptions=presumptions)
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
        for u in self.decision.open_items():
            name = self._item_name(u.action, u.conclusion, u.value)
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
                gate = self._gates.get(path)
                if gate is None or (gate in done and self.answers.get(gate) is True) or \
                        _stated_true(self.case, gate):
                    add(path, items)
                elif gate not in done and not _stated(self.case, gate):
                    add(gate, items)       # whether there was one, before asking its date
        ranked = sorted(scores.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        return [self._question(path, items) for path, items in ranked]

    def _item_name(self, action: str | None, conclusion: str | None, value: Any) -> str:
        if action:
            return self.words.action(action)
        name = self.words.conclusion(conclusion or "")
        if value is not None and conclusion in self.ruleset.conclusions:
            name += " = " + self.words.typed_value(self.ruleset.conclusions[conclusion].type,
                                                   value)
        return name

    def _question(self, path: str, items: list[str]) -> Question:
        fact = self.ruleset.facts[path]
        return Question(path, self.words.question(path),
                        allowed_answers(fact, self.ruleset, self.tr.lang,
                                        never=path in self._gates),
                        tuple(items), self.tr.lang)

    def _known_probe(self) -> Question | None:
        """A fact only tested for being stated, when stating it would change the decision."""
        current = _signature(self.decision)
        for path in self._known_tested:
            if path in self.asked or _stated(self.case, path) or path not in self.ruleset.facts:
                continue
            trial = copy.deepcopy(self.case)
            _set(trial, path, _probe_value(self.ruleset.facts[path]))
            try:
                probed = self.ruleset.evaluate(trial, as_of=self.as_of,
                                               presumptions=self.presumptions)
            except CaseError:
                continue
            if _signature(probed) != current:
                changed = [p.id for p in probed.explanation.provisions
                           if p.status != "does_not_apply" and any(
                               path in c.facts for c in p.conditions)]
                return self._question(path, [self.tr.gettext("provision {id}").format(id=pid)
                                             for pid in changed])
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
        _ = self.tr.gettext
        gate = self._gates.get(path)
        if gate is not None and normalize(text) in NEVER_ANSWERS:
            if _stated_true(self.case, gate) or self.answers.get(gate) is True:
                raise AnswerError(_("{answer} contradicts an earlier answer: there was one "
                                    "({gate})").format(answer=repr(text.strip()), gate=gate))
            value: Any = False
            path, never = gate, path
        elif path in self._gates.values() and normalize(text) in NEVER_ANSWERS:
            never, value = "", False      # "was there an earlier one?" - "never"
        else:
            never = ""
            value = parse_answer(fact, text, self.ruleset, self.tr.lang)
        if value is DONT_KNOW:
            self.asked.append(path)
            self.not_known.append(path)
            return value
        trial = copy.deepcopy(self.case)
        _set(trial, path, value)
        try:
            decision = self.ruleset.evaluate(trial, as_of=self.as_of,
                                             presumptions=self.presumptions)
        except CaseError as error:
            reasons = "; ".join(f"{p}: {why}" for p, why in error.problems)
            raise AnswerError(_("the case rejects it: {reasons}").format(
                reasons=reasons)) from None
        if never:
            self.asked.append(never)
        self.case, self.decision = copy.deepcopy(decision.case), decision
        self.asked.append(path)
        self.answers[path] = value
        return value

    def still_undetermined(self) -> list[str]:
        """The undetermined items, as labels, for the closing summary."""
        items = []
        for u in self.decision.open_items():
            name = self._item_name(u.action, u.conclusion, u.value)
            items.append(self.tr.gettext("{item} (needs {facts})").format(
                item=name, facts=", ".join(u.needs)))
        return items


def wrap(text: str, width: int | None = None) -> str:
    """Text wrapped at word boundaries to the terminal's width, keeping each line's indent."""
    width = width or max(40, min(shutil.get_terminal_size((100, 24)).columns, 120))
    lines = []
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        lines.append(textwrap.fill(line, width, initial_indent="", subsequent_indent=" " * (
            indent + 2), break_long_words=False, break_on_hyphens=False) if line.strip()
            else line)
    return "\n".join(lines)


def run_session(session: Session, read: Callable[[str], str], write: Callable[[str], None],
                echo: bool = False) -> Decision:
    """Ask until nothing more can change; `read` raises EOFError or KeyboardInterrupt to stop.

    With `echo`, each answer read is written back (for piped input, so the transcript reads as a
    dialogue). Questions and messages are in the session's language, wrapped at word
    boundaries; `session.current` is the question being asked (a terminal completes its
    answers).
    """
    tr: Translator = session.tr
    _ = tr.gettext
    number = 0
    question = session.next_question()
    if question is None:
        write(wrap(_("Nothing to ask: no fact that is not stated can change the outcome.")))
    while question is not None:
        number += 1
        session.current = question
        write("\n" + wrap(_("Question {n}: {text}").format(n=number, text=question.text)))
        while True:
            text = read("> ")
            if echo:
                write(text)
            try:
                session.answer(question.path, text)
                break
            except AnswerError as error:
                write(wrap("  " + _("Not accepted: {reason} (please answer again)").format(
                    reason=error)))
        question = session.next_question()
    session.current = None
    if number:
        write("\n" + wrap(tr.ngettext("Nothing more can change the outcome after {n} question.",
                                      "Nothing more can change the outcome after {n} questions.",
                                      number).format(n=number)))
    if session.not_known:
        write(wrap(_("You did not know: {facts}.").format(facts=", ".join(session.not_known))))
        remaining = session.still_undetermined()
        if remaining:
            write(_("These stay undetermined:") + "\n"
                  + "\n".join(wrap(f"  - {r}") for r in remaining))
    write("")
    return session.decision
