"""Static analysis with z3: conflicts, dead provisions, overrides that never bite, gaps.

The rule set is encoded over *complete* cases (every fact has a value; docs/AMENDMENTS.md says
why): booleans are z3 booleans, integers z3 integers within their declared ranges, enums and texts
integer codes, and dates calendar triples (year, month, day) with the exact month lengths, so
`years_between` is encoded exactly (year difference, minus one before the anniversary) and derived
facts such as `victim.age` are tied to the dates they are computed from. Definitions are inlined.
A provision applies when it is in force on the governing date (with `improves position` reaching
back) and its conditions hold; an outcome survives unless a provision that overrides it and
decides the same action or conclusion applies, as in the evaluator.

Every finding that claims a case exists comes with a witness: a case in the JSON format
`rules eval` reads, minimised to the facts it needs, and *confirmed by the evaluator*. A witness
the evaluator does not confirm is dropped and reported as an internal inconsistency. Findings
that claim no case exists (a dead provision) are proofs (z3 `unsat`); a solver timeout is
reported as `unknown`, never as a proof.

z3 is imported lazily: importing this module costs nothing until an analysis runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rules.cases.convert import nest
from rules.language import core
from rules.language.ruleset import ConclusionOutcome, DeonticOutcome, Fact, RuleSet
from rules.language.source import CaseError
from rules.results import Decision
from rules.semantics.combine import MODALITIES, action_table, value_status
from rules.semantics.plan import Candidate, plan_of

DEFAULT_DATES = (dt.date(1850, 1, 1), dt.date(2100, 12, 31))
MODALITY_CODES = {"none": 0, "permitted": 1, "required": 2, "forbidden": 3, "conflict": 4}
CODE_MODALITY = {v: k for k, v in MODALITY_CODES.items()}
_CUMULATIVE = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


# ---- the states the evaluator reports -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Key:
    """What a state is about: an action, a single-valued conclusion, or one value of a list
    conclusion."""

    kind: str              # "action" | "conclusion"
    name: str
    value: Any = None      # for list conclusions

    def __str__(self) -> str:
        return self.name if self.value is None else f"{self.name} = {self.value!r}"

    def state(self, decision: Decision) -> str:
        if self.kind == "action":
            return decision.state(self.name)
        return decision.conclusion_state(self.name, self.value)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {self.kind: self.name}
        if self.value is not None:
            data["value"] = self.value
        return data


# ---- cases: flat <-> nested -------------------------------------------------------------------


def minimise(flat: dict[str, Any], holds: Callable[[dict[str, Any]], bool],
             first: Iterable[str] = (), keep: Iterable[str] = ()) -> dict[str, Any]:
    """Drop every fact the property does not need: try removing each (the facts in `first`
    first), keep the removal if the property still holds. The facts in `keep` (the governing
    date: what a reader needs to replay the witness) are never dropped."""
    current = dict(flat)
    kept = set(keep)
    order = [p for p in first if p in current] + [p for p in current if p not in set(first)]
    for path in order:
        if path in kept:
            continue
        trial = {k: v for k, v in current.items() if k != path}
        if holds(trial):
            current = trial
    return current


def derivation_inputs(ruleset: RuleSet) -> list[str]:
    """Facts that derived facts are computed from (birth dates): dropped first when minimising,
    so that a witness states an age rather than a birth date."""

    inputs: list[str] = []
    for fact in ruleset.facts.values():
        if fact.derivation is not None:
            for path in sorted(core.fact_paths(fact.derivation)):
                if path != ruleset.governing_date and path not in inputs:
                    inputs.append(path)
    return inputs


def safe_evaluate(ruleset: RuleSet, case: dict[str, Any],
                  as_of: dt.date | None) -> Decision | None:
    try:
        return ruleset.evaluate(case, as_of=as_of)
    except CaseError:
        return None


# ---- the encoder ------------------------------------------------------------------------------


class DateTerm:
    """A date as a calendar triple; `key` (yyyymmdd) orders dates."""

    __slots__ = ("d", "m", "y")

    def __init__(self, y: Any, m: Any, d: Any):
        self.y, self.m, self.d = y, m, d

    @property
    def key(self) -> Any:
        return self.y * 10000 + self.m * 100 + self.d


def _key(date: dt.date) -> int:
    return date.year * 10000 + date.month * 100 + date.day


class Encoder:
    """z3 variables for the facts of one or more rule sets (shared by path) and their domains."""

    def __init__(self, facts: Iterable[Fact]):
        import z3  # type: ignore[import-untyped]

        self.z3 = z3
        self.facts: dict[str, Fact] = {}
        for fact in facts:
            self.facts.setdefault(fact.path, fact)
        self.vars: dict[str, Any] = {}
        self.domain: list[Any] = []
        self.texts: dict[str, int] = {}
        # `fact is known` (in inferences and constraints only) reads whether a case states the
        # fact: a free boolean per fact; a witness leaves out a fact whose flag is false
        self.stated: dict[str, Any] = {}
        for path, fact in self.facts.items():
            self._declare(path, fact)

    def text_code(self, text: str) -> int:
        return self.texts.setdefault(text, len(self.texts))

    def _declare(self, path: str, fact: Fact) -> None:
        z3 = self.z3
        kind = fact.type.kind
        if kind == "boolean":
            self.vars[path] = z3.Bool(path)
        elif kind == "date":
            y, m, d = z3.Int(path + "#y"), z3.Int(path + "#m"), z3.Int(path + "#d")
            date = DateTerm(y, m, d)
            self.vars[path] = date
            low = fact.low or DEFAULT_DATES[0]
            high = fact.high or DEFAULT_DATES[1]
            leap = z3.And(y % 4 == 0, z3.Or(y % 100 != 0, y % 400 == 0))
            days = z3.If(m == 2, z3.If(leap, 29, 28),
                         z3.If(z3.Or(m == 4, m == 6, m == 9, m == 11), 30, 31))
            self.domain += [y >= low.year, y <= high.year, m >= 1, m <= 12, d >= 1, d <= days,
                            date.key >= _key(low), date.key <= _key(high)]
        else:
            var = z3.Int(path)
            self.vars[path] = var
            if kind == "integer":
                if fact.low is not None:
                    self.domain.append(var >= fact.low)
                if fact.high is not None:
                    self.domain.append(var <= fact.high)
            elif kind == "enum":
                self.domain += [var >= 0, var < len(fact.type.values)]
            else:
                self.domain.append(var >= 0)

    def derivations(self, ruleset: RuleSet) -> list[Any]:
        """What makes a case consistent: derived facts equal their formula (all inputs are known
        in a complete case), what the inferences draw holds, and so do the constraints."""
        constraints = []
        encoder = ExprEncoder(self, ruleset)
        for path, fact in ruleset.facts.items():
            if fact.derivation is not None:
                constraints.append(self.vars[path] == encoder.expr(fact.derivation))
        for inference in ruleset.inferences:
            value = encoder._lit(inference.value, ruleset.facts[inference.fact].type)
            var = self.vars[inference.fact]
            equal = var.key == value.key if isinstance(var, DateTerm) else var == value
            condition = inference.condition
            if isinstance(condition, core.IsKnown) and not condition.negated and \
                    isinstance(condition.operand, core.FactRef):
                # `infer F = v if X is known` (X: the date of an event, F: that it happened):
                # in a complete case X is stated exactly when the event happened
                constraints.append(encoder.expr(condition) == equal)
            else:
                constraints.append(self.z3.Implies(encoder.expr(condition), equal))
        for constraint in ruleset.constraints:
            constraints.append(encoder.expr(constraint.expr))
        return constraints

    def z3_value(self, fact: Fact, value: Any) -> Any:
        """A fact's value (not a date) as a z3 constant of the fact's variable."""
        kind = fact.type.kind
        if kind == "boolean":
            return self.z3.BoolVal(bool(value))
        if kind == "enum":
            return self.z3.IntVal(fact.type.values.index(value))
        if kind == "integer":
            return self.z3.IntVal(int(value))
        return self.z3.IntVal(self.text_code(str(value)))

    def domain_of(self, fact: Fact, var: Any) -> list[Any]:
        """The declared domain of a fact (not a date), for another variable of its sort."""
        kind = fact.type.kind
        if kind == "enum":
            return [var >= 0, var < len(fact.type.values)]
        if kind == "integer":
            return [c for c in (var >= fact.low if fact.low is not None else None,
                                var <= fact.high if fact.high is not None else None)
                    if c is not None]
        if kind == "text":
            return [var >= 0]
        return []

    def decode(self, fact: Fact, term: Any) -> Any:
        """A z3 value (not a date) as the case states it."""
        kind = fact.type.kind
        if kind == "boolean":
            return bool(self.z3.is_true(term))
        number = term.as_long()
        if kind == "enum":
            return fact.type.values[number]
        if kind == "integer":
            return number
        names = {code: text for text, code in self.texts.items()}
        return names.get(number, f"example {number}")

    def stated_flag(self, path: str) -> Any:
        if path not in self.stated:
            self.stated[path] = self.z3.Bool(f"{path}#stated")
        return self.stated[path]

    def value(self, model: Any, path: str) -> Any:
        """The fact's value in a z3 model, as a case states it."""
        fact = self.facts[path]
        var = self.vars[path]
        kind = fact.type.kind
        if kind == "boolean":
            return bool(self.z3.is_true(model.evaluate(var, model_completion=True)))
        if kind == "date":
            y, m, d = (model.evaluate(x, model_completion=True).as_long() for x in (var.y, var.m,
                                                                                  var.d))
            return dt.date(y, m, d)
        number = model.evaluate(var, model_completion=True).as_long()
        if kind == "integer":
            return number
        if kind == "enum":
            return fact.type.values[number]
        names = {code: text for text, code in self.texts.items()}
        if number in names:
            return names[number]
        from rules.solver.examples import text_example

        return text_example(path, number, self._region(model, path), set(self.texts))

    def _region(self, model: Any, path: str) -> str | None:
        """The region a witness states, for a realistic district: the `region` enum fact of the
        same group (`place.region` for `place.district`), else any."""
        group = path.rsplit(".", 1)[0]
        candidates = [p for p, f in self.facts.items()
                      if f.type.kind == "enum" and f.type.enum == "region"]
        candidates.sort(key=lambda p: not p.startswith(group + "."))
        if not candidates:
            return None
        value = self.value(model, candidates[0])
        return str(value)

    def witness(self, model: Any, paths: Iterable[str] | None = None) -> dict[str, Any]:
        """A case (flat) from a model: every fact, but those the model says are not stated."""
        return {path: self.value(model, path) for path in (paths or self.facts)
                if path not in self.stated or self.z3.is_true(
                    model.evaluate(self.stated[path], model_completion=True))}


