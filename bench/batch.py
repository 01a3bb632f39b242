"""Batch back end benchmark: figures side by side in one run, medians of 3.

    python bench/batch.py [--n-ref 1000000] [--n-bill 6800000] [--quick]

1. The ANCHORS reference rule set (bench/anchors/reference.law) through the batch back end vs a
   hand-written polars version of the same 15 rules, on the same typed columns (complete cases).
2. The whole bill over generated cases from Parquet on disk to the summary (`rules batch` without
   --out), wall time and peak RSS measured in a fresh subprocess; and with results written; and
   the stages of the summary query (read, + validate, + decide and count), cumulative.
3. The interpreter's cases/s on the same rule sets, for scale.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

import rules  # noqa: E402
from rules.batch import compile_batch, run_batch  # noqa: E402
from rules.batch.generate import write  # noqa: E402

REFERENCE = ROOT / "bench" / "anchors" / "reference.law"


def median_time(fn: Any, reps: int = 3) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def reference_cases(n: int, seed: int) -> pl.DataFrame:
    """Complete cases with baseline.random_case's distributions, vectorised, typed columns."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "bench" / "anchors"))
    import baseline

    rng = np.random.default_rng(seed)
    start = (np.datetime64("2020-01-01") - np.datetime64("1970-01-01")).astype(int)
    end = (np.datetime64("2026-12-31") - np.datetime64("1970-01-01")).astype(int)
    pivots = np.array([np.datetime64("2024-07-01"), np.datetime64("2025-09-01")]).astype(
        "datetime64[D]").astype(int)
    days = np.where(rng.random(n) < 0.2, pivots[rng.integers(0, 2, n)] + rng.integers(-3, 4, n),
                    rng.integers(start, end + 1, n))
    offender = np.where(rng.random(n) < 0.7, rng.integers(5, 71, n), rng.integers(10, 20, n))

    def pick(values: tuple[str, ...]) -> pl.Series:
        return pl.Series(np.asarray(values)[rng.integers(0, len(values), n)].tolist()) \
            .cast(pl.Enum(list(values) + (["national"] if "almaty" in values else [])))

    return pl.DataFrame({
        "victim_age": rng.integers(0, 26, n), "offender_age": offender,
        "relation": pick(baseline.RELATIONS), "offence_kind": pick(baseline.OFFENCE_KINDS),
        "harm": pick(baseline.HARMS), "repeated": rng.random(n) < 0.5,
        "location": pick(baseline.LOCATIONS), "region": pick(baseline.REGIONS),
        "district": np.asarray(baseline.DISTRICTS)[rng.integers(0, 10, n)].tolist(),
        "offence_date": pl.Series(days.astype(np.int32)).cast(pl.Date),
    })


def hand_written(frame: pl.DataFrame) -> pl.DataFrame:
    """The 15 reference rules written by hand in polars (one boolean column per code)."""
    c = pl.col
    kind, rel, harm, loc = c("offence_kind"), c("relation"), c("harm"), c("location")
    minor = c("victim_age") < 18
    young = c("victim_age") < 14
    physical = kind.is_in(["physical_violence", "sexual_violence"])
    violent = physical | (kind == "psychological_violence")
    bullying = kind.is_in(["bullying", "cyberbullying"])
    neglect = kind == "neglect"
    family = rel.is_in(["parent", "guardian", "other_relative"])
    carer = rel.is_in(["parent", "guardian"])
    serious = harm.is_in(["moderate", "grave"])
    ban = c("offence_date") >= pl.date(2024, 7, 1)
    responsible = c("offender_age") >= 14
    allowed = ~serious & ~(ban & minor & physical) & ~(ban & minor & c("repeated") & violent)
    placement = young & carer & ((harm == "grave") | (kind == "sexual_violence"))
    ombudsman = minor & (((violent | neglect) & serious) | (bullying & c("repeated")))
    return frame.select(
        allowed.alias("reconciliation_allowed"),
        (minor & ((violent & ~allowed) | (kind == "sexual_violence")) & responsible)
        .alias("mandatory_prosecution"),
        placement.alias("temporary_placement"),
        (minor & family & (violent | neglect) & ((loc == "home") | c("repeated")) & ~placement)
        .alias("protective_order"),
        pl.when(ombudsman).then(pl.when(loc == "online").then(pl.lit("national"))
                                .otherwise(c("region").cast(pl.String)))
        .alias("notify_ombudsman"),
        (minor & (violent | bullying | neglect)).alias("refer_district_support_center"),
        (minor & ((kind == "sexual_violence") | (harm == "grave")
                  | (c("repeated") & ((kind == "psychological_violence") | bullying))))
        .alias("refer_regional_psych_center"),
        (minor & (violent | bullying)).alias("victim_support_program"),
        (minor & (c("offence_date") >= pl.date(2025, 9, 1))
         & ((kind == "cyberbullying") | ((kind == "bullying") & (loc == "school"))))
        .alias("bullying_program"),
        (responsible & (c("offender_age") < 18)).alias("juvenile_justice"),
        (~responsible).alias("commission_on_minors"),
        (minor & ((rel == "teacher") | ((loc == "school") & (violent | bullying))))
        .alias("notify_education_dept"),
        (minor & carer & (violent | neglect)).alias("notify_guardianship_authority"),
    )


