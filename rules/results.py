"""The results contract: what `RuleSet.evaluate` returns and `rules eval --json` prints.

These pydantic models are the public API for embedders: field names are stable, lists are in a
deterministic order, and JSON output is byte-for-byte reproducible for the same rules and case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ModalityName = Literal["required", "forbidden", "permitted"]
JsonScalar = bool | int | str | None


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Outcome(_Model):
    """A determined deontic outcome: an action is required, forbidden or permitted."""

    action: str
    modality: ModalityName
    args: dict[str, JsonScalar] = {}
    provisions: list[str]
    set_aside: list[str] = []
    sources: list[str] = []
    confidence: Literal["confirmed", "secondary", "uncertain"] = "confirmed"


class Conclusion(_Model):
    """A determined legal conclusion: a qualification, a category, an aggravating circumstance."""

    name: str
    value: JsonScalar
    provisions: list[str]
    set_aside: list[str] = []
    sources: list[str] = []
    confidence: Literal["confirmed", "secondary", "uncertain"] = "confirmed"


class Undetermined(_Model):
    """An action or conclusion the known facts cannot settle, and the facts that would."""

    action: str | None = None
    conclusion: str | None = None
    value: JsonScalar = None
    needs: list[str]
    possible: list[str] = []
    provisions: list[str] = []


class ConflictItem(_Model):
    provision: str
    modality: ModalityName | None = None
    value: JsonScalar = None


class Conflict(_Model):
    """Applicable provisions that contradict each other with no priority between them."""

    action: str | None = None
    conclusion: str | None = None
    items: list[ConflictItem]
    message: str


class ConditionTrace(_Model):
    """One condition of a provision, its value on this case, and the facts it read."""

    kind: Literal["if", "unless"]
    text: str
    value: Literal["true", "false", "unknown"]
    facts: dict[str, JsonScalar]


class ProvisionTrace(_Model):
    """Why a provision applied, did not apply, or could not be settled."""

    id: str
    title: str
    status: Literal["applies", "does_not_apply", "undetermined"]
    in_force: Literal["true", "false", "unknown"]
    conditions: list[ConditionTrace]
    failed: list[str] = []
    set_aside_by: list[str] = []
    needs: list[str] = []
    sources: list[str]
    confidence: Literal["confirmed", "secondary", "uncertain"]
    quote: str = ""


class Explanation(_Model):
    """Every provision's trace, in rule-set order, and the facts the decision used."""

    facts: dict[str, JsonScalar]
    provisions: list[ProvisionTrace]


class Record(_Model):
    """What a decision can be reproduced from: the law's text, the case, the engine, the date."""

    rules_sha256: str
    case_sha256: str
    engine_version: str
    as_of: dt.date | None


class Decision(_Model):
    """What the law says about one case."""

    as_of: dt.date | None
    as_of_source: Literal["offence date", "as_of", "unknown"]
    outcomes: list[Outcome]
    conclusions: list[Conclusion]
    undetermined: list[Undetermined]
    conflicts: list[Conflict]
    explanation: Explanation
    case: dict[str, Any]
    record: Record

    def outcome(self, action: str) -> Outcome | None:
        """The determined outcome on `action`, if any."""
        return next((o for o in self.outcomes if o.action == action), None)

    def conclusion_values(self, name: str) -> list[JsonScalar]:
        return [c.value for c in self.conclusions if c.name == name]

    def trace(self, provision: str) -> ProvisionTrace | None:
        return next((p for p in self.explanation.provisions if p.id == provision), None)
