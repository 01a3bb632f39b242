"""RuleSet x case -> Decision: the reference interpreter.

Three steps, each a method below:
1. *applicability*: every provision is in force or not on the governing date, and its conditions
   hold, fail, or are unknown (Kleene logic over compiled closures);
2. *priorities*: candidates set aside by an applying `overrides`, or made uncertain by one that
   may apply;
3. *combination*: per action and conclusion, the outcome that holds for every completion of the
   unknown facts, or else "undetermined" with the facts it needs; contradictions are conflicts.

Soundness is the invariant: whatever is reported as determined stays so for any values of the
unknown facts (property-tested in tests/test_soundness.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from rules.cases.model import CaseError, CaseLoader
from rules.interpreter.closures import Compiled, Compiler, Env, Unknown, merge
from rules.language import core
from rules.language.ruleset import ConclusionOutcome, Provision, RuleSet
from rules.results import Decision, Explanation, ProvisionTrace
from rules.version import __version__

_RANK = {"confirmed": 0, "secondary": 1, "uncertain": 2}
_CONFIDENCE = ("confirmed", "secondary", "uncertain")


@dataclass(frozen=True, slots=True)
class _OutcomePlan:
    key: tuple[str, str]            # ("action", name) or ("conclusion", name)
    modality: str                   # required / forbidden / permitted, or "" for conclusions
    args: tuple[tuple[str, Compiled], ...]
    value: Compiled | None


@dataclass(frozen=True, slots=True)
class _ProvisionPlan:
    provision: Provision
    conditions: tuple[tuple[bool, Compiled], ...]   # (is_unless, condition)
    outcomes: tuple[_OutcomePlan, ...]
    sources: tuple[str, ...]
    window: tuple[dt.date | None, dt.date | None]    # dates of acts it reaches (inclusive)


@dataclass(slots=True)
class _Candidate:
    provision: str
    modality: str
    value: Any
    args: dict[str, Any]
    needs: frozenset[str] | None    # None: certain; otherwise what would settle it


def parse_as_of(as_of: dt.date | str | None) -> dt.date | None:
    """An `as_of` date from a date or ISO text; a `CaseError` naming `as_of` if it is neither."""
    if as_of is None or (isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime)):
        return as_of
    from rules.cases.values import date_from_json

    try:
        return date_from_json(as_of)  # type: ignore[no-any-return]
    except ValueError as error:
        raise CaseError([("as_of", str(error))]) from None


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


class Evaluator:
    """Evaluates cases against one rule set; built once per rule set (see `RuleSet.evaluator`)."""

    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset
        compiler = Compiler({name: d.expr for name, d in ruleset.definitions.items()})
        self.compiler = compiler
        self.loader = CaseLoader(ruleset, compiler)
        self.plans = tuple(self._plan(p, compiler) for p in ruleset.provisions)
        self._citations = {plan.provision.id: (plan.sources, _RANK[plan.provision.confidence])
                           for plan in self.plans}
        self._index()
        self._overriders: dict[str, list[tuple[int, frozenset[tuple[str, str]]]]] = {}
        index = {p.provision.id: i for i, p in enumerate(self.plans)}
        keys = [frozenset(o.key for o in plan.outcomes) for plan in self.plans]
        for i, plan in enumerate(self.plans):
            for target in plan.provision.overrides:
                j = index[target]
                self._overriders.setdefault(target, []).append((i, keys[i] & keys[j]))
        self._ids = tuple(plan.provision.id for plan in self.plans)
        # per provision and outcome: the provisions that override it on that outcome's key
        self._outcome_overriders = tuple(
            tuple((outcome, tuple(j for j, shared in self._overriders.get(plan.provision.id, ())
                                  if outcome.key in shared))
                  for outcome in plan.outcomes)
            for plan in self.plans)
        # (provision, key) -> its one outcome on that key, and who overrides it there
        self._single: dict[tuple[int, tuple[str, str]], tuple[_OutcomePlan, tuple[int, ...]]] = {}
        for i, plan in enumerate(self.plans):
            for outcome, overriders in self._outcome_overriders[i]:
                if sum(o.key == outcome.key for o in plan.outcomes) == 1:
                    self._single[(i, outcome.key)] = (outcome, overriders)
        governing = ruleset.governing_date
        fact = ruleset.facts.get(governing) if governing else None
        self._governing = governing
        self._date_domain = (fact.low, fact.high) if fact else (None, None)

    @staticmethod
    def _plan(provision: Provision, compiler: Compiler) -> _ProvisionPlan:
        conditions = tuple((c.kind == "unless", compiler.compile(c.expr))
                           for c in provision.conditions)
        outcomes = []
        for outcome in provision.outcomes:
            if isinstance(outcome, ConclusionOutcome):
                outcomes.append(_OutcomePlan(("conclusion", outcome.name), "", (),
                                             compiler.compile(outcome.value)))
            else:
                args = tuple((name, compiler.compile(expr)) for name, expr in outcome.args)
                outcomes.append(_OutcomePlan(("action", outcome.action), outcome.modality, args,
                                             None))
        low = None if provision.effect == "improves" else provision.start
        return _ProvisionPlan(provision, conditions, tuple(outcomes),
                              tuple(c.short for c in provision.sources), (low, provision.end))

    # ---- step 1: applicability ----------------------------------------------------------------

    def _in_force(self, plan: _ProvisionPlan, date: Any) -> Any:
        low, high = plan.window
        if not isinstance(date, Unknown):
            return (low is None or date >= low) and (high is None or date <= high)
        d_low, d_high = self._date_domain
        inside = (low is None or (d_low is not None and d_low >= low)) and \
                 (high is None or (d_high is not None and d_high <= high))
        if inside:
            return True
        disjoint = (high is not None and d_low is not None and d_low > high) or \
                   (low is not None and d_high is not None and d_high < low)
        return False if disjoint else date

    def evaluate(self, case: Any, as_of: dt.date | str | None = None) -> Decision:
        stated, env = self.loader.load(case)
        date, source = self._governing_date(env, as_of)
        statuses = self._applicability(env, date)
        candidates, set_aside = self._priorities(env, statuses)
        decision = self._combine(candidates, set_aside)
        decision["as_of"] = None if isinstance(date, Unknown) else date
        decision["as_of_source"] = source
        decision["case"] = stated
        case_text = json.dumps(stated, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        decision["record"] = {
            "rules_sha256": self.ruleset.fingerprint,
            "case_sha256": hashlib.sha256(case_text.encode()).hexdigest(),
            "engine_version": __version__,
            "as_of": decision["as_of"]}
        result = Decision.model_validate(decision)
        result._explain = lambda: Explanation.model_validate(
            self._explain(env, date, statuses, set_aside))
        return result

    def _governing_date(self, env: Env, as_of: dt.date | str | None) -> tuple[Any, str]:
        """The date the case is judged on, and where it comes from."""
        as_of = parse_as_of(as_of)
        if as_of is not None:
            # Judge the case as if its governing date were `as_of`: provisions' in-force windows
            # and every condition that reads the governing date (e.g. "battery is a crime from
            # 2024-06-16") see the same date. Facts derived earlier (ages) keep the real date.
            if self._governing:
                env[self._governing] = as_of
            return as_of, "as_of"
        if self._governing and self._governing in env:
            return env[self._governing], "offence date"
        return Unknown(frozenset((self._governing,)) if self._governing else frozenset()), \
            "unknown"

    def _applicability(self, env: Env, date: Any) -> list[Any]:
        """Each provision's status: True, False, or Unknown (with the facts it needs).

        Only the provisions whose guard admits the case's value of the discriminating fact
        (usually `offence.kind`) are evaluated; the others cannot apply (see `_index`).
        """
        statuses: list[Any] = [False] * len(self.plans)
        plans = self.plans
        indices = self._by_value.get(env.get(self._discriminator), self._all) \
            if self._discriminator else self._all
        known_date = not isinstance(date, Unknown)
        for i in indices:
            plan = plans[i]
            if known_date:
                low, high = plan.window
                if (low is not None and date < low) or (high is not None and date > high):
                    continue
                status: Any = True
            else:
                status = self._in_force(plan, date)
                if status is False:
                    continue
            for is_unless, condition in plan.conditions:
                value = condition(env)
                if is_unless and value.__class__ is bool:
                    value = not value
                if value is False:
                    status = False
                    break
                if value is not True:
                    status = value if status is True else merge(status, value)
            statuses[i] = status
        return statuses

    def _index(self) -> None:
        """Index provisions by the enum fact most of them are guarded on (Rete's alpha memory).

        A provision guarded by `offence.kind in {...}` (directly or through a definition, as a
        top-level `if` conjunct) cannot apply to a case whose kind lies outside the set, so it
        is not evaluated for it; its trace is still computed, lazily, in the explanation.
        """
        guards = [_guards(plan.provision, self.ruleset) for plan in self.plans]
        counts: dict[str, int] = {}
        for guard in guards:
            for path in guard:
                counts[path] = counts.get(path, 0) + 1
        self._all = tuple(range(len(self.plans)))
        self._discriminator = max(sorted(counts), key=lambda p: counts[p]) if counts else ""
        self._by_value: dict[Any, tuple[int, ...]] = {}
        fact = self.ruleset.facts.get(self._discriminator)
        if fact is None or fact.type.kind != "enum":
            self._discriminator = ""
            return
        for value in fact.type.values:
            self._by_value[value] = tuple(
                i for i, guard in enumerate(guards)
                if self._discriminator not in guard or value in guard[self._discriminator])

    # ---- step 2: priorities ---------------------------------------------------------------------

    def _priorities(self, env: Env, statuses: list[Any]) -> tuple[
            dict[tuple[str, str], list[_Candidate]], dict[tuple[str, str], dict[str, list[str]]]]:
        candidates: dict[tuple[str, str], list[_Candidate]] = {}
        set_aside: dict[tuple[str, str], dict[str, list[str]]] = {}
        ids = self._ids
        for i, status in enumerate(statuses):
            if status is False:
                continue
            pid = ids[i]
            needs = status.needs if isinstance(status, Unknown) else None
            for outcome, overriders in self._outcome_overriders[i]:
                cand_needs = needs
                beaten_by = []
                maybe = []
                for j in overriders:
                    other = statuses[j]
                    if other is True:
                        beaten_by.append(ids[j])
                    elif other is not False:
                        maybe.append(j)
                if beaten_by:
                    if needs is None:
                        entry = set_aside.setdefault(outcome.key, {})
                        entry.setdefault(pid, []).extend(beaten_by)
                    continue
                args = {name: arg(env) for name, arg in outcome.args}
                value = outcome.value(env) if outcome.value is not None else None
                for j in maybe:
                    # An overrider that may apply leaves this outcome certain only if, when it
                    # applies, it gives the very same outcome (and nothing sets it aside).
                    if needs is None and self._same(j, outcome, value, args, env, statuses):
                        continue
                    cand_needs = (cand_needs or frozenset()) | statuses[j].needs
                candidates.setdefault(outcome.key, []).append(
                    _Candidate(pid, outcome.modality, value, args, cand_needs))
        return candidates, set_aside

    def _same(self, j: int, outcome: _OutcomePlan, value: Any, args: dict[str, Any],
              env: Env, statuses: list[Any]) -> bool:
        """Whether provision `j`, if it applies, gives exactly `outcome` (value and arguments)
        and nothing can set that aside (its own overriders on the key do not apply)."""
        found = self._single.get((j, outcome.key))
        if found is None:
            return False
        mine, guards = found
        if mine.modality != outcome.modality or any(statuses[k] is not False for k in guards):
            return False
        if mine.value is not None:
            theirs = mine.value(env)
            if isinstance(theirs, Unknown) or isinstance(value, Unknown) or theirs != value:
                return False
        for name, arg in mine.args:
            theirs = arg(env)
            if isinstance(theirs, Unknown) or isinstance(args.get(name), Unknown) or \
                    theirs != args.get(name):
                return False
        return True

    # ---- step 3: combination ------------------------------------------------------------------

    def _combine(self, candidates: dict[tuple[str, str], list[_Candidate]],
                 set_aside: dict[tuple[str, str], dict[str, list[str]]]) -> dict[str, Any]:
        outcomes: list[dict[str, Any]] = []
        conclusions: list[dict[str, Any]] = []
        undetermined: list[dict[str, Any]] = []
        conflicts: list[dict[str, Any]] = []
        for key in sorted(candidates):
            kind, name = key
            asides = set_aside.get(key, {})
            if kind == "action":
                self._combine_action(name, candidates[key], asides, outcomes, undetermined,
                                     conflicts)
            else:
                self._combine_conclusion(name, candidates[key], asides, conclusions,
                                         undetermined, conflicts)
        return {"outcomes": outcomes, "conclusions": conclusions, "undetermined": undetermined,
                "conflicts": conflicts}

    def _meta(self, ids: list[str]) -> tuple[list[str], str]:
        """The citations behind some provisions, and the weakest confidence among them."""
        sources: list[str] = []
        rank = 0
        for pid in ids:
            cited, provision_rank = self._citations[pid]
            rank = max(rank, provision_rank)
            sources.extend(c for c in cited if c not in sources)
        return sources, _CONFIDENCE[rank]

    def _combine_action(self, action: str, cands: list[_Candidate], asides: dict[str, list[str]],
                        outcomes: list[dict[str, Any]], undetermined: list[dict[str, Any]],
                        conflicts: list[dict[str, Any]]) -> None:
        certain = [c for c in cands if c.needs is None]
        uncertain = [c for c in cands if c.needs is not None]
        certain_modalities = {c.modality for c in certain}
        if not uncertain and len(certain_modalities) == 1 and not any(
                isinstance(v, Unknown) for c in certain for v in c.args.values()):
            self._settled(action, certain, certain_modalities.pop(), asides, outcomes, conflicts)
            return
        if _combined(certain_modalities) == "conflict":
            conflicts.append({
                "action": action,
                "items": [{"provision": c.provision, "modality": c.modality} for c in certain],
                "message": f"{action}: " + " / ".join(f"{c.provision} {c.modality}"
                                                      for c in certain)
                + " with no priority between them"})
            return
        possible = {_combined(certain_modalities | set(extra))
                    for extra in _subsets({c.modality for c in uncertain})}
        needs: set[str] = set()
        for c in uncertain:
            needs |= c.needs or frozenset()
        arg_needs: set[str] = set()
        for c in cands:
            for value in c.args.values():
                if isinstance(value, Unknown):
                    arg_needs |= value.needs
        if uncertain and any(c.args != uncertain[0].args for c in cands):
            arg_needs |= needs  # which arguments hold depends on which provisions apply
        needs |= arg_needs
        if len(possible) == 1 and not arg_needs:
            final = possible.pop()
            if final != "none":
                self._settled(action, certain, final, asides, outcomes, conflicts)
            return
        undetermined.append({"action": action, "needs": sorted(needs),
                             "possible": sorted(possible),
                             "provisions": [c.provision for c in cands]})

    def _settled(self, action: str, certain: list[_Candidate], final: str,
                 asides: dict[str, list[str]], outcomes: list[dict[str, Any]],
                 conflicts: list[dict[str, Any]]) -> None:
        """Record a determined outcome, unless its provisions disagree on its arguments."""
        args: dict[str, Any] = {}
        for c in certain:
            for arg, value in c.args.items():
                if arg in args and args[arg] != _jsonable(value):
                    conflicts.append({
                        "action": action,
                        "items": [{"provision": c.provision, "modality": c.modality}
                                  for c in certain],
                        "message": f"{action}: provisions give different {arg}: "
                        f"{args[arg]} and {_jsonable(value)}"})
                    return
                args[arg] = _jsonable(value)
        ids = [c.provision for c in certain]
        sources, confidence = self._meta(ids)
        outcomes.append({"action": action, "modality": final, "args": args,
                         "provisions": ids, "set_aside": sorted(asides),
                         "sources": sources, "confidence": confidence})

    def _combine_conclusion(self, name: str, cands: list[_Candidate],
                            asides: dict[str, list[str]], conclusions: list[dict[str, Any]],
                            undetermined: list[dict[str, Any]],
                            conflicts: list[dict[str, Any]]) -> None:
        many = self.ruleset.conclusions[name].many
        if all(c.needs is None and not isinstance(c.value, Unknown) for c in cands):
            # the common case: every candidate certain and its value known
            grouped: dict[Any, list[str]] = {}
            for c in cands:
                grouped.setdefault(c.value, []).append(c.provision)
            if many or len(grouped) == 1:
                aside = sorted(asides)
                for value, ids in grouped.items():
                    sources, confidence = self._meta(ids)
                    conclusions.append({"name": name, "value": _jsonable(value),
                                        "provisions": ids, "set_aside": aside,
                                        "sources": sources, "confidence": confidence})
                return
        by_value: dict[Any, list[_Candidate]] = {}
        unknown_values: list[_Candidate] = []
        for c in cands:
            if isinstance(c.value, Unknown):
                unknown_values.append(c)
            else:
                by_value.setdefault(c.value, []).append(c)
        certain_values = [v for v, cs in by_value.items() if any(c.needs is None for c in cs)]
        if not many and len(certain_values) > 1:
            items = [{"provision": c.provision, "value": _jsonable(c.value)} for c in cands
                     if c.needs is None and not isinstance(c.value, Unknown)]
            conflicts.append({"conclusion": name, "items": items,
                              "message": f"{name}: " + " / ".join(
                                  f"{i['provision']} gives {i['value']}" for i in items)
                              + " with no priority between them"})
            return
        settled = many or (len(by_value) <= 1 and not unknown_values)
        for value, cs in by_value.items():
            certain = [c for c in cs if c.needs is None]
            if certain and settled:
                ids = [c.provision for c in certain]
                sources, confidence = self._meta(ids)
                conclusions.append({"name": name, "value": _jsonable(value), "provisions": ids,
                                    "set_aside": sorted(asides), "sources": sources,
                                    "confidence": confidence})
            elif settled:
                undetermined.append({"conclusion": name, "value": _jsonable(value),
                                     "needs": _needs(cs), "possible": [str(_jsonable(value)),
                                                                       "none"],
                                     "provisions": [c.provision for c in cs]})
        if not settled:
            possible = sorted(str(_jsonable(v)) for v in by_value)
            if not certain_values:
                possible.append("none")
            undetermined.append({"conclusion": name, "needs": _needs(cands),
                                 "possible": possible,
                                 "provisions": [c.provision for c in cands]})
        elif unknown_values:
            undetermined.append({"conclusion": name, "needs": _needs(unknown_values),
                                 "provisions": [c.provision for c in unknown_values]})

    # ---- explanation --------------------------------------------------------------------------

    def _explain(self, env: Env, date: Any, statuses: list[Any],
                 set_aside: dict[tuple[str, str], dict[str, list[str]]]) -> dict[str, Any]:
        """Each considered provision's trace: in force, each condition's value, the facts read.

        Provisions the guard index excluded (their `offence.kind` test fails) get one line in
        `excluded`: the condition that fails. They are most of the bill for any one case, and a
        full trace object each would triple the cost of the explanation.
        """
        facts = {path: _jsonable(env[path]) for path in self.ruleset.facts if path in env}
        beaten: dict[str, set[str]] = {}
        for entry in set_aside.values():
            for loser, winners in entry.items():
                beaten.setdefault(loser, set()).update(winners)
        considered = set(self._by_value.get(env.get(self._discriminator), self._all)
                         if self._discriminator else self._all)
        provisions = []
        excluded: dict[str, str] = {}
        for i, (plan, status) in enumerate(zip(self.plans, statuses, strict=True)):
            provision = plan.provision
            if i not in considered:
                excluded[provision.id] = self._first_failure(plan, env, facts)
                continue
            provisions.append(self._trace(plan, env, date, status, facts,
                                          sorted(beaten.get(provision.id, ()))))
        return {"facts": facts, "provisions": provisions, "excluded": excluded}

    def _trace(self, plan: _ProvisionPlan, env: Env, date: Any, status: Any,
               facts: dict[str, Any], set_aside_by: list[str]) -> dict[str, Any]:
        """One provision's trace as plain data (validated into a `ProvisionTrace`)."""
        provision = plan.provision
        values = [self._in_force(plan, date)] + [c(env) for _, c in plan.conditions]
        conditions = []
        failed = []
        in_force = values[0]
        if in_force is False:
            failed.append("not in force on the governing date")
        for condition, value in zip(provision.conditions, values[1:], strict=True):
            shown = "unknown" if isinstance(value, Unknown) else ("true" if value else "false")
            conditions.append({"kind": condition.kind, "text": condition.text, "value": shown,
                               "facts": {f: facts.get(f) for f in condition.facts}})
            if (condition.kind == "if" and value is False) or \
                    (condition.kind == "unless" and value is True):
                failed.append(f"{condition.kind} {condition.text}")
        return {
            "id": provision.id, "title": provision.title,
            "status": "applies" if status is True else (
                "does_not_apply" if status is False else "undetermined"),
            "in_force": "unknown" if isinstance(in_force, Unknown) else (
                "true" if in_force else "false"),
            "conditions": conditions, "failed": failed, "set_aside_by": set_aside_by,
            "needs": sorted(status.needs) if isinstance(status, Unknown) else [],
            "sources": list(plan.sources), "confidence": provision.confidence,
            "quote": provision.quote}

    def why_not(self, case: Any, provision_id: str,
                as_of: dt.date | str | None = None) -> ProvisionTrace:
        """The full trace of one provision on a case, whether or not the index excluded it."""
        self.ruleset.provision(provision_id)  # UnknownProvision if there is none
        index = next(i for i, p in enumerate(self.plans) if p.provision.id == provision_id)
        _, env = self.loader.load(case)
        date, _ = self._governing_date(env, as_of)
        statuses = self._applicability(env, date)
        _, set_aside = self._priorities(env, statuses)
        beaten = sorted({winner for entry in set_aside.values()
                         for winner in entry.get(provision_id, ())})
        facts = {path: _jsonable(env[path]) for path in self.ruleset.facts if path in env}
        return ProvisionTrace.model_validate(
            self._trace(self.plans[index], env, date, statuses[index], facts, beaten))

    @staticmethod
    def _first_failure(plan: _ProvisionPlan, env: Env, facts: dict[str, Any]) -> str:
        """The first `if` condition that is false, with the facts it read."""
        for condition, (is_unless, compiled) in zip(plan.provision.conditions, plan.conditions,
                                                     strict=True):
            if not is_unless and compiled(env) is False:
                used = ", ".join(f"{f} = {facts[f]}" for f in condition.facts if f in facts)
                return f"if {condition.text}: false ({used})" if used else \
                    f"if {condition.text}: false"
        return "does not apply"


def _guards(provision: Provision, ruleset: RuleSet) -> dict[str, frozenset[Any]]:
    """Enum facts whose value must lie in a set for the provision to apply."""
    found: dict[str, frozenset[Any]] = {}

    def guard(expr: core.Expr) -> tuple[str, frozenset[Any]] | None:
        while isinstance(expr, core.DefRef):
            expr = ruleset.definitions[expr.name].expr
        if isinstance(expr, core.In) and not expr.negated and \
                isinstance(expr.operand, core.FactRef):
            return expr.operand.path, frozenset(expr.values)
        if isinstance(expr, core.Compare) and expr.op == "=" and \
                isinstance(expr.left, core.FactRef) and isinstance(expr.right, core.Lit):
            return expr.left.path, frozenset((expr.right.value,))
        if isinstance(expr, core.BoolOp) and expr.op == "or":
            parts = [guard(o) for o in expr.operands]
            if parts and all(p is not None and p[0] == parts[0][0] for p in parts):  # type: ignore[index]
                return parts[0][0], frozenset().union(*(p[1] for p in parts if p))  # type: ignore[index]
        return None

    def conjuncts(expr: core.Expr) -> list[core.Expr]:
        while isinstance(expr, core.DefRef):
            expr = ruleset.definitions[expr.name].expr
        if isinstance(expr, core.BoolOp) and expr.op == "and":
            return [c for o in expr.operands for c in conjuncts(o)]
        return [expr]

    for condition in provision.conditions:
        if condition.kind != "if":
            continue
        for part in conjuncts(condition.expr):
            found_guard = guard(part)
            if found_guard is not None:
                path, values = found_guard
                found[path] = found[path] & values if path in found else values
    return found


def _needs(cands: list[_Candidate]) -> list[str]:
    needs: set[str] = set()
    for c in cands:
        needs |= c.needs or frozenset()
        if isinstance(c.value, Unknown):
            needs |= c.value.needs
    return sorted(needs)


def _combined(modalities: set[str]) -> str:
    if "forbidden" in modalities and modalities & {"required", "permitted"}:
        return "conflict"
    for modality in ("required", "permitted", "forbidden"):
        if modality in modalities:
            return modality
    return "none"


def _subsets(items: set[str]) -> list[tuple[str, ...]]:
    ordered = sorted(items)
    return [combo for size in range(len(ordered) + 1) for combo in combinations(ordered, size)]
