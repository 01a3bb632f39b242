"""Batch benchmark: every engine against the shared hand-written baselines, in one run.

    python bench/batch.py                        # 1 M and 6.8 M reference cases, the 6.8 M bill
    python bench/batch.py --quick                # 200 k cases each: a smoke test
    python bench/batch.py --sizes 1000000 --reps 7 --skip-engines

1. **The reference rules** (bench/anchors/reference.law, the ANCHORS rule set) on the polars
   engine against `polars_baseline.run_batch` from /work/shared/perf/baselines (imported from
   there: the hand-written lazy polars of ANCHORS.md), on the same input frame
   (`cases.to_polars(cases.generate(n))`), validation included, every code and argument out
   (statuses and arguments; deciding provisions left out: the baseline has none). The two
   alternate, `--reps` times; medians and the ratio (baseline time / ours: >= 1 means we are
   as fast). Our codes are checked against `python_baseline.decide` on a sample of rows.
2. **The whole bill** over `--bill` generated cases, Parquet on disk -> the summary (what
   `rules batch cases.parquet` does), in a fresh process: wall time (load, compile, read,
   validate, decide, count) and peak memory (VmHWM), median of 3; once with the enum facts
   written as text (what `rules generate` writes), once as Parquet dictionary columns that
   polars reads back as Enum (what a typed pipeline writes; nothing to resolve).
3. **Per-core rates** of every engine on the bill, Parquet -> summary, each in a fresh process
   limited to one core and then two (polars threads, DuckDB threads, Spark local[n]); Spark's
   session start is not counted (a cluster keeps its session), the first query's planning is.
   The interpreter: cases per second on one core.

The machine is shared (2 cores, other engineers' tests): medians, ratios and the load average
are printed with the figures; absolute rates from different runs do not compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINES = Path("/work/shared/perf/baselines")
REFERENCE = ROOT / "bench" / "anchors" / "reference.law"
sys.path.insert(0, str(ROOT))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def baselines() -> tuple[Any, Any, Any]:
    if not BASELINES.is_dir():
        print(f"the shared baselines are not at {BASELINES}: part 1 needs them "
              "(cases.py, polars_baseline.py, python_baseline.py); skipped", file=sys.stderr)
        return None, None, None
    sys.path.insert(0, str(BASELINES))
    import cases
    import polars_baseline
    import python_baseline
    return cases, polars_baseline, python_baseline


# ---- 1. reference rules against the hand-written polars ------------------------------------

CODES = {"mandatory_prosecution", "protective_order", "refer_district_support_center",
         "refer_regional_psych_center", "victim_support_program", "bullying_program",
         "juvenile_justice", "commission_on_minors", "notify_education_dept",
         "notify_guardianship_authority", "temporary_placement"}


def our_codes(row: dict[str, Any]) -> frozenset[str]:
    """The ANCHORS procedure codes of one result row of reference.law."""
    out = set()
    if row["reconciliation"] == "permitted":
        out.add("RECONCILIATION_ALLOWED")
    elif row["reconciliation"] == "forbidden":
        out.add("RECONCILIATION_FORBIDDEN")
    for action in CODES:
        if row[action] == "required":
            out.add(action.upper())
    if row["notify_ombudsman"] == "required":
        out.add(f"NOTIFY_OMBUDSMAN:{row['notify_ombudsman.region']}")
    return frozenset(out)


def part_reference(sizes: list[int], reps: int, sample: int) -> list[dict[str, Any]]:
    import rules
    from rules.batch.engines import open_engine

    cases, polars_baseline, python_baseline = baselines()
    if cases is None:
        return []
    engine = open_engine("polars", rules.load(REFERENCE))
    out = []
    for n in sizes:
        columns = cases.generate(n)
        frame = cases.to_polars(columns)
        results, rejects = engine.decide(frame, provisions=False)
        assert rejects.height == 0 and results.height == n, rejects.head()
        dicts = cases.to_dicts(cases.slice_cols(columns, 0, sample))
        want = [frozenset(python_baseline.decide(c)) for c in dicts]
        got = [our_codes(r) for r in results.head(len(want)).iter_rows(named=True)]
        agree = sum(w == g for w, g in zip(want, got, strict=True))
        assert agree == len(want), [(w, g) for w, g in zip(want, got, strict=True) if w != g][:3]
        ours, hand = [], []
        for _ in range(reps):   # alternating, same frame
            start = time.perf_counter()
            polars_baseline.run_batch(frame)
            hand.append(time.perf_counter() - start)
            start = time.perf_counter()
            engine.decide(frame, provisions=False)
            ours.append(time.perf_counter() - start)
        t_hand, t_ours = statistics.median(hand), statistics.median(ours)
        out.append({"n": n, "hand_s": t_hand, "ours_s": t_ours,
                    "hand_cases_s": n / t_hand, "ours_cases_s": n / t_ours,
                    "ratio": t_hand / t_ours,
                    "paired_ratio": statistics.median(h / o for h, o in zip(hand, ours,
                                                                            strict=True)),
                    "sample_agrees": f"{agree}/{len(want)}", "load": load()})
        print(f"reference {n:,}: baseline {n / t_hand / 1e6:.1f} M/s, ours "
              f"{n / t_ours / 1e6:.1f} M/s, ratio {t_hand / t_ours:.2f} (load {load()})",
              file=sys.stderr)
    return out


# ---- 2. and 3.: child processes ----------------------------------------------------------

def bill_file(n: int, folder: Path, typed: bool = False) -> Path:
    """`n` generated bill cases (seed 42); `typed`: enum facts as Parquet dictionary columns
    polars reads back as Enum (`generate(enum_dtype=True)`), as a typed pipeline would write
    them; otherwise as text, as `rules generate` writes them."""
    import rules
    from rules.batch.generate import write

    bill = rules.load()     # (the file name carries the bill's fingerprint: never a stale file)
    path = folder / f"bill_{n}_{bill.fingerprint[:12]}{'_typed' if typed else ''}.parquet"
    if not path.exists():
        start = time.perf_counter()
        write(bill, n, path, seed=42, enum_dtype=typed)
        print(f"generated {n:,} bill cases in {time.perf_counter() - start:.1f} s",
              file=sys.stderr)
    return path


def child(args: argparse.Namespace) -> None:
    """One timed run in this (fresh) process; prints JSON."""
    started = time.perf_counter()
    import rules
    from rules.batch.engines import open_engine

    options: dict[str, Any] = {}
    if args.engine == "duckdb":
        options["threads"] = args.cores
    if args.engine == "spark":
        from rules.batch.spark_engine import spark_session
        options["session"] = spark_session(f"local[{args.cores}]", partitions=args.cores)
    engine = open_engine(args.engine, rules.load(), **options)
    ready = time.perf_counter()
    if args.engine == "interpreter":
        import polars as pl
        frame = pl.read_parquet(args.child, n_rows=args.rows)
        start = time.perf_counter()
        results, _ = engine.decide(frame, provisions=False)
        rows, seconds = frame.height, time.perf_counter() - start
        summary = {"rows_in": rows, "rows_evaluated": results.height}
    else:
        start = time.perf_counter()
        result = engine.run(args.child, None)
        rows, seconds = result.rows_in, time.perf_counter() - start
        summary = {"rows_in": result.rows_in, "rows_evaluated": result.rows_evaluated}
    print(json.dumps({"wall_s": time.perf_counter() - started, "run_s": seconds,
                      "setup_s": ready - started, "rows": rows, "peak_rss_mb": peak_rss_mb(),
                      **summary}))


def peak_rss_mb() -> float:
    """This process's own peak memory (VmHWM; `ru_maxrss` keeps the parent's at fork)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_child(path: Path, engine: str, cores: int, rows: int | None = None) -> dict[str, Any]:
    env = dict(os.environ, POLARS_MAX_THREADS=str(cores), PYTHONPATH=str(ROOT))
    command = [sys.executable, __file__, "--child", str(path), "--engine", engine,
               "--cores", str(cores)]
    if rows:
        command += ["--rows", str(rows)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def part_bill(n: int, folder: Path, typed: bool = False) -> dict[str, Any]:
    path = bill_file(n, folder, typed)
    runs = [run_child(path, "polars", os.cpu_count() or 2) for _ in range(3)]
    wall = statistics.median(r["wall_s"] for r in runs)
    kind = "typed " if typed else ""
    print(f"bill {n:,} {kind}Parquet -> summary: {wall:.2f} s (setup "
          f"{statistics.median(r['setup_s'] for r in runs):.2f} s), "
          f"{max(r['peak_rss_mb'] for r in runs):.0f} MB peak (load {load()})", file=sys.stderr)
    return {"n": n, "typed": typed, "wall_s": wall,
            "run_s": statistics.median(r["run_s"] for r in runs),
            "setup_s": statistics.median(r["setup_s"] for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "rows_evaluated": runs[0]["rows_evaluated"], "load": load()}


def part_engines(folder: Path, sizes: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for engine, n in sizes.items():
        if engine == "interpreter":
            path = bill_file(max(sizes.values()), folder)
        else:
            path = bill_file(n, folder)
        for cores in (1, 2) if engine != "interpreter" else (1,):
            run = run_child(path, engine, cores, n if engine == "interpreter" else None)
            rate = run["rows"] / run["run_s"]
            out.append({"engine": engine, "cores": cores, "rows": run["rows"],
                        "run_s": run["run_s"], "cases_s": rate, "per_core_cases_s": rate / cores,
                        "peak_rss_mb": run["peak_rss_mb"], "load": load()})
            print(f"{engine} x{cores}: {run['rows']:,} rows in {run['run_s']:.2f} s = "
                  f"{rate:,.0f} cases/s ({rate / cores:,.0f} per core; load {load()})",
                  file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 6_800_000])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--bill", type=int, default=6_800_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip-engines", action="store_true")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "rules_bench")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", type=Path)
    parser.add_argument("--engine", default="polars")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--rows", type=int)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.quick:
        args.sizes, args.bill, args.reps = [200_000], 200_000, 3
    args.folder.mkdir(parents=True, exist_ok=True)
    import polars as pl
    result: dict[str, Any] = {"polars": pl.__version__, "load_before": load(),
                              "cpus": os.cpu_count()}
    result["reference"] = part_reference(args.sizes, args.reps, args.sample)
    result["bill"] = part_bill(args.bill, args.folder)
    result["bill_typed"] = part_bill(args.bill, args.folder, typed=True)
    if not args.skip_engines:
        small = 200_000 if args.quick else 1_000_000
        result["engines"] = part_engines(args.folder, {
            "polars": small, "duckdb": small, "spark": small // 2 if args.quick else 500_000,
            "interpreter": 2_000})
    result["load_after"] = load()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print_table(result)


