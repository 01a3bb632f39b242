"""Re-running a saved decision for audit: `rules verify DECISION.json`.

A saved decision (`rules eval --json`) carries its case and a record: the hash of the rule texts,
the hash of the case, the engine version and the date it was judged on. `verify` re-decides the
same case under the current rule set (on the same date when the decision was made `as_of` one),
says whether the rule set or the engine changed since, and lists every outcome, conclusion,
undetermined item and conflict that no longer holds, field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from rules.language.ruleset import RuleSet
from rules.language.source import CaseError, RulesError
from rules.results import Decision


class BadDecision(RulesError):
    """The file is not a saved decision, or its case does not match its record."""


@dataclass(frozen=True, slots=True)
class Difference:
    """One item of the saved decision that no longer holds, or a new one."""

    kind: str            # outcome / conclusion / undetermined / conflict
    key: str
    change: str          # added / removed / changed
    detail: str

    @property
    def text(self) -> str:
        return f"{self.kind} {self.key}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Verification:
    saved: Decision
    now: Decision
    differences: tuple[Difference, ...]

    @property
    def rules_changed(self) -> bool:
        return self.saved.record.rules_sha256 != self.now.record.rules_sha256

    @property
    def engine_changed(self) -> bool:
        return self.saved.record.engine_version != self.now.record.engine_version

    @property
    def holds(self) -> bool:
        return not self.differences

    def as_json(self) -> dict[str, Any]:
        return {"holds": self.holds, "rules_changed": self.rules_changed,
                "engine_changed": self.engine_changed,
                "saved_record": self.saved.record.model_dump(mode="json"),
                "current_record": self.now.record.model_dump(mode="json"),
                "differences": [{"kind": d.kind, "key": d.key, "change": d.change,
                                 "detail": d.detail} for d in self.differences]}


def read_decision(data: Any) -> Decision:
    """A saved decision from its JSON data, or `BadDecision` saying what is wrong."""
    if not isinstance(data, dict):
        raise BadDecision(f"not a saved decision: a JSON object is expected, not "
                          f"{type(data).__name__}")
    missing = [k for k in ("case", "record", "outcomes", "conclusions", "undetermined",
                           "conflicts") if k not in data]
    if missing:
        raise BadDecision("not a saved decision (from `rules eval --json`): missing "
                          + ", ".join(missing))
    try:
        return Decision.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in error.errors()[:5])
        raise BadDecision(f"not a valid saved decision: {problems}") from None


def _key(kind: str, item: BaseModel) -> str:
    data = item.model_dump(mode="json")
    name = data.get("action") or data.get("conclusion") or data.get("name") or ""
    if kind in ("conclusion", "undetermined") and data.get("value") is not None:
        return f"{name} = {data['value']}"
    return str(name)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return "none" if value is None else str(value)


def _compare(kind: str, before: list[Any], after: list[Any]) -> list[Difference]:
    old = {_key(kind, i): i.model_dump(mode="json") for i in before}
    new = {_key(kind, i): i.model_dump(mode="json") for i in after}
    differences = []
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            differences.append(Difference(kind, key, "removed",
                                          f"no longer holds (was {_summary(old[key])})"))
        elif key not in old:
            differences.append(Difference(kind, key, "added", f"new: {_summary(new[key])}"))
        elif old[key] != new[key]:
            fields = [f"{field} was {_show(old[key].get(field))}, now "
                      f"{_show(new[key].get(field))}"
                      for field in sorted(old[key].keys() | new[key].keys())
                      if old[key].get(field) != new[key].get(field)]
            differences.append(Difference(kind, key, "changed", "; ".join(fields)))
    return differences


def _summary(data: dict[str, Any]) -> str:
    parts = []
    for field in ("modality", "args", "possible", "needs", "provisions", "message"):
        if data.get(field):
            parts.append(f"{field} {_show(data[field])}")
    return ", ".join(parts) or "present"


def verify(saved: Decision | Any, ruleset: RuleSet) -> Verification:
    """Re-decide a saved decision's case and compare; `BadDecision` on unusable input."""
    decision = saved if isinstance(saved, Decision) else read_decision(saved)
    as_of = decision.as_of if decision.as_of_source == "as_of" else None
    try:
        now = ruleset.evaluate(decision.case, as_of=as_of,
                               presumptions=not decision.record.strict)
    except CaseError as error:
        raise BadDecision("the saved case no longer fits the rule set's facts:\n"
                          + error.render()) from None
    if now.record.case_sha256 != decision.record.case_sha256:
        raise BadDecision("the saved case does not match its record (case_sha256 differs): "
                          "the decision file was edited after it was made")
    differences: list[Difference] = []
    differences += _compare("outcome", decision.outcomes, now.outcomes)
    differences += _compare("conclusion", decision.conclusions, now.conclusions)
    differences += _compare("undetermined", decision.undetermined, now.undetermined)
    differences += _compare("conflict", decision.conflicts, now.conflicts)
    return Verification(decision, now, tuple(differences))


def render_verification(v: Verification) -> str:
    """The verification as plain text lines."""
    saved, now = v.saved.record, v.now.record
    lines = []
    when = (f"as of {v.saved.as_of}" if v.saved.as_of_source == "as_of"
            else f"on the {v.saved.as_of_source}")
    lines.append(f"Re-decided the saved case {when} (case {saved.case_sha256[:12]}).")
    if v.rules_changed:
        lines.append(f"Rule set: CHANGED since the decision (was {saved.rules_sha256[:12]}, "
                     f"now {now.rules_sha256[:12]}).")
    else:
        lines.append(f"Rule set: unchanged ({now.rules_sha256[:12]}).")
    if v.engine_changed:
        lines.append(f"Engine: was {saved.engine_version}, now {now.engine_version}.")
    if v.holds:
        lines.append("The decision still holds: outcomes, conclusions, undetermined items and "
                     "conflicts are identical.")
    else:
        lines.append(f"The decision no longer holds: {len(v.differences)} difference(s).")
        lines.extend(f"  - {d.text}" for d in v.differences)
    return "\n".join(lines)
