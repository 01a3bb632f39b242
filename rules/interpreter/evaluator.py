"""RuleSet x case -> Decision: the reference interpreter.

It reads the rule set's `DecisionPlan` (rules.semantics) and runs three steps per case:

1. *applicability* (`_applicability`): each provision the guard index lets the case reach is in
   force on the governing date or not (its `Window`), and its conditions hold, fail, or are
   unknown (Kleene logic over the compiled closures);
2. *priorities* (`_priorities`): each candidate outcome is present or not, certain or not
   (`DecisionPlan.flags`), with the facts that would settle it;
3. *combination* (`_combine`): per action and conclusion, the outcome that holds for every
   completion of the unknown facts (`rules.semantics.combine.settle`), or "undetermined" with the
   facts it needs; contradictions are conflicts.

Soundness is the invariant: whatever is reported as determined stays so for any values of the
unknown facts (property-tested in tests/test_properties.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from rules.cases.model import CaseLoader
from rules.interpreter.closures import Compiled, Compiler, Env, Unknown, merge
from rules.interpreter.run import Run, Survivor, jsonable
from rules.language.ruleset import Presumption, RuleSet
from rules.language.source import CaseError
from rules.results import Decision, Explanation, ProvisionTrace, Undetermined
from rules.semantics.combine import combine_modalities, settle, value_status
from rules.semantics.plan import Candidate, PythonBools, plan_of
from rules.version import __version__

_RANK = {"confirmed": 0, "secondary": 1, "uncertain": 2}
_CONFIDENCE = ("confirmed", "secondary", "uncertain")
_BOOLS = PythonBools()


def parse_as_of(as_of: dt.date | str | None) -> dt.date | None:
    """An `as_of` date from a date or ISO text; a `CaseError` naming `as_of` if it is neither."""
    if as_of is None or (isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime)):
        return as_of
    if isinstance(as_of, str):
        try:
            return dt.date.fromisoformat(as_of.strip())
        except ValueError:
            pass
    raise CaseError([("as_of", f"expected a date like 2024-06-16, got {as_of!r}")])


class Evaluator:
    """Evaluates cases against one rule set; built once per rule set (see `RuleSet.evaluator`)."""

    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset
        self.plan = plan = plan_of(ruleset)
        self.compiler = compiler = Compiler({name: d.expr
                                             for name, d in ruleset.definitions.items()})
        self.loader = CaseLoader(ruleset, compiler)
        self.conditions: tuple[tuple[tuple[bool, Compiled], ...], ...] = tuple(
            tuple((is_unless, compiler.compile(expr)) for is_unless, expr in p.conditions)
            for p in plan.provisions)
        self._windows = tuple(p.window for p in plan.provisions)
        self._values = tuple(compiler.compile(c.value) if c.value is not None else None
                             for c in plan.candidates)
        self._args = tuple(tuple((name, compiler.compile(e)) for name, e in c.args)
                           for c in plan.candidates)
        self._citations = {p.provision.id: (tuple(s.short for s in p.provision.sources),
                                            _RANK[p.provision.confidence])
                           for p in plan.provisions}
        self._ids = tuple(p.provision.id for p in plan.provisions)
        self._governing = ruleset.governing_date

    # ---- the steps -----------------------------------------------------------------------------

    def evaluate(self, case: Any, as_of: dt.date | str | None = None,
                 presumptions: bool = True) -> Decision:
        """Decide a case. With `presumptions` (the default) a fact the case leaves out takes the
        value the law presumes for it, and every outcome resting on one says so; without
        (`--strict`), every fact left out is unknown."""
        stated, env, inferred = self.loader.load_facts(case)
        applied = self.loader.rules.presume(env) if presumptions else []
        facts = dict(env)
        strict = self.run(env, as_of)
        if applied:
            facts.update((p.fact, p.value) for p in applied)
            run = self.run(facts, as_of)
            decision = self._combine(run)
            decision["presumed"] = self._rests_on(decision, self._combine(strict), applied)
        else:
            run = strict
            decision = self._combine(run)
        run.presumed = [p.fact for p in applied]
        run.inferred = inferred
        decision["as_of"] = None if isinstance(run.date, Unknown) else run.date
        decision["as_of_source"] = "as_of" if as_of is not None else (
            "unknown" if isinstance(run.date, Unknown) else "offence date")
        decision["case"] = stated
        case_text = json.dumps(stated, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        decision["record"] = {
            "rules_sha256": self.ruleset.fingerprint,
            "case_sha256": hashlib.sha256(case_text.encode()).hexdigest(),
            "engine_version": __version__,
            "as_of": decision["as_of"], "strict": not presumptions}
        result = Decision.model_validate(decision)
        result._explain = lambda: self._explanation(run)
        if result._undetermined:
            result._refine = self._refiner(run, stated, parse_as_of(as_of), not presumptions)
        return result

    def _refiner(self, run: Run, stated: dict[str, Any], as_of: dt.date | None,
                 strict: bool) -> Callable[[list[Undetermined]], list[Undetermined]]:
        """Work out exactly what each undetermined item can still become (a solver search over
        the completions of the case, attached by `rules.solver`), when first asked."""
        known = {path: value for path, value in run.env.items() if path in self.ruleset.facts}

        def refine(items: list[Undetermined]) -> list[Undetermined]:
            search = self.ruleset.derived("completions")
            return [search.refine(item, known, stated, as_of, strict) for item in items]
        return refine

    def _rests_on(self, decision: dict[str, Any], strict: dict[str, Any],
                  applied: list[Presumption]) -> list[dict[str, Any]]:
        """Mark the outcomes and conclusions that hold only thanks to presumptions (in strict
        mode they are undetermined: by soundness they can never be settled otherwise), each
        with the presumed facts it rests on; the presumptions used, for the decision."""
        presumed = {p.fact: p for p in applied}
        settled: set[tuple[str, str, str]] = set()
        for o in strict["outcomes"]:
            settled.add(("action", o["action"], json.dumps([o["modality"], o["args"]])))
        for c in strict["conclusions"]:
            settled.add(("conclusion", c["name"], json.dumps(c["value"])))
        needs: dict[tuple[str, str], set[str]] = {}
        for u in strict["undetermined"]:
            key = ("action", u["action"]) if u.get("action") else ("conclusion", u["conclusion"])
            needs.setdefault(key, set()).update(u["needs"])
        used: set[str] = set()
        items = [(("action", o["action"]), json.dumps([o["modality"], o["args"]]), o)
                 for o in decision["outcomes"]]
        items += [(("conclusion", c["name"]), json.dumps(c["value"]), c)
                  for c in decision["conclusions"]]
        for key, shown, item in items:
            if (*key, shown) in settled:
                continue
            facts = sorted(needs.get(key, set()) & presumed.keys()) or sorted(
                self._read_by(item["provisions"]) & presumed.keys())
            item["presumed"] = facts
            used.update(facts)
            ranks = [_RANK[item["confidence"]], *(_RANK[presumed[f].confidence] for f in facts)]
            item["confidence"] = _CONFIDENCE[max(ranks)]
        return [{"fact": f, "value": jsonable(presumed[f].value),
                 "sources": [c.short for c in presumed[f].sources],
                 "confidence": presumed[f].confidence,
                 "rebuttal": presumed[f].rebuttal or _rebuttal(self.ruleset, presumed[f])}
                for f in sorted(used)]

    def _read_by(self, ids: list[str]) -> set[str]:
        """The facts the conditions of some provisions read."""
        found: set[str] = set()
        for pid in ids:
            for condition in self.ruleset.provision(pid).conditions:
                found.update(condition.facts)
        return found

    def run(self, env: Env, as_of: dt.date | str | None = None) -> Run:
        """Applicability and priorities of a loaded case (steps 1 and 2)."""
        date = self._governing_date(env, parse_as_of(as_of))
        run = Run(env, date, self._applicability(env, date))
        self._priorities(run)
        return run

    def _governing_date(self, env: Env, as_of: dt.date | None) -> Any:
        """The date the case is judged on: `as_of` (then conditions reading the governing date
        see it too, while facts derived earlier, such as ages, keep theirs), the case's own, or
        unknown."""
        if as_of is not None:
            if self._governing:
                env[self._governing] = as_of
            return as_of
        if self._governing and self._governing in env:
            return env[self._governing]
        return Unknown(frozenset((self._governing,)) if self._governing else frozenset())

    def in_force(self, index: int, date: Any) -> Any:
        """True, False, or the unknown governing date, for provision `index`."""
        if not isinstance(date, Unknown):
            return self._windows[index].contains(date)
        static = self.plan.in_force_static(index)
        return date if static is None else static

    def _applicability(self, env: Env, date: Any) -> list[Any]:
        """Each provision's status: True, False, or Unknown (with the facts it needs)."""
        statuses: list[Any] = [False] * len(self._windows)
        guard = self.plan.guard
        reachable = guard.reachable(env.get(guard.fact)) if guard.fact else guard.everything
        known_date = not isinstance(date, Unknown)
        windows = self._windows
        conditions = self.conditions
        for i in reachable:
            if known_date:
                if not windows[i].contains(date):
                    continue
                status: Any = True
            else:
                status = self.in_force(i, date)
                if status is False:
                    continue
            for is_unless, condition in conditions[i]:
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

    def _priorities(self, run: Run) -> None:
        """Which candidate outcomes survive, and which are certain (`DecisionPlan.flags`)."""
        statuses, env = run.statuses, run.env
        candidates = self.plan.candidates
        ids = self._ids

        def applies(j: int) -> bool:
            return statuses[j] is True

        def may(j: int) -> bool:
            return statuses[j] is not False

        def same(mine: Candidate, twin: Candidate) -> bool:
            return self._same(mine, twin, env)

        for p in self.plan.provisions:
            status = statuses[p.index]
            if status is False:
                continue
            needs = status.needs if isinstance(status, Unknown) else None
            for number in p.candidates:
                cand = candidates[number]
                if cand.overriders:
                    beaten = [ids[j] for j in cand.overriders if statuses[j] is True]
                    if beaten:
                        if needs is None:
                            run.set_aside.setdefault(cand.key, {}).setdefault(
                                cand.pid, []).extend(beaten)
                        continue
                    _, certain = self.plan.flags(cand, _BOOLS, applies, may, same)
                    cand_needs = needs
                    if not certain:
                        # what would settle it: its own conditions, and each overrider that may
                        # apply (unless it would give the very same outcome)
                        cand_needs = needs or frozenset()
                        twins = {candidates[t].provision: candidates[t] for t in cand.twins}
                        for j in cand.overriders:
                            other = statuses[j]
                            if not isinstance(other, Unknown):
                                continue
                            twin = twins.get(j)
                            if needs is None and twin is not None and same(cand, twin) and \
                                    not any(may(k) for k in twin.overriders):
                                continue
                            cand_needs = cand_needs | other.needs
                else:
                    cand_needs = needs
                value = self._values[number]
                run.survivors.setdefault(cand.key, []).append(Survivor(
                    cand, value(env) if value is not None else None,
                    {name: arg(env) for name, arg in self._args[number]}, cand_needs))

    def _same(self, mine: Candidate, twin: Candidate, env: Env) -> bool:
        """Whether `twin` gives `mine`'s value and arguments (both known) on this case."""
        pairs = [(self._values[mine.number], self._values[twin.number])] \
            if mine.value is not None else []
        theirs = dict(self._args[twin.number])
        pairs += [(arg, theirs.get(name)) for name, arg in self._args[mine.number]]
        for a, b in pairs:
            if a is None or b is None:
                return False
            left, right = a(env), b(env)
            if isinstance(left, Unknown) or isinstance(right, Unknown) or left != right:
                return False
        return True

    # ---- step 3: combination ------------------------------------------------------------------

    def _combine(self, run: Run) -> dict[str, Any]:
        out: dict[str, Any] = {"outcomes": [], "conclusions": [], "undetermined": [],
                               "conflicts": []}
        for key in sorted(run.survivors):
            kind, name = key
            asides = run.set_aside.get(key, {})
            if kind == "action":
                self._combine_action(name, run.survivors[key], asides, out)
            elif self.ruleset.conclusions[name].many:
                self._combine_list(name, run.survivors[key], asides, out)
            else:
                self._combine_single(name, run.survivors[key], asides, out)
        return out

    def meta(self, ids: list[str]) -> tuple[list[str], str]:
        """The citations behind some provisions, and the weakest confidence among them."""
        sources: list[str] = []
        rank = 0
        for pid in ids:
            cited, provision_rank = self._citations[pid]
            rank = max(rank, provision_rank)
            sources.extend(c for c in cited if c not in sources)
        return sources, _CONFIDENCE[rank]

    def _combine_action(self, action: str, cands: list[Survivor], asides: dict[str, list[str]],
                        out: dict[str, Any]) -> None:
        certain = [c for c in cands if c.needs is None]
        uncertain = [c for c in cands if c.needs is not None]
        sure = frozenset(c.candidate.modality for c in certain)
        maybe = frozenset(c.candidate.modality for c in uncertain)
        if combine_modalities(sure) == "conflict":
            out["conflicts"].append({
                "action": action,
                "items": [{"provision": c.candidate.pid, "modality": c.candidate.modality}
                          for c in certain],
                "message": f"{action}: " + " / ".join(f"{c.candidate.pid} "
                                                      f"{c.candidate.modality}" for c in certain)
                + " with no priority between them"})
            return
        possible = settle(sure, maybe, combine_modalities)
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
            final = next(iter(possible))
            if final != "none":
                self._settled(action, certain, final, asides, out)
            return
        out["undetermined"].append({"action": action, "needs": sorted(needs),
                                    "possible": sorted(possible),
                                    "provisions": [c.candidate.pid for c in cands]})

    def _settled(self, action: str, certain: list[Survivor], final: str,
                 asides: dict[str, list[str]], out: dict[str, Any]) -> None:
        """Record a determined outcome, unless its provisions disagree on its arguments."""
        args: dict[str, Any] = {}
        for c in certain:
            for arg, value in c.args.items():
                if arg in args and args[arg] != jsonable(value):
                    out["conflicts"].append({
                        "action": action,
                        "items": [{"provision": d.candidate.pid, "modality": d.candidate.modality}
                                  for d in certain],
                        "message": f"{action}: provisions give different {arg}: "
                        f"{args[arg]} and {jsonable(value)}"})
                    return
                args[arg] = jsonable(value)
        ids = [c.candidate.pid for c in certain]
        sources, confidence = self.meta(ids)
        out["outcomes"].append({"action": action, "modality": final, "args": args,
                                "provisions": ids, "set_aside": sorted(asides),
                                "sources": sources, "confidence": confidence})

    def _conclusion(self, name: str, value: Any, ids: list[str],
                    asides: dict[str, list[str]]) -> dict[str, Any]:
        sources, confidence = self.meta(ids)
        return {"name": name, "value": jsonable(value), "provisions": ids,
                "set_aside": sorted(asides), "sources": sources, "confidence": confidence}

    def _combine_single(self, name: str, cands: list[Survivor], asides: dict[str, list[str]],
                        out: dict[str, Any]) -> None:
        """A single-valued conclusion: `value_status` over the distinct known values that apply
        for certain and that may apply (an unknown value counts as one more)."""
        certain: dict[Any, list[str]] = {}
        present: dict[Any, list[Survivor]] = {}
        unknown: list[Survivor] = []
        for c in cands:
            if isinstance(c.value, Unknown):
                unknown.append(c)
                continue
            present.setdefault(c.value, []).append(c)
            if c.needs is None:
                certain.setdefault(c.value, []).append(c.candidate.pid)
        status = value_status(len(certain), len(present) + len(unknown))
        if status == "determined":
            value, ids = next(iter(certain.items()))
            out["conclusions"].append(self._conclusion(name, value, ids, asides))
        elif status == "conflict":
            items = [{"provision": c.candidate.pid, "value": jsonable(c.value)} for c in cands
                     if c.needs is None and not isinstance(c.value, Unknown)]
            out["conflicts"].append({"conclusion": name, "items": items,
                                     "message": f"{name}: " + " / ".join(
                                         f"{i['provision']} gives {i['value']}" for i in items)
                                     + " with no priority between them"})
        elif status == "undetermined":
            sure = frozenset(certain)
            maybe = frozenset(present) | frozenset(f"<unknown {i}>" for i in range(len(unknown)))
            possible = sorted(str(jsonable(r)) for r in settle(
                sure, maybe, lambda chosen: next(iter(chosen)) if len(chosen) == 1
                else ("none" if not chosen else "conflict")) if not str(r).startswith("<"))
            entry: dict[str, Any] = {"conclusion": name, "needs": _needs(cands),
                                     "possible": possible,
                                     "provisions": [c.candidate.pid for c in cands]}
            if len(present) == 1 and not unknown:
                entry["value"] = jsonable(next(iter(present)))
            out["undetermined"].append(entry)

    def _combine_list(self, name: str, cands: list[Survivor], asides: dict[str, list[str]],
                      out: dict[str, Any]) -> None:
        """A list conclusion: every value concluded for certain; a value that only may be
        concluded, or an unknown value, leaves the list undetermined (`list_status`)."""
        by_value: dict[Any, list[Survivor]] = {}
        unknown: list[Survivor] = []
        for c in cands:
            if isinstance(c.value, Unknown):
                unknown.append(c)
            else:
                by_value.setdefault(c.value, []).append(c)
        for value, cs in by_value.items():
            certain = [c.candidate.pid for c in cs if c.needs is None]
            if certain:
                out["conclusions"].append(self._conclusion(name, value, certain, asides))
            else:
                out["undetermined"].append({
                    "conclusion": name, "value": jsonable(value), "needs": _needs(cs),
                    "possible": [str(jsonable(value)), "none"],
                    "provisions": [c.candidate.pid for c in cs]})
        if unknown:
            out["undetermined"].append({"conclusion": name, "needs": _needs(unknown),
                                        "provisions": [c.candidate.pid for c in unknown]})

    # ---- explanation --------------------------------------------------------------------------

    def _explanation(self, run: Run) -> Explanation:
        from rules.interpreter.explain import explanation

        return Explanation.model_validate(explanation(self, run))

    def why_not(self, case: Any, provision_id: str, as_of: dt.date | str | None = None,
                presumptions: bool = True) -> ProvisionTrace:
        """The full trace of one provision on a case, whether or not the index excluded it
        (with the presumed facts filled in, as `evaluate` decides, unless `presumptions` is
        False)."""
        from rules.interpreter.explain import trace

        self.ruleset.provision(provision_id)  # UnknownProvision if there is none
        index = self._ids.index(provision_id)
        _, env = self.loader.load(case)
        if presumptions:
            env.update((p.fact, p.value) for p in self.loader.rules.presume(env))
        run = self.run(env, as_of)
        return ProvisionTrace.model_validate(trace(self, run, index))


def _rebuttal(ruleset: RuleSet, presumption: Presumption) -> str:
    """What would rebut a presumption, when its rule gives no words for it."""
    fact = ruleset.facts[presumption.fact]
    about = fact.doc[:1].lower() + fact.doc[1:] if fact.doc else presumption.fact
    if presumption.value is False:
        return f"unless it is established: {about}"
    return f"unless the case establishes otherwise: {about}"


def _needs(cands: list[Survivor]) -> list[str]:
    needs: set[str] = set()
    for c in cands:
        needs |= c.needs or frozenset()
        if isinstance(c.value, Unknown):
            needs |= c.value.needs
    return sorted(needs)
