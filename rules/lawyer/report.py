"""A decision as a lawyer reads it: a report model, rendered with rich (and, in `html_report`, as
a page for the case file).

Order: the facts; the qualification (articles, category, aggravating circumstances, penalty);
procedures (reconciliation, liability, limitation); protections and referrals; what is
undetermined and which facts would settle it; conflicts. Each item says why: the provisions
behind it, the conditions they checked and the facts those conditions read, what was set aside
and on which ground (special law, later law, more favourable law), the citations, and a mark on
anything resting on a secondary or uncertain source. Colour only where it carries meaning; plain
text when piped.

`build_report` turns a `Decision` into a `CaseReport` (plain data); `render_decision` and
`html_report.render_html` only lay it out, so the terminal and the document never disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from rules.cases.convert import flatten
from rules.i18n import translator
from rules.i18n.words import LawWords, word
from rules.language.ruleset import Provision, RuleSet
from rules.results import Decision, ProvisionTrace
from rules.text import escape_text, has_control


def N_(message: str) -> str:
    """Mark a message for extraction (pybabel) where it is translated later."""
    return message


def _add_row(table: Table, *cells: RenderableType | str) -> None:
    """Add a row; plain strings are text, never rich markup (facts may contain brackets)."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))


PROTECTIONS = ("victim_support_programme", "bullying_support_programme",
               "district_support_centre_referral", "psychological_support_referral",
               "regional_commissioner_notification")
# Conclusions in the order a lawyer reads a qualification; any other conclusion comes after.
QUALIFICATION_ORDER = ("qualification", "crime_category", "aggravating_circumstances", "penalty")
_STYLE = {"required": "bold green", "forbidden": "bold red", "permitted": "cyan"}
_MARK = {"confirmed": "", "secondary": " [S]", "uncertain": " [U]"}
CONFIDENCE_NOTE = ("[S] secondary source, [U] uncertain source: check the text before relying "
                   "on it.")
_CONFIDENCE_NOTE = N_("{secondary} secondary source, {uncertain} uncertain source: check the text "
                      "before relying on it.")
def confidence_note(lang: str | None = None, ruleset: RuleSet | None = None) -> str:
    """The legend of the confidence marks, in a language."""
    tr = translator(lang)
    if ruleset is None:
        return tr.gettext(_CONFIDENCE_NOTE).format(secondary="[S]", uncertain="[U]")
    words = tr.words(ruleset)
    return tr.gettext(_CONFIDENCE_NOTE).format(secondary=words.mark("secondary"),
                                               uncertain=words.mark("uncertain"))


# ---- the report model ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FactLine:
    """One fact of the case: its value, what it means, and whether it was stated or computed."""

    path: str
    value: str
    doc: str
    derived: bool


@dataclass(frozen=True, slots=True)
class ConditionLine:
    """A condition a provision checked, its value on the case, and the facts it read."""

    kind: str
    text: str
    value: str                                   # true / false / unknown / not evaluated
    facts: tuple[tuple[str, str], ...]
    value_text: str = ""                         # the value in the report's language

    @property
    def shown(self) -> str:
        return self.value_text or self.value

    @property
    def facts_text(self) -> str:
        return ", ".join(f"{path} = {value}" for path, value in self.facts)


@dataclass(frozen=True, slots=True)
class SetAside:
    """A provision set aside on an item, by which provisions, and on which ground."""

    provision: str
    title: str
    by: tuple[str, ...]
    ground: str
    lang: str = "en"

    @property
    def text(self) -> str:
        return translator(self.lang).gettext("sets aside {provision} ({title}): {ground}").format(
            provision=self.provision, title=self.title, ground=self.ground)

    @property
    def by_text(self) -> str:
        return translator(self.lang).gettext("by {provisions}").format(
            provisions=", ".join(self.by))


@dataclass(frozen=True, slots=True)
class Reason:
    """One provision behind an item: where it comes from and why it applied."""

    provision: str
    title: str
    citations: tuple[str, ...]
    full_citations: tuple[str, ...]
    confidence: str
    quote: str
    conditions: tuple[ConditionLine, ...]
    quote_origin: str = ""        # official text (source) or our translation, unofficial
    mark_text: str = ""           # the confidence mark in the report's language

    @property
    def mark(self) -> str:
        return self.mark_text or _MARK.get(self.confidence, "")


