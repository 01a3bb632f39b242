"""The results contract: what `RuleSet.evaluate` returns and `rules eval --json` prints.

These pydantic models are the public API for embedders: field names are stable, lists are in a
deterministic order, and JSON output is byte-for-byte reproducible for the same rules and case.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    computed_field,
)

ModalityName = Literal["required", "forbidden", "permitted"]
JsonScalar = bool | int | str | None


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Outcome(_Model):
    """A determined deontic outcome: an action is required, forbidden or permitted.

    `presumed` names the facts the case leaves out whose presumed values the outcome rests on
    (see `Decision.presumed`): establishing otherwise could change it."""

    action: str
    modality: ModalityName
    args: dict[str, JsonScalar] = {}
    provisions: list[str]
    set_aside: list[str] = []
    sources: list[str] = []
    confidence: Literal["confirmed", "secondary", "uncertain"] = "confirmed"
    presumed: list[str] = []


class Conclusion(_Model):
    """A determined legal conclusion: a qualification, a category, an aggravating circumstance."""

    name: str
    value: JsonScalar
    provisions: list[str]
    set_aside: list[str] = []
    sources: list[str] = []
    confidence: Literal["confirmed", "secondary", "uncertain"] = "confirmed"
    presumed: list[str] = []


class Presumed(_Model):
    """A presumption the decision rests on: a fact the case leaves out, the value the law
    presumes for it, the legal basis, and what would rebut it."""

    fact: str
    value: JsonScalar
    sources: list[str]
    confidence: Literal["confirmed", "secondary", "uncertain"]
    rebuttal: str


class Undetermined(_Model):
    """An action or conclusion the known facts cannot settle, and the facts that would.

    `possible` lists exactly the outcomes some completion of the case reaches (`exact`), each
    with an example in `examples` (the facts to add); `meaning`, when every possibility means
    the same to the user, says what: one outcome, or for an action `available` / `not
    available` (forbidden and "no legal basis" alike) - the report does not present such an item
    as an open question."""

    action: str | None = None
    conclusion: str | None = None
    value: JsonScalar = None
    needs: list[str]
    possible: list[str] = []
    provisions: list[str] = []
    examples: dict[str, dict[str, JsonScalar]] = {}
    meaning: str | None = None
    exact: bool = False


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


class TestTrace(_Model):
    """One simple test inside a condition that gave the condition its value (a false operand of
    a false `and`, ...), with the facts it read."""

    text: str
    value: Literal["true", "false", "unknown"]
    facts: dict[str, JsonScalar]


class ConditionTrace(_Model):
    """One condition of a provision, its value on this case, and the facts it read; `on` (in a
    `why_not` trace) the simple tests that decided a failed condition."""

    kind: Literal["if", "unless"]
    text: str
    value: Literal["true", "false", "unknown", "not evaluated"]
    facts: dict[str, JsonScalar]
    on: list[TestTrace] = []


class ProvisionTrace(_Model):
    """Why a provision applied, did not apply, or could not be settled."""

    id: str
    title: str
    status: Literal["applies", "does_not_apply", "undetermined"]
    in_force: Literal["true", "false", "unknown", "not evaluated"]
    conditions: list[ConditionTrace]
    failed: list[str] = []
    set_aside_by: list[str] = []
    needs: list[str] = []
    sources: list[str]
    confidence: Literal["confirmed", "secondary", "uncertain"] | None
    quote: str = ""


class Explanation(_Model):
    """The facts the decision used, and why each provision did or did not apply.

    `provisions` traces, in rule-set order, every provision considered for the case; `excluded`
    maps each other provision (one whose offence-kind test fails) to the condition that fails.
    """

    facts: dict[str, JsonScalar]
    provisions: list[ProvisionTrace]
    excluded: dict[str, str] = {}
    presumed: list[str] = []
    inferred: dict[str, list[str]] = {}


class Record(_Model):
    """What a decision can be reproduced from: the law's text, the case, the engine, the date."""

    rules_sha256: str
    case_sha256: str
    engine_version: str
    as_of: dt.date | None
    strict: bool = False


