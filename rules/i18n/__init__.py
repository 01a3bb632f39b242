"""Languages: every word a user reads, in English, Russian or Kazakh.

Two kinds of text are translated, from two places:

* interface strings (report headings, questions, messages) live in gettext catalogs under
  `rules/i18n/locale/<lang>/LC_MESSAGES/rules.po`, managed with Babel; code marks them with
  `Translator.gettext` (`_`), templates with jinja2's i18n extension;
* the law's own words (provision titles and quotes, fact meanings, enum value labels, action and
  conclusion names, act names) live in the rule files next to the English, so a drafter adds a
  provision with its three titles in one place; `Translator.label` reads them from the RuleSet.

This module is the one entry point: `translator(lang)` for a language, `resolve_lang` for the
user's choice (`--lang`, `RULES_LANG`, the locale). English is the default and the fallback.
"""

from __future__ import annotations

import datetime as dt
import os

from rules.language.source import RulesError

LANGUAGES = ("en", "ru", "kk")
DEFAULT = "en"


class UnknownLanguage(RulesError):
    """A language the engine does not speak."""


def resolve_lang(lang: str | None = None) -> str:
    """The language to speak: the one asked for, else `RULES_LANG`, else English.

    >>> resolve_lang("RU")
    'ru'
    """
    chosen = lang or os.environ.get("RULES_LANG") or DEFAULT
    code = chosen.strip().lower().replace("_", "-").split("-")[0].split(".")[0]
    if code not in LANGUAGES:
        raise UnknownLanguage(f"unknown language {chosen!r}; use one of {', '.join(LANGUAGES)}")
    return code


class Translator:
    """Interface strings and dates in one language (English until catalogs are compiled)."""

    def __init__(self, lang: str = DEFAULT):
        self.lang = resolve_lang(lang)

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    def format_date(self, date: dt.date) -> str:
        return date.isoformat()


def translator(lang: str | None = None) -> Translator:
    """The translator for a language (see `resolve_lang`)."""
    return Translator(resolve_lang(lang))
