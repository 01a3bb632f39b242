"""Text from cases and files made safe to show: in a terminal, and in a spreadsheet.

A case is user input: a district of ``"\\x1b[2J..."`` would clear the screen and print forged
text if written to a terminal as is, and a CSV cell ``=HYPERLINK(...)`` runs as a formula when the
file is opened in a spreadsheet. Every terminal output of the engine (reports, `ask`, diagnostics,
batch summaries) passes case and file text through `escape_text`, and every CSV the engine writes
passes its text cells through `csv_cell` (or the polars equivalent in `batch.run`).
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the Unicode controls that reorder or
# break lines when displayed (bidirectional embeddings, overrides and isolates; line and paragraph
# separators).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_OR_NEWLINE = re.compile(f"{_CONTROL.pattern[:-1]}\n]")

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\n":
        return "\\n"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_text(text: str, keep_newlines: bool = False) -> str:
    """Control characters written as visible escapes (``\\x1b``); newlines too unless kept.

    >>> escape_text("Yesil\\x1b[2J")
    'Yesil\\\\x1b[2J'
    """
    pattern = _CONTROL if keep_newlines else _CONTROL_OR_NEWLINE
    return pattern.sub(_escape, text)


def has_control(text: str) -> bool:
    """Whether `escape_text` would change the text (newlines kept)."""
    return _CONTROL.search(text) is not None


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_json(text: str) -> str:
    """JSON text with the controls JSON leaves raw (DEL, C1, bidirectional, line separators)
    written as `\\uXXXX`: the same data, safe to print on a terminal."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading formula character is quoted with `'`.

    >>> csv_cell("=1+1"), csv_cell("Yesil")
    ("'=1+1", 'Yesil')
    """
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
