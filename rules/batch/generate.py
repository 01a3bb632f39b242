"""Synthetic cases over a rule set's fact vocabulary, vectorised (numpy + polars), seeded.

One row a case, one column a fact path (`victim.age`), a null an unknown fact: the table the batch
back end reads. The distributions below are invented but plausible for case files of the
child-safety bill; facts of other rule sets fall back to the generic distribution of their type.

Generic (any fact, by type), unless a specific distribution below applies:
* every fact is unknown (null) in 10% of the rows;
* booleans are true with probability 0.3;
* integers are uniform over the declared range (0..100 when unbounded);
* enums are uniform over their values; text is one of 20 district-like names;
* dates: 75% uniform over 2020-01-01..2026-12-31, 25% within +-7 days of a date the rule set
  names (entry into force, an end of force, a date literal), so the cut-offs are exercised.

The bill's facts (specific distributions):
* `offence.date`: as above, unknown in 3% of the rows;
* `offence.kind`: weights in `_KIND_WEIGHTS` (battery, family-domestic acts, bullying and neglect
  common; murder, torture, kidnapping rare), unknown in 2%;
* victim's age: 80% minors (uniform 0..17), 20% adults (18..60); the case states the birth date
  only (55%), the age only (20%), both, consistent (15%), or neither (10%); a birth date is
  computed so that the stated age is the age on the offence date;
* offender's age: 12% 10..13, 23% 14..17, 65% 18..70; stated like the victim's;
* `offender.relation`: weights in `_RELATION_WEIGHTS`, unknown in 5%;
* `place.region`: weighted toward the three cities (Almaty 14%, Astana 10%, Shymkent 8%), unknown
  in 2%; `place.district`: one of 20 names, unknown in 10%;
* booleans: the probabilities of being true in `_BOOLEAN_TRUE`, each unknown in 15%;
* `offender.last_reconciliation_date` / `last_sanction_date`: given only when the matching prior
  fact is true, 30..900 days before the offence.

`invalid_share` > 0 corrupts that share of rows (one fault each: an age out of range, a stated age
that disagrees with the birth date, an unknown enum value, a malformed date), for testing the
rejects path; those rows carry text columns so a bad value can be represented.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rules.language import core
from rules.language.ruleset import RuleSet

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

_EPOCH = dt.date(1970, 1, 1)
_START = dt.date(2020, 1, 1)
_END = dt.date(2026, 12, 31)

_KIND_WEIGHTS = {
    "battery": 18, "minor_harm": 8, "moderate_harm": 5, "grave_harm": 3, "murder": 1,
    "torment": 3, "rape": 2, "violent_sexual_act": 2, "sexual_act_with_under_16": 2,
    "corruption_of_young_children": 1, "sexual_harassment": 2, "suicide_incitement": 1,
    "kidnapping": 1, "unlawful_deprivation_of_liberty": 1, "torture": 1, "cruel_upbringing": 4,
    "failure_to_protect": 2, "family_domestic_act": 10, "bullying": 12, "cyberbullying": 8,
    "failure_to_report": 2, "removal_from_transport": 2, "parental_neglect": 9,
}
_RELATION_WEIGHTS = {
    "parent": 20, "step_parent": 6, "guardian": 3, "relative": 10, "spouse": 5, "teacher": 6,
    "peer": 25, "stranger": 18, "official": 2, "other": 5,
}
_REGION_WEIGHTS = {"almaty": 14, "astana": 10, "shymkent": 8}   # the rest share the remainder
_BOOLEAN_TRUE = {
    "offence.systematic": 0.3, "offence.online": 0.15, "offender.lagging_development": 0.05,
    "offender.first_offence": 0.7, "parties.reconciled": 0.3, "harm.compensated": 0.3,
    "offence.death_caused": 0.03, "offence.grave_harm_caused": 0.08, "offence.cruelty": 0.1,
    "offender.prior_reconciliation": 0.1, "offender.reconciliation_limitation_running": 0.5,
    "offender.prior_sanction": 0.15, "offender.staff_role": 0.05, "offender.official": 0.03,
    "victim.unaccompanied": 0.05,
}
DISTRICTS = ("Yesil", "Saryarka", "Almaly", "Bostandyk", "Medeu", "Al-Farabi", "Kazybek Bi",
             "Abay", "Turan", "Enbekshi", "Auezov", "Zhetysu", "Nauryzbay", "Alatau", "Baikonur",
             "Karatau", "Abai", "Nura", "Kaskelen", "Talgar")


def _days(date: dt.date) -> int:
    return (date - _EPOCH).days


def _cutoffs(ruleset: RuleSet) -> list[int]:
    dates: set[dt.date] = set()
    for p in ruleset.provisions:
        dates.add(p.start)
        if p.end is not None:
            dates.add(p.end)
    stack: list[core.Expr] = [d.expr for d in ruleset.definitions.values()]
    stack += [c.expr for p in ruleset.provisions for c in p.conditions]
    while stack:
        e = stack.pop()
        if isinstance(e, core.Lit) and isinstance(e.value, dt.date):
            dates.add(e.value)
        stack.extend(core.children(e))
    return sorted(_days(d) for d in dates if _START <= d <= _END) or [_days(dt.date(2024, 6, 16))]


def _mask(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    return rng.random(n) < share


def _dates(rng: np.random.Generator, n: int, cutoffs: list[int]) -> np.ndarray:
    import numpy as np

    uniform = rng.integers(_days(_START), _days(_END) + 1, n)
    near = np.asarray(cutoffs)[rng.integers(0, len(cutoffs), n)] + rng.integers(-7, 8, n)
    return np.where(rng.random(n) < 0.25, near, uniform)


def _choice(rng: np.random.Generator, values: tuple[str, ...], n: int,
            weights: dict[str, float] | None = None) -> np.ndarray:
    import numpy as np

    if weights:
        known = [weights.get(v, 0.0) for v in values]
        rest = max(0.0, 100.0 - sum(known)) if len(weights) < len(values) else 0.0
        unweighted = [v for v in values if v not in weights]
        p = np.asarray([weights.get(v, rest / max(1, len(unweighted))) for v in values], float)
        p /= p.sum()
    else:
        p = None
    return np.asarray(values, dtype=object)[rng.choice(len(values), n, p=p)]


def generate(ruleset: RuleSet, n: int, seed: int = 0, invalid_share: float = 0.0,
             enum_dtype: bool = False) -> pl.DataFrame:
    """`n` synthetic cases as a DataFrame (columns: fact paths; nulls: unknown facts).

    With `enum_dtype` the enum facts are polars Enum columns (compact, and what the batch back end
    casts text to); otherwise text, as a CSV or a foreign Parquet file would give them.
    """
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    cutoffs = _cutoffs(ruleset)
    columns: dict[str, pl.Series] = {}
    facts = ruleset.facts
    governing = ruleset.governing_date
    offence = _dates(rng, n, cutoffs)
    offence_known = ~_mask(rng, n, 0.03 if governing == "offence.date" else 0.10)
    if governing in facts:
        columns[governing] = _date_series(governing, offence, offence_known)
    values: Any
    for path, fact in facts.items():
        if path in columns or fact.derivation is not None:
            continue
        kind = fact.type.kind
        if path.endswith("birth_date") and _age_fact(ruleset, path):
            continue   # with its age, below
        if kind == "boolean":
            p = _BOOLEAN_TRUE.get(path, 0.3)
            values = rng.random(n) < p
            known = ~_mask(rng, n, 0.15 if path in _BOOLEAN_TRUE else 0.10)
            columns[path] = pl.Series(path, values).set(pl.Series(~known), None)
        elif kind == "enum":
            weights: dict[str, float] | None = None
            unknown = 0.10
            if path == "offence.kind":
                weights, unknown = {k: float(v) for k, v in _KIND_WEIGHTS.items()}, 0.02
            elif path == "offender.relation":
                weights, unknown = {k: float(v) for k, v in _RELATION_WEIGHTS.items()}, 0.05
            elif path == "place.region":
                weights, unknown = {k: float(v) for k, v in _REGION_WEIGHTS.items()}, 0.02
            values = _choice(rng, fact.type.values, n, weights)
            values[_mask(rng, n, unknown)] = None
            columns[path] = pl.Series(path, values.tolist(), dtype=pl.String)
        elif kind == "text":
            values = _choice(rng, DISTRICTS, n)
            values[_mask(rng, n, 0.10)] = None
            columns[path] = pl.Series(path, values.tolist(), dtype=pl.String)
        elif kind == "integer":
            low = fact.low if fact.low is not None else 0
            high = fact.high if fact.high is not None else max(low, 100)
            values = rng.integers(low, high + 1, n)
            columns[path] = pl.Series(path, values).set(pl.Series(_mask(rng, n, 0.10)), None)
        elif kind == "date":
            if path.startswith("offender.last_"):
                prior = ("offender.prior_reconciliation" if "reconciliation" in path
                         else "offender.prior_sanction")
                given = columns[prior].fill_null(False).to_numpy() if prior in columns else \
                    _mask(rng, n, 0.1)
                values = offence - rng.integers(30, 901, n)
                columns[path] = _date_series(path, values, given & offence_known)
            else:
                columns[path] = _date_series(path, _dates(rng, n, cutoffs),
                                             ~_mask(rng, n, 0.10))
    _ages(ruleset, rng, n, offence, offence_known, columns)
    frame = _consistent(ruleset, pl.DataFrame([columns[p] for p in facts if p in columns]))
    if invalid_share > 0:
        frame = _corrupt(ruleset, frame, rng, invalid_share)
    elif enum_dtype:
        frame = frame.with_columns([pl.col(p).cast(pl.Enum(list(f.type.values)))
                                    for p, f in facts.items()
                                    if f.type.kind == "enum" and p in frame.columns])
    return frame


def _consistent(ruleset: RuleSet, frame: pl.DataFrame) -> pl.DataFrame:
    """Leave out the facts that contradict each other in a generated row: the facts a broken
    constraint reads, and a fact an inference draws otherwise (the inference then sets it)."""
    import polars as pl

    from rules.batch.lower import PolarsLowering, literal
    from rules.semantics.plan import plan_of

    lower = PolarsLowering(ruleset, inline=True).lower
    missing = [pl.lit(None, pl.Null).alias(f) for f in ruleset.facts if f not in frame.columns]

    def inferred(rows: pl.DataFrame) -> pl.DataFrame:
        probe = rows.with_columns(missing)
        for stage in plan_of(ruleset).inference_stages:
            for _ in range(stage.rounds):
                for inference in stage.inferences:
                    value = literal(inference.value, ruleset.facts[inference.fact].type)
                    probe = probe.with_columns(
                        pl.when(pl.col(inference.fact).is_null()
                                & lower(inference.condition).fill_null(False))
                        .then(value).otherwise(pl.col(inference.fact)).alias(inference.fact))
        return probe

    for _ in range(len(ruleset.inferences) + 1):
        probe = inferred(frame)
        clashes = {}
        for inference in ruleset.inferences:
            if inference.fact not in frame.columns:
                continue
            value = literal(inference.value, ruleset.facts[inference.fact].type)
            clash = probe.select(lower(inference.condition).fill_null(False)
                                 & (pl.col(inference.fact) != value).fill_null(False)).to_series()
            if clash.any():
                clashes[inference.fact] = clash
        if not clashes:
            break
        frame = frame.with_columns([pl.when(c).then(None).otherwise(pl.col(f)).alias(f)
                                    for f, c in clashes.items()])
    probe = inferred(frame)
    for constraint in ruleset.constraints:
        reads = [f for f in constraint.facts if f in frame.columns]
        broken = probe.select((lower(constraint.expr) == pl.lit(False)).fill_null(False)) \
            .to_series()
        if reads and broken.any():
            frame = frame.with_columns([pl.when(broken).then(None).otherwise(pl.col(f)).alias(f)
                                        for f in reads])
    return frame


def _age_fact(ruleset: RuleSet, birth: str) -> Any:
    for fact in ruleset.facts.values():
        if fact.derivation is not None and isinstance(fact.derivation, core.Call) and \
                fact.derivation.function == "years_between" and \
                isinstance(fact.derivation.args[0], core.FactRef) and \
                fact.derivation.args[0].path == birth:
            return fact
    return None


def _whole_years(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Whole years between day numbers (days since 1970-01-01), as `core.years_between`."""
    import numpy as np

    a = start.astype("datetime64[D]")
    b = end.astype("datetime64[D]")
    years = b.astype("datetime64[Y]").astype(np.int64) - a.astype("datetime64[Y]").astype(np.int64)

    def month_day(d: np.ndarray) -> np.ndarray:
        month = d.astype("datetime64[M]")
        key: np.ndarray = (month.astype(np.int64) % 12) * 100 + (d - month).astype(np.int64)
        return key

    whole: np.ndarray = years - (month_day(b) < month_day(a)).astype(np.int64)
    return whole