class ExprEncoder(core.Lowering[Any]):
    """Typed expressions of one rule set to z3 terms, definitions inlined (memoised)."""

    def __init__(self, encoder: Encoder, ruleset: RuleSet):
        self.e = encoder
        self.z3 = encoder.z3
        self.ruleset = ruleset
        self._defs: dict[str, Any] = {}

    def expr(self, expr: core.Expr) -> Any:
        return self.lower(expr)

    def lit(self, node: core.Lit) -> Any:
        return self._lit(node.value, node.type)

    def fact(self, node: core.FactRef) -> Any:
        return self.e.vars[node.path]

    def definition(self, node: core.DefRef) -> Any:
        if node.name not in self._defs:
            self._defs[node.name] = self.lower(self.ruleset.definitions[node.name].expr)
        return self._defs[node.name]

    def negation(self, node: core.Not) -> Any:
        return self.z3.Not(self.lower(node.operand))

    def bool_op(self, node: core.BoolOp) -> Any:
        operands = [self.lower(o) for o in node.operands]
        return self.z3.And(*operands) if node.op == "and" else self.z3.Or(*operands)

    def is_known(self, node: core.IsKnown) -> Any:
        if not isinstance(node.operand, core.FactRef):
            return self.z3.BoolVal(not node.negated)
        flag = self.e.stated_flag(node.operand.path)
        return self.z3.Not(flag) if node.negated else flag

    def member(self, node: core.In) -> Any:
        z3 = self.z3
        operand = self.lower(node.operand)
        values = [self._lit(v, node.operand.type) for v in node.values]
        if isinstance(operand, DateTerm):
            found = z3.Or(*[operand.key == v.key for v in values]) if values else \
                z3.BoolVal(False)
        else:
            found = z3.Or(*[operand == v for v in values]) if values else z3.BoolVal(False)
        return z3.Not(found) if node.negated else found

    def compare(self, node: core.Compare) -> Any:
        left, right = self.lower(node.left), self.lower(node.right)
        if isinstance(left, DateTerm):
            left, right = left.key, right.key
        return {"=": lambda a, b: a == b, "!=": lambda a, b: a != b,
                "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
                ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[node.op](left, right)

    def arith(self, node: core.Arith) -> Any:
        left = self.lower(node.left)
        if node.op == "neg" or node.right is None:
            return -left
        right = self.lower(node.right)
        return left + right if node.op == "+" else left - right if node.op == "-" \
            else left * right

    def call(self, node: core.Call) -> Any:
        start, end = (self.lower(a) for a in node.args)
        if node.function == "years_between":
            before = end.m * 100 + end.d < start.m * 100 + start.d
            return end.y - start.y - self.z3.If(before, 1, 0)
        return _ordinal(self.z3, end) - _ordinal(self.z3, start)

    def _lit(self, value: Any, type_: core.Type) -> Any:
        z3 = self.z3
        if type_.kind == "boolean":
            return z3.BoolVal(bool(value))
        if type_.kind == "date":
            return DateTerm(z3.IntVal(value.year), z3.IntVal(value.month), z3.IntVal(value.day))
        if type_.kind == "integer":
            return z3.IntVal(int(value))
        if type_.kind == "enum":
            return z3.IntVal(type_.values.index(value))
        return z3.IntVal(self.e.text_code(str(value)))


class Z3Bools:
    """The semantic plan's `Algebra` over z3 boolean terms."""

    def __init__(self, z3: Any):
        self.z3 = z3

    def all(self, terms: Sequence[Any]) -> Any:
        return self.z3.And(*terms) if terms else self.z3.BoolVal(True)

    def any(self, terms: Sequence[Any]) -> Any:
        return self.z3.Or(*terms) if terms else self.z3.BoolVal(False)

    def negate(self, term: Any) -> Any:
        return self.z3.Not(term)


def _ordinal(z3: Any, date: DateTerm) -> Any:
    """Days since 0001-01-01 (as `date.toordinal()`), exact for the Gregorian calendar."""
    y, m, d = date.y, date.m, date.d
    leap = z3.And(y % 4 == 0, z3.Or(y % 100 != 0, y % 400 == 0))
    before_month = _CUMULATIVE[0]
    term: Any = z3.IntVal(before_month)
    for month in range(12, 1, -1):
        term = z3.If(m == month, _CUMULATIVE[month - 1], term)
    p = y - 1
    return 365 * p + p / 4 - p / 100 + p / 400 + term + z3.If(z3.And(m > 2, leap), 1, 0) + d


class Model:
    """One rule set's applicability, surviving outcomes and per-key states as z3 terms, read
    from its semantic plan (`rules.semantics`): over complete cases every provision certainly
    applies or not, so an outcome survives when its provision applies and no overrider does."""

    def __init__(self, encoder: Encoder, ruleset: RuleSet, as_of: dt.date | None = None):
        z3 = encoder.z3
        self.z3 = z3
        self.ruleset = ruleset
        self.plan = plan = plan_of(ruleset)
        self.encoder = encoder
        self.exprs = ExprEncoder(encoder, ruleset)
        self.bools = Z3Bools(z3)
        governing = ruleset.governing_date
        date_key = encoder.vars[governing].key if governing and as_of is None else None
        self.in_force: dict[str, Any] = {}
        self.applies: dict[str, Any] = {}
        self._applies: list[Any] = []
        for p in plan.provisions:
            static = plan.in_force_static(p.index, as_of) if date_key is None else None
            if static is not None or date_key is None:
                in_force = z3.BoolVal(static is not False)
            else:
                low, high = p.window.low, p.window.high
                in_force = self.bools.all([t for t in (
                    date_key >= _key(low) if low is not None else None,
                    date_key <= _key(high) if high is not None else None) if t is not None])
            conditions = [z3.Not(self.exprs.expr(c)) if is_unless else self.exprs.expr(c)
                          for is_unless, c in p.conditions]
            self.in_force[p.provision.id] = in_force
            self.applies[p.provision.id] = z3.And(in_force, *conditions)
            self._applies.append(self.applies[p.provision.id])

    def _survives(self, number: int) -> Any:
        cand = self.plan.candidates[number]
        present, _ = self.plan.flags(cand, self.bools, self._applies.__getitem__,
                                     self._applies.__getitem__, self._same)
        return present

    def _same(self, mine: Candidate, twin: Candidate) -> Any:
        z3 = self.z3
        terms = []
        if mine.value is not None and twin.value is not None:
            terms.append(self.exprs.expr(mine.value) == self.exprs.expr(twin.value))
        theirs = dict(twin.args)
        for name, expr in mine.args:
            other = theirs.get(name)
            terms.append(z3.BoolVal(False) if other is None
                         else self.exprs.expr(expr) == self.exprs.expr(other))
        return self.bools.all(terms)

    def survives(self, pid: str, key: tuple[str, str]) -> Any:
        """`pid` applies and no provision that overrides it on `key` applies."""
        found = [n for n in self.plan.by_key.get(key, ())
                 if self.plan.candidates[n].pid == pid]
        return self.bools.any([self._survives(n) for n in found])

    def deciding(self, key: tuple[str, str]) -> list[tuple[str, Any]]:
        """(provision, outcome) pairs on an action or conclusion."""
        return [(self.plan.candidates[n].pid, self.plan.candidates[n].outcome)
                for n in self.plan.by_key.get(key, ())]

    def action_state(self, action: str) -> Any:
        """The action's status as an integer code (MODALITY_CODES), from `action_table`."""
        z3 = self.z3
        numbers = self.plan.by_key[("action", action)]
        modalities = tuple(m for m in MODALITIES
                           if any(self.plan.candidates[n].modality == m for n in numbers))
        present = [self.bools.any([self._survives(n) for n in numbers
                                   if self.plan.candidates[n].modality == m])
                   for m in modalities]
        table = action_table(modalities)
        n = len(modalities)
        term: Any = z3.IntVal(MODALITY_CODES["none"])
        for mask in range(1 << n):   # complete cases: what survives is certain
            chosen = [b if mask >> i & 1 else z3.Not(b) for i, b in enumerate(present)]
            status = table[mask | (mask << n)]
            term = z3.If(self.bools.all(chosen), MODALITY_CODES[status], term)
        return term

    def conclusion_values(self, name: str) -> list[Any]:
        """The literal values provisions may conclude for `name`."""
        values: list[Any] = []
        for _, outcome in self.deciding(("conclusion", name)):
            assert isinstance(outcome, ConclusionOutcome)
            if isinstance(outcome.value, core.Lit) and outcome.value.value not in values:
                values.append(outcome.value.value)
        return values

    def concluded(self, name: str, value: Any) -> Any:
        """Some surviving provision concludes `name = value`."""
        z3 = self.z3
        terms = []
        for pid, outcome in self.deciding(("conclusion", name)):
            assert isinstance(outcome, ConclusionOutcome)
            if isinstance(outcome.value, core.Lit):
                if outcome.value.value == value:
                    terms.append(self.survives(pid, ("conclusion", name)))
            else:
                lit = self.exprs._lit(value, outcome.value.type)
                terms.append(z3.And(self.survives(pid, ("conclusion", name)),
                                    self.exprs.expr(outcome.value) == lit))
        return z3.Or(*terms) if terms else z3.BoolVal(False)

    def conclusion_state(self, name: str, values: list[Any]) -> Any:
        """A single-valued conclusion: index into `values`, -1 none, -2 conflict."""
        z3 = self.z3
        present = [self.concluded(name, v) for v in values]
        if not present:
            return z3.IntVal(-1)
        count = z3.Sum(*[z3.If(t, 1, 0) for t in present])
        term: Any = z3.IntVal(-1)
        for i in range(len(values) - 1, -1, -1):
            term = z3.If(present[i], i, term)
        # complete cases: the values that apply are certain; `value_status` says what a count
        # of distinct values is (none, one value, conflict)
        by_count = {n: value_status(n, n) for n in (0, 1, 2)}
        codes = {"none": z3.IntVal(-1), "conflict": z3.IntVal(-2), "determined": term}
        return z3.If(count >= 2, codes[by_count[2]],
                     z3.If(count == 1, codes[by_count[1]], codes[by_count[0]]))


def _keys(provision: Any) -> frozenset[tuple[str, str]]:
    return frozenset(("action", o.action) if isinstance(o, DeonticOutcome)
                     else ("conclusion", o.name) for o in provision.outcomes)


def plausible(encoder: Encoder, governing: str | None, ruleset: RuleSet | None = None,
              as_of: dt.date | None = None) -> list[Any]:
    """Preferences for readable witnesses, most important first (never used for proofs): the
    governing date on the `--as-of` date if there is one, else in 2015-2030; other dates (birth
    dates, earlier sanctions) on or before it; integers within a realistic range: the declared
    bounds, up to a little above the highest threshold the law compares them with (an age of
    150 is a legal case, not a readable one)."""
    found: list[Any] = []
    if governing is not None and governing in encoder.vars:
        date = encoder.vars[governing]
        if as_of is not None:
            found.append(date.key == _key(as_of))
        found.append(date.key <= _key(dt.date(2030, 12, 31)))
        found.append(date.key >= _key(dt.date(2015, 1, 1)))
        for path, fact in encoder.facts.items():
            if fact.type.kind == "date" and path != governing:
                found.append(encoder.vars[path].key <= date.key)
                if fact.derivation is None and "birth" in path:
                    found.append(encoder.vars[path].key >= date.key - 1_000_000)  # 100 years
    thresholds = integer_thresholds(ruleset) if ruleset is not None else {}
    for path, fact in encoder.facts.items():
        if fact.type.kind != "integer":
            continue
        low = fact.low if fact.low is not None else 0
        limits = thresholds.get(path)
        high = max(limits) + 12 if limits else low + 60
        if fact.high is not None:
            high = min(high, fact.high)
        # not at the very bottom either: halfway to the lowest threshold (a victim of 7, not 0)
        bottom = low + (min(limits) - low) // 2 if limits and min(limits) > low else low
        if high >= bottom:
            found.append(encoder.vars[path] <= high)
            found.append(encoder.vars[path] >= bottom)
    return found


def integer_thresholds(ruleset: RuleSet) -> dict[str, set[int]]:
    """For each integer fact, the numbers the rules compare it with (`victim.age < 14`)."""
    found: dict[str, set[int]] = {}
    exprs: list[core.Expr] = [d.expr for d in ruleset.definitions.values()]
    for p in ruleset.provisions:
        exprs.extend(c.expr for c in p.conditions)
    while exprs:
        node = exprs.pop()
        if isinstance(node, core.Compare):
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(a, core.FactRef) and isinstance(b, core.Lit) and \
                        isinstance(b.value, int) and not isinstance(b.value, bool):
                    found.setdefault(a.path, set()).add(b.value)
        exprs.extend(core.children(node))
    return found


def nicer_model(solver: Any, model: Any, terms: Iterable[Any], preferences: list[Any]) -> Any:
    """The same query with as many preferences as hold together, the first ones first (all at
    once if they can; else one by one, keeping each that still leaves the query satisfiable);
    `model` if none can be added."""
    if not preferences:
        return model
    solver.push()
    solver.add(*terms)
    solver.push()
    solver.add(*preferences)
    if str(solver.check()) == "sat":
        better = solver.model()
        solver.pop()
        solver.pop()
        return better
    solver.pop()
    better = model
    depth = 0
    for preference in preferences:
        solver.push()
        solver.add(preference)
        if str(solver.check()) == "sat":
            better = solver.model()
            depth += 1
        else:
            solver.pop()
    for _ in range(depth + 1):
        solver.pop()
    return better


def new_solver(encoder: Encoder, constraints: Iterable[Any], timeout_ms: int) -> Any:
    solver = encoder.z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*encoder.domain)
    solver.add(*constraints)
    return solver


