"""The corpus diff on the batch back end agrees with the reference interpreter engine, row for
row (the rejected rows, the transitions, the changed rows)."""

from __future__ import annotations

from pathlib import Path

import pytest

import rules
from rules.batch.generate import generate
from rules.batch.impact import diff_corpus_file
from rules.language.amendments import apply_amendment, load_amendment

ROOT = Path(__file__).resolve().parent.parent
AMENDMENTS = sorted((ROOT / "amendments").glob("*.law"))


@pytest.fixture(scope="module")
def bill() -> rules.RuleSet:
    return rules.load()


@pytest.fixture(scope="module")
def corpus(bill: rules.RuleSet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "cases.parquet"
    generate(bill, 3000, seed=11, invalid_share=0.01).write_parquet(path)
    return path


@pytest.mark.parametrize("amendment", AMENDMENTS, ids=[a.stem for a in AMENDMENTS])
def test_batch_corpus_diff_matches_the_interpreter(bill: rules.RuleSet, corpus: Path,
                                                   amendment: Path) -> None:
    amended = apply_amendment(bill, load_amendment(amendment))
    batch = diff_corpus_file(bill, amended, corpus)
    reference = diff_corpus_file(bill, amended, corpus, engine="interpreter")
    assert batch.rows_in == reference.rows_in == 3000
    assert batch.rows_in == batch.evaluated + len(batch.rejected)
    assert [r for r, _, _ in batch.rejected] == [r for r, _, _ in reference.rejected]
    assert batch.counts == reference.counts
    assert batch.changed_rows == reference.changed_rows


def test_changed_rows_are_written(bill: rules.RuleSet, corpus: Path, tmp_path: Path) -> None:
    import json

    amended = apply_amendment(bill, load_amendment(ROOT / "amendments" /
                                                   "psych_violence_reconciliation.law"))
    out = tmp_path / "changed.jsonl"
    result = diff_corpus_file(bill, amended, corpus, changed_out=out, chunk_rows=700)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == result.changed_rows > 0
    first = lines[0]
    assert first["changes"] and {"from", "to"} <= set(first["changes"][0])
    assert "offence.kind" in first["case"]