@dataclass(frozen=True, slots=True)
class Item:
    """A determined outcome or conclusion, with its reasons."""

    name: str
    label: str
    value: str
    modality: str          # required / forbidden / permitted, or "" for a conclusion
    confidence: str
    reasons: tuple[Reason, ...]
    set_aside: tuple[SetAside, ...]
    mark_text: str = ""
    presumed: tuple[str, ...] = ()     # presumed facts it rests on

    @property
    def mark(self) -> str:
        return self.mark_text or _MARK.get(self.confidence, "")


@dataclass(frozen=True, slots=True)
class PresumedLine:
    """A presumption the decision rests on: the fact, its presumed value, why, what rebuts it."""

    path: str
    value: str
    doc: str
    sources: tuple[str, ...]
    rebuttal: str


@dataclass(frozen=True, slots=True)
class NeededFact:
    """A fact that would settle undetermined items, with how many it bears on."""

    path: str
    doc: str
    items: int


@dataclass(frozen=True, slots=True)
class UndeterminedLine:
    """An open item: what it can still become (each with an example of the facts that lead
    there), what settles it, and, when every possibility means the same, what that is."""

    label: str
    possible: tuple[str, ...]
    needs: tuple[str, ...]
    provisions: tuple[str, ...]
    examples: tuple[tuple[str, str], ...] = ()     # (possibility, the facts that lead there)
    meaning: str = ""                              # "" when the possibilities differ

    @property
    def settled_in_effect(self) -> bool:
        return bool(self.meaning)


@dataclass(frozen=True, slots=True)
class ConflictLine:
    on: str
    items: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class CaseReport:
    """Everything the report shows, in reading order."""

    when: str
    facts: tuple[FactLine, ...]
    sections: tuple[Section, ...]
    undetermined: tuple[UndeterminedLine, ...]
    needed: tuple[NeededFact, ...]
    conflicts: tuple[ConflictLine, ...]
    citations: tuple[tuple[str, str, str], ...]     # (provision, short, full), in report order
    record: Mapping[str, str]
    lang: str = "en"
    confidence_note: str = CONFIDENCE_NOTE
    presumed: tuple[PresumedLine, ...] = ()

    @property
    def empty(self) -> bool:
        return not (any(s.items for s in self.sections) or self.undetermined or self.conflicts)


def label(name: str) -> str:
    """`district_support_centre_referral` -> `district support centre referral`."""
    return name.replace("_", " ")