# ---- rules check: findings ----------------------------------------------------------------------


@dataclass
class Finding:
    """One problem found by the analysis."""

    kind: str                 # conflict | dead | override_never_bites | shadowed | gap | unknown
    message: str
    provisions: list[str] = field(default_factory=list)
    action: str | None = None
    witness: dict[str, Any] | None = None     # a case (JSON) the evaluator confirms
    proof: str = ""                            # for findings that say no case exists
    confidence: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "message": self.message,
                                "provisions": self.provisions}
        if self.action is not None:
            data["action"] = self.action
        if self.confidence:
            data["confidence"] = self.confidence
        if self.witness is not None:
            data["witness"] = self.witness
        if self.proof:
            data["proof"] = self.proof
        return data


@dataclass
class Analysis:
    findings: list[Finding]
    inconsistencies: list[str]
    queries: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings and not self.inconsistencies

    def to_json(self) -> dict[str, Any]:
        return {"findings": [f.to_json() for f in self.findings],
                "internal_inconsistencies": self.inconsistencies,
                "queries": self.queries, "seconds": round(self.seconds, 3)}


class _FindingSearch:
    """One static analysis run: the solver, the model of the rule set, the findings so far."""

    def __init__(self, ruleset: RuleSet, timeout_ms: int):
        self.ruleset = ruleset
        self.encoder = Encoder(ruleset.facts.values())
        self.model = Model(self.encoder, ruleset)
        self.positions = {pp.provision.id: pp.index for pp in self.model.plan.provisions}
        self.solver = new_solver(self.encoder, self.encoder.derivations(ruleset), timeout_ms)
        self.first = derivation_inputs(ruleset)
        self.keep = [ruleset.governing_date] if ruleset.governing_date else []
        self.preferences = plausible(self.encoder, ruleset.governing_date, ruleset)
        self.result = Analysis([], [])

    def query(self, *terms: Any, witness: bool = True) -> tuple[str, Any]:
        """sat / unsat / unknown, and (with `witness`) a model made readable for a witness;
        a caller that only needs the status skips that search, which on date arithmetic can
        cost far more than the check itself."""
        self.result.queries += 1
        self.solver.push()
        self.solver.add(*terms)
        status = str(self.solver.check())
        model = self.solver.model() if status == "sat" and witness else None
        self.solver.pop()
        if model is not None:
            model = nicer_model(self.solver, model, terms, self.preferences)
        return status, model

    def confirmed_witness(self, model: Any, holds: Callable[[Decision], bool],
                          what: str) -> dict[str, Any] | None:
        flat = self.encoder.witness(model, self.ruleset.facts)

        def check(trial: dict[str, Any]) -> bool:
            decision = safe_evaluate(self.ruleset, nest(trial), None)
            return decision is not None and holds(decision)

        if not check(flat):
            self.result.inconsistencies.append(
                f"{what}: z3 found the case {nest(flat)} but the evaluator does not confirm it")
            return None
        return nest(minimise(flat, check, self.first, self.keep))

    def unknown(self, what: str) -> None:
        self.result.findings.append(Finding("unknown", f"{what}: the solver timed out; "
                                            "not proved either way"))

    def conflicts(self) -> None:
        m = self.model
        for action in self.ruleset.actions:
            pairs = m.deciding(("action", action))
            forbids = [(p, o) for p, o in pairs if isinstance(o, DeonticOutcome)
                       and o.modality == "forbidden"]
            others = [(p, o) for p, o in pairs if isinstance(o, DeonticOutcome)
                      and o.modality != "forbidden"]
            for p, _ in forbids:
                for q, other in others:
                    if p != q and self.may_meet(p, q):
                        self._conflict(("action", action), p, q,
                                       f"{action}: {p} forbids, {q} {other.modality}")
        for name, kind in self.ruleset.conclusions.items():
            if kind.many:
                continue
            values = [(p, o.value.value) for p, o in m.deciding(("conclusion", name))
                      if isinstance(o, ConclusionOutcome) and isinstance(o.value, core.Lit)]
            for i, (p, vp) in enumerate(values):
                for q, vq in values[i + 1:]:
                    if p != q and vp != vq and self.may_meet(p, q):
                        self._conflict(("conclusion", name), p, q,
                                       f"{name}: {p} gives {vp}, {q} gives {vq}")

    def may_meet(self, p: str, q: str) -> bool:
        """False when no case can have both provisions apply, read off the plan without a
        query: their offence-kind guards are disjoint, or their periods of force never overlap
        on the governing date. Most pairs of a large bill are such (a conflict needs both)."""
        plan = self.model.plan
        i, j = self.positions[p], self.positions[q]
        if not plan.guard.may_meet(i, j):
            return False
        other = plan.provisions[j].window
        return plan.provisions[i].window.over(other.low, other.high) is not False

    def _conflict(self, key: tuple[str, str], p: str, q: str, what: str) -> None:
        """Look for a case where both outcomes survive; keep it if the evaluator confirms it."""
        m = self.model
        status, model = self.query(m.survives(p, key), m.survives(q, key))
        if status == "unknown":
            self.unknown(what)
        if model is None:
            return
        kind, name = key

        def holds(d: Decision) -> bool:
            return any((c.action if kind == "action" else c.conclusion) == name
                       and {p, q} <= {i.provision for i in c.items} for c in d.conflicts)

        witness = self.confirmed_witness(model, holds, what)
        if witness is not None:
            self.result.findings.append(Finding(
                "conflict", f"{what} with no priority between them", [p, q], name, witness,
                confidence=self._weakest(p, q)))

    def _weakest(self, *ids: str) -> str:
        ranks = ("confirmed", "secondary", "uncertain")
        return ranks[max(ranks.index(self.ruleset.by_id[i].confidence) for i in ids)]

    def dead_and_shadowed(self) -> set[str]:
        dead: set[str] = set()
        m = self.model
        for p in self.ruleset.provisions:
            status, _ = self.query(m.applies[p.id], witness=False)
            if status == "unknown":
                self.unknown(f"{p.id}: whether it can ever apply")
            elif status == "unsat":
                dead.add(p.id)
                in_force_status, _ = self.query(m.in_force[p.id], witness=False)
                why = ("it is never in force on a date the governing date can take"
                       if in_force_status == "unsat" else
                       "its conditions and its period of force never hold together")
                self.result.findings.append(Finding(
                    "dead", f"{p.id} can never apply: {why}", [p.id],
                    proof="unsat: no complete case satisfies in force and the conditions"))
                continue
            keys = sorted(_keys(p))
            status, _ = self.query(self.z3.Or(*[m.survives(p.id, k) for k in keys]),
                                   witness=False)
            if status == "unsat":
                self.result.findings.append(Finding(
                    "shadowed", f"{p.id} can apply but is always set aside by the provisions "
                    "that override it: it never has an effect", [p.id],
                    proof="unsat: whenever it applies, an overriding provision applies"))
        return dead

    @property
    def z3(self) -> Any:
        return self.encoder.z3

    def overrides(self, dead: set[str]) -> None:
        m = self.model
        for p in self.ruleset.provisions:
            for q in p.overrides:
                if p.id in dead or q in dead:
                    continue
                status, _ = self.query(m.applies[p.id], m.applies[q], witness=False)
                if status == "unknown":
                    self.unknown(f"{p.id} overrides {q}")
                elif status == "unsat":
                    self.result.findings.append(Finding(
                        "override_never_bites", f"{p.id} overrides {q}, but they never apply "
                        "to the same case: the override has no effect", [p.id, q],
                        proof="unsat: no complete case where both apply"))

    def gaps(self, action: str, limit: int = 12) -> None:
        """Cases where no provision decides `action`, one per value of the enum fact the
        deciding provisions read most (the kind of offence, typically)."""
        m = self.model
        state = m.action_state(action)
        split = self._split_fact(action)
        blocked: list[Any] = []
        for _ in range(limit):
            status, model = self.query(state == MODALITY_CODES["none"], *blocked)
            if status == "unknown":
                self.unknown(f"gaps in {action}")
            if model is None:
                break
            what = f"no provision decides {action}"
            witness = self.confirmed_witness(model, lambda d: d.state(action) == "none",
                                             what)
            if split is None:
                if witness is not None:
                    self.result.findings.append(Finding("gap", what, [], action, witness))
                break
            value = self.encoder.value(model, split)
            blocked.append(self.encoder.vars[split] != model.evaluate(self.encoder.vars[split],
                                                                  model_completion=True))
            if witness is not None:
                self.result.findings.append(Finding(
                    "gap", f"{what} when {split} = {value}", [], action, witness))

    def _split_fact(self, action: str) -> str | None:
        counts: dict[str, int] = {}
        for pid, _ in self.model.deciding(("action", action)):
            for condition in self.ruleset.by_id[pid].conditions:
                for path in condition.facts:
                    if self.ruleset.facts[path].type.kind == "enum":
                        counts[path] = counts.get(path, 0) + 1
        return max(counts, key=lambda p: counts[p]) if counts else None


