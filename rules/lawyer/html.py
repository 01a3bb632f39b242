"""The case report as a document for the case file: one self-contained HTML page.

Inline CSS only (no scripts, fonts or images to fetch), laid out for A4 (`@page size A4`), every
piece of text escaped with `html.escape`. Built from the same `report.CaseReport` as the terminal
report, plus the full citations of every provision it relies on and the decision record.

Sections (each a `<section id=...>`): facts, answers (the outcomes in one table), reasons (each
item with its provisions, conditions and the facts they read, and what was set aside), undetermined
(with the facts that would settle it), conflicts, citations, record.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from rules.language.ruleset import RuleSet
from rules.lawyer.report import CONFIDENCE_NOTE, CaseReport, Item, build_report
from rules.results import Decision

_CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "DejaVu Serif", Georgia, serif; font-size: 10.5pt; line-height: 1.35;
       color: #111; max-width: 180mm; margin: 0 auto; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 12.5pt; border-bottom: 1px solid #999; margin: 6mm 0 2mm; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 3mm 0 1mm; page-break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eee; }
tr, li, .item { page-break-inside: avoid; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; }
.required { color: #0a6b0a; font-weight: bold; }
.forbidden { color: #a00; font-weight: bold; }
.permitted { color: #045; font-weight: bold; }
.mark { color: #8a5a00; font-weight: bold; }
.cond-true { color: #0a6b0a; } .cond-false { color: #a00; } .cond-unknown { color: #708; }
.muted { color: #555; font-size: 9.5pt; }
.setaside { font-style: italic; }
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _mark(confidence: str) -> str:
    mark = {"secondary": "[S]", "uncertain": "[U]"}.get(confidence, "")
    return f' <span class="mark">{mark}</span>' if mark else ""


def _item_html(item: Item) -> str:
    cls = f' class="{_e(item.modality)}"' if item.modality else ""
    out = [f'<div class="item"><h3>{_e(item.label)}: <span{cls}>{_e(item.value)}</span>'
           f'{_mark(item.confidence)}</h3><ul>']
    for r in item.reasons:
        out.append(f"<li><code>{_e(r.provision)}</code> {_e(r.title)} &mdash; "
                   f"{_e('; '.join(r.citations))}{_mark(r.confidence)}")
        if r.quote:
            out.append(f"<br><span class=\"muted\">&ldquo;{_e(r.quote)}&rdquo;</span>")
        if r.conditions:
            out.append("<ul>")
            for c in r.conditions:
                facts = f' <span class="muted">({_e(c.facts_text)})</span>' if c.facts else ""
                value_class = "cond-" + c.value.replace(" ", "-")
                out.append(f"<li>{_e(c.kind)} <code>{_e(c.text)}</code>: "
                           f'<span class="{value_class}">{_e(c.value)}</span>{facts}</li>')
            out.append("</ul>")
        out.append("</li>")
    for s in item.set_aside:
        out.append(f'<li class="setaside">{_e(s.text)} (by {_e(", ".join(s.by))})</li>')
    out.append("</ul></div>")
    return "".join(out)


def render_report_html(report: CaseReport, title: str = "Case report") -> str:
    """A report model as a self-contained HTML page."""
    body: list[str] = [f"<h1>{_e(title)}</h1>", f"<p><strong>{_e(report.when)}</strong></p>"]

    body.append('<section id="facts"><h2>Facts</h2>')
    if report.facts:
        body.append("<table><tr><th>fact</th><th>value</th><th>meaning</th></tr>")
        for f in report.facts:
            derived = ' <span class="muted">(computed)</span>' if f.derived else ""
            body.append(f"<tr><td><code>{_e(f.path)}</code></td><td>{_e(f.value)}{derived}</td>"
                        f"<td>{_e(f.doc)}</td></tr>")
        body.append("</table>")
    else:
        body.append("<p>No facts stated.</p>")
    body.append("</section>")

    body.append('<section id="answers"><h2>Answers</h2>')
    rows = [(s.title, i) for s in report.sections for i in s.items]
    if rows:
        body.append("<table><tr><th>part</th><th>item</th><th>answer</th><th>provisions</th>"
                    "</tr>")
        for section, item in rows:
            cls = f' class="{_e(item.modality)}"' if item.modality else ""
            body.append(f"<tr><td>{_e(section)}</td><td>{_e(item.label)}</td>"
                        f"<td><span{cls}>{_e(item.value)}</span>{_mark(item.confidence)}</td>"
                        f"<td>{_e(', '.join(r.provision for r in item.reasons))}</td></tr>")
        body.append("</table>")
    elif report.empty:
        body.append("<p>No provision of the rule set applies to these facts.</p>")
    else:
        body.append("<p>Nothing is determined yet: see what is undetermined below.</p>")
    body.append("</section>")

    body.append('<section id="reasons"><h2>Reasons</h2>')
    for part in report.sections:
        if part.items:
            body.append(f"<h2>{_e(part.title)}</h2>")
            body.extend(_item_html(i) for i in part.items)
    body.append("</section>")

    body.append('<section id="undetermined"><h2>Undetermined</h2>')
    if report.undetermined:
        body.append("<table><tr><th>item</th><th>could be</th><th>needs</th></tr>")
        for u in report.undetermined:
            body.append(f"<tr><td>{_e(u.label)}</td><td>{_e(' or '.join(u.possible))}</td>"
                        f"<td>{_e(', '.join(u.needs))}</td></tr>")
        body.append("</table><h3>Facts to find out, most decisive first</h3><ol>")
        for n in report.needed:
            body.append(f"<li><code>{_e(n.path)}</code> {_e(n.doc)} "
                        f'<span class="muted">({n.items} item(s))</span></li>')
        body.append("</ol>")
    else:
        body.append("<p>Nothing: every outcome is settled by the facts.</p>")
    body.append("</section>")

    if report.conflicts:
        body.append('<section id="conflicts"><h2>Conflicts</h2><ul>')
        body.extend(f"<li><strong>{_e(c.on)}</strong>: {_e('; '.join(c.items))}</li>"
                    for c in report.conflicts)
        body.append("</ul></section>")

    body.append('<section id="citations"><h2>Citations</h2><table>'
                "<tr><th>provision</th><th>source</th></tr>")
    for pid, _, full in report.citations:
        body.append(f"<tr><td><code>{_e(pid)}</code></td><td>{_e(full)}</td></tr>")
    body.append(f'</table><p class="muted">{_e(CONFIDENCE_NOTE)}</p></section>')

    body.append('<section id="record"><h2>Decision record</h2><table>')
    body.extend(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>"
                for k, v in report.record.items())
    body.append("</table></section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def render_html(decision: Decision, ruleset: RuleSet, title: str = "Case report") -> str:
    """The decision as a self-contained, printable HTML page."""
    return render_report_html(build_report(decision, ruleset), title)


def write_html(decision: Decision, ruleset: RuleSet, path: str | Path,
               title: str = "Case report") -> None:
    """Write the HTML report whole or not at all (`rules.files.write_text`: an .html file in a
    folder that exists; never a folder, a device or an input)."""
    from rules.files import write_text

    write_text(Path(path), render_html(decision, ruleset, title), REPORT_SUFFIXES, (), "report")


REPORT_SUFFIXES = (".html", ".htm")
