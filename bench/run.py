"""The performance benchmark of the rules engine: every figure side by side, in one run.

    python bench/run.py                 # full run, prints a markdown table (about a minute)
    python bench/run.py --quick         # fewer repetitions, for a smoke test
    python bench/run.py --profile       # also cProfile part (b), top 25 by cumulative time
    python bench/run.py --json bench/out/results.json   # also write the raw figures

Parts (see bench/README.md for what each figure means):
  (a) parse + check of the bundled bill, in-process (lark grammar already built) and as a cold
      process (`import rules; rules.load()` minus a bare `import rules`)      target < 150 ms
  (b) one case against the whole bill, rule set loaded, Decision with explanation,
      over ~1000 generated realistic cases                                      target < 100 us
  (c) the ANCHORS reference rule set (bench/anchors/reference.law) in the engine vs the same
      rules hand-written in Python (bench/anchors/baseline.py)                  target <= 15x
  (d) `rules eval examples/cases/<first json>` as a whole process              target < 0.5 s

Timings use time.perf_counter_ns, a warm-up, several repetitions; the table gives the median
and the 90th percentile. Nothing here changes the engine; it only calls its public API
(`rules.load`, `rules.check`, `rules.language.loader.read_sources`, `RuleSet.evaluate`, `RuleSet.facts`,
`RuleSet.case_model`).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import inspect
import io
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "anchors"))

import baseline  # noqa: E402

import rules  # noqa: E402
from rules.language import core  # noqa: E402

ANCHORS_DIR = HERE / "anchors"

# Realistic ages (whole years on the date of the act) for derived age facts: the generator picks
# a birth date that gives such an age. Any other fact is drawn from its declared type and range.
AGE_HINTS: dict[str, Callable[[random.Random], int]] = {
    "victim.age": lambda r: r.randint(0, 17) if r.random() < 0.85 else r.randint(18, 25),
    "offender.age": lambda r: r.randint(10, 17) if r.random() < 0.35 else r.randint(18, 70),
}
DISTRICTS = baseline.DISTRICTS
DATE_WINDOW = (dt.date(2015, 1, 1), dt.date(2026, 12, 31))   # offence dates generated within


# ---- statistics ---------------------------------------------------------------------------------

def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(samples_ns: list[int], unit: float) -> dict[str, float]:
    """Median / p90 / min of nanosecond samples, in `unit` nanoseconds (1e3: us, 1e6: ms)."""
    values = [s / unit for s in samples_ns]
    return {"median": statistics.median(values), "p90": pct(values, 0.9), "min": min(values),
            "n": len(values)}


def timer_floor_ns() -> float:
    samples = []
    clock = time.perf_counter_ns
    for _ in range(20000):
        t0 = clock()
        t1 = clock()
        samples.append(t1 - t0)
    return statistics.median(samples)


def per_call(function: Callable[[Any], Any], items: list[Any], reps: int, warmup: int = 1
             ) -> tuple[list[int], list[int]]:
    """Time `function(item)` for every item, `reps` times after `warmup` passes.

    Returns every per-call time (ns) and the total time of each repetition (ns).
    """
    clock = time.perf_counter_ns
    for _ in range(warmup):
        for item in items:
            function(item)
    calls: list[int] = []
    totals: list[int] = []
    for _ in range(reps):
        gc.collect()
        block = 0
        for item in items:
            t0 = clock()
            function(item)
            t1 = clock()
            calls.append(t1 - t0)
            block += t1 - t0
        totals.append(block)
    return calls, totals


# ---- case generation from RuleSet.facts ---------------------------------------------------------

def _age_inputs(ruleset: rules.RuleSet) -> dict[str, str]:
    """Date facts that derived ages are computed from: input path -> derived fact path.

    Recognises `derived = years_between(INPUT, <governing date>)`.
    """
    found: dict[str, str] = {}
    for path, fact in ruleset.facts.items():
        d = fact.derivation
        if isinstance(d, core.Call) and d.function == "years_between" and \
                all(isinstance(a, core.FactRef) for a in d.args) and \
                d.args[1].path == ruleset.governing_date:  # type: ignore[union-attr]
            found[d.args[0].path] = path  # type: ignore[union-attr]
    return found


def _birth_date_for(age: int, on: dt.date, rng: random.Random) -> dt.date:
    """A birth date that makes someone exactly `age` whole years old on `on`."""
    def years_before(years: int) -> dt.date:
        try:
            return on.replace(year=on.year - years)
        except ValueError:          # 29 February
            return on.replace(year=on.year - years, day=28)
    latest = years_before(age)                                   # birthday on `on`
    earliest = years_before(age + 1) + dt.timedelta(days=1)
    return earliest + dt.timedelta(days=rng.randint(0, (latest - earliest).days))


class CaseGenerator:
    """Seeded random cases built from a rule set's declared facts (types, ranges, enum values).

    `complete=False` gives realistic cases: the governing date, the birth dates behind derived
    ages, enums and texts are nearly always stated, other facts (booleans, other dates) about
    60% of the time, so many decisions carry undetermined outcomes, as real intake does.
    Derived facts are never stated: the engine computes them. Governing dates cluster around
    the provisions' entry-into-force dates a quarter of the time.
    """

    def __init__(self, ruleset: rules.RuleSet, seed: int, complete: bool = False):
        self.ruleset = ruleset
        self.rng = random.Random(seed)
        self.complete = complete
        self.governing = ruleset.governing_date
        self.age_inputs = _age_inputs(ruleset)
        gov = ruleset.facts.get(self.governing) if self.governing else None
        low = max(DATE_WINDOW[0], gov.low) if gov is not None and gov.low else DATE_WINDOW[0]
        high = min(DATE_WINDOW[1], gov.high) if gov is not None and gov.high else DATE_WINDOW[1]
        self.window = (low, high)
        self.pivots = sorted({p.start for p in ruleset.provisions if low < p.start <= high})

    def _governing_date(self) -> dt.date:
        rng = self.rng
        low, high = self.window
        if self.pivots and rng.random() < 0.25:
            day = rng.choice(self.pivots) + dt.timedelta(days=rng.randint(-3, 3))
            return min(max(day, low), high)
        return dt.date.fromordinal(rng.randint(low.toordinal(), high.toordinal()))

    def _present(self, kind: str) -> bool:
        if self.complete:
            return True
        p = {"enum": 0.9, "text": 0.9}.get(kind, 0.6)
        return self.rng.random() < p

    def _value(self, path: str, fact: Any, on: dt.date) -> Any:
        rng = self.rng
        kind = fact.type.kind
        if kind == "enum":
            return rng.choice(fact.type.values)
        if kind == "boolean":
            return rng.random() < 0.4
        if kind == "integer":
            low = fact.low if fact.low is not None else 0
            high = fact.high if fact.high is not None else low + 100
            return rng.randint(low, min(high, low + 100))
        if kind == "text":
            return rng.choice(DISTRICTS) if "district" in path else f"text {rng.randint(1, 99)}"
        # another date: within ten years before the governing date, inside its declared range
        day = on - dt.timedelta(days=rng.randint(0, 3650))
        if fact.low is not None:
            day = max(day, fact.low)
        if fact.high is not None:
            day = min(day, fact.high)
        return day.isoformat()

    def flat(self) -> dict[str, Any]:
        on = self._governing_date()
        case: dict[str, Any] = {}
        for path, fact in self.ruleset.facts.items():
            if fact.derivation is not None:
                continue
            if path == self.governing:
                case[path] = on.isoformat()
            elif path in self.age_inputs:
                derived = self.age_inputs[path]
                hint = AGE_HINTS.get(derived)
                dfact = self.ruleset.facts[derived]
                age = hint(self.rng) if hint else self.rng.randint(dfact.low or 0,
                                                                   min(dfact.high or 80, 80))
                case[path] = _birth_date_for(age, on, self.rng).isoformat()
            elif self._present(fact.type.kind):
                case[path] = self._value(path, fact, on)
        return case

    def case(self) -> dict[str, Any]:
        """A case as the engine reads it: dotted fact paths become nested objects."""
        nested: dict[str, Any] = {}
        for path, value in self.flat().items():
            node = nested
            *groups, leaf = path.split(".")
            for group in groups:
                node = node.setdefault(group, {})
            node[leaf] = value
        return nested

    def cases(self, n: int) -> tuple[list[dict[str, Any]], int]:
        """`n` cases the engine accepts, and how many drawn cases it rejected (CaseError)."""
        out: list[dict[str, Any]] = []
        rejected = 0
        while len(out) < n:
            case = self.case()
            try:
                self.ruleset.evaluate(case)
            except rules.CaseError:
                rejected += 1
                if rejected > 10 * n:
                    raise
                continue
            out.append(case)
        return out, rejected


# ---- (a) parse + check --------------------------------------------------------------------------

def bench_load(path: Path, reps: int, cold_reps: int) -> dict[str, Any]:
    from rules.language.loader import read_sources

    rules.check(read_sources(path))        # builds the lark grammar (cached per process)
    samples = []
    parse_samples = []
    for _ in range(reps):                 # alternate, so drift hits both alike
        gc.collect()
        t0 = time.perf_counter_ns()
        ruleset = rules.check(read_sources(path))
        samples.append(time.perf_counter_ns() - t0)
        sources = read_sources(path)
        gc.collect()
        t0 = time.perf_counter_ns()
        for name, text in sources.items():
            rules.parse(text, name)
        parse_samples.append(time.perf_counter_ns() - t0)
    size = {"files": len(read_sources(path)), "provisions": len(ruleset.provisions),
            "facts": len(ruleset.facts), "definitions": len(ruleset.definitions),
            "lines": sum(t.count("\n") for t in read_sources(path).values())}

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    target = str(path)

    def run(code: str) -> int:
        t0 = time.perf_counter_ns()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        return time.perf_counter_ns() - t0

    bare_code = "import rules"
    load_code = f"import rules; rules.load({target!r})"
    run(bare_code)
    run(load_code)                       # warm the OS file cache and .pyc files
    bare, loaded = [], []
    for _ in range(cold_reps):           # alternate, so drift hits both alike
        bare.append(run(bare_code))
        loaded.append(run(load_code))
    diffs = [b - a for a, b in zip(bare, loaded, strict=True)]
    return {"warm": summary(samples, 1e6), "parse_only": summary(parse_samples, 1e6),
            "cold_bare": summary(bare, 1e6), "cold_load": summary(loaded, 1e6),
            "cold_diff": {"median": (statistics.median(loaded) - statistics.median(bare)) / 1e6,
                          "p90": pct([d / 1e6 for d in diffs], 0.9),
                          "paired_median": statistics.median(diffs) / 1e6},
            "size": size}


# ---- (b) one case against the bill --------------------------------------------------------------

def explained(ruleset: rules.RuleSet) -> Callable[[Any], Any]:
    """`evaluate` and read the decision's explanation (built lazily by newer engines)."""
    evaluate = ruleset.evaluate

    def run(case: Any) -> Any:
        decision = evaluate(case)
        decision.explanation  # noqa: B018 - forces the trace of every provision
        return decision
    return run


