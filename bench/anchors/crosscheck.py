"""Check that reference.law under the engine gives exactly the codes of baseline.py.

    python bench/anchors/crosscheck.py [-n 20000] [--seed 7]

Draws N random complete cases (seeded), decides each with the engine and with the hand-written
function, and compares the sets of procedure codes. Exits 1 on any mismatch (printing the first
few cases and both results); a mismatch is an engine bug or a transcription bug in one of the two.
Also checks a few hand-picked edge cases (the cut-off dates, ages 13/14/17/18).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))   # the repository root: `import rules`
sys.path.insert(0, str(HERE))

from baseline import codes, engine_codes, random_case  # noqa: E402

import rules  # noqa: E402


def edge_cases() -> list[dict]:
    base = {"victim_age": 10, "offender_age": 30, "relation": "parent",
            "offence_kind": "physical_violence", "harm": "light", "repeated": False,
            "location": "home", "region": "astana", "district": "Yesil",
            "offence_date": "2024-07-01"}
    out = []
    for date in ("2024-06-30", "2024-07-01", "2025-08-31", "2025-09-01"):
        for kind in ("physical_violence", "psychological_violence", "cyberbullying", "bullying"):
            for vage in (13, 14, 17, 18):
                for oage in (13, 14, 17, 18):
                    for loc in ("school", "online"):
                        out.append({**base, "offence_date": date, "offence_kind": kind,
                                    "victim_age": vage, "offender_age": oage, "location": loc,
                                    "repeated": vage % 2 == 0, "harm": "grave" if oage == 17
                                    else "light"})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000, help="random cases (default 20000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", type=int, default=5, help="mismatches to print")
    args = parser.parse_args(argv)

    ruleset = rules.load(HERE)
    rng = random.Random(args.seed)
    cases = edge_cases() + [random_case(rng) for _ in range(args.n)]
    mismatches = 0
    seen_codes: set[str] = set()
    for case in cases:
        want = codes(case)
        seen_codes |= want
        try:
            got: set[str] | str = engine_codes(ruleset.evaluate(case))
        except Exception as error:
            got = f"{type(error).__name__}: {error}"
        if got != want:
            mismatches += 1
            if mismatches <= args.show:
                print(f"MISMATCH case {json.dumps(case)}")
                print(f"  python: {sorted(want)}")
                print(f"  engine: {sorted(got) if isinstance(got, set) else got}")
                if isinstance(got, set):
                    print(f"  python only: {sorted(want - got)}; engine only: {sorted(got - want)}")
    codes_seen = len({c.split(':')[0] for c in seen_codes})
    print(f"crosscheck: {len(cases)} cases ({len(cases) - args.n} edge + {args.n} random, "
          f"seed {args.seed}), {codes_seen}/14 codes produced, {mismatches} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
