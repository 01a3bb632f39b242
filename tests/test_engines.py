"""Every engine decides the same: interpreter = polars = DuckDB = Spark.

On 20 000 generated rows of the bill (unknown facts in every column, 1 % invalid rows): the same
result columns with the same values (statuses, arguments, conclusion values, deciding
provisions), the same rows rejected, with the same reasons on the columnar engines (the
interpreter's reasons are the case model's words for the same fields); rows in = evaluated +
rejected. Also `--as-of` runs, an amendment's corpus diff, a run split into 10 partitions
decided independently and merged, hive-partitioned output, and the one-line message of an
engine that is not installed. Spark runs in one local[2] session for the whole module.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import rules
from rules.batch.engines import ENGINES, Engine, EngineUnavailable, open_engine
from rules.batch.generate import generate
from rules.batch.impact import diff_corpus_file
from rules.batch.run import BatchSummary
from rules.language.amendments import amend

ROOT = Path(__file__).resolve().parent.parent
AMENDMENT = ROOT / "amendments" / "psych_violence_reconciliation.law"
ROWS = 20_000
PART_ROWS = 6_000          # the partitioned runs and the amendment: enough rows, fewer seconds
COLUMNAR = ("polars", "duckdb", "spark")


@pytest.fixture(scope="module")
def spark() -> Any:
    from rules.batch.spark_engine import spark_session

    session = spark_session("local[2]", partitions=2)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def engine_of(spark: Any) -> Any:
    def make(name: str, ruleset: rules.RuleSet, as_of: dt.date | None = None) -> Engine:
        options = {"session": spark} if name == "spark" else {}
        return open_engine(name, ruleset, as_of, **options)
    return make


@pytest.fixture(scope="module")
def bill() -> rules.RuleSet:
    return rules.load()


@pytest.fixture(scope="module")
def frame(bill: rules.RuleSet) -> pl.DataFrame:
    return generate(bill, ROWS, seed=20240616, invalid_share=0.01)


@pytest.fixture(scope="module")
def decided(bill: rules.RuleSet, frame: pl.DataFrame, engine_of: Any
            ) -> dict[str, tuple[pl.DataFrame, pl.DataFrame]]:
    return {name: engine_of(name, bill).decide(frame) for name in ENGINES}


def first_field(reason: str) -> str:
    return reason.split(":")[0]


def assert_same(decisions: dict[str, tuple[pl.DataFrame, pl.DataFrame]], rows: int) -> None:
    results, rejects = decisions["polars"]
    assert results.height + rejects.height == rows
    for name, (other, other_rejects) in decisions.items():
        assert other.height + other_rejects.height == rows, name
        assert_frame_equal(other, results, check_exact=True)
        assert other_rejects["row"].to_list() == rejects["row"].to_list(), name
        if name in COLUMNAR:
            assert other_rejects["reason"].to_list() == rejects["reason"].to_list(), name
        else:
            assert [first_field(r) for r in other_rejects["reason"]] == \
                [first_field(r) for r in rejects["reason"]], name


def test_bill_20k_rows_every_engine_the_same(decided: dict[str, Any]) -> None:
    results, rejects = decided["polars"]
    assert ROWS * 0.005 < rejects.height < ROWS * 0.02          # the 1 % invalid rows
    assert {"forbidden", "undetermined", "none"} <= set(results["reconciliation"].cast(pl.String))
    assert results["qualification.status"].cast(pl.String).is_in(["undetermined"]).any()
    assert_same(decided, ROWS)


@pytest.mark.parametrize("as_of", [dt.date(2024, 6, 15), dt.date(2024, 6, 16)])
def test_as_of_every_engine_the_same(bill: rules.RuleSet, frame: pl.DataFrame,
                                     engine_of: Any, as_of: dt.date) -> None:
    part = frame.head(4_000)
    # Spark plans each query for seconds: it runs the first date only
    names = ENGINES if as_of.day == 15 else [n for n in ENGINES if n != "spark"]
    assert_same({name: engine_of(name, bill, as_of).decide(part) for name in names}, 4_000)


def test_amendment_every_engine_the_same(bill: rules.RuleSet, engine_of: Any,
                                         tmp_path: Path) -> None:
    amended = amend(bill, AMENDMENT)
    corpus = tmp_path / "cases.parquet"
    generate(bill, PART_ROWS, seed=5, invalid_share=0.01).write_parquet(corpus)
    # the amended rule set itself (Spark: through the corpus diff below)
    cases = pl.read_parquet(corpus)
    assert_same({name: engine_of(name, amended).decide(cases) for name in ENGINES
                 if name != "spark"}, PART_ROWS)
    # and the corpus diff through each engine
    diffs = {name: diff_corpus_file(bill, amended, corpus, engine=name,
                                    **({"session": engine_of("spark", bill).session}
                                       if name == "spark" else {}))
             for name in ENGINES}
    reference = diffs["polars"]
    assert reference.rows_in == PART_ROWS == reference.evaluated + len(reference.rejected)
    assert reference.changed_rows > 0
    for name, diff in diffs.items():
        assert diff.counts == reference.counts, name
        assert diff.changed_rows == reference.changed_rows, name
        assert [r for r, _, _ in diff.rejected] == [r for r, _, _ in reference.rejected], name
        if name in COLUMNAR:
            assert diff.rejected == reference.rejected, name


def test_ten_partitions_decided_apart_and_merged_equal_one_run(
        frame: pl.DataFrame, bill: rules.RuleSet, engine_of: Any) -> None:
    size = PART_ROWS // 10
    cases = frame.head(PART_ROWS)
    for name in ("interpreter", "polars", "duckdb"):   # Spark: the folder run below
        engine = engine_of(name, bill)
        whole, whole_rejects = engine.decide(cases)
        assert whole_rejects.height > 0
        parts = [engine.decide(cases.slice(k * size, size), offset=k * size)
                 for k in range(10)]
        results = pl.concat([r for r, _ in parts])
        rejects = pl.concat([j for _, j in parts])
        assert_frame_equal(results, whole, check_exact=True)
        assert_frame_equal(rejects, whole_rejects, check_exact=True)


@pytest.mark.parametrize("name", COLUMNAR)
def test_partitioned_files_run_apart_and_merged_equal_the_single_run(
        name: str, bill: rules.RuleSet, frame: pl.DataFrame, engine_of: Any,
        tmp_path: Path) -> None:
    """The distributed layout: 10 Parquet partitions, each run as its own job, summaries added;
    and the folder as one input: the same as the single file."""
    frame = frame.head(PART_ROWS)
    single = tmp_path / "cases.parquet"
    frame.write_parquet(single)
    folder = tmp_path / "parts"
    size = PART_ROWS // 10
    for k in range(10):
        (folder / f"part={k}").mkdir(parents=True)
        frame.slice(k * size, size).write_parquet(folder / f"part={k}" / "data.parquet")
    engine = engine_of(name, bill)
    # the single run: polars' for Spark (whose job over the folder below is the one to test)
    whole = (engine if name != "spark" else engine_of("polars", bill)) \
        .run(single, tmp_path / "whole.parquet")
    if name != "spark":   # Spark decides the folder's files as separate tasks (below)
        merged = BatchSummary()
        for k in range(10):
            merged.merge(engine.run(folder / f"part={k}" / "data.parquet", None))
        assert merged.to_dict() == whole.to_dict()
    assert whole.rows_in == PART_ROWS and whole.balanced
    folder_run = engine.run(folder, tmp_path / "folder.parquet", keep=["part"])
    assert folder_run.rows_in == PART_ROWS and folder_run.balanced
    assert folder_run.rows_evaluated == whole.rows_evaluated
    assert folder_run.actions == whole.actions
    assert folder_run.conclusions == whole.conclusions
    # Spark writes a dataset (a folder with part files): read every engine's output by glob
    a = read_results(tmp_path / "whole.parquet")
    b = read_results(tmp_path / "folder.parquet")
    assert a["row"].to_list() == b["row"].to_list()
    for column in ("reconciliation", "qualification", "notify.region"):
        if column in a.columns:
            assert a[column].to_list() == b[column].to_list()
    rejected = pl.read_csv(tmp_path / "folder.rejects.csv")
    assert rejected["row"].to_list() == decided_rows(frame, bill)


def read_results(path: Path) -> pl.DataFrame:
    if path.is_dir():
        return pl.read_parquet(path / "*.parquet").sort("row")
    return pl.read_parquet(path).sort("row")


def decided_rows(frame: pl.DataFrame, bill: rules.RuleSet) -> list[int]:
    _, rejects = open_engine("polars", bill).decide(frame)
    return [int(r) for r in rejects["row"]]


@pytest.mark.parametrize("name", ["duckdb", "spark"])
def test_hive_partitioned_output(name: str, bill: rules.RuleSet, frame: pl.DataFrame,
                                 engine_of: Any, tmp_path: Path) -> None:
    cases = tmp_path / "cases.parquet"
    frame.head(3_000).write_parquet(cases)
    out = tmp_path / "results"
    engine = engine_of(name, bill)
    summary = engine.run(cases, out, partition_by=["reconciliation"])  # type: ignore[call-arg]
    folders = {p.name for p in out.iterdir() if p.is_dir()}
    assert "reconciliation=forbidden" in folders
    back = pl.scan_parquet(out / "**" / "*.parquet", hive_partitioning=True).collect()
    assert back.height == summary.rows_evaluated
    counts = back.group_by("reconciliation").len()
    got = {str(s): int(n) for s, n in counts.iter_rows()}
    assert got == {s: n for s, n in summary.actions["reconciliation"].items() if n}


def test_csv_and_jsonl_inputs_go_through_the_one_reader(bill: rules.RuleSet, engine_of: Any,
                                                        tmp_path: Path) -> None:
    frame = generate(bill, 2_000, seed=3, invalid_share=0.02)
    frame.write_csv(tmp_path / "cases.csv")
    summaries = {name: engine_of(name, bill).run(tmp_path / "cases.csv", chunk_rows=1_200)
                 for name in ENGINES}
    first = summaries["polars"].to_dict()
    assert first["rows_in"] == 2_000 and first["rows_rejected"] > 0
    for name, summary in summaries.items():
        assert summary.to_dict()["actions"] == first["actions"], name
        assert summary.rows_rejected == first["rows_rejected"], name


def test_missing_engine_says_which_extra(monkeypatch: pytest.MonkeyPatch,
                                         bill: rules.RuleSet) -> None:
    import importlib.util

    import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyspark" else real(name, *a))
    with pytest.raises(EngineUnavailable, match=r"pip install 'kz-child-safety-rules\[spark\]'"):
        open_engine("spark", bill)
    result = CliRunner().invoke(cli.app, ["batch", str(ROOT / "examples"), "--engine", "spark"])
    assert result.exit_code == 2
    assert result.output.strip() == ("the spark engine needs pyspark: "
                                     "pip install 'kz-child-safety-rules[spark]'")
    assert "Traceback" not in result.output


def test_cli_batch_and_diff_on_duckdb(tmp_path: Path) -> None:
    import json

    import cli

    runner = CliRunner()
    cases = tmp_path / "cases.parquet"
    on: list[str] = []
    assert runner.invoke(cli.app, ["generate", "3000", "--seed", "2", "--out", str(cases),
                                   "--invalid-share", "0.01", *on]).exit_code == 0
    polars_run = runner.invoke(cli.app, ["batch", str(cases), "--json", *on])
    duck_run = runner.invoke(cli.app, ["batch", str(cases), "--json", "--engine", "duckdb", *on,
                                       "--out", str(tmp_path / "r"), "--partition-by",
                                       "reconciliation"])
    assert polars_run.exit_code == 0 and duck_run.exit_code == 0, duck_run.output
    a, b = json.loads(polars_run.output), json.loads(duck_run.output)
    assert a == b and a["balanced"] and a["rows_rejected"] > 0
    assert (tmp_path / "r" / "reconciliation=forbidden").is_dir()
    diffs = [json.loads(runner.invoke(cli.app, [
        "diff", "--amendment", str(AMENDMENT), "--cases", str(cases), "--json", *extra, *on,
        "--scenarios", str(ROOT / "tests" / "scenarios")]).output)["corpus"]
        for extra in (["--engine", "duckdb"], ["--interpreter"])]
    assert diffs[0]["transitions"] == diffs[1]["transitions"]
    assert diffs[0]["rows_in"] == 3000


# ---- one value grammar on every engine (issue 10) ----------------------------------------------

BAD_TEXT = {
    "victim.age": [" 10", "10 ", "+10", "10.0", "1e1", "٣", "99999999999999999999",
                   "9223372036854775808", "-9223372036854775809", "10\n", "-0", "010", "12"],
    "parties.reconciled": ["TRUE", "True", " true", "1", "yes", "true\n", "false"],
    "offence.date": ["20240701", "2024-7-1", "2024-02-30", " 2024-07-01", "2024-07-01T00:00",
                     "2024-07-01\n", "2024-07-01"],
}
BAD_FLOATS = [float("nan"), float("inf"), float("-inf"), 10.5, 1e19, -1e300, 9.3e18, 10.0,
              None]


def _base_rows(bill: rules.RuleSet, n: int) -> pl.DataFrame:
    """`n` copies of one valid case whose victim's age is stated (no birth date to derive
    it from)."""
    row = generate(bill, 1, seed=7).with_columns(
        pl.lit(None, pl.Date).alias("victim.birth_date"), pl.lit(9).alias("victim.age"),
        pl.lit(dt.date(2024, 7, 1)).alias("offence.date"))
    return pl.concat([row] * n)


def test_bad_text_values_rejected_alike_on_every_engine(bill: rules.RuleSet,
                                                        engine_of: Any) -> None:
    """CSV-like text cells: one grammar (no trimming, no other spellings, 64-bit integers,
    YYYY-MM-DD real dates), the same rows rejected with the same reasons on every engine."""
    cells = [(path, value) for path, values in BAD_TEXT.items() for value in values]
    frame = _base_rows(bill, len(cells))
    frame = frame.with_columns([pl.col(c).cast(pl.String) for c in frame.columns])
    for path in BAD_TEXT:
        frame = frame.with_columns(pl.Series(path, [
            value if p == path else old
            for (p, value), old in zip(cells, frame[path].to_list(), strict=True)],
            dtype=pl.String))
    decisions = {name: engine_of(name, bill).decide(frame) for name in ENGINES}
    assert_same(decisions, len(cells))
    rejected = set(decisions["polars"][1]["row"].to_list())
    accepted = {i for i, (_, value) in enumerate(cells)
                if value in ("-0", "010", "12", "false", "2024-07-01")}
    assert rejected == set(range(len(cells))) - accepted
    reasons = decisions["polars"][1]["reason"].to_list()
    assert any("outside the 64-bit integer range" in r for r in reasons)
    assert any("expected true or false, got 'TRUE'" in r for r in reasons)


def test_bad_numbers_rejected_alike_on_every_engine(bill: rules.RuleSet,
                                                    engine_of: Any) -> None:
    """Typed columns (Parquet): NaN, Infinity, fractions and values beyond 64 bits in a float
    column, and an unsigned 64-bit column beyond int64, are rejected by every engine."""
    frame = _base_rows(bill, len(BAD_FLOATS)).with_columns(
        pl.Series("victim.age", BAD_FLOATS, dtype=pl.Float64))
    decisions = {name: engine_of(name, bill).decide(frame) for name in ENGINES}
    assert_same_rows(decisions, len(BAD_FLOATS))
    assert decisions["polars"][1]["row"].to_list() == [0, 1, 2, 3, 4, 5, 6]
    reasons = decisions["polars"][1]["reason"].to_list()
    assert [r.split(", got")[0] for r in reasons] == \
        ["victim.age: expected an integer"] * 4 + \
        ["victim.age: outside the 64-bit integer range (-9223372036854775808.."
         "9223372036854775807)"] * 3
    unsigned = _base_rows(bill, 2).with_columns(
        pl.Series("offender.age", [2**64 - 1, 30], dtype=pl.UInt64))
    decisions = {name: engine_of(name, bill).decide(unsigned) for name in ENGINES}
    assert_same(decisions, 2)
    assert decisions["polars"][1]["row"].to_list() == [0]
    assert "outside the 64-bit integer range" in decisions["polars"][1]["reason"][0]


def assert_same_rows(decisions: dict[str, tuple[pl.DataFrame, pl.DataFrame]],
                     rows: int) -> None:
    """`assert_same`, the reasons compared up to the value shown (engines print floats their
    own way: `nan`, `NaN`, `1e+19`)."""
    results, rejects = decisions["polars"]
    for name, (other, other_rejects) in decisions.items():
        assert other.height + other_rejects.height == rows, name
        assert_frame_equal(other, results, check_exact=True)
        assert other_rejects["row"].to_list() == rejects["row"].to_list(), name
        if name in COLUMNAR:
            assert [r.split(", got")[0] for r in other_rejects["reason"]] == \
                [r.split(", got")[0] for r in rejects["reason"]], name
        else:
            assert [first_field(r) for r in other_rejects["reason"]] == \
                [first_field(r) for r in rejects["reason"]], name
