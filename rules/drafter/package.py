"""A package of amendments: applied in date order, checked for retroactivity, and its combined
effect attributed to the amendments that cause it.

`apply_package` is what every command taking `--amendment` uses: the amendments in the order of
their dates (the same one twice refused by name), each checked for retroactivity against the rule
set it was applied to; a change that reaches earlier acts without being declared improving is a
located error with its witness.

`diff_package` proves what the whole package changes (`rules.drafter.diff`) and, for every
transition, which amendments can cause it on their own (z3: a case where the base gives the old
state and both the package and that amendment alone give the new one), whether it needs several
together (a case where the package changes it and no amendment alone does), and which changes of
one amendment another undoes (a case where the amendment alone changes a state and the package
leaves it as it was). Each of these comes with a witness the evaluator confirms.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from rules.cases.convert import nest
from rules.drafter.diff import DiffReport, Transition, diff
from rules.language.amendments import AmendmentFile, apply_amendment
from rules.language.ruleset import RuleSet
from rules.language.source import RuleSetError
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
from rules.solver.retroactivity import Retroactivity, check_retroactivity
from rules.solver.states import KeyTerms, key_terms


@dataclass
class Applied:
    """The rule sets of a package: before and after each amendment, and its retroactivity."""

    base: RuleSet
    amendments: list[AmendmentFile]
    steps: list[RuleSet]                      # base + first k amendments, k = 1..n
    retroactivity: list[Retroactivity] = field(default_factory=list)

    @property
    def final(self) -> RuleSet:
        return self.steps[-1] if self.steps else self.base


def apply_package(base: RuleSet, amendments: list[AmendmentFile], retroactivity: bool = True,
                  timeout_ms: int = 10_000) -> Applied:
    """Apply amendments (already in date order, see `load_amendments`) one after another; with
    `retroactivity`, refuse (RuleSetError, located, with witnesses) any that reaches acts before
    its date without declaring the change improving."""
    steps: list[RuleSet] = []
    checks: list[Retroactivity] = []
    current = base
    for amendment in amendments:
        after = apply_amendment(current, amendment)
        if retroactivity:
            check = check_retroactivity(current, after, after.history[-1], timeout_ms)
            checks.append(check)
            if not check.ok:
                raise RuleSetError(check.diagnostics(), after.sources)
        steps.append(after)
        current = after
    return Applied(base, amendments, steps, checks)


@dataclass
class Attribution:
    """A transition of the package, and who causes it."""

    transition: Transition
    by: list[str]                                # amendments that cause it on their own
    together: dict[str, Any] | None = None       # a case where it needs several amendments

    def to_json(self) -> dict[str, Any]:
        data = {**self.transition.to_json(), "by": self.by}
        if self.together is not None:
            data["needs_together"] = self.together
        return data


@dataclass
class Undoing:
    """A change one amendment makes alone that the package does not make."""

    amendment: str
    undone_by: list[str]
    key: Key
    before: str
    alone: str
    witness: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"amendment": self.amendment, "undone_by": self.undone_by, **self.key.to_json(),
                "from": self.before, "alone": self.alone, "in_package": self.before,
                "witness": self.witness}


@dataclass
class PackageReport:
    amendments: list[tuple[str, str, dt.date | None]]
    combined: DiffReport
    attributions: list[Attribution] = field(default_factory=list)
    undone: list[Undoing] = field(default_factory=list)
    alone: dict[str, str] = field(default_factory=dict)   # amendment -> "base" or "after X"
    retroactivity: list[Retroactivity] = field(default_factory=list)
    inconsistencies: list[str] = field(default_factory=list)
    queries: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {**self.combined.to_json(),
                "amendments": [{"id": a, "title": t, "date": d.isoformat() if d else None,
                                "applied_alone_to": self.alone.get(a, "base")}
                               for a, t, d in self.amendments],
                "changes": [a.to_json() for a in self.attributions],
                "undone": [u.to_json() for u in self.undone],
                "retroactivity": [r.to_json() for r in self.retroactivity],
                "internal_inconsistencies": [*self.combined.inconsistencies,
                                             *self.inconsistencies],
                "attribution_queries": self.queries}


class _Attributor:
    def __init__(self, applied: Applied, combined: DiffReport, as_of: dt.date | None,
                 timeout_ms: int):
        self.applied = applied
        self.as_of = as_of
        base, final = applied.base, applied.final
        self.ids = [a.id for a in applied.amendments]
        self.alone: dict[str, str] = {}
        self.singles: list[RuleSet] = []
        for i, amendment in enumerate(applied.amendments):
            try:
                single = apply_amendment(base, amendment)
            except RuleSetError:      # builds on an earlier amendment: alone on top of those
                single = applied.steps[i]
                self.alone[amendment.id] = "after " + ", ".join(self.ids[:i])
            self.singles.append(single)
        rulesets = [base, final, *self.singles]
        self.rulesets = rulesets
        self.encoder = Encoder([f for r in rulesets for f in r.facts.values()])
        self.models = [Model(self.encoder, r, as_of) for r in rulesets]
        constraints = [c for r in rulesets for c in self.encoder.derivations(r)]
        self.solver = new_solver(self.encoder, constraints, timeout_ms)
        self.keys = {k.key: k for k in key_terms(self.models, rulesets)}
        self.first = derivation_inputs(final)
        self.keep = [final.governing_date] if final.governing_date else []
        self.preferences = plausible(self.encoder, final.governing_date, final, as_of)
        self.report = PackageReport([(a.id, a.amendment.title, a.date)
                                     for a in applied.amendments], combined, alone=self.alone,
                                    retroactivity=applied.retroactivity)

    def query(self, *terms: Any) -> Any:
        self.report.queries += 1
        self.solver.push()
        self.solver.add(*terms)
        status = str(self.solver.check())
        model = self.solver.model() if status == "sat" else None
        self.solver.pop()
        if model is not None:
            model = nicer_model(self.solver, model, terms, self.preferences)
        return model

    def witness(self, model: Any, states: dict[int, tuple[Key, str]],
                avoid: dict[int, tuple[Key, str]] | None = None) -> dict[str, Any] | None:
        """A case the evaluator confirms: rule set i gives states[i]; rule set j avoids
        avoid[j]. Minimised; None (and an inconsistency) if the evaluator disagrees."""
        flat = self.encoder.witness(model)

        def holds(trial: dict[str, Any]) -> bool:
            case = nest(trial)
            for index, (key, state) in states.items():
                decision = safe_evaluate(self.rulesets[index], case, self.as_of)
                if decision is None or key.state(decision) != state:
                    return False
            for index, (key, state) in (avoid or {}).items():
                decision = safe_evaluate(self.rulesets[index], case, self.as_of)
                if decision is None or key.state(decision) in (state, "undetermined"):
                    return False
            return True

        if not holds(flat):
            self.report.inconsistencies.append(
                f"z3 found {nest(flat)} for {states}, the evaluator does not confirm it")
            return None
        return nest(minimise(flat, holds, self.first, self.keep))

    def attribute(self) -> None:
        for t in self.report.combined.changes:
            k = self.keys.get(t.key)
            if k is None:
                continue
            base, final, *singles = k.terms
            b, a = k.code(t.before), k.code(t.after)
            by = [self.ids[i] for i, single in enumerate(singles)
                  if self.query(base == b, final == a, single == a) is not None]
            together = None
            if len(self.ids) > 1:
                model = self.query(base == b, final == a, *[s != a for s in singles])
                if model is not None:
                    together = self.witness(
                        model, {0: (t.key, t.before), 1: (t.key, t.after)},
                        {i + 2: (t.key, t.after) for i in range(len(singles))})
            self.report.attributions.append(Attribution(t, by, together))

    def undoings(self, limit: int = 6) -> None:
        """Every (old state, state the amendment alone gives) pair that the package undoes,
        one witness each."""
        z3 = self.encoder.z3
        for k in self.keys.values():
            base, final, *singles = k.terms
            for i, single in enumerate(singles):
                if single.eq(base) or z3.is_false(z3.simplify(single != base)):
                    continue
                blocked: list[Any] = []
                for _ in range(limit):
                    model = self.query(single != base, final == base, *blocked)
                    if model is None:
                        break
                    b = model.evaluate(base, model_completion=True).as_long()
                    x = model.evaluate(single, model_completion=True).as_long()
                    blocked.append(z3.Not(z3.And(base == b, single == x)))
                    before, alone = k.name(b), k.name(x)
                    witness = self.witness(model, {0: (k.key, before), 1: (k.key, before),
                                                   i + 2: (k.key, alone)})
                    if witness is not None:
                        self.report.undone.append(Undoing(
                            self.ids[i], self._undoers(i, k, witness, before), k.key, before,
                            alone, witness))

    def _undoers(self, i: int, k: KeyTerms, witness: dict[str, Any], before: str) -> list[str]:
        """The other amendments that, added to amendment i, give back the old state on the
        witness (pairs; all the others if no single one does)."""
        others = [j for j in range(len(self.ids)) if j != i]
        found = []
        for j in others:
            pair = sorted((i, j), key=lambda n: self.applied.amendments[n].date or dt.date.min)
            try:
                rules = self.applied.base
                for n in pair:
                    rules = apply_amendment(rules, self.applied.amendments[n])
            except RuleSetError:
                continue
            decision = safe_evaluate(rules, witness, self.as_of)
            if decision is not None and k.key.state(decision) == before:
                found.append(self.ids[j])
        return found or [self.ids[j] for j in others]


def diff_package(applied: Applied, as_of: dt.date | None = None, timeout_ms: int = 10_000,
                 max_transitions: int = 12) -> PackageReport:
    """The combined effect of a package, each transition attributed, and what one amendment
    does that the package undoes."""
    started = time.perf_counter()
    combined = diff(applied.base, applied.final, as_of, timeout_ms, max_transitions)
    attributor = _Attributor(applied, combined, as_of, timeout_ms)
    attributor.attribute()
    if len(applied.amendments) > 1:
        attributor.undoings()
    report = attributor.report
    report.seconds = time.perf_counter() - started
    return report


def render_package(report: PackageReport) -> list[str]:
    """The package diff as text: amendments, attributed transitions, interactions."""
    import json

    from rules.drafter.diff import render_diff

    lines = [f"package of {len(report.amendments)} amendment(s), applied in date order:"]
    for aid, title, date in report.amendments:
        alone = report.alone.get(aid)
        note = f" (attributed on top of {alone.removeprefix('after ')})" if alone else ""
        lines.append(f"  {date} {aid}: {title}{note}")
    body = render_diff(report.combined, "combined effect")
    lines.append(body[0])
    rest = body[2 + 2 * len(report.combined.changes):] if report.combined.changes else body[1:]
    if report.attributions:
        lines.append(f"changes ({len(report.attributions)}), each with the amendment(s) that "
                     "cause it on their own:")
    for a in report.attributions:
        t = a.transition
        who = " + ".join(a.by) if a.by else "only the amendments together"
        lines.append(f"  {t.key}: {t.before} -> {t.after}   [{who}]")
        replay = f" (replay with --as-of {report.combined.as_of})" if report.combined.as_of \
            else ""
        lines.append(f"    witness{replay}: {json.dumps(t.witness, ensure_ascii=False)}")
        if a.together is not None:
            lines.append("    needs the amendments together, e.g.: "
                         + json.dumps(a.together, ensure_ascii=False))
    lines.extend(rest)
    if report.undone:
        lines.append(f"interactions: {len(report.undone)} change(s) of one amendment undone by "
                     "another")
        for u in report.undone:
            lines.append(f"  {u.amendment} alone turns {u.key} {u.before} -> {u.alone}; "
                         f"with {' + '.join(u.undone_by)} it stays {u.before}")
            lines.append(f"    witness: {json.dumps(u.witness, ensure_ascii=False)}")
    for message in report.inconsistencies:
        lines.append(f"  INTERNAL INCONSISTENCY (dropped): {message}")
    for check in report.retroactivity:
        for what in check.unknown:
            lines.append(f"  UNKNOWN retroactivity of {check.amendment}: {what}")
        allowed = [r for r in check.reaches if r.allowed]
        for r in allowed:
            lines.append(f"  reaches back (declared improving): {check.amendment}: "
                         f"{r.provision} turns {r.key} {r.before} -> {r.after} before "
                         f"{check.date}; e.g. {json.dumps(r.witness, ensure_ascii=False)}")
    return lines
