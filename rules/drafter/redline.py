"""Redlines: the wording of each provision an amendment changes, old beside new.

For every change of every amendment applied (the rule set's history), the texts it ended (as the
rule set before it wrote them) and the texts it created (as the amended rule set writes them) are
printed in the canonical layout and compared word by word. The result is data (`Redline`, a list
of segments: kept, deleted, inserted); `render_terminal` draws it with rich, and the HTML page is
a jinja2 template (`rules/templates/redline.html`) over the same data.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from rules.drafter.consolidate import Version, syntax_index, versions
from rules.language import syntax as s
from rules.language.format import Printer, emit
from rules.language.ruleset import RuleSet

Segment = tuple[Literal["same", "del", "ins"], str]


@dataclass
class Redline:
    amendment: str
    date: str
    verb: str
    target: str
    old: str
    new: str
    segments: list[Segment] = field(default_factory=list)
    place: str = ""
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"amendment": self.amendment, "date": self.date, "change": self.verb,
                "target": self.target, "old": self.old, "new": self.new, "place": self.place}


def node_text(node: s.Item | s.FactDecl) -> str:
    """One syntax node in the canonical layout, without comments."""
    printer = Printer()
    if isinstance(node, s.FactDecl):
        emit(printer, s.FactsBlock((node,)), 0)
        return printer.text().split("\n", 1)[1]
    emit(printer, node, 0)
    return printer.text()


def word_diff(old: str, new: str) -> list[Segment]:
    """Old and new text as kept / deleted / inserted runs of words (whitespace kept)."""
    a = re.findall(r"\s+|[^\s]+", old)
    b = re.findall(r"\s+|[^\s]+", new)
    segments: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            segments.append(("ins", "".join(b[j1:j2])))
    return segments


def redlines(base: RuleSet, amended: RuleSet,
             steps: list[RuleSet] | None = None) -> list[Redline]:
    """A redline for every change the amendments applied on top of `base` made. `steps` (the
    rule set after each amendment) lets each amendment's old text be the text just before it."""
    new_records = amended.history[len(base.history):]
    after_index = syntax_index(amended)
    befores = [base, *(steps or [])[:-1]] if steps else [base] * len(new_records)
    found = []
    for record, before in zip(new_records, befores, strict=False):
        before_index = syntax_index(before)
        for change in record.changes:
            old_parts = [node_text(before_index.get(i) or after_index[i])
                         for i in change.ended if i in before_index or i in after_index]
            fresh = [i for i in change.created if i not in change.ended] or list(change.created)
            new_parts = [node_text(after_index[i]) for i in fresh if i in after_index]
            old = "\n".join(old_parts)
            new = "\n".join(new_parts)
            notes = []
            for kept in change.created:
                if kept in change.ended and kept not in fresh and kept in amended.by_id:
                    p = amended.by_id[kept]
                    until = f" until {p.end}" if p.end else ""
                    notes.append(f"`{kept}` stays in force from {p.start}{until} (acts before "
                                 "the amendment keep the old text)")
            found.append(Redline(record.id, record.date.isoformat(), change.verb, change.target,
                                 old, new, word_diff(old, new), str(change.span), notes))
    return found


def render_terminal(lines: list[Redline]) -> list[Any]:
    """Rich renderables: each redline under a heading, deletions struck out in red, insertions
    underlined in green."""
    from rich.text import Text

    out: list[Any] = []
    for r in lines:
        out.append(Text(f"{r.amendment} ({r.date}): {r.verb} {r.target}", style="bold"))
        for note in r.notes:
            out.append(Text(f"  {note}", style="dim"))
        text = Text()
        for kind, chunk in r.segments:
            style = {"same": "", "del": "red strike", "ins": "green underline"}[kind]
            text.append(chunk, style=style)
        out.append(text)
    return out


def render_plain(lines: list[Redline]) -> str:
    """The redlines as plain text: deletions in [-...-], insertions in {+...+}."""
    parts = []
    for r in lines:
        body = "".join(chunk if kind == "same" else f"[-{chunk}-]" if kind == "del"
                       else f"{{+{chunk}+}}" for kind, chunk in r.segments)
        notes = "".join(f"  {note}\n" for note in r.notes)
        parts.append(f"{r.amendment} ({r.date}): {r.verb} {r.target}\n{notes}{body}")
    return "\n".join(parts)


def render_html(base: RuleSet, amended: RuleSet, title: str,
                steps: list[RuleSet] | None = None) -> str:
    """A standalone HTML page: the table of versions and every redline (jinja2 template)."""
    from rules.drafter.templates import render

    rows: list[Version] = versions(amended)
    return render("redline.html", title=title, redlines=redlines(base, amended, steps),
                  versions=rows, amendments=amended.history[len(base.history):])