def part_reference(n: int, interp_n: int) -> dict[str, Any]:
    ruleset = rules.load(REFERENCE)
    plan = compile_batch(ruleset)
    frame = reference_cases(n, seed=1)
    typed = plan.validate(frame.with_row_index("row").lazy(), texts=False).collect()
    assert not typed["__bad"].any()
    ours = plan.decide(typed.lazy(), statuses_only=True)
    ours_args = plan.decide(typed.lazy(), provisions=False)
    # Agreement: our statuses against the hand-written booleans.
    got = ours.collect()
    hand = hand_written(frame)
    assert (got["temporary_placement"] == "required").equals(hand["temporary_placement"])
    assert ((got["reconciliation"] == "permitted") == hand["reconciliation_allowed"]).all()
    assert ((got["protective_order"] == "required") == hand["protective_order"]).all()
    t_hand = median_time(lambda: hand_written(frame))
    t_ours = median_time(lambda: ours.collect())
    t_args = median_time(lambda: ours_args.collect())
    t_full = median_time(lambda: plan.decide(
        plan.validate(frame.with_row_index("row").lazy(), texts=False).collect().lazy(),
        statuses_only=True).collect())
    t_interp, m = interpreter_rate(ruleset, frame.head(interp_n))
    return {"n": n, "hand_polars_cases_s": n / t_hand, "batch_statuses_cases_s": n / t_ours,
            "batch_with_args_cases_s": n / t_args, "batch_validate_and_decide_cases_s": n / t_full,
            "ratio_to_hand": t_hand / t_ours, "interpreter_cases_s": m / t_interp}


def interpreter_rate(ruleset: rules.RuleSet, frame: pl.DataFrame) -> tuple[float, int]:
    cases = []
    for row in frame.to_dicts():
        case: dict[str, Any] = {}
        for key, value in row.items():
            if value is None:
                continue
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            *groups, leaf = key.split(".")
            node = case
            for group in groups:
                node = node.setdefault(group, {})
            node[leaf] = value
        cases.append(case)
    evaluate = ruleset.evaluate

    def run() -> None:
        for case in cases:
            try:
                evaluate(case)
            except rules.CaseError:
                pass
    return median_time(run), len(cases)


