"""Errors as RFC 9457 problem details (`application/problem+json`).

Every library error on user input maps to a problem with a stable `type`, a `title` in the
user's language, and the details a client needs to fix the input: field paths for a bad case,
diagnostic codes with line and column for bad rule text. Anything else is a bug: it is logged on
the server and answered with a bare 500, never a stack trace.

| type                        | status | raised for                                           |
|-----------------------------|--------|------------------------------------------------------|
| /problems/invalid-case      | 422    | `CaseError` (facts that do not fit their declarations)|
| /problems/invalid-request   | 422    | a body that is not JSON, a bad query parameter        |
| /problems/invalid-rules     | 422    | `RuleSetError` (an amendment that does not parse/check)|
| /problems/unknown-language  | 422    | `UnknownLanguage`                                     |
| /problems/unknown-provision | 404    | `UnknownProvision`                                    |
| /problems/not-found         | 404    | no such page or endpoint                              |
| /problems/method-not-allowed| 405    |                                                       |
| /problems/body-too-large    | 413    | a request body over the server's limit                |
| /problems/busy              | 503    | every solver slot is taken                            |
| /problems/internal          | 500    | a bug (logged with its trace on the server only)      |
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rules.i18n import translator

PROBLEM_JSON = "application/problem+json"


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; it is translated where it is shown."""
    return message


TITLES: dict[str, tuple[int, str]] = {
    "invalid-case": (422, N_("The case does not fit the facts' declarations")),
    "invalid-request": (422, N_("The request is not valid")),
    "invalid-rules": (422, N_("The rule text does not parse or check")),
    "unknown-language": (422, N_("Unknown language")),
    "unknown-provision": (404, N_("No provision has this id")),
    "not-found": (404, N_("Not found")),
    "method-not-allowed": (405, N_("Method not allowed")),
    "body-too-large": (413, N_("The request body is too large")),
    "busy": (503, N_("The solver is busy; try again shortly")),
    "internal": (500, N_("Internal error")),
}


class Problem(Exception):
    """An HTTP problem to answer with; raised by handlers, rendered by `problem_body`."""

    def __init__(self, kind: str, detail: str = "", status: int | None = None,
                 headers: dict[str, str] | None = None, params: dict[str, Any] | None = None,
                 **extra: Any):
        self.kind = kind
        self.status = status or TITLES[kind][0]
        self.detail = detail          # a message marked with N_ (params filled in after
        self.params = params or {}    # translation), or a library message as it is
        self.headers = headers or {}
        self.extra = extra
        super().__init__(f"{kind}: {detail}")

    def body(self, lang: str = "en", instance: str = "") -> dict[str, Any]:
        """The problem document (RFC 9457 members, then the extension members)."""
        t = translator(lang)
        body: dict[str, Any] = {"type": f"/problems/{self.kind}",
                                "title": t.gettext(TITLES[self.kind][1]),
                                "status": self.status}
        if self.detail:
            body["detail"] = t.gettext(self.detail) % self.params if self.params \
                else t.gettext(self.detail)
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body

    def render(self, lang: str = "en", instance: str = "") -> bytes:
        return json.dumps(self.body(lang, instance), ensure_ascii=False).encode("utf-8")


def field_errors(problems: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """`CaseError.problems` as problem members: `{"field": "victim.age", "reason": "..."}`."""
    return [{"field": path or "(case)", "reason": why} for path, why in problems]


def diagnostics_json(diagnostics: Sequence[Any],
                     sources: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Diagnostics with their stable code, place and the rendered excerpt (line and caret)."""
    return [{"code": d.code, "severity": d.severity, "message": d.message,
             "file": d.span.file, "line": d.span.line, "column": d.span.column,
             "end_line": d.span.end_line, "end_column": d.span.end_column,
             "notes": list(d.notes), "rendered": d.render(sources)} for d in diagnostics]


def from_library_error(error: Exception) -> Problem:
    """The problem for a `rules.RulesError` (any other exception is not the user's fault)."""
    from rules.i18n import UnknownLanguage
    from rules.language.source import CaseError, RuleSetError, UnknownProvision

    if isinstance(error, CaseError):
        return Problem("invalid-case", str(error), errors=field_errors(error.problems))
    if isinstance(error, RuleSetError):
        errors = sum(1 for d in error.diagnostics if d.severity == "error")
        return Problem("invalid-rules", f"{errors} error(s) found",
                       diagnostics=diagnostics_json(error.diagnostics, error.sources))
    if isinstance(error, UnknownProvision):
        return Problem("unknown-provision", str(error))
    if isinstance(error, UnknownLanguage):
        return Problem("unknown-language", str(error),
                       errors=[{"field": "lang", "reason": str(error)}])
    return Problem("invalid-request", str(error))
