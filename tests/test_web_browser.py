"""The pages of `rules serve` in a real browser: Debian's Chromium driven by playwright (never a
downloaded browser), against the real server on 127.0.0.1. Screenshots and the printed PDF go to
tests/artifacts/ (git-ignored; CI keeps them).

Russian text: the assertions ask `rules.i18n` for the Russian words, so they check Russian once
the catalogs exist and English (with `lang="ru"` on the page) until then.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from webserver import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, ROOT, Running, running_server

from rules.i18n import translator

PSYCH = (ROOT / "amendments/psych_violence_reconciliation.law").read_text(encoding="utf-8")
BATTERY = json.loads((ROOT / "examples/cases/battery_of_child_2024.json").read_text())

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running_server(tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


class Watched:
    """A page that records CSP violations, script errors and dialogs (none may happen)."""

    def __init__(self, page: object):
        self.page = page
        self.problems: list[str] = []
        page.on("console", lambda m: self.problems.append(m.text)   # type: ignore[attr-defined]
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(str(e)))  # type: ignore[attr-defined]
        page.on("dialog", lambda d: (self.problems.append("dialog: " + d.message),  # type: ignore[attr-defined]
                                     d.dismiss()))


@pytest.fixture
def page(browser: object) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    watched = Watched(context.new_page())
    yield watched
    context.close()
    assert watched.problems == [], watched.problems


def _(lang: str, text: str) -> str:
    return translator(lang).gettext(text)


def fill_battery_case(page: object, district: str = "Yesil") -> None:
    p = page
    p.select_option("#f-offence-kind", "battery")                 # type: ignore[attr-defined]
    p.fill("#f-offence-date", "01.07.2024")                       # type: ignore[attr-defined]
    p.check("input[name='offence.cruelty'][value='no']")          # type: ignore[attr-defined]
    p.fill("#f-victim-birth_date", "15.03.2014")                  # type: ignore[attr-defined]
    p.fill("#f-offender-birth_date", "20.05.1988")                # type: ignore[attr-defined]
    p.select_option("#f-offender-relation", "parent")             # type: ignore[attr-defined]
    for name, value in (("offender.first_offence", "yes"), ("offender.prior_reconciliation", "no"),
                        ("offender.lagging_development", "no"), ("parties.reconciled", "yes"),
                        ("harm.compensated", "yes")):
        p.check(f"input[name='{name}'][value='{value}']")         # type: ignore[attr-defined]
    p.select_option("#f-place-region", "astana")                  # type: ignore[attr-defined]
    p.fill("#f-place-district", district)                         # type: ignore[attr-defined]


def test_form_in_russian_forbids_reconciliation(server: Running, page: Watched) -> None:
    p = page.page
    p.goto(server.url + "/?lang=ru")                              # type: ignore[attr-defined]
    assert p.get_attribute("html", "lang") == "ru"                # type: ignore[attr-defined]
    assert p.locator("fieldset#group-offence legend").first.inner_text() == \
        _("ru", "The offence")                                    # type: ignore[attr-defined]
    fill_battery_case(p)
    p.screenshot(path=str(ARTIFACTS / "form-ru.png"), full_page=True)  # type: ignore[attr-defined]
    p.click("#decide")                                            # type: ignore[attr-defined]
    p.wait_for_selector("#summary")                               # type: ignore[attr-defined]
    assert p.get_attribute("html", "lang") == "ru"                # type: ignore[attr-defined]
    forbidden = p.locator(".forbidden-box").inner_text()          # type: ignore[attr-defined]
    # the action by its Russian name (labels in provisions/01_labels_ru.law)
    assert _("ru", "Forbidden") in forbidden and "примирение" in forbidden
    item = p.locator("#item-reconciliation h3").inner_text()      # type: ignore[attr-defined]
    assert _("ru", "forbidden") in item
    if _("ru", "forbidden") != "forbidden":                       # the catalogs have landed
        assert re.search("[а-яА-Я]", item)
    p.screenshot(path=str(ARTIFACTS / "result-ru.png"), full_page=True)  # type: ignore[attr-defined]
    # the language switch keeps the case
    p.click("nav.langs a[hreflang='kk']")                         # type: ignore[attr-defined]
    assert p.get_attribute("html", "lang") == "kk"                # type: ignore[attr-defined]
    assert "татуласу" in p.locator(".forbidden-box").inner_text()  # type: ignore[attr-defined]


def test_hostile_text_is_shown_not_run(server: Running, page: Watched) -> None:
    p = page.page
    p.goto(server.url + "/")                                      # type: ignore[attr-defined]
    hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>\x1b[31m"
    fill_battery_case(p, district=hostile)
    p.click("#decide")                                            # type: ignore[attr-defined]
    p.wait_for_selector("#summary")                               # type: ignore[attr-defined]
    text = p.locator("#item-district_support_centre_referral h3").inner_text()  # type: ignore[attr-defined]
    assert "<img src=x onerror=alert(1)><script>alert(2)</script>\u241b[31m" in text
    assert p.locator("main img").count() == 0                     # type: ignore[attr-defined]


def test_form_errors_name_the_field(server: Running, page: Watched) -> None:
    p = page.page
    p.goto(server.url + "/")                                      # type: ignore[attr-defined]
    p.select_option("#f-offence-kind", "battery")                 # type: ignore[attr-defined]
    p.fill("#f-offence-date", "31.02.2024")                       # type: ignore[attr-defined]
    p.click("#decide")                                            # type: ignore[attr-defined]
    errors = p.locator("#form-errors").inner_text()               # type: ignore[attr-defined]
    assert "offence.date" in errors and "31.02.2024" in errors
    assert p.input_value("#f-offence-date") == "31.02.2024"       # type: ignore[attr-defined]
    assert p.input_value("#f-offence-kind") == "battery"          # type: ignore[attr-defined]
    page.problems.clear()      # the 422 of the form page is logged by the browser console


def test_form_works_without_javascript(server: Running, browser: object) -> None:
    context = browser.new_context(java_script_enabled=False)      # type: ignore[attr-defined]
    p = context.new_page()
    p.goto(server.url + "/")
    fill_battery_case(p)
    p.click("#decide")
    assert "reconciliation" in p.locator(".forbidden-box").inner_text()
    context.close()


def test_interview_with_one_dont_know(server: Running, page: Watched) -> None:
    p = page.page
    p.goto(server.url + "/interview")                             # type: ignore[attr-defined]
    # the offender's age is the one "don't know" (cruelty is presumed absent, not asked)
    answers = {"offence.kind": "battery", "offence.date": "01.07.2024", "victim.age": "10",
               "place.region": "astana", "place.district": "Yesil",
               "proceedings.date": "02.09.2024"}
    asked = []
    # back and forward: answer the first question, go back, go forward
    p.check("input[name=answer][value=battery]")                  # type: ignore[attr-defined]
    p.click("#next")                                              # type: ignore[attr-defined]
    second = p.input_value("input[name=path]")                    # type: ignore[attr-defined]
    p.click("#back")                                              # type: ignore[attr-defined]
    assert p.input_value("input[name=path]") == "offence.kind"    # type: ignore[attr-defined]
    p.click("#forward")                                           # type: ignore[attr-defined]
    assert p.input_value("input[name=path]") == second            # type: ignore[attr-defined]
    asked.append("offence.kind")
    for _round in range(15):
        if p.locator("#done").count():                            # type: ignore[attr-defined]
            break
        path = p.input_value("input[name=path]")                  # type: ignore[attr-defined]
        asked.append(path)
        value = answers.get(path)
        if value is None:
            p.click("#dont-know")                                 # type: ignore[attr-defined]
            continue
        radio = p.locator(f"input[name=answer][value='{value}']")  # type: ignore[attr-defined]
        if radio.count():
            radio.check()
        else:
            p.fill("#answer", value)                              # type: ignore[attr-defined]
        p.click("#next")                                          # type: ignore[attr-defined]
    assert p.locator("#done").count() == 1                        # type: ignore[attr-defined]
    assert [a for a in asked if a not in answers] == ["offender.age"]
    assert "offender.age" in p.locator("#done").inner_text()      # type: ignore[attr-defined]
    p.screenshot(path=str(ARTIFACTS / "interview-done.png"), full_page=True)  # type: ignore[attr-defined]
    p.click("#see-result")                                        # type: ignore[attr-defined]
    assert "reconciliation" in p.locator(".forbidden-box").inner_text()  # type: ignore[attr-defined]


def test_interview_refuses_a_bad_answer(server: Running, page: Watched) -> None:
    p = page.page
    state = json.dumps({"case": {"offence": {"kind": "battery", "date": "2024-07-01"}}})
    p.goto(server.url + "/interview?" + urlencode({"state": state}))  # type: ignore[attr-defined]
    path = p.input_value("input[name=path]")                      # type: ignore[attr-defined]
    assert path == "victim.age"
    p.fill("#answer", "200")                                      # type: ignore[attr-defined]
    p.evaluate("document.getElementById('answer').removeAttribute('max')")  # type: ignore[attr-defined]
    p.click("#next")                                              # type: ignore[attr-defined]
    assert "200" in p.locator("#answer-error").inner_text()       # type: ignore[attr-defined]
    assert p.input_value("input[name=path]") == "victim.age"      # type: ignore[attr-defined]
    page.problems.clear()


def test_printed_report_is_short_with_header_and_footer(server: Running, browser: object) -> None:
    from pypdf import PdfReader

    context = browser.new_context()                               # type: ignore[attr-defined]
    p = context.new_page()
    p.goto(server.url + "/report?" + urlencode({"case": json.dumps(BATTERY),
                                                "reference": "2-417/2024"}))
    assert p.locator("#print").count() == 1
    pdf = ARTIFACTS / "report-battery.pdf"
    p.pdf(path=str(pdf), prefer_css_page_size=True)
    context.close()
    pages = PdfReader(str(pdf)).pages
    assert 1 <= len(pages) <= 4, len(pages)   # the battery case: the law, its presumptions and inferences (issue 11)
    sha = json.loads(_healthz(server))["rules_sha256"]
    for number, page_ in enumerate(pages, 1):
        text = page_.extract_text()
        assert "2-417/2024" in text                                # header: the case reference
        assert f"{number} / {len(pages)}" in text                  # page numbers
        assert sha in text.replace("\n", "")                       # footer: the rules hash
    last = pages[-1].extract_text()
    assert len(last) > 400                                         # not a page with the hash only
    assert "Print" not in last                                     # the button is not printed


def _healthz(server: Running) -> str:
    import httpx

    return httpx.get(server.url + "/healthz").text


def test_drafter_proves_and_opens_a_witness(server: Running, page: Watched) -> None:
    p = page.page
    p.goto(server.url + "/draft")                                 # type: ignore[attr-defined]
    p.fill("#amendment", PSYCH.replace("in force from 2025-01-01\n", "in fore 2025\n", 1))  # type: ignore[attr-defined]
    p.click("#prove")                                             # type: ignore[attr-defined]
    diagnostics = p.locator("#diagnostics").inner_text()          # type: ignore[attr-defined]
    assert re.search(r"line \d+, column \d+", diagnostics), diagnostics
    page.problems.clear()
    p.fill("#amendment", PSYCH)                                   # type: ignore[attr-defined]
    p.click("#prove")                                             # type: ignore[attr-defined]
    p.wait_for_selector("#changes", timeout=60_000)               # type: ignore[attr-defined]
    first = p.locator("li.change").first                          # type: ignore[attr-defined]
    assert "reconciliation" in first.inner_text() and "forbidden" in first.inner_text()
    before = first.inner_text().split(":", 1)[1].split("\u2192")[0].strip()
    p.screenshot(path=str(ARTIFACTS / "drafter.png"), full_page=True)  # type: ignore[attr-defined]
    first.locator(".open-witness").click()
    p.wait_for_selector("#summary")                               # type: ignore[attr-defined]
    state = p.locator("#item-reconciliation h3")                  # type: ignore[attr-defined]
    if before == "none":
        assert state.count() == 0
    else:
        assert before in state.inner_text()
    p.goto(server.url + "/draft")        # the drafter's page is a POST result: prove again  # type: ignore[attr-defined]
    p.fill("#amendment", PSYCH)                                   # type: ignore[attr-defined]
    p.click("#prove")                                             # type: ignore[attr-defined]
    p.locator("li.change").first.locator("button.open-amended").click()  # type: ignore[attr-defined]
    p.wait_for_selector("#summary")                               # type: ignore[attr-defined]
    assert "psych_violence_2025" in p.locator(".banner").inner_text()  # type: ignore[attr-defined]
    assert "forbidden" in p.locator("#item-reconciliation h3").inner_text()  # type: ignore[attr-defined]


def test_provision_browser(server: Running, page: Watched) -> None:
    p = page.page
    p.goto(server.url + "/provisions?lang=kk")                    # type: ignore[attr-defined]
    p.fill("#q", "68")                                            # type: ignore[attr-defined]
    p.press("#q", "Enter")                                        # type: ignore[attr-defined]
    p.click("a[href^='/provisions/cc_68_minor_violence_2024']")   # type: ignore[attr-defined]
    assert p.get_attribute("html", "lang") == "kk"                # type: ignore[attr-defined]
    body = p.locator("main").inner_text()                         # type: ignore[attr-defined]
    assert "2024-06-16" in body and "cc_68_1_release" in body
    p.screenshot(path=str(ARTIFACTS / "provision.png"), full_page=True)  # type: ignore[attr-defined]
