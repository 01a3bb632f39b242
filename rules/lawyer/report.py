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

import os
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from rules.language.ruleset import Provision, RuleSet
from rules.results import Decision, ProvisionTrace


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
    value: str
    facts: tuple[tuple[str, str], ...]

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

    @property
    def text(self) -> str:
        return f"sets aside {self.provision} ({self.title}): {self.ground}"


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

    @property
    def mark(self) -> str:
        return _MARK.get(self.confidence, "")


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
    presumed: tuple[str, ...] = ()     # presumed facts it rests on

    @property
    def mark(self) -> str:
        return _MARK.get(self.confidence, "")


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


def set_aside_ground(winner: Provision | None, loser: Provision | None) -> str:
    """Why `winner` sets `loser` aside: more favourable law, later law, or special law."""
    if winner is None or loser is None:
        return "overridden"
    if winner.effect == "improves" and loser.effect != "improves":
        return "more favourable law (lex mitior, CC 6(1))"
    if winner.start > loser.start:
        return (f"later and special law (in force from {winner.start.isoformat()}; lex posterior, "
                "lex specialis)")
    return "special law (lex specialis)"


def needed_facts(decision: Decision, ruleset: RuleSet | None = None,
                 exclude: frozenset[str] = frozenset()) -> list[NeededFact]:
    """The facts undetermined items need, most decisive first (needed by most items, then name)."""
    counts: Counter[str] = Counter()
    for u in decision.undetermined:
        counts.update(set(u.needs) - exclude)
    facts = ruleset.facts if ruleset is not None else {}
    return [NeededFact(path, facts[path].doc if path in facts else "", count)
            for path, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _derivation_inputs(ruleset: RuleSet) -> dict[str, set[str]]:
    """For each computed fact, the facts it is computed from."""

    return {path: ruleset.facts_read(fact.derivation, derived=False)
            for path, fact in ruleset.facts.items() if fact.derivation is not None}


def _used_facts(facts: Mapping[str, object],
                inputs: Mapping[str, set[str]]) -> tuple[tuple[str, str], ...]:
    """The facts a condition read, without unknown inputs of a computed fact that is known
    (a birth date left out when the age was stated directly)."""
    hidden: set[str] = set()
    for derived, sources in inputs.items():
        if facts.get(derived) is not None:
            hidden |= {s for s in sources if facts.get(s) is None}
    return tuple((path, value_text(v)) for path, v in facts.items() if path not in hidden)


def _reason(trace: ProvisionTrace | None, provision: Provision | None, pid: str,
            inputs: Mapping[str, set[str]]) -> Reason:
    conditions: tuple[ConditionLine, ...] = ()
    if trace is not None:
        conditions = tuple(ConditionLine(c.kind, c.text, c.value, _used_facts(c.facts, inputs))
                           for c in trace.conditions)
    if provision is None:
        return Reason(pid, trace.title if trace else "", tuple(trace.sources if trace else ()),
                      (), (trace.confidence or "") if trace else "confirmed", "", conditions)
    return Reason(pid, provision.title, tuple(c.short for c in provision.sources),
                  tuple(c.full for c in provision.sources), provision.confidence,
                  provision.quote, conditions)


def _set_aside(decision: Decision, ruleset: RuleSet, losers: list[str],
               winners: list[str]) -> tuple[SetAside, ...]:
    result = []
    for loser in losers:
        trace = decision.trace(loser)
        by = [w for w in (trace.set_aside_by if trace else []) if w in winners] or \
            list(trace.set_aside_by if trace else [])
        loser_p = ruleset.by_id.get(loser)
        grounds = sorted({set_aside_ground(ruleset.by_id.get(w), loser_p) for w in by})
        title = loser_p.title if loser_p else (trace.title if trace else "")
        result.append(SetAside(loser, title, tuple(by), "; ".join(grounds) or "overridden"))
    return tuple(result)


def build_report(decision: Decision, ruleset: RuleSet) -> CaseReport:
    """The report model of a decision: what to show, in order, with every reason."""
    when = (f"Law applied as of {decision.as_of} ({decision.as_of_source})"
            if decision.as_of else "Law applied: the offence date is unknown, so whether each "
            "provision is in force is itself unknown")
    stated = _flatten(decision.case)
    presumed_paths = set(decision.explanation.presumed)
    facts = tuple(FactLine(path, value_text(value),
                           ruleset.facts[path].doc if path in ruleset.facts else "",
                           path not in stated)
                  for path, value in decision.explanation.facts.items()
                  if path not in presumed_paths)
    presumed = tuple(PresumedLine(p.fact, value_text(p.value),
                                  ruleset.facts[p.fact].doc if p.fact in ruleset.facts else "",
                                  tuple(p.sources), p.rebuttal) for p in decision.presumed)

    inputs = _derivation_inputs(ruleset)

    def reasons(ids: list[str]) -> tuple[Reason, ...]:
        return tuple(_reason(decision.trace(pid), ruleset.by_id.get(pid), pid, inputs)
                     for pid in ids)

    order = {name: i for i, name in enumerate(QUALIFICATION_ORDER)}
    conclusions = sorted(decision.conclusions,
                         key=lambda c: (order.get(c.name, len(order)), c.name))
    qualification = tuple(
        Item(c.name, label(c.name), value_text(c.value), "", c.confidence, reasons(c.provisions),
             _set_aside(decision, ruleset, c.set_aside, c.provisions), tuple(c.presumed))
        for c in conclusions)
    procedures: list[Item] = []
    protections: list[Item] = []
    for o in decision.outcomes:
        name = label(o.action)
        if o.args:
            name += f" ({', '.join(f'{k} = {value_text(v)}' for k, v in o.args.items())})"
        item = Item(o.action, name, o.modality, o.modality, o.confidence, reasons(o.provisions),
                    _set_aside(decision, ruleset, o.set_aside, o.provisions), tuple(o.presumed))
        (protections if o.action in PROTECTIONS else procedures).append(item)
    sections = (Section("Qualification", qualification),
                Section("Procedures", tuple(procedures)),
                Section("Protections and referrals", tuple(protections)))
    undetermined = []
    for u in decision.undetermined:
        text = label(u.action or u.conclusion or "")
        if u.conclusion and u.value is not None:
            text += f" = {u.value}"
        examples = tuple((state, ", ".join(f"{k} = {value_text(v)}" for k, v in facts.items()))
                         for state, facts in u.examples.items())
        undetermined.append(UndeterminedLine(text, tuple(u.possible), tuple(u.needs),
                                             tuple(u.provisions), examples, u.meaning or ""))
    conflicts = tuple(
        ConflictLine(label(c.action or c.conclusion or ""),
                     tuple(f"{i.provision}: {i.modality or value_text(i.value)}"
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
                citations.extend((pid, c.short, c.full) for c in provision.sources)
    record = {"rules_sha256": decision.record.rules_sha256,
              "case_sha256": decision.record.case_sha256,
              "engine_version": decision.record.engine_version,
              "as_of": decision.record.as_of.isoformat() if decision.record.as_of else "unknown"}
    return CaseReport(when, facts, sections, tuple(undetermined),
                      tuple(needed_facts(decision, ruleset)), conflicts, tuple(citations), record,
                      presumed)


def _flatten(case: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in case.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# ---- rich rendering -----------------------------------------------------------------------------

def _mark(confidence: str) -> Text:
    mark = _MARK.get(confidence, "")
    return Text(mark, style="yellow" if mark else "")


_VALUE_STYLE = {"true": "green", "false": "red", "unknown": "magenta", "not evaluated": "dim"}


def _reason_node(parent: Tree, reason: Reason) -> None:
    head = Text.assemble((reason.provision, "bold"), f" {reason.title} - ",
                         "; ".join(reason.citations), _mark(reason.confidence))
    node = parent.add(head)
    for c in reason.conditions:
        line = Text.assemble(f"{c.kind} {c.text}: ", (c.value, _VALUE_STYLE.get(c.value, "")))
        if c.facts:
            line.append(f"  [{c.facts_text}]", style="dim")
        node.add(line)


def _item_tree(item: Item) -> Tree:
    style = _STYLE.get(item.modality, "bold")
    head = Text.assemble(f"{item.label}: ", (item.value, style), _mark(item.confidence))
    if item.presumed:
        head.append(f"  presumed: {', '.join(item.presumed)}", style="cyan")
    tree = Tree(head)
    for reason in item.reasons:
        _reason_node(tree, reason)
    for aside in item.set_aside:
        tree.add(Text(f"{aside.text} (by {', '.join(aside.by)})", style="italic"))
    return tree


def render_report(report: CaseReport) -> RenderableType:
    """Lay out a report model for the terminal."""
    parts: list[RenderableType] = [Text(report.when, style="bold")]
    if report.facts:
        facts = Table(title="Facts", title_justify="left")
        for column in ("fact", "value", "meaning"):
            facts.add_column(column)
        for f in report.facts:
            _add_row(facts, f.path, f.value + (" (computed)" if f.derived else ""), f.doc)
        parts.append(facts)
    if report.presumed:
        table = Table(title="Presumed (the case does not say; the law presumes it until "
                      "established otherwise)", title_justify="left")
        for column in ("fact", "presumed", "basis", "rebutted if"):
            table.add_column(column)
        for p in report.presumed:
            _add_row(table, p.path, p.value, "; ".join(p.sources), p.rebuttal)
        parts.append(table)
    for section in report.sections:
        if not section.items:
            continue
        parts.append(Text(""))
        parts.append(Text(section.title, style="bold underline"))
        parts.extend(_item_tree(item) for item in section.items)
    settled = [u for u in report.undetermined if u.settled_in_effect]
    open_items = [u for u in report.undetermined if not u.settled_in_effect]
    if settled:
        parts.append(Text(""))
        table = Table(title="Settled in effect: the same whatever the facts not yet known",
                      title_justify="left")
        for column in ("item", "in effect", "could formally be"):
            table.add_column(column)
        for u in settled:
            _add_row(table, u.label, u.meaning, " or ".join(u.possible))
        parts.append(table)
    if open_items:
        parts.append(Text(""))
        table = Table(title="Undetermined: facts that would settle it", title_justify="left")
        for column in ("item", "could be (for example, if)", "needs"):
            table.add_column(column)
        for u in open_items:
            examples = dict(u.examples)
            could = "\n".join(f"{state} (if {examples[state]})" if examples.get(state)
                               else state for state in u.possible)
            _add_row(table, u.label, could, Text(", ".join(u.needs), style="magenta"))
        parts.append(table)
        needed = Table(title="Facts to find out, most decisive first", title_justify="left")
        for column in ("fact", "meaning", "items"):
            needed.add_column(column)
        for n in report.needed:
            _add_row(needed, n.path, n.doc, str(n.items))
        parts.append(needed)
    if report.conflicts:
        table = Table(title="Conflicts (not resolved: no priority between the provisions)",
                      title_justify="left")
        table.add_column("on")
        table.add_column("provisions")
        for conflict in report.conflicts:
            _add_row(table, Text(conflict.on, style="bold red"), "; ".join(conflict.items))
        parts.append(table)
    if report.empty:
        parts.append(Text("No provision of the rule set applies to these facts."))
    parts.append(Text(CONFIDENCE_NOTE, style="dim"))
    return Group(*parts)


def render_decision(decision: Decision, ruleset: RuleSet) -> RenderableType:
    """The case report: facts, qualification, procedures, protections, undetermined, conflicts."""
    return render_report(build_report(decision, ruleset))


def render_why_not(trace: ProvisionTrace, ruleset: RuleSet | None = None,
                   decision: Decision | None = None) -> RenderableType:
    """Why a provision did or did not apply: in force, each condition, the fact that decided it."""
    provision = ruleset.by_id.get(trace.id) if ruleset is not None else None
    facts = ruleset.facts if ruleset is not None else {}
    table = Table(title=Text(f"{trace.id}: {trace.title}"), title_justify="left")
    for column in ("condition", "value", "facts used"):
        table.add_column(column)
    window = ""
    if provision is not None:
        window = f"in force from {provision.start.isoformat()}" + (
            f" until {provision.end.isoformat()}" if provision.end else "")
        if provision.effect == "improves":
            window += "; improves position, so it also reaches earlier acts"
    governing = ""
    if decision is not None:
        governing = (f"governing date {decision.as_of} ({decision.as_of_source})"
                     if decision.as_of else "governing date unknown")
    in_force = Text(trace.in_force, style=_VALUE_STYLE.get(trace.in_force, ""))
    _add_row(table, "in force on the governing date", in_force,
                  "; ".join(x for x in (window, governing) if x))
    for condition in trace.conditions:
        used = ", ".join(f"{k} = {value_text(v)}" for k, v in condition.facts.items())
        _add_row(table, f"{condition.kind} {condition.text}",
                      Text(condition.value, style=_VALUE_STYLE.get(condition.value, "")), used)
    verdict = {"applies": "applies", "does_not_apply": "does not apply",
               "undetermined": "cannot be settled yet"}[trace.status]
    if trace.status == "applies" and trace.set_aside_by:
        verdict = "applies, but is set aside on what the overriding provisions also decide"
    lines: list[RenderableType] = [table, Text(f"Verdict: the provision {verdict}.",
                                               style="bold")]
    for failure in trace.failed:
        if failure == "not in force on the governing date":
            lines.append(Text(f"Failed: not in force on the governing date ({window}; "
                              f"{governing})." if window else "Failed: not in force.",
                              style="red"))
            continue
        failed = next((c for c in trace.conditions if f"{c.kind} {c.text}" == failure), None)
        what = ("condition is false" if failed is not None and failed.kind == "if"
                else "exception holds")
        lines.append(Text(f"Failed: {failure} ({what})", style="red"))
        for test in failed.on if failed is not None else []:
            used = ", ".join(f"{f} = {value_text(v)}"
                             + (f" ({facts[f].doc})" if f in facts and facts[f].doc else "")
                             for f, v in test.facts.items())
            lines.append(Text(f"   on: {test.text} is {test.value}"
                              + (f", because {used}" if used else "")))
    if trace.needs:
        lines.append(Text("Would be settled by: " + ", ".join(
            f"{n} ({facts[n].doc})" if n in facts and facts[n].doc else n for n in trace.needs),
            style="magenta"))
    if trace.set_aside_by:
        grounds = [f"{w} ({set_aside_ground(ruleset.by_id.get(w), provision)})"
                   if ruleset is not None else w for w in trace.set_aside_by]
        lines.append(Text("Set aside by: " + ", ".join(grounds)))
    lines.append(Text.assemble("Sources: " + "; ".join(trace.sources),
                               _mark(trace.confidence or "")))
    return Group(*lines)


def write_atomic(path: str | Path, text: str) -> None:
    """Write a file whole or not at all: a temporary file in the same folder, then a rename."""
    target = Path(path)
    handle, temp = tempfile.mkstemp(dir=target.parent or Path("."), prefix=f".{target.name}.",
                                    suffix=".tmp")
    try:
        if target.exists():
            mode = target.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temp, mode)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def console(stderr: bool = False) -> Console:
    """A console that drops colour when output is not a terminal."""
    return Console(stderr=stderr, highlight=False, soft_wrap=False)