def explanation_is_lazy() -> bool:
    return "explanation" not in rules.Decision.model_fields


def bench_bill_cases(bill: rules.RuleSet, n: int, reps: int, seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {"lazy": explanation_is_lazy()}
    for label, complete in (("realistic", False), ("complete", True)):
        cases, rejected = CaseGenerator(bill, seed, complete).cases(n)
        decisions = [bill.evaluate(c) for c in cases]
        calls, _ = per_call(explained(bill), cases, reps)
        plain, _ = per_call(bill.evaluate, cases, reps)
        out[label] = {
            **summary(calls, 1e3), "cases": len(cases), "reps": reps, "rejected": rejected,
            "no_explanation": summary(plain, 1e3),
            "with_undetermined": sum(bool(d.undetermined) for d in decisions) / len(cases),
            "with_conflicts": sum(bool(d.conflicts) for d in decisions) / len(cases),
            "outcomes_per_case": statistics.mean(len(d.outcomes) for d in decisions),
        }
    # the pydantic case model alone (the floor set by validating the input)
    cases, _ = CaseGenerator(bill, seed, False).cases(n)
    model = bill.case_model
    calls, _ = per_call(model.model_validate, cases, reps)
    out["validate_only"] = summary(calls, 1e3)
    return out


def bill_profile(bill: rules.RuleSet, n: int, seed: int, top: int = 25) -> str:
    cases, _ = CaseGenerator(bill, seed, False).cases(n)
    run = explained(bill)
    for c in cases:
        run(c)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(3):
        for c in cases:
            run(c)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    text.write("\n--- top 15 by own time (tottime) ---\n")
    stats.sort_stats("tottime").print_stats(15)
    return text.getvalue()


# ---- (c) reference rule set: engine vs hand-written Python --------------------------------------

def _decision_free(ruleset: rules.RuleSet) -> tuple[str, Callable[[Any], Any]] | None:
    """A public evaluation that does not build the pydantic Decision, if the engine has one."""
    for name in ("evaluate_raw", "evaluate_fast", "decide_raw", "evaluate_outcomes", "outcomes"):
        function = getattr(ruleset, name, None)
        if callable(function):
            return f"RuleSet.{name}", function
    try:
        params = inspect.signature(ruleset.evaluate).parameters
    except (TypeError, ValueError):
        return None
    for flag in ("explain", "explanation", "with_explanation"):
        if flag in params:
            return (f"RuleSet.evaluate(..., {flag}=False)",
                    lambda case, _f=flag: ruleset.evaluate(case, **{_f: False}))
    return None


def bench_reference(n: int, reps: int, seed: int) -> dict[str, Any]:
    ref = rules.load(ANCHORS_DIR)
    rng = random.Random(seed)
    cases = [baseline.random_case(rng) for _ in range(n)]
    mismatches = [c for c in cases if baseline.engine_codes(ref.evaluate(c)) != baseline.codes(c)]
    # warm both, then alternate blocks: engine, python, engine, python ...
    per_call(ref.evaluate, cases, 0, warmup=1)
    per_call(baseline.codes, cases, 0, warmup=3)
    engine_calls: list[int] = []
    python_calls: list[int] = []
    paired: list[float] = []
    for _ in range(reps):
        e_calls, _ = per_call(ref.evaluate, cases, 1, warmup=0)
        p_calls, _ = per_call(baseline.codes, cases, 1, warmup=0)
        engine_calls += e_calls
        python_calls += p_calls
        paired.append(statistics.median(e_calls) / statistics.median(p_calls))
    model = ref.case_model
    v_calls, _ = per_call(model.model_validate, cases, reps)
    e_codes_calls, _ = per_call(lambda c: baseline.engine_codes(ref.evaluate(c)), cases, reps)
    x_calls, _ = per_call(explained(ref), cases, reps)
    out: dict[str, Any] = {
        "engine": summary(engine_calls, 1e3), "python": summary(python_calls, 1e3),
        "validate_only": summary(v_calls, 1e3), "engine_to_codes": summary(e_codes_calls, 1e3),
        "explained": summary(x_calls, 1e3),
        "paired_ratio": statistics.median(paired), "cases": n, "reps": reps,
        "mismatches": len(mismatches), "size": {"provisions": len(ref.provisions),
                                                "definitions": len(ref.definitions)},
    }
    free = _decision_free(ref)
    if free is None:
        out["decision_free"] = None
    else:
        label, function = free
        calls, _ = per_call(function, cases, reps)
        out["decision_free"] = {"api": label, **summary(calls, 1e3)}
    return out


# ---- (d) the CLI as a whole process -------------------------------------------------------------

def _cli_command() -> tuple[list[str], str] | None:
    script = shutil.which("rules")
    if script:
        try:
            from importlib.metadata import distribution

            distribution("kz-child-safety-rules")
            return [script], f"`{Path(script).name}` console script"
        except Exception:
            pass
    if (ROOT / "cli.py").is_file():
        return [sys.executable, str(ROOT / "cli.py")], "`python cli.py`"
    if (ROOT / "rules" / "__main__.py").is_file():
        return [sys.executable, "-m", "rules"], "`python -m rules`"
    return None


def bench_cli(reps: int) -> dict[str, Any]:
    cases = sorted((ROOT / "examples" / "cases").glob("*.json"))
    command = _cli_command()
    if command is None:
        return {"skipped": "neither a `rules` console script nor cli.py exists yet"}
    if not cases:
        return {"skipped": "no examples/cases/*.json"}
    argv, label = command
    case = cases[0]
    full = [*argv, "eval", str(case.relative_to(ROOT))]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("COLUMNS", "100")

    def run() -> tuple[int, subprocess.CompletedProcess[bytes]]:
        t0 = time.perf_counter_ns()
        done = subprocess.run(full, cwd=ROOT, env=env, capture_output=True)
        return time.perf_counter_ns() - t0, done

    _, first = run()                      # warm-up (OS file cache, .pyc)
    if first.returncode != 0:
        return {"skipped": f"{label} eval exited {first.returncode}: "
                           f"{first.stderr.decode(errors='replace').strip()[:300]}",
                "command": " ".join(full)}
    samples = [run()[0] for _ in range(reps)]
    return {**summary(samples, 1e9), "command": label + f" eval {case.relative_to(ROOT)}",
            "reps": reps}


# ---- report -------------------------------------------------------------------------------------

def status(value: float, target: float) -> str:
    return "ok" if value < target else "**over**"


def fmt(x: float, digits: int = 1) -> str:
    if x != x:  # nan
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def report(a: dict[str, Any], b: dict[str, Any], c: dict[str, Any], d: dict[str, Any],
           floor_ns: float) -> str:
    rows = ["| part | measure | median | p90 | target | vs target | notes |",
            "| --- | --- | ---: | ---: | ---: | --- | --- |"]
    s = a["size"]
    rows.append(f"| a | parse + check bundled bill, in-process (grammar cached) | "
                f"{fmt(a['warm']['median'])} ms | {fmt(a['warm']['p90'])} ms | < 150 ms | "
                f"{status(a['warm']['median'], 150)} | {s['files']} files, {s['lines']} lines, "
                f"{s['provisions']} provisions; median of {a['warm']['n']} |")
    rows.append(f"| a | … of which parse only (`rules.parse` per file) | "
                f"{fmt(a['parse_only']['median'])} ms | {fmt(a['parse_only']['p90'])} ms | | | |")
    rows.append(f"| a | cold process: `import rules; rules.load()` − `import rules` | "
                f"{fmt(a['cold_diff']['median'])} ms | {fmt(a['cold_diff']['p90'])} ms | < 150 ms "
                f"| {status(a['cold_diff']['median'], 150)} | includes building the lark "
                f"grammar; paired median {fmt(a['cold_diff']['paired_median'])} ms |")
    rows.append(f"| a | cold process `import rules; rules.load()` (total wall) | "
                f"{fmt(a['cold_load']['median'])} ms | {fmt(a['cold_load']['p90'])} ms | | | "
                f"bare `import rules`: {fmt(a['cold_bare']['median'])} ms; "
                f"{a['cold_load']['n']} runs each |")
    for label, title in (("realistic", "realistic cases (some facts unknown)"),
                         ("complete", "complete cases (every fact stated)")):
        r = b[label]
        rows.append(
            f"| b | bill, 1 case, Decision + explanation read, {title} | {fmt(r['median'])} µs | "
            f"{fmt(r['p90'])} µs | < 100 µs | {status(r['median'], 100)} | {r['cases']} cases × "
            f"{r['reps']} reps; {r['with_undetermined']:.0%} with undetermined, "
            f"{r['with_conflicts']:.0%} with conflicts, "
            f"{r['outcomes_per_case']:.1f} outcomes/case |")
        q = r["no_explanation"]
        rows.append(
            f"| b | … same cases, `evaluate()` without reading `.explanation` | "
            f"{fmt(q['median'])} µs | {fmt(q['p90'])} µs | | | "
            + ("explanation built lazily, on first access |" if b["lazy"] else
               "explanation is an eager field: same work |"))
    rows.append(f"| b | … bill case model, pydantic validate only (floor) | "
                f"{fmt(b['validate_only']['median'])} µs | {fmt(b['validate_only']['p90'])} µs "
                f"| | | `RuleSet.case_model.model_validate` |")
    e, p = c["engine"], c["python"]
    ratio = e["median"] / p["median"]
    rows.append("| c | reference set, engine, `evaluate()` (Decision"
                + (", explanation not read" if b["lazy"] else " + explanation") + ") | "
                f"{fmt(e['median'])} µs | {fmt(e['p90'])} µs | | | {c['size']['provisions']} "
                f"provisions, {c['size']['definitions']} definitions; {c['cases']} cases × "
                f"{c['reps']} reps |")
    rows.append(f"| c | reference set, hand-written Python (per-case limit) | "
                f"{fmt(p['median'], 2)} µs | {fmt(p['p90'], 2)} µs | | | ANCHORS: 0.61 µs |")
    rows.append(f"| c | **engine ÷ Python** | {fmt(ratio)}× | | ≤ 15× | {status(ratio, 15.0001)} "
                f"| paired in-process (median of per-rep ratios): {fmt(c['paired_ratio'])}× |")
    rows.append(f"| c | … engine + mapping to ANCHORS codes | {fmt(c['engine_to_codes']['median'])}"
                f" µs | {fmt(c['engine_to_codes']['p90'])} µs | | | as crosscheck.py does |")
    v = c["validate_only"]
    rows.append(f"| c | … reference case model, pydantic validate only | {fmt(v['median'], 2)} µs "
                f"| {fmt(v['p90'], 2)} µs | | | {fmt(v['median'] / p['median'])}× Python; "
                f"ANCHORS pydantic anchor 1.56 µs |")
    x = c["explained"]
    rows.append(f"| c | … engine, `evaluate()` + reading `.explanation` | {fmt(x['median'])} µs "
                f"| {fmt(x['p90'])} µs | | | {fmt(x['median'] / p['median'])}× Python |")
    free = c["decision_free"]
    if free is None:
        rows.append("| c | … evaluation without building the Decision | – | – | | | skipped: the "
                    "engine exposes no public Decision-free evaluation |")
    else:
        rows.append(f"| c | … evaluation without the Decision (`{free['api']}`) | "
                    f"{fmt(free['median'])} µs | {fmt(free['p90'])} µs | | | "
                    f"{fmt(free['median'] / p['median'])}× Python |")
    if "skipped" in d:
        rows.append(f"| d | `rules eval` whole process | – | – | < 0.5 s | skipped | "
                    f"{d['skipped']} |")
    else:
        rows.append(f"| d | {d['command']}, whole process | {fmt(d['median'], 3)} s | "
                    f"{fmt(d['p90'], 3)} s | < 0.5 s | {status(d['median'], 0.5)} | "
                    f"median of {d['reps']} runs after 1 warm-up |")
    foot = [
        "",
        f"Crosscheck on the {c['cases']} reference cases timed in (c): "
        f"{c['mismatches']} mismatches (engine vs hand-written Python).",
        f"Timer floor (perf_counter_ns pair): {floor_ns:.0f} ns per call, included in every "
        f"per-case figure.",
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"rules {rules.__version__}; {dt.datetime.now().isoformat(timespec='seconds')}; "
        f"load average at the end {os.getloadavg()[0]:.2f} (other processes share the CPUs).",
    ]
    return "\n".join(rows + foot)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the rules engine (see bench/README.md)")
    parser.add_argument("--quick", action="store_true", help="fewer cases and repetitions")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile part (b) and print the top 25 functions by cumulative time")
    parser.add_argument("--cases", type=int, default=1000, help="cases for (b) and (c)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of the case loops")
    parser.add_argument("--seed", type=int, default=20240616)
    parser.add_argument("--bill", type=Path, default=None,
                        help="folder of the rule set for (a) and (b) (default: bundled bill)")
    parser.add_argument("--json", type=Path, default=None, help="write the raw figures here")
    args = parser.parse_args(argv)
    n, reps = (200, 3) if args.quick else (args.cases, args.reps)
    load_reps, cold_reps, cli_reps = (5, 3, 3) if args.quick else (15, 7, 5)
    bill_path = args.bill or rules.bundled_path()

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    floor = timer_floor_ns()
    say(f"(a) parse + check {bill_path} ...")
    a = bench_load(bill_path, load_reps, cold_reps)
    bill = rules.load(bill_path)
    say(f"(b) {n} cases x {reps} reps against the bill ...")
    b = bench_bill_cases(bill, n, reps, args.seed)
    say(f"(c) reference rule set vs hand-written Python, {n} cases x {reps} reps ...")
    c = bench_reference(n, reps, args.seed)
    say("(d) rules eval as a whole process ...")
    d = bench_cli(cli_reps)
    table = report(a, b, c, d, floor)
    print(table)
    if args.profile:
        print("\n## Profile of (b): realistic cases against the bill, top 25 by cumulative time\n")
        print("```")
        print(bill_profile(bill, n, args.seed).rstrip())
        print("```")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"a": a, "b": b, "c": c, "d": d, "timer_floor_ns": floor,
                                         "python": platform.python_version()}, indent=2,
                                        default=str), encoding="utf-8")
    return 1 if c["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