def value_text(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def set_aside_ground(winner: Provision | None, loser: Provision | None,
                     lang: str | None = None) -> str:
    """Why `winner` sets `loser` aside: more favourable law, later law, or special law."""
    _ = translator(lang).gettext
    if winner is None or loser is None:
        return _("overridden")
    if winner.effect == "improves" and loser.effect != "improves":
        return _("more favourable law (lex mitior, CC 6(1))")
    if winner.start > loser.start:
        return _("later and special law (in force from {date}; lex posterior, lex specialis)"
                 ).format(date=translator(lang).format_date(winner.start))
    return _("special law (lex specialis)")


def needed_facts(decision: Decision, ruleset: RuleSet | None = None,
                 exclude: frozenset[str] = frozenset(), lang: str | None = None
                 ) -> list[NeededFact]:
    """The facts undetermined items need, most decisive first (needed by most items, then name)."""
    counts: Counter[str] = Counter()
    for u in decision.open_items():
        counts.update(set(u.needs) - exclude)
    words = translator(lang).words(ruleset) if ruleset is not None else None
    known = ruleset.facts if ruleset is not None else {}
    return [NeededFact(path, words.fact(path) if words is not None and path in known else "",
                       count)
            for path, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _derivation_inputs(ruleset: RuleSet) -> dict[str, set[str]]:
    """For each computed fact, the facts it is computed from."""

    return {path: ruleset.facts_read(fact.derivation, derived=False)
            for path, fact in ruleset.facts.items() if fact.derivation is not None}


def _used_facts(facts: Mapping[str, object], inputs: Mapping[str, set[str]],
                words: LawWords | None = None) -> tuple[tuple[str, str], ...]:
    """The facts a condition read, without unknown inputs of a computed fact that is known
    (a birth date left out when the age was stated directly)."""
    hidden: set[str] = set()
    for derived, sources in inputs.items():
        if facts.get(derived) is not None:
            hidden |= {s for s in sources if facts.get(s) is None}
    return tuple((path, words.fact_value(path, v) if words is not None else value_text(v))
                 for path, v in facts.items() if path not in hidden)


def _reason(trace: ProvisionTrace | None, provision: Provision | None, pid: str,
            inputs: Mapping[str, set[str]], words: LawWords) -> Reason:
    tr = words.tr
    conditions: tuple[ConditionLine, ...] = ()
    if trace is not None:
        conditions = tuple(ConditionLine(c.kind, c.text, c.value,
                                         _used_facts(c.facts, inputs, words), word(tr, c.value))
                           for c in trace.conditions)
    if provision is None:
        confidence = (trace.confidence or "") if trace else "confirmed"
        return Reason(pid, trace.title if trace else "", tuple(trace.sources if trace else ()),
                      (), confidence, "", conditions, "", words.mark(confidence))
    quote = words.quote(provision)
    return Reason(pid, words.title(provision),
                  tuple(words.citation(c) for c in provision.sources),
                  tuple(words.citation_full(c) for c in provision.sources),
                  provision.confidence, quote.text if quote else "", conditions,
                  words.quote_origin(quote) if quote else "", words.mark(provision.confidence))


def _set_aside(decision: Decision, ruleset: RuleSet, losers: list[str],
               winners: list[str], words: LawWords) -> tuple[SetAside, ...]:
    result = []
    for loser in losers:
        trace = decision.trace(loser)
        by = [w for w in (trace.set_aside_by if trace else []) if w in winners] or \
            list(trace.set_aside_by if trace else [])
        loser_p = ruleset.by_id.get(loser)
        grounds = sorted({set_aside_ground(ruleset.by_id.get(w), loser_p, words.lang)
                          for w in by})
        title = words.title(loser_p) if loser_p else (trace.title if trace else "")
        result.append(SetAside(loser, title, tuple(by),
                               "; ".join(grounds) or words.tr.gettext("overridden"), words.lang))
    return tuple(result)


def _conclusion_value(ruleset: RuleSet, words: LawWords, name: str, value: object) -> str:
    kind = ruleset.conclusions.get(name)
    return words.typed_value(kind.type if kind is not None else None, value)


def _action_label(ruleset: RuleSet, words: LawWords, action: str,
                  args: Mapping[str, object]) -> str:
    name = words.action(action)
    if args:
        params = dict(ruleset.actions[action].params) if action in ruleset.actions else {}
        name += " (" + ", ".join(f"{k} = {words.typed_value(params.get(k), v)}"
                                 for k, v in args.items()) + ")"
    return name


def build_report(decision: Decision, ruleset: RuleSet, lang: str | None = None) -> CaseReport:
    """The report model of a decision: what to show, in order, with every reason, in a language
    (`lang`, else the one in use; see `rules.i18n.resolve_lang`)."""
    tr = translator(lang)
    words = tr.words(ruleset)
    _ = tr.gettext
    if decision.as_of:
        when = _("Law applied as of {date} ({source})").format(
            date=tr.format_date(decision.as_of), source=word(tr, decision.as_of_source))
    else:
        when = _("Law applied: the offence date is unknown, so whether each provision is in "
                 "force is itself unknown")
    stated = flatten(decision.case)
    presumed_paths = set(decision.explanation.presumed)
    facts = tuple(FactLine(path, words.fact_value(path, value),
                           words.fact(path) if path in ruleset.facts else "",
                           path not in stated)
                  for path, value in decision.explanation.facts.items()
                  if path not in presumed_paths)

    def basis(fact: str, given: list[str]) -> tuple[str, ...]:
        declared = ruleset.presumptions.get(fact)
        if declared is None or not declared.sources:
            return tuple(given)
        return tuple(words.citation(c) for c in declared.sources)

    presumed = tuple(PresumedLine(p.fact, words.fact_value(p.fact, p.value),
                                  words.fact(p.fact) if p.fact in ruleset.facts else "",
                                  basis(p.fact, list(p.sources)), words.text(p.rebuttal))
                     for p in decision.presumed)

    inputs = _derivation_inputs(ruleset)

    def reasons(ids: list[str]) -> tuple[Reason, ...]:
        return tuple(_reason(decision.trace(pid), ruleset.by_id.get(pid), pid, inputs, words)
                     for pid in ids)

    order = {name: i for i, name in enumerate(QUALIFICATION_ORDER)}
    conclusions = sorted(decision.conclusions,
                         key=lambda c: (order.get(c.name, len(order)), c.name))
    qualification = tuple(
        Item(c.name, words.conclusion(c.name), _conclusion_value(ruleset, words, c.name, c.value),
             "", c.confidence, reasons(c.provisions),
             _set_aside(decision, ruleset, c.set_aside, c.provisions, words),
             words.mark(c.confidence), tuple(c.presumed))
        for c in conclusions)
    procedures: list[Item] = []
    protections: list[Item] = []
    for o in decision.outcomes:
        item = Item(o.action, _action_label(ruleset, words, o.action, o.args),
                    word(tr, o.modality), o.modality, o.confidence, reasons(o.provisions),
                    _set_aside(decision, ruleset, o.set_aside, o.provisions, words),
                    words.mark(o.confidence), tuple(o.presumed))
        (protections if o.action in PROTECTIONS else procedures).append(item)
    sections = (Section(_("Qualification"), qualification),
                Section(_("Procedures"), tuple(procedures)),
                Section(_("Protections and referrals"), tuple(protections)))
    undetermined = []
    for u in decision.undetermined:
        if u.action:
            text = words.action(u.action)
        else:
            name = u.conclusion or ""
            text = words.conclusion(name)
            if u.value is not None:
                text += f" = {_conclusion_value(ruleset, words, name, u.value)}"
        possible = tuple(word(tr, p) for p in u.possible)
        examples = tuple((word(tr, state), ", ".join(f"{k} = {value_text(v)}"
                                                     for k, v in facts.items()))
                         for state, facts in u.examples.items())
        undetermined.append(UndeterminedLine(text, possible, tuple(u.needs),
                                             tuple(u.provisions), examples,
                                             word(tr, u.meaning) if u.meaning else ""))
    conflicts = tuple(
        ConflictLine(words.action(c.action) if c.action else words.conclusion(c.conclusion or ""),
                     tuple(f"{i.provision}: " + (word(tr, i.modality) if i.modality else
                                                 _conclusion_value(ruleset, words,
                                                                   c.conclusion or "", i.value))
                           for i in c.items), c.message)
        for c in decision.conflicts)
    citations: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for section in sections:
        for item in section.items:
            for pid in [r.provision for r in item.reasons] + [s.provision for s in item.set_aside]:
                provision = ruleset.by_id.get(pid)
                if pid in seen or provision is None:
                    continue
                seen.add(pid)
                citations.extend((pid, words.citation(c), words.citation_full(c))
                                 for c in provision.sources)
    record = {"rules_sha256": decision.record.rules_sha256,
              "case_sha256": decision.record.case_sha256,
              "engine_version": decision.record.engine_version,
              "as_of": decision.record.as_of.isoformat() if decision.record.as_of else "unknown"}
    return CaseReport(when, facts, sections, tuple(undetermined),
                      tuple(needed_facts(decision, ruleset, lang=tr.lang)), conflicts,
                      tuple(citations), record, tr.lang, confidence_note(tr.lang, ruleset),
                      presumed)


# ---- rich rendering -----------------------------------------------------------------------------

def _mark(mark: str) -> Text:
    return Text(f" {mark}" if mark else "", style="yellow" if mark else "")


_VALUE_STYLE = {"true": "green", "false": "red", "unknown": "magenta", "not evaluated": "dim"}


def _reason_node(parent: Tree, reason: Reason) -> None:
    head = Text.assemble((reason.provision, "bold"), f" {reason.title} - ",
                         "; ".join(reason.citations), _mark(reason.mark))
    node = parent.add(head)
    for c in reason.conditions:
        line = Text.assemble(f"{c.kind} {c.text}: ", (c.shown, _VALUE_STYLE.get(c.value, "")))
        if c.facts:
            line.append(f"  [{c.facts_text}]", style="dim")
        node.add(line)


def _item_tree(item: Item, lang: str = "en") -> Tree:
    style = _STYLE.get(item.modality, "bold")
    head = Text.assemble(f"{item.label}: ", (item.value, style), _mark(item.mark))
    if item.presumed:
        head.append("  " + translator(lang).gettext("presumed: {facts}").format(
            facts=", ".join(item.presumed)), style="cyan")
    tree = Tree(head)
    for reason in item.reasons:
        _reason_node(tree, reason)
    for aside in item.set_aside:
        tree.add(Text(f"{aside.text} ({aside.by_text})", style="italic"))
    return tree


def render_report(report: CaseReport) -> RenderableType:
    """Lay out a report model for the terminal, in the report's language."""
    _ = translator(report.lang).gettext
    parts: list[RenderableType] = [Text(report.when, style="bold")]
    if report.facts:
        facts = Table(title=_("Facts"), title_justify="left")
        for column in (_("fact"), _("value"), _("meaning")):
            facts.add_column(column)
        computed = _("(computed)")
        for f in report.facts:
            _add_row(facts, f.path, f.value + (f" {computed}" if f.derived else ""), f.doc)
        parts.append(facts)
    if report.presumed:
        table = Table(title=_("Presumed (the case does not say; the law presumes it until "
                              "established otherwise)"), title_justify="left")
        for column in (_("fact"), _("presumed"), _("basis"), _("rebutted if")):
            table.add_column(column)
        for p in report.presumed:
            _add_row(table, p.path, p.value, "; ".join(p.sources), p.rebuttal)
        parts.append(table)
    for section in report.sections:
        if not section.items:
            continue
        parts.append(Text(""))
        parts.append(Text(section.title, style="bold underline"))
        parts.extend(_item_tree(item, report.lang) for item in section.items)
    settled = [u for u in report.undetermined if u.settled_in_effect]
    open_items = [u for u in report.undetermined if not u.settled_in_effect]
    if settled:
        parts.append(Text(""))
        table = Table(title=_("Settled in effect: the same whatever the facts not yet known"),
                      title_justify="left")
        for column in (_("item"), _("in effect"), _("could formally be")):
            table.add_column(column)
        for u in settled:
            _add_row(table, u.label, u.meaning, _(" or ").join(u.possible))
        parts.append(table)
    if open_items:
        parts.append(Text(""))
        table = Table(title=_("Undetermined: facts that would settle it"), title_justify="left")
        for column in (_("item"), _("could be (for example, if)"), _("needs")):
            table.add_column(column)
        for u in open_items:
            examples = dict(u.examples)
            could = "\n".join(_("%(state)s (if %(facts)s)") % {"state": state,
                                                                "facts": examples[state]}
                               if examples.get(state) else state for state in u.possible)
            _add_row(table, u.label, could, Text(", ".join(u.needs), style="magenta"))
        parts.append(table)
        needed = Table(title=_("Facts to find out, most decisive first"), title_justify="left")
        for column in (_("fact"), _("meaning"), _("items")):
            needed.add_column(column)
        for n in report.needed:
            _add_row(needed, n.path, n.doc, str(n.items))
        parts.append(needed)
    if report.conflicts:
        table = Table(title=_("Conflicts (not resolved: no priority between the provisions)"),
                      title_justify="left")
        table.add_column(_("on"))
        table.add_column(_("provisions"))
        for conflict in report.conflicts:
            _add_row(table, Text(conflict.on, style="bold red"), "; ".join(conflict.items))
        parts.append(table)
    if report.empty:
        parts.append(Text(_("No provision of the rule set applies to these facts.")))
    quotes = [r for s in report.sections for i in s.items for r in i.reasons if r.quote]
    if quotes:
        parts.append(Text(""))
        parts.append(Text(_("The law's words"), style="bold underline"))
        shown: set[str] = set()
        for r in quotes:
            if r.provision in shown:
                continue
            shown.add(r.provision)
            parts.append(Text.assemble((r.provision, "bold"), f": \u201c{r.quote}\u201d ",
                                       (f"({r.quote_origin})", "dim")))
    parts.append(Text(report.confidence_note, style="dim"))
    return Group(*parts)


def render_decision(decision: Decision, ruleset: RuleSet,
                    lang: str | None = None) -> RenderableType:
    """The case report: facts, qualification, procedures, protections, undetermined, conflicts."""
    return render_report(build_report(decision, ruleset, lang))


def render_why_not(trace: ProvisionTrace, ruleset: RuleSet | None = None,
                   decision: Decision | None = None, lang: str | None = None) -> RenderableType:
    """Why a provision did or did not apply: in force, each condition, the fact that decided it."""
    tr = translator(lang)
    _ = tr.gettext
    provision = ruleset.by_id.get(trace.id) if ruleset is not None else None
    words = tr.words(ruleset) if ruleset is not None else None
    title = words.title(provision) if words is not None and provision is not None else trace.title
    table = Table(title=Text(f"{trace.id}: {title}"), title_justify="left")
    for column in (_("condition"), _("value"), _("facts used")):
        table.add_column(column)
    window = ""
    if provision is not None:
        window = _("in force from {date}").format(date=tr.format_date(provision.start))
        if provision.end:
            window += " " + _("until {date}").format(date=tr.format_date(provision.end))
        if provision.effect == "improves":
            window += "; " + _("improves position, so it also reaches earlier acts")
    governing = ""
    if decision is not None:
        governing = (_("governing date {date} ({source})").format(
            date=tr.format_date(decision.as_of), source=word(tr, decision.as_of_source))
            if decision.as_of else _("governing date unknown"))

    def shown(path: str, value: object) -> str:
        return words.fact_value(path, value) if words is not None else value_text(value)

    in_force = Text(word(tr, trace.in_force), style=_VALUE_STYLE.get(trace.in_force, ""))
    _add_row(table, _("in force on the governing date"), in_force,
             "; ".join(x for x in (window, governing) if x))
    for condition in trace.conditions:
        used = ", ".join(f"{k} = {shown(k, v)}" for k, v in condition.facts.items())
        _add_row(table, f"{condition.kind} {condition.text}",
                 Text(word(tr, condition.value), style=_VALUE_STYLE.get(condition.value, "")),
                 used)
    verdict = {"applies": _("applies"), "does_not_apply": _("does not apply"),
               "undetermined": _("cannot be settled yet")}[trace.status]
    if trace.status == "applies" and trace.set_aside_by:
        verdict = _("applies, but is set aside on what the overriding provisions also decide")
    lines: list[RenderableType] = [table, Text(_("Verdict: the provision {verdict}.").format(
        verdict=verdict), style="bold")]
    for failure in trace.failed:
        if failure == "not in force on the governing date":
            lines.append(Text(_("Failed: not in force on the governing date ({window}; "
                                "{governing}).").format(window=window, governing=governing)
                              if window else _("Failed: not in force."), style="red"))
            continue
        failed = next((c for c in trace.conditions if f"{c.kind} {c.text}" == failure), None)
        what = (_("condition is false") if failed is not None and failed.kind == "if"
                else _("exception holds"))
        lines.append(Text(_("Failed: {failure} ({what})").format(failure=failure, what=what),
                          style="red"))
        for test in failed.on if failed is not None else []:
            used = ", ".join(f"{f} = {shown(f, v)}"
                             + (f" ({words.fact(f)})" if words is not None and
                                words.fact(f) != f else "")
                             for f, v in test.facts.items())
            text = _("on: {test} is {value}").format(test=test.text, value=word(tr, test.value))
            if used:
                text += _(", because {facts}").format(facts=used)
            lines.append(Text("   " + text))
    if trace.needs:
        def need(n: str) -> str:
            meaning = words.fact(n) if words is not None and ruleset is not None and \
                n in ruleset.facts else ""
            return f"{n} ({meaning})" if meaning and meaning != n else n
        lines.append(Text(_("Would be settled by: {facts}").format(
            facts=", ".join(need(n) for n in trace.needs)), style="magenta"))
    if trace.set_aside_by:
        grounds = [f"{w} ({set_aside_ground(ruleset.by_id.get(w), provision, tr.lang)})"
                   if ruleset is not None else w for w in trace.set_aside_by]
        lines.append(Text(_("Set aside by: {grounds}").format(grounds=", ".join(grounds))))
    sources = ([words.citation(c) for c in provision.sources]
               if words is not None and provision is not None else list(trace.sources))
    mark = words.mark(trace.confidence or "") if words is not None else \
        _MARK.get(trace.confidence or "", "").strip()
    lines.append(Text.assemble(_("Sources: {sources}").format(sources="; ".join(sources)),
                               _mark(mark)))
    return Group(*lines)


def write_atomic(path: str | Path, text: str) -> None:
    """Write a file whole or not at all (`rules.files.write_text`: checked, a temporary file in
    the same folder, fsync, then a rename)."""
    from rules.files import write_text

    write_text(Path(path), text)


class SafeConsole(Console):
    """A rich console that shows control characters in what it prints as visible escapes
    (`rules.text.escape_text`): case text is user input, and a district of "\\x1b[2J..." must
    not clear the screen or forge lines. Rich's own styling is added after, so it is kept."""

    def render(self, renderable: RenderableType,
               options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and has_control(segment.text):
                yield Segment(escape_text(segment.text, keep_newlines=True), segment.style)
            else:
                yield segment


def console(stderr: bool = False) -> Console:
    """A console that drops colour when output is not a terminal, and escapes control
    characters (see `SafeConsole`)."""
    return SafeConsole(stderr=stderr, highlight=False, soft_wrap=False)
