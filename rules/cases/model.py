"""Case input: the pydantic case model built from the `facts` declarations, and case loading.

A drafter adds a fact in a `.law` file and the case model follows: groups become nested objects
(`victim.age` is `{"victim": {"age": ...}}`), ranges and enums are enforced, unknown fields are
rejected (`extra="forbid"`), and a fact left out or `null` is unknown. Derived facts (an age from
a birth date and the offence date) are computed here; a stated value that disagrees with its
derivation is a case error naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from rules.cases import values
from rules.cases.inference import CaseRules
from rules.interpreter.closures import Compiler, Env, Unknown
from rules.language.source import MAX_PROBLEMS, CaseError
from rules.limits import JsonError, load_json
from rules.semantics.plan import plan_of

if TYPE_CHECKING:
    from rules.language.ruleset import Fact, RuleSet


def _strict_date(value: Any) -> Any:
    return values.date_from_json(value)


def _integer_in_range(low: int | None, high: int | None) -> Any:
    """The JSON integer grammar (`values.integer_from_json`) and the declared range, in the
    words the batch back end uses for the same rejection."""
    def check(value: Any) -> Any:
        value = values.integer_from_json(value)
        if value is not None and low is not None and value < low:
            raise ValueError(f"must be at least {low}, got {value}")
        if value is not None and high is not None and value > high:
            raise ValueError(f"must be at most {high}, got {value}")
        return value
    return check


def _field_type(fact: Fact) -> Any:
    kind = fact.type.kind
    if kind == "boolean":
        return Annotated[Optional[bool], Field(strict=True),
                         BeforeValidator(values.boolean_from_json)]
    if kind == "integer":
        return Annotated[Optional[int], Field(strict=True, ge=fact.low, le=fact.high),
                         BeforeValidator(_integer_in_range(fact.low, fact.high))]
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
        self._tree: dict[str, Any] = {}
        for path in ruleset.facts:
            node = self._tree
            *groups, leaf = path.split(".")
            for group in groups:
                node = node.setdefault(group, {})
            node[leaf] = True
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
        if isinstance(case, (bytes, bytearray)):
            from rules.files import FileError, decode

            try:
                case = decode(bytes(case), "<case>")
            except FileError as error:
                raise CaseError([("", str(error).removeprefix("<case>:"))]) from None
        if isinstance(case, str):
            try:
                case = load_json(case, "<case>")
            except JsonError as error:
                raise CaseError([("", error.in_line)]) from None
        if not isinstance(case, self.model):
            if not isinstance(case, dict):
                raise CaseError([("", f"a case is a JSON object, not {type(case).__name__}")])
            self._check_fields(case)
            try:
                case = self.model.model_validate(case)
            except ValidationError as error:
                raise CaseError([(".".join(str(p) for p in e["loc"]), _reason(e))
                                 for e in error.errors()]) from None
            except RecursionError:
                raise CaseError([("", "nested too deeply")]) from None
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

    def _check_fields(self, case: dict[Any, Any]) -> None:
        """Fail fast on a case with many unknown fields: stop at `MAX_PROBLEMS` of them, before
        the model lists every one (a case with millions of keys costs no more than a small one).
        """
        problems: list[tuple[str, str]] = []
        keys_not_text = False
        stack: list[tuple[str, dict[Any, Any], dict[str, Any]]] = [("", case, self._tree)]
        while stack:
            prefix, data, tree = stack.pop()
            for key, value in data.items():
                if not isinstance(key, str):
                    keys_not_text = True
                    problems.append((f"{prefix}{values.shown(key)}", "a key must be text"))
                    node = None
                else:
                    node = tree.get(key)
                    if node is None:
                        problems.append((f"{prefix}{key}", "unknown field"))
                if len(problems) > MAX_PROBLEMS:
                    raise CaseError(problems[:MAX_PROBLEMS], more=-1)
                if isinstance(node, dict) and isinstance(value, dict):
                    stack.append((f"{prefix}{key}.", value, node))
        if keys_not_text:
            raise CaseError(problems)

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
        return f"unknown value {values.shown(error.get('input'))}; expected one of {expected}"
    message: str = error.get("msg", "invalid")
    return message.removeprefix("Value error, ")
