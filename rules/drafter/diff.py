"""What an amendment changes: a proof per action and conclusion, or the transitions with witnesses.

Both rule sets are encoded over the same fact variables (`analysis`). For every action, every
single-valued conclusion and every value of a list conclusion, z3 either proves that no complete
case is decided differently (`unsat`, or the two encodings are the very same term), or finds the
transitions that can happen (`reconciliation: required -> forbidden`), one query per transition.
Each transition comes with a witness case that the evaluator confirms under both rule sets,
minimised to the facts the change depends on. A solver timeout is `unknown`, never "no change".

`diff_scenarios` runs the scenario tests under both rule sets; `rules.corpus.diff_corpus` measures
the effect on a corpus of real cases.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rules.cases.convert import nest
from rules.language.ruleset import RuleSet
from rules.solver.analysis import (
    Encoder,
    Key,
    Model,
    derivation_inputs,
    minimise,
    new_solver,
    nicer_model,
    plausible,
    safe_evaluate,
)
from rules.solver.states import key_terms, state_name


@dataclass
class Transition:
    key: Key
    before: str
    after: str
    witness: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {**self.key.to_json(), "from": self.before, "to": self.after,
                "witness": self.witness}


@dataclass
class DiffReport:
    changes: list[Transition] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    inconsistencies: list[str] = field(default_factory=list)
    as_of: dt.date | None = None
    queries: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat() if self.as_of else None,
                "changes": [t.to_json() for t in self.changes],
                "unchanged": self.unchanged,
                "unknown": self.unknown,
                "internal_inconsistencies": self.inconsistencies,
                "queries": self.queries, "seconds": round(self.seconds, 3)}


class _Differ:
    def __init__(self, base: RuleSet, amended: RuleSet, as_of: dt.date | None,
                 timeout_ms: int, max_transitions: int):
        self.base, self.amended, self.as_of = base, amended, as_of
        self.encoder = Encoder([*base.facts.values(), *amended.facts.values()])
        self.before = Model(self.encoder, base, as_of)
        self.after = Model(self.encoder, amended, as_of)
        constraints = self.encoder.derivations(base) + self.encoder.derivations(amended)
        self.solver = new_solver(self.encoder, constraints, timeout_ms)
        self.first = derivation_inputs(amended)
        self.max = max_transitions
        self.keep = [amended.governing_date] if amended.governing_date else []
        self.preferences = plausible(self.encoder, amended.governing_date, amended, as_of)
        self.report = DiffReport(as_of=as_of)

    def keys(self) -> list[tuple[Key, Any, Any, list[Any]]]:
        """Each key with its state term under both rule sets."""
        return [(k.key, k.terms[0], k.terms[1], k.values)
                for k in key_terms([self.before, self.after], [self.base, self.amended])]

    def run(self) -> DiffReport:
        z3 = self.encoder.z3
        for key, before, after, values in self.keys():
            if before.eq(after) or z3.is_false(z3.simplify(before != after)):
                self.report.unchanged.append(str(key))    # the very same formula
                continue
            blocked: list[Any] = []
            found = 0
            while True:
                self.report.queries += 1
                self.solver.push()
                self.solver.add(before != after, *blocked)
                status = str(self.solver.check())
                model = self.solver.model() if status == "sat" else None
                self.solver.pop()
                if status == "unknown":
                    self.report.unknown.append({
                        **key.to_json(), "reason": "solver timeout",
                        "proved": f"{found} transition(s) found; whether others exist is not "
                                  "known" if found else "nothing"})
                    break
                if model is None:
                    if not found:
                        self.report.unchanged.append(str(key))
                    break
                b = model.evaluate(before, model_completion=True).as_long()
                a = model.evaluate(after, model_completion=True).as_long()
                model = nicer_model(self.solver, model, [before == b, after == a],
                                    self.preferences)
                blocked.append(z3.Not(z3.And(before == b, after == a)))
                found += 1
                self._transition(key, state_name(key, b, values), state_name(key, a, values),
                                 model)
                if found >= self.max:
                    self.report.unknown.append({**key.to_json(), "reason": "transition limit",
                                                "proved": f"{found} transition(s) listed; "
                                                "there may be more"})
                    break
        return self.report

    def _transition(self, key: Key, before: str, after: str, model: Any) -> None:
        flat = self.encoder.witness(model)

        def holds(trial: dict[str, Any]) -> bool:
            case = nest(trial)
            old = safe_evaluate(self.base, case, self.as_of)
            new = safe_evaluate(self.amended, case, self.as_of)
            return old is not None and new is not None and key.state(old) == before \
                and key.state(new) == after

        if not holds(flat):
            self.report.inconsistencies.append(
                f"{key}: {before} -> {after}: z3 found {nest(flat)}, the evaluator does not "
                "confirm it")
            return
        self.report.changes.append(Transition(key, before, after,
                                              nest(minimise(flat, holds, self.first, self.keep))))


def diff(base: RuleSet, amended: RuleSet, as_of: dt.date | None = None,
         timeout_ms: int = 10_000, max_transitions: int = 12) -> DiffReport:
    """Every action and conclusion: proved unchanged, or its transitions with confirmed,
    minimal witnesses."""
    started = time.perf_counter()
    report = _Differ(base, amended, as_of, timeout_ms, max_transitions).run()
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class ScenarioBreak:
    name: str
    file: str
    failures: list[str]


def diff_scenarios(base: RuleSet, amended: RuleSet,
                   folder: str | Path) -> tuple[list[ScenarioBreak], int, int]:
    """Scenarios that pass under `base` and fail under `amended` (with the failures), the number
    of scenarios run, and the number that already failed under `base`."""
    from rules.drafter.scenarios import run_scenarios

    before = run_scenarios(base, folder)
    after = run_scenarios(amended, folder)
    broken = []
    already = 0
    for old, new in zip(before.results, after.results, strict=True):
        if not old.passed:
            already += 1
        elif not new.passed:
            broken.append(ScenarioBreak(new.scenario.name, new.scenario.file, new.failures))
    return broken, len(before.results), already


def render_diff(report: DiffReport, title: str, lang: str | None = None) -> list[str]:
    """The diff as text: transitions with witnesses, then what is proved unchanged."""
    import json

    from rules.i18n import translator

    tr = translator(lang)
    _ = tr.gettext
    when = _("as of {date}").format(date=report.as_of) if report.as_of else \
        _("on the offence date")
    lines = [_("{title} ({when}; complete cases; {queries} queries, {seconds} s)").format(
        title=title, when=when, queries=report.queries, seconds=f"{report.seconds:.1f}")]
    if report.changes:
        lines.append(_("changes ({n}):").format(n=len(report.changes)))
        for t in report.changes:
            lines.append(f"  {t.key}: {t.before} -> {t.after}")
            replay = " " + _("(replay with --as-of {date})").format(date=report.as_of) \
                if report.as_of else ""
            lines.append("    " + _("witness{replay}: {case}").format(
                replay=replay, case=json.dumps(t.witness, ensure_ascii=False)))
    else:
        lines.append(_("changes: none"))
    for entry in report.unknown:
        name = entry.get("action") or entry.get("conclusion")
        value = f" = {entry['value']!r}" if "value" in entry else ""
        lines.append(f"  UNKNOWN {name}{value}: {entry['reason']}; proved: {entry['proved']}")
    values = sum(" = " in k for k in report.unchanged)
    lines.append(_("proved unchanged ({n}): {names}").format(
        n=len(report.unchanged), names=", ".join(k for k in report.unchanged if " = " not in k))
        + (", " + _("and {n} values of list conclusions").format(n=values) if values else ""))
    for message in report.inconsistencies:
        lines.append(f"  INTERNAL INCONSISTENCY (transition dropped): {message}")
    return lines


def corpus_table(result: Any, limit_rejected: int = 10, lang: str | None = None) -> list[Any]:
    """Rich renderables for a corpus diff: the transitions table and the rejected rows."""
    from rich.table import Table

    from rules.i18n import translator

    tr = translator(lang)
    _ = tr.gettext
    table = Table(title=_("Effect on the corpus: {changed} of {evaluated} evaluated cases "
                          "change").format(changed=result.changed_rows,
                                           evaluated=result.evaluated), title_justify="left")
    for column, justify in ((_("action / conclusion"), "left"), (_("from"), "left"),
                            (_("to"), "left"), (_("cases"), "right"), (_("share"), "right"),
                            (_("examples"), "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for item in result.to_json()["transitions"]:
        table.add_row(item["name"], item["from"], item["to"], tr.format_number(item["count"]),
                      f"{item['share']:.2%}", ", ".join(item["examples"]))
    out: list[Any] = [table]
    out.append(_("rows in: {rows} = evaluated {evaluated} + rejected {rejected}; {speed} rows/s"
                 ).format(rows=tr.format_number(result.rows_in),
                          evaluated=tr.format_number(result.evaluated),
                          rejected=tr.format_number(len(result.rejected)),
                          speed=tr.format_number(round(result.cases_per_second))))
    for number, row_id, reason in result.rejected[:limit_rejected]:
        out.append("  " + _("rejected row {number} (id {id}): {reason}").format(
            number=number, id=row_id, reason=reason))
    if len(result.rejected) > limit_rejected:
        out.append("  " + _("... and {n} more rejected rows (see --json)").format(
            n=len(result.rejected) - limit_rejected))
    return out
