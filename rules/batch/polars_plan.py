"""RuleSet -> one polars lazy plan over a table of cases (one row a case).

The batch back end reads the same checked tree (`core`) as the interpreter and reproduces its
decisions column by column, with no Python loop over rows:

* a fact is a column named by its path (`victim.age`); an unknown fact is a null, and polars'
  `&` / `|` on nullable booleans are Kleene, comparisons and arithmetic with a null give null,
  exactly as `compile.Unknown` behaves;
* `validate` types the raw columns (CSV text, JSON, Parquet), collects every problem of a row in
  a `__reason` column (type errors, out of range, unknown enum values, unknown fields) and
  computes the derived facts, rejecting a stated value that disagrees with its derivation;
* `decide` materialises definitions, then one applicability column per provision (in force on the
  governing date, `if` conditions, not `unless`), then per candidate outcome whether it is present
  (may apply, not set aside) and certain (applies, no overrider may apply), and finally per action
  its status - `none`, `required`, `forbidden`, `permitted`, `conflict` or `undetermined` - with
  arguments and deciding provisions, and per conclusion its value(s) and status.

Combination follows `evaluator.Evaluator._combine_action`: an action's status is plain boolean
logic over "some candidate of modality m certainly applies" and "... may apply"
(`_status_rule`), checked at compile time against a table built with the evaluator's own
`_combined` / `_subsets` for every combination, so it cannot drift from the reference.

Performance notes (bench/batch.py): every intermediate is a column computed once (definitions,
one in-force column per distinct window, per provision "applies" / "may apply", per overridden
provision its present / certain flags); enum facts stay polars `Enum` (small integers) up to
the output; `years_between` is a lookup in a 400-year calendar table, not date-part extraction;
lists of literal values (deciding provisions, literal conclusion values) are built eight items
per table lookup.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rules.batch.exprs import (
    _ARITH,
    _COMPARE,
    _PARSE_ERROR,
    BAD,
    CONCLUSION_STATUSES,
    MODALITIES,
    REASON,
    ROW,
    STATUSES,
    _all,
    _any,
    _applies,
    _check_status_rule,
    _coalesce,
    _def_column,
    _derived_column,
    _flag,
    _join_reasons,
    _list_of,
    _may,
    _polars,
    _status,
    _status_rule,
    _two_or_more,
    _window_col,
    _years_between,
    dedupe,
)
from rules.language import core
from rules.language.ruleset import ConclusionOutcome, DeonticOutcome, Fact, RuleSet

if TYPE_CHECKING:
    import polars as pl
    from polars import Expr

@dataclass(frozen=True, slots=True)
class _Candidate:
    """One outcome of one provision on one action or conclusion."""

    provision: int
    pid: str
    modality: str                          # "" for conclusions
    args: tuple[tuple[str, core.Expr], ...]
    value: core.Expr | None
    overriders: tuple[int, ...]            # provisions that set it aside when they apply
    number: int = 0                         # its index among all candidates (column names)
    # overriders that, if they apply, may give this very outcome (one outcome on the key, same
    # modality): while one of them only may apply, this outcome can still be certain
    twins: tuple[_Candidate, ...] = ()


@dataclass
class BatchPlan:
    """A compiled rule set: `validate` then `decide` a lazy frame of cases."""

    ruleset: RuleSet
    as_of: dt.date | None = None
    actions: tuple[str, ...] = ()
    conclusions: tuple[str, ...] = ()
    _candidates: dict[tuple[str, str], list[_Candidate]] = field(default_factory=dict)
    _def_levels: list[list[str]] = field(default_factory=list)

    # ---- names and types ---------------------------------------------------------------------

    @property
    def status_dtype(self) -> pl.DataType:
        import polars as pl

        return pl.Enum(list(STATUSES))

    @property
    def conclusion_status_dtype(self) -> pl.DataType:
        import polars as pl

        return pl.Enum(list(CONCLUSION_STATUSES))

    def fact_dtype(self, fact: Fact) -> pl.DataType:
        return self.type_dtype(fact.type)

    def type_dtype(self, typ: core.Type) -> pl.DataType:
        import polars as pl
        kind = typ.kind
        if kind == "boolean":
            return pl.Boolean()
        if kind == "integer":
            return pl.Int64()
        if kind == "date":
            return pl.Date()
        if kind == "enum":
            return pl.Enum(list(typ.values))
        return pl.String()

    def output_dtype(self, typ: core.Type) -> pl.DataType:
        """The dtype of an argument or conclusion value in the results (enums as text)."""
        import polars as pl
        if typ.kind in ("enum", "text"):
            return pl.String()
        return self.type_dtype(typ)

    # ---- expressions -------------------------------------------------------------------------

    def expr(self, e: core.Expr, inline: bool = False) -> pl.Expr:
        """A checked expression as a polars expression over fact (and definition) columns."""
        import polars as pl
        if isinstance(e, core.Lit):
            return self._lit(e.value, e.type)
        if isinstance(e, core.FactRef):
            return pl.col(e.path)
        if isinstance(e, core.DefRef):
            if inline:
                return self.expr(self.ruleset.definitions[e.name].expr, inline=True)
            return pl.col(_def_column(e.name))
        if isinstance(e, core.Not):
            return ~self.expr(e.operand, inline)
        if isinstance(e, core.BoolOp):
            parts = [self.expr(o, inline) for o in e.operands]
            return _all(parts) if e.op == "and" else _any(parts)
        if isinstance(e, core.Compare):
            compared: Expr = _COMPARE[e.op](self._operand(e.left, inline),
                                            self._operand(e.right, inline))
            return compared
        if isinstance(e, core.Arith):
            left = self.expr(e.left, inline)
            if e.op == "neg":
                return -left
            assert e.right is not None
            computed: Expr = _ARITH[e.op](left, self.expr(e.right, inline))
            return computed
        if isinstance(e, core.In):
            operand = self.expr(e.operand, inline)
            if not e.values:
                return pl.when(operand.is_null()).then(pl.lit(None, pl.Boolean)) \
                    .otherwise(pl.lit(False))
            member = operand.is_in(list(e.values))
            return ~member if e.negated else member
        if isinstance(e, core.IsKnown):
            operand = self.expr(e.operand, inline)
            return operand.is_null() if e.negated else operand.is_not_null()
        if isinstance(e, core.Call):
            start = self.expr(e.args[0], inline)
            end = self.expr(e.args[1], inline)
            if e.function == "days_between":
                return (end - start).dt.total_days().cast(pl.Int64)
            return _years_between(start, end)
        raise TypeError(f"cannot compile {type(e).__name__}")  # pragma: no cover

    def _operand(self, e: core.Expr, inline: bool) -> pl.Expr:
        return self.expr(e, inline)

    def _lit(self, value: core.Value, typ: core.Type) -> pl.Expr:
        import polars as pl
        if typ.kind == "integer":
            return pl.lit(value, pl.Int64)
        if typ.kind == "boolean":
            return pl.lit(value, pl.Boolean)
        if typ.kind == "date":
            return pl.lit(value, pl.Date)
        return pl.lit(value, pl.String)

    def value_expr(self, e: core.Expr) -> pl.Expr:
        """An argument or conclusion value, in its output dtype."""
        return self.expr(e).cast(self.output_dtype(e.type))

    # ---- stage 1: validation -----------------------------------------------------------------

    def validate(self, lf: pl.LazyFrame, keep: Sequence[str] = (),
                 texts: bool = True) -> pl.LazyFrame:
        """Typed fact columns, derived facts, and whether each row is invalid.

        With `texts`, a `__reason` column says why (empty string: the row is valid); without, a
        boolean `__bad` column only flags it, which is much cheaper: the runner flags all rows,
        then explains the (few) flagged ones.
        """
        import polars as pl
        schema = lf.collect_schema()
        typed: list[pl.Expr] = []
        problems: list[tuple[pl.Expr, pl.Expr]] = []
        for path, fact in self.ruleset.facts.items():
            value, found = _coerce(self, fact, schema.get(path))
            typed.append(value.alias(path))
            problems.extend(found)
        reserved = {ROW, REASON, BAD, _PARSE_ERROR, *keep}
        for column in schema.names():
            if column not in self.ruleset.facts and column not in reserved:
                problems.append((pl.col(column).is_not_null(),
                                 pl.lit(f"{column}: unknown field")))
        if _PARSE_ERROR in schema.names():
            problems.append((pl.col(_PARSE_ERROR).is_not_null(), pl.col(_PARSE_ERROR)))
        carried = [pl.col(c) for c in (ROW, *keep)
                   if c in schema.names() and c not in self.ruleset.facts]
        out = lf.select([*carried, *typed, _flag(problems, texts)])
        from rules.cases.model import _derivation_order

        for fact in _derivation_order(self.ruleset):
            if fact.derivation is None:
                continue
            computed = self.expr(fact.derivation, inline=True).alias(_derived_column(fact.path))
            out = out.with_columns(computed).with_columns(*self._derive(fact, texts)) \
                .drop(_derived_column(fact.path))
        return out

    def _derive(self, fact: Fact, texts: bool) -> list[pl.Expr]:
        import polars as pl
        assert fact.derivation is not None
        computed = pl.col(_derived_column(fact.path))
        stated = pl.col(fact.path)
        mismatch = (stated.is_not_null() & computed.is_not_null() & (stated != computed))
        out_of_range = []
        if fact.low is not None:
            out_of_range.append(computed < self._lit(fact.low, fact.type))
        if fact.high is not None:
            out_of_range.append(computed > self._lit(fact.high, fact.type))
        outside = _any(out_of_range).fill_null(False) & ~mismatch.fill_null(False)
        inputs = ", ".join(sorted(core.fact_paths(fact.derivation)))
        mismatch_text = pl.concat_str([
            pl.lit(f"{fact.path}: is "), stated.cast(pl.String),
            pl.lit(", but the facts it is computed from give "), computed.cast(pl.String)])
        outside_text = pl.concat_str([
            pl.lit(f"{fact.path}: computes to "), computed.cast(pl.String),
            pl.lit(f", outside {fact.low}..{fact.high} (check {inputs})")])
        value = pl.when(computed.is_not_null() & ~mismatch.fill_null(False) & ~outside) \
            .then(computed).otherwise(stated)
        if texts:
            reason = pl.when(mismatch.fill_null(False)).then(mismatch_text) \
                .when(outside).then(outside_text)
            flag = _join_reasons([pl.col(REASON).replace("", None), reason]).alias(REASON)
        else:
            flag = (pl.col(BAD) | mismatch.fill_null(False) | outside).alias(BAD)
        return [value.cast(self.fact_dtype(fact)).alias(fact.path), flag]

    # ---- stage 2: decision -------------------------------------------------------------------

    def decide(self, lf: pl.LazyFrame, keep: Sequence[str] = (),
               provisions: bool = True, statuses_only: bool = False) -> pl.LazyFrame:
        """Result columns for valid, typed cases (the output of `validate`, filtered).

        `statuses_only` keeps the action and conclusion statuses (what a summary needs) and
        leaves out arguments, values and provisions.
        """
        import polars as pl
        lf = self._flag_frame(lf)
        outputs: list[pl.Expr] = [pl.col(c) for c in (ROW, *keep)
                                  if c in lf.collect_schema().names()]
        stage: list[pl.Expr] = []
        for name in self.actions:
            stage.extend(self._action_columns(name, provisions))
        for name in self.conclusions:
            stage.extend(self._conclusion_columns(name, provisions))
        if statuses_only:
            wanted = {*self.actions, *(f"{c}.status" for c in self.conclusions)}
            stage = [e for e in stage if e.meta.output_name() in wanted]
        return lf.select([*outputs, *stage])

    def _flag_frame(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        """Definitions, applicability, and the present/certain flags of overridden outcomes."""
        import polars as pl
        governing = self.ruleset.governing_date
        if self.as_of is not None and governing:
            # as the interpreter does: judged as if the governing date were `as_of`, so
            # conditions that read it agree with the in-force windows (derived ages keep theirs)
            lf = lf.with_columns(pl.lit(self.as_of, pl.Date).alias(governing))
        for level in self._def_levels:
            lf = lf.with_columns([self.expr(self.ruleset.definitions[name].expr)
                                  .alias(_def_column(name)) for name in level])
        count = len(self.ruleset.provisions)
        windows = self._windows()
        if windows:
            lf = lf.with_columns([e.alias(name) for name, e in windows.values()])
        lf = lf.with_columns([self._applicability(i).alias(_status(i)) for i in range(count)])
        # Each provision certainly applies (`__a`), or may apply (`__m`): computed once, read by
        # every outcome of the provision and every provision it overrides.
        lf = lf.with_columns(
            [pl.col(_status(i)).eq_missing(True).alias(_applies(i)) for i in range(count)]
            + [pl.col(_status(i)).ne_missing(False).alias(_may(i)) for i in range(count)])
        flags: list[pl.Expr] = []
        for cands in self._candidates.values():
            for c in cands:
                if c.overriders:
                    present, certain = self._flags(c)
                    flags.append(present.alias(_present_col(c)))
                    flags.append(certain.alias(_certain_col(c)))
        if flags:
            lf = lf.with_columns(dedupe(flags))
        return lf

    def _applicability(self, index: int) -> pl.Expr:
        import polars as pl
        provision = self.ruleset.provisions[index]
        low, high = self._window(index)
        static, dynamic = self._in_force_static(low, high)
        parts: list[Expr] = []
        if dynamic:
            parts.append(pl.col(_window_col(low, high)))
        elif static is not True:
            parts.append(pl.lit(static, pl.Boolean))
        for condition in provision.conditions:
            value = self.expr(condition.expr)
            parts.append(~value if condition.kind == "unless" else value)
        return _all(parts).cast(pl.Boolean)

    def _window(self, index: int) -> tuple[dt.date | None, dt.date | None]:
        provision = self.ruleset.provisions[index]
        return (provision.start if provision.effect != "improves" else None, provision.end)

    def _windows(self) -> dict[tuple[dt.date | None, dt.date | None], tuple[str, pl.Expr]]:
        """The in-force test of each distinct window that reads the date (one column each)."""
        out: dict[tuple[dt.date | None, dt.date | None], tuple[str, pl.Expr]] = {}
        for i in range(len(self.ruleset.provisions)):
            low, high = self._window(i)
            if self._in_force_static(low, high)[1] and (low, high) not in out:
                out[(low, high)] = (_window_col(low, high), self._in_force(low, high))
        return out

    def _in_force_static(self, low: dt.date | None,
                         high: dt.date | None) -> tuple[bool | None, bool]:
        """(in force without reading the date, whether the date must be read)."""
        if low is None and high is None:
            return True, False
        if self.as_of is not None:
            return ((low is None or self.as_of >= low)
                    and (high is None or self.as_of <= high)), False
        governing = self.ruleset.governing_date
        fact = self.ruleset.facts.get(governing) if governing else None
        d_low, d_high = (fact.low, fact.high) if fact else (None, None)
        inside = (low is None or (d_low is not None and d_low >= low)) and \
                 (high is None or (d_high is not None and d_high <= high))
        disjoint = (high is not None and d_low is not None and d_low > high) or \
                   (low is not None and d_high is not None and d_high < low)
        static: bool | None = True if inside else (False if disjoint else None)
        # Known dates are validated against the date fact's range: inside it, or outside the
        # window altogether, the date does not matter; else an unknown date leaves it unknown.
        return static, governing is not None and static is None

    def _in_force(self, low: dt.date | None, high: dt.date | None) -> pl.Expr:
        """Whether a window is in force on the governing date (null when that is unknown)."""
        import polars as pl
        static, dynamic = self._in_force_static(low, high)
        if not dynamic:
            return pl.lit(static, pl.Boolean)
        date = pl.col(self.ruleset.governing_date or "")
        return _all([x for x in (date >= pl.lit(low, pl.Date) if low else None,
                                 date <= pl.lit(high, pl.Date) if high else None)
                     if x is not None])

    def _flags(self, c: _Candidate) -> tuple[pl.Expr, pl.Expr]:
        """(present, certain) of a candidate outcome, computed from applicability columns:
        present when its provision may apply and no overrider certainly applies; certain when
        it applies and no overrider may apply."""
        import polars as pl
        if not c.overriders:
            return pl.col(_may(c.provision)), pl.col(_applies(c.provision))
        beaten = _any([pl.col(_applies(j)) for j in c.overriders])
        twins = {t.provision: t for t in c.twins}
        # certain: it applies and every overrider surely does not apply, or, if it may, would
        # give the very same outcome with nothing setting that aside (as the interpreter does)
        settled = _all([~pl.col(_may(j)) if j not in twins
                        else ~pl.col(_may(j)) | self._same(c, twins[j]) for j in c.overriders])
        return (pl.col(_may(c.provision)) & ~beaten,
                pl.col(_applies(c.provision)) & ~beaten & settled)

    def _same(self, c: _Candidate, twin: _Candidate) -> pl.Expr:
        """Whether `twin` gives `c`'s value and arguments, and none of its overriders may apply."""
        import polars as pl
        terms = [~pl.col(_may(k)) for k in twin.overriders]
        if c.value is not None:
            terms.append(self._equal(c.value, twin.value))
        theirs = dict(twin.args)
        terms.extend(self._equal(expr, theirs.get(name)) for name, expr in c.args)
        return _all(terms)

    def _equal(self, a: core.Expr, b: core.Expr | None) -> pl.Expr:
        import polars as pl
        if b is None:
            return pl.lit(False)
        if isinstance(a, core.Lit) and isinstance(b, core.Lit):
            return pl.lit(a.value == b.value)
        return (self.value_expr(a) == self.value_expr(b)).fill_null(False)

    def _present(self, c: _Candidate) -> pl.Expr:
        import polars as pl
        return pl.col(_present_col(c)) if c.overriders else self._flags(c)[0]

    def _certain(self, c: _Candidate) -> pl.Expr:
        import polars as pl
        return pl.col(_certain_col(c)) if c.overriders else self._flags(c)[1]

    def _action_columns(self, name: str, provisions: bool) -> list[pl.Expr]:
        import polars as pl
        cands = self._candidates.get(("action", name), [])
        if not cands:
            return [pl.lit("none", self.status_dtype).alias(name)]
        certain: dict[str, Expr] = {}
        present: dict[str, Expr] = {}
        for modality in MODALITIES:
            mine = [c for c in cands if c.modality == modality]
            if mine:
                certain[modality] = _any([self._certain(c) for c in mine])
                present[modality] = _any([self._present(c) for c in mine])
        _check_status_rule(tuple(certain))
        rule = _status_rule(certain, present)
        params = self.ruleset.actions[name].params
        lit = functools.partial(pl.lit, dtype=self.status_dtype)
        if not params:
            chain: Any = pl
            for label, condition in rule:
                chain = chain.when(condition).then(lit(label))
            status = chain.otherwise(lit("undetermined"))
            columns = [status.alias(name)]
            decided = _any([cond for label, cond in rule if label in MODALITIES])
        else:
            any_uncertain = _any([self._present(c) & ~self._certain(c) for c in cands])
            arg_unknown: list[pl.Expr] = []
            differ: list[Expr] = []
            certain_differ: list[Expr] = []
            firsts: dict[str, Expr] = {}
            for param, _ in params:
                args = [dict(c.args)[param] for c in cands]
                firsts[param] = _coalesce([pl.when(self._certain(c)).then(self.value_expr(a))
                                           for c, a in zip(cands, args, strict=True)])
                # The status compares the values in their own dtype (an enum stays small
                # integers) and pair by pair: two candidates whose argument is the same
                # expression never differ (both null is already `arg_unknown`), two different
                # literals always do. With a null value, `arg_unknown` decides, as in the
                # interpreter, so pairs of known values are all that matter.
                for i, (c, a) in enumerate(zip(cands, args, strict=True)):
                    if not isinstance(a, core.Lit):
                        arg_unknown.append(self._present(c) & self.expr(a).is_null())
                    for d, b in zip(cands[i + 1:], args[i + 1:], strict=True):
                        if a == b:
                            continue
                        if isinstance(a, core.Lit) and isinstance(b, core.Lit):
                            unequal: Expr | None = None
                        else:
                            unequal = (self.expr(a) != self.expr(b)).fill_null(False)
                        for flag, out in ((self._present, differ),
                                          (self._certain, certain_differ)):
                            both = flag(c) & flag(d)
                            out.append(both if unequal is None else both & unequal)
            arg_needs = _any(arg_unknown) | (any_uncertain & _any(differ))
            conditions = dict(rule)
            decided = _any([cond for label, cond in rule if label in MODALITIES])
            chain = pl
            if "conflict" in conditions:
                chain = chain.when(conditions["conflict"]).then(lit("conflict"))
            chain = chain.when(arg_needs).then(lit("undetermined")) \
                .when(conditions["none"]).then(lit("none")) \
                .when(decided & _any(certain_differ)).then(lit("conflict"))
            for label, condition in rule:
                if label in MODALITIES:
                    chain = chain.when(condition).then(lit(label))
            status = chain.otherwise(lit("undetermined"))
            decided = decided & ~arg_needs & ~_any(certain_differ)
            columns = [status.alias(name)]
            for param, _ in params:
                columns.append(pl.when(decided).then(firsts[param]).alias(f"{name}.{param}"))
        if provisions:
            ids = _list_of([(self._certain(c), c.pid) for c in cands])
            columns.append(pl.when(decided).then(ids).alias(f"{name}.provisions"))
        return columns

    def _conclusion_columns(self, name: str, provisions: bool) -> list[pl.Expr]:
        import polars as pl
        kind = self.ruleset.conclusions[name]
        dtype = self.output_dtype(kind.type)
        cands = self._candidates.get(("conclusion", name), [])
        if not cands:
            empty = pl.lit(None, pl.List(dtype) if kind.many else dtype)
            columns = [empty.alias(name),
                       pl.lit("none", self.conclusion_status_dtype).alias(f"{name}.status")]
            if provisions:
                columns.append(pl.lit(None, pl.List(pl.String)).alias(f"{name}.provisions"))
            return columns
        # Units: candidates with the same literal value are one unit; others one each.
        units: list[tuple[Expr, Expr, Expr, Any]] = []   # value, present, certain, lit
        groups: dict[Any, list[_Candidate]] = {}
        singles: list[_Candidate] = []
        for c in cands:
            assert c.value is not None
            if isinstance(c.value, core.Lit):
                groups.setdefault(c.value.value, []).append(c)
            else:
                singles.append(c)
        for value, group in groups.items():
            assert group[0].value is not None
            units.append((self.value_expr(group[0].value),
                          _any([self._present(c) for c in group]),
                          _any([self._certain(c) for c in group]), value))
        for c in singles:
            assert c.value is not None
            units.append((self.value_expr(c.value), self._present(c), self._certain(c), None))
        # A literal value is never unknown: no `is_not_null` test for it.
        known_certain = [cert if lit is not None else cert & v.is_not_null()
                         for v, _, cert, lit in units]
        certain_lit = list(zip(known_certain, [v for v, _, _, _ in units], strict=True))
        lit_status = functools.partial(pl.lit, dtype=self.conclusion_status_dtype)
        undetermined_s = lit_status("undetermined")
        if not kind.many:
            first_certain = _coalesce([pl.when(k).then(v) for k, v in certain_lit])
            if singles:
                conflict = _any([(k & (v != first_certain)).fill_null(False)
                                 for k, v in certain_lit])
                present_known = [(pres & v.is_not_null(), v) for v, pres, _, _ in units]
                first_present = _coalesce([pl.when(k).then(v) for k, v in present_known])
                differ = _any([(k & (v != first_present)).fill_null(False)
                               for k, v in present_known])
                unknown = _any([pres & v.is_null() for v, pres, _, lit in units
                                if lit is None])
                unsettled = differ | unknown
            else:
                # Literal units have different values: two certain ones are a conflict, two
                # possible ones leave the value open.
                conflict = _two_or_more(known_certain)
                unsettled = _two_or_more([pres for _, pres, _, _ in units])
            any_certain = _any(known_certain)
            status = (pl.when(conflict).then(lit_status("conflict"))
                      .when(unsettled).then(undetermined_s)
                      .when(any_certain).then(lit_status("determined"))
                      .when(_any([pres for _, pres, _, _ in units])).then(undetermined_s)
                      .otherwise(lit_status("none")))
            decided = any_certain & ~conflict & ~unsettled
            value = pl.when(decided).then(first_certain)
            columns = [value.alias(name), status.alias(f"{name}.status")]
        else:
            open_units: list[Expr] = []
            for u, (v, pres, cert, lit) in enumerate(units):
                matched: list[Expr] = []
                for w, (vw, _, certw, litw) in enumerate(units):
                    if u == w and lit is not None:
                        matched.append(cert)
                    elif lit is not None and litw is not None:
                        continue   # two literal units have different values
                    else:
                        matched.append((certw & (vw == v)).fill_null(False))
                if lit is None:
                    open_units.append(pres & (v.is_null() | ~_any(matched)))
                else:
                    open_units.append(pres & ~_any(matched))
            text = dtype == pl.String
            values = _list_of([(k, lit if text and isinstance(lit, str) else v)
                               for k, (v, _, _, lit) in zip(known_certain, units, strict=True)],
                              dtype)
            if singles:
                values = values.list.unique(maintain_order=True)
            any_value = _any(known_certain)
            status = (pl.when(_any(open_units)).then(undetermined_s)
                      .when(any_value).then(lit_status("determined"))
                      .otherwise(lit_status("none")))
            columns = [pl.when(any_value).then(values).alias(name),
                       status.alias(f"{name}.status")]
            decided = any_value
        if provisions:
            ids = _list_of([(self._certain(c) if isinstance(c.value, core.Lit)
                             else self._certain(c) & self.value_expr(c.value).is_not_null(),
                             c.pid) for c in cands if c.value is not None])
            columns.append(pl.when(decided).then(ids).alias(f"{name}.provisions"))
        return columns

    # ---- summaries ---------------------------------------------------------------------------

    def summary_exprs(self) -> list[pl.Expr]:
        """One count per (action, status) and (conclusion, status): a single-row frame."""
        import polars as pl
        out: list[Expr] = []
        for name in self.actions:
            for status in STATUSES:
                out.append((pl.col(name) == status).sum().alias(f"{name}\0{status}"))
        for name in self.conclusions:
            for status in CONCLUSION_STATUSES:
                out.append((pl.col(f"{name}.status") == status).sum()
                           .alias(f"{name}.status\0{status}"))
        return out