def _date_series(name: str, days: np.ndarray, known: np.ndarray) -> pl.Series:
    import numpy as np
    import polars as pl

    values = np.where(known, days, 0).astype(np.int32)
    series = pl.Series(name, values).cast(pl.Date)
    return series.set(pl.Series(~known), None)


def _ages(ruleset: RuleSet, rng: np.random.Generator, n: int, offence: np.ndarray,
          offence_known: np.ndarray, columns: dict[str, pl.Series]) -> None:
    """Birth dates and stated ages, consistent with each other on the offence date."""
    import numpy as np
    import polars as pl

    for path, fact in ruleset.facts.items():
        if path in columns or fact.derivation is None:
            continue
        birth_path = None
        if isinstance(fact.derivation, core.Call) and \
                isinstance(fact.derivation.args[0], core.FactRef):
            birth_path = fact.derivation.args[0].path
        if path.startswith("victim"):
            age = np.where(rng.random(n) < 0.8, rng.integers(0, 18, n), rng.integers(18, 61, n))
        elif path.startswith("offender"):
            r = rng.random(n)
            age = np.where(r < 0.12, rng.integers(10, 14, n),
                           np.where(r < 0.35, rng.integers(14, 18, n), rng.integers(18, 71, n)))
        else:
            low = fact.low if fact.low is not None else 0
            age = rng.integers(low, low + 60, n)
        # A birth date `age` years and 0..364 days before the offence: its age is exactly `age`.
        birth = offence - np.floor(age * 365.2425).astype(np.int64) - rng.integers(0, 365, n)
        how = rng.random(n)   # birth only / age only / both / neither
        birth_given = (how < 0.55) | ((how >= 0.75) & (how < 0.90))
        age_given = how >= 0.55
        age_given &= how < 0.90
        if birth_path is not None and birth_path in ruleset.facts:
            columns[birth_path] = _date_series(birth_path, birth, birth_given)
        # Where both are given and the offence date is known, the stated age must agree.
        stated = _whole_years(birth, offence)
        lo = fact.low if fact.low is not None else 0
        hi = fact.high if fact.high is not None else 150
        stated = np.clip(stated, lo, hi)
        columns[path] = pl.Series(path, stated.astype(np.int64)).set(
            pl.Series(~age_given), None)
        _ = offence_known


