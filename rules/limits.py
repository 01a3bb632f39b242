"""The engine's documented limits on input (docs/LIMITS.md), and JSON read within them.

Every limit here is checked before the work it protects, and breaking one is a clear error that
names the place (`case.json:1:5: ...`), never a traceback, a hang or memory exhaustion:

* `MAX_TEXT_BYTES`: a case, decision, rule (.law), amendment or scenario file;
* `MAX_JSON_DEPTH`: nesting of JSON arrays and objects (a case needs 3 levels);
* integers are 64-bit everywhere: case values, rule literals and every intermediate result of
  rule arithmetic (`INT64_MIN`..`INT64_MAX`); a JSON number with more digits than any 64-bit
  integer has is never converted (`BigNumber`), and is rejected with its field's path;
* NaN and Infinity are not numbers a case may state;
* a duplicate key in a JSON object is an error naming the key (JSON leaves it undefined);
* `MAX_PROBLEMS`: the problems of one case listed before "... and more" (the check stops there);
* `MAX_EXPR_DEPTH`: nesting of a rule expression (`and` / `or` chains count as one level);
* `MAX_LINE_BYTES`: one line of a JSONL or CSV corpus (a CSV header, a JSONL case);
* `MAX_COLUMNS`: the columns of a batch input.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from rules.language.source import MAX_PROBLEMS, RulesError

MAX_TEXT_BYTES = 16 * 1024 * 1024
MAX_JSON_DEPTH = 64
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_INT_DIGITS = 19             # 2**63 - 1 has 19 digits
MAX_EXPR_DEPTH = 100
MAX_LINE_BYTES = 1024 * 1024
MAX_COLUMNS = 10_000


class JsonError(RulesError):
    """JSON text that is malformed or breaks a limit; the message has `name:line:column`."""

    def __init__(self, name: str, problem: str, line: int = 0, column: int = 0):
        self.problem, self.line, self.column = problem, line, column
        where = f"{name}:{line}:{column}" if line else name
        super().__init__(f"{where}: {problem}")

    @property
    def in_line(self) -> str:
        """The problem as the reason of one row of a JSONL corpus."""
        return f"{self.problem} at column {self.column}" if self.column else self.problem


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth_error(text: str) -> int | None:
    """The index where nesting first exceeds `MAX_JSON_DEPTH`, or None."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return None     # the common case: cannot be too deep, no scan needed
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return match.start()
        elif token in ("]", "}"):
            depth -= 1
    return None


class _Refused(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return result


class BigNumber:
    """A JSON integer with more digits than any 64-bit integer has, kept as its digits (never
    converted: Python refuses over 4,300 digits, and it is out of range anyway). The case model
    and the batch readers reject it with the field's path (`cases.values.integer_from_json`)."""

    __slots__ = ("digits",)

    def __init__(self, digits: str):
        self.digits = digits

    def __repr__(self) -> str:
        return f"a number of {len(self.digits.lstrip('-')):,} digits"


def _int(digits: str) -> int | BigNumber:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        return BigNumber(digits)
    return int(digits)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is too large")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a number a case may state")


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_int=_int, parse_float=_float,
                            parse_constant=_constant)


def load_json(text: str, name: str = "<json>") -> Any:
    """Parse JSON within the limits; `JsonError` with `name:line:column` on any problem."""
    too_deep = json_depth_error(text)
    if too_deep is not None:
        line, column = _position(text, too_deep)
        raise JsonError(name, f"JSON nested more than {MAX_JSON_DEPTH} levels deep", line,
                        column)
    try:
        return _DECODER.decode(text)
    except _Refused as error:
        raise JsonError(name, str(error)) from None
    except json.JSONDecodeError as error:
        raise JsonError(name, f"not valid JSON: {error.msg}", error.lineno, error.colno) \
            from None
    except (RecursionError, ValueError) as error:   # pragma: no cover - guarded above
        raise JsonError(name, f"not valid JSON: {error}") from None


__all__ = ["INT64_MAX", "INT64_MIN", "MAX_COLUMNS", "MAX_EXPR_DEPTH", "MAX_INT_DIGITS",
           "MAX_JSON_DEPTH", "MAX_LINE_BYTES", "MAX_PROBLEMS", "MAX_TEXT_BYTES", "BigNumber",
           "JsonError", "json_depth_error", "load_json"]
