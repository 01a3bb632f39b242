"""The case form: fields generated from the facts' declarations, and form values back to a case.

Fields are grouped by the first part of the fact path (offence, victim, offender, parties,
harm, place), in declaration order. Enum facts become choices with labels, booleans yes / no /
don't know, dates a text field that takes a date as the user writes it (`2024-07-01`,
`01.07.2024`, `1/7/2024`). An empty field is an unknown fact, never false. Values that cannot be
read are reported with their field path, like a `CaseError`, so the form shows each problem
next to its field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rules.language.ruleset import Fact, RuleSet

GROUP_ORDER = ("offence", "victim", "offender", "parties", "harm", "place")
_DMY = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$")
_YES = frozenset({"yes", "true", "1", "on", "да", "иә"})
_NO = frozenset({"no", "false", "0", "нет", "жоқ"})


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Field:
    """One input of the form."""

    path: str
    kind: str               # boolean | integer | date | enum | text
    doc: str
    choices: tuple[Choice, ...]
    low: str
    high: str
    computed_from: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.split(".", 1)[1]

    @property
    def dom_id(self) -> str:
        return "f-" + self.path.replace(".", "-")


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    fields: tuple[Field, ...]


def value_label(value: str) -> str:
    """An enum value as words (`step_parent` -> `step parent`) until the rule files carry labels."""
    return value.replace("_", " ")


def form_groups(ruleset: RuleSet) -> tuple[Group, ...]:
    """The form's fields, grouped, in the order a lawyer tells a case."""
    groups: dict[str, list[Field]] = {}
    for fact in ruleset.facts.values():
        kind = fact.type.kind
        choices = tuple(Choice(v, value_label(v)) for v in fact.type.values) \
            if kind == "enum" else ()
        sources = tuple(sorted(ruleset.facts_read(fact.derivation, derived=False))) \
            if fact.derivation else ()
        field = Field(fact.path, kind, fact.doc or fact.path, choices, _bound(fact.low),
                      _bound(fact.high), sources)
        groups.setdefault(fact.path.split(".")[0], []).append(field)
    order = {name: i for i, name in enumerate(GROUP_ORDER)}
    return tuple(Group(name, tuple(fields)) for name, fields in
                 sorted(groups.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def _bound(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def parse_date(text: str) -> dt.date | None:
    """A date as people write it: ISO `2024-07-01`, or day first `01.07.2024`, `1/7/2024`."""
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    found = _DMY.match(text)
    if found:
        day, month, year = (int(g) for g in found.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


class FieldError(ValueError):
    """A form value that cannot be read: a message (marked for translation) and the value."""

    def __init__(self, message: str, value: str):
        self.message, self.value = message, value
        super().__init__(message % {"value": value})


def N_(message: str) -> str:
    """Mark a message for translation; it is translated where it is shown."""
    return message


def read_value(fact: Fact, text: str) -> Any:
    """The value of one form field; None for unknown; `FieldError` with the reason."""
    text = text.strip()
    if text == "" or text.lower() in ("unknown", "?"):
        return None
    kind = fact.type.kind
    if kind == "boolean":
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise FieldError(N_("%(value)r is not yes or no"), text)
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise FieldError(N_("%(value)r is not a whole number"), text) from None
    if kind == "date":
        date = parse_date(text)
        if date is None:
            raise FieldError(N_("%(value)r is not a date like 2024-07-01 or 01.07.2024"), text)
        return date.isoformat()
    if kind == "enum":
        name = text.lower().replace(" ", "_").replace("-", "_")
        if name not in fact.type.values:
            raise FieldError(N_("%(value)r is not one of the choices"), text)
        return name
    return text


def case_from_form(ruleset: RuleSet, form: Mapping[str, str],
                   gettext: Callable[[str], str] = str
                   ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The case a submitted form states, and the fields that could not be read (path, why, in
    the language of `gettext`)."""
    case: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for path, fact in ruleset.facts.items():
        raw = form.get(path)
        if raw is None:
            continue
        try:
            value = read_value(fact, raw)
        except FieldError as error:
            problems.append((path, gettext(error.message) % {"value": error.value}))
            continue
        if value is not None:
            set_path(case, path, value)
    return case, problems


def form_values(case: Mapping[str, Any]) -> dict[str, str]:
    """A case as form values (to fill the form again: after an error, or from a link)."""
    values: dict[str, str] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, Mapping):
                walk(value, f"{prefix}{key}.")
            elif isinstance(value, bool):
                values[f"{prefix}{key}"] = "yes" if value else "no"
            elif value is not None:
                values[f"{prefix}{key}"] = str(value)

    walk(case, "")
    return values


def set_path(case: dict[str, Any], path: str, value: Any) -> None:
    *groups, leaf = path.split(".")
    node = case
    for group in groups:
        node = node.setdefault(group, {})
    node[leaf] = value
