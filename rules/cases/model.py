"""Case input: the pydantic case model built from the `facts` declarations, and case loading.

A drafter adds a fact in a `.law` file and the case model follows: groups become nested objects
(`victim.age` is `{"victim": {"age": ...}}`), ranges and enums are enforced, unknown fields are
rejected (`extra="forbid"`), and a fact left out or `null` is unknown. Derived facts (an age from
a birth date and the offence date) are computed here; a stated value that disagrees with its
derivation is a case error naming the field.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from rules.cases.inference import CaseRules
from rules.interpreter.closures import Compiler, Env, Unknown
from rules.language.source import CaseError
from rules.semantics.plan import plan_of

if TYPE_CHECKING:
    from rules.language.ruleset import Fact, RuleSet


def _strict_date(value: Any) -> Any:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"expected a date like 2024-06-16, got {value!r}") from None
    raise ValueError(f"expected a date like 2024-06-16, got {type(value).__name__} {value!r}")


def _field_type(fact: Fact) -> Any:
    kind = fact.type.kind
    if kind == "boolean":
        return Annotated[Optional[bool], Field(strict=True)]
    if kind == "integer":
        return Annotated[Optional[int], Field(strict=True, ge=fact.low, le=fact.high)]
    if kind == "text":
        return Annotated[Optional[str], Field(strict=True, min_length=1)]
    if kind == "enum":
        return Optional[Literal[fact.type.values]]
    bounds = []
    if fact.low is not None or fact.high is not None:
        bounds.append(BeforeValidator(_date_in_range(fact.low, fact.high)))
    return Annotated[Optional[dt.date], BeforeValidator(_strict_date), *bounds]


def _date_in_range(low: dt.date | None, high: dt.date | None) -> Any:
    def check(value: Any) -> Any:
        value = _strict_date(value)
        if value is not None and low is not None and value < low:
            raise ValueError(f"must be on or after {low.isoformat()}")
        if value is not None and high is not None and value > high:
            raise ValueError(f"must be on or before {high.isoformat()}")
        return value
    return check


def case_model_of(ruleset: RuleSet) -> type[BaseModel]:
    """The rule set's case model, built once."""
    model: type[BaseModel] = ruleset.derived("case_model", build_case_model)
    return model


def build_case_model(ruleset: RuleSet) -> type[BaseModel]:
    """A frozen pydantic model of a case, one nested model per group of facts."""
    tree: dict[str, Any] = {}
    for path, fact in ruleset.facts.items():
        node = tree
        *groups, leaf = path.split(".")
        for group in groups:
            node = node.setdefault(group, {})
        node[leaf] = fact
    return _model("Case", tree)


def _model(name: str, tree: dict[str, Any]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for key, node in tree.items():
        if isinstance(node, dict):
            sub = _model(name + "_" + key.title().replace("_", ""), node)
            fields["f_" + key] = (Optional[sub], Field(default=None, alias=key))
        else:
            fields["f_" + key] = (_field_type(node), Field(default=None, alias=key,
                                                           description=node.doc or None))
    config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False,
                        title=name if name != "Case" else "Case")
    model: type[BaseModel] = create_model(name, __config__=config, **fields)
    return model


class CaseLoader:
    """Turns a dict, JSON text or case model into the flat env the evaluator reads."""

    def __init__(self, ruleset: RuleSet, compiler: Compiler):
        self.model = case_model_of(ruleset)
        self._paths = [(path, tuple(path.split("."))) for path in ruleset.facts]
        self._derived = [(fact, compiler.compile(fact.derivation))
                         for fact in plan_of(ruleset).derivation_order
                         if fact.derivation is not None]
        self.rules = CaseRules.of(ruleset, compiler)

    def load(self, case: Any) -> tuple[dict[str, Any], Env]:
        """The case as stated (validated, JSON-ready) and the flat env of its facts: stated,
        derived and inferred."""
        stated, env, _ = self.load_facts(case)
        return stated, env

    def load_facts(self, case: Any) -> tuple[dict[str, Any], Env, dict[str, tuple[str, ...]]]:
        """`load`, and each inferred fact with the stated facts it rests on."""
        if isinstance(case, (str, bytes)):
            try:
                case = json.loads(case)
            except json.JSONDecodeError as error:
                raise CaseError([("", f"not valid JSON: {error.msg} at line {error.lineno} "
                                      f"column {error.colno}")]) from None
        if not isinstance(case, self.model):
            if not isinstance(case, dict):
                raise CaseError([("", f"a case is a JSON object, not {type(case).__name__}")])
            try:
                case = self.model.model_validate(case)
            except ValidationError as error:
                raise CaseError([(".".join(str(p) for p in e["loc"]), _reason(e))
                                 for e in error.errors()]) from None
        data = case.model_dump(by_alias=True, exclude_none=True)
        stated = case.model_dump(mode="json", by_alias=True, exclude_none=True)
        env: Env = {}
        for path, keys in self._paths:
            node: Any = data
            for key in keys:
                node = node.get(key) if isinstance(node, dict) else None
                if node is None:
                    break
            if node is not None:
                env[path] = node
        self._derive(env)
        inferred = self.rules.infer(env)
        self.rules.check(env, inferred)
        return stated, env, inferred

    def _derive(self, env: Env) -> None:
        problems: list[tuple[str, str]] = []
        for fact, formula in self._derived:
            value = formula(env)
            if isinstance(value, Unknown):
                continue
            stated = env.get(fact.path)
            if stated is not None and stated != value:
                problems.append((fact.path, f"is {stated}, but the facts it is computed from "
                                 f"give {value}"))
            elif (fact.low is not None and value < fact.low) or \
                    (fact.high is not None and value > fact.high):
                inputs = ", ".join(sorted(p for p in env if p != fact.path))
                problems.append((fact.path, f"computes to {value}, outside "
                                 f"{fact.low}..{fact.high} (check {inputs})"))
            else:
                env[fact.path] = value
        if problems:
            raise CaseError(problems)


def _reason(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"unknown value {error.get('input')!r}; expected one of {expected}"
    message: str = error.get("msg", "invalid")
    return message.removeprefix("Value error, ")
