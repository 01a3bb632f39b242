"""The decision columns of the batch plan, read from the semantic plan (`rules.semantics`).

Stage by stage, every intermediate a column computed once:

1. definitions, level by level (`DecisionPlan.definition_levels`);
2. per provision its applicability (in force by its `Window`, `if` conditions, not `unless`),
   then whether it certainly applies (`__a<i>`) and whether it may apply (`__m<i>`);
3. per overridden candidate outcome its present and certain flags (`DecisionPlan.flags`, over
   polars expressions);
4. per action its status, looked up in `action_table` at the index its certain/present bits
   give; per conclusion its value(s) and status (`value_table`, `list_table`).

The statuses come from tables the semantics builds from its own combination rules, so the batch
back end cannot drift from the interpreter.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rules.batch.exprs import (
    MODALITIES,
    ROW,
    all_of,
    any_of,
    applies_column,
    coalesce,
    count_capped,
    def_column,
    list_of,
    lookup,
    may_column,
    status_column,
    table_expr,
    two_or_more,
    window_column,
)
from rules.batch.lower import PolarsLowering
from rules.language import core
from rules.semantics.combine import (
    ACTION_STATUSES,
    CONCLUSION_STATUSES,
    action_table,
    list_table,
    value_table,
)
from rules.semantics.plan import Candidate, plan_of

if TYPE_CHECKING:
    import datetime as dt

    import polars as pl

    from rules.language.ruleset import RuleSet


class PolarsBools:
    """The semantic plan's `Algebra` over polars boolean expressions."""

    def all(self, terms: Sequence[pl.Expr]) -> pl.Expr:
        return all_of(list(terms))

    def any(self, terms: Sequence[pl.Expr]) -> pl.Expr:
        return any_of(list(terms))

    def negate(self, term: pl.Expr) -> pl.Expr:
        return ~term


def _indices(table: Sequence[str], wanted: Sequence[str]) -> list[int]:
    return [i for i, status in enumerate(table) if status in wanted]


