"""A provision in plain words, for `rules explain`, and the facts behind a failed condition, for
`rules eval --why-not`.

`describe` gathers what a lawyer asks about a provision: its words (quote), sources with full
citations, confidence, in-force period and effect, what it overrides and what overrides it, its
conditions (as written and in plain words, reading each fact by its doc and each definition by
what it stands for), and its outcomes. `deciding_atoms` walks a condition on a case down to the
simple tests (`victim.age < 18`, `offence.kind = murder`) that made it true or false, so a why-not
can name the fact it failed on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from rules.i18n import Translator, translator
from rules.language import core
from rules.language.ruleset import ConclusionOutcome, Provision, RuleSet


def N_(message: str) -> str:
    return message


def _add_row(table: Table, *cells: RenderableType | str) -> None:
    """Add a row; plain strings are text, never rich markup (facts may contain brackets)."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))


_OP_WORDS = {"=": N_("is"), "!=": N_("is not"), "<": N_("is under"), "<=": N_("is at most"),
             ">": N_("is over"), ">=": N_("is at least")}
_DATE_OP_WORDS = {"<": N_("is before"), "<=": N_("is on or before"), ">": N_("is after"),
                  ">=": N_("is on or after")}
_MODALITY_WORDS = {"required": N_("requires"), "forbidden": N_("forbids"),
                   "permitted": N_("permits")}


# ---- expressions as rule text and as plain words ------------------------------------------------

