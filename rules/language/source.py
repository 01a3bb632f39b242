"""Source positions and diagnostics.

Every error the engine reports about a rule file points at a place in it: a `Span` carried from
the parser into every syntax node, and a `Diagnostic` with a stable code (like OPA's
`rego_type_error`) that renders as ``file:line:col``, the line itself and a caret.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Span:
    """A range of source text: 1-based line and column, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = Span("<builtin>", 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in rule text, with a stable code and a place."""

    code: str
    message: str
    span: Span
    severity: Severity = "error"
    notes: tuple[str, ...] = ()

    def render(self, sources: dict[str, str] | None = None) -> str:
        """The diagnostic as a drafter reads it: location, message, the line and a caret."""
        head = f"{self.span}: {self.severity}[{self.code}]: {self.message}"
        lines = [head]
        text = (sources or {}).get(self.span.file)
        if text is not None and self.span.line > 0:
            source_lines = text.splitlines()
            if self.span.line <= len(source_lines):
                line = source_lines[self.span.line - 1]
                width = 1
                if self.span.end_line == self.span.line:
                    width = max(1, self.span.end_column - self.span.column)
                gutter = f"{self.span.line:>5} | "
                lines.append(gutter + line)
                lines.append(" " * (len(gutter) + self.span.column - 1) + "^" * width)
        lines.extend(f"      = {note}" for note in self.notes)
        return "\n".join(lines)


@dataclass
class Diagnostics:
    """Collects diagnostics from every stage instead of stopping at the first one."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, span: Span, *notes: str) -> None:
        self.items.append(Diagnostic(code, message, span, "error", tuple(n for n in notes if n)))

    def warning(self, code: str, message: str, span: Span, *notes: str) -> None:
        self.items.append(Diagnostic(code, message, span, "warning", tuple(n for n in notes if n)))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.span.file, d.span.line, d.span.column, d.code))


class RulesError(Exception):
    """Base of every error the engine raises on user input."""


class RuleSetError(RulesError):
    """Rule text that does not parse or check: carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = sorted(
            diagnostics, key=lambda d: (d.span.file, d.span.line, d.span.column, d.code)
        )
        self.sources = sources or {}
        super().__init__(self.render())

    def render(self) -> str:
        errors = sum(1 for d in self.diagnostics if d.severity == "error")
        body = "\n\n".join(d.render(self.sources) for d in self.diagnostics)
        return f"{body}\n\n{errors} error(s) found"


class CaseError(RulesError):
    """A case that does not fit the facts' declarations: each problem with its field path."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {why}" for path, why in problems))

    def render(self) -> str:
        lines = [f"invalid case: {len(self.problems)} problem(s)"]
        lines.extend(f"  {path or '(case)'}: {why}" for path, why in self.problems)
        return "\n".join(lines)


class UnknownProvision(RulesError, LookupError):
    """No provision has this id (the message carries a did-you-mean hint)."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A hint naming the closest known name, or an empty string."""
    names = sorted(set(candidates))
    longer = [c for c in names if c.startswith(name) and c != name]
    if longer:  # an id written short, as `cc_68_1` for `cc_68_1_release`
        return f"did you mean `{min(longer, key=len)}`?"
    matches = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else ""