def _present_col(c: _Candidate) -> str:
    """Candidates of one provision with the same overriders share their flags."""
    return f"__pres{c.provision}:{','.join(map(str, c.overriders))}"


def _certain_col(c: _Candidate) -> str:
    if c.twins:  # its certainty depends on its own value: not shared
        return f"__cert#{c.number}"
    return f"__cert{c.provision}:{','.join(map(str, c.overriders))}"


def _coerce(plan: BatchPlan, fact: Fact, dtype: pl.DataType | None) -> tuple[
        pl.Expr, list[tuple[pl.Expr, pl.Expr]]]:
    """A raw column as the fact's type, and the reasons a row's value is invalid."""
    import polars as pl
    path = fact.path
    target = plan.fact_dtype(fact)
    if dtype is None or dtype == pl.Null:
        return pl.lit(None, target), []
    raw = pl.col(path)
    kind = fact.type.kind
    given = raw.is_not_null()
    reasons: list[tuple[Expr, Expr]] = []

    def bad(condition: Expr, text: str, with_value: bool = True) -> None:
        parts = [pl.lit(f"{path}: {text}")]
        if with_value:
            parts += [pl.lit(", got "), raw.cast(pl.String)]
        reasons.append((condition.fill_null(False), pl.concat_str(parts)))

    is_text = dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))
    if kind == "integer":
        if dtype.is_integer():
            value = raw.cast(pl.Int64)
        elif dtype.is_float():
            integral = raw == raw.floor()
            value = pl.when(integral).then(raw.cast(pl.Int64, strict=False))
            bad(given & ~integral.fill_null(False), "expected an integer")
        elif is_text:
            value = raw.cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False)
            bad(given & value.is_null(), "expected an integer")
        else:
            value = pl.lit(None, pl.Int64)
            bad(given, "expected an integer")
    elif kind == "boolean":
        if dtype == pl.Boolean:
            value = raw
        elif is_text:
            word = raw.cast(pl.String).str.strip_chars().str.to_lowercase()
            value = pl.when(word == "true").then(pl.lit(True)) \
                .when(word == "false").then(pl.lit(False)).otherwise(pl.lit(None, pl.Boolean))
            bad(given & value.is_null(), "expected true or false")
        else:
            value = pl.lit(None, pl.Boolean)
            bad(given, "expected true or false")
    elif kind == "date":
        if dtype == pl.Date:
            value = raw
        elif is_text:
            text = raw.cast(pl.String).str.strip_chars()
            shape = text.str.contains(r"^\d{4}-\d{2}-\d{2}$")
            value = pl.when(shape).then(text.str.to_date("%Y-%m-%d", strict=False))
            bad(given & value.is_null(), "expected a date like 2024-06-16")
        else:
            value = pl.lit(None, pl.Date)
            bad(given, "expected a date like 2024-06-16")
    elif kind == "enum":
        if dtype == target:
            value = raw
        elif is_text:
            # every way a user writes a value, as `ruleset.vocabulary.resolve` reads it
            names = plan.ruleset.vocabulary.names(fact.type)
            value = normalized_text(raw.cast(pl.String)).replace_strict(
                list(names), list(names.values()), default=None, return_dtype=pl.String
            ).cast(target)
            bad(given & value.is_null(),
                f"unknown value; expected one of {', '.join(fact.type.values)}")
        else:
            value = pl.lit(None, target)
            bad(given, f"expected one of {', '.join(fact.type.values)}")
    else:
        if is_text:
            value = raw.cast(pl.String)
            bad(value == "", "should have at least 1 character", with_value=False)
        else:
            value = pl.lit(None, pl.String)
            bad(given, "expected text")
    if fact.low is not None:
        bad(value < plan._lit(fact.low, fact.type), f"must be at least {fact.low}")
    if fact.high is not None:
        bad(value > plan._lit(fact.high, fact.type), f"must be at most {fact.high}")
    return value.cast(target), reasons


