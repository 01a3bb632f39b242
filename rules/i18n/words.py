"""The law's own words of one rule set in one language: `translator(lang).words(ruleset)`.

Every name a reader sees goes through here: act titles and abbreviations, fact meanings and
questions, enum value labels, action and conclusion names, definitions in plain words, confidence
marks, text values, provision titles and quotes, citations. A missing label falls back to
English and then to the name itself, so output is never empty; `rules check` counts what is
missing (`rules.language.labels.coverage`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from rules.language import core
from rules.language.citations import format_parts, parse_reference
from rules.language.labels import Label, QuoteText, spaced, text_key
from rules.language.spelling import normalize

if TYPE_CHECKING:
    from rules.i18n import Translator
    from rules.language.ruleset import Citation, Provision, RuleSet

def N_(message: str) -> str:
    """Mark a message for extraction (pybabel) where it is translated later."""
    return message


# Words for values the engine itself produces, translated when shown.
_WORDS = {"required": N_("required"), "forbidden": N_("forbidden"), "permitted": N_("permitted"),
          "true": N_("true"), "false": N_("false"), "unknown": N_("unknown"),
          "not evaluated": N_("not evaluated"), "none": N_("none"), "conflict": N_("conflict"),
          "undetermined": N_("undetermined"), "offence date": N_("offence date"),
          "as_of": N_("--as-of"), "applies": N_("applies"),
          "does_not_apply": N_("does not apply"), "available": N_("available"),
          "not available": N_("not available")}


def word(tr: Translator, value: str) -> str:
    """An engine word (`required`, `true`, ...) in the translator's language."""
    return tr.gettext(_WORDS[value]) if value in _WORDS else value


_CONFIDENCE_EN = {"confirmed": ("confirmed (primary text)", ""),
                  "secondary": ("secondary source: check the text before relying on it", "[S]"),
                  "uncertain": ("uncertain source: check the text before relying on it", "[U]")}


