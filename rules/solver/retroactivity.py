"""Retroactivity: does an amendment change the law for acts committed before its date?

The law of the date of the act governs; a change that worsens a person's position never reaches
earlier acts, one that improves it does (Criminal Code art. 5-6). Splitting provisions in time
keeps most amendments on the right side of that line, but an amendment can still reach back: by
re-dating a provision (`amend ... period`), by adding a provision with an earlier `in force
from`, or by changing the text of a provision that `improves position` (the new text inherits the
effect and so reaches back, even if it is harsher).

For every change the amendment made (its record: the texts it created and the texts it ended),
z3 looks for a complete case dated before the amendment's entry into force on which that text
applies and some outcome it decides differs between the rule set before and after the amendment.
Such a case is a proof that the amendment reaches back. It is an error unless the amendment
declares the change improving (`improves position` on the new provision or on the amendment);
declared changes are listed too, with their witness, for the drafter to read. Every witness is
confirmed by the evaluator; a solver timeout is reported as unknown, never as "does not reach
back".
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Any

from rules.cases.convert import nest
from rules.language.ruleset import AmendmentRecord, ChangeRecord, RuleSet
from rules.language.source import Diagnostic
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
from rules.solver.states import KeyTerms, key_terms


@dataclass
class Reach:
    """One change that reaches acts before the amendment's date, with a witness case."""

    change: ChangeRecord
    provision: str            # the text that applies to the witness (before or after)
    key: Key
    before: str
    after: str
    witness: dict[str, Any]

    @property
    def allowed(self) -> bool:
        return self.change.improving

    def to_json(self) -> dict[str, Any]:
        return {"change": self.change.verb, "target": self.change.target,
                "provision": self.provision, **self.key.to_json(), "from": self.before,
                "to": self.after, "witness": self.witness,
                "allowed": self.allowed,
                "place": str(self.change.span)}


@dataclass
class Retroactivity:
    amendment: str
    date: dt.date
    reaches: list[Reach] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    inconsistencies: list[str] = field(default_factory=list)
    queries: int = 0
    seconds: float = 0.0

    @property
    def errors(self) -> list[Reach]:
        return [r for r in self.reaches if not r.allowed]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {"amendment": self.amendment, "date": self.date.isoformat(),
                "reaches_back": [r.to_json() for r in self.reaches],
                "unknown": self.unknown, "internal_inconsistencies": self.inconsistencies,
                "queries": self.queries, "seconds": round(self.seconds, 3)}

    def diagnostics(self) -> list[Diagnostic]:
        """Each retroactive change the amendment does not declare improving, located at the
        change in the amendment file, with its witness."""
        found = []
        groups: dict[tuple[str, str], list[Reach]] = {}
        for reach in self.errors:
            groups.setdefault((reach.change.target, reach.provision), []).append(reach)
        for (_, provision), reaches in groups.items():
            changes = ", ".join(f"{r.key} ({r.before} -> {r.after})" for r in reaches)
            found.append(Diagnostic(
                "retroactive_change",
                f"`{self.amendment}` (in force from {self.date}) reaches acts committed before "
                f"that date: through `{provision}` it changes {changes}",
                reaches[0].change.span, "error",
                (f"witness: {json.dumps(reaches[0].witness, ensure_ascii=False)}",
                 "a change that worsens a person's position never reaches earlier acts "
                 "(Criminal Code art. 5-6); if this change improves it, declare `improves "
                 "position`; otherwise let the new text apply from the amendment's date")))
        for what in self.unknown:
            found.append(Diagnostic("retroactivity_unknown", f"`{self.amendment}`: {what}",
                                    self.reaches[0].change.span if self.reaches else
                                    _nowhere(self.amendment), "warning"))
        return found


def _date_key(date: dt.date) -> int:
    """A date as the solver orders dates (yyyymmdd)."""
    return date.year * 10000 + date.month * 100 + date.day


def _nowhere(name: str) -> Any:
    from rules.language.source import Span

    return Span(name, 0, 0, 0, 0)


