"""RuleSet -> one polars lazy plan over a table of cases (one row a case).

`BatchPlan.validate` types the raw columns (CSV text, JSON, Parquet), collects every problem of a
row in a `__reason` column (type errors, out of range, unknown enum values, unknown fields) and
computes the derived facts, rejecting a stated value that disagrees with its derivation;
`BatchPlan.decide` adds the decision columns, read from the rule set's semantic plan
(`rules.batch.decide`): per action its status - `none`, `required`, `forbidden`, `permitted`,
`conflict` or `undetermined` - with arguments and deciding provisions, and per conclusion its
value(s) and status. Expressions are lowered by `rules.batch.lower`.

Performance notes (bench/batch.py): every intermediate is a column computed once (definitions,
one in-force column per distinct window, per provision "applies" / "may apply", per overridden
provision its present / certain flags); enum facts stay polars `Enum` (small integers) up to
the output; `years_between` is a lookup in a 400-year calendar table, not date-part extraction;
statuses are table lookups; lists of literal values (deciding provisions, literal conclusion
values) are built eight items per table lookup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from rules.batch.decide import Decider
from rules.batch.exprs import (
    BAD,
    CONCLUSION_STATUSES,
    PARSE_ERROR,
    REASON,
    ROW,
    STATUSES,
    any_of,
    derived_column,
    flag_rows,
    join_reasons,
    require_polars,
)
from rules.batch.lower import PolarsLowering, literal
from rules.language import core
from rules.language.ruleset import Fact, Inference, RuleSet
from rules.semantics.plan import plan_of

if TYPE_CHECKING:
    import polars as pl
    from polars import Expr


class _Steps:
    """Lazy-frame operations recorded once, replayed on any frame of the same schema."""

    def __init__(self) -> None:
        self.ops: list[tuple[str, tuple[Any, ...]]] = []

    def select(self, *args: Any) -> _Steps:
        self.ops.append(("select", args))
        return self

    def with_columns(self, *args: Any) -> _Steps:
        self.ops.append(("with_columns", args))
        return self

    def drop(self, *args: Any) -> _Steps:
        self.ops.append(("drop", args))
        return self

    def replay(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        for verb, args in self.ops:
            lf = getattr(lf, verb)(*args)
        return lf


@dataclass
class BatchPlan:
    """A compiled rule set: `validate` then `decide` a lazy frame of cases."""

    ruleset: RuleSet
    as_of: dt.date | None = None
    actions: tuple[str, ...] = ()
    conclusions: tuple[str, ...] = ()
    presumptions: bool = True

    @cached_property
    def decider(self) -> Decider:
        return Decider(self.ruleset, self.as_of, self.presumptions)

    @cached_property
    def complete_decider(self) -> Decider:
        """The decider for inputs where every fact the rules read is known (`complete`)."""
        return Decider(self.ruleset, self.as_of, self.presumptions, complete=True)

    def complete(self, nulls: Mapping[str, int | None]) -> bool:
        """Whether, given each input column's count of unknown values (None: not known), every
        fact the rules read is known in every row that passes validation: its column has no
        unknown value, or the law presumes it, or it is computed from such facts. (A value
        that fails validation rejects its row, which is then not decided.)"""
        facts = self.ruleset.facts
        presumed = set(self.ruleset.presumptions) if self.presumptions else set()
        governing = self.ruleset.governing_date if self.as_of is not None else None

        def known(path: str) -> bool:
            if path in presumed or path == governing or nulls.get(path, 1) == 0:
                return True
            derivation = facts[path].derivation
            return derivation is not None and all(
                known(p) for p in self.ruleset.facts_read(derivation, derived=False))

        return all(known(path) for path in plan_of(self.ruleset).facts_read)

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
        return PolarsLowering(self.ruleset, inline).lower(e)

    def _lit(self, value: core.Value, typ: core.Type) -> pl.Expr:
        return literal(value, typ)

    def value_expr(self, e: core.Expr) -> pl.Expr:
        """An argument or conclusion value, in its output dtype."""
        return self.expr(e).cast(self.output_dtype(e.type))

    # ---- stage 1: validation -----------------------------------------------------------------

    def validate(self, lf: pl.LazyFrame, keep: Sequence[str] = (),
                 texts: bool = True) -> pl.LazyFrame:
        """Typed fact columns, derived facts, and whether each row is invalid.

        Only the facts the rules read (`DecisionPlan.facts_read`) are typed and checked: the
        column of a fact nothing reads decides nothing, so it is neither cast nor validated
        (every engine does the same). With `texts`, a `__reason` column says why (empty
        string: the row is valid); without, a boolean `__bad` column only flags it, which is
        much cheaper: the runner flags all rows, then explains the (few) flagged ones.
        """
        schema = lf.collect_schema()
        key = (repr(list(schema.items())), tuple(keep), texts)
        steps = self._validations.get(key)
        if steps is None:   # built once per input schema: building costs a millisecond
            steps = self._validations[key] = self._validation_steps(schema, keep, texts)
        return steps.replay(lf)

    @cached_property
    def _validations(self) -> dict[tuple[str, tuple[str, ...], bool], _Steps]:
        return {}

    def _validation_steps(self, schema: pl.Schema, keep: Sequence[str], texts: bool) -> _Steps:
        import polars as pl
        typed: list[pl.Expr] = []
        problems: list[tuple[pl.Expr, pl.Expr]] = []
        read = plan_of(self.ruleset).facts_read
        for path, fact in self.ruleset.facts.items():
            if path not in read:
                continue
            value, found = _coerce(self, fact, schema.get(path))
            typed.append(value.alias(path))
            problems.extend(found)
        reserved = {ROW, REASON, BAD, PARSE_ERROR, *keep}
        for column in schema.names():
            if column not in self.ruleset.facts and column not in reserved:
                problems.append((pl.col(column).is_not_null(),
                                 pl.lit(f"{column}: unknown field")))
        if PARSE_ERROR in schema.names():
            problems.append((pl.col(PARSE_ERROR).is_not_null(), pl.col(PARSE_ERROR)))
        carried = [pl.col(c) for c in (ROW, *keep)
                   if c in schema.names() and c not in self.ruleset.facts]
        out = _Steps().select([*carried, *typed, flag_rows(problems, texts)])
        for fact in plan_of(self.ruleset).derivation_order:
            assert fact.derivation is not None
            if fact.path not in read:
                continue
            computed = self.expr(fact.derivation, inline=True).alias(derived_column(fact.path))
            out = out.with_columns(computed).with_columns(*self._derive(fact, texts)) \
                .drop(derived_column(fact.path))
        return self._infer(out, texts)

    def _infer(self, lf: _Steps, texts: bool) -> _Steps:
        """Inferences to their fixpoint, then the rows whose facts contradict each other (an
        inference against a stated fact or another inference, a broken constraint) flagged,
        as the interpreter's case loader rejects them (`rules.cases.inference`)."""
        import polars as pl
        ruleset = self.ruleset
        if not ruleset.inferences and not ruleset.constraints:
            return lf
        for stage in plan_of(ruleset).inference_stages:   # (`InferenceStage`)
            inferred = [self._inferred(fact, group) for fact, group in stage.by_fact.items()]
            for _ in range(stage.rounds):
                lf = lf.with_columns(inferred)
        problems: list[tuple[pl.Expr, pl.Expr]] = []
        for inference in ruleset.inferences:
            condition = self.expr(inference.condition, inline=True).fill_null(False)
            value = self._lit(inference.value, ruleset.facts[inference.fact].type)
            clash = condition & (pl.col(inference.fact) != value).fill_null(False)
            basis = ", ".join(c.short for c in inference.sources)
            problems.append((clash, pl.lit(f"{inference.fact}: the facts contradict each "
                                           f"other ({inference.text}: {basis})")))
        for constraint in ruleset.constraints:
            broken = (self.expr(constraint.expr, inline=True) == pl.lit(False)).fill_null(False)
            first = next(iter(constraint.facts), "(case)")
            problems.append((broken, pl.lit(f"{first}: the facts contradict each other: "
                                            f"{constraint.title}")))
        if texts:
            merged = join_reasons([pl.col(REASON).replace("", None),
                                   *[pl.when(c).then(r) for c, r in problems]]).alias(REASON)
        else:
            merged = (pl.col(BAD) | any_of([c for c, _ in problems])).alias(BAD)
        return lf.with_columns(merged)

    def _inferred(self, fact: str, inferences: Sequence[Inference]) -> pl.Expr:
        """A fact after its inferences: where unknown, the value of the first whose condition
        holds."""
        import polars as pl
        typ = self.ruleset.facts[fact].type
        out = pl.col(fact)
        for inference in reversed(inferences):
            condition = self.expr(inference.condition, inline=True).fill_null(False)
            out = pl.when(pl.col(fact).is_null() & condition) \
                .then(self._lit(inference.value, typ)).otherwise(out)
        return out.alias(fact)

    def _derive(self, fact: Fact, texts: bool) -> list[pl.Expr]:
        import polars as pl
        assert fact.derivation is not None
        computed = pl.col(derived_column(fact.path))
        stated = pl.col(fact.path)
        mismatch = (stated.is_not_null() & computed.is_not_null() & (stated != computed))
        out_of_range = []
        if fact.low is not None:
            out_of_range.append(computed < self._lit(fact.low, fact.type))
        if fact.high is not None:
            out_of_range.append(computed > self._lit(fact.high, fact.type))
        outside = any_of(out_of_range).fill_null(False) & ~mismatch.fill_null(False)
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
            flag = join_reasons([pl.col(REASON).replace("", None), reason]).alias(REASON)
        else:
            flag = (pl.col(BAD) | mismatch.fill_null(False) | outside).alias(BAD)
        return [value.cast(self.fact_dtype(fact)).alias(fact.path), flag]

    # ---- stage 2: decision -------------------------------------------------------------------

    def decide(self, lf: pl.LazyFrame, keep: Sequence[str] = (),
               provisions: bool = True, statuses_only: bool = False,
               complete: bool = False) -> pl.LazyFrame:
        """Result columns for valid, typed cases (the output of `validate`, filtered).

        `statuses_only` keeps the action and conclusion statuses (what a summary needs) and
        leaves out arguments, values and provisions. `complete` (see `complete`) says every
        fact read is known in every valid row: a smaller plan, the same results.
        """
        import polars as pl
        decider = self.complete_decider if complete else self.decider
        lf = decider.flag_frame(lf)
        schema = lf.collect_schema()
        outputs: list[pl.Expr] = [pl.col(c) for c in (ROW, *keep) if c in schema.names()]
        stage = decider.columns(provisions, schema)
        if statuses_only:
            wanted = {*self.actions, *(f"{c}.status" for c in self.conclusions)}
            stage = [e for e in stage if e.meta.output_name() in wanted]
        return lf.select([*outputs, *stage])


