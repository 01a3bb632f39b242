"""The pages of `rules serve` as HTML over real sockets: languages, escaping, errors as pages,
the report's CSP nonce, presumed facts marked (the browser tests drive the same pages)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import urlencode

import httpx
import pytest
from webserver import ROOT, running_server

import rules

BATTERY = json.loads((ROOT / "examples/cases/battery_of_child_2024.json").read_text())
CASE_Q = urlencode({"case": json.dumps(BATTERY)})


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with running_server(tmp_path_factory.mktemp("pages")) as running, \
            httpx.Client(base_url=running.url, timeout=60) as c:
        yield c


PAGES = ["/", "/interview", "/provisions", "/provisions/cc_68_1_release", "/draft", "/docs",
         f"/result?{CASE_Q}", f"/why-not?provision=cc_68_1_release&{CASE_Q}",
         "/problems/invalid-case"]


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_every_page_in_every_language(client: httpx.Client, lang: str) -> None:
    for path in PAGES:
        sep = "&" if "?" in path else "?"
        response = client.get(f"{path}{sep}lang={lang}")
        assert response.status_code == 200, (path, response.text[:300])
        html = response.text
        assert f'<html lang="{lang}">' in html
        for code in ("en", "ru", "kk"):                 # the switch, back to this same page
            assert re.search(rf'<a href="[^"]*lang={code}[^"]*" hreflang="{code}"', html), path
        assert not re.search(r"<[^>]+\son[a-z]+=", html)         # no inline event handlers
        assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/site.js" defer>']


def test_report_page_style_nonce_matches_the_policy(client: httpx.Client) -> None:
    response = client.get(f"/report?{CASE_Q}&lang=ru")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"])
    assert nonce and f'<style nonce="{nonce.group(1)}">' in response.text
    assert '<html lang="ru">' in response.text and "@page" in response.text
    assert response.text.count("<style") == 1


def test_errors_are_pages_not_500(client: httpx.Client) -> None:
    cases = {"/?lang=xx": 422, "/result?case=%7Bnot json": 422,
             "/result?" + urlencode({"case": json.dumps({"victim": {"age": -3}})}): 422,
             "/interview?state=%5B1%5D": 422,
             "/interview?" + urlencode({"state": json.dumps(
                 {"steps": [["victim.age", "two hundred"]]})}): 422,
             "/provisions/nope": 404, "/nowhere": 404, "/why-not?provision=x": 404}
    for path, status in cases.items():
        response = client.get(path)
        assert response.status_code == status, (path, response.text[:300])
        assert response.headers["content-type"].startswith("text/html")
        assert "Traceback" not in response.text
    assert "victim.age" in client.get(
        "/result?" + urlencode({"case": json.dumps({"victim": {"age": -3}})})).text


def test_form_fields_and_choices(client: httpx.Client, bill: rules.RuleSet) -> None:
    html = client.get("/").text
    for group in ("offence", "victim", "offender", "parties", "place"):
        assert f'id="group-{group}"' in html
    for path in bill.facts:
        assert f'name="{path}"' in html
    assert '<option value="step_parent">step parent</option>' in html


def test_form_post_keeps_values_and_names_problems(client: httpx.Client) -> None:
    response = client.post("/result", data={"offence.kind": "battery",
                                            "offence.date": "01.07.2024",
                                            "victim.age": "10", "victim.birth_date": "2000-01-01"})
    assert response.status_code == 422
    assert "victim.age" in response.text and 'value="01.07.2024"' in response.text
    ok = client.post("/result", data={"offence.kind": "battery", "offence.date": "01.07.2024",
                                      "victim.age": "10", "as_of": "16.06.2024"})
    assert ok.status_code == 200 and "2024-06-16" in ok.text


def test_presumed_facts_are_marked(bill: rules.RuleSet) -> None:
    from rules.lawyer.html import render_report_html, report_context

    context = report_context(bill.evaluate(BATTERY), bill)
    context["presumed"] = {"offender.prior_sanction": SimpleNamespace(
        fact="offender.prior_sanction", value=False, sources=["CAO art. 61"],
        rebuttal="a sanction on record")}
    context["presumed_by_item"] = {"reconciliation": ["offender.prior_sanction"]}
    html = render_report_html(context)
    assert "Presumed facts" in html and "a sanction on record" in html
    reconciliation = html[html.index('id="item-reconciliation"'):][:600]
    assert 'class="presumed"' in reconciliation and "offender.prior_sanction" in reconciliation
