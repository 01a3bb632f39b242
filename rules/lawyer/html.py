"""The case report as a document for the case file: one self-contained HTML page.

Rendered from the jinja2 templates in `rules/templates/` (`report.html`), the same ones the web
result page of `rules serve` uses, from the same `report.CaseReport` as the terminal report.
Inline CSS only (no scripts, fonts or images to fetch), laid out for A4 with a header (case
reference, date), page numbers and a footer with the rules hash; every piece of text escaped.

Sections (each a `<section id=...>`): facts, answers (the outcomes in one table), reasons (each
item with its provisions, conditions and the facts they read, and what was set aside), undetermined
(with the facts that would settle it), conflicts, citations, record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rules.language.ruleset import RuleSet
from rules.lawyer.report import CaseReport, build_report, write_atomic
from rules.results import Decision


def presumed_facts(decision: Decision) -> dict[str, Any]:
    """The facts the decision presumed (none until the engine declares presumptions), by path."""
    return {str(getattr(p, "fact", "")): p for p in getattr(decision, "presumed", None) or []}


def presumed_by_item(decision: Decision) -> dict[str, list[str]]:
    """For each outcome (by action) and conclusion (by name), the presumed facts it rests on."""
    found: dict[str, list[str]] = {}
    for outcome in decision.outcomes:
        paths = list(getattr(outcome, "presumed", None) or [])
        if paths:
            found.setdefault(outcome.action, []).extend(paths)
    for conclusion in decision.conclusions:
        paths = list(getattr(conclusion, "presumed", None) or [])
        if paths:
            found.setdefault(conclusion.name, []).extend(p for p in paths
                                                         if p not in found.get(conclusion.name, []))
    return found


def when_text(decision: Decision, lang: str = "en") -> str:
    """Which law was applied: as of which date, and why that date."""
    from rules.i18n import translator

    t = translator(lang)
    if decision.as_of is None:
        return t.gettext("Law applied: the offence date is unknown, so whether each provision is "
                         "in force is itself unknown")
    source = {"offence date": t.gettext("offence date"), "as_of": t.gettext("date asked for"),
              "unknown": t.gettext("unknown")}.get(decision.as_of_source, decision.as_of_source)
    return t.gettext("Law applied as of %(date)s (%(source)s)") % {
        "date": t.format_date(decision.as_of), "source": source}


def case_reference(decision: Decision) -> str:
    """A short reference for the case file: the first characters of the case hash."""
    return decision.record.case_sha256[:10].upper()


def report_context(decision: Decision, ruleset: RuleSet, lang: str = "en",
                   title: str | None = None, reference: str | None = None,
                   issued: dt.date | None = None,
                   report: CaseReport | None = None) -> dict[str, Any]:
    """What `report.html` renders: the report model and the page's header and footer."""
    from rules.i18n import translator

    t = translator(lang)
    return {"report": report or build_report(decision, ruleset, lang),
            "title": title or t.gettext("Case report"),
            "reference": reference or case_reference(decision),
            "issued": t.format_date(issued or dt.date.today()),
            "when": when_text(decision, lang),
            "presumed": presumed_facts(decision),
            "presumed_by_item": presumed_by_item(decision),
            "csp_nonce": "", "print_button": False, "back_href": "", "script_src": ""}


def render_report_html(context: Mapping[str, Any], lang: str = "en") -> str:
    """A report context (see `report_context`) as an HTML page."""
    from rules.templates import render

    return render("report.html", lang, **context)


def render_html(decision: Decision, ruleset: RuleSet, title: str | None = None,
                lang: str = "en") -> str:
    """The decision as a self-contained, printable HTML page."""
    return render_report_html(report_context(decision, ruleset, lang, title), lang)


def write_html(decision: Decision, ruleset: RuleSet, path: str | Path,
               title: str | None = None, lang: str = "en") -> None:
    """Write the HTML report whole or not at all (a folder that does not exist is a user error)."""
    from rules.language.source import RulesError

    target = Path(path)
    if not target.parent.is_dir():
        raise RulesError(f"{target}: the folder {target.parent} does not exist")
    write_atomic(target, render_html(decision, ruleset, title, lang))
