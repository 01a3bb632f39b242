"""The batch back end against the reference interpreter, and its file handling.

The differential tests run the same cases through `RuleSet.evaluate` and the compiled polars plan
and require identical per-action statuses and arguments, conclusion values and statuses, and the
same rows rejected. Sizes stay small (the machine is shared): 20k generated rows on the bill,
hypothesis cases on small rule sets; the 100k+ runs are in bench/batch.py.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rules
from rules.batch import compile_batch, decide_cases, evaluate_frame, run_batch
from rules.batch.generate import generate, write
from rules.batch.interpreter_engine import result_row
from rules.cases import convert
from rules.semantics.plan import plan_of

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "bench" / "anchors" / "reference.law"


def nest(row: dict[str, Any]) -> dict[str, Any]:
    """A dotted row (nulls dropped) as a nested case dict for the interpreter."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or key == "row":
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        *groups, leaf = key.split(".")
        node = out
        for group in groups:
            node = node.setdefault(group, {})
        node[leaf] = value
    return out


def expected_row(decision: rules.Decision, plan: Any) -> dict[str, Any]:
    """The interpreter's decision in the batch result columns (with deciding provisions)."""
    return result_row(decision, plan.ruleset)


def batch_row(result: dict[str, Any], plan: Any) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "row"}


def differential(ruleset: rules.RuleSet, cases: list[dict[str, Any]],
                 batch: list[dict[str, Any]], as_of: dt.date | None = None) -> list[str]:
    """Where the interpreter and the batch rows disagree (an empty list: they agree)."""
    plan = compile_batch(ruleset, as_of)
    problems: list[str] = []
    read = plan_of(ruleset).facts_read
    for i, (case, got) in enumerate(zip(cases, batch, strict=True)):
        # a fact no rule reads decides nothing and no engine checks it (DecisionPlan.facts_read)
        case = convert.nest({k: v for k, v in convert.flatten(case).items()
                             if k in read or k not in ruleset.facts})
        try:
            decision = ruleset.evaluate(case, as_of=as_of)
        except rules.CaseError as error:
            if "reason" not in got:
                problems.append(f"row {i}: interpreter rejects ({error}), batch decides")
            continue
        if "reason" in got:
            problems.append(f"row {i}: batch rejects ({got['reason']}), interpreter decides")
            continue
        want = expected_row(decision, plan)
        have = batch_row(got, plan)
        assert set(have) <= set(want), set(have) - set(want)
        for key in have:
            if want[key] != have[key]:
                problems.append(f"row {i} {case}: {key}: interpreter {want[key]!r}, "
                                f"batch {have[key]!r}")
    return problems