def print_table(result: dict[str, Any]) -> None:
    print(f"\npolars {result['polars']}, {result['cpus']} cores; load average (1/5/15 min) "
          f"before {result['load_before']}, after {result['load_after']}\n")
    print("| measure | figure | goal |\n| --- | ---: | --- |")
    for ref in result["reference"]:
        print(f"| reference rules, {ref['n']:,} cases: hand-written polars | "
              f"{ref['hand_cases_s'] / 1e6:.1f} M/s ({ref['hand_s'] * 1e3:.0f} ms) | |")
        print(f"| reference rules, {ref['n']:,} cases: polars engine, validated, all codes and "
              f"arguments | {ref['ours_cases_s'] / 1e6:.1f} M/s ({ref['ours_s'] * 1e3:.0f} ms); "
              f"**{ref['ratio']:.2f}x** the baseline (paired {ref['paired_ratio']:.2f}x); "
              f"codes agree {ref['sample_agrees']} | >= 1.0x |")
    for bill in (result["bill"], result["bill_typed"]):
        kind = "typed Parquet (enums as Enum)" if bill["typed"] else "Parquet (enums as text)"
        print(f"| bill, {bill['n']:,} cases, {kind} -> summary (fresh process; of which "
              f"start-up, load and plan {bill['setup_s']:.2f} s) | {bill['wall_s']:.2f} s, "
              f"{bill['peak_rss_mb']:.0f} MB peak | <= 1.5 s, <= 2 GB |")
    for e in result.get("engines", []):
        print(f"| bill, {e['engine']} on {e['cores']} core(s), {e['rows']:,} cases | "
              f"{e['cases_s']:,.0f} cases/s = {e['per_core_cases_s']:,.0f} per core | |")


if __name__ == "__main__":
    main()
