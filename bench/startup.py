"""Cold start of `rules eval`, and what the parser cache is worth (docs/LIMITS.md).

lark's `cache=True` kept the LALR tables pickled in the shared temp folder and unpickled them
before any check: a planted file ran code. The parser now caches them only in a private per-user
folder (0700, owned by the user, checked before loading), and builds them when there is none.
This script times, in fresh processes, a cold `rules eval` of an example case:

* `private cache`: the tables come from the private cache (the normal case after the first run);
* `no cache`: no usable cache folder (XDG_CACHE_HOME not absolute, HOME unset): built each time;
* `import only`: `python -c "import rules"` for the floor.

    python bench/startup.py [--runs 15]

Prints medians and the ratio; the target is a cold `rules eval` under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "examples" / "cases" / "battery_of_child_2024.json"


def _time(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    base = {**os.environ, "PYTHONPATH": str(ROOT)}
    eval_argv = [sys.executable, "-c", "import cli; cli.main()", "eval", str(CASE), "--json"]
    with tempfile.TemporaryDirectory() as home:
        cached = {**base, "XDG_CACHE_HOME": str(Path(home) / "cache")}
        subprocess.run(eval_argv, env=cached, cwd=ROOT, check=True, capture_output=True)
        rows = [
            ("import only", _time([sys.executable, "-c", "import rules"], base, args.runs)),
            ("rules eval, private cache", _time(eval_argv, cached, args.runs)),
            ("rules eval, no cache", _time(eval_argv, {**base, "XDG_CACHE_HOME": "none",
                                                        "HOME": "none"}, args.runs)),
        ]
    print(f"| start ({args.runs} runs each) | median s | min s |")
    print("| --- | --- | --- |")
    for name, times in rows:
        print(f"| {name} | {statistics.median(times):.3f} | {min(times):.3f} |")
    cached_median = statistics.median(rows[1][1])
    plain_median = statistics.median(rows[2][1])
    print(f"\nno cache / private cache: {plain_median / cached_median:.2f}x "
          f"(+{(plain_median - cached_median) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
