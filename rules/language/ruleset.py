"""The checked, immutable rule set that every back end consumes.

A `RuleSet` is what the checker returns when rule text is sound: facts with their types and
ranges, definitions, actions, conclusions and provisions, all names resolved and all expressions
typed (`core`). It is frozen; applying an amendment builds a new one. Evaluation lives in
`evaluator`, and is reached through `RuleSet.evaluate`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from rules.language import core, syntax
from rules.language.labels import Labels, QuoteText
from rules.language.source import NOWHERE, Span

if TYPE_CHECKING:
    from pydantic import BaseModel

    from rules.results import Decision, ProvisionTrace

Confidence = Literal["confirmed", "secondary", "uncertain"]
CONFIDENCES: tuple[Confidence, ...] = ("confirmed", "secondary", "uncertain")


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact a case may state; `derivation` computes it from other facts when they are known."""

    path: str
    type: core.Type
    low: Any = None
    high: Any = None
    derivation: core.Expr | None = None
    doc: str = ""
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    type: core.Type
    expr: core.Expr
    text: str
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    params: tuple[tuple[str, core.Type], ...] = ()
    description: str = ""
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ConclusionKind:
    name: str
    type: core.Type
    many: bool = False
    description: str = ""
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Citation:
    """A source: the act, its article/part/item path, and the human-readable reference."""

    act: str
    act_title: str
    parts: tuple[tuple[str, str], ...]
    detail: str = ""

    @property
    def short(self) -> str:
        """`CC art. 68(4)(2)`: the act's short name and the path, as lawyers write it."""
        article = ""
        trail = ""
        extra = []
        for kind, number in self.parts:
            if kind == "article":
                article = f"art. {number}"
            elif kind in ("part", "item", "subitem"):
                trail += f"({number})"
            else:
                extra.append(f"{kind} {number}")
        text = " ".join(x for x in (self.act, article + trail, *extra) if x)
        return f"{text}, {self.detail}" if self.detail else text

    @property
    def full(self) -> str:
        return f"{self.act_title}, {self.short.removeprefix(self.act).strip()}".rstrip(", ")