def _corrupt(ruleset: RuleSet, frame: pl.DataFrame, rng: np.random.Generator,
             share: float) -> pl.DataFrame:
    """Make `share` of the rows invalid, one fault each; all columns become text."""
    import numpy as np
    import polars as pl

    n = frame.height
    text = frame.with_columns([pl.col(c).cast(pl.String) for c in frame.columns])
    bad = np.flatnonzero(rng.random(n) < share)
    faults = rng.integers(0, 4, len(bad))
    ints = [p for p, f in ruleset.facts.items() if f.type.kind == "integer" and f.high is not None
            and p in text.columns]
    enums = [p for p, f in ruleset.facts.items() if f.type.kind == "enum" and p in text.columns]
    dates = [p for p, f in ruleset.facts.items() if f.type.kind == "date" and p in text.columns]
    derived = [p for p, f in ruleset.facts.items() if f.derivation is not None
               and p in text.columns]
    updates: dict[str, tuple[list[int], list[str]]] = {}

    def put(column: str, row: int, value: str) -> None:
        rows, values = updates.setdefault(column, ([], []))
        rows.append(int(row))
        values.append(value)

    for row_, fault in zip(bad, faults, strict=True):
        row = int(row_)
        if fault == 0 and ints:
            fact = ruleset.facts[ints[row % len(ints)]]
            put(fact.path, row, str(int(fact.high) + 1 + row % 50))
        elif fault == 1 and enums:
            put(enums[row % len(enums)], row, "no_such_value")
        elif fault == 2 and dates:
            put(dates[row % len(dates)], row, "2024-13-45")
        elif derived:
            # A stated age that disagrees with a birth date and offence date that are given.
            fact = ruleset.facts[derived[row % len(derived)]]
            assert isinstance(fact.derivation, core.Call)
            birth = fact.derivation.args[0]
            assert isinstance(birth, core.FactRef)
            governing = ruleset.governing_date or ""
            put(birth.path, row, "2010-03-01")
            put(governing, row, "2024-03-01")
            put(fact.path, row, "3")
    for column, (rows, values) in updates.items():
        series = text[column].to_list()
        for row, value in zip(rows, values, strict=True):
            series[row] = value
        text = text.with_columns(pl.Series(column, series, dtype=pl.String))
    return text


