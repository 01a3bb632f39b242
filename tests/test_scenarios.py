"""The bill's scenario tests (tests/scenarios/*.yaml), written from the law, run under pytest."""

from __future__ import annotations

from pathlib import Path

import pytest

import rules
from rules.drafter.scenarios import load_scenarios, run_scenario, run_scenarios

SCENARIOS = Path(__file__).parent / "scenarios"
ALL = load_scenarios(SCENARIOS)


@pytest.fixture(scope="module")
def bill() -> rules.RuleSet:
    return rules.load()


@pytest.mark.parametrize("scenario", ALL, ids=[f"{Path(s.file).stem}: {s.name}" for s in ALL])
def test_scenario(bill: rules.RuleSet, scenario) -> None:  # type: ignore[no-untyped-def]
    result = run_scenario(bill, scenario)
    assert result.passed, f"{scenario.name} ({scenario.source}): " + "; ".join(result.failures)


def test_every_provision_applies_in_some_scenario(bill: rules.RuleSet) -> None:
    report = run_scenarios(bill, SCENARIOS)
    assert report.uncovered == [], f"provisions no scenario applies: {report.uncovered}"


def test_at_least_fifty_provisions(bill: rules.RuleSet) -> None:
    assert len(bill.provisions) >= 50
