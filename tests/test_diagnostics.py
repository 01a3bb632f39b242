"""Diagnostics as data (Catala's `tests/*/bad`, sqlglot's fixture pairs): every
`tests/diagnostics/<name>.law` is parsed and checked together with `_vocabulary.law`, and what a
drafter sees (every diagnostic rendered with its place, line and caret) must equal
`<name>.expected` exactly. Regenerate after a deliberate change with
`UPDATE_GOLDENS=1 python -m pytest tests/test_diagnostics.py` and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rules.language.loader import diagnose

FOLDER = Path(__file__).resolve().parent / "diagnostics"
VOCABULARY = FOLDER / "_vocabulary.law"
CASES = sorted(p for p in FOLDER.glob("*.law") if p != VOCABULARY)


def rendered(path: Path) -> str:
    sources = {"_vocabulary.law": VOCABULARY.read_text(encoding="utf-8"),
               path.name: path.read_text(encoding="utf-8")}
    _, diagnostics = diagnose(sources)
    ordered = sorted(diagnostics, key=lambda d: (d.span.file, d.span.line, d.span.column, d.code))
    return "\n\n".join(d.render(sources) for d in ordered) + "\n"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_diagnostics_match_the_expected_file(path: Path) -> None:
    expected = path.with_suffix(".expected")
    got = rendered(path)
    if os.environ.get("UPDATE_GOLDENS"):
        expected.write_text(got, encoding="utf-8")
    assert expected.exists(), f"no {expected.name}: run with UPDATE_GOLDENS=1 and review it"
    assert got == expected.read_text(encoding="utf-8")


def test_every_golden_file_reports_something() -> None:
    assert CASES
    for path in CASES:
        assert "error[" in rendered(path), path.name