def _lit(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and not value.isidentifier():
        return f'"{value}"'
    return str(value)


def _doc(ruleset: RuleSet, path: str, tr: Translator) -> str:
    doc = tr.words(ruleset).fact(path)
    if doc == path:
        doc = path.replace(".", " ").replace("_", " ")
    return doc[:1].lower() + doc[1:]


class _Words(core.Lowering[str]):
    """An expression in plain words, in a language: facts by their meanings (and names),
    definitions by what they stand for, enum values by their labels."""

    def __init__(self, ruleset: RuleSet, tr: Translator):
        self.ruleset = ruleset
        self.tr = tr
        self.words = tr.words(ruleset)

    def lit(self, node: core.Lit) -> str:
        _ = self.tr.gettext
        if node.type.kind == "enum" and isinstance(node.value, str):
            return self.words.value(node.type, node.value)
        if isinstance(node.value, bool):
            return _("yes") if node.value else _("no")
        if isinstance(node.value, dt.date):
            return self.tr.format_date(node.value)
        return _lit(node.value)

    def fact(self, node: core.FactRef) -> str:
        return f"{_doc(self.ruleset, node.path, self.tr)} [{node.path}]"

    def definition(self, node: core.DefRef) -> str:
        return self.words.term(node.name)

    def negation(self, node: core.Not) -> str:
        return self.tr.gettext("not ({words})").format(words=self.lower(node.operand))

    def bool_op(self, node: core.BoolOp) -> str:
        parts = []
        for operand in node.operands:
            text = self.lower(operand)
            parts.append(f"({text})" if isinstance(operand, core.BoolOp) else text)
        _ = self.tr.gettext
        return (_(" and ") if node.op == "and" else _(" or ")).join(parts)

    def compare(self, node: core.Compare) -> str:
        table = _OP_WORDS
        if node.left.type.kind == "date":
            table = {**_OP_WORDS, **_DATE_OP_WORDS}
        return (f"{self.lower(node.left)} {self.tr.gettext(table[node.op])} "
                f"{self.lower(node.right)}")

    def arith(self, node: core.Arith) -> str:
        if node.right is None:
            return self.tr.gettext("minus {words}").format(words=self.lower(node.left))
        return f"{self.lower(node.left)} {node.op} {self.lower(node.right)}"

    def member(self, node: core.In) -> str:
        _ = self.tr.gettext
        values = ", ".join(self.lit(core.Lit(v, node.operand.type)) for v in node.values)
        subject = self.lower(node.operand)
        if node.negated:
            return _("{operand} is none of: {values}").format(operand=subject, values=values)
        return _("{operand} is one of: {values}").format(operand=subject, values=values)

    def is_known(self, node: core.IsKnown) -> str:
        _ = self.tr.gettext
        subject = self.lower(node.operand)
        if node.negated:
            return _("{operand} is not stated").format(operand=subject)
        return _("{operand} is stated").format(operand=subject)

    def call(self, node: core.Call) -> str:
        _ = self.tr.gettext
        first, second = (self.lower(a) for a in node.args)
        if node.function == "years_between":
            return _("whole years from {first} to {second}").format(first=first, second=second)
        return _("days from {first} to {second}").format(first=first, second=second)


def expr_words(expr: core.Expr, ruleset: RuleSet, lang: str | None = None) -> str:
    """An expression in plain words, in a language (see `_Words`)."""
    return _Words(ruleset, translator(lang)).lower(expr)


def definitions_of(expr: core.Expr, ruleset: RuleSet) -> list[str]:
    """The definitions an expression uses, directly or through other definitions, in order met."""
    found: list[str] = []
    stack = [expr]
    while stack:
        node = stack.pop(0)
        if isinstance(node, core.DefRef) and node.name not in found:
            found.append(node.name)
            stack.append(ruleset.definitions[node.name].expr)
        stack.extend(core.children(node))
    return found


# ---- a provision described ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ConditionWords:
    kind: str
    text: str
    words: str


@dataclass(frozen=True, slots=True)
class ProvisionDescription:
    id: str
    title: str
    quote: str
    sources: tuple[tuple[str, str], ...]            # (short, full)
    confidence: str
    in_force: str
    effect: str
    overrides: tuple[tuple[str, str], ...]          # (id, title)
    overridden_by: tuple[tuple[str, str], ...]
    conditions: tuple[ConditionWords, ...]
    definitions: tuple[tuple[str, str, str], ...]   # (name, rule text, words)
    facts: tuple[tuple[str, str], ...]              # (path, doc)
    outcomes: tuple[str, ...]
    lang: str = "en"
    quote_origin: str = ""                          # official text (source) / our translation
    other_quotes: tuple[tuple[str, str, str], ...] = ()  # (lang, text, origin) in other languages
    confidence_text: str = ""
    mark: str = ""


def find_provision(ruleset: RuleSet, pid: str) -> Provision:
    """The provision with this id, or `UnknownProvision` with a did-you-mean hint."""
    return ruleset.provision(pid)


_EFFECT = {"worsens": N_("worsens the offender's position: reaches only acts committed while in "
                         "force (CC 6(3))"),
           "improves": N_("improves the offender's position: also reaches acts committed before "
                          "it entered into force (CC 6(1))"),
           "neutral": N_("neutral: applies to acts committed while in force")}


def describe(ruleset: RuleSet, pid: str, lang: str | None = None) -> ProvisionDescription:
    """Everything `rules explain` shows about a provision, in a language."""
    tr = translator(lang)
    _ = tr.gettext
    words = tr.words(ruleset)
    lower = _Words(ruleset, tr).lower
    p = find_provision(ruleset, pid)
    in_force = _("from {date}").format(date=tr.format_date(p.start))
    if p.end:
        in_force += " " + _("until {date} (inclusive)").format(date=tr.format_date(p.end))
    overridden_by = tuple((q.id, words.title(q)) for q in ruleset.provisions
                          if p.id in q.overrides)
    conditions = tuple(ConditionWords(c.kind, c.text, lower(c.expr))
                       for c in p.conditions)
    definitions: list[str] = []
    facts: set[str] = set()
    for c in p.conditions:
        definitions.extend(d for d in definitions_of(c.expr, ruleset) if d not in definitions)
        facts |= ruleset.facts_read(c.expr, derived=False)
    outcomes = []
    for o in p.outcomes:
        if isinstance(o, ConclusionOutcome):
            value = o.value
            if isinstance(value, core.Lit) and value.type.kind == "text" and \
                    isinstance(value.value, str):
                shown = words.text(value.value)
            else:
                shown = lower(value)
            outcomes.append(_("concludes {name} = {value}").format(
                name=words.conclusion(o.name), value=shown))
            facts |= ruleset.facts_read(o.value, derived=False)
        else:
            text = f"{_(_MODALITY_WORDS[o.modality])} {words.action(o.action)}"
            description = words.action_description(o.action)
            if description and description != words.action(o.action):
                text += f" ({description})"
            if o.args:
                text += " " + _("with {arguments}").format(arguments=", ".join(
                    f"{k} = {lower(v)}" for k, v in o.args))
                for _name, arg in o.args:
                    facts |= ruleset.facts_read(arg, derived=False)
            outcomes.append(text)
    quote = words.quote(p)
    return ProvisionDescription(
        p.id, words.title(p), quote.text if quote else "",
        tuple((words.citation(c), words.citation_full(c)) for c in p.sources), p.confidence,
        in_force, _(_EFFECT[p.effect]),
        tuple((q, words.title(q)) for q in p.overrides if q in ruleset.by_id),
        overridden_by, conditions,
        tuple((d, ruleset.definitions[d].text, lower(ruleset.definitions[d].expr))
              for d in definitions),
        tuple((f, words.fact(f)) for f in sorted(facts) if f in ruleset.facts),
        tuple(outcomes), tr.lang, words.quote_origin(quote) if quote else "",
        tuple((q.lang, q.text, words.quote_origin(q)) for q in p.quotes if q != quote),
        words.confidence(p.confidence), words.mark(p.confidence))


def render_description(d: ProvisionDescription) -> RenderableType:
    """A provision for the terminal, in the description's language."""
    _ = translator(d.lang).gettext
    table = Table(title=Text(f"{d.id}: {d.title}"), title_justify="left", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    if d.quote:
        _add_row(table, _("text"), f"\u201c{d.quote}\u201d ({d.quote_origin})")
    for lang, text, origin in d.other_quotes:
        _add_row(table, _("text ({lang})").format(lang=lang), f"\u201c{text}\u201d ({origin})")
    _add_row(table, _("source"), "\n".join(full for _short, full in d.sources))
    confidence = f"{d.mark} {d.confidence_text}".strip() if d.mark else d.confidence_text
    _add_row(table, _("confidence"), Text(confidence,
                                          style="" if d.confidence == "confirmed" else "yellow"))
    _add_row(table, _("in force"), d.in_force)
    _add_row(table, _("effect"), d.effect)
    _add_row(table, _("overrides"), "\n".join(f"{i} ({t})" for i, t in d.overrides)
             or _("nothing"))
    _add_row(table, _("overridden by"), "\n".join(f"{i} ({t})" for i, t in d.overridden_by)
             or _("nothing"))
    parts: list[RenderableType] = [table]
    conditions = Table(title=_("Applies when"), title_justify="left")
    conditions.add_column(_("as written"))
    conditions.add_column(_("in plain words"))
    for c in d.conditions:
        _add_row(conditions, f"{c.kind} {c.text}",
                 (_("unless") + " " if c.kind == "unless" else "") + c.words)
    if d.conditions:
        parts.append(conditions)
    else:
        parts.append(Text(_("Applies whenever it is in force (no conditions).")))
    if d.definitions:
        terms = Table(title=_("Terms used"), title_justify="left")
        for column in (_("term"), _("defined as"), _("in plain words")):
            terms.add_column(column)
        for name, text, words in d.definitions:
            _add_row(terms, name, text, words)
        parts.append(terms)
    if d.facts:
        facts = Table(title=_("Facts read"), title_justify="left")
        facts.add_column(_("fact"))
        facts.add_column(_("meaning"))
        for path, doc in d.facts:
            _add_row(facts, path, doc)
        parts.append(facts)
    parts.append(Text(_("Outcomes"), style="bold"))
    parts.extend(Text(f"  - {o}") for o in d.outcomes)
    return Group(*parts)
