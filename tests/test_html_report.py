"""The HTML case report: self-contained, printable on A4, every text escaped, all sections."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rules
from cli import app
from rules.lawyer.html import render_html

runner = CliRunner()
CASE = {"offence": {"date": "2024-07-01", "kind": "battery"}, "victim": {"age": 10},
        "offender": {"age": 36, "relation": "parent"},
        "parties": {"reconciled": True}, "harm": {"compensated": True},
        "place": {"region": "astana", "district": "<script>alert('x')</script> & Co"}}


class Page(HTMLParser):
    """Collects section ids, tags, text and link/script use."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "section":
            self.sections.append(dict(attrs).get("id") or "")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def page(bill: rules.RuleSet) -> tuple[str, Page]:
    html = render_html(bill.evaluate(CASE), bill)
    parser = Page()
    parser.feed(html)
    return html, parser


def test_sections_in_order(page: tuple[str, Page]) -> None:
    _, parsed = page
    assert parsed.sections[0] == "record"          # the record heads the page, under the title
    assert parsed.sections[1:4] == ["facts", "answers", "reasons"]
    for section in ("undetermined", "citations", "record"):
        assert section in parsed.sections
    assert parsed.sections.index("reasons") < parsed.sections.index("citations")


def test_self_contained_and_a4(page: tuple[str, Page]) -> None:
    html, parsed = page
    assert html.startswith("<!DOCTYPE html>")
    assert "@page { size: A4" in parsed.style
    for tag in ("script", "link", "img", "iframe"):
        assert tag not in parsed.tags
    assert "http://" not in html and "https://" not in html


def test_text_is_escaped(page: tuple[str, Page]) -> None:
    html, parsed = page
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in html
    assert any("<script>alert('x')</script> & Co" in t for t in parsed.text)


def test_reasons_and_full_citations(page: tuple[str, Page], bill: rules.RuleSet) -> None:
    html, parsed = page
    text = " ".join(parsed.text)
    assert "reconciliation" in text and "forbidden" in text
    assert "sets aside cc_68_1_release" in text
    full = bill.by_id["cc_68_1_release"].sources[0].full
    assert full in text
    assert "Criminal Code of the Republic of Kazakhstan No. 226-V of 3 July 2014" in text
    assert "[S]" in text                       # secondary sources are marked
    assert bill.fingerprint in html            # the decision record


def test_eval_report_option_writes_the_page(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text('{"offence": {"date": "2024-07-01", "kind": "battery"}, '
                    '"victim": {"age": 10}}', encoding="utf-8")
    target = tmp_path / "case.html"
    result = runner.invoke(app, ["eval", str(case), "--report", str(target)])
    assert result.exit_code == 0, result.output
    assert "Qualification" in result.stdout
    parsed = Page()
    parsed.feed(target.read_text(encoding="utf-8"))
    assert "facts" in parsed.sections
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.html", "case.json"]
    missing = runner.invoke(app, ["eval", str(case), "--report", str(tmp_path / "no" / "x.html")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr
