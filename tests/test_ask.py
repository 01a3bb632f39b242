"""Guided questions (`rules ask`): what is asked, in which order, which answers are accepted, when
it stops, and saving the completed case whole or not at all.

Ranking and stopping are tested on a small rule set written here; the end-to-end sessions run on
the bundled bill, piped through standard input (CliRunner and a real subprocess).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rules
from cli import app
from rules.lawyer.ask import (
    DONT_KNOW,
    AnswerError,
    Session,
    allowed_answers,
    parse_answer,
    run_session,
)

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

SMALL = """
act CC "Criminal Code"
enum kind = battery | murder
enum region = astana | almaty
governing date offence.date
facts
  offence.date : date 2015-01-01..        "The date of the act"
  offence.kind : kind                     "What was done"
  offence.online : boolean                "Committed online"
  victim.birth_date : date                "The victim's date of birth"
  victim.age : integer 0..150 = years_between(victim.birth_date, offence.date)
                                          "The victim's age"
  place.region : region                   "The region"
  other.unused : boolean                  "Never read by a provision"
action reconciliation "Release on reconciliation"
action notify(region: region) "Notify the commissioner"
conclusion qualification : list of text "Articles"

provision p_minor "No reconciliation for a minor"
  source CC article 1
  confidence confirmed
  in force from 2015-01-01
  if victim.age < 18 and offence.kind = battery
  then forbid reconciliation

provision p_online "Online aggravation"
  source CC article 2
  confidence confirmed
  in force from 2015-01-01
  if offence.online and offence.kind = battery
  then conclude qualification = "CC 2"

provision p_notify "Notify"
  source CC article 3
  confidence confirmed
  in force from 2015-01-01
  if victim.age < 18
  then require notify(region = place.region)