@dataclass(frozen=True, slots=True)
class Condition:
    """One `if` or `unless` clause, with its written text and the facts it reads (transitively)."""

    kind: Literal["if", "unless"]
    expr: core.Expr
    text: str
    facts: tuple[str, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DeonticOutcome:
    modality: Literal["required", "forbidden", "permitted"]
    action: str
    args: tuple[tuple[str, core.Expr], ...] = ()
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ConclusionOutcome:
    name: str
    value: core.Expr
    span: Span = field(default=NOWHERE, compare=False, repr=False)


ProvisionOutcome = DeonticOutcome | ConclusionOutcome


@dataclass(frozen=True, slots=True)
class Window:
    """The dates of the acts a provision reaches, inclusive (`None`: unbounded)."""

    low: dt.date | None
    high: dt.date | None

    def contains(self, date: dt.date) -> bool:
        """Whether an act of `date` is governed by the provision.

        >>> Window(dt.date(2024, 6, 16), None).contains(dt.date(2024, 6, 15))
        False
        """
        return (self.low is None or date >= self.low) and (self.high is None or date <= self.high)

    def over(self, low: dt.date | None, high: dt.date | None) -> bool | None:
        """In force for every date of `low..high` (True), for none (False), or it depends."""
        if (self.low is None or (low is not None and low >= self.low)) and \
                (self.high is None or (high is not None and high <= self.high)):
            return True
        if (self.high is not None and low is not None and low > self.high) or \
                (self.low is not None and high is not None and high < self.low):
            return False
        return None


@dataclass(frozen=True, slots=True)
class Provision:
    """A checked provision: when it applies, what it decides, and where it comes from."""

    id: str
    title: str
    sources: tuple[Citation, ...]
    confidence: Confidence
    quote: str
    start: dt.date
    end: dt.date | None
    effect: Literal["worsens", "improves", "neutral"]
    overrides: tuple[str, ...]
    conditions: tuple[Condition, ...]
    outcomes: tuple[ProvisionOutcome, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)
    titles: tuple[tuple[str, str], ...] = ()      # (language, title) besides the English one
    quotes: tuple[QuoteText, ...] = ()            # the quoted text in each language given

    @property
    def decides(self) -> frozenset[str]:
        """The actions and conclusion names this provision gives an outcome on."""
        return frozenset(o.action if isinstance(o, DeonticOutcome) else o.name
                         for o in self.outcomes)

    @property
    def window(self) -> Window:
        """The in-force rule (Criminal Code art. 5-6): a provision governs acts committed while
        it is in force; one that improves the person's position also reaches acts committed
        before."""
        return Window(None if self.effect == "improves" else self.start, self.end)


@dataclass(frozen=True, slots=True)
class Presumption:
    """A fact the law presumes while it is not established (CPC 19, CC 54(3), ...): a case that
    leaves the fact out is decided as if it stated `value`, and says so."""

    fact: str
    value: core.Value
    sources: tuple[Citation, ...]
    confidence: Confidence
    quote: str = ""
    rebuttal: str = ""
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Inference:
    """A fact the law draws from others: when `condition` holds on the case's stated facts, the
    fact is `value` (a case stating otherwise contradicts itself)."""

    fact: str
    value: core.Value
    condition: core.Expr
    text: str
    facts: tuple[str, ...]
    sources: tuple[Citation, ...]
    confidence: Confidence
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Constraint:
    """Facts that cannot hold together: a case where `expr` is false is rejected, naming them."""

    id: str
    title: str
    expr: core.Expr
    text: str
    facts: tuple[str, ...]
    sources: tuple[Citation, ...]
    confidence: Confidence
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """What one change of an amendment did: the ids it created (new texts, in the amended rule
    set) and the ids whose text it ended, removed or re-dated (in the rule set it was applied
    to). `improving`: the amendment itself declares the change improving (it may reach back)."""

    verb: str          # add | repeal | replace | amend | define | split | facts | enum
    target: str
    created: tuple[str, ...] = ()
    ended: tuple[str, ...] = ()
    improving: bool = False
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AmendmentRecord:
    """An amendment applied to a rule set: who changed what, from which date."""

    id: str
    title: str
    file: str
    date: dt.date
    changes: tuple[ChangeRecord, ...] = ()


def facts_read(expr: core.Expr, definitions: Mapping[str, Definition],
               facts: Mapping[str, Fact], derived: bool = True) -> set[str]:
    """Every fact an expression reads, through definitions and (with `derived`) through the
    formulas of derived facts (an age reads the birth date and the offence date)."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, core.FactRef):
            if node.path not in found:
                found.add(node.path)
                fact = facts.get(node.path)
                if derived and fact is not None and fact.derivation is not None:
                    stack.append(fact.derivation)
        elif isinstance(node, core.DefRef):
            if node.name not in seen and node.name in definitions:
                seen.add(node.name)
                stack.append(definitions[node.name].expr)
        stack.extend(core.children(node))
    return found


@dataclass(frozen=True)
class RuleSet:
    """A checked rule set. Immutable: amendments produce a new one."""

    acts: dict[str, str]
    enums: dict[str, core.Type]
    facts: dict[str, Fact]
    definitions: dict[str, Definition]
    actions: dict[str, Action]
    conclusions: dict[str, ConclusionKind]
    provisions: tuple[Provision, ...]
    governing_date: str | None
    sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    modules: tuple[syntax.Module, ...] = field(default=(), compare=False, repr=False)
    history: tuple[AmendmentRecord, ...] = field(default=(), compare=False, repr=False)
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    presumptions: dict[str, Presumption] = field(default_factory=dict)
    inferences: tuple[Inference, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    protections: tuple[str, ...] = ()
    labels: Labels = field(default_factory=Labels, compare=False, repr=False)
    # `ask GATE before FACT`: (gate, fact) pairs for `rules ask`
    ask_order: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    @property
    def vocabulary(self) -> Vocabulary:
        """How users may write each enum value: labels and aliases in every language
        (`rules.i18n.vocabulary`, attached by `rules.i18n`)."""
        vocabulary: Vocabulary = self.derived("vocabulary")
        return vocabulary

    @cached_property
    def by_id(self) -> dict[str, Provision]:
        return {p.id: p for p in self.provisions}

    def facts_read(self, expr: core.Expr, derived: bool = True) -> set[str]:
        """Every fact an expression reads, through definitions (and derived facts' formulas)."""
        return facts_read(expr, self.definitions, self.facts, derived)

    def provision(self, pid: str) -> Provision:
        """The provision with this id; `UnknownProvision` (with a did-you-mean hint) if none."""
        found = self.by_id.get(pid) if isinstance(pid, str) else None
        if found is None:
            from rules.language.source import UnknownProvision, did_you_mean

            hint = did_you_mean(pid, self.by_id) if isinstance(pid, str) else ""
            raise UnknownProvision(f"unknown provision `{pid}`" + (f"; {hint}" if hint else ""))
        return found

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the rule texts: two decisions under the same fingerprint used the same law."""
        digest = hashlib.sha256()
        for name, text in sorted((Path(n).name, t) for n, t in self.sources.items()):
            digest.update(name.encode())
            digest.update(b"\0")
            digest.update(text.encode())
            digest.update(b"\0")
        return digest.hexdigest()

    def derived(self, name: str, build: Callable[[RuleSet], Any] | None = None) -> Any:
        """An artefact computed once per rule set: its decision plan, its case model, its
        interpreter. Upper layers build them (`rules.semantics.plan_of`, ...) or attach a
        builder (`attach`), so the language layer never imports a back end."""
        if name not in self.memo:
            maker = build or _ATTACHED.get(name)
            if maker is None:  # pragma: no cover - the package registers every builder
                raise LookupError(f"nothing builds the {name} of a rule set")
            self.memo[name] = maker(self)
        return self.memo[name]

    @property
    def case_model(self) -> type[BaseModel]:
        """The pydantic model of a case, built from the facts' declarations."""
        model: type[BaseModel] = self.derived("case_model")
        return model

    def case_schema(self) -> dict[str, Any]:
        """JSON Schema of a case, for forms and API clients."""
        schema: dict[str, Any] = self.case_model.model_json_schema()
        return schema

    @property
    def evaluator(self) -> Interpreter:
        """The reference interpreter of this rule set."""
        interpreter: Interpreter = self.derived("interpreter")
        return interpreter

    def evaluate(self, case: Any, as_of: dt.date | str | None = None,
                 presumptions: bool = True) -> Decision:
        """Decide a case (a dict, JSON text or a case model) under this rule set; with
        `presumptions=False` (`--strict`), facts the law presumes stay unknown when absent."""
        return self.evaluator.evaluate(case, as_of=as_of, presumptions=presumptions)

    def why_not(self, case: Any, provision_id: str, as_of: dt.date | str | None = None,
                presumptions: bool = True) -> ProvisionTrace:
        """Why one provision did or did not apply to a case: every condition, with its facts."""
        return self.evaluator.why_not(case, provision_id, as_of=as_of,
                                      presumptions=presumptions)


class Vocabulary(Protocol):
    """What `RuleSet.vocabulary` offers (`rules.i18n.vocabulary.Vocabulary`)."""

    def resolve(self, enum: str | core.Type, text: str, lang: str | None = None) -> str: ...

    def names(self, enum: str | core.Type) -> Mapping[str, str]: ...

    def exact_labels(self, enum: str | core.Type) -> Mapping[str, str]: ...


class Interpreter(Protocol):
    """What `RuleSet.evaluate` and `RuleSet.why_not` call (`rules.interpreter.Evaluator`)."""

    def evaluate(self, case: Any, as_of: dt.date | str | None = None,
                 presumptions: bool = True) -> Decision: ...

    def why_not(self, case: Any, provision_id: str, as_of: dt.date | str | None = None,
                presumptions: bool = True) -> ProvisionTrace: ...


_ATTACHED: dict[str, Callable[[RuleSet], Any]] = {}


def attach(name: str, build: Callable[[RuleSet], Any]) -> None:
    """Register how an upper layer builds an artefact of every rule set (see `derived`)."""
    _ATTACHED[name] = build
