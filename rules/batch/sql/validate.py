"""Raw input columns -> typed facts, derived facts, and why a row is rejected, in SQL.

The same rules and the same reason texts as the polars validation
(`rules.batch.polars_plan.BatchPlan.validate`): a value of the wrong type, out of the declared
range, not a value of its enum, empty text, an unknown field, a line that is not a JSON object, a
stated derived fact that disagrees with its derivation or a derivation out of range. Values are
read by the one value grammar (`rules.cases.values`, docs/INPUT.md) that the interpreter and the
polars plan follow, never by the engine's own lenient casts (DuckDB reads `'12.5'` as the integer
13, `' 10'` as 10 and `'TRUE'` as true): text cells exactly (`true`/`false`, `-?[0-9]+`,
`YYYY-MM-DD` and a real date, nothing trimmed; `_INTEGER`, `_DATE` below are the same patterns
with `\\z`, which ends the text in RE2 and Java alike where `$` lets Java accept a final newline);
integers within 64 bits (an unsigned or wider column beyond it is out of range); a float column
only with whole, finite values (NaN and Infinity refused).

Only the facts the rules read are typed (`needed`); a column that is present but unread is
only checked for being a known field, as in the polars plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rules.batch.sql.lower import (
    SqlLowering,
    any_of,
    cast,
    col,
    concat_ws,
    is_not_null,
    literal,
    negate,
    null,
    sql_type,
    text,
    true_or_false,
    try_cast,
    when,
)
from rules.cases.read import PARSE_ERROR
from rules.language import core
from rules.language.ruleset import Fact, RuleSet

if TYPE_CHECKING:
    from sqlglot import exp

REASON = "__reason"
_INTEGER = r"^-?[0-9]+\z"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\z"
_INT64_BOUND = "9.223372036854775808E18"          # 2**63 as a DOUBLE literal
_DOUBLE_MAX = "1.7976931348623157E308"

# The kinds of source column the validation distinguishes (an engine maps its schema to these).
SOURCE_KINDS = ("text", "integer", "float", "boolean", "date", "null", "other")

Problem = tuple["exp.Expression", "exp.Expression"]   # (row is bad, reason text)


def _matches(value: exp.Expression, pattern: str) -> exp.Expression:
    from sqlglot import exp

    return exp.RegexpLike(this=value, expression=text(pattern))


def _raw_text(path: str) -> exp.Expression:
    return cast(col(path), "VARCHAR")


def _shown(path: str, source: str) -> exp.Expression:
    """A raw value in a reason, as the polars plan shows it (`polars_plan._shown`): text quoted
    and cut at 60 characters, other values as text."""
    from sqlglot import exp

    if source != "text":
        return _raw_text(path)
    cut = exp.Substring(this=_raw_text(path), start=exp.Literal.number(1),
                        length=exp.Literal.number(60))
    return exp.Anonymous(this="CONCAT", expressions=[text("'"), cut, text("'")])


def _double(value: str) -> exp.Expression:
    from sqlglot import exp

    return exp.Literal.number(value)


class Validation:
    """Builds the typing and rejection stages of one rule set over one input schema."""

    def __init__(self, ruleset: RuleSet, sources: dict[str, str], needed: set[str],
                 keep: Sequence[str] = (), reserved: Sequence[str] = ()):
        self.ruleset = ruleset
        self.sources = sources        # input column -> one of SOURCE_KINDS
        self.needed = needed          # the facts the decision reads (typed and checked)
        self.keep = tuple(keep)
        self.reserved = {*reserved, REASON, PARSE_ERROR, *keep}

    # ---- one fact ------------------------------------------------------------------------------

    def coerce(self, fact: Fact) -> tuple[exp.Expression, list[Problem]]:
        """A raw column as the fact's type, and the reasons a row's value is invalid."""
        path = fact.path
        source = self.sources.get(path, "null")
        target = sql_type(fact.type)
        if source == "null":
            return null(target), []
        raw = col(path)
        problems: list[Problem] = []

        def bad(condition: exp.Expression, message: str, with_value: bool = True) -> None:
            parts = [text(f"{path}: {message}")]
            if with_value:
                parts += [text(", got "), _shown(path, source)]
            problems.append((true_or_false(condition, False), concat_ws("", parts)))

        from sqlglot import exp

        from rules.cases.values import EXPECT_BOOLEAN, EXPECT_DATE, EXPECT_INTEGER, OUT_OF_RANGE

        given = is_not_null(col(path))
        kind = fact.type.kind
        value: exp.Expression
        if kind == "integer":
            if source == "integer":
                # a signed column of 64 bits or fewer always fits; an unsigned 64-bit or a wider
                # one may not (TRY_CAST: NULL, never a failed query)
                value = try_cast(raw, "BIGINT")
                bad(_and(given, _null(value)), OUT_OF_RANGE)
            elif source == "float":
                # NaN compares above every number (DuckDB, Spark), so the bounds refuse it too
                finite = _and(exp.GTE(this=col(path), expression=exp.Neg(this=_double(
                    _DOUBLE_MAX))), exp.LTE(this=col(path), expression=_double(_DOUBLE_MAX)))
                fits = _and(exp.GTE(this=col(path), expression=exp.Neg(this=_double(
                    _INT64_BOUND))), exp.LT(this=col(path), expression=_double(_INT64_BOUND)))
                # FLOOR only where the value fits: Spark's FLOOR gives a BIGINT, and in ANSI
                # mode a double beyond it stops the whole query instead of rejecting the row
                whole = when([(true_or_false(fits.copy(), False), true_or_false(exp.EQ(
                    this=exp.Floor(this=col(path)), expression=col(path)), False))],
                    literal(False, core.BOOLEAN))
                value = when([(whole.copy(), try_cast(col(path), "BIGINT"))])
                # beyond 2**63 every finite double is whole: out of range, as in polars
                outside = _and(true_or_false(finite.copy(), False),
                               negate(true_or_false(fits, False)))
                bad(_and(given.copy(), _and(negate(whole), negate(outside.copy()))),
                    EXPECT_INTEGER)
                bad(_and(given, outside), OUT_OF_RANGE)
            elif source == "text":
                shaped = true_or_false(_matches(_raw_text(path), _INTEGER), False)
                value = when([(shaped.copy(), try_cast(_raw_text(path), "BIGINT"))])
                bad(_and(given.copy(), negate(shaped.copy())), EXPECT_INTEGER)
                bad(_and(_and(given, shaped), _null(value)), OUT_OF_RANGE)
            else:
                value = null("BIGINT")
                bad(given, EXPECT_INTEGER)
        elif kind == "boolean":
            if source == "boolean":
                value = raw
            elif source == "text":
                word = _raw_text(path)
                value = when([(exp.EQ(this=word, expression=text("true")), literal(True,
                                                                                   core.BOOLEAN)),
                              (exp.EQ(this=word.copy(), expression=text("false")),
                               literal(False, core.BOOLEAN))], null("BOOLEAN"))
                bad(_and(given, _null(value)), EXPECT_BOOLEAN)
            else:
                value = null("BOOLEAN")
                bad(given, EXPECT_BOOLEAN)
        elif kind == "date":
            if source == "date":
                value = raw
            elif source == "text":
                value = when([(_matches(_raw_text(path), _DATE),
                               try_cast(_raw_text(path), "DATE"))])
                bad(_and(given, _null(value)), EXPECT_DATE)
            else:
                value = null("DATE")
                bad(given, EXPECT_DATE)
        elif kind == "enum":
            values = ", ".join(fact.type.values)
            if source == "text":
                # every way a user writes a value (labels, aliases, spellings), as
                # `ruleset.vocabulary.resolve` and the polars plan read it
                names = self.ruleset.vocabulary.names(fact.type)
                by_value: dict[str, list[str]] = {}
                for name, resolved in names.items():
                    by_value.setdefault(resolved, []).append(name)
                from sqlglot import exp
                value = when([(exp.In(this=_normalized(path), expressions=[
                    text(n) for n in spellings]), text(resolved))
                    for resolved, spellings in by_value.items()])
                bad(_and(given, _null(value)), f"unknown value; expected one of {values}")
            else:
                value = null("VARCHAR")
                bad(given, f"expected one of {values}")
        else:
            if source == "text":
                from sqlglot import exp
                value = _raw_text(path)
                bad(exp.EQ(this=_raw_text(path), expression=text("")),
                    "should have at least 1 character", with_value=False)
            else:
                value = null("VARCHAR")
                bad(given, "expected text")
        if fact.low is not None:
            bad(_compare("LT", value, literal(fact.low, fact.type)),
                f"must be at least {fact.low}")
        if fact.high is not None:
            bad(_compare("GT", value, literal(fact.high, fact.type)),
                f"must be at most {fact.high}")
        return value, problems

    # ---- the stages ----------------------------------------------------------------------------

    def carried(self) -> list[str]:
        """Input columns carried through to results and rejects (`row`, kept columns)."""
        return [c for c in ("row", *self.keep)
                if c in self.sources and c not in self.ruleset.facts]

    def typed_stage(self) -> list[tuple[str, exp.Expression]]:
        """`row`, kept columns, the typed facts the rules read, and `__reason`."""
        columns: list[tuple[str, exp.Expression]] = [(c, col(c)) for c in self.carried()]
        problems: list[Problem] = []
        for path, fact in self.ruleset.facts.items():
            if path in self.needed:
                value, found = self.coerce(fact)
                columns.append((path, value))
                problems.extend(found)
            elif path in self.sources:
                # present but unread: its value decides nothing, so it is not typed (nor
                # checked beyond being a known field), as in the polars plan
                pass
        for column in self.sources:
            if column not in self.ruleset.facts and column not in self.reserved:
                problems.append((is_not_null(col(column)),
                                 text(f"{column}: unknown field")))
        if PARSE_ERROR in self.sources:
            problems.append((is_not_null(col(PARSE_ERROR)), col(PARSE_ERROR)))
        reason = concat_ws("; ", [when([(c, t)]) for c, t in problems])
        columns.append((REASON, reason))
        return columns

    def derived_stages(self, columns: list[str]) -> list[list[tuple[str, exp.Expression]]]:
        """Per derived fact (in derivation order) two stages: compute it, then check the stated
        value against it and keep the computed one."""
        from rules.semantics.plan import plan_of

        stages: list[list[tuple[str, exp.Expression]]] = []
        lowering = SqlLowering(self.ruleset, inline=True)
        for fact in plan_of(self.ruleset).derivation_order:
            assert fact.derivation is not None
            if fact.path not in self.needed:
                continue
            computed_name = f"__derived.{fact.path}"
            stages.append([*((c, col(c)) for c in columns),
                           (computed_name, lowering.lower(fact.derivation))])
            stages.append(self._derive(fact, computed_name, columns))
        return stages

    def inference_stages(self, columns: list[str]) -> list[list[tuple[str, exp.Expression]]]:
        """Inferences to their fixpoint (a fact left unknown takes the value the law draws when
        the condition holds on the stated facts: stage by stage, `InferenceStage`), then the
        rows whose facts contradict each other flagged, as the polars plan and the
        interpreter's case loader do (`rules.cases.inference`)."""
        from sqlglot import exp

        ruleset = self.ruleset
        if not ruleset.inferences and not ruleset.constraints:
            return []
        from rules.semantics.plan import plan_of

        lowering = SqlLowering(ruleset, inline=True)
        stages: list[list[tuple[str, exp.Expression]]] = []
        for inference_stage in plan_of(ruleset).inference_stages:   # (`InferenceStage`)
            by_fact = inference_stage.by_fact
            for _ in range(inference_stage.rounds):
                stage: list[tuple[str, exp.Expression]] = []
                for c in columns:
                    if c in by_fact:
                        fact = ruleset.facts[c]
                        branches = [(_and(exp.Is(this=col(c), expression=exp.Null()),
                                          true_or_false(lowering.lower(i.condition), False)),
                                     literal(i.value, fact.type)) for i in by_fact[c]]
                        stage.append((c, cast(when(branches, col(c)), sql_type(fact.type))))
                    else:
                        stage.append((c, col(c)))
                stages.append(stage)
        problems: list[exp.Expression] = []
        for inference in ruleset.inferences:
            fact = ruleset.facts[inference.fact]
            clash = _and(true_or_false(lowering.lower(inference.condition), False),
                         true_or_false(exp.NEQ(this=col(inference.fact),
                                               expression=literal(inference.value, fact.type)),
                                       False))
            basis = ", ".join(c.short for c in inference.sources)
            problems.append(when([(clash, text(f"{inference.fact}: the facts contradict each "
                                              f"other ({inference.text}: {basis})"))]))
        for constraint in ruleset.constraints:
            broken = true_or_false(exp.EQ(this=exp.Paren(this=lowering.lower(constraint.expr)),
                                          expression=literal(False, core.BOOLEAN)), False)
            first = next(iter(constraint.facts), "(case)")
            problems.append(when([(broken, text(f"{first}: the facts contradict each other: "
                                               f"{constraint.title}"))]))
        reason = concat_ws("; ", [exp.Nullif(this=col(REASON), expression=text("")), *problems])
        stages.append([(c, reason if c == REASON else col(c)) for c in columns])
        return stages

    def _derive(self, fact: Fact, computed_name: str, columns: list[str]
                ) -> list[tuple[str, exp.Expression]]:
        from sqlglot import exp

        computed, stated = col(computed_name), col(fact.path)
        mismatch = true_or_false(_and(_and(is_not_null(stated), is_not_null(col(computed_name))),
                                      exp.NEQ(this=col(fact.path),
                                              expression=col(computed_name))), False)
        out_of_range = []
        if fact.low is not None:
            out_of_range.append(_compare("LT", col(computed_name),
                                         literal(fact.low, fact.type)))
        if fact.high is not None:
            out_of_range.append(_compare("GT", col(computed_name),
                                         literal(fact.high, fact.type)))
        outside = _and(true_or_false(any_of(out_of_range), False), negate(mismatch.copy()))
        inputs = ", ".join(sorted(core.fact_paths(fact.derivation)))  # type: ignore[arg-type]
        mismatch_text = concat_ws("", [text(f"{fact.path}: is "), cast(col(fact.path), "VARCHAR"),
                                       text(", but the facts it is computed from give "),
                                       cast(col(computed_name), "VARCHAR")])
        outside_text = concat_ws("", [text(f"{fact.path}: computes to "),
                                      cast(col(computed_name), "VARCHAR"),
                                      text(f", outside {fact.low}..{fact.high} (check {inputs})")])
        value = when([(_and(_and(is_not_null(computed), negate(mismatch.copy())),
                            negate(outside.copy())), col(computed_name))], stated)
        reason = concat_ws("; ", [exp.Nullif(this=col(REASON), expression=text("")),
                                  when([(mismatch, mismatch_text), (outside, outside_text)])])
        out: list[tuple[str, exp.Expression]] = []
        for c in columns:
            if c == fact.path:
                out.append((c, cast(value, sql_type(fact.type))))
            elif c == REASON:
                out.append((c, reason))
            else:
                out.append((c, col(c)))
        return out