"""


@pytest.fixture(scope="module")
def small() -> rules.RuleSet:
    return rules.check({"small.law": SMALL})


def answers(session: Session, replies: dict[str, str]) -> list[str]:
    """Run a session answering from `replies` by fact path; return the paths asked, in order."""
    asked: list[str] = []
    while (question := session.next_question()) is not None:
        asked.append(question.path)
        session.answer(question.path, replies.get(question.path, "?"))
    return asked


def test_most_decisive_fact_first_then_ties_by_name(small: rules.RuleSet) -> None:
    session = Session(small)
    first = session.next_question()
    assert first is not None
    # offence.kind is needed by two undetermined items (reconciliation, qualification), as is
    # victim.age (reconciliation, notify): the tie goes by name.
    assert first.path == "offence.kind"
    assert first.text.startswith("What was done? [offence.kind]")
    assert "2 open items" in first.text   # plural forms by the catalog
    session.answer("offence.kind", "battery")
    second = session.next_question()
    assert second is not None and second.path == "victim.age"
    session.answer("victim.age", "10")
    # offence.online and place.region now bear on one item each: by name again
    third = session.next_question()
    assert third is not None and third.path == "offence.online"


def test_asks_only_facts_that_can_change_an_outcome(small: rules.RuleSet) -> None:
    session = Session(small)
    asked = answers(session, {"offence.kind": "murder", "victim.age": "30"})
    # murder: neither provision on battery can apply, so `offence.online` is not asked; the
    # notification needs the region and the age (an adult: the region no longer matters); every
    # provision is in force on any date the case may give, so the date is not asked; and
    # `other.unused` is read by no provision.
    assert asked == ["offence.kind", "place.region", "victim.age"]
    assert session.decision.undetermined == []


def test_stops_as_soon_as_nothing_more_can_change(small: rules.RuleSet) -> None:
    session = Session(small, {"offence": {"date": "2024-07-01", "kind": "battery",
                                          "online": True},
                              "victim": {"age": 20}})
    assert session.next_question() is None


def test_age_asked_directly_unless_birth_date_given(small: rules.RuleSet) -> None:
    session = Session(small, {"offence": {"kind": "battery", "online": False}})
    asked = answers(session, {"offence.date": "2024-07-01", "victim.age": "10"})
    assert "victim.age" in asked and "victim.birth_date" not in asked

    session = Session(small, {"offence": {"kind": "battery", "online": False},
                              "victim": {"birth_date": "2014-03-15"}})
    question = session.next_question()
    assert question is not None and question.path == "offence.date"
    asked = answers(session, {"offence.date": "2024-07-01"})
    assert "victim.age" not in asked
    assert session.decision.explanation.facts["victim.age"] == 10


def test_dont_know_is_an_answer_and_stays_undetermined(small: rules.RuleSet) -> None:
    session = Session(small, {"offence": {"date": "2024-07-01", "kind": "battery",
                                          "online": False}})
    question = session.next_question()
    assert question is not None and question.path == "victim.age"
    assert session.answer("victim.age", "don't know") is DONT_KNOW
    assert session.next_question() is None or session.next_question().path != "victim.age"
    assert any("victim.age" in u.needs for u in session.decision.undetermined)
    assert session.not_known == ["victim.age"]


def test_fact_only_tested_as_known_is_asked_when_it_changes_the_decision(
        small: rules.RuleSet) -> None:
    session = Session(small, {"offence": {"date": "2024-07-01", "kind": "battery",
                                          "online": False}, "victim": {"age": 10}})
    question = session.next_question()
    assert question is not None and question.path == "place.region"
    session.answer("place.region", "2")
    assert session.decision.outcome("notify") is not None
    assert session.decision.outcome("notify").args == {"region": "almaty"}
    assert session.next_question() is None


@pytest.mark.parametrize(("text", "value"), [("yes", True), ("N", False), ("?", DONT_KNOW),
                                             ("", DONT_KNOW), ("don't know", DONT_KNOW),
                                             ("I don\u2019t know", DONT_KNOW)])
def test_parse_boolean_and_dont_know(small: rules.RuleSet, text: str, value: object) -> None:
    assert parse_answer(small.facts["offence.online"], text) is value


def test_parse_rejects_with_reason(small: rules.RuleSet) -> None:
    with pytest.raises(AnswerError, match=r"outside 0\.\.150"):
        parse_answer(small.facts["victim.age"], "200")
    with pytest.raises(AnswerError, match="not a whole number"):
        parse_answer(small.facts["victim.age"], "ten")
    with pytest.raises(AnswerError, match=r"not a date like 2024-06-16 or 16\.06\.2024"):
        parse_answer(small.facts["offence.date"], "16/06/2024")
    assert parse_answer(small.facts["offence.date"], "16.06.2024") == "2024-06-16"
    with pytest.raises(AnswerError, match="before 2015-01-01"):
        parse_answer(small.facts["offence.date"], "2014-12-31")
    with pytest.raises(AnswerError, match="did you mean `battery`"):
        parse_answer(small.facts["offence.kind"], "batery")
    with pytest.raises(AnswerError, match="not yes or no"):
        parse_answer(small.facts["offence.online"], "maybe")
    assert parse_answer(small.facts["offence.kind"], "Murder") == "murder"
    assert parse_answer(small.facts["offence.kind"], "1") == "battery"


def test_allowed_answers_in_words(small: rules.RuleSet) -> None:
    assert "a whole number from 0 to 150" in allowed_answers(small.facts["victim.age"])
    assert "a date like 2024-06-16 or 16.06.2024, on or after 2015-01-01" in allowed_answers(
        small.facts["offence.date"])
    assert "1 battery, 2 murder" in allowed_answers(small.facts["offence.kind"])
    assert "yes or no" in allowed_answers(small.facts["offence.online"])


def test_answer_the_case_rejects_is_asked_again(small: rules.RuleSet) -> None:
    session = Session(small, {"offence": {"date": "2024-07-01", "kind": "battery",
                                          "online": False},
                              "victim": {"birth_date": "2014-03-15"}})
    with pytest.raises(AnswerError, match=r"victim\.age"):
        session.answer("victim.age", "12")     # the birth date gives 10
    lines: list[str] = []
    replies = iter(["abc", "2024-07-01"])
    session = Session(small, {"offence": {"kind": "battery", "online": False},
                              "victim": {"birth_date": "2014-03-15"}})
    run_session(session, read=lambda _: next(replies, "?"), write=lines.append)
    transcript = "\n".join(lines)
    assert ("Not accepted: 'abc' is not a date like 2024-06-16 or 16.06.2024 (please answer "
            "again)") in transcript
    assert session.case["offence"]["date"] == "2024-07-01"


# ---- end to end on the bundled bill --------------------------------------------------------------

BATTERY = {"offence.kind": "battery", "offence.date": "2024-07-01", "victim.age": "10",
           "offender.age": "36", "offence.cruelty": "no", "offender.lagging_development": "no",
           "place.district": "Yesil", "place.region": "astana"}


def scripted(replies: dict[str, str], case: dict[str, object] | None = None) -> str:
    """Standard input answering the bill's questions from `replies` (else "?"), in the order the
    session asks them (the order itself is tested on the small rule set above)."""
    session = Session(rules.load(), case)
    lines = []
    while (question := session.next_question()) is not None:
        lines.append(replies.get(question.path, "?"))
        session.answer(question.path, lines[-1])
    return "".join(f"{line}\n" for line in lines)


EMPTY_TO_REPORT = scripted(BATTERY)


def test_piped_session_from_empty_case_to_report_and_save(tmp_path: Path) -> None:
    saved = tmp_path / "case.json"
    result = runner.invoke(app, ["ask", "--save", str(saved)], input=EMPTY_TO_REPORT)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("Question 1: What was done? [offence.kind]") < out.index("Qualification")
    assert "Nothing more can change the outcome" in out
    assert "reconciliation: forbidden" in out
    assert "Protections and referrals" in out
    case = json.loads(saved.read_text(encoding="utf-8"))
    # cruelty is not asked: the law presumes there was none, and the report says so
    assert case["offence"] == {"date": "2024-07-01", "kind": "battery"}
    assert case["victim"] == {"age": 10}
    assert case["place"] == {"region": "astana", "district": "Yesil"}
    # the saved case starts a new session: only what was not known is asked again
    again = runner.invoke(app, ["ask", str(saved)], input="\n" * 20)
    assert again.exit_code == 0
    asked_again = [line for line in again.stdout.splitlines() if line.startswith("Question ")]
    assert all(path not in " ".join(asked_again) for path in BATTERY)
    assert [p.name for p in tmp_path.iterdir()] == ["case.json"]


def test_dont_know_answers_are_reported() -> None:
    result = runner.invoke(app, ["ask"], input=scripted({**BATTERY, "offender.age": "?"}))
    assert result.exit_code == 0, result.output
    assert "You did not know: offender.age" in result.stdout
    assert "These stay undetermined:" in result.stdout
    assert "criminal liability (needs offender.age" in result.stdout


def test_wrong_answer_asked_again_with_reason() -> None:
    script = scripted(BATTERY).replace("2024-07-01\n", "yesterday\n2024-07-01\n", 1)
    script = script.replace("\n10\n", "\n200\n10\n", 1)
    result = runner.invoke(app, ["ask"], input=script)
    assert result.exit_code == 0, result.output
    assert "Not accepted: 'yesterday' is not a date like 2024-06-16" in result.stdout
    assert "Not accepted: 200 is outside 0..150" in result.stdout


def test_end_of_input_leaves_no_file(tmp_path: Path) -> None:
    saved = tmp_path / "case.json"
    result = runner.invoke(app, ["ask", "--save", str(saved)], input="battery\n")
    assert result.exit_code == 1
    assert "nothing saved" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_end_of_input_keeps_an_existing_file_intact(tmp_path: Path) -> None:
    saved = tmp_path / "case.json"
    saved.write_text('{"offence": {"kind": "murder"}}', encoding="utf-8")
    result = runner.invoke(app, ["ask", "--save", str(saved)], input="2024-07-01\n")
    assert result.exit_code == 1
    assert saved.read_text(encoding="utf-8") == '{"offence": {"kind": "murder"}}'
    assert [p.name for p in tmp_path.iterdir()] == ["case.json"]


def test_starts_from_a_case_file(tmp_path: Path) -> None:
    case = tmp_path / "start.json"
    case.write_text(json.dumps({"offence": {"date": "2024-07-01", "kind": "battery"},
                                "victim": {"birth_date": "2014-03-15"}}), encoding="utf-8")
    result = runner.invoke(app, ["ask", str(case)], input="\n" * 10)
    assert result.exit_code == 0, result.output
    assert "[offence.kind]" not in result.stdout
    assert "[victim.age]" not in result.stdout


def test_ask_user_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"victim": {"age": 400}}', encoding="utf-8")
    for args in (["ask", str(bad)], ["ask", str(tmp_path / "missing.json")], ["ask", "-"],
                 ["ask", "--save", str(tmp_path / "no" / "such" / "dir.json")]):
        result = runner.invoke(app, args, input="")
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output


def test_piped_subprocess_session() -> None:
    completed = subprocess.run([sys.executable, str(ROOT / "cli.py"), "ask"],
                               input=EMPTY_TO_REPORT, capture_output=True, text=True,
                               timeout=120, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr
    assert "> battery" in completed.stdout        # piped answers are echoed in the transcript
    assert "\x1b[" not in completed.stdout        # no colour codes when piped
    assert "regional commissioner notification (region = astana): required" in \
        completed.stdout
