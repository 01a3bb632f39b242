"""The decision columns in SQL, read from the semantic plan (`rules.semantics`).

The same stages as the polars decider (`rules.batch.decide`), each a `SELECT *, ...` over the
previous one, every intermediate a column computed once:

1. definitions, level by level;
2. per provision its applicability (in force by its `Window`, `if`, not `unless`), then whether
   it certainly applies (`__a<i>`: `COALESCE(p, FALSE)`) and may apply (`__m<i>`:
   `COALESCE(p, TRUE)`);
3. per overridden candidate its present and certain flags (`DecisionPlan.flags` over SQL);
4. per action the index of its certain/present bits, the status a `CASE` over the index into
   `action_table`; arguments; per conclusion `value_table` / `list_table` the same way.

The tables are the semantics' own, so SQL cannot drift from the interpreter either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rules.batch.sql.lower import (
    SqlLowering,
    all_of,
    any_of,
    boolean,
    cast,
    col,
    compact_array,
    is_not_null,
    is_null,
    negate,
    number,
    paren,
    sql_type,
    text,
    true_or_false,
    when,
)
from rules.language import core
from rules.semantics.combine import MODALITIES, action_table, list_table, value_table
from rules.semantics.plan import Candidate, plan_of

if TYPE_CHECKING:
    from sqlglot import exp

    from rules.language.ruleset import RuleSet

Column = tuple[str, "exp.Expression"]


class SqlBools:
    """The semantic plan's `Algebra` over SQL boolean expressions."""

    def all(self, terms: Sequence[exp.Expression]) -> exp.Expression:
        return all_of(list(terms))

    def any(self, terms: Sequence[exp.Expression]) -> exp.Expression:
        return any_of(list(terms))

    def negate(self, term: exp.Expression) -> exp.Expression:
        return negate(term)


def _in(index: exp.Expression, members: Sequence[int]) -> exp.Expression:
    from sqlglot import exp

    if not members:
        return boolean(False)
    return exp.In(this=index, expressions=[number(m) for m in members])


def lookup(table: Sequence[str], index_column: str) -> exp.Expression:
    """`table[index]` as a `CASE` over the (few) distinct entries of the table."""
    by_status: dict[str, list[int]] = {}
    for i, status in enumerate(table):
        by_status.setdefault(status, []).append(i)
    branches = [(_in(col(index_column), members), text(status))
                for status, members in by_status.items()]
    return when(branches[:-1], branches[-1][1]) if len(branches) > 1 else branches[0][1]


def bits(flags: Sequence[exp.Expression]) -> exp.Expression:
    """Non-null booleans as the bits of a small integer."""
    from sqlglot import exp

    if not flags:
        return number(0)
    terms = [exp.Mul(this=cast(paren(f), "INT"), expression=number(1 << i))
             for i, f in enumerate(flags)]
    total: exp.Expression = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return total


def _count_capped(flags: Sequence[exp.Expression], cap: int = 2) -> exp.Expression:
    from sqlglot import exp

    if not flags:
        return number(0)
    total = cast(paren(flags[0]), "INT")
    for f in flags[1:]:
        total = exp.Add(this=total, expression=cast(paren(f), "INT"))
    return exp.Least(this=total, expressions=[number(cap)])


def _two_or_more(exprs: Sequence[exp.Expression]) -> exp.Expression:
    if len(exprs) < 2:
        return boolean(False)
    seen, pairs = exprs[0], []
    for e in exprs[1:]:
        pairs.append(all_of([seen.copy(), e.copy()]))
        seen = any_of([seen.copy(), e.copy()])
    return any_of(pairs)


def _coalesce(exprs: Sequence[exp.Expression]) -> exp.Expression:
    from sqlglot import exp

    return exprs[0] if len(exprs) == 1 else exp.Coalesce(this=exprs[0],
                                                          expressions=list(exprs[1:]))


