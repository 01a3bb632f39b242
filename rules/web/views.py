"""What the pages show beyond the report model: the summary first, why-not lists, the API list.

The report model (`lawyer.report.build_report`) stays the one source of the items and their
reasons; these functions only pick and group from it and from the decision's own traces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rules.language.ruleset import RuleSet
from rules.lawyer.report import CaseReport, Item, NeededFact, UndeterminedLine
from rules.results import Decision, ProvisionTrace


@dataclass(frozen=True)
class Summary:
    """The answer at a glance: what is required, forbidden, permitted, concluded, still open."""

    required: tuple[Item, ...]
    forbidden: tuple[Item, ...]
    permitted: tuple[Item, ...]
    conclusions: tuple[Item, ...]
    open: tuple[UndeterminedLine, ...]
    settle: NeededFact | None          # the question that settles the most open items
    conflicts: int


def summary(decision: Decision, report: CaseReport, ruleset: RuleSet) -> Summary:
    items = [i for s in report.sections for i in s.items]
    outcomes = [i for i in items if i.modality]
    return Summary(tuple(i for i in outcomes if i.modality == "required"),
                   tuple(i for i in outcomes if i.modality == "forbidden"),
                   tuple(i for i in outcomes if i.modality == "permitted"),
                   tuple(i for i in items if not i.modality),
                   report.undetermined, report.needed[0] if report.needed else None,
                   len(report.conflicts))


@dataclass(frozen=True)
class WhyNot:
    provision: str
    title: str
    failed: tuple[str, ...]
    href: str


def why_not_by_item(decision: Decision, ruleset: RuleSet,
                    link: Callable[[str], str]) -> dict[str, list[WhyNot]]:
    """For each action and conclusion, the provisions deciding it that did not apply, and why."""
    found: dict[str, list[WhyNot]] = {}
    for provision in ruleset.provisions:
        trace = decision.trace(provision.id)
        if trace is None or trace.status != "does_not_apply":
            continue
        for name in sorted(provision.decides):
            found.setdefault(name, []).append(WhyNot(provision.id, provision.title,
                                                     tuple(trace.failed), link(provision.id)))
    return found


@dataclass(frozen=True)
class WhyNotView:
    trace: ProvisionTrace
    verdict: str
    window: str
    needs: tuple[tuple[str, str], ...]


def why_not_view(trace: ProvisionTrace, ruleset: RuleSet, decision: Decision) -> WhyNotView:
    """The why-not page of one provision: the verdict, the in-force window, what would settle it."""
    provision = ruleset.provision(trace.id)
    verdict = {"applies": "applies", "does_not_apply": "does not apply",
               "undetermined": "cannot be settled yet"}[trace.status]
    if trace.status == "applies" and trace.set_aside_by:
        verdict = "applies, but is set aside"
    window = provision.start.isoformat() + (f" – {provision.end.isoformat()}"
                                            if provision.end else " –")
    needs = tuple((n, ruleset.facts[n].doc if n in ruleset.facts else "") for n in trace.needs)
    return WhyNotView(trace, verdict, window, needs)


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The OpenAPI operations in path order, with what the docs page shows of each."""
    found = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            parameters = [{"name": p.get("name", ""), "in": p.get("in", ""),
                           "description": p.get("description", "")
                           or p.get("schema", {}).get("description", ""),
                           "required": p.get("required", False)}
                          for p in op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            found.append({"method": method.upper(), "path": path,
                          "summary": op.get("summary", ""),
                          "description": op.get("description", ""),
                          "parameters": parameters,
                          "body": body.get("schema"), "tags": op.get("tags", [])})
    return found
