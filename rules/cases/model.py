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
from rules.i18n import translator
from rules.interpreter.closures import Compiler, Env, Unknown
from rules.language.source import CaseError as CaseError  # re-exported (rules.web imports it)
from rules.semantics.plan import plan_of

if TYPE_CHECKING:
    from rules.language.ruleset import Fact, RuleSet


def _strict_date(value: Any) -> Any:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    _ = translator().gettext
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
        try:
            written = translator().parse_date(value)
        except ValueError:
            raise ValueError(_("expected a date like 2024-06-16, got {value}").format(
                value=repr(value))) from None
        raise ValueError(_("expected a date like 2024-06-16, got {value}: in a case file write "
                           "it {iso} (year-month-day)").format(value=repr(value),
                                                               iso=written.isoformat()))
    raise ValueError(_("expected a date like 2024-06-16, got {value}").format(
        value=f"{type(value).__name__} {value!r}"))


def _enum_value(ruleset: RuleSet, fact: Fact) -> Any:
    """Any way a user writes a value (label in any language, alias, any case) -> its id."""
    def resolve(value: Any) -> Any:
        if isinstance(value, str):
            return ruleset.vocabulary.resolve(fact.type, value)
        return value
    return resolve


def _field_type(fact: Fact, ruleset: RuleSet | None = None) -> Any:
    kind = fact.type.kind
    if kind == "boolean":
        return Annotated[Optional[bool], Field(strict=True)]
    if kind == "integer":
        return Annotated[Optional[int], Field(strict=True, ge=fact.low, le=fact.high)]
    if kind == "text":
        return Annotated[Optional[str], Field(strict=True, min_length=1)]
    if kind == "enum":
        if ruleset is None:
            return Optional[Literal[fact.type.values]]
        return Annotated[Optional[Literal[fact.type.values]],
                         BeforeValidator(_enum_value(ruleset, fact))]
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
    return _model("Case", tree, ruleset)


def _model(name: str, tree: dict[str, Any], ruleset: RuleSet) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for key, node in tree.items():
        if isinstance(node, dict):
            sub = _model(name + "_" + key.title().replace("_", ""), node, ruleset)
            fields["f_" + key] = (Optional[sub], Field(default=None, alias=key))
        else:
            fields["f_" + key] = (_field_type(node, ruleset),
                                  Field(default=None, alias=key, description=node.doc or None))
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
            _ = translator().gettext
            if stated is not None and stated != value:
                problems.append((fact.path, _("is {stated}, but the facts it is computed from "
                                              "give {value}").format(stated=stated, value=value)))
            elif (fact.low is not None and value < fact.low) or \
                    (fact.high is not None and value > fact.high):
                inputs = ", ".join(sorted(p for p in env if p != fact.path))
                problems.append((fact.path, _("computes to {value}, outside {low}..{high} "
                                              "(check {inputs})").format(
                    value=value, low=fact.low, high=fact.high, inputs=inputs)))
            else:
                env[fact.path] = value
        if problems:
            raise CaseError(problems)


def _reason(error: Any) -> str:
    """A pydantic error in the user's language: the common kinds by their type, the rest as
    pydantic words them (and our validators' messages are already translated)."""
    _ = translator().gettext
    kind = error.get("type", "")
    ctx = error.get("ctx", {})
    if kind == "extra_forbidden":
        return _("unknown field")
    if kind == "literal_error":
        return _("unknown value {value}; expected one of {expected}").format(
            value=repr(error.get("input")), expected=ctx.get("expected", ""))
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("expected a whole number, got {value}").format(value=repr(error.get("input")))
    if kind in ("bool_type", "bool_parsing"):
        return _("expected true or false, got {value}").format(value=repr(error.get("input")))
    if kind == "string_type":
        return _("expected text, got {value}").format(value=repr(error.get("input")))
    if kind == "string_too_short":
        return _("should not be empty")
    if kind == "greater_than_equal":
        return _("must be at least {low}").format(low=ctx.get("ge"))
    if kind == "less_than_equal":
        return _("must be at most {high}").format(high=ctx.get("le"))
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return _("expected an object with named fields")
    message: str = error.get("msg", "invalid")
    return message.removeprefix("Value error, ")
