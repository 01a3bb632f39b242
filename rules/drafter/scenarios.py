"""Scenario tests a lawyer can write: YAML files of cases and what the law says about them.

`rules test` and pytest both run them through `run_scenarios`. A scenario states only what its
source supports; expectations it leaves out are not checked. Coverage is by provision: a
provision no scenario applies is reported, because an untested provision is an unverified one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rules.language.ruleset import RuleSet
from rules.language.source import CaseError, RulesError
from rules.results import Decision


class ScenarioFileError(RulesError):
    """A scenario file that is not valid YAML or not in the scenario format."""


@dataclass(frozen=True)
class Scenario:
    name: str
    file: str
    case: dict[str, Any]
    expect: dict[str, Any]
    source: str = ""
    confidence: str = "confirmed"
    as_of: dt.date | None = None
    strict: bool = False   # decided without presumptions (`rules eval --strict`)


@dataclass
class ScenarioResult:
    scenario: Scenario
    failures: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    decision: Decision | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


def _as_json(value: Any) -> Any:
    """YAML reads `2024-07-01` as a date; cases are JSON, so dates become ISO text again."""
    if isinstance(value, dict):
        return {str(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Every scenario in a YAML file or a folder of them (name order)."""
    root = Path(path)
    files = [root] if root.is_file() else sorted([*root.glob("*.yaml"), *root.glob("*.yml")])
    scenarios: list[Scenario] = []
    for file in files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as error:
            raise ScenarioFileError(f"{file}: not valid YAML: {error}") from None
        if not isinstance(data, list):
            raise ScenarioFileError(f"{file}: expected a list of scenarios")
        for index, item in enumerate(data, 1):
            if not isinstance(item, dict) or "case" not in item or "expect" not in item:
                raise ScenarioFileError(f"{file}: scenario {index} needs `case` and `expect`")
            as_of = item.get("as_of")
            scenarios.append(Scenario(
                name=str(item.get("name", f"scenario {index}")), file=str(file),
                case=_as_json(item["case"]) or {}, expect=item["expect"] or {},
                source=str(item.get("source", "")),
                confidence=str(item.get("confidence", "confirmed")),
                as_of=dt.date.fromisoformat(str(as_of)) if as_of else None,
                strict=bool(item.get("strict", False))))
    return scenarios


def run_scenario(ruleset: RuleSet, scenario: Scenario) -> ScenarioResult:
    """Evaluate one scenario and compare the decision with what its source says."""
    result = ScenarioResult(scenario)
    try:
        decision = ruleset.evaluate(scenario.case, as_of=scenario.as_of,
                                    presumptions=not scenario.strict)
    except CaseError as error:
        result.failures.append(f"case rejected: {error}")
        return result
    result.decision = decision
    result.applied = [p.id for p in decision.explanation.provisions if p.status == "applies"]
    _check(decision, scenario.expect, result.failures, ruleset)
    return result


def _cites(value: str, expected: str) -> bool:
    """A conclusion meets an expectation that it equals or refines: "CC 107(2)(8)" is under
    "CC 107(2)", as a lawyer would say; "CC 107(2)" is not under "CC 107(2)(8)"."""
    return value == expected or value.startswith(expected + "(")


def _check(decision: Decision, expect: dict[str, Any], failures: list[str],
           ruleset: RuleSet) -> None:
    """Every expectation of a scenario, one checker per key (those not listed are not
    checked, so a scenario states only what its source supports)."""
    for key, checker in _CHECKS.items():
        if expect.get(key):
            checker(decision, expect[key], failures, ruleset)


def _outcomes(decision: Decision, want: dict[str, Any], failures: list[str],
              ruleset: RuleSet) -> None:
    for action, state in want.items():
        if action not in ruleset.actions:
            failures.append(f"unknown action `{action}` in the expectation")
        elif decision.state(action) != str(state):
            failures.append(f"{action}: expected {state}, got {decision.state(action)}")


def _args(decision: Decision, want: dict[str, Any], failures: list[str],
          ruleset: RuleSet) -> None:
    for action, args in want.items():
        outcome = decision.outcome(action)
        got = outcome.args if outcome else None
        if got != _as_json(args):
            failures.append(f"{action} args: expected {_as_json(args)}, got {got}")


def _conclusions(decision: Decision, want: dict[str, Any], failures: list[str],
                 ruleset: RuleSet) -> None:
    for name, expected in want.items():
        values = [str(v) for v in decision.conclusion_values(name)]
        wanted = [str(w) for w in (expected if isinstance(expected, list) else [expected])]
        missing = [w for w in wanted if not any(_cites(v, w) for v in values)]
        if missing:
            failures.append(f"{name}: expected {', '.join(missing)}, got "
                            f"{', '.join(values) or 'nothing'}")