def _normalized(path: str) -> exp.Expression:
    """`rules.language.spelling.normalize` in SQL (lower case, ё as е, quotes dropped, runs of
    separators one space, trimmed; Unicode NFC is left to the input)."""
    from sqlglot import exp

    from rules.language.spelling import QUOTES, SEPARATORS

    lowered = exp.Anonymous(this="REPLACE", expressions=[exp.Lower(this=_raw_text(path)),
                                                        text("ё"), text("е")])
    quotes = "[" + "".join("\\" + q if q in "\\[]^-" else q for q in QUOTES) + "]"
    unquoted = exp.RegexpReplace(this=lowered, expression=text(quotes), replacement=text(""),
                                 modifiers=text("g"))
    spaced = exp.RegexpReplace(this=unquoted, expression=text(SEPARATORS),
                               replacement=text(" "), modifiers=text("g"))
    return exp.Trim(this=spaced)


def _and(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.And(this=exp.Paren(this=a), expression=exp.Paren(this=b))


def _null(value: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.Is(this=exp.Paren(this=value.copy()), expression=exp.Null())


def _compare(op: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    kind: Any = getattr(exp, op)
    result: exp.Expression = kind(this=exp.Paren(this=a.copy()), expression=b)
    return result


__all__ = ["PARSE_ERROR", "REASON", "SOURCE_KINDS", "Validation"]
