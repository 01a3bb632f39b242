"""Shared fixtures for the engine test suite.

Engine semantics are tested on the small rule sets in tests/fixtures/ (a vocabulary and one
provision per semantic rule), never on the bundled bill, which changes under the tests; the bill
is only used for smoke and property tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import rules  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The header every test provision uses unless a test is about the header itself.
HEADER = "  source CC article 1\n  confidence confirmed\n  in force from 2015-01-01\n"


def provision(pid: str, body: str, header: str = HEADER, title: str = "A test provision") -> str:
    """Rule text of one provision: `body` holds its `if`/`overrides` clauses and `then` part."""
    return f'provision {pid} "{title}"\n{header}  {body}\n\n'


@pytest.fixture(scope="session")
def vocabulary_text() -> str:
    return (FIXTURES / "semantics" / "00_vocabulary.law").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def semantics() -> rules.RuleSet:
    """The vocabulary and the semantics provisions, loaded from the fixtures folder."""
    return rules.load(FIXTURES / "semantics")


@pytest.fixture(scope="session")
def bill() -> rules.RuleSet:
    """The bundled bill (smoke and property tests only)."""
    return rules.load()


@pytest.fixture
def check_with(vocabulary_text):
    """Check the fixture vocabulary plus extra rule text (file name -> text)."""

    def run(extra: str = "", **files: str) -> rules.RuleSet:
        sources = {"vocabulary.law": vocabulary_text, "extra.law": extra}
        sources.update({name.replace("_law", ".law"): text for name, text in files.items()})
        return rules.check(sources)

    return run


@pytest.fixture
def diagnostics_of(check_with):
    """The diagnostics of a rule text that must fail to check."""

    def run(extra: str = "", **files: str) -> list[rules.Diagnostic]:
        with pytest.raises(rules.RuleSetError) as raised:
            check_with(extra, **files)
        return raised.value.diagnostics

    return run


@pytest.fixture
def provision_text():
    return provision