class _Search:
    def __init__(self, base: RuleSet, amended: RuleSet, record: AmendmentRecord,
                 timeout_ms: int):
        self.base, self.amended, self.record = base, amended, record
        self.encoder = Encoder([*base.facts.values(), *amended.facts.values()])
        self.before = Model(self.encoder, base)
        self.after = Model(self.encoder, amended)
        constraints = self.encoder.derivations(base) + self.encoder.derivations(amended)
        self.solver = new_solver(self.encoder, constraints, timeout_ms)
        governing = amended.governing_date
        self.governing = governing
        self.earlier = (self.encoder.vars[governing].key < _date_key(record.date)) if governing \
            else None
        self.keys = {k.key: k for k in key_terms([self.before, self.after], [base, amended])}
        self.first = derivation_inputs(amended)
        self.preferences = plausible(self.encoder, governing, amended)
        self.result = Retroactivity(record.id, record.date)

    def run(self) -> Retroactivity:
        if self.earlier is None:
            return self.result
        seen: set[tuple[str, Key]] = set()
        for change in self.record.changes:
            sides = [(pid, self.after, self.amended) for pid in change.created
                     if pid in self.amended.by_id]
            sides += [(pid, self.before, self.base) for pid in change.ended
                      if pid in self.base.by_id]
            for pid, model, ruleset in sides:
                for key in self._keys_of(ruleset, pid):
                    if (change.target, key.key) in seen:
                        continue
                    if self._search(change, pid, model, ruleset, key):
                        seen.add((change.target, key.key))
        return self.result

    def _keys_of(self, ruleset: RuleSet, pid: str) -> list[KeyTerms]:
        decides = ruleset.by_id[pid].decides
        return [k for k in self.keys.values() if k.key.name in decides]

    def _search(self, change: ChangeRecord, pid: str, model: Model, ruleset: RuleSet,
                key: KeyTerms) -> bool:
        before, after = key.terms
        z3 = self.encoder.z3
        if before.eq(after) or z3.is_false(z3.simplify(before != after)):
            return False
        terms = [self.earlier, model.applies[pid], before != after]
        self.result.queries += 1
        self.solver.push()
        self.solver.add(*terms)
        status = str(self.solver.check())
        found = self.solver.model() if status == "sat" else None
        self.solver.pop()
        if status == "unknown":
            self.result.unknown.append(f"whether `{pid}` changes {key.key} for earlier acts: "
                                       "the solver timed out; not proved either way")
            return False
        if found is None:
            return False
        b = found.evaluate(before, model_completion=True).as_long()
        a = found.evaluate(after, model_completion=True).as_long()
        found = nicer_model(self.solver, found, [*terms, before == b, after == a],
                            self.preferences)
        old, new = key.name(b), key.name(a)
        flat = self.encoder.witness(found)

        def holds(trial: dict[str, Any]) -> bool:
            case = nest(trial)
            first = safe_evaluate(self.base, case, None)
            second = safe_evaluate(self.amended, case, None)
            if first is None or second is None:
                return False
            decision = second if ruleset is self.amended else first
            trace = decision.trace(pid)
            date = trial.get(self.governing) if self.governing else None
            return key.key.state(first) == old and key.key.state(second) == new and \
                trace is not None and trace.status == "applies" and \
                isinstance(date, dt.date) and date < self.record.date

        if not holds(flat):
            self.result.inconsistencies.append(
                f"{pid}: {key.key} {old} -> {new} before {self.record.date}: z3 found "
                f"{nest(flat)}, the evaluator does not confirm it")
            return False
        keep = [self.governing] if self.governing else []
        witness = nest(minimise(flat, holds, self.first, keep))
        self.result.reaches.append(Reach(change, pid, key.key, old, new, witness))
        return True


def check_retroactivity(base: RuleSet, amended: RuleSet, record: AmendmentRecord | None = None,
                        timeout_ms: int = 10_000) -> Retroactivity:
    """Whether the amendment that turned `base` into `amended` (its record, by default the last
    one applied) changes outcomes for acts before its date, with a witness case per change."""
    started = time.perf_counter()
    if record is None:
        if not amended.history:
            raise ValueError("the rule set records no amendment")
        record = amended.history[-1]
    result = _Search(base, amended, record, timeout_ms).run()
    result.seconds = time.perf_counter() - started
    return result