class LawWords:
    """Labels of a rule set in the translator's language, with English as the fallback."""

    def __init__(self, ruleset: RuleSet, tr: Translator):
        self.ruleset = ruleset
        self.tr = tr
        self.lang = tr.lang

    # ---- generic ---------------------------------------------------------------------------------

    def label(self, key: str) -> Label | None:
        """The label of a key in this language, else in English, else None."""
        labels = self.ruleset.labels
        return labels.get(self.lang, key) or labels.get("en", key)

    def label_text(self, key: str) -> str:
        label = self.label(key)
        return label.text if label is not None else spaced(key.partition(".")[2])

    # ---- names -----------------------------------------------------------------------------------

    def act_title(self, act: str) -> str:
        label = self.label(f"act.{act}")
        return label.text if label is not None else self.ruleset.acts.get(act, act)

    def act_short(self, act: str) -> str:
        label = self.label(f"act.{act}")
        return label.short if label is not None and label.short else act

    def fact(self, path: str) -> str:
        """What a fact means (`The date of the act ...`), or its path."""
        label = self.label(f"fact.{path}")
        return label.text if label is not None else path

    def question(self, path: str) -> str:
        """How `rules ask` asks for a fact; its meaning with a question mark if none is given."""
        label = self.label(f"question.{path}")
        if label is not None:
            return label.text
        return self.fact(path).rstrip(".") + "?"

    def value(self, enum: str | core.Type, value: str) -> str:
        """An enum value's label (`Жамбылская область`), or the id in words."""
        name = enum.enum if isinstance(enum, core.Type) else enum
        label = self.label(f"value.{name}.{value}")
        return label.text if label is not None else spaced(value)

    def action(self, action: str) -> str:
        """An action's name as a report line starts (`reconciliation`, `примирение`)."""
        label = self.label(f"action.{action}")
        return label.short if label is not None and label.short else spaced(action)

    def action_description(self, action: str) -> str:
        label = self.label(f"action.{action}")
        return label.text if label is not None else spaced(action)

    def conclusion(self, name: str) -> str:
        label = self.label(f"conclusion.{name}")
        return label.short if label is not None and label.short else spaced(name)

    def conclusion_description(self, name: str) -> str:
        label = self.label(f"conclusion.{name}")
        return label.text if label is not None else spaced(name)

    def term(self, name: str) -> str:
        """A definition in plain words (`the victim is a minor`), or its name in words."""
        label = self.label(f"term.{name}")
        return label.text if label is not None else spaced(name)

    def confidence(self, confidence: str) -> str:
        label = self.label(f"confidence.{confidence}")
        return label.text if label is not None else _CONFIDENCE_EN.get(confidence,
                                                                       (confidence, ""))[0]

    def mark(self, confidence: str) -> str:
        """`[S]` / `[U]` (or the language's letters); empty for a confirmed source."""
        label = self.label(f"confidence.{confidence}")
        short = label.short if label is not None else _CONFIDENCE_EN.get(confidence, ("", ""))[1]
        return "" if confidence == "confirmed" else short

    def text(self, value: str) -> str:
        """A text value a provision gives: a reference written the language's way, a phrase
        from the labels, or the English text."""
        reference = parse_reference(value, self.ruleset.acts)
        if reference is not None:
            act, parts = reference
            return format_parts(self.lang, self.act_short(act), parts, compact=True)
        label = self.ruleset.labels.get(self.lang, text_key(value))
        return label.text if label is not None else value

    # ---- provisions ------------------------------------------------------------------------------

    def title(self, provision: Provision | str) -> str:
        p = self._provision(provision)
        if p is None:
            return str(provision)
        return dict(p.titles).get(self.lang, p.title)

    def quote(self, provision: Provision | str) -> QuoteText | None:
        """The provision's words in this language, else the English (our translation)."""
        p = self._provision(provision)
        if p is None or not p.quotes:
            return None
        by_lang = {q.lang: q for q in p.quotes}
        return by_lang.get(self.lang) or by_lang.get("en") or p.quotes[0]

    def quote_origin(self, quote: QuoteText) -> str:
        """`official text (source)` or `our translation, unofficial`, in this language."""
        _ = self.tr.gettext
        if quote.official:
            return _("official text, {source}").format(source=quote.source)
        return _("our translation, unofficial")

    def citation(self, citation: Citation) -> str:
        """A short citation: `CC art. 68(4)(2)`, `п. 2 ч. 4 ст. 68 УК РК`."""
        text = format_parts(self.lang, self.act_short(citation.act), citation.parts)
        return f"{text}, {self.text(citation.detail)}" if citation.detail else text

    def citation_full(self, citation: Citation) -> str:
        """A full citation: the act's title, then the path."""
        path = format_parts(self.lang, "", citation.parts).strip(", ")
        parts = [self.act_title(citation.act), path]
        if citation.detail:
            parts.append(self.text(citation.detail))
        return ", ".join(p for p in parts if p)

    def _provision(self, provision: Provision | str) -> Provision | None:
        if isinstance(provision, str):
            return self.ruleset.by_id.get(provision)
        return provision

    # ---- values ----------------------------------------------------------------------------------

    def fact_value(self, path: str, value: Any) -> str:
        """A fact's value as a reader reads it: a date in the language's form, yes/no, an enum
        value's label with its id."""
        fact = self.ruleset.facts.get(path)
        return self.typed_value(fact.type if fact is not None else None, value)

    def typed_value(self, type_: core.Type | None, value: Any) -> str:
        _ = self.tr.gettext
        if value is None:
            return _("unknown")
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, dt.date) or (type_ is not None and type_.kind == "date"
                                          and isinstance(value, str)):
            try:
                date = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
            except ValueError:
                return str(value)
            return self.tr.format_date(date)
        if type_ is not None and type_.kind == "enum" and isinstance(value, str):
            label = self.value(type_, value)
            return value if normalize(label) == normalize(value) else f"{label} ({value})"
        if type_ is not None and type_.kind == "text" and isinstance(value, str):
            return self.text(value)
        return str(value)
