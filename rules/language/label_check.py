"""Checking `labels` blocks, titles and quotes against the declarations, and counting coverage.

See `rules.language.labels` for what a label is and how it is keyed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rules.language import core
from rules.language import syntax as s
from rules.language.labels import (
    CONFIDENCE_KEYS,
    DECLARED_IN_ENGLISH,
    KINDS,
    LANGUAGES,
    NEEDS_SHORT,
    TAKES_SHORT,
    TEXT_PREFIX,
    Coverage,
    Label,
    Labels,
    QuoteText,
    spaced,
    text_key,
)
from rules.language.ruleset import (
    Action,
    ConclusionKind,
    ConclusionOutcome,
    Definition,
    DeonticOutcome,
    Fact,
    Provision,
    RuleSet,
)
from rules.language.source import NOWHERE, Diagnostics, Span, did_you_mean


def enum_types(facts: Mapping[str, Fact], enums: Mapping[str, core.Type],
               actions: Mapping[str, Action],
               conclusions: Mapping[str, ConclusionKind]) -> dict[str, core.Type]:
    """Every enumeration of a rule set by name: declared ones and those written inline."""
    found = dict(enums)
    types = [f.type for f in facts.values()] + [t for a in actions.values() for _, t in a.params]
    types += [c.type for c in conclusions.values()]
    for type_ in types:
        if type_.kind == "enum" and type_.enum and type_.enum not in found:
            found[type_.enum] = type_
    return found


def text_values(provisions: Iterable[Provision]) -> list[str]:
    """The texts provisions give readers as written: values (penalties, statuses) and the
    details of their citations."""
    found: list[str] = []
    for p in provisions:
        found.extend(c.detail for c in p.sources if c.detail and c.detail not in found)
        for outcome in p.outcomes:
            exprs = [outcome.value] if isinstance(outcome, ConclusionOutcome) else \
                [v for _, v in outcome.args] if isinstance(outcome, DeonticOutcome) else []
            for expr in exprs:
                if isinstance(expr, core.Lit) and expr.type.kind == "text" and \
                        isinstance(expr.value, str) and expr.value not in found:
                    found.append(expr.value)
    return found


def required_keys(ruleset: RuleSet) -> list[str]:
    """Every key a complete translation has, in a stable order."""
    from rules.language.citations import is_citation

    keys = [f"act.{a}" for a in ruleset.acts]
    keys += [f"fact.{p}" for p in ruleset.facts] + [f"question.{p}" for p in ruleset.facts]
    types = enum_types(ruleset.facts, ruleset.enums, ruleset.actions, ruleset.conclusions)
    keys += [f"value.{name}.{v}" for name, t in types.items() for v in t.values]
    keys += [f"action.{a}" for a in ruleset.actions]
    keys += [f"conclusion.{c}" for c in ruleset.conclusions]
    keys += [f"term.{d}" for d in ruleset.definitions]
    keys += [f"confidence.{c}" for c in CONFIDENCE_KEYS]
    keys += [text_key(t) for t in text_values(ruleset.provisions)
             if not is_citation(t, ruleset.acts)]
    keys += [text_key(p.rebuttal) for p in ruleset.presumptions.values()
             if p.rebuttal and text_key(p.rebuttal) not in keys]
    keys += [f"title.{p.id}" for p in ruleset.provisions]
    keys += [f"quote.{p.id}" for p in ruleset.provisions if p.quotes]
    return keys


def coverage(ruleset: RuleSet) -> list[Coverage]:
    """Per language: how many of the labels a complete translation needs are there."""
    keys = required_keys(ruleset)
    result = []
    for lang in LANGUAGES:
        present = 0
        gaps: list[str] = []
        missing: list[str] = []
        declared = ruleset.labels.gaps.get(lang, {})
        for key in keys:
            if _has(ruleset, lang, key):
                present += 1
            elif key in declared:
                gaps.append(key)
            else:
                missing.append(key)
        result.append(Coverage(lang, len(keys), present, tuple(gaps), tuple(missing)))
    return result


def _has(ruleset: RuleSet, lang: str, key: str) -> bool:
    if key.startswith(TEXT_PREFIX) and lang == "en":
        return True
    if key.startswith("quote."):
        provision = ruleset.by_id.get(key.removeprefix("quote."))
        return provision is not None and any(q.lang == lang for q in provision.quotes)
    return ruleset.labels.get(lang, key) is not None


# ---- checking -----------------------------------------------------------------------------------

@dataclass
class LabelChecker:
    """Checks `labels` blocks, titles and quotes against the declarations; builds `Labels`."""

    acts: Mapping[str, str]
    facts: Mapping[str, Fact]
    types: Mapping[str, core.Type]
    definitions: Mapping[str, Definition]
    actions: Mapping[str, Action]
    conclusions: Mapping[str, ConclusionKind]
    diagnostics: Diagnostics
    provisions: tuple[Provision, ...] = ()
    texts: tuple[str, ...] = ()

    def run(self, blocks: list[s.LabelsBlock], provisions: tuple[Provision, ...],
            more_texts: Iterable[str] = ()) -> Labels:
        self.provisions = provisions
        self.texts = (*text_values(provisions), *more_texts)
        by_lang: dict[str, dict[str, Label]] = {lang: {} for lang in LANGUAGES}
        gaps: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
        by_lang["en"].update(self._english())
        seen: dict[tuple[str, str], Span] = {}
        for block in blocks:
            if not self.language(block.lang, block.span):
                continue
            for entry in block.entries:
                key = text_key(entry.key) if entry.by_text else entry.key
                if (block.lang, key) in seen:
                    self.diagnostics.error("duplicate_label", f"`{entry.key}` has a second "
                                           f"{block.lang} label", entry.span,
                                           f"first given at {seen[(block.lang, key)]}")
                    continue
                seen[(block.lang, key)] = entry.span
                if self._entry(block.lang, entry):
                    by_lang[block.lang][key] = Label(entry.text, entry.short or "",
                                                     entry.aliases, entry.span)
            for gap in block.gaps:
                if self._key_known(gap.key, gap.span):
                    gaps[block.lang][gap.key] = gap.reason
        for p in self.provisions:
            for lang, title in p.titles:
                by_lang[lang][f"title.{p.id}"] = Label(title)
        self._ambiguous_aliases(by_lang)
        for lang, declared in gaps.items():
            for key in declared:
                if key in by_lang[lang]:
                    self.diagnostics.warning("gap_not_missing", f"`{key}` is declared missing "
                                             f"in {lang}, but it has a label",
                                             by_lang[lang][key].span, "remove the `gap` line")
        return Labels(by_lang, gaps)

    def language(self, lang: str, span: Span) -> bool:
        if lang in LANGUAGES:
            return True
        self.diagnostics.error("unknown_language", f"unknown language `{lang}`", span,
                               "expected en, ru or kk", did_you_mean(lang, LANGUAGES))
        return False

    def _english(self) -> dict[str, Label]:
        english = {f"act.{a}": Label(title, a) for a, title in self.acts.items()}
        english.update({f"fact.{p}": Label(f.doc) for p, f in self.facts.items() if f.doc})
        english.update({f"action.{a}": Label(x.description, spaced(a))
                        for a, x in self.actions.items() if x.description})
        english.update({f"conclusion.{c}": Label(x.description, spaced(c))
                        for c, x in self.conclusions.items() if x.description})
        english.update({f"title.{p.id}": Label(p.title) for p in self.provisions if p.title})
        return english

    def _valid_keys(self, kind: str) -> list[str]:
        if kind == "act":
            return list(self.acts)
        if kind in ("fact", "question"):
            return list(self.facts)
        if kind == "value":
            return [f"{name}.{v}" for name, t in self.types.items() for v in t.values]
        if kind == "action":
            return list(self.actions)
        if kind == "conclusion":
            return list(self.conclusions)
        if kind == "term":
            return list(self.definitions)
        if kind == "confidence":
            return list(CONFIDENCE_KEYS)
        return [p.id for p in self.provisions]

    def _key_known(self, key: str, span: Span) -> bool:
        kind, _, name = key.partition(".")
        if kind not in (*KINDS, "title", "quote"):
            self.diagnostics.error("unknown_label_key", f"`{key}` names nothing: `{kind}` is not "
                                   "a kind of label", span, did_you_mean(kind, KINDS),
                                   f"kinds: {', '.join(KINDS)}")
            return False
        valid = self._valid_keys(kind)
        if name not in valid:
            hint = did_you_mean(name, valid)
            self.diagnostics.error("unknown_label_key", f"unknown {kind} `{name}` in label "
                                   f"`{key}`", span, hint.replace("`", f"`{kind}.", 1))
            return False
        return True

    def _entry(self, lang: str, entry: s.LabelEntry) -> bool:
        texts = [entry.text, *([entry.short] if entry.short is not None else []), *entry.aliases]
        if any(not t.strip() for t in texts):
            self.diagnostics.error("empty_label", f"`{entry.key}` has an empty {lang} label",
                                   entry.span)
            return False
        if entry.by_text:
            if entry.key not in self.texts:
                self.diagnostics.error("unknown_label_key", f"no provision gives the text "
                                       f"value \"{entry.key}\"", entry.span,
                                       did_you_mean(entry.key, self.texts))
                return False
            if lang == "en":
                self.diagnostics.error("label_in_declaration", "an English label of an English "
                                       "text value says nothing new", entry.span)
                return False
            return self._parts(entry, "text")
        if not self._key_known(entry.key, entry.span):
            return False
        kind = entry.key.partition(".")[0]
        if kind in ("title", "quote"):
            self.diagnostics.error("unknown_label_key", f"a provision's {kind} is written in the "
                                   f"provision itself (`{kind} {lang} \"...\"`)", entry.span)
            return False
        if lang == "en" and kind in DECLARED_IN_ENGLISH:
            self.diagnostics.error("label_in_declaration", f"the English text of `{entry.key}` "
                                   "is its declaration's; change it there", entry.span)
            return False
        return self._parts(entry, kind)

    def _parts(self, entry: s.LabelEntry, kind: str) -> bool:
        if entry.aliases and kind != "value":
            self.diagnostics.error("unexpected_label_part", f"only enum values take aliases "
                                   f"(`also`), not `{entry.key}`", entry.span)
            return False
        if entry.short is not None and kind not in TAKES_SHORT:
            self.diagnostics.error("unexpected_label_part", f"`{entry.key}` takes no `short` "
                                   "form", entry.span)
            return False
        if entry.short is None and kind in NEEDS_SHORT:
            what = {"act": "its abbreviation", "action": "its name in a report",
                    "conclusion": "its name in a report"}[kind]
            self.diagnostics.error("missing_short", f"`{entry.key}` needs a `short` form "
                                   f"({what})", entry.span)
            return False
        return True

    def _ambiguous_aliases(self, by_lang: dict[str, dict[str, Label]]) -> None:
        """An alias (or label) that would name two values of one enum is an error."""
        from rules.language.spelling import normalize

        for name, type_ in self.types.items():
            owner: dict[str, tuple[str, Span]] = {normalize(v): (v, NOWHERE)
                                                    for v in type_.values}
            owner.update({normalize(spaced(v)): (v, NOWHERE) for v in type_.values})
            for lang in LANGUAGES:
                for value in type_.values:
                    label = by_lang[lang].get(f"value.{name}.{value}")
                    if label is None:
                        continue
                    for text in (label.text, *label.aliases):
                        norm = normalize(text)
                        other, where = owner.setdefault(norm, (value, label.span))
                        if other != value:
                            self.diagnostics.error(
                                "ambiguous_alias", f"\"{text}\" would name both `{other}` and "
                                f"`{value}` of {name}", label.span,
                                f"`{other}` has it at {where}" if where != NOWHERE else
                                f"`{other}` is that value's own id")


def provision_texts(p: s.Provision, checker: LabelChecker
                    ) -> tuple[tuple[tuple[str, str], ...], tuple[QuoteText, ...]]:
    """A provision's titles in other languages and its quotes, each language at most once."""
    titles: dict[str, str] = {}
    quotes: dict[str, QuoteText] = {}
    for clause in p.clauses:
        if clause.kind == "title" and isinstance(clause.value, s.Title):
            title = clause.value
            if not checker.language(title.lang, clause.span):
                continue
            if title.lang == "en":
                checker.diagnostics.error("duplicate_clause", "the English title is the one in "
                                          "the provision's header", clause.span)
            elif title.lang in titles:
                checker.diagnostics.error("duplicate_clause", f"provision `{p.id}` has a second "
                                          f"{title.lang} title", clause.span)
            elif not title.text.strip():
                checker.diagnostics.error("empty_label", f"provision `{p.id}` has an empty "
                                          f"{title.lang} title", clause.span)
            else:
                titles[title.lang] = title.text
        elif clause.kind == "quote":
            quote = clause.value if isinstance(clause.value, s.Quote) else s.Quote(
                str(clause.value))
            if not checker.language(quote.lang, clause.span):
                continue
            if quote.lang in quotes:
                checker.diagnostics.error("duplicate_clause", f"provision `{p.id}` has a second "
                                          f"{quote.lang} quote", clause.span)
            elif not quote.text.strip() or (quote.official and not quote.source.strip()):
                checker.diagnostics.error("empty_label", f"provision `{p.id}` has an empty "
                                          f"{quote.lang} quote or source", clause.span)
            else:
                quotes[quote.lang] = QuoteText(quote.lang, quote.text, quote.official,
                                               quote.source)
    return tuple(titles.items()), tuple(quotes.values())


def ask_orders(items: Iterable[s.Item], facts: Mapping[str, Fact],
               diagnostics: Diagnostics) -> tuple[tuple[str, str], ...]:
    """`ask GATE before FACT` items, checked: GATE a yes/no fact, FACT another fact."""
    orders: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, s.AskOrder):
            continue
        ok = True
        for name in (item.gate, item.fact):
            if name not in facts:
                diagnostics.error("unknown_name", f"unknown fact `{name}`", item.span,
                                  did_you_mean(name, facts))
                ok = False
        if ok and facts[item.gate].type != core.BOOLEAN:
            diagnostics.error("type_mismatch", f"`ask {item.gate} before ...` needs a yes/no "
                              f"fact, but `{item.gate}` is {facts[item.gate].type}", item.span)
            ok = False
        if ok:
            orders.append((item.gate, item.fact))
    return tuple(orders)