def analyse(ruleset: RuleSet, gaps: Iterable[str] = (), timeout_ms: int = 10_000) -> Analysis:
    """Find conflicts, dead provisions, provisions always set aside, overrides that never bite,
    and gaps for the given actions. Every witness is confirmed by the evaluator."""
    import time

    started = time.perf_counter()
    checker = _FindingSearch(ruleset, timeout_ms)
    checker.conflicts()
    dead = checker.dead_and_shadowed()
    checker.overrides(dead)
    for action in gaps:
        if action not in ruleset.actions:
            from rules.language.source import RulesError, did_you_mean

            hint = did_you_mean(action, ruleset.actions)
            raise RulesError(f"--gaps: unknown action `{action}`" + (f"; {hint}" if hint else ""))
        checker.gaps(action)
    checker.result.seconds = time.perf_counter() - started
    return checker.result


def _case_json(case: dict[str, Any]) -> str:
    import json

    return json.dumps(case, ensure_ascii=False, sort_keys=False)


def render_analysis(result: Analysis) -> list[str]:
    """The findings as a drafter reads them: one paragraph each, witnesses as case JSON."""
    lines = [f"analysis (z3, complete cases): {len(result.findings)} finding(s), "
             f"{result.queries} queries, {result.seconds:.1f} s"]
    for f in result.findings:
        confidence = f" [{f.confidence}]" if f.confidence else ""
        lines.append(f"  {f.kind}{confidence}: {f.message}")
        if f.witness is not None:
            lines.append(f"    witness: {_case_json(f.witness)}")
        if f.proof:
            lines.append(f"    proof: {f.proof}")
    for message in result.inconsistencies:
        lines.append(f"  INTERNAL INCONSISTENCY (finding dropped): {message}")
    return lines