def _coerce(plan: BatchPlan, fact: Fact, dtype: pl.DataType | None) -> tuple[
        pl.Expr, list[tuple[pl.Expr, pl.Expr]]]:
    """A raw column as the fact's type, and the reasons a row's value is invalid.

    The same grammar as the interpreter's (`cases.values`, docs/INPUT.md): typed columns are
    read by their type (an integer from any integer column within 64 bits, or a float column
    holding a whole, finite number), text columns by the text grammar (`true`/`false`,
    `-?[0-9]+`, `YYYY-MM-DD`, exactly, nothing trimmed); any other column type (lists, binary,
    structs, datetimes...) is a rejected value in every row that gives one.
    """
    import polars as pl

    from rules.cases.values import (
        DATE_TEXT,
        EXPECT_BOOLEAN,
        EXPECT_DATE,
        EXPECT_INTEGER,
        INTEGER_TEXT,
        OUT_OF_RANGE,
    )
    path = fact.path
    target = plan.fact_dtype(fact)
    if dtype is None or dtype == pl.Null:
        return pl.lit(None, target), []
    raw = pl.col(path)
    kind = fact.type.kind
    given = raw.is_not_null()
    reasons: list[tuple[Expr, Expr]] = []
    is_text = dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))
    shown = _shown(raw, dtype)

    def bad(condition: Expr, text: str, with_value: bool = True) -> None:
        parts = [pl.lit(f"{path}: {text}")]
        if with_value:
            parts += [pl.lit(", got "), shown]
        reasons.append((condition.fill_null(False), pl.concat_str(parts)))

    native = False
    if kind == "integer":
        if dtype.is_integer():
            # kept as it is (Int8 ages stay Int8): comparisons need no wider copy, and the
            # lowering widens before arithmetic; every signed or narrower column fits 64 bits,
            # so only UInt64 needs a range check
            native = dtype != pl.UInt64
            if native:
                value = raw
            else:
                value = raw.cast(pl.Int64, strict=False)
                bad(given & value.is_null(), OUT_OF_RANGE)
        elif dtype.is_float():
            whole = raw.is_finite() & (raw == raw.floor())
            fits = (raw >= float(-(2**63))) & (raw < float(2**63))
            value = pl.when(whole & fits).then(raw.cast(pl.Int64, strict=False))
            bad(given & ~whole.fill_null(False), EXPECT_INTEGER)
            bad(given & whole.fill_null(False) & ~fits.fill_null(False), OUT_OF_RANGE)
        elif is_text:
            text = raw.cast(pl.String)
            shaped = text.str.contains(INTEGER_TEXT)
            value = pl.when(shaped).then(text.cast(pl.Int64, strict=False))
            bad(given & ~shaped.fill_null(False), EXPECT_INTEGER)
            bad(given & shaped.fill_null(False) & value.is_null(), OUT_OF_RANGE)
        else:
            value = pl.lit(None, pl.Int64)
            bad(given, EXPECT_INTEGER)
    elif kind == "boolean":
        if dtype == pl.Boolean:
            value = raw
        elif is_text:
            word = raw.cast(pl.String)
            value = pl.when(word == "true").then(pl.lit(True)) \
                .when(word == "false").then(pl.lit(False)).otherwise(pl.lit(None, pl.Boolean))
            bad(given & value.is_null(), EXPECT_BOOLEAN)
        else:
            value = pl.lit(None, pl.Boolean)
            bad(given, EXPECT_BOOLEAN)
    elif kind == "date":
        if dtype == pl.Date:
            value = raw
        elif is_text:
            text = raw.cast(pl.String)
            shape = text.str.contains(DATE_TEXT)
            value = pl.when(shape).then(text.str.to_date("%Y-%m-%d", strict=False))
            bad(given & value.is_null(), EXPECT_DATE)
        else:
            value = pl.lit(None, pl.Date)
            bad(given, EXPECT_DATE)
    elif kind == "enum":
        if dtype == target:
            value = raw
        elif is_text:
            # every way a user writes a value, as `ruleset.vocabulary.resolve` reads it
            value = raw.cast(pl.String).map_batches(
                enum_resolver(plan.ruleset.vocabulary.names(fact.type), target),
                return_dtype=target, is_elementwise=True)
            bad(given & value.is_null(),
                f"unknown value; expected one of {', '.join(fact.type.values)}")
        else:
            value = pl.lit(None, target)
            bad(given, f"expected one of {', '.join(fact.type.values)}")
    else:
        if isinstance(dtype, pl.Enum):
            # a categorical column stays categorical; its labels are checked once, here
            native, value = True, raw
            if "" in dtype.categories:
                bad(raw == "", "should have at least 1 character", with_value=False)
        elif is_text:
            value = raw.cast(pl.String)
            bad(value == "", "should have at least 1 character", with_value=False)
        else:
            value = pl.lit(None, pl.String)
            bad(given, "expected text")
    if fact.low is not None:
        bad(value < plan._lit(fact.low, fact.type), f"must be at least {fact.low}")
    if fact.high is not None:
        bad(value > plan._lit(fact.high, fact.type), f"must be at most {fact.high}")
    return (value if native else value.cast(target)), reasons


