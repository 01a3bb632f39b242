"""The web's building blocks: template escaping, form values, the decision log under threads and
processes, solver jobs under a hard time limit, problem documents."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rules
from rules.templates import css_string, render, visible
from rules.web.decision_log import DecisionLog
from rules.web.forms import case_from_form, form_groups, form_values, parse_date
from rules.web.jobs import run_limited
from rules.web.problems import Problem, from_library_error

CASE = {"offence": {"date": "2024-07-01", "kind": "battery"}, "victim": {"age": 10}}


def test_visible_control_characters() -> None:
    assert visible("Yesil\x1b[31m\u202e") == "Yesil\u241b[31m<U+202E>"
    assert visible("line\nnext\ttab") == "line\nnext\ttab"


@given(st.text())
def test_css_string_cannot_escape(text: str) -> None:
    quoted = str(css_string(text))
    inner = quoted[1:-1]
    assert quoted[0] == quoted[-1] == '"'
    assert not any(c in inner for c in '"<>\n\r') and "\\\\" not in inner.replace("\\5c ", "")


@given(st.text())
def test_templates_escape_everything(text: str) -> None:
    html = render("error.html", "en", problem={"title": text, "status": 422, "type": "x",
                                              "detail": text},
                  switch=[], nav=[], href=lambda p, **kw: p, rules_sha256="0",
                  engine_version="0", amendments=[], csp_nonce="")
    assert "<script" not in html.replace('<script src="/static/site.js" defer></script>', "")
    assert "\x1b" not in html


def test_parse_date_as_people_write_it() -> None:
    assert parse_date("2024-07-01").isoformat() == "2024-07-01"        # type: ignore[union-attr]
    assert parse_date("01.07.2024").isoformat() == "2024-07-01"        # type: ignore[union-attr]
    assert parse_date("1/7/2024").isoformat() == "2024-07-01"          # type: ignore[union-attr]
    assert parse_date("31.02.2024") is None and parse_date("yesterday") is None


def test_form_round_trip(bill: rules.RuleSet) -> None:
    groups = [g.name for g in form_groups(bill)]
    assert groups[:5] == ["offence", "victim", "offender", "parties", "harm"]
    kind = next(f for g in form_groups(bill) for f in g.fields if f.path == "offence.kind")
    assert kind.kind == "enum" and kind.choices[0].value == "battery"
    form = {"offence.kind": "Battery", "offence.date": "01.07.2024", "victim.age": "10",
            "parties.reconciled": "да", "harm.compensated": "", "place.district": " Yesil "}
    case, problems = case_from_form(bill, form)
    assert problems == []
    assert case == {"offence": {"kind": "battery", "date": "2024-07-01"}, "victim": {"age": 10},
                    "parties": {"reconciled": True}, "place": {"district": "Yesil"}}
    again, _ = case_from_form(bill, form_values(case))
    assert again == case
    _, problems = case_from_form(bill, {"victim.age": "ten", "offence.kind": "theft",
                                        "parties.reconciled": "maybe"})
    assert [p for p, _ in problems] == ["offence.kind", "victim.age", "parties.reconciled"]


def _append_many(path: str, count: int) -> None:
    bill = rules.load()
    log = DecisionLog(Path(path))
    decision = bill.evaluate(CASE)
    for _ in range(count):
        log.append(decision, "test")


def test_decision_log_from_several_processes(tmp_path: Path, bill: rules.RuleSet) -> None:
    target = tmp_path / "log.jsonl"
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_append_many, args=(str(target), 50)) for _ in range(3)]
    for w in workers:
        w.start()
    _append_many(str(target), 50)
    for w in workers:
        w.join(60)
    lines = target.read_text(encoding="ascii").splitlines()
    assert len(lines) == 200
    assert all(json.loads(line)["case_sha256"] for line in lines)
    with_cases = DecisionLog(tmp_path / "cases.jsonl", log_cases=True)
    with_cases.append(bill.evaluate(CASE), "test")
    entry = json.loads((tmp_path / "cases.jsonl").read_text())
    assert entry["case"]["victim"]["age"] == 10
    assert oct((tmp_path / "cases.jsonl").stat().st_mode & 0o777) == "0o600"


def test_decision_log_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(rules.RulesError, match="does not exist"):
        DecisionLog(tmp_path / "no" / "log.jsonl")


def test_job_is_killed_at_the_time_limit() -> None:
    done = run_limited("sleep", {"seconds": 0.1}, 30)
    assert done.answer == {"slept": 0.1} and not done.timed_out
    stopped = run_limited("sleep", {"seconds": 30}, 0.5)
    assert stopped.timed_out and stopped.answer is None and stopped.seconds < 10


def test_problems_from_library_errors(bill: rules.RuleSet) -> None:
    with pytest.raises(rules.CaseError) as raised:
        bill.evaluate({"victim": {"age": -1}})
    problem = from_library_error(raised.value)
    body = problem.body("en", "/v1/decisions")
    assert body["status"] == 422 and body["errors"][0]["field"] == "victim.age"
    with pytest.raises(rules.UnknownProvision) as missing:
        bill.provision("nope")
    assert from_library_error(missing.value).status == 404
    assert Problem("busy").body()["status"] == 503