def normalized_text(text: pl.Expr) -> pl.Expr:
    """`rules.i18n.text.normalize` as a polars expression (a property test holds them equal)."""
    from rules.i18n.text import QUOTES, SEPARATORS

    return (text.str.normalize("NFC").str.to_lowercase().str.replace_all("ё", "е", literal=True)
            .str.replace_all("[" + "".join("\\" + q if q in "\\[]^-" else q for q in QUOTES)
                             + "]", "")
            .str.replace_all(SEPARATORS, " ").str.strip_chars(" "))


def compile_batch(ruleset: RuleSet, as_of: dt.date | str | None = None) -> BatchPlan:
    """Compile a checked rule set for the batch back end (needs polars)."""
    _polars()
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    plan = BatchPlan(ruleset, as_of, tuple(ruleset.actions), tuple(ruleset.conclusions))
    index = {p.id: i for i, p in enumerate(ruleset.provisions)}
    keys = [frozenset(("action", o.action) if isinstance(o, DeonticOutcome)
                      else ("conclusion", o.name) for o in p.outcomes)
            for p in ruleset.provisions]
    overriders: dict[tuple[int, tuple[str, str]], list[int]] = {}
    for j, p in enumerate(ruleset.provisions):
        for target in p.overrides:
            i = index[target]
            for key in keys[i] & keys[j]:
                overriders.setdefault((i, key), []).append(j)
    number = 0
    for i, p in enumerate(ruleset.provisions):
        for o in p.outcomes:
            if isinstance(o, DeonticOutcome):
                key = ("action", o.action)
                cand = _Candidate(i, p.id, o.modality, o.args, None,
                                  tuple(overriders.get((i, key), ())), number)
            else:
                assert isinstance(o, ConclusionOutcome)
                key = ("conclusion", o.name)
                cand = _Candidate(i, p.id, "", (), o.value,
                                  tuple(overriders.get((i, key), ())), number)
            number += 1
            plan._candidates.setdefault(key, []).append(cand)
    for cands in plan._candidates.values():
        for n, cand in enumerate(cands):
            twins = []
            for j in cand.overriders:
                theirs = [c for c in cands if c.provision == j]
                if len(theirs) == 1 and theirs[0].modality == cand.modality:
                    twins.append(theirs[0])
            if twins:
                cands[n] = dataclasses.replace(cand, twins=tuple(twins))
    # Definitions in dependency levels: each level reads only earlier ones.
    depth: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in depth:
            deps = core.definition_names(ruleset.definitions[name].expr)
            depth[name] = 1 + max((level(d) for d in deps), default=-1)
        return depth[name]

    for name in ruleset.definitions:
        level(name)
    for name, d in sorted(depth.items(), key=lambda item: item[1]):
        while len(plan._def_levels) <= d:
            plan._def_levels.append([])
        plan._def_levels[d].append(name)
    return plan
