"""The law's own words in each language: `labels` blocks, provision titles and quotes, checked.

A label is keyed by what it names, kind first, the way the rule text spells the name:

| key                    | names                         | English comes from              |
|------------------------|-------------------------------|---------------------------------|
| `act.CC`               | an act (title, `short` form)  | the `act` declaration           |
| `fact.offence.date`    | what a fact means             | the fact's doc string           |
| `question.victim.age`  | how `rules ask` asks for it   | `labels en`                     |
| `value.region.jambyl`  | an enum value (`also` aliases)| `labels en`                     |
| `action.arrest`        | an action (`short`: its name) | the `action` declaration        |
| `conclusion.penalty`   | a conclusion (`short`: name)  | the `conclusion` declaration    |
| `term.minor_victim`    | a definition in plain words   | `labels en`                     |
| `confidence.secondary` | a confidence (`short`: mark)  | `labels en`                     |
| `"fine of 10 MRP"`     | a text value a provision gives| the text itself                 |
| `title.<provision>`    | a provision's title           | the provision header            |
| `quote.<provision>`    | a provision's quoted text     | `quote "..."` (our translation) |

Titles and quotes are written inside each provision (`title ru "..."`, `quote kk "..." official
"source"`), so a drafter adds a provision with its three titles in one place. The checker
rejects a key that names nothing (with a did-you-mean), an unknown language, an empty label, a
repeated key, and an alias that would name two values of one enum; `coverage` counts, per
language, the labels present, declared missing (`gap KEY "why"`) and missing. This module holds
the data; `label_check` checks the blocks and counts coverage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rules.language.source import NOWHERE, Span

LANGUAGES = ("en", "ru", "kk")
KINDS = ("act", "fact", "question", "value", "action", "conclusion", "term", "confidence")
CONFIDENCE_KEYS = ("confirmed", "secondary", "uncertain")
# Kinds whose English is written in the declaration itself, not in `labels en`.
DECLARED_IN_ENGLISH = ("act", "fact", "action", "conclusion")
# Kinds that need a `short` form: an abbreviation, a name for a report line, a mark.
NEEDS_SHORT = ("act", "action", "conclusion")
TAKES_SHORT = (*NEEDS_SHORT, "confidence")
TEXT_PREFIX = "text:"


@dataclass(frozen=True, slots=True)
class Label:
    """A name in one language: its text, a short form where one is used, aliases for input."""

    text: str
    short: str = ""
    aliases: tuple[str, ...] = ()
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class QuoteText:
    """A provision's words in one language, official (with its source) or our translation."""

    lang: str
    text: str
    official: bool
    source: str = ""


@dataclass(frozen=True)
class Labels:
    """Every label of a rule set, by language then key; English folded in from declarations."""

    by_lang: Mapping[str, Mapping[str, Label]] = field(default_factory=dict)
    gaps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def get(self, lang: str, key: str) -> Label | None:
        return self.by_lang.get(lang, {}).get(key)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Labels present, declared missing and missing for one language."""

    lang: str
    total: int
    present: int
    gaps: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    def __str__(self) -> str:
        text = f"{self.lang}: {self.present}/{self.total} labels"
        if self.gaps:
            text += f" ({len(self.gaps)} known gap(s))"
        if self.missing:
            text += f", {len(self.missing)} missing"
        return text


def text_key(text: str) -> str:
    return TEXT_PREFIX + text


def spaced(name: str) -> str:
    """`district_support_centre_referral` -> `district support centre referral`."""
    return name.replace("_", " ")


