"""A decision as a lawyer reads it, rendered with rich.

Order: the qualification (articles, category, aggravating circumstances, penalty); procedures
(reconciliation, liability, limitation); protections and referrals; what is undetermined and
which facts would settle it; conflicts. Each item says why: the provisions behind it, what was
set aside, the citations, and a mark on anything resting on a secondary or uncertain source.
Colour only where it carries meaning; plain text when piped.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from .results import Decision, ProvisionTrace
from .ruleset import RuleSet

PROTECTIONS = ("victim_support_programme", "bullying_support_programme",
               "district_support_centre_referral", "psychological_support_referral",
               "regional_commissioner_notification")
_STYLE = {"required": "bold green", "forbidden": "bold red", "permitted": "cyan"}
_MARK = {"confirmed": "", "secondary": " [S]", "uncertain": " [U]"}


def _confidence_mark(confidence: str) -> Text:
    mark = _MARK.get(confidence, "")
    return Text(mark, style="yellow" if mark else "")


def _args(args: Mapping[str, object]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in args.items())


def render_decision(decision: Decision, ruleset: RuleSet) -> RenderableType:
    """The case report: qualification, procedures, protections, undetermined, conflicts."""
    parts: list[RenderableType] = []
    when = (f"Law applied as of {decision.as_of} ({decision.as_of_source})"
            if decision.as_of else "Law applied: the offence date is unknown, so whether each "
            "provision is in force is itself unknown")
    parts.append(Text(when, style="bold"))

    qualification = Table(title="Qualification", title_justify="left", show_lines=False,
                          expand=False)
    for column in ("conclusion", "value", "why", "sources"):
        qualification.add_column(column)
    for c in decision.conclusions:
        why = ", ".join(c.provisions)
        if c.set_aside:
            why += f" (sets aside {', '.join(c.set_aside)})"
        qualification.add_row(c.name.replace("_", " "), Text(str(c.value)), why,
                              Text("; ".join(c.sources)) + _confidence_mark(c.confidence))
    if decision.conclusions:
        parts.append(qualification)

    for title, protections in (("Procedures", False), ("Protections and referrals", True)):
        table = Table(title=title, title_justify="left")
        for column in ("action", "outcome", "why", "sources"):
            table.add_column(column)
        rows = [o for o in decision.outcomes if (o.action in PROTECTIONS) == protections]
        for o in rows:
            action = o.action.replace("_", " ")
            if o.args:
                action += f" ({_args(o.args)})"
            why = ", ".join(o.provisions)
            if o.set_aside:
                why += f"; sets aside {', '.join(o.set_aside)}"
            table.add_row(action, Text(o.modality, style=_STYLE[o.modality]), why,
                          Text("; ".join(o.sources)) + _confidence_mark(o.confidence))
        if rows:
            parts.append(table)

    if decision.undetermined:
        table = Table(title="Undetermined: facts that would settle it", title_justify="left")
        for column in ("item", "could be", "needs", "provisions"):
            table.add_column(column)
        for u in decision.undetermined:
            item = (u.action or u.conclusion or "").replace("_", " ")
            if u.conclusion and u.value is not None:
                item += f" = {u.value}"
            table.add_row(item, " or ".join(u.possible), Text(", ".join(u.needs),
                                                               style="magenta"),
                          ", ".join(u.provisions))
        parts.append(table)

    if decision.conflicts:
        table = Table(title="Conflicts (not resolved: no priority between the provisions)",
                      title_justify="left")
        table.add_column("on")
        table.add_column("provisions")
        for conflict in decision.conflicts:
            items = "; ".join(f"{i.provision}: {i.modality or i.value}" for i in conflict.items)
            table.add_row(Text(conflict.action or conflict.conclusion or "", style="bold red"),
                          items)
        parts.append(table)
    if not (decision.outcomes or decision.conclusions or decision.undetermined):
        parts.append(Text("No provision of the rule set applies to these facts."))
    parts.append(Text("[S] secondary source, [U] uncertain source: check the text before relying "
                      "on it.", style="dim"))
    return Group(*parts)


def render_why_not(trace: ProvisionTrace) -> RenderableType:
    """Why a provision did or did not apply: its in-force status and each condition's value."""
    table = Table(title=f"{trace.id}: {trace.title}", title_justify="left")
    for column in ("condition", "value", "facts used"):
        table.add_column(column)
    table.add_row("in force on the governing date", trace.in_force, "")
    for condition in trace.conditions:
        style = {"true": "green", "false": "red", "unknown": "magenta"}[condition.value]
        facts = ", ".join(f"{k} = {'unknown' if v is None else v}"
                          for k, v in condition.facts.items())
        table.add_row(f"{condition.kind} {condition.text}", Text(condition.value, style=style),
                      facts)
    verdict = {"applies": "applies", "does_not_apply": "does not apply",
               "undetermined": "cannot be settled yet"}[trace.status]
    lines: list[RenderableType] = [table, Text(f"Verdict: the provision {verdict}.",
                                               style="bold")]
    if trace.failed:
        lines.append(Text("Failed: " + "; ".join(trace.failed)))
    if trace.needs:
        lines.append(Text("Would be settled by: " + ", ".join(trace.needs), style="magenta"))
    if trace.set_aside_by:
        lines.append(Text("Set aside by: " + ", ".join(trace.set_aside_by)))
    lines.append(Text("Sources: " + "; ".join(trace.sources) + _MARK[trace.confidence]))
    return Group(*lines)


def console(stderr: bool = False) -> Console:
    """A console that drops colour when output is not a terminal."""
    return Console(stderr=stderr, highlight=False, soft_wrap=False)
