"""Benchmarks of the drafter features: `rules check` analysis, `rules diff`, corpus diff.

    python bench/analysis.py [--cases 100000] [--seed 0]

Prints wall-clock times and where the time goes (encoding vs solving; evaluation per case).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rules  # noqa: E402
from rules.batch.impact import diff_corpus_file  # noqa: E402
from rules.batch.generate import generate  # noqa: E402
from rules.drafter.diff import diff  # noqa: E402
from rules.language.amendments import amend  # noqa: E402
from rules.solver.analysis import analyse  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="profile the corpus diff")
    args = parser.parse_args()

    started = time.perf_counter()
    bill = rules.load()
    print(f"load bill: {time.perf_counter() - started:.2f} s "
          f"({len(bill.provisions)} provisions, {len(bill.facts)} facts)")

    started = time.perf_counter()
    result = analyse(bill, gaps=["reconciliation"])
    total = time.perf_counter() - started
    print(f"check analysis (+ gaps reconciliation): {total:.2f} s, {result.queries} z3 queries, "
          f"{len(result.findings)} findings")

    for file in sorted((ROOT / "amendments").glob("*.law")):
        started = time.perf_counter()
        amended = amend(bill, file)
        applied = time.perf_counter() - started
        report = diff(bill, amended)
        print(f"diff {file.name}: apply {applied:.2f} s + diff {report.seconds:.2f} s, "
              f"{report.queries} z3 queries, {len(report.changes)} transitions, "
              f"{len(report.unchanged)} keys proved unchanged")

    amended = amend(bill, ROOT / "amendments" / "bullying_age_10.law")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.parquet"
        started = time.perf_counter()
        generate(bill, args.cases, seed=args.seed).write_parquet(path)
        print(f"generate {args.cases:,} cases: {time.perf_counter() - started:.2f} s")
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        corpus = diff_corpus_file(bill, amended, path, engine="interpreter")
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)
        print(f"corpus diff {corpus.rows_in:,} rows, interpreter: {corpus.seconds:.1f} s = "
              f"{corpus.cases_per_second:,.0f} rows/s (2 evaluations per row); "
              f"{corpus.changed_rows:,} rows change, {len(corpus.rejected):,} rejected")
        # the same corpus through the polars engine (what `rules diff --cases` uses), same run
        batch = diff_corpus_file(bill, amended, path)
    same = batch.counts == corpus.counts
    print(f"corpus diff {batch.rows_in:,} rows, polars engine: {batch.seconds:.2f} s = "
          f"{batch.cases_per_second:,.0f} rows/s; {batch.changed_rows:,} rows change; "
          f"same transitions as the interpreter: {same}")


if __name__ == "__main__":
    main()