def _shown(raw: Expr, dtype: pl.DataType) -> Expr:
    """A raw value in a reason: its text (cut at 60 characters), or its type when it has
    none (a list, binary data, a struct)."""
    import polars as pl

    if dtype.is_nested() or dtype == pl.Binary or dtype == pl.Object:
        return pl.lit(f"a {str(dtype).split('(')[0].lower()}")
    text = raw.cast(pl.String, strict=False)
    if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return pl.concat_str([pl.lit("'"), text.str.slice(0, 60), pl.lit("'")])
    return text


def enum_resolver(names: Mapping[str, str],
                  target: pl.DataType) -> Callable[[pl.Series], pl.Series]:
    """Text as enum codes, every spelling read as `ruleset.vocabulary.resolve` reads it.

    Each distinct text is normalised once, by the Python function itself
    (`rules.language.spelling.normalize`), and the column is then mapped by hash: a column has
    few distinct values, so this is about ten times faster than normalising every row with
    string expressions, and there is one normalisation to keep right, not two.
    """
    import polars as pl

    from rules.language.spelling import normalize

    def resolve(column: pl.Series) -> pl.Series:
        distinct = column.unique().drop_nulls().to_list()
        codes = [names.get(normalize(text)) for text in distinct]
        return column.replace_strict(distinct, codes, default=None,
                                     return_dtype=pl.String).cast(target)
    return resolve


def compile_batch(ruleset: RuleSet, as_of: dt.date | str | None = None,
                  presumptions: bool = True) -> BatchPlan:
    """Compile a checked rule set for the batch back end (needs polars); without
    `presumptions`, facts the law presumes stay unknown when absent (`--strict`)."""
    from rules.interpreter.evaluator import parse_as_of

    require_polars()
    return BatchPlan(ruleset, parse_as_of(as_of), tuple(ruleset.actions),
                     tuple(ruleset.conclusions), presumptions)
