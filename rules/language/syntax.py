"""The syntax tree: what a rule file says, before any name is resolved.

Frozen dataclasses, one per grammar rule. Every node keeps its `span` for diagnostics, but the
span is left out of equality so that two trees that mean the same compare equal (as Catala's
marks and jinja's attributes are). Nodes have no behaviour: the checker gives them meaning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, Union

from rules.language.source import NOWHERE, Span

# ---- expressions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntLit:
    value: int
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DateLit:
    value: dt.date
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class StrLit:
    value: str
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Ref:
    """A name: a fact (`victim.age`), a definition, or an enum value (`battery`)."""

    name: str
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Call:
    """A built-in function: `years_between(a, b)`, `days_between(a, b)`."""

    function: str
    args: tuple[Expr, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


UnaryOp = Literal["not", "neg"]
BinaryOp = Literal["and", "or", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*"]


@dataclass(frozen=True, slots=True)
class Unary:
    op: UnaryOp
    operand: Expr
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Binary:
    op: BinaryOp
    left: Expr
    right: Expr
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Member:
    """`x in {a, b}` or, negated, `x not in {a, b}`."""

    operand: Expr
    values: tuple[Expr, ...]
    negated: bool = False
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Known:
    """`x is known` or, negated, `x is unknown`: always itself known."""

    operand: Expr
    negated: bool = False
    span: Span = field(default=NOWHERE, compare=False, repr=False)


Expr = Union[IntLit, DateLit, StrLit, BoolLit, Ref, Call, Unary, Binary, Member, Known]

# ---- types ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoolType:
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class IntType:
    low: int | None = None
    high: int | None = None
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DateType:
    low: dt.date | None = None
    high: dt.date | None = None
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class TextType:
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class EnumType:
    """An inline enumeration (`a | b`) or, with one value, a reference to a declared enum."""

    values: tuple[str, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


TypeSpec = Union[BoolType, IntType, DateType, TextType, EnumType]

# ---- declarations ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActDecl:
    name: str
    title: str
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class EnumDecl:
    name: str
    values: tuple[str, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class GoverningDate:
    fact: str
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FactDecl:
    path: str
    type: TypeSpec
    derivation: Expr | None = None
    doc: str = ""
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FactsBlock:
    facts: tuple[FactDecl, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Define:
    name: str
    declared_type: TypeSpec | None
    expr: Expr
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: TypeSpec
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ActionDecl:
    name: str
    params: tuple[Param, ...] = ()
    description: str = ""
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ProtectionsDecl:
    """`protections a, b`: actions that protect the child (a presumption may never make one of
    them less available)."""

    actions: tuple[str, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ConclusionDecl:
    name: str
    type: TypeSpec
    many: bool = False
    description: str = ""
    span: Span = field(default=NOWHERE, compare=False, repr=False)


# ---- provisions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A citation: act, then article / part / item ... as written, and a free-text detail."""

    act: str
    parts: tuple[tuple[str, str], ...] = ()
    detail: str = ""
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class InForce:
    start: dt.date
    end: dt.date | None = None
    span: Span = field(default=NOWHERE, compare=False, repr=False)


Modality = Literal["require", "forbid", "permit"]


@dataclass(frozen=True, slots=True)
class Argument:
    name: str
    value: Expr
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Deontic:
    modality: Modality
    action: str
    args: tuple[Argument, ...] = ()
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Conclude:
    name: str
    value: Expr
    span: Span = field(default=NOWHERE, compare=False, repr=False)


Outcome = Union[Deontic, Conclude]


@dataclass(frozen=True, slots=True)
class Title:
    """`title ru "..."`: the provision's title in another language (English is its header)."""

    lang: str
    text: str
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Quote:
    """`quote [LANG] "..." [official "source" | unofficial ["note"]]`: the law's own words.

    A quote with no language is English, and English texts of these acts are our translation,
    so it is unofficial unless it says otherwise.
    """

    text: str
    lang: str = "en"
    official: bool = False
    source: str = ""
    span: Span = field(default=NOWHERE, compare=False, repr=False)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause before `then`, kept in written order so the checker can spot repeats."""

    kind: Literal["source", "confidence", "quote", "in_force", "effect", "overrides", "if",
                  "unless", "rebuttal", "title"]
    value: object
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Provision:
    id: str
    title: str
    clauses: tuple[Clause, ...]
    outcomes: tuple[Outcome, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)
    id_span: Span = field(default=NOWHERE, compare=False, repr=False)


# ---- presumptions, inferences, constraints -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Presumption:
    """`presume fact = value`: the value the law presumes while the fact is not established."""

    fact: str
    value: Expr
    clauses: tuple[Clause, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Inference:
    """`infer fact = value if condition`: a fact the law draws from other facts of the case."""

    fact: str
    value: Expr
    clauses: tuple[Clause, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Constraint:
    """`constraint id "title" require expr`: facts that contradict each other make a bad case."""

    id: str
    title: str
    clauses: tuple[Clause, ...]
    expr: Expr
    span: Span = field(default=NOWHERE, compare=False, repr=False)


# ---- amendments -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddChange:
    provision: Provision
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RepealChange:
    target: str
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ReplaceChange:
    target: str
    provision: Provision
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AmendChange:
    """Replace parts of a provision: its conditions, its outcomes, or its in-force period."""

    target: str
    conditions: tuple[Clause, ...] | None = None
    outcomes: tuple[Outcome, ...] | None = None
    in_force: InForce | None = None
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AmendDefine:
    """A new meaning for a definition from the amendment's date (`amend define NAME = ...`)."""

    define: Define
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AmendFacts:
    """New declarations of existing facts (`amend facts ...`): a wider range, more values, a
    new description."""

    block: FactsBlock
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AmendEnum:
    """More values for a declared enumeration (`amend enum NAME = a | b | c`)."""

    decl: EnumDecl
    span: Span = field(default=NOWHERE, compare=False, repr=False)


Change = Union[AddChange, RepealChange, ReplaceChange, AmendChange, AmendDefine, AmendFacts,
               AmendEnum]


@dataclass(frozen=True, slots=True)
class Amendment:
    id: str
    title: str
    clauses: tuple[Clause, ...]
    changes: tuple[Change, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


# ---- languages ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelEntry:
    """One label: `value.region.jambyl = "..." also "..."`, or a text value keyed by itself."""

    key: str
    text: str
    short: str | None = None
    aliases: tuple[str, ...] = ()
    by_text: bool = False      # keyed by an English text value (`"fine of 10 MRP" = ...`)
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class LabelGap:
    """`gap KEY "reason"`: a translation known to be missing, counted by `rules check`."""

    key: str
    reason: str
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class LabelsBlock:
    """`labels LANG` and its entries: the law's own words in one language."""

    lang: str
    entries: tuple[LabelEntry, ...]
    gaps: tuple[LabelGap, ...] = ()
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AskOrder:
    """`ask GATE before FACT`: `rules ask` asks the yes/no GATE first; FACT exists only if yes."""

    gate: str
    fact: str
    span: Span = field(default=NOWHERE, compare=False, repr=False)


Item = Union[ActDecl, EnumDecl, GoverningDate, FactsBlock, Define, ActionDecl, ConclusionDecl,
             ProtectionsDecl, Provision, Presumption, Inference, Constraint, Amendment,
             LabelsBlock, AskOrder]


@dataclass(frozen=True, slots=True)
class Module:
    """One parsed `.law` file."""

    file: str
    items: tuple[Item, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)
