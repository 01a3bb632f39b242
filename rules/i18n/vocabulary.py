"""Every way a user writes an enum value, resolved by one function of the rule set.

`ruleset.vocabulary.resolve(enum, text)` is what the case loader, `rules ask`, the batch back end
(through `names`) and forms use: the value's id, its label in any language and its declared
aliases are the same answer in any letter case, with surrounding or repeated spaces, hyphens or
underscores (`rules.language.spelling.normalize`). Anything else is an `UnknownValue` whose
message lists the closest values, ranked on transliterated skeletons (so `Zhambylskaya` finds
`jambyl` and `otets` finds `parent`), each shown with its label in the user's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from rules.language import core
from rules.language.label_check import enum_types
from rules.language.labels import LANGUAGES, spaced
from rules.language.source import RulesError
from rules.language.spelling import closeness, normalize

if TYPE_CHECKING:
    from rules.language.ruleset import RuleSet


class UnknownValue(RulesError, ValueError):
    """A text that names no value of an enum; `suggestions` are the closest values."""

    def __init__(self, message: str, enum: str, text: str, suggestions: tuple[str, ...]):
        super().__init__(message)
        self.enum = enum
        self.text = text
        self.suggestions = suggestions


class Vocabulary:
    """The names of each enum's values in every language, for reading what users write."""

    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset

    @cached_property
    def types(self) -> dict[str, core.Type]:
        r = self.ruleset
        return enum_types(r.facts, r.enums, r.actions, r.conclusions)

    def enum_of(self, enum: str | core.Type) -> core.Type:
        if isinstance(enum, core.Type):
            return enum
        fact = self.ruleset.facts.get(enum)
        if fact is not None and fact.type.kind == "enum":
            return fact.type
        return self.types[enum]

    def spellings(self, enum: str | core.Type, value: str) -> list[str]:
        """Every declared way to write a value: id, labels and aliases in every language."""
        type_ = self.enum_of(enum)
        found = [value, spaced(value)]
        for lang in LANGUAGES:
            label = self.ruleset.labels.get(lang, f"value.{type_.enum}.{value}")
            if label is not None:
                found.extend((label.text, *label.aliases))
        return found

    @cached_property
    def _tables(self) -> dict[str, dict[str, str]]:
        return {name: {normalize(text): value for value in t.values
                       for text in reversed(self.spellings(t, value))}
                for name, t in self.types.items()}

    def names(self, enum: str | core.Type) -> Mapping[str, str]:
        """Normalised spelling -> value id: the table the batch back end joins on."""
        return self._tables[self.enum_of(enum).enum]

    def resolve(self, enum: str | core.Type, text: str, lang: str | None = None) -> str:
        """The value a user's text names, or `UnknownValue` with the closest values.

        `enum` is an enum's name, a fact path, or the type itself; `lang` is the language of
        the message (the default is the user's, see `rules.i18n.resolve_lang`).
        """
        type_ = self.enum_of(enum)
        value = self.names(type_).get(normalize(text))
        if value is not None:
            return value
        raise self.unknown(type_, text, lang)

    def suggest(self, enum: str | core.Type, text: str, limit: int = 3) -> tuple[str, ...]:
        """The values whose names are closest to `text` (transliteration-aware), best first."""
        type_ = self.enum_of(enum)
        scored = []
        for value in type_.values:
            best = max(closeness(text, name) for name in self.spellings(type_, value))
            scored.append((best, value))
        scored.sort(key=lambda sv: (-sv[0], type_.values.index(sv[1])))
        best = scored[0][0] if scored else 0.0
        good = [v for score, v in scored if score >= max(0.6, best - 0.15)]
        return tuple(good[:limit])

    def unknown(self, enum: str | core.Type, text: str, lang: str | None = None
                ) -> UnknownValue:
        """The error for a text that names no value, in the user's language."""
        from rules.i18n import translator

        type_ = self.enum_of(enum)
        tr = translator(lang)
        words = tr.words(self.ruleset)
        suggestions = self.suggest(type_, text)
        shown = [v if normalize(words.value(type_, v)) == normalize(v)
                 else f"{words.value(type_, v)} ({v})" for v in suggestions]
        if shown:
            message = tr.gettext("unknown value {text}; did you mean {choices}?").format(
                text=repr(text), choices=tr.gettext(" or ").join(shown))
        else:
            values = ", ".join(type_.values[:12]) + (", ..." if len(type_.values) > 12 else "")
            message = tr.gettext("unknown value {text}; expected one of {values}").format(
                text=repr(text), values=values)
        return UnknownValue(message, type_.enum, text, suggestions)
