"""`rules ask` at a terminal: line editing, history and choice lists (prompt_toolkit).

Piped input keeps reading plain lines (`input`); at a terminal each answer is read with a
prompt_toolkit prompt: arrow keys move in the line, up and down recall earlier answers, Tab
lists the answers the current question accepts (enum values by their labels in the user's
language, yes and no in that language, `never` for a date that has a yes/no gate), filtered by
what is typed, case- and transliteration-blind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rules.language.spelling import normalize, skeleton

if TYPE_CHECKING:
    from rules.lawyer.ask import Session

_YES_NO = {"en": ("yes", "no"), "ru": ("да", "нет"), "kk": ("иә", "жоқ")}
_NEVER = {"en": "never", "ru": "никогда", "kk": "ешқашан"}
_DONT_KNOW = {"en": "?", "ru": "?", "kk": "?"}


def choices(session: Session) -> list[tuple[str, str]]:
    """(text to insert, what it is) for the question being asked."""
    question = session.current
    if question is None or question.path not in session.ruleset.facts:
        return []
    fact = session.ruleset.facts[question.path]
    lang = session.tr.lang
    _ = session.tr.gettext
    found: list[tuple[str, str]] = []
    if fact.type.kind == "enum":
        for value in fact.type.values:
            label = session.words.value(fact.type, value)
            found.append((label, value))
    elif fact.type.kind == "boolean":
        yes, no = _YES_NO[lang]
        found += [(yes, _("yes")), (no, _("no"))]
    elif fact.type.kind == "date" and question.path in dict(
            (fact, gate) for gate, fact in session.ruleset.ask_order):
        found.append((_NEVER[lang], _("there was none")))
    found.append((_DONT_KNOW[lang], _("I don't know")))
    return found


def matching(options: Iterable[tuple[str, str]], typed: str) -> list[tuple[str, str]]:
    """The options whose label or id starts with (or contains) what was typed."""
    key, latin = normalize(typed), skeleton(typed)
    found = []
    for text, meta in options:
        names = (normalize(text), normalize(meta))
        if not key or any(n.startswith(key) for n in names) or \
                any(key in n for n in names) or (latin and skeleton(text).startswith(latin)):
            found.append((text, meta))
    return found


def terminal_reader(session: Session) -> Callable[[str], str]:
    """A `read` for `run_session` with line editing, history and completion."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.document import Document
    from prompt_toolkit.history import InMemoryHistory

    class Answers(Completer):
        def get_completions(self, document: Document, complete_event: Any) -> Any:
            typed = document.text_before_cursor
            for text, meta in matching(choices(session), typed):
                yield Completion(text, start_position=-len(typed), display_meta=meta)

    prompt: PromptSession[str] = PromptSession(history=InMemoryHistory(), completer=Answers(),
                                               complete_while_typing=False)

    def read(message: str) -> str:
        return prompt.prompt(message)

    return read