def part_bill(n: int, folder: Path, interp_n: int) -> dict[str, Any]:
    bill = rules.load()
    path = folder / f"bill_{n}.parquet"
    if not path.exists():
        start = time.perf_counter()
        write(bill, n, path, seed=42)
        print(f"generated {n:,} bill cases in {time.perf_counter() - start:.1f} s "
              f"({path.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)
    runs = [json.loads(subprocess.run(
        [sys.executable, __file__, "--child", str(path), *extra],
        check=True, capture_output=True, text=True).stdout)
        for extra in ([], [], [], ["--write", str(folder / "results.parquet")])]
    summary_runs = runs[:3]
    wall = statistics.median(r["wall_s"] for r in summary_runs)
    rss = max(r["peak_rss_mb"] for r in summary_runs)
    t_interp, m = interpreter_rate(bill, pl.read_parquet(path, n_rows=interp_n))
    return {"n": n, "summary_wall_s": wall, "summary_cases_s": n / wall,
            "summary_peak_rss_mb": rss, "with_results_wall_s": runs[3]["wall_s"],
            "with_results_peak_rss_mb": runs[3]["peak_rss_mb"],
            "rows_evaluated": runs[0]["rows_evaluated"], "rows_rejected": runs[0]["rows_rejected"],
            "interpreter_cases_s": m / t_interp, "stages": part_stages(path)}


def part_stages(path: Path) -> dict[str, float]:
    """Where the summary's time goes: cumulative stages of the streaming query, medians of 3."""
    from rules.batch.exprs import BAD

    plan = compile_batch(rules.load())
    scan = pl.scan_parquet(path).with_row_index("row")
    checked = plan.validate(scan, texts=False)
    decided = plan.decide(checked.filter(~pl.col(BAD)), provisions=False, statuses_only=True)
    stages = {
        "read_s": scan.select(pl.all().null_count()),
        "read_validate_s": checked.select(pl.col(BAD).sum()),
        "read_validate_decide_summary_s": decided.select(plan.summary_exprs()),
    }
    return {name: median_time(lambda q=q: q.collect(engine="streaming"))
            for name, q in stages.items()}


def peak_rss_mb() -> float:
    """This process's own peak RSS. `ru_maxrss` is not: on Linux it keeps the high-water mark of
    the parent at fork (the bench's parent holds the 6.8 M reference cases, ~1.3 GB), so the
    child's figure is read from /proc (VmHWM, the peak of its own address space) when it can be."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: Path, out: Path | None) -> None:
    """One timed run in a fresh process: load the bill, compile, read, decide, summarise."""
    start = time.perf_counter()
    plan = compile_batch(rules.load())
    summary = run_batch(plan, path, out, provisions=out is not None)
    wall = time.perf_counter() - start
    print(json.dumps({"wall_s": wall, "peak_rss_mb": peak_rss_mb(), "rows_in": summary.rows_in,
                      "rows_evaluated": summary.rows_evaluated,
                      "rows_rejected": summary.rows_rejected}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-ref", type=int, default=6_800_000)
    parser.add_argument("--n-bill", type=int, default=6_800_000)
    parser.add_argument("--interp-n", type=int, default=2_000)
    parser.add_argument("--quick", action="store_true", help="100k rows each")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "rules_bench")
    parser.add_argument("--child", type=Path)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.write)
        return
    if args.quick:
        args.n_ref = args.n_bill = 100_000
    args.folder.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"polars": pl.__version__}
    if REFERENCE.exists():
        result["reference"] = part_reference(args.n_ref, args.interp_n)
    result["bill"] = part_bill(args.n_bill, args.folder, args.interp_n)
    print(json.dumps(result, indent=2))
    ref = result.get("reference")
    bill = result["bill"]
    print("\n| measure | figure | target |\n| --- | ---: | --- |")
    if ref:
        print(f"| reference, hand-written polars ({ref['n']:,} cases) | "
              f"{ref['hand_polars_cases_s'] / 1e6:.1f} M/s | |")
        print(f"| reference, batch back end, statuses | {ref['batch_statuses_cases_s'] / 1e6:.1f}"
              f" M/s ({ref['ratio_to_hand']:.2f}x hand) | >= 1/3 hand, >= 50 M/s |")
        print(f"| reference, batch, statuses + args + values | "
              f"{ref['batch_with_args_cases_s'] / 1e6:.1f} M/s | |")
        print(f"| reference, batch, validate + decide | "
              f"{ref['batch_validate_and_decide_cases_s'] / 1e6:.1f} M/s | |")
        print(f"| reference, interpreter | {ref['interpreter_cases_s'] / 1e3:.1f} k/s | |")
    print(f"| bill, {bill['n']:,} cases Parquet -> summary | {bill['summary_wall_s']:.2f} s, "
          f"{bill['summary_peak_rss_mb']:.0f} MB peak | < 2 s, < 4 GB |")
    stages = bill["stages"]
    print(f"| bill, stages: read / + validate / + decide and count | "
          f"{stages['read_s']:.2f} / {stages['read_validate_s']:.2f} / "
          f"{stages['read_validate_decide_summary_s']:.2f} s | |")
    print(f"| bill, same with results written | {bill['with_results_wall_s']:.2f} s, "
          f"{bill['with_results_peak_rss_mb']:.0f} MB peak | |")
    print(f"| bill, interpreter | {bill['interpreter_cases_s'] / 1e3:.1f} k/s | |")


if __name__ == "__main__":
    main()
