"""Syntax trees to a checked `RuleSet`.

The checker is an ordered list of named passes (as OPA's compiler stages are): collect the
declarations, type the facts, type and order the definitions, then check every provision. Each
pass appends to one list of diagnostics instead of stopping at the first error, and each
diagnostic has a stable code (see `docs/DIAGNOSTICS.md`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from rules.language import core
from rules.language import syntax as s
from rules.language.printer import expr_text
from rules.language.ruleset import (
    CONFIDENCES,
    Action,
    Citation,
    ConclusionKind,
    ConclusionOutcome,
    Condition,
    Confidence,
    Constraint,
    Definition,
    DeonticOutcome,
    Fact,
    Inference,
    Presumption,
    Provision,
    ProvisionOutcome,
    RuleSet,
    facts_read,
)
from rules.language.source import Diagnostics, RuleSetError, Span, did_you_mean

_MODALITY = {"require": "required", "forbid": "forbidden", "permit": "permitted"}
_FUNCTIONS = {"years_between": 2, "days_between": 2}


def check(modules: Iterable[s.Module], sources: dict[str, str] | None = None) -> RuleSet:
    """Check parsed modules as one rule set; raise `RuleSetError` listing every error."""
    checker = _Checker(list(modules))
    ruleset = checker.run(sources or {})
    errors = checker.diagnostics.errors
    if errors or ruleset is None:
        raise RuleSetError(checker.diagnostics.items, sources)
    return ruleset


def check_collect(modules: Iterable[s.Module],
                  sources: dict[str, str] | None = None) -> tuple[RuleSet | None, Diagnostics]:
    """Check and return the rule set (None on errors) with every diagnostic, warnings included."""
    checker = _Checker(list(modules))
    ruleset = checker.run(sources or {})
    return (None if checker.diagnostics.errors else ruleset), checker.diagnostics


@dataclass
class _Checker:
    modules: list[s.Module]
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    acts: dict[str, str] = field(default_factory=dict)
    enums: dict[str, core.Type] = field(default_factory=dict)
    facts: dict[str, Fact] = field(default_factory=dict)
    definitions: dict[str, Definition] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    conclusions: dict[str, ConclusionKind] = field(default_factory=dict)
    governing: str | None = None
    _define_syntax: dict[str, s.Define] = field(default_factory=dict)
    _in_progress: list[str] = field(default_factory=list)
    _fact_syntax: dict[str, s.FactDecl] = field(default_factory=dict)

    def run(self, sources: dict[str, str]) -> RuleSet | None:
        items = [item for module in self.modules for item in module.items]
        self._collect(items)
        self._type_facts()
        for name in self._define_syntax:
            self._definition(name)
        self._governing(items)
        provisions = self._provisions([i for i in items if isinstance(i, s.Provision)])
        self._known_only_in_case_rules(provisions)
        presumptions = self._presumptions([i for i in items if isinstance(i, s.Presumption)])
        inferences = self._inferences([i for i in items if isinstance(i, s.Inference)])
        constraints = self._constraints([i for i in items if isinstance(i, s.Constraint)])
        protections = self._protections([i for i in items if isinstance(i, s.ProtectionsDecl)])
        if self.diagnostics.errors:
            return None
        return RuleSet(self.acts, self.enums, self.facts, self.definitions, self.actions,
                       self.conclusions, provisions, self.governing, dict(sources),
                       tuple(self.modules), presumptions=presumptions, inferences=inferences,
                       constraints=constraints, protections=protections)

    # ---- pass 1: declarations ----------------------------------------------------------------

    def _collect(self, items: list[s.Item]) -> None:
        seen: dict[tuple[str, str], Span] = {}

        def unique(kind: str, name: str, span: Span) -> bool:
            if (kind, name) in seen:
                self.diagnostics.error("duplicate_id", f"{kind} `{name}` is declared twice", span,
                                       f"first declared at {seen[(kind, name)]}")
                return False
            seen[(kind, name)] = span
            return True

        for item in items:
            if isinstance(item, s.ActDecl) and unique("act", item.name, item.span):
                self.acts[item.name] = item.title
            elif isinstance(item, s.EnumDecl) and unique("enum", item.name, item.span):
                self._enum_values(item.values, item.span)
                self.enums[item.name] = core.Type("enum", item.name, item.values)
            elif isinstance(item, s.FactsBlock):
                for fact in item.facts:
                    if unique("name", fact.path, fact.span):
                        self._fact_syntax[fact.path] = fact
            elif isinstance(item, s.Define) and unique("name", item.name, item.span):
                self._define_syntax[item.name] = item
            elif isinstance(item, s.ActionDecl) and unique("action", item.name, item.span):
                params = tuple((p.name, self._type(p.type, p.name)) for p in item.params)
                self.actions[item.name] = Action(item.name, params, item.description, item.span)
            elif isinstance(item, s.ConclusionDecl) and unique("conclusion", item.name, item.span):
                self.conclusions[item.name] = ConclusionKind(
                    item.name, self._type(item.type, item.name), item.many, item.description,
                    item.span)
            elif isinstance(item, s.Provision):
                unique("provision", item.id, item.id_span)
            elif isinstance(item, s.Constraint):
                unique("constraint", item.id, item.span)
            elif isinstance(item, s.Amendment):
                self.diagnostics.error(
                    "amendment_in_rule_set",
                    f"amendment `{item.id}` belongs in an amendment file, not in the rule set",
                    item.span, "apply it with `rules eval --amendment FILE`")

    def _enum_values(self, values: tuple[str, ...], span: Span) -> None:
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            self.diagnostics.error("duplicate_enum_value",
                                   f"enum value `{repeated[0]}` is listed twice", span)

    def _type(self, spec: s.TypeSpec, owner: str) -> core.Type:
        if isinstance(spec, s.BoolType):
            return core.BOOLEAN
        if isinstance(spec, s.IntType):
            return core.INTEGER
        if isinstance(spec, s.DateType):
            return core.DATE
        if isinstance(spec, s.TextType):
            return core.TEXT
        if len(spec.values) == 1:
            name = spec.values[0]
            if name in self.enums:
                return self.enums[name]
            self.diagnostics.error("unknown_type", f"unknown type `{name}`", spec.span,
                                   did_you_mean(name, [*self.enums, "boolean", "integer", "date",
                                                       "text"]))
            return core.TEXT
        self._enum_values(spec.values, spec.span)
        return core.Type("enum", owner, spec.values)

    # ---- pass 2: facts --------------------------------------------------------------------------

    def _type_facts(self) -> None:
        for path, decl in self._fact_syntax.items():
            type_ = self._type(decl.type, path)
            low: Any = None
            high: Any = None
            if isinstance(decl.type, (s.IntType, s.DateType)):
                low, high = decl.type.low, decl.type.high
                if low is not None and high is not None and low > high:
                    self.diagnostics.error("bad_range", f"the range of `{path}` is empty: "
                                           f"{low} is after {high}", decl.type.span)
            self.facts[path] = Fact(path, type_, low, high, None, decl.doc, decl.span)
        for path, decl in self._fact_syntax.items():
            if decl.derivation is None:
                continue
            expr = self._expr(decl.derivation, self.facts[path].type, allow_defs=False)
            self._expect(expr, self.facts[path].type, decl.derivation.span,
                         f"the formula of `{path}`")
            fact = self.facts[path]
            self.facts[path] = Fact(path, fact.type, fact.low, fact.high, expr, fact.doc, fact.span)
        self._derivation_cycles()

    def _derivation_cycles(self) -> None:
        def deps(path: str) -> set[str]:
            derivation = self.facts[path].derivation
            return core.fact_paths(derivation) if derivation is not None else set()

        for path in self.facts:
            stack, seen = [path], set()
            while stack:
                current = stack.pop()
                for dep in deps(current):
                    if dep == path:
                        self.diagnostics.error("derivation_cycle",
                                               f"fact `{path}` is computed from itself",
                                               self.facts[path].span)
                        stack.clear()
                        break
                    if dep not in seen:
                        seen.add(dep)
                        stack.append(dep)

    # ---- pass 3: definitions ----------------------------------------------------------------

    def _definition(self, name: str) -> Definition | None:
        if name in self.definitions:
            return self.definitions[name]
        if name in self._in_progress:
            loop = [*self._in_progress[self._in_progress.index(name):], name]
            self.diagnostics.error("definition_cycle",
                                   "definitions refer to each other in a loop: "
                                   + " -> ".join(loop), self._define_syntax[name].span)
            return None
        decl = self._define_syntax[name]
        self._in_progress.append(name)
        declared = self._type(decl.declared_type, name) if decl.declared_type else None
        expr = self._expr(decl.expr, declared)
        self._in_progress.pop()
        if declared is not None:
            self._expect(expr, declared, decl.expr.span, f"definition `{name}`")
        definition = Definition(name, declared or expr.type, expr, expr_text(decl.expr), decl.span)
        self.definitions[name] = definition
        return definition

    def _governing(self, items: list[s.Item]) -> None:
        for item in items:
            if not isinstance(item, s.GoverningDate):
                continue
            if self.governing is not None:
                self.diagnostics.error("duplicate_id", "the governing date is declared twice",
                                       item.span)
            fact = self.facts.get(item.fact)
            if fact is None:
                self.diagnostics.error("unknown_name", f"unknown fact `{item.fact}`", item.span,
                                       did_you_mean(item.fact, self.facts))
            elif fact.type != core.DATE:
                self.diagnostics.error("type_mismatch", f"the governing date `{item.fact}` is a "
                                       f"{fact.type}, not a date", item.span)
            self.governing = item.fact

    # ---- pass 4: provisions -----------------------------------------------------------------

    def _provisions(self, provisions: list[s.Provision]) -> tuple[Provision, ...]:
        checked = [p for p in (self._provision(p) for p in provisions) if p is not None]
        by_id = {p.id: p for p in checked}
        spans = {p.id: p for p in provisions}
        for provision in checked:
            for target in provision.overrides:
                other = by_id.get(target)
                if other is None:
                    continue
                if not provision.decides & other.decides:
                    self.diagnostics.error(
                        "override_disjoint",
                        f"`{provision.id}` overrides `{target}` but they decide nothing in common",
                        spans[provision.id].id_span,
                        f"`{provision.id}` decides {', '.join(sorted(provision.decides))}; "
                        f"`{target}` decides {', '.join(sorted(other.decides))}")
        self._override_cycles(checked, spans)
        return tuple(checked)

    def _override_cycles(self, checked: list[Provision], spans: dict[str, s.Provision]) -> None:
        graph = {p.id: p.overrides for p in checked}
        state: dict[str, int] = {}
        path: list[str] = []

        def visit(node: str) -> None:
            state[node] = 1
            path.append(node)
            for nxt in graph.get(node, ()):
                if state.get(nxt) == 1:
                    loop = [*path[path.index(nxt):], nxt]
                    self.diagnostics.error("override_cycle", "provisions override each other in a "
                                           "loop: " + " -> ".join(loop), spans[nxt].id_span)
                elif nxt in graph and nxt not in state:
                    visit(nxt)
            path.pop()
            state[node] = 2

        for node in graph:
            if node not in state:
                visit(node)

    def _provision(self, p: s.Provision) -> Provision | None:
        errors_before = len(self.diagnostics.errors)
        by_kind: dict[str, list[s.Clause]] = {}
        for clause in p.clauses:
            by_kind.setdefault(clause.kind, []).append(clause)
        for kind in ("confidence", "quote", "in_force", "effect"):
            for extra in by_kind.get(kind, [])[1:]:
                self.diagnostics.error("duplicate_clause", f"provision `{p.id}` has a second "
                                       f"`{kind.replace('_', ' ')}` clause", extra.span)
        for kind, words in (("source", "`source`"), ("confidence", "`confidence`"),
                            ("in_force", "`in force from` date")):
            if kind not in by_kind:
                self.diagnostics.error(f"missing_{kind}", f"provision `{p.id}` has no {words}",
                                       p.id_span, "every provision cites its source, its "
                                       "confidence and the date it enters into force")
        sources = tuple(self._citation(c.value) for c in by_kind.get("source", [])
                        if isinstance(c.value, s.SourceRef))
        confidence: Confidence = "uncertain"
        if "confidence" in by_kind:
            clause = by_kind["confidence"][0]
            if clause.value in CONFIDENCES:
                confidence = clause.value
            else:
                self.diagnostics.error("bad_confidence", f"unknown confidence `{clause.value}`",
                                       clause.span, "expected confirmed, secondary or uncertain",
                                       did_you_mean(str(clause.value), CONFIDENCES))
        start, end = dt.date(1, 1, 1), None
        if "in_force" in by_kind:
            period = by_kind["in_force"][0].value
            assert isinstance(period, s.InForce)
            start, end = period.start, period.end
            if end is not None and end < start:
                self.diagnostics.error("date_order", f"provision `{p.id}` leaves force ({end}) "
                                       f"before it enters into force ({start})", period.span)
        effect: Literal["worsens", "improves", "neutral"] = "neutral"
        if "effect" in by_kind:
            effect = cast(Literal["worsens", "improves"], by_kind["effect"][0].value)
        overrides: list[str] = []
        for clause in by_kind.get("overrides", []):
            for target, span in clause.value:  # type: ignore[attr-defined]
                if target == p.id:
                    self.diagnostics.error("override_self", f"provision `{p.id}` overrides itself",
                                           span)
                elif not any(isinstance(i, s.Provision) and i.id == target
                             for m in self.modules for i in m.items):
                    ids = [i.id for m in self.modules for i in m.items
                           if isinstance(i, s.Provision)]
                    self.diagnostics.error("unknown_override",
                                           f"`{p.id}` overrides `{target}`, which does not exist",
                                           span, did_you_mean(target, ids))
                else:
                    overrides.append(target)
        conditions = tuple(self._condition(c) for c in p.clauses if c.kind in ("if", "unless"))
        outcomes = tuple(o for o in (self._outcome(o, p.id) for o in p.outcomes) if o is not None)
        if len(self.diagnostics.errors) > errors_before:
            return None
        quote = str(by_kind["quote"][0].value) if "quote" in by_kind else ""
        return Provision(p.id, p.title, sources, confidence, quote, start, end, effect,
                         tuple(overrides), conditions, outcomes, p.span)

    def _citation(self, ref: s.SourceRef) -> Citation:
        if ref.act not in self.acts:
            self.diagnostics.error("unknown_act", f"unknown act `{ref.act}`", ref.span,
                                   did_you_mean(ref.act, self.acts) or "declare it with "
                                   f'`act {ref.act} "full title"`')
        return Citation(ref.act, self.acts.get(ref.act, ref.act), ref.parts, ref.detail)

    def _condition(self, clause: s.Clause) -> Condition:
        assert isinstance(clause.value, (s.IntLit, s.DateLit, s.StrLit, s.BoolLit, s.Ref, s.Call,
                                         s.Unary, s.Binary, s.Member, s.Known))
        expr = self._expr(clause.value, core.BOOLEAN)
        self._expect(expr, core.BOOLEAN, clause.value.span, f"an `{clause.kind}` condition")
        facts = tuple(sorted(facts_read(expr, self.definitions, self.facts)))
        return Condition(clause.kind, expr, expr_text(clause.value), facts,  # type: ignore[arg-type]
                         clause.span)

    def _outcome(self, outcome: s.Outcome, owner: str) -> ProvisionOutcome | None:
        if isinstance(outcome, s.Deontic):
            action = self.actions.get(outcome.action)
            if action is None:
                self.diagnostics.error("unknown_action", f"unknown action `{outcome.action}`",
                                       outcome.span, did_you_mean(outcome.action, self.actions)
                                       or f"declare it with `action {outcome.action}`")
                return None
            params = dict(action.params)
            args: list[tuple[str, core.Expr]] = []
            for arg in outcome.args:
                if arg.name not in params:
                    self.diagnostics.error("bad_argument", f"action `{action.name}` has no "
                                           f"argument `{arg.name}`", arg.span,
                                           did_you_mean(arg.name, params))
                    continue
                value = self._expr(arg.value, params[arg.name])
                self._expect(value, params[arg.name], arg.value.span, f"argument `{arg.name}`")
                args.append((arg.name, value))
            missing = [p for p in params if p not in {a.name for a in outcome.args}]
            if missing:
                self.diagnostics.error("bad_argument", f"action `{action.name}` needs the "
                                       f"argument `{missing[0]}`", outcome.span)
            return DeonticOutcome(_MODALITY[outcome.modality], action.name,  # type: ignore[arg-type]
                                  tuple(args), outcome.span)
        kind = self.conclusions.get(outcome.name)
        if kind is None:
            self.diagnostics.error("unknown_conclusion", f"unknown conclusion `{outcome.name}`",
                                   outcome.span, did_you_mean(outcome.name, self.conclusions)
                                   or f"declare it with `conclusion {outcome.name} : text`")
            return None
        value = self._expr(outcome.value, kind.type)
        self._expect(value, kind.type, outcome.value.span, f"conclusion `{kind.name}`")
        return ConclusionOutcome(kind.name, value, outcome.span)

    # ---- pass 5: what the law presumes, infers and rules out about a case's facts ----------

    def _known_only_in_case_rules(self, provisions: tuple[Provision, ...]) -> None:
        """`is known` / `is unknown` read whether the case states a fact, not what the law says:
        in a provision or definition they would let a stated fact flip an answer reported as
        settled. They belong in inferences and constraints, which read the case file."""
        exprs: list[tuple[core.Expr, str]] = [(d.expr, f"definition `{d.name}`")
                                               for d in self.definitions.values()]
        for p in provisions:
            exprs.extend((c.expr, f"provision `{p.id}`") for c in p.conditions)
            for o in p.outcomes:
                if isinstance(o, ConclusionOutcome):
                    exprs.append((o.value, f"provision `{p.id}`"))
                else:
                    exprs.extend((arg, f"provision `{p.id}`") for _, arg in o.args)
        for expr, owner in exprs:
            for node in core.walk(expr):
                if isinstance(node, core.IsKnown):
                    self.diagnostics.error(
                        "known_in_condition", f"{owner} asks whether a fact is "
                        f"{'unknown' if node.negated else 'known'}: a legal condition must not "
                        "depend on what the case leaves out", node.span,
                        "say what the law presumes (`presume fact = value`) or infers "
                        "(`infer fact = value if other is known`) instead")

    def _header(self, clauses: tuple[s.Clause, ...], owner: str, span: Span,
                allowed: tuple[str, ...]) -> tuple[tuple[Citation, ...], Confidence,
                                                    dict[str, list[s.Clause]]]:
        """Sources and confidence of a presumption, inference or constraint."""
        by_kind: dict[str, list[s.Clause]] = {}
        for clause in clauses:
            by_kind.setdefault(clause.kind, []).append(clause)
        for kind, extra in by_kind.items():
            if kind != "source" and kind in allowed:
                for clause in extra[1:]:
                    self.diagnostics.error("duplicate_clause", f"{owner} has a second "
                                           f"`{kind}` clause", clause.span)
        for kind in ("source", "confidence"):
            if kind not in by_kind:
                self.diagnostics.error(f"missing_{kind}", f"{owner} has no `{kind}`", span,
                                       "every presumption, inference and constraint cites its "
                                       "legal basis and its confidence")
        sources = tuple(self._citation(c.value) for c in by_kind.get("source", [])
                        if isinstance(c.value, s.SourceRef))
        confidence: Confidence = "uncertain"
        if "confidence" in by_kind:
            clause = by_kind["confidence"][0]
            if clause.value in CONFIDENCES:
                confidence = clause.value
            else:
                self.diagnostics.error("bad_confidence", f"unknown confidence `{clause.value}`",
                                       clause.span, "expected confirmed, secondary or uncertain")
        return sources, confidence, by_kind

    def _fact_value(self, path: str, value: s.Expr, span: Span, what: str
                    ) -> tuple[Fact | None, core.Value | None]:
        """The fact a presumption or inference is about, and its constant value."""
        fact = self.facts.get(path)
        if fact is None:
            self.diagnostics.error("unknown_name", f"{what} is about an unknown fact `{path}`",
                                   span, did_you_mean(path, self.facts))
            return None, None
        if fact.derivation is not None:
            self.diagnostics.error("derived_fact", f"{what} is about `{path}`, which is computed "
                                   "from other facts", span, "state it about the facts it is "
                                   "computed from")
            return None, None
        typed = self._expr(value, fact.type)
        if not isinstance(typed, core.Lit):
            self.diagnostics.error("not_a_constant", f"{what} gives `{path}` a value that is not "
                                   "a constant", value.span)
            return fact, None
        self._expect(typed, fact.type, value.span, f"the value of `{path}`")
        if typed.type == fact.type and (
                (fact.low is not None and typed.value < fact.low)
                or (fact.high is not None and typed.value > fact.high)):
            self.diagnostics.error("bad_range", f"{typed.value} is outside the range of `{path}` "
                                   f"({fact.low}..{fact.high})", value.span)
        return fact, typed.value

    def _presumptions(self, items: list[s.Presumption]) -> dict[str, Presumption]:
        found: dict[str, Presumption] = {}
        for item in items:
            owner = f"the presumption on `{item.fact}`"
            sources, confidence, by_kind = self._header(item.clauses, owner, item.span,
                                                        ("source", "confidence", "quote",
                                                         "rebuttal"))
            fact, value = self._fact_value(item.fact, item.value, item.span, "a presumption")
            if fact is None or value is None:
                continue
            if item.fact in found:
                self.diagnostics.error("duplicate_presumption", f"`{item.fact}` is presumed "
                                       "twice", item.span,
                                       f"first presumed at {found[item.fact].span}")
                continue
            quote = str(by_kind["quote"][0].value) if "quote" in by_kind else ""
            rebuttal = str(by_kind["rebuttal"][0].value) if "rebuttal" in by_kind else ""
            found[item.fact] = Presumption(item.fact, value, sources, confidence, quote,
                                           rebuttal, item.span)
        return found

    def _inferences(self, items: list[s.Inference]) -> tuple[Inference, ...]:
        checked: list[Inference] = []
        for item in items:
            owner = f"the inference of `{item.fact}`"
            sources, confidence, by_kind = self._header(item.clauses, owner, item.span,
                                                        ("source", "confidence", "if"))
            fact, value = self._fact_value(item.fact, item.value, item.span, "an inference")
            conditions = by_kind.get("if", [])
            if not conditions:
                self.diagnostics.error("missing_if", f"{owner} has no `if` condition",
                                       item.span)
            if fact is None or value is None or not conditions:
                continue
            raw = conditions[0].value
            assert isinstance(raw, (s.IntLit, s.DateLit, s.StrLit, s.BoolLit, s.Ref, s.Call,
                                    s.Unary, s.Binary, s.Member, s.Known))
            condition = self._expr(raw, core.BOOLEAN)
            self._expect(condition, core.BOOLEAN, raw.span, f"the condition of {owner}")
            reads = tuple(sorted(facts_read(condition, self.definitions, self.facts)))
            checked.append(Inference(item.fact, value, condition, expr_text(raw), reads,
                                     sources, confidence, item.span))
        return self._inference_order(checked)

    @staticmethod
    def _inference_order(inferences: list[Inference]) -> tuple[Inference, ...]:
        """Inferences ordered so that one setting a fact comes before those reading it, where
        they do not read each other (the case loader repeats them until nothing changes)."""
        setters = {i.fact for i in inferences}
        return tuple(sorted(inferences, key=lambda i: sum(f in setters for f in i.facts)))

    def _protections(self, items: list[s.ProtectionsDecl]) -> tuple[str, ...]:
        found: list[str] = []
        for item in items:
            for name in item.actions:
                if name not in self.actions:
                    self.diagnostics.error("unknown_action", f"unknown action `{name}` among the "
                                           "protections", item.span,
                                           did_you_mean(name, self.actions))
                elif name not in found:
                    found.append(name)
        return tuple(found)

    def _constraints(self, items: list[s.Constraint]) -> tuple[Constraint, ...]:
        checked: list[Constraint] = []
        for item in items:
            owner = f"constraint `{item.id}`"
            sources, confidence, _ = self._header(item.clauses, owner, item.span,
                                                  ("source", "confidence"))
            expr = self._expr(item.expr, core.BOOLEAN)
            self._expect(expr, core.BOOLEAN, item.expr.span, f"{owner}")
            reads = tuple(sorted(facts_read(expr, self.definitions, self.facts)))
            checked.append(Constraint(item.id, item.title, expr, expr_text(item.expr), reads,
                                      sources, confidence, item.span))
        return tuple(checked)

    # ---- expressions ----------------------------------------------------------------------------

    def _expect(self, expr: core.Expr, want: core.Type, span: Span, what: str) -> None:
        if expr.type != want and expr.type != _ERROR:
            self.diagnostics.error("type_mismatch", f"{what} must be {_a(want)}, but this is "
                                   f"{_a(expr.type)}", span)

    def _expr(self, e: s.Expr, context: core.Type | None = None,
              allow_defs: bool = True) -> core.Expr:
        """Resolve and type an expression; `context` lets bare names stand for enum values."""
        if isinstance(e, s.IntLit):
            return core.Lit(e.value, core.INTEGER, e.span)
        if isinstance(e, s.DateLit):
            return core.Lit(e.value, core.DATE, e.span)
        if isinstance(e, s.StrLit):
            return core.Lit(e.value, core.TEXT, e.span)
        if isinstance(e, s.BoolLit):
            return core.Lit(e.value, core.BOOLEAN, e.span)
        if isinstance(e, s.Ref):
            return self._ref(e, context, allow_defs)
        if isinstance(e, s.Call):
            return self._call(e, allow_defs)
        if isinstance(e, s.Unary):
            if e.op == "not":
                operand = self._expr(e.operand, core.BOOLEAN, allow_defs)
                self._expect(operand, core.BOOLEAN, e.operand.span, "the operand of `not`")
                return core.Not(operand, span=e.span)
            operand = self._expr(e.operand, core.INTEGER, allow_defs)
            self._expect(operand, core.INTEGER, e.operand.span, "a negated value")
            return core.Arith("neg", operand, None, span=e.span)
        if isinstance(e, s.Known):
            return core.IsKnown(self._expr(e.operand, None, allow_defs), e.negated, span=e.span)
        if isinstance(e, s.Member):
            return self._member(e, allow_defs)
        return self._binary(e, allow_defs)

    def _ref(self, e: s.Ref, context: core.Type | None, allow_defs: bool) -> core.Expr:
        if context is not None and context.kind == "enum" and e.name in context.values:
            return core.Lit(e.name, context, e.span)
        if e.name in self.facts:
            return core.FactRef(e.name, self.facts[e.name].type, e.span)
        if e.name in self._define_syntax and allow_defs:
            definition = self._definition(e.name)
            if definition is None:
                return core.Lit(False, _ERROR, e.span)
            return core.DefRef(e.name, definition.type, e.span)
        if context is not None and context.kind == "enum":
            self.diagnostics.error("unknown_enum_value", f"`{e.name}` is not a value of "
                                   f"{context.enum}", e.span,
                                   did_you_mean(e.name, context.values),
                                   f"values: {', '.join(context.values[:12])}"
                                   + (", ..." if len(context.values) > 12 else ""))
            return core.Lit(e.name, _ERROR, e.span)
        names = [*self.facts, *self._define_syntax] if allow_defs else list(self.facts)
        enum_values = [v for t in self.enums.values() for v in t.values]
        hint = did_you_mean(e.name, [*names, *enum_values])
        owner = [t.enum for t in self.enums.values() if e.name in t.values]
        if owner:
            hint = f"`{e.name}` is a value of {owner[0]}; compare it with a {owner[0]} fact"
        self.diagnostics.error("unknown_name", f"unknown name `{e.name}`", e.span, hint)
        return core.Lit(False, _ERROR, e.span)

    def _call(self, e: s.Call, allow_defs: bool) -> core.Expr:
        if e.function not in _FUNCTIONS:
            self.diagnostics.error("unknown_function", f"unknown function `{e.function}`", e.span,
                                   did_you_mean(e.function, _FUNCTIONS) or "functions: "
                                   + ", ".join(_FUNCTIONS))
            return core.Lit(0, _ERROR, e.span)
        if len(e.args) != _FUNCTIONS[e.function]:
            self.diagnostics.error("bad_argument", f"`{e.function}` takes "
                                   f"{_FUNCTIONS[e.function]} arguments, not {len(e.args)}",
                                   e.span)
            return core.Lit(0, _ERROR, e.span)
        args = tuple(self._expr(a, core.DATE, allow_defs) for a in e.args)
        for arg, raw in zip(args, e.args, strict=True):
            self._expect(arg, core.DATE, raw.span, f"an argument of `{e.function}`")
        return core.Call(e.function, args, span=e.span)  # type: ignore[arg-type]

    def _member(self, e: s.Member, allow_defs: bool) -> core.Expr:
        operand = self._expr(e.operand, None, allow_defs)
        values: list[core.Value] = []
        for raw in e.values:
            value = self._expr(raw, operand.type, allow_defs)
            if not isinstance(value, core.Lit):
                self.diagnostics.error("not_a_constant", "the values after `in` must be "
                                       "constants", raw.span)
                continue
            self._expect(value, operand.type, raw.span, "a value in the list")
            values.append(value.value)
        return core.In(operand, tuple(values), e.negated, span=e.span)

    def _binary(self, e: s.Binary, allow_defs: bool) -> core.Expr:
        if e.op in ("and", "or"):
            operands: list[core.Expr] = []
            for raw in (e.left, e.right):
                operand = self._expr(raw, core.BOOLEAN, allow_defs)
                self._expect(operand, core.BOOLEAN, raw.span, f"an operand of `{e.op}`")
                if isinstance(operand, core.BoolOp) and operand.op == e.op:
                    operands.extend(operand.operands)
                else:
                    operands.append(operand)
            return core.BoolOp(e.op, tuple(operands), span=e.span)
        if e.op in ("+", "-", "*"):
            left = self._expr(e.left, core.INTEGER, allow_defs)
            right = self._expr(e.right, core.INTEGER, allow_defs)
            self._expect(left, core.INTEGER, e.left.span, f"an operand of `{e.op}`")
            self._expect(right, core.INTEGER, e.right.span, f"an operand of `{e.op}`")
            return core.Arith(e.op, left, right, span=e.span)
        # comparison: type one side first so that a bare enum value on the other side resolves
        if isinstance(e.left, s.Ref) and not self._is_name(e.left.name):
            right = self._expr(e.right, None, allow_defs)
            left = self._expr(e.left, right.type, allow_defs)
        else:
            left = self._expr(e.left, None, allow_defs)
            right = self._expr(e.right, left.type, allow_defs)
        if _ERROR not in (left.type, right.type):
            if left.type != right.type:
                self.diagnostics.error("type_mismatch", f"cannot compare {_a(left.type)} with "
                                       f"{_a(right.type)}", e.span,
                                       f"left: {expr_text(e.left)}; right: {expr_text(e.right)}")
            elif e.op not in ("=", "!=") and left.type.kind not in ("integer", "date"):
                self.diagnostics.error("type_mismatch", f"`{e.op}` orders numbers and dates, not "
                                       f"{left.type} values", e.span)
        return core.Compare(e.op, left, right, span=e.span)  # type: ignore[arg-type]

    def _is_name(self, name: str) -> bool:
        return name in self.facts or name in self._define_syntax


_ERROR = core.Type("enum", "<error>", ())


def _a(type_: core.Type) -> str:
    if type_.kind == "enum":
        return f"a {type_.enum} value"
    return {"integer": "an integer", "boolean": "a boolean (true/false)", "date": "a date",
            "text": "a text"}[type_.kind]