class SqlDecider:
    """The decision stages and result columns of one rule set (judged on `as_of`, if given)."""

    def __init__(self, ruleset: RuleSet, as_of: dt.date | None, presumptions: bool = True):
        self.ruleset = ruleset
        self.plan = plan_of(ruleset)
        self.as_of = as_of
        governing = ruleset.governing_date
        replace: dict[str, core.Value] = {governing: as_of} \
            if as_of is not None and governing else {}
        # a fact the case leaves out takes the value the law presumes (rules.cases.inference)
        presumed = {p.fact: p.value for p in ruleset.presumptions.values()} \
            if presumptions else {}
        self.lowering = SqlLowering(ruleset, replace=replace, presumed=presumed)

    def expr(self, e: core.Expr) -> exp.Expression:
        return self.lowering.lower(e)

    def value_expr(self, e: core.Expr) -> exp.Expression:
        """An argument or conclusion value, in its output type (enums as text)."""
        return cast(paren(self.expr(e)), sql_type(e.type))

    # ---- stages 1-3 --------------------------------------------------------------------------

    def stages(self) -> list[list[Column]]:
        """Definitions, windows, applicability, applies/may, present/certain: one list of new
        columns per stage, each stage reading only the columns of the earlier ones."""
        out: list[list[Column]] = []
        for level in self.plan.definition_levels:
            out.append([(f"__def.{name}", self.expr(self.ruleset.definitions[name].expr))
                        for name in level])
        windows = self._window_columns()
        if windows:
            out.append(windows)
        count = len(self.plan.provisions)
        out.append([(f"__p{i}", self._applicability(i)) for i in range(count)])
        out.append([(f"__a{i}", true_or_false(col(f"__p{i}"), False)) for i in range(count)]
                   + [(f"__m{i}", true_or_false(col(f"__p{i}"), True)) for i in range(count)])
        flags: dict[str, exp.Expression] = {}
        for cand in self.plan.candidates:
            if cand.overriders:
                present, certain = self.plan.flags(
                    cand, SqlBools(), lambda j: col(f"__a{j}"), lambda j: col(f"__m{j}"),
                    self._same)
                flags.setdefault(_present_column(cand), present)
                flags.setdefault(_certain_column(cand), certain)
        if flags:
            out.append(list(flags.items()))
        return [stage for stage in out if stage]

    def _window_columns(self) -> list[Column]:
        from sqlglot import exp

        out: dict[str, exp.Expression] = {}
        governing = self.ruleset.governing_date or ""
        for p in self.plan.provisions:
            if self.plan.in_force_static(p.index, self.as_of) is not None:
                continue
            low, high = p.window.low, p.window.high
            name = _window_column(low, high)
            if name not in out:
                terms: list[exp.Expression] = []
                if low:
                    terms.append(exp.GTE(this=col(governing),
                                         expression=self.lowering.lit(core.Lit(low, core.DATE))))
                if high:
                    terms.append(exp.LTE(this=col(governing),
                                         expression=self.lowering.lit(core.Lit(high,
                                                                               core.DATE))))
                out[name] = all_of(terms)
        return list(out.items())

    def _applicability(self, index: int) -> exp.Expression:
        p = self.plan.provisions[index]
        static = self.plan.in_force_static(index, self.as_of)
        parts: list[exp.Expression] = []
        if static is None:
            parts.append(col(_window_column(p.window.low, p.window.high)))
        elif static is False:
            parts.append(boolean(False))
        for is_unless, condition in p.conditions:
            value = self.expr(condition)
            parts.append(negate(value) if is_unless else value)
        return cast(paren(all_of(parts)), "BOOLEAN")

    def _same(self, mine: Candidate, twin: Candidate) -> exp.Expression:
        terms = []
        if mine.value is not None:
            terms.append(self._equal(mine.value, twin.value))
        theirs = dict(twin.args)
        terms.extend(self._equal(e, theirs.get(name)) for name, e in mine.args)
        return all_of(terms)

    def _equal(self, a: core.Expr, b: core.Expr | None) -> exp.Expression:
        from sqlglot import exp

        if b is None:
            return boolean(False)
        if isinstance(a, core.Lit) and isinstance(b, core.Lit):
            return boolean(a.value == b.value)
        return true_or_false(exp.EQ(this=self.value_expr(a), expression=self.value_expr(b)),
                             False)

    def present(self, cand: Candidate) -> exp.Expression:
        return col(_present_column(cand) if cand.overriders else f"__m{cand.provision}")

    def certain(self, cand: Candidate) -> exp.Expression:
        return col(_certain_column(cand) if cand.overriders else f"__a{cand.provision}")

    # ---- stage 4: results -------------------------------------------------------------------

    def result_stages(self, provisions: bool, statuses_only: bool
                      ) -> tuple[list[list[Column]], list[Column]]:
        """Helper stages (indices, then statuses) and the result columns, in result order."""
        helpers: list[Column] = []
        statuses: list[Column] = []
        outputs: list[Column] = []
        for name in self.ruleset.actions:
            h, s, o = self.action_columns(name, provisions, statuses_only)
            helpers += h
            statuses += s
            outputs += o
        for name in self.ruleset.conclusions:
            h, s, o = self.conclusion_columns(name, provisions, statuses_only)
            helpers += h
            statuses += s
            outputs += o
        return [stage for stage in (helpers, statuses) if stage], outputs

    def action_columns(self, name: str, provisions: bool, statuses_only: bool
                       ) -> tuple[list[Column], list[Column], list[Column]]:
        cands = [self.plan.candidates[n] for n in self.plan.by_key[("action", name)]]
        if not cands:
            return [], [], [(name, text("none"))]
        modalities = tuple(m for m in MODALITIES if any(c.modality == m for c in cands))
        certain = [any_of([self.certain(c) for c in cands if c.modality == m])
                   for m in modalities]
        present = [any_of([self.present(c) for c in cands if c.modality == m])
                   for m in modalities]
        table = action_table(modalities)
        index, status, decided = f"__idx.{name}", f"__status.{name}", f"__decided.{name}"
        helpers: list[Column] = [(index, bits([*certain, *present]))]
        is_decided = _in(col(index), _indices(table, MODALITIES))
        params = self.ruleset.actions[name].params
        if params:
            needs, clash = f"__needs.{name}", f"__clash.{name}"
            arg_needs, clashes, firsts = self._arguments(name, cands)
            helpers += [(needs, arg_needs), (clash, clashes)]
            final = when([(_in(col(index), _indices(table, ["conflict"])), text("conflict")),
                          (col(needs), text("undetermined")),
                          (_in(col(index), _indices(table, ["none"])), text("none")),
                          (all_of([is_decided.copy(), col(clash)]), text("conflict"))],
                         lookup(table, index))
            decided_expr = all_of([is_decided, negate(col(needs)), negate(col(clash))])
        else:
            final, decided_expr, firsts = lookup(table, index), is_decided, {}
        statuses: list[Column] = [(status, final), (decided, decided_expr)]
        outputs: list[Column] = [(name, col(status))]
        if statuses_only:
            return helpers, statuses, outputs
        for param, _ in params:
            outputs.append((f"{name}.{param}", when([(col(decided), firsts[param])])))
        if provisions:
            ids = compact_array([when([(self.certain(c), text(c.pid))]) for c in cands])
            outputs.append((f"{name}.provisions", when([(col(decided), ids)])))
        return helpers, statuses, outputs

    def _arguments(self, name: str, cands: list[Candidate]
                   ) -> tuple[exp.Expression, exp.Expression, dict[str, exp.Expression]]:
        """(arguments leave it undetermined, certain candidates clash, first certain argument
        per parameter): `rules.batch.decide.Decider._arguments`, in SQL."""
        from sqlglot import exp

        any_uncertain = any_of([all_of([self.present(c), negate(self.certain(c))])
                                for c in cands])
        unknown: list[exp.Expression] = []
        differ: list[exp.Expression] = []
        certain_differ: list[exp.Expression] = []
        firsts: dict[str, exp.Expression] = {}
        for param, _ in self.ruleset.actions[name].params:
            args = [dict(c.args)[param] for c in cands]
            firsts[param] = _coalesce([when([(self.certain(c), self.value_expr(a))])
                                       for c, a in zip(cands, args, strict=True)])
            for i, (c, a) in enumerate(zip(cands, args, strict=True)):
                if not isinstance(a, core.Lit):
                    unknown.append(all_of([self.present(c), is_null(self.expr(a))]))
                for d, b in zip(cands[i + 1:], args[i + 1:], strict=True):
                    if a == b:
                        continue
                    literal_pair = isinstance(a, core.Lit) and isinstance(b, core.Lit)
                    for flag, out in ((self.present, differ), (self.certain, certain_differ)):
                        both = all_of([flag(c), flag(d)])
                        if literal_pair:
                            out.append(both)
                        else:
                            unequal = true_or_false(exp.NEQ(this=paren(self.expr(a)),
                                                            expression=paren(self.expr(b))),
                                                    False)
                            out.append(all_of([both, unequal]))
        arg_needs = any_of([any_of(unknown), all_of([any_uncertain, any_of(differ)])])
        return arg_needs, any_of(certain_differ), firsts

    def conclusion_columns(self, name: str, provisions: bool, statuses_only: bool
                           ) -> tuple[list[Column], list[Column], list[Column]]:
        kind = self.ruleset.conclusions[name]
        typ = sql_type(kind.type)
        units = self.plan.units[name]
        cands = [self.plan.candidates[n] for n in self.plan.by_key[("conclusion", name)]]
        status_name = f"{name}.status"
        if not cands:
            from sqlglot import exp
            empty = cast(exp.Null(), f"{typ}[]" if kind.many else typ)
            outputs: list[Column] = [(status_name, text("none"))]
            if not statuses_only:
                outputs.insert(0, (name, empty))
                if provisions:
                    outputs.append((f"{name}.provisions", cast(exp.Null(), "VARCHAR[]")))
            return [], [], outputs
        values = [self.value_expr(u.value) for u in units]
        literal = [isinstance(u.value, core.Lit) for u in units]
        present = [any_of([self.present(self.plan.candidates[n]) for n in u.candidates])
                   for u in units]
        certain = [any_of([self.certain(self.plan.candidates[n]) for n in u.candidates])
                   for u in units]
        known_certain = [c if lit else all_of([c, is_not_null(v.copy())])
                         for c, v, lit in zip(certain, values, literal, strict=True)]
        if kind.many:
            helpers, statuses, value, decided = self._list_columns(
                name, values, literal, present, known_certain)
        else:
            helpers, statuses, value, decided = self._single_columns(
                name, values, literal, present, known_certain)
        outputs = [(status_name, col(f"__status.{name}"))]
        if statuses_only:
            return helpers, statuses, outputs
        outputs.insert(0, (name, value))
        if provisions:
            ids = compact_array([
                when([(self.certain(c) if c.literal
                       else all_of([self.certain(c), is_not_null(self.value_expr(c.value))]),
                       text(c.pid))]) for c in cands if c.value is not None])
            outputs.append((f"{name}.provisions", when([(col(decided), ids)])))
        return helpers, statuses, outputs

    def _single_columns(self, name: str, values: list[exp.Expression], literal: list[bool],
                        present: list[exp.Expression], known_certain: list[exp.Expression]
                        ) -> tuple[list[Column], list[Column], exp.Expression, str]:
        from sqlglot import exp

        def first(flags: list[exp.Expression]) -> exp.Expression:
            return _coalesce([when([(k.copy(), v.copy())]) for k, v in zip(flags, values,
                                                                          strict=True)])

        first_certain = first(known_certain)
        if all(literal):
            n_certain = _count_capped([k.copy() for k in known_certain])
            n_present = _count_capped([p.copy() for p in present])
        else:
            conflict = any_of([true_or_false(all_of([k.copy(), exp.NEQ(
                this=paren(v.copy()), expression=paren(first_certain.copy()))]), False)
                for k, v in zip(known_certain, values, strict=True)])
            known_present = [all_of([p.copy(), is_not_null(v.copy())])
                             for p, v in zip(present, values, strict=True)]
            first_present = first(known_present)
            differ = any_of([true_or_false(all_of([k.copy(), exp.NEQ(
                this=paren(v.copy()), expression=paren(first_present.copy()))]), False)
                for k, v in zip(known_present, values, strict=True)])
            unknown = [all_of([p.copy(), is_null(v.copy())])
                       for p, v, lit in zip(present, values, literal, strict=True) if not lit]
            two = any_of([differ, all_of([any_of([u.copy() for u in unknown]),
                                          any_of([k.copy() for k in known_present])]),
                          _two_or_more(unknown)])
            n_certain = when([(conflict, number(2)),
                              (any_of([k.copy() for k in known_certain]), number(1))],
                             number(0))
            n_present = when([(two, number(2)), (any_of([p.copy() for p in present]),
                                                 number(1))], number(0))
        table = value_table()
        index, decided = f"__idx.{name}", f"__decided.{name}"
        helpers: list[Column] = [(index, exp.Add(this=exp.Mul(this=paren(n_certain),
                                                              expression=number(3)),
                                                 expression=paren(n_present)))]
        statuses: list[Column] = [(f"__status.{name}", lookup(table, index)),
                                  (decided, _in(col(index), _indices(table, ["determined"])))]
        return helpers, statuses, when([(col(decided), first_certain)]), decided

    def _list_columns(self, name: str, values: list[exp.Expression], literal: list[bool],
                      present: list[exp.Expression], known_certain: list[exp.Expression]
                      ) -> tuple[list[Column], list[Column], exp.Expression, str]:
        from sqlglot import exp

        open_units: list[exp.Expression] = []
        for u, (v, pres, lit) in enumerate(zip(values, present, literal, strict=True)):
            matched: list[exp.Expression] = []
            for w, (vw, certw, litw) in enumerate(zip(values, known_certain, literal,
                                                      strict=True)):
                if u == w and lit:
                    matched.append(certw.copy())
                elif lit and litw:
                    continue
                else:
                    matched.append(true_or_false(all_of([certw.copy(), exp.EQ(
                        this=paren(vw.copy()), expression=paren(v.copy()))]), False))
            if lit:
                open_units.append(all_of([pres.copy(), negate(any_of(matched))]))
            else:
                open_units.append(all_of([pres.copy(), any_of([is_null(v.copy()),
                                                               negate(any_of(matched))])]))
        listed = compact_array([when([(k.copy(), v.copy())])
                                for k, v in zip(known_certain, values, strict=True)])
        if not all(literal):
            listed = exp.ArrayDistinct(this=listed)
        any_value = any_of([k.copy() for k in known_certain])
        table = list_table()
        index, decided = f"__idx.{name}", f"__decided.{name}"
        helpers: list[Column] = [(index, exp.Add(
            this=exp.Mul(this=cast(paren(any_of(open_units)), "INT"), expression=number(2)),
            expression=cast(paren(any_value.copy()), "INT")))]
        statuses: list[Column] = [(f"__status.{name}", lookup(table, index)),
                                  (decided, cast(paren(any_value), "BOOLEAN"))]
        return helpers, statuses, when([(col(decided), listed)]), decided


def _indices(table: Sequence[str], wanted: Sequence[str]) -> list[int]:
    return [i for i, status in enumerate(table) if status in wanted]


def _window_column(low: dt.date | None, high: dt.date | None) -> str:
    return f"__in_force.{low}.{high}"


def _present_column(cand: Candidate) -> str:
    return f"__pres.{cand.provision}.{'_'.join(map(str, cand.overriders))}"


def _certain_column(cand: Candidate) -> str:
    if cand.twins:
        return f"__cert.n{cand.number}"
    return f"__cert.{cand.provision}.{'_'.join(map(str, cand.overriders))}"


__all__ = ["SqlBools", "SqlDecider", "bits", "lookup"]
