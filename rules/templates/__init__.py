"""The jinja2 templates every HTML page is rendered from.

One set of templates serves the case report written by `rules eval --report` and the pages of
`rules serve`: the report document (`report.html`) and the web result page share their macros
(`_decision.html`), so the file and the browser never disagree. Each language has its own
environment with the gettext callables of `rules.i18n` installed (`_()` and `{% trans %}` in the
templates), autoescaping on, and a `finalize` hook that makes control characters and bidi
overrides visible: a district named `<script>` or carrying terminal escapes is shown, never run.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

FOLDER = Path(__file__).resolve().parent

# C0 controls but tab and newline, DEL, C1 controls, bidi embeddings, overrides and isolates.
_HOSTILE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)           # the Unicode control picture: ␛ for ESC
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """Control characters and bidi overrides as visible marks (escaping still follows).

    >>> visible("Yesil\\x1b[31m")
    'Yesil␛[31m'
    """
    return _HOSTILE.sub(_visible, text)


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return visible(value)
    return value


def css_string(value: object) -> Markup:
    """A CSS string literal (for `@page` margin boxes): quotes, backslashes, `<` and line breaks
    escaped, so no text can end the string or the `<style>` element.

    >>> str(css_string('a "b" </style>'))
    '"a \\22 b\\22  \\3c /style\\3e "'
    """
    out = []
    for ch in visible(str(value)):
        out.append(f"\\{ord(ch):x} " if ch in '"\\<>\n\r' else ch)
    return Markup('"' + "".join(out) + '"')


def _confidence_mark(confidence: str | None) -> str:
    return {"secondary": "[S]", "uncertain": "[U]"}.get(confidence or "", "")


@cache
def environment(lang: str = "en") -> Environment:
    """The template environment for one language (cached: environments are thread-safe)."""
    from rules.i18n import translator

    words = translator(lang)
    env = Environment(loader=FileSystemLoader(FOLDER), autoescape=True, finalize=_finalize,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(words.gettext, words.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = words.lang
    env.filters["mark"] = _confidence_mark
    env.filters["visible"] = visible
    env.filters["css_string"] = css_string
    env.filters["date"] = lambda d: words.format_date(d) if isinstance(d, dt.date) else d
    return env


def render(name: str, lang: str = "en", **context: Any) -> str:
    """Render one template in one language."""
    return environment(lang).get_template(name).render(lang=lang, **context)