class Decider:
    """Builds the decision columns of one rule set (judged on `as_of`, if given)."""

    def __init__(self, ruleset: RuleSet, as_of: dt.date | None, presumptions: bool = True,
                 complete: bool = False):
        import polars as pl

        self.presumptions = presumptions
        # every fact the rules read is known in every valid row (`BatchPlan.complete`): then a
        # provision that may apply applies and an outcome that may survive survives, so the
        # "may" and "present" columns are the "applies" and "certain" ones, and no status
        # tree asks about them; on such rows the decision is the same, with half the columns
        self.complete = complete
        self.ruleset = ruleset
        self.plan = plan_of(ruleset)
        self.as_of = as_of
        self.inline = False
        self.bound: dict[str, pl.Expr] = {}
        self.schema: dict[str, pl.DataType] = {}
        self._stage_cache: dict[str, list[list[pl.Expr]]] = {}
        self._column_cache: dict[tuple[bool, str], list[pl.Expr]] = {}
        self.lowering = PolarsLowering(ruleset, definition=self.ref_definition)
        self.status_dtype = pl.Enum(list(ACTION_STATUSES))
        self.conclusion_dtype = pl.Enum(list(CONCLUSION_STATUSES))

    # ---- expressions -------------------------------------------------------------------------

    def expr(self, e: core.Expr) -> pl.Expr:
        return self.lowering.lower(e)

    def ref(self, name: str) -> pl.Expr:
        """An intermediate (a definition, a provision's applicability, a flag): its expression
        itself when inlined (one `select`, polars' common-subexpression elimination computes
        each once, nothing is materialised), else the column it was computed into."""
        import polars as pl
        return self.bound[name] if self.inline else pl.col(name)

    def ref_definition(self, name: str) -> pl.Expr:
        return self.ref(def_column(name))

    def output_dtype(self, typ: core.Type) -> pl.DataType:
        """The dtype of an argument or conclusion value in the results (enums as text)."""
        import polars as pl
        return {"boolean": pl.Boolean(), "integer": pl.Int64(), "date": pl.Date()}.get(
            typ.kind, pl.String())

    def value_expr(self, e: core.Expr) -> pl.Expr:
        """An argument or conclusion value, in its output dtype."""
        return self.expr(e).cast(self.output_dtype(e.type))

    # ---- stages 1-3: flags -------------------------------------------------------------------

    def flag_frame(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        """Definitions, applicability, and the present/certain flags of overridden outcomes."""
        import polars as pl

        from rules.batch.lower import literal

        if self.presumptions and self.ruleset.presumptions:
            # a fact the case leaves out takes the value the law presumes (rules.cases.inference)
            lf = lf.with_columns([pl.col(p.fact).fill_null(literal(p.value, self.ruleset.facts[
                p.fact].type)) for p in self.ruleset.presumptions.values()])
        self.schema = dict(lf.collect_schema())
        governing = self.ruleset.governing_date
        if self.as_of is not None and governing:
            # as the interpreter does: judged as if the governing date were `as_of`, so
            # conditions that read it agree with the in-force windows (derived ages keep theirs)
            lf = lf.with_columns(pl.lit(self.as_of, pl.Date).alias(governing))
        # the stages depend only on the columns' types: built once per input schema (building
        # them costs as much as deciding a million cases)
        key = repr(sorted(self.schema.items(), key=lambda kv: kv[0]))
        cached = self._stage_cache.get(key)
        if cached is None:
            cached = self._stage_cache[key] = self._stages()
        for stage in cached:
            lf = lf.with_columns(stage) if stage else lf
        return lf

    def _stages(self) -> list[list[pl.Expr]]:
        """The expressions of each stage (definitions by level, windows, applicability,
        applies / may apply, flags), each stage reading only the columns of earlier ones."""
        stages: list[list[pl.Expr]] = []

        def bind(exprs: dict[str, pl.Expr]) -> None:
            self.bound.update(exprs)
            if not self.inline:
                stages.append([e.alias(n) for n, e in exprs.items()])

        self.bound = {}
        for level in self.plan.definition_levels:
            bind({def_column(name): self.expr(self.ruleset.definitions[name].expr)
                  for name in level})
        bind(self._window_columns())
        count = len(self.plan.provisions)
        bind({status_column(i): self._applicability(i) for i in range(count)})
        if not self.complete:   # (on complete cases applicability is never unknown)
            bind({
                # fill_null, not eq_missing: free on a column with no unknowns (the usual case)
                **{applies_column(i): self.ref(status_column(i)).fill_null(False)
                   for i in range(count)},
                **{may_column(i): self.ref(status_column(i)).fill_null(True)
                   for i in range(count)}})
        flags: dict[str, pl.Expr] = {}
        for cand in self.plan.candidates:
            if cand.overriders:
                if _present_column(cand) in flags and _certain_column(cand) in flags:
                    continue
                present, certain = self._flags(cand)
                if self.complete:   # what may survive survives
                    flags.setdefault(_certain_column(cand), present)
                    continue
                flags.setdefault(_present_column(cand), present)
                flags.setdefault(_certain_column(cand), certain)
        bind(flags)
        return stages

    def applies(self, index: int) -> pl.Expr:
        """Whether provision `index` applies for certain."""
        return self.ref(status_column(index) if self.complete else applies_column(index))

    def may(self, index: int) -> pl.Expr:
        """Whether provision `index` may apply (on complete cases: whether it applies)."""
        return self.ref(status_column(index) if self.complete else may_column(index))

    def _window_columns(self) -> dict[str, pl.Expr]:
        """The in-force test of each distinct window that must read the date (one each)."""
        import polars as pl
        out: dict[str, pl.Expr] = {}
        date = pl.col(self.ruleset.governing_date or "")
        for p in self.plan.provisions:
            if self.plan.in_force_static(p.index, self.as_of) is not None:
                continue
            low, high = p.window.low, p.window.high
            name = window_column(low, high)
            if name not in out:
                out[name] = all_of([x for x in (date >= pl.lit(low, pl.Date) if low else None,
                                                date <= pl.lit(high, pl.Date) if high else None)
                                    if x is not None])
        return out

    def _applicability(self, index: int) -> pl.Expr:
        import polars as pl
        p = self.plan.provisions[index]
        static = self.plan.in_force_static(index, self.as_of)
        parts: list[pl.Expr] = []
        if static is None:
            parts.append(self.ref(window_column(p.window.low, p.window.high)))
        elif static is False:
            parts.append(pl.lit(False))
        for is_unless, condition in p.conditions:
            value = self.expr(condition)
            parts.append(~value if is_unless else value)
        return all_of(parts).cast(pl.Boolean)

    def _flags(self, cand: Candidate) -> tuple[pl.Expr, pl.Expr]:
        return self.plan.flags(cand, PolarsBools(),
                               self.applies, self.may, self._same)

    def _same(self, mine: Candidate, twin: Candidate) -> pl.Expr:
        """Whether `twin` gives `mine`'s value and arguments (both known)."""
        terms = []
        if mine.value is not None:
            terms.append(self._equal(mine.value, twin.value))
        theirs = dict(twin.args)
        terms.extend(self._equal(expr, theirs.get(name)) for name, expr in mine.args)
        return all_of(terms)

    def _equal(self, a: core.Expr, b: core.Expr | None) -> pl.Expr:
        import polars as pl
        if b is None:
            return pl.lit(False)
        if isinstance(a, core.Lit) and isinstance(b, core.Lit):
            return pl.lit(a.value == b.value)
        return self._equal_values(a, b).fill_null(False)

    def _equal_values(self, a: core.Expr, b: core.Expr) -> pl.Expr:
        """`a = b` (null when either is unknown); text from a categorical column is compared
        on its codes, never as text."""
        slot = self._text_slot([a, b])
        if slot is not None:
            _, code = slot
            equal: pl.Expr = code(a) == code(b)
            return equal
        return self.value_expr(a) == self.value_expr(b)

    def present(self, cand: Candidate) -> pl.Expr:
        if self.complete:
            return self.certain(cand)
        if cand.overriders:
            return self.ref(_present_column(cand))
        return self.ref(may_column(cand.provision))

    def certain(self, cand: Candidate) -> pl.Expr:
        if cand.overriders:
            return self.ref(_certain_column(cand))
        return self.applies(cand.provision)

    # ---- stage 4: statuses -------------------------------------------------------------------

    def columns(self, provisions: bool, schema: Any = None) -> list[pl.Expr]:
        """The result columns; `schema` (of the typed cases) lets text values read from a
        categorical column stay categorical (`_text_slot`)."""
        if schema is not None:
            self.schema = dict(schema)
        key = (provisions, repr(sorted(self.schema.items(), key=lambda kv: kv[0])))
        cached = self._column_cache.get(key)
        if cached is not None:
            return cached
        stage: list[pl.Expr] = []
        for name in self.ruleset.actions:
            stage.extend(self.action_columns(name, provisions))
        for name in self.ruleset.conclusions:
            stage.extend(self.conclusion_columns(name, provisions))
        self._column_cache[key] = stage
        return stage

    def action_columns(self, name: str, provisions: bool) -> list[pl.Expr]:
        import polars as pl
        cands = [self.plan.candidates[n] for n in self.plan.by_key[("action", name)]]
        if not cands:
            return [pl.lit("none", self.status_dtype).alias(name)]
        modalities = tuple(m for m in MODALITIES if any(c.modality == m for c in cands))
        certain = [any_of([self.certain(c) for c in cands if c.modality == m])
                   for m in modalities]
        present = [any_of([self.present(c) for c in cands if c.modality == m])
                   for m in modalities]
        table = action_table(modalities)
        flags = [*certain, *present]
        n = len(modalities)

        def valid(i: int) -> bool:   # certain implies present (complete cases: is present)
            if self.complete:
                return all((i >> b & 1) == (i >> (n + b) & 1) for b in range(n))
            return all(not (i >> b & 1) or bool(i >> (n + b) & 1) for b in range(n))

        status = table_expr(table, flags, lambda s: pl.lit(s, self.status_dtype), valid)
        decided = table_expr([s in MODALITIES for s in table], flags, pl.lit, valid)

        def where(wanted: str) -> pl.Expr:
            return table_expr([s == wanted for s in table], flags, pl.lit, valid)
        params = self.ruleset.actions[name].params
        columns: list[pl.Expr] = []
        if params:
            status, decided, args = self._arguments(name, cands, where, status, decided)
            columns = [status.alias(name), *args]
        else:
            columns = [status.alias(name)]
        if provisions:
            ids = list_of([(self.certain(c), c.pid) for c in cands])
            columns.append(pl.when(decided).then(ids).alias(f"{name}.provisions"))
        return columns

    def _arguments(self, name: str, cands: list[Candidate], where: Any,
                   status: pl.Expr, decided: pl.Expr
                   ) -> tuple[pl.Expr, pl.Expr, list[pl.Expr]]:
        """Status, decided flag and argument columns of an action with parameters.

        An argument that is unknown, or that differs between candidates where it is not yet
        settled which apply, leaves the action undetermined; candidates that apply for certain
        and give different arguments are a conflict. Values are compared in their own dtype,
        pair by pair: two candidates with the same argument expression never differ (both null
        is already an unknown argument), two different literals always do.
        """
        import polars as pl
        # on complete cases what is present is certain and no argument is unknown
        any_uncertain = pl.lit(False) if self.complete else \
            any_of([self.present(c) & ~self.certain(c) for c in cands])
        unknown: list[pl.Expr] = []
        differ: list[pl.Expr] = []
        certain_differ: list[pl.Expr] = []
        firsts: dict[str, pl.Expr] = {}
        for param, _ in self.ruleset.actions[name].params:
            args = [dict(c.args)[param] for c in cands]
            slot = self._text_slot(args)
            if slot is None:
                firsts[param] = self._first([(self.certain(c), self.value_expr(a))
                                             for c, a in zip(cands, args, strict=True)])
            else:
                dtype, code = slot
                first = self._first([(self.certain(c), code(a))
                                     for c, a in zip(cands, args, strict=True)])
                coded = any(isinstance(a, core.FactRef) for a in args) and \
                    len(dtype.categories) != len(self.schema[next(  # type: ignore[attr-defined]
                        a.path for a in args if isinstance(a, core.FactRef))].categories)
                firsts[param] = first.cat.to(dtype) if coded else first
            for i, (c, a) in enumerate(zip(cands, args, strict=True)):
                if not isinstance(a, core.Lit) and not self.complete:
                    unknown.append(self.present(c) & self.expr(a).is_null())
                for d, b in zip(cands[i + 1:], args[i + 1:], strict=True):
                    if a == b:
                        continue
                    unequal = None if isinstance(a, core.Lit) and isinstance(b, core.Lit) \
                        else (~self._equal_values(a, b)).fill_null(False)
                    for flag, out in ((self.present, differ), (self.certain, certain_differ)):
                        both = flag(c) & flag(d)
                        out.append(both if unequal is None else both & unequal)
        arg_needs = pl.lit(False) if self.complete else \
            any_of(unknown) | (any_uncertain & any_of(differ))
        clash = any_of(certain_differ)
        lit = functools.partial(pl.lit, dtype=self.status_dtype)
        status = (pl.when(where("conflict")).then(lit("conflict"))
                  .when(arg_needs).then(lit("undetermined"))
                  .when(where("none")).then(lit("none"))
                  .when(decided & clash).then(lit("conflict"))
                  .otherwise(status))
        decided = decided & ~arg_needs & ~clash
        return status, decided, [pl.when(decided).then(firsts[param]).alias(f"{name}.{param}")
                                 for param, _ in self.ruleset.actions[name].params]

    def _first(self, pairs: Sequence[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
        """The first known value whose condition holds (on complete cases no value is
        unknown: the first whose condition holds, one `when` chain instead of a coalesce)."""
        import polars as pl
        if not self.complete or len(pairs) == 1:
            return coalesce([pl.when(c).then(v) for c, v in pairs])
        (c0, v0), *rest = pairs
        chain: Any = pl.when(c0).then(v0)
        for c, v in rest:
            chain = chain.when(c).then(v)
        result: pl.Expr = chain.otherwise(None)
        return result

    def _text_slot(self, values: Sequence[core.Expr]) -> tuple[pl.DataType, Any] | None:
        """Text values that all come from one categorical (Enum) column, or are literals: they
        stay categorical, computed on the column's codes (the literals get codes after its
        categories) and labelled once at the end. Casting a million category labels to text
        costs more than deciding the cases."""
        import polars as pl
        columns = {v.path for v in values if isinstance(v, core.FactRef)}
        if len(columns) != 1 or not all(isinstance(v, (core.FactRef, core.Lit))
                                        and v.type.kind == "text" for v in values):
            return None
        dtype = self.schema.get(next(iter(columns)))
        if not isinstance(dtype, pl.Enum):
            return None
        labels = list(dtype.categories)
        for v in values:
            if isinstance(v, core.Lit) and v.value not in labels:
                labels.append(str(v.value))
        if len(labels) == len(dtype.categories):     # the column's own labels: itself
            def same(v: core.Expr) -> pl.Expr:
                if isinstance(v, core.Lit):
                    return pl.lit(str(v.value), dtype)
                return pl.col(v.path)  # type: ignore[union-attr]
            return dtype, same
        # codes in the narrowest type (8-bit codes are six times faster to label than 32-bit)
        width = pl.UInt8 if len(labels) <= 1 << 8 else \
            pl.UInt16 if len(labels) <= 1 << 16 else pl.UInt32
        out = pl.Enum(labels)

        def code(v: core.Expr) -> pl.Expr:
            if isinstance(v, core.Lit):
                return pl.lit(labels.index(str(v.value)), width)
            assert isinstance(v, core.FactRef)
            return pl.col(v.path).to_physical().cast(width)

        def labelled(v: core.Expr) -> pl.Expr:
            return code(v)
        return out, labelled

    def conclusion_columns(self, name: str, provisions: bool) -> list[pl.Expr]:
        import polars as pl
        kind = self.ruleset.conclusions[name]
        dtype = self.output_dtype(kind.type)
        units = self.plan.units[name]
        cands = [self.plan.candidates[n] for n in self.plan.by_key[("conclusion", name)]]
        if not cands:
            columns = [pl.lit(None, pl.List(dtype) if kind.many else dtype).alias(name),
                       pl.lit("none", self.conclusion_dtype).alias(f"{name}.status")]
            if provisions:
                columns.append(pl.lit(None, pl.List(pl.String)).alias(f"{name}.provisions"))
            return columns
        values = [self.value_expr(u.value) for u in units]
        literal = [isinstance(u.value, core.Lit) for u in units]
        present = [any_of([self.present(self.plan.candidates[n]) for n in u.candidates])
                   for u in units]
        certain = [any_of([self.certain(self.plan.candidates[n]) for n in u.candidates])
                   for u in units]
        # a literal value is never unknown: no `is_not_null` test for it
        known_certain = [c if lit else c & v.is_not_null()
                         for c, v, lit in zip(certain, values, literal, strict=True)]
        if kind.many:
            columns, decided = self._list_columns(name, units, values, literal, present,
                                                  known_certain, dtype)
        else:
            columns, decided = self._single_columns(name, values, literal, present,
                                                    known_certain)
        if provisions:
            ids = list_of([(self.certain(c) if c.literal
                            else self.certain(c) & self.value_expr(c.value).is_not_null(),
                            c.pid) for c in cands if c.value is not None])
            columns.append(pl.when(decided).then(ids).alias(f"{name}.provisions"))
        return columns

    def _single_columns(self, name: str, values: list[pl.Expr], literal: list[bool],
                        present: list[pl.Expr], known_certain: list[pl.Expr]
                        ) -> tuple[list[pl.Expr], pl.Expr]:
        """`value_table` at (distinct values certainly concluded, distinct values that may be)."""
        import polars as pl
        first_certain = coalesce([pl.when(k).then(v) for k, v in zip(known_certain, values,
                                                                     strict=True)])
        if all(literal):
            # literal units have different values: count them
            n_certain = count_capped(known_certain)
            n_present = count_capped(present)
        else:
            conflict = any_of([(k & (v != first_certain)).fill_null(False)
                               for k, v in zip(known_certain, values, strict=True)])
            known_present = [(p & v.is_not_null(), v) for p, v in zip(present, values,
                                                                       strict=True)]
            first_present = coalesce([pl.when(k).then(v) for k, v in known_present])
            differ = any_of([(k & (v != first_present)).fill_null(False)
                             for k, v in known_present])
            unknown = [p & v.is_null() for p, v, lit in zip(present, values, literal,
                                                            strict=True) if not lit]
            # an unknown value counts as one more distinct value
            two = differ | (any_of(unknown) & any_of([k for k, _ in known_present])) \
                | two_or_more(unknown)
            n_certain = pl.when(conflict).then(2).when(any_of(known_certain)).then(1) \
                .otherwise(0).cast(pl.UInt32)
            n_present = pl.when(two).then(2).when(any_of(present)).then(1) \
                .otherwise(0).cast(pl.UInt32)
        table = value_table()
        index = n_certain * 3 + n_present
        status = lookup(table, index, self.conclusion_dtype)
        decided = index.is_in(_indices(table, ["determined"]))
        return [pl.when(decided).then(first_certain).alias(name),
                status.alias(f"{name}.status")], decided

    def _list_columns(self, name: str, units: Sequence[Any], values: list[pl.Expr],
                      literal: list[bool], present: list[pl.Expr], known_certain: list[pl.Expr],
                      dtype: pl.DataType) -> tuple[list[pl.Expr], pl.Expr]:
        """Every value concluded for certain; `list_table` at (some value only may be
        concluded, some value is)."""
        import polars as pl
        open_units: list[pl.Expr] = []
        for u, (v, pres, lit) in enumerate(zip(values, present, literal, strict=True)):
            matched: list[pl.Expr] = []
            for w, (vw, certw, litw) in enumerate(zip(values, known_certain, literal,
                                                      strict=True)):
                if u == w and lit:
                    matched.append(certw)
                elif lit and litw:
                    continue   # two literal units have different values
                else:
                    matched.append((certw & (vw == v)).fill_null(False))
            if lit:
                open_units.append(pres & ~any_of(matched))
            else:
                open_units.append(pres & (v.is_null() | ~any_of(matched)))
        text = dtype == pl.String
        listed = list_of([(k, u.value.value if text and lit and isinstance(u.value.value, str)
                           else v)
                          for k, v, u, lit in zip(known_certain, values, units, literal,
                                                  strict=True)], dtype)
        if not all(literal):
            listed = listed.list.unique(maintain_order=True)
        any_value = any_of(known_certain)
        table = list_table()
        status = table_expr(table, [any_value, any_of(open_units)],
                            lambda s: pl.lit(s, self.conclusion_dtype))
        return [pl.when(any_value).then(listed).alias(name),
                status.alias(f"{name}.status")], any_value


def _present_column(cand: Candidate) -> str:
    """Candidates of one provision with the same overriders share their flags."""
    return f"__pres{cand.provision}:{','.join(map(str, cand.overriders))}"


def _certain_column(cand: Candidate) -> str:
    if cand.twins:  # its certainty depends on its own value: not shared
        return f"__cert#{cand.number}"
    return f"__cert{cand.provision}:{','.join(map(str, cand.overriders))}"


__all__ = ["ROW", "Decider", "PolarsBools"]