def _absent(decision: Decision, want: dict[str, Any], failures: list[str],
            ruleset: RuleSet) -> None:
    for name, unwanted in want.items():
        values = [str(v) for v in decision.conclusion_values(name)]
        for value in unwanted if isinstance(unwanted, list) else [unwanted]:
            if any(_cites(v, str(value)) for v in values):
                failures.append(f"{name}: {value} must not be concluded")


def _undetermined(decision: Decision, want: dict[str, Any], failures: list[str],
                  ruleset: RuleSet) -> None:
    for name, needs in want.items():
        entry = next((u for u in decision.open_items()
                      if u.action == name or u.conclusion == name), None)
        if entry is None:
            failures.append(f"{name}: expected undetermined, but it is settled")
            continue
        lacking = [n for n in (needs or []) if n not in entry.needs]
        if lacking:
            failures.append(f"{name}: expected to need {', '.join(lacking)}, needs "
                            f"{', '.join(entry.needs)}")


def _presumed(decision: Decision, want: dict[str, Any], failures: list[str],
              ruleset: RuleSet) -> None:
    """Outcomes and conclusions that must rest on presumed facts (and on which)."""
    for name, facts in want.items():
        items = [o for o in decision.outcomes if o.action == name] + \
            [c for c in decision.conclusions if c.name == name]
        if not items:
            failures.append(f"{name}: expected a presumed outcome, none is settled")
            continue
        got = sorted({f for item in items for f in item.presumed})
        lacking = [f for f in (facts or []) if f not in got]
        if not got or lacking:
            failures.append(f"{name}: expected to rest on the presumed "
                            f"{', '.join(facts or ['facts'])}, rests on "
                            f"{', '.join(got) or 'no presumption'}")


def _conflicts(decision: Decision, want: list[str], failures: list[str],
               ruleset: RuleSet) -> None:
    for name in want:
        if not any(c.action == name or c.conclusion == name for c in decision.conflicts):
            failures.append(f"{name}: expected a conflict, none reported")


def _applies(decision: Decision, want: list[str], failures: list[str],
             ruleset: RuleSet) -> None:
    _status(decision, want, "applies", failures)


def _not_applies(decision: Decision, want: list[str], failures: list[str],
                 ruleset: RuleSet) -> None:
    _status(decision, want, "does_not_apply", failures)


def _status(decision: Decision, ids: list[str], status: str, failures: list[str]) -> None:
    for pid in ids:
        trace = decision.trace(pid)
        if trace is None:
            failures.append(f"unknown provision `{pid}` in the expectation")
        elif status == "does_not_apply" and trace.status == "applies" and trace.set_aside_by:
            continue  # set aside by a provision with priority: it does not govern the case
        elif trace.status != status:
            failures.append(f"{pid}: expected {status.replace('_', ' ')}, got "
                            f"{trace.status.replace('_', ' ')}"
                            + (f" ({'; '.join(trace.failed)})" if trace.failed else ""))


def _set_aside(decision: Decision, want: list[str], failures: list[str],
               ruleset: RuleSet) -> None:
    for pid in want:
        trace = decision.trace(pid)
        if trace is None or not trace.set_aside_by:
            failures.append(f"{pid}: expected to be set aside")


_CHECKS: dict[str, Any] = {
    "outcomes": _outcomes, "args": _args, "conclusions": _conclusions,
    "absent_conclusions": _absent, "undetermined": _undetermined, "presumed": _presumed,
    "conflicts": _conflicts, "applies": _applies, "not_applies": _not_applies,
    "set_aside": _set_aside,
}


@dataclass
class ScenarioReport:
    results: list[ScenarioResult]
    provisions: list[str]

    @property
    def failed(self) -> list[ScenarioResult]:
        return [r for r in self.results if not r.passed]

    @property
    def coverage(self) -> dict[str, int]:
        """Per provision: how many scenarios it applies in."""
        counts = dict.fromkeys(self.provisions, 0)
        for result in self.results:
            for pid in result.applied:
                if pid in counts:
                    counts[pid] += 1
        return counts

    @property
    def uncovered(self) -> list[str]:
        return [pid for pid, count in self.coverage.items() if count == 0]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.uncovered


def run_scenarios(ruleset: RuleSet, path: str | Path) -> ScenarioReport:
    """Run every scenario under `path` and measure coverage by provision."""
    results = [run_scenario(ruleset, s) for s in load_scenarios(path)]
    return ScenarioReport(results, [p.id for p in ruleset.provisions])
