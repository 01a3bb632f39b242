"""Languages: every word a user reads, in English, Russian or Kazakh.

Two kinds of text are translated, from two places:

* interface strings (report headings, questions, messages) live in gettext catalogs under
  `rules/i18n/locale/<lang>/LC_MESSAGES/rules.po`, managed with Babel (`babel.cfg`; see
  docs/I18N.md); code marks them with `Translator.gettext` (`_`), templates with jinja2's i18n
  extension. The wheel carries them compiled (`.mo`, by the build hook `hatch_build.py`); a
  source checkout reads the `.po` directly when no `.mo` is built;
* the law's own words (provision titles and quotes, fact meanings, enum value labels, action and
  conclusion names, act names) live in the rule files next to the English, so a drafter adds a
  provision with its three titles in one place; `Translator.words(ruleset)` (a `LawWords`) and
  `Translator.label` read them from the RuleSet.

This module is the one entry point: `translator(lang)` for a language, `resolve_lang` for the
user's choice (`--lang`, `RULES_LANG`, the locale). English is the default and the fallback.
Plural forms and dates come from Babel (CLDR), not from code.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rules.language.ruleset import RuleSet, attach
from rules.language.source import RulesError

if TYPE_CHECKING:
    from rules.i18n.words import LawWords

LANGUAGES = ("en", "ru", "kk")
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "rules"
# How a date is written for people, per language (a CLDR format name or a Babel pattern):
# English keeps the ISO form the law's texts and our JSON use; Russian and Kazakh their long form.
DATE_FORMATS = {"en": "yyyy-MM-dd", "ru": "long", "kk": "long"}
# How a user may type a date in a question or a form, besides ISO `2025-03-10`.
INPUT_DATE_FORMATS = ("%d.%m.%Y",)


class UnknownLanguage(RulesError):
    """A language the engine does not speak."""


def _code(text: str) -> str:
    return text.strip().lower().replace("_", "-").split("-")[0].split(".")[0].split("@")[0]


def locale_lang() -> str | None:
    """The language of the user's locale (`LC_ALL`, `LC_MESSAGES`, `LANG`), if we speak it."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            code = _code(value)
            return code if code in LANGUAGES else None
    return None


_current: ContextVar[str | None] = ContextVar("rules_lang", default=None)


@contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Speak `lang` in everything called inside (messages of case errors, did-you-mean hints):
    what `--lang` does for a whole command.

    >>> with using("kk"):
    ...     resolve_lang()
    'kk'
    """
    chosen = resolve_lang(lang)
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def resolve_lang(lang: str | None = None) -> str:
    """The language to speak: the one asked for, else the one in use (`using`), else
    `RULES_LANG`, else the locale's, else English. A language asked for by name that we do not
    speak is an error; a locale we do not speak (`C`, `de_DE`) quietly means English.

    >>> resolve_lang("RU")
    'ru'
    """
    chosen = lang or _current.get() or os.environ.get("RULES_LANG")
    if not chosen:
        return locale_lang() or DEFAULT
    code = _code(chosen)
    if code not in LANGUAGES:
        raise UnknownLanguage(f"unknown language {chosen!r}; use one of {', '.join(LANGUAGES)}")
    return code


@cache
def _catalog(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of a language: the `.mo` when built, else the `.po` compiled here."""
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    if not po.is_file():
        return _gettext.NullTranslations()
    return _gettext.GNUTranslations(io.BytesIO(compile_po(po)))


def compile_po(po: Path) -> bytes:
    """A `.po` catalog compiled to `.mo` bytes with Babel (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


class Translator:
    """Interface strings, plurals, numbers and dates in one language."""

    def __init__(self, lang: str = DEFAULT):
        self.lang = resolve_lang(lang)
        self._catalog = _catalog(self.lang)

    def gettext(self, message: str) -> str:
        """The message in this language (the English text when no translation exists)."""
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form for `n` by the language's plural rule (Russian has three forms)."""
        return self._catalog.ngettext(singular, plural, n)

    def format_date(self, date: dt.date, format: str | None = None) -> str:
        """A date as people of this language write it (Babel, CLDR)."""
        from babel.dates import format_date

        return str(format_date(date, format or DATE_FORMATS[self.lang], locale=self.lang))

    def format_number(self, number: int | float) -> str:
        """A number with this language's grouping (`6,800,000`, `6 800 000`)."""
        from babel.numbers import format_decimal

        return str(format_decimal(number, locale=self.lang))

    def format_percent(self, share: float) -> str:
        """A share as a percentage with one decimal."""
        from babel.numbers import format_percent

        return str(format_percent(share, "#,##0.0%", locale=self.lang))

    def words(self, ruleset: RuleSet) -> LawWords:
        """The law's own words of a rule set in this language."""
        from rules.i18n.words import LawWords

        return LawWords(ruleset, self)

    def label(self, ruleset: RuleSet, key: str) -> str:
        """The label of a name (`value.region.jambyl`, `action.arrest`, ...) in this language,
        falling back to English, then to the name itself."""
        return self.words(ruleset).label_text(key)

    def parse_date(self, text: str) -> dt.date:
        """A date typed by a person: `2025-03-10` or `10.03.2025`; `ValueError` otherwise."""
        text = text.strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        for pattern in INPUT_DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise ValueError(text)


def translator(lang: str | None = None) -> Translator:
    """The translator for a language (see `resolve_lang`)."""
    return _translator(resolve_lang(lang))


@cache
def _translator(lang: str) -> Translator:
    return Translator(lang)


def _vocabulary(ruleset: RuleSet) -> object:
    from rules.i18n.vocabulary import Vocabulary

    return Vocabulary(ruleset)


attach("vocabulary", _vocabulary)     # `RuleSet.vocabulary` (the language layer imports no i18n)
