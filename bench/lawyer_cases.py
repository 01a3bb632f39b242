"""How much of a lawyer's brief case the bill settles, with the law's presumptions and without.

    python bench/lawyer_cases.py                    # the cases of bench/lawyer_cases.yaml
    python bench/lawyer_cases.py --cases F.yaml     # other brief cases (the same format)
    python bench/lawyer_cases.py --json             # the figures as JSON

Each case is decided twice: with the presumptions of provisions/06_presumptions.law and in
strict mode (`presumptions=False`, every fact left out unknown). An *outcome* is an action or a
conclusion that either mode decides or leaves open (an action no provision decides in either mode
is not counted); it is *determined* when the decision neither lists it as undetermined nor
reports a conflict on it. An outcome determined with presumptions but not in strict mode *rests
on a presumption*; it is *labelled* when the decision marks it `presumed` with the facts it rests
on. An outcome that rests on a presumption by being `none` (no provision applies because a
presumed fact is false) has no entry to carry the label: those are counted apart.

The figures are not timings: the script measures what the law closes, not speed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rules  # noqa: E402  (the worktree first, as the tests do)
from rules.drafter.scenarios import _as_json  # noqa: E402

CASES = Path(__file__).resolve().parent / "lawyer_cases.yaml"


@dataclass
class Count:
    """One case's figures (or the total)."""

    name: str
    outcomes: int = 0
    determined: int = 0
    strict_determined: int = 0
    resting: int = 0
    labelled: int = 0
    resting_none: int = 0
    open_items: list[str] = field(default_factory=list)

    def add(self, other: Count) -> None:
        self.outcomes += other.outcomes
        self.determined += other.determined
        self.strict_determined += other.strict_determined
        self.resting += other.resting
        self.labelled += other.labelled
        self.resting_none += other.resting_none

    def share(self, part: int, whole: int) -> str:
        return f"{100 * part / whole:5.1f} %" if whole else "    - "


def _open(decision: rules.Decision) -> set[str]:
    """Actions and conclusions the decision does not settle."""
    names = {u.action or u.conclusion or "" for u in decision.undetermined}
    names |= {c.action or c.conclusion or "" for c in decision.conflicts}
    return names - {""}


def _decided(decision: rules.Decision) -> dict[str, list[Any]]:
    """Actions and conclusions the decision settles, each with its entries."""
    found: dict[str, list[Any]] = {}
    for outcome in decision.outcomes:
        found.setdefault(outcome.action, []).append(outcome)
    for conclusion in decision.conclusions:
        found.setdefault(conclusion.name, []).append(conclusion)
    return found


def count(bill: rules.RuleSet, name: str, case: dict[str, Any]) -> Count:
    """Decide one brief case both ways and count its outcomes."""
    presumed = bill.evaluate(case)
    strict = bill.evaluate(case, presumptions=False)
    open_p, open_s = _open(presumed), _open(strict)
    decided_p, decided_s = _decided(presumed), _decided(strict)
    names = set(decided_p) | set(decided_s) | open_p | open_s
    result = Count(name, outcomes=len(names))
    for item in sorted(names):
        if item not in open_p:
            result.determined += 1
        else:
            result.open_items.append(item)
        if item not in open_s:
            result.strict_determined += 1
        if item in open_s and item not in open_p:
            entries = decided_p.get(item, [])
            if not entries:
                result.resting_none += 1
                continue
            result.resting += 1
            if all(entry.presumed for entry in entries if entry not in decided_s.get(item, [])):
                result.labelled += 1
    return result


def load_cases(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [(str(item["name"]), str(item.get("brief", "")), _as_json(item["case"]))
            for item in data]


def run(path: Path = CASES) -> tuple[list[Count], Count]:
    bill = rules.load(ROOT / "provisions")
    counts = [count(bill, name, case) for name, _brief, case in load_cases(path)]
    total = Count("total")
    for c in counts:
        total.add(c)
    return counts, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    counts, total = run(args.cases)
    if args.json:
        print(json.dumps([vars(c) for c in [*counts, total]], indent=2))
        return
    print(f"{'case':<58} {'outcomes':>8} {'presumptions':>12} {'strict':>8} "
          f"{'rest on presumption':>20} {'labelled':>9}  open")
    for c in [*counts, total]:
        if c is total:
            print("-" * 124)
        print(f"{c.name[:58]:<58} {c.outcomes:>8} {c.share(c.determined, c.outcomes):>12} "
              f"{c.share(c.strict_determined, c.outcomes):>8} "
              f"{c.resting:>13} (+{c.resting_none} none) {c.share(c.labelled, c.resting):>9}  "
              f"{', '.join(c.open_items)}")
    print(f"\n{len(counts)} brief cases, {total.outcomes} outcomes: determined with presumptions "
          f"{total.share(total.determined, total.outcomes).strip()}, in strict mode "
          f"{total.share(total.strict_determined, total.outcomes).strip()}; of the "
          f"{total.resting} reported outcomes resting on a presumption, "
          f"{total.share(total.labelled, total.resting).strip()} are labelled `presumed`; "
          f"{total.resting_none} more rest on a presumption by being `none`.")


if __name__ == "__main__":
    main()
