"""One grammar for the values a case states, shared by every way a case comes in.

The interpreter (case files, JSON text, library dicts), the corpus readers (`rules diff --cases
--interpreter`) and the batch back end (`rules batch`, whose polars version of these rules is
`batch.polars_plan._coerce`) accept exactly the same values, documented in docs/INPUT.md:

========  ===============================================  =====================================
fact      JSON value (case files, JSONL, Parquet typed)    text (a CSV cell, a Parquet text cell)
========  ===============================================  =====================================
boolean   `true` / `false`                                 `true` / `false` (exactly, lower case)
integer   a whole number: `10`, also `10.0`; not `10.5`,   `-?[0-9]+`: `10`, `-3`; not ` 10`,
          NaN or Infinity; within the 64-bit range and     `+10`, `10.0`, `1e1`; same ranges
          the declared range
date      text `YYYY-MM-DD` (a real date): not `20240701`  the same
enum      one of the declared names, exactly               the same
text      at least one character                           the same
========  ===============================================  =====================================

Unknown is `null`, a key left out, an empty CSV cell or a Parquet null. No surrounding spaces are
trimmed and no other spellings (`TRUE`, `yes`, `1`) are guessed: a value the grammar does not
read is a case error naming the field, in every back end alike.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from rules.limits import INT64_MAX, INT64_MIN, BigNumber

INTEGER_TEXT = r"^-?[0-9]+$"
DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_INTEGER = re.compile(r"-?[0-9]+\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")

EXPECT_BOOLEAN = "expected true or false"
EXPECT_INTEGER = "expected an integer"
EXPECT_DATE = "expected a date like 2024-06-16"
OUT_OF_RANGE = f"outside the 64-bit integer range ({INT64_MIN}..{INT64_MAX})"


def shown(value: Any) -> str:
    """A value in an error message: short, and quoted when it is text."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and abs(value) >= 10**40:    # repr would refuse over 4,300 digits
        return f"a number of about {int(value.bit_length() * 0.30103) + 1:,} digits"
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, BigNumber):
        return repr(value)
    return f"a {type(value).__name__}"


def _fail(expected: str, value: Any) -> ValueError:
    return ValueError(f"{expected}, got {shown(value)}")


def date_from_text(text: str) -> dt.date:
    """`YYYY-MM-DD` and a real calendar date, nothing else (`fromisoformat` reads more)."""
    if not _DATE.match(text):
        raise _fail(EXPECT_DATE, text)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _fail(EXPECT_DATE, text) from None


def integer_from_text(text: str) -> int:
    if not _INTEGER.match(text):
        raise _fail(EXPECT_INTEGER, text)
    if len(text.lstrip("-")) > 19:
        raise ValueError(f"{OUT_OF_RANGE}, got {shown(text)}")
    return _in_int64(int(text))


def _in_int64(value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"{OUT_OF_RANGE}, got {shown(value)}")
    return value


def from_text(kind: str, text: str) -> Any:
    """A text cell read as a value of a fact of this kind; `ValueError` says why not."""
    if kind == "boolean":
        if text == "true":
            return True
        if text == "false":
            return False
        raise _fail(EXPECT_BOOLEAN, text)
    if kind == "integer":
        return integer_from_text(text)
    if kind == "date":
        return date_from_text(text).isoformat()
    return text


def boolean_from_json(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    raise _fail(EXPECT_BOOLEAN, value)


def integer_from_json(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _fail(EXPECT_INTEGER, value)
    if isinstance(value, int):
        return _in_int64(value)
    if isinstance(value, BigNumber):
        raise ValueError(f"{OUT_OF_RANGE}, got {shown(value)}")
    if isinstance(value, float):
        if not math.isfinite(value) or value != math.floor(value):
            raise _fail(EXPECT_INTEGER, value)
        if not float(INT64_MIN) <= value < float(INT64_MAX):
            raise ValueError(f"{OUT_OF_RANGE}, got {shown(value)}")
        return int(value)
    raise _fail(EXPECT_INTEGER, value)


def date_from_json(value: Any) -> Any:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str):
        return date_from_text(value)
    raise _fail(EXPECT_DATE, value)


def from_json(kind: str, value: Any) -> Any:
    """A JSON value of a fact of this kind, as the case model holds it; `ValueError` if not."""
    if kind == "boolean":
        return boolean_from_json(value)
    if kind == "integer":
        return integer_from_json(value)
    if kind == "date":
        return date_from_json(value)
    if value is not None and not isinstance(value, str):
        raise _fail("expected text" if kind == "text" else "expected one of the values", value)
    return value