def run_generated(ruleset: rules.RuleSet, n: int, seed: int,
                  invalid_share: float = 0.0, as_of: dt.date | None = None
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    frame = generate(ruleset, n, seed=seed, invalid_share=invalid_share)
    plan = compile_batch(ruleset, as_of)
    results, rejects = evaluate_frame(plan, frame)
    assert results.height + rejects.height == n
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    for row in results.iter_rows(named=True):
        out[row["row"]] = row
    for row in rejects.iter_rows(named=True):
        out[row["row"]] = row
    return [nest(_typed(ruleset, r)) for r in frame.to_dicts()], out


def _typed(ruleset: rules.RuleSet, row: dict[str, Any]) -> dict[str, Any]:
    """Text cells (a CSV row) as the JSON values a case file would hold."""
    out = dict(row)
    for path, value in row.items():
        fact = ruleset.facts.get(path)
        if fact is None or not isinstance(value, str):
            continue
        if fact.type.kind == "boolean" and value in ("true", "false"):
            out[path] = value == "true"
        elif fact.type.kind == "integer" and value.lstrip("-").isdigit():
            out[path] = int(value)
    return out


# ---- differential: generated cases ------------------------------------------------------------

def test_bill_20k_generated_rows_match_the_interpreter(bill: rules.RuleSet) -> None:
    cases, batch = run_generated(bill, 20_000, seed=20240616, invalid_share=0.01)
    assert sum("reason" in b for b in batch) > 50          # the rejects path is exercised
    statuses = {b.get("reconciliation") for b in batch}
    assert {"forbidden", "undetermined", "none"} <= statuses
    assert differential(bill, cases, batch) == []


@pytest.mark.parametrize("as_of", [dt.date(2024, 6, 15), dt.date(2024, 6, 16)])
def test_as_of_matches_the_interpreter(bill: rules.RuleSet, as_of: dt.date) -> None:
    # judged as if the governing date were `as_of`: in-force windows and conditions agree
    cases, batch = run_generated(bill, 3_000, seed=7, as_of=as_of)
    assert differential(bill, cases, batch, as_of) == []


def test_reference_rule_set_matches_the_interpreter() -> None:
    reference = rules.load(REFERENCE)
    cases, batch = run_generated(reference, 3_000, seed=7)
    assert differential(reference, cases, batch) == []


def test_semantics_fixture_matches_the_interpreter(semantics: rules.RuleSet) -> None:
    cases, batch = run_generated(semantics, 3_000, seed=11)
    assert differential(semantics, cases, batch) == []


# ---- differential: hypothesis on rule sets with conflicts, arguments and priorities -----------

TRICKY = """
provision t_a "a"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if flags.a
  then require notify(region = place.region)
       conclude qualification = "CC 1"
       conclude category = small

provision t_b "b"
  source CC article 2
  confidence confirmed
  in force from 2015-01-01
  if flags.b
  then require notify(region = astana)
       forbid report
       conclude qualification = place.district
       conclude category = medium

provision t_c "c, overrides a"
  source CC article 3
  confidence secondary
  in force from 2024-06-16
  worsens position
  overrides t_a
  if flags.c and victim.age < 14
  then permit notify(region = place.region)
       conclude category = grave

provision t_d "d"
  source CC article 4
  confidence confirmed
  in force from 2015-01-01 until 2024-06-15
  unless flags.n > 50
  then require report
       permit merged
       conclude qualification = "CC 4"

provision t_e "e, improves"
  source CC article 5
  confidence confirmed
  in force from 2024-06-16
  improves position
  if offence.kind in {battery, minor_harm} or flags.k or not flags.p
  then forbid merged
       conclude qualification = "CC 1"

provision t_f "f, overrides d and e"
  source CC article 6
  confidence confirmed
  in force from 2020-01-01
  overrides t_d, t_e
  if years_between(victim.birth_date, offence.date) >= 10
  if days_between(victim.birth_date, offence.date) - 3 * flags.n > 4000
  then require merged
"""


@pytest.fixture(scope="module")
def tricky() -> rules.RuleSet:
    vocabulary = (ROOT / "tests" / "fixtures" / "semantics" / "00_vocabulary.law").read_text()
    return rules.check({"vocabulary.law": vocabulary, "tricky.law": TRICKY})


def _value(fact: Any) -> st.SearchStrategy[Any]:
    kind = fact.type.kind
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(-3, 160) if fact.derivation is None else st.integers(0, 30)
    if kind == "date":
        return st.dates(dt.date(2014, 6, 1), dt.date(2026, 12, 31)).map(dt.date.isoformat)
    if kind == "enum":
        return st.sampled_from([*fact.type.values, "bogus"])
    return st.sampled_from(["Yesil", "Almaly", ""])


def case_strategy(ruleset: rules.RuleSet) -> st.SearchStrategy[dict[str, Any]]:
    fields = {}
    for path, fact in ruleset.facts.items():
        share = 0.85 if fact.derivation is not None else 0.3    # stated ages: rarely
        fields[path] = st.one_of(st.none(), _value(fact)) if share < 0.5 else \
            st.one_of(st.none(), st.none(), st.none(), st.none(), _value(fact))
    return st.fixed_dictionaries(fields).map(nest)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(data=st.data())
def test_hypothesis_cases_match_the_interpreter(data: st.DataObject, tricky: rules.RuleSet,
                                                semantics: rules.RuleSet) -> None:
    for ruleset in (tricky, semantics):
        cases = data.draw(st.lists(case_strategy(ruleset), min_size=1, max_size=40))
        batch = decide_cases(ruleset, cases)
        assert differential(ruleset, cases, batch) == []


def test_tricky_rule_set_reaches_every_status(tricky: rules.RuleSet) -> None:
    cases, batch = run_generated(tricky, 4_000, seed=3)
    assert differential(tricky, cases, batch) == []
    seen = {(name, b[name]) for b in batch if "reason" not in b
            for name in ("notify", "merged", "report")}
    for status in ("required", "permitted", "conflict", "undetermined", "none"):
        assert any(s == status for _, s in seen), status
    assert {b.get("category.status") for b in batch} >= {"determined", "conflict",
                                                          "undetermined", "none"}


# ---- files, chunks, rejects -------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_files(tmp_path_factory: pytest.TempPathFactory, semantics: rules.RuleSet) -> Path:
    folder = tmp_path_factory.mktemp("batch")
    frame = generate(semantics, 5_000, seed=5, invalid_share=0.02)
    frame.write_csv(folder / "cases.csv")
    return folder


def _sorted(frame: Any) -> Any:
    return frame.sort("row")


def test_formats_and_chunks_agree(small_files: Path, semantics: rules.RuleSet,
                                  tmp_path: Path) -> None:
    plan = compile_batch(semantics)
    csv_in = small_files / "cases.csv"
    one = run_batch(plan, csv_in, tmp_path / "one.parquet")
    many = run_batch(plan, csv_in, tmp_path / "many.csv", chunk_rows=700)
    assert one.rows_in == many.rows_in == 5_000
    assert one.balanced and many.balanced and one.rows_rejected > 0
    assert one.actions == many.actions
    a = pl.read_parquet(tmp_path / "one.parquet")
    b = pl.read_csv(tmp_path / "many.csv", infer_schema=False)
    assert a.height == one.rows_evaluated
    assert a["row"].cast(pl.String).to_list() == b["row"].to_list()
    assert a["notify"].cast(pl.String).to_list() == b["notify"].to_list()
    rejects = pl.read_csv(tmp_path / "one.rejects.csv")
    assert rejects.height == one.rows_rejected
    assert set(rejects["row"]).isdisjoint(set(a["row"]))
    # Nested JSONL gives the same decisions as the CSV (values in their JSON types, as the
    # one input grammar reads them: docs/INPUT.md; a text that does not parse stays text).
    from rules.cases.values import from_text

    def typed(column: str, text: str | None) -> Any:
        fact = semantics.facts.get(column)
        if text is None or fact is None or fact.type.kind not in ("integer", "boolean"):
            return text
        try:
            return from_text(fact.type.kind, text)
        except ValueError:
            return text

    text = pl.read_csv(csv_in, infer_schema=False)
    with open(tmp_path / "cases.jsonl", "w") as handle:
        for row in text.iter_rows(named=True):
            handle.write(json.dumps(nest({k: typed(k, v) for k, v in row.items()})) + "\n")
    nested = run_batch(plan, tmp_path / "cases.jsonl", tmp_path / "nested.parquet",
                       chunk_rows=1_500)
    assert nested.rows_rejected == one.rows_rejected
    assert nested.actions == one.actions


def test_partitioned_parquet_folder(semantics: rules.RuleSet, tmp_path: Path) -> None:
    """The distributed layout: a hive-partitioned folder, scanned lazily, same decisions."""
    frame = generate(semantics, 3_000, seed=9)
    plan = compile_batch(semantics)
    whole, _ = evaluate_frame(plan, frame)
    folder = tmp_path / "cases"
    frame.with_columns(pl.col("place.region").fill_null("unknown").alias("part")) \
        .write_parquet(folder, partition_by="part")
    summary = run_batch(plan, folder, tmp_path / "out.parquet", chunk_rows=1_000)
    assert summary.rows_in == 3_000 and summary.balanced
    # `part` is not a fact: it is carried, not rejected, when kept.
    summary = run_batch(plan, folder, tmp_path / "out.parquet", keep=["part"])
    assert summary.rows_rejected == 0
    # The same plan on a lazy scan of the folder (what a distributed engine would run).
    scan = pl.scan_parquet(folder / "**" / "*.parquet", hive_partitioning=True).drop("part")
    lazy = plan.decide(plan.validate(scan.with_row_index("row"), texts=False)
                       .filter(~pl.col("__bad")), provisions=False).collect()
    assert sorted(lazy["notify"].cast(pl.String).to_list()) == \
        sorted(whole["notify"].cast(pl.String).to_list())


def test_rejects_say_why(semantics: rules.RuleSet) -> None:
    cases = [
        {"victim": {"age": 200}},
        {"offence": {"kind": "arson"}},
        {"offence": {"date": "2024-02-30"}},
        {"victim": {"age": 3, "birth_date": "2010-01-01"}, "offence": {"date": "2024-07-01"}},
        {"flags": {"a": "maybe"}},
        {"nope": 1},
        {"offence": {"kind": "battery", "date": "2024-07-01"}, "victim": {"age": 10}},
    ]
    out = decide_cases(semantics, cases)
    reasons = [o.get("reason", "") for o in out]
    assert "victim.age" in reasons[0]
    assert "offence.kind" in reasons[1] and "unknown value" in reasons[1]
    assert "offence.date" in reasons[2]
    assert "computed from give 14" in reasons[3]
    assert "flags.a" in reasons[4]
    assert "nope: unknown field" in reasons[5]
    assert reasons[6] == "" and out[6]["reconciliation"] == "forbidden"


def test_cli_generate_and_batch(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import cli

    runner = CliRunner()
    cases = tmp_path / "cases.parquet"
    result = runner.invoke(cli.app, ["generate", "2000", "--seed", "1", "--out", str(cases)])
    assert result.exit_code == 0, result.output
    again = tmp_path / "again.parquet"
    runner.invoke(cli.app, ["generate", "2000", "--seed", "1", "--out", str(again)])
    assert pl.read_parquet(cases).equals(pl.read_parquet(again))      # seeded
    result = runner.invoke(cli.app, ["batch", str(cases), "--out", str(tmp_path / "r.csv"),
                                     "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rows_in"] == 2000 and summary["balanced"]
    assert sum(summary["actions"]["reconciliation"].values()) == summary["rows_evaluated"]
    result = runner.invoke(cli.app, ["batch", str(cases)])
    assert result.exit_code == 0 and "rows in 2,000 = evaluated" in result.output
    result = runner.invoke(cli.app, ["batch", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2


def test_generated_file_round_trip(semantics: rules.RuleSet, tmp_path: Path) -> None:
    assert write(semantics, 2_500, tmp_path / "c.jsonl", seed=2, chunk_rows=1_000) == 2_500
    plan = compile_batch(semantics)
    summary = run_batch(plan, tmp_path / "c.jsonl", None)
    assert summary.rows_in == 2_500 and summary.rows_rejected == 0


# ---- complete cases: the smaller plan (issue 14) -------------------------------------------------

def _completed(ruleset: rules.RuleSet, n: int, seed: int) -> pl.DataFrame:
    """Generated rows with every unknown fact filled from a neighbouring row (values the
    generator wrote), computed facts left to be computed; of the filled rows that contradict
    themselves only 20 are kept (rejected rows must not leak into the results)."""
    frame = generate(ruleset, n, seed=seed)
    derived = [p for p, f in ruleset.facts.items() if f.derivation is not None]
    frame = frame.drop([c for c in derived if c in frame.columns])
    frame = frame.with_columns(pl.all().forward_fill().backward_fill())
    frame = frame.drop([c for c in frame.columns if frame[c].null_count() == frame.height])
    from rules.batch.lower import PolarsLowering, literal
    lower = PolarsLowering(ruleset, inline=True).lower
    typed = compile_batch(ruleset).validate(frame.lazy()).collect()
    for inference in ruleset.inferences:   # a filled fact the law draws otherwise: as drawn
        if inference.fact in frame.columns:
            holds = typed.select(lower(inference.condition).fill_null(False)).to_series()
            value = literal(inference.value, ruleset.facts[inference.fact].type)
            frame = frame.with_columns(pl.when(holds).then(value.cast(frame[inference.fact].dtype))
                                       .otherwise(pl.col(inference.fact)).alias(inference.fact))
    reasons = compile_batch(ruleset).validate(frame.lazy()).collect()["__reason"]
    valid = reasons == ""
    return pl.concat([frame.filter(valid), frame.filter(~valid).head(20)])


@pytest.mark.parametrize("name", ["bill", "reference", "semantics", "tricky"])
def test_complete_cases_take_the_smaller_plan_with_the_same_results(
        name: str, bill: rules.RuleSet, semantics: rules.RuleSet,
        tricky: rules.RuleSet) -> None:
    ruleset = {"bill": bill, "reference": rules.load(REFERENCE), "semantics": semantics,
               "tricky": tricky}[name]
    plan = compile_batch(ruleset)
    frame = _completed(ruleset, 3_000, seed=5)
    nulls = dict(zip(frame.columns, frame.null_count().row(0), strict=True))
    if not plan.complete(nulls):      # a fact with no column and no presumption: not complete
        assert any(p not in frame.columns and p not in ruleset.presumptions
                   for p in plan_of(ruleset).facts_read)
        pytest.skip("the generator leaves a fact out")
    typed = plan.validate(frame.with_row_index("row").lazy(), texts=False)
    general = plan.decide(typed, ("__bad",)).collect()
    smaller = plan.decide(typed, ("__bad",), complete=True).collect()
    valid = ~general["__bad"]
    assert int(valid.sum()) > 1_000
    assert name != "bill" or int((~valid).sum()) > 0         # rejected rows among them
    from polars.testing import assert_frame_equal
    assert_frame_equal(general.filter(valid), smaller.filter(valid), check_exact=True)
    # and evaluate_frame (which picks the smaller plan itself) still agrees with the interpreter
    results, rejects = evaluate_frame(plan, frame)
    out: list[dict[str, Any]] = [{} for _ in range(frame.height)]
    for row in [*results.iter_rows(named=True), *rejects.iter_rows(named=True)]:
        out[row["row"]] = row
    cases = [nest(_typed(ruleset, r)) for r in frame.to_dicts()]
    assert differential(ruleset, cases, out) == []


def test_an_unknown_fact_keeps_the_general_plan(bill: rules.RuleSet) -> None:
    plan = compile_batch(bill)
    read = sorted(plan_of(bill).facts_read)
    nulls = dict.fromkeys(read, 0)
    assert plan.complete(nulls)
    unpresumed = next(p for p in read if p not in bill.presumptions
                      and bill.facts[p].derivation is None)
    assert not plan.complete({**nulls, unpresumed: 1})
    assert not plan.complete({k: v for k, v in nulls.items() if k != unpresumed})
    presumed = next(iter(bill.presumptions))
    assert plan.complete({**nulls, presumed: 7})                 # the law presumes it
    assert not compile_batch(bill, presumptions=False).complete({**nulls, presumed: 7})
    derived = next(p for p in read if bill.facts[p].derivation is not None)
    assert plan.complete({**nulls, derived: 3})                  # computed from known facts


def test_complete_parquet_takes_the_smaller_plan_from_its_statistics(
        bill: rules.RuleSet, tmp_path: Path) -> None:
    from rules.cases.read import parquet_null_counts

    plan = compile_batch(bill)
    frame = _completed(bill, 3_000, seed=9)
    cases = tmp_path / "cases.parquet"
    frame.write_parquet(cases, row_group_size=500)
    assert plan.complete(parquet_null_counts(cases))
    generated = tmp_path / "generated.parquet"
    generate(bill, 50, seed=1).write_parquet(generated)
    assert not plan.complete(parquet_null_counts(generated))
    results, rejects = evaluate_frame(plan, frame)
    summary = run_batch(plan, cases, tmp_path / "out.parquet")
    assert summary.rows_evaluated == results.height and summary.rows_rejected == rejects.height
    from polars.testing import assert_frame_equal
    assert_frame_equal(pl.read_parquet(tmp_path / "out.parquet").sort("row"), results,
                       check_exact=True, check_dtypes=False)
