"""`rules ask` as people use it: in Russian or Kazakh, with a yes/no gate before a date, and at
a real terminal (a pseudo-terminal driven by pexpect): arrow keys edit the line, up recalls an
earlier answer, Tab completes a Cyrillic label, a date is typed as DD.MM.YYYY."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

import rules
from rules.lawyer.ask import Session, run_session

ROOT = Path(__file__).resolve().parent.parent
REPEAT_BULLYING = {"offence": {"date": "2024-09-30", "kind": "cyberbullying", "systematic": True,
                               "online": True},
                   "victim": {"age": 15}, "offender": {"age": 17, "relation": "peer"},
                   "place": {"region": "almaty", "district": "Bostandyk"}}


def _session(bill: rules.RuleSet, case: dict, lang: str, answers: dict[str, str]
             ) -> tuple[Session, list[str], str]:
    # strict (no presumptions): the law would otherwise presume no earlier sanction
    session = Session(bill, case, lang=lang, presumptions=False)
    asked: list[str] = []
    lines: list[str] = []

    def read(prompt: str) -> str:
        assert session.current is not None
        asked.append(session.current.path)
        return answers.get(session.current.path, "?")

    run_session(session, read=read, write=lines.append)
    return session, asked, "\n".join(lines)


def test_the_gate_comes_before_the_date_and_no_means_none(bill: rules.RuleSet) -> None:
    session, asked, transcript = _session(bill, REPEAT_BULLYING, "ru",
                                          {"offender.prior_sanction": "нет"})
    assert "offender.prior_sanction" in asked
    assert "offender.last_sanction_date" not in asked
    assert session.case["offender"]["prior_sanction"] is False
    assert "Подвергался ли правонарушитель ранее взысканию" in transcript


def test_yes_then_the_date_as_dd_mm_yyyy(bill: rules.RuleSet) -> None:
    session, asked, transcript = _session(bill, REPEAT_BULLYING, "kk", {
        "offender.prior_sanction": "иә", "offender.last_sanction_date": "01.02.2024"})
    assert asked.index("offender.prior_sanction") < asked.index("offender.last_sanction_date")
    assert session.case["offender"]["last_sanction_date"] == "2024-02-01"
    assert "Құқық бұзушыға сол әкімшілік құқық бұзушылық үшін" in transcript


def test_never_answers_the_gate(bill: rules.RuleSet) -> None:
    session, asked, _ = _session(bill, REPEAT_BULLYING, "en",
                                 {"offender.prior_sanction": "never"})
    assert session.case["offender"]["prior_sanction"] is False
    assert "offender.last_sanction_date" not in asked


def test_never_contradicting_a_stated_sanction_is_refused(bill: rules.RuleSet) -> None:
    case = json.loads(json.dumps(REPEAT_BULLYING))
    case["offender"]["prior_sanction"] = True
    session = Session(bill, case, lang="ru", presumptions=False)
    question = session.next_question()
    while question is not None and question.path != "offender.last_sanction_date":
        session.answer(question.path, "?")
        question = session.next_question()
    assert question is not None
    with pytest.raises(ValueError, match="противоречит прежнему ответу"):
        session.answer("offender.last_sanction_date", "никогда")


def _spawn(args: list[str], tmp_path: Path) -> pexpect.spawn:
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "PROMPT_TOOLKIT_NO_CPR": "1",
           "TERM": "xterm", "RULES_LANG": ""}
    child = pexpect.spawn(sys.executable, [str(ROOT / "cli.py"), *args], cwd=str(tmp_path),
                          env=env, encoding="utf-8", timeout=30, dimensions=(40, 120))
    return child


LEFT, UP = "\x1b[D", "\x1b[A"
PROMPT = r"\x1b\[\?2004h"      # prompt_toolkit starts reading a line (bracketed paste on)


def test_ask_in_a_real_terminal(tmp_path: Path) -> None:
    saved = tmp_path / "case.json"
    child = _spawn(["ask", "--lang", "ru", "--save", str(saved)], tmp_path)
    answers = {"offender.age": "36", "offence.cruelty": "нет", "place.district": "Тараз",
               "victim.age": "10"}
    seen: list[str] = []
    try:
        while True:
            index = child.expect([r"\[([a-z_]+\.[a-z_.]+)\]", r"Больше ничто не изменит",
                                  pexpect.EOF])
            if index != 0:
                break
            path = child.match.group(1)
            child.expect(PROMPT)
            seen.append(path)
            if path == "offence.kind":
                # typed with a letter missing; three steps left, the letter, Enter: "побои"
                child.send("пбои" + LEFT * 3 + "о\r")
            elif path == "offence.date":
                child.send("10.07.2024\r")
            elif path == "victim.age" and "history" not in seen:
                seen.append("history")
                child.send(UP + "\r")             # recalls 10.07.2024: not an age
                child.expect("Не принято: '10.07.2024' — не целое число")
                child.expect(PROMPT)
                child.send("10\r")
            elif path == "place.region":
                child.send("Жамб\t")              # Tab completes the Russian label
                child.expect("Жамбылская область")
                child.send("\r")
            else:
                child.send(answers.get(path, "?") + "\r")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    output = child.before or ""
    assert child.exitstatus == 0, output
    assert seen[:2] == ["offence.kind", "offence.date"]
    assert "history" in seen and "place.region" in seen
    case = json.loads(saved.read_text(encoding="utf-8"))
    assert case["offence"]["kind"] == "battery"
    assert case["offence"]["date"] == "2024-07-10"
    assert case["victim"]["age"] == 10
    assert case["place"]["region"] == "jambyl"


def test_ctrl_c_in_a_terminal_saves_nothing(tmp_path: Path) -> None:
    saved = tmp_path / "case.json"
    child = _spawn(["ask", "--lang", "kk", "--save", str(saved)], tmp_path)
    try:
        child.expect(r"1-сұрақ")
        child.expect(PROMPT)
        child.sendintr()
        child.expect(re.escape("ештеңе сақталмады"))
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130
    assert not saved.exists()