class Decision(_Model):
    """What the law says about one case.

    `explanation` (every provision's trace) is built on first access, or when the decision is
    serialised: most embedders read only the outcomes, and the trace costs more than the
    decision itself. It is a field of the JSON output like any other.
    """

    as_of: dt.date | None
    as_of_source: Literal["offence date", "as_of", "unknown"]
    outcomes: list[Outcome]
    conclusions: list[Conclusion]
    conflicts: list[Conflict]
    presumed: list[Presumed] = []
    case: dict[str, Any]
    record: Record
    _explanation: Explanation | None = PrivateAttr(default=None)
    _explain: Callable[[], Explanation] | None = PrivateAttr(default=None)
    _undetermined: list[Undetermined] = PrivateAttr(default_factory=list)
    _refine: Callable[[list[Undetermined]], list[Undetermined]] | None = PrivateAttr(
        default=None)

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Decision:
        """Read a decision, including a serialised one whose JSON carries its explanation."""
        explanation = None
        undetermined: list[Undetermined] = []
        if isinstance(obj, dict):
            obj = dict(obj)
            if "explanation" in obj:
                explanation = Explanation.model_validate(obj.pop("explanation"))
            undetermined = [Undetermined.model_validate(u)
                            for u in obj.pop("undetermined", None) or []]
        decision = super().model_validate(obj, **kwargs)
        decision._undetermined = undetermined
        if explanation is not None:
            decision._explanation = explanation
        return decision

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Decision:
        return cls.model_validate(json.loads(json_data), **kwargs)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def undetermined(self) -> list[Undetermined]:
        """What the known facts do not settle: each with the facts that would, and exactly the
        outcomes still possible (worked out on first access: it may ask a solver)."""
        if self._refine is not None:
            refine, self._refine = self._refine, None
            self._undetermined = refine(self._undetermined)
        return self._undetermined

    @computed_field  # type: ignore[prop-decorator]
    @property
    def explanation(self) -> Explanation:
        """Every provision's trace, in rule-set order, and the facts the decision used."""
        if self._explanation is None:
            if self._explain is None:
                raise ValueError("this decision carries no explanation")
            self._explanation = self._explain()
        return self._explanation

    def state(self, action: str) -> str:
        """`required`/`forbidden`/`permitted`, `none`, `conflict` or `undetermined`."""
        return self.states([("action", action)])[0]

    def conclusion_state(self, name: str, value: JsonScalar = None) -> str:
        """A single-valued conclusion: its value (as text), `none`, `conflict` or
        `undetermined`. One value of a list conclusion (`value` given): `concluded`, `absent` or
        `undetermined`."""
        if value is not None:
            if any(u.conclusion == name and (u.value == value or u.value is None)
                   for u in self._undetermined):
                return "undetermined"
            return "concluded" if value in self.conclusion_values(name) else "absent"
        return self.states([("conclusion", name)])[0]

    def states(self, keys: list[tuple[str, str]]) -> tuple[str, ...]:
        """The state of each (`action` | `conclusion`, name): the one reduction of a decision to
        per-item states that verification, corpus diffs and the batch comparison use. An
        action's state is its status; a single-valued conclusion's its value, `none`,
        `conflict` or `undetermined`."""
        known: dict[tuple[str, str], str] = {}
        for outcome in self.outcomes:
            known[("action", outcome.action)] = outcome.modality
        for conclusion in self.conclusions:
            known.setdefault(("conclusion", conclusion.name), str(conclusion.value))
        for entry in self._undetermined:   # the states need no possibilities worked out
            if entry.action is not None:
                known[("action", entry.action)] = "undetermined"
            elif entry.conclusion is not None:
                known[("conclusion", entry.conclusion)] = "undetermined"
        for conflict in self.conflicts:
            name = conflict.action or conflict.conclusion or ""
            known[("action" if conflict.action else "conclusion", name)] = "conflict"
        return tuple(known.get(key, "none") for key in keys)

    def outcome(self, action: str) -> Outcome | None:
        """The determined outcome on `action`, if any."""
        return next((o for o in self.outcomes if o.action == action), None)

    def conclusion_values(self, name: str) -> list[JsonScalar]:
        return [c.value for c in self.conclusions if c.name == name]

    def trace(self, provision: str) -> ProvisionTrace | None:
        """Why a provision did or did not apply (a one-condition trace if it was excluded)."""
        found = next((p for p in self.explanation.provisions if p.id == provision), None)
        if found is None and provision in self.explanation.excluded:
            reason = self.explanation.excluded[provision]
            return ProvisionTrace(id=provision, title="", status="does_not_apply",
                                  in_force="not evaluated", conditions=[], failed=[reason],
                                  sources=[], confidence=None)
        return found
