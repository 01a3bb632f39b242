"""The impact report of a package of amendments: a data model, then an HTML document.

`build_impact` gathers what a drafting office reads before a bill goes out: the proof (every
transition on complete cases, attributed to the amendments that cause it, with witnesses; what is
proved unchanged; what reaches earlier acts), the redlines, and, with a corpus, the counts: cases
that change, by year of the act, by region and by group (the victim's age band and the kind of
offence), changes of action arguments (which district's centre, which region's commissioner),
and the changes that involve an undetermined outcome. Those last ones happen only on incomplete
cases, where the proof does not speak, and are marked as such.

Rendering is separate (`render_impact_html`, the jinja2 template
`rules/templates/impact_report.html`), so the same data can feed JSON or another page.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rules.drafter.package import Applied, PackageReport
from rules.drafter.redline import Redline, redlines
from rules.language.ruleset import RuleSet
from rules.language.source import CaseError
from rules.results import Decision

OUTSIDE_PROOF = "undetermined"


@dataclass
class Count:
    name: str
    before: str
    after: str
    cases: int
    share: float
    outside_proof: bool          # involves an undetermined outcome: incomplete cases only
    examples: list[str] = field(default_factory=list)


@dataclass
class ArgumentChange:
    action: str
    modality: str
    before: str
    after: str
    cases: int
    examples: list[str] = field(default_factory=list)


@dataclass
class CorpusImpact:
    file: str
    rows_in: int = 0
    evaluated: int = 0
    rejected: int = 0
    changed: int = 0
    changed_complete: int = 0          # rows whose changes all lie inside the proof
    transitions: list[Count] = field(default_factory=list)
    by_year: list[tuple[str, int]] = field(default_factory=list)
    by_region: list[tuple[str, int]] = field(default_factory=list)
    by_group: list[tuple[str, int]] = field(default_factory=list)
    arguments: list[ArgumentChange] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class ImpactReport:
    title: str
    generated: str
    amendments: list[dict[str, Any]]
    as_of: str | None
    proof: list[dict[str, Any]]
    unchanged: int
    unknown: list[dict[str, Any]]
    undone: list[dict[str, Any]]
    retroactivity: list[dict[str, Any]]
    redlines: list[Redline]
    corpus: CorpusImpact | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(json.dumps(asdict(self), default=str))
        return data


def age_band(age: Any) -> str:
    if not isinstance(age, int):
        return "age unknown"
    if age < 14:
        return "under 14"
    if age < 16:
        return "14-15"
    if age < 18:
        return "16-17"
    return "adult"


def _age(person: dict[str, Any], date: str) -> Any:
    """The stated age, or the age computed from the birth date on the date of the act."""
    if isinstance(person.get("age"), int):
        return person["age"]
    try:
        born = dt.date.fromisoformat(str(person.get("birth_date")))
        on = dt.date.fromisoformat(date)
    except ValueError:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _args(decision: Decision) -> dict[str, tuple[str, str]]:
    return {o.action: (o.modality, json.dumps(o.args, ensure_ascii=False, sort_keys=True))
            for o in decision.outcomes if o.args}


def corpus_impact(base: RuleSet, amended: RuleSet, path: Path, as_of: dt.date | None = None,
                  examples: int = 3) -> CorpusImpact:
    """Evaluate every row of a corpus under both rule sets (the reference interpreter: it
    reports arguments and explanations the batch back end does not) and count what changes."""
    from rules.batch.impact import state_keys
    from rules.batch.interpreter_engine import InterpreterEngine
    from rules.cases.read import read_frames

    started = time.perf_counter()
    keys = list(dict.fromkeys([*state_keys(base), *state_keys(amended)]))
    result = CorpusImpact(str(path))
    counts: Counter[tuple[str, str, str]] = Counter()
    samples: dict[tuple[str, str, str], list[str]] = {}
    years: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    arguments: Counter[tuple[str, str, str, str]] = Counter()
    argument_samples: dict[tuple[str, str, str, str], list[str]] = {}
    reader = InterpreterEngine(base, as_of)   # reads table rows as the engines do
    for row in (r for frame in read_frames(path) for r in frame.iter_rows(named=True)):
        result.rows_in += 1
        row_id = str(row.get("id") or result.rows_in)
        case, problems = reader.case_of(row, ["id"] if "id" in row else [])
        if problems:
            result.rejected += 1
            continue
        try:
            old = base.evaluate(case, as_of=as_of)
            new = amended.evaluate(case, as_of=as_of)
        except CaseError:
            result.rejected += 1
            continue
        result.evaluated += 1
        moves = [(name, a, b) for (_, name), a, b in zip(keys, old.states(keys),
                                                          new.states(keys), strict=True)
                 if a != b]
        old_args, new_args = _args(old), _args(new)
        for action in sorted(set(old_args) & set(new_args)):
            (mod_a, args_a), (mod_b, args_b) = old_args[action], new_args[action]
            if mod_a == mod_b and args_a != args_b:
                which = (action, mod_a, args_a, args_b)
                arguments[which] += 1
                ids = argument_samples.setdefault(which, [])
                if len(ids) < examples:
                    ids.append(row_id)
        if not moves:
            continue
        result.changed += 1
        if not any(OUTSIDE_PROOF in (a, b) for _, a, b in moves):
            result.changed_complete += 1
        for slot in moves:
            counts[slot] += 1
            ids = samples.setdefault(slot, [])
            if len(ids) < examples:
                ids.append(row_id)
        case = new.case if isinstance(new.case, dict) else {}
        offence = case.get("offence") or {}
        date = str(offence.get("date") or "")
        years[date[:4] or "date unknown"] += 1
        regions[str((case.get("place") or {}).get("region") or "region unknown")] += 1
        victim = case.get("victim") or {}
        groups[f"victim {age_band(_age(victim, date))}, "
               f"{offence.get('kind') or 'kind unknown'}"] += 1
    done = max(result.evaluated, 1)
    result.transitions = [Count(n, a, b, c, c / done, OUTSIDE_PROOF in (a, b), samples[(n, a, b)])
                          for (n, a, b), c in sorted(counts.items(),
                                                     key=lambda kv: (-kv[1], kv[0]))]
    result.by_year = sorted(years.items())
    result.by_region = sorted(regions.items(), key=lambda kv: (-kv[1], kv[0]))
    result.by_group = sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    result.arguments = [ArgumentChange(a, m, x, y, c, argument_samples[(a, m, x, y)])
                        for (a, m, x, y), c in sorted(arguments.items(),
                                                      key=lambda kv: (-kv[1], kv[0]))]
    result.seconds = time.perf_counter() - started
    return result


def build_impact(applied: Applied, package: PackageReport, cases: Path | None = None,
                 as_of: dt.date | None = None) -> ImpactReport:
    """The impact report's data: the proof, attribution, retroactivity, redlines, and the
    corpus counts if a corpus is given."""
    amendments = [{"id": a.id, "title": a.amendment.title,
                   "date": a.date.isoformat() if a.date else "", "file": a.file}
                  for a in applied.amendments]
    title = "Impact of " + ", ".join(a["id"] for a in amendments)
    return ImpactReport(
        title=title, generated=dt.date.today().isoformat(), amendments=amendments,
        as_of=as_of.isoformat() if as_of else None,
        proof=[a.to_json() for a in package.attributions],
        unchanged=len(package.combined.unchanged), unknown=package.combined.unknown,
        undone=[u.to_json() for u in package.undone],
        retroactivity=[r.to_json() for r in package.retroactivity],
        redlines=redlines(applied.base, applied.final, applied.steps),
        corpus=corpus_impact(applied.base, applied.final, cases, as_of) if cases else None)


def render_impact_html(report: ImpactReport) -> str:
    """The impact report as a standalone HTML document."""
    from rules.drafter.templates import render

    return render("impact_report.html", report=report,
                  dumps=lambda value: json.dumps(value, ensure_ascii=False))