OUTPUT_SUFFIXES = (".parquet", ".csv", ".jsonl", ".ndjson", ".json")


def write(ruleset: RuleSet, n: int, out: Path, seed: int = 0, invalid_share: float = 0.0,
          chunk_rows: int = 1_000_000, enum_dtype: bool = False) -> int:
    """Generate `n` cases into Parquet, CSV or JSONL (by the file suffix), in chunks.

    The file is written whole or not at all (`rules.files`): the suffix and folder are checked
    first, and an error, a full disk or an interruption leaves any previous file as it was. With
    `n` = 0 the file is still valid: a Parquet file with the schema, a CSV with its header.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rules.files import atomic_open, check_interrupted, check_output, signals_deferred

    target = check_output(out, OUTPUT_SUFFIXES, (), "cases", make_folder=True)
    suffix = out.suffix.lower()
    written = 0
    writer: pq.ParquetWriter | None = None
    with signals_deferred(), atomic_open(target, "wb") as handle:
        try:
            for index, start in enumerate(range(0, max(n, 1), chunk_rows)):
                check_interrupted()
                size = min(chunk_rows, n - start)
                frame = generate(ruleset, size, seed=seed * 1_000_003 + index,
                                 invalid_share=invalid_share, enum_dtype=enum_dtype)
                if suffix == ".parquet":
                    table: pa.Table = frame.to_arrow()
                    if writer is None:
                        writer = pq.ParquetWriter(handle, table.schema, compression="zstd")
                    writer.write_table(table.cast(writer.schema))
                elif suffix == ".csv":
                    frame.write_csv(handle, include_header=index == 0)
                else:
                    frame.write_ndjson(handle)
                written += size
        finally:
            if writer is not None:         # closed now, not when collected (on a closed file)
                with contextlib.suppress(Exception):
                    writer.close()
    return written
