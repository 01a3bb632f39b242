"""The checked expression tree: names resolved, every node typed.

The syntax tree says what was written; this tree says what it means. `Ref` has become a fact,
a definition or an enum value, and each node knows its type. Every back end reads this tree: the
interpreter compiles it to closures, the SMT encoder to z3 terms, the batch compiler to columnar
expressions. It stays small on purpose.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar, Union, assert_never

from rules.language.source import NOWHERE, Span


@dataclass(frozen=True, slots=True)
class Type:
    """A value type: boolean, integer, date, text, or a named enumeration."""

    kind: Literal["boolean", "integer", "date", "text", "enum"]
    enum: str = ""
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.enum if self.kind == "enum" else self.kind


BOOLEAN = Type("boolean")
INTEGER = Type("integer")
DATE = Type("date")
TEXT = Type("text")

Value = Union[bool, int, dt.date, str]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Lit:
    value: Value
    type: Type
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FactRef:
    path: str
    type: Type
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DefRef:
    name: str
    type: Type
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    type: Type = BOOLEAN
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BoolOp:
    """`and` / `or` over two or more operands (flattened)."""

    op: Literal["and", "or"]
    operands: tuple[Expr, ...]
    type: Type = BOOLEAN
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Compare:
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    left: Expr
    right: Expr
    type: Type = BOOLEAN
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Arith:
    op: Literal["+", "-", "*", "neg"]
    left: Expr
    right: Expr | None
    type: Type = INTEGER
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class In:
    operand: Expr
    values: tuple[Value, ...]
    negated: bool = False
    type: Type = BOOLEAN
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class IsKnown:
    operand: Expr
    negated: bool = False
    type: Type = BOOLEAN
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Call:
    function: Literal["years_between", "days_between"]
    args: tuple[Expr, ...]
    type: Type = INTEGER
    span: Span = field(default=NOWHERE, compare=False, repr=False)


Expr = Union[Lit, FactRef, DefRef, Not, BoolOp, Compare, Arith, In, IsKnown, Call]


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of a node, for generic walks."""
    match expr:
        case Lit() | FactRef() | DefRef():
            return ()
        case Not() | IsKnown() | In():
            return (expr.operand,)
        case BoolOp():
            return expr.operands
        case Compare():
            return (expr.left, expr.right)
        case Arith():
            return (expr.left,) if expr.right is None else (expr.left, expr.right)
        case Call():
            return expr.args
        case _:
            assert_never(expr)


class Lowering(ABC, Generic[T]):
    """Turns a checked expression into what a back end runs: one method per node type.

    Every back end (interpreter closures, polars and SQL expressions, z3 terms, plain words) is
    a subclass; adding a node type adds an abstract method here, so mypy names every back end
    that must handle it, and `lower` dispatches with an exhaustive `match`.
    """

    def lower(self, expr: Expr) -> T:
        match expr:
            case Lit():
                return self.lit(expr)
            case FactRef():
                return self.fact(expr)
            case DefRef():
                return self.definition(expr)
            case Not():
                return self.negation(expr)
            case BoolOp():
                return self.bool_op(expr)
            case Compare():
                return self.compare(expr)
            case Arith():
                return self.arith(expr)
            case In():
                return self.member(expr)
            case IsKnown():
                return self.is_known(expr)
            case Call():
                return self.call(expr)
            case _:
                assert_never(expr)

    @abstractmethod
    def lit(self, node: Lit) -> T: ...

    @abstractmethod
    def fact(self, node: FactRef) -> T: ...

    @abstractmethod
    def definition(self, node: DefRef) -> T: ...

    @abstractmethod
    def negation(self, node: Not) -> T: ...

    @abstractmethod
    def bool_op(self, node: BoolOp) -> T: ...

    @abstractmethod
    def compare(self, node: Compare) -> T: ...

    @abstractmethod
    def arith(self, node: Arith) -> T: ...

    @abstractmethod
    def member(self, node: In) -> T: ...

    @abstractmethod
    def is_known(self, node: IsKnown) -> T: ...

    @abstractmethod
    def call(self, node: Call) -> T: ...


def fact_paths(expr: Expr) -> set[str]:
    """The facts an expression reads directly (not through definitions)."""
    return {node.path for node in walk(expr) if isinstance(node, FactRef)}


def definition_names(expr: Expr) -> set[str]:
    """The definitions an expression refers to directly."""
    return {node.name for node in walk(expr) if isinstance(node, DefRef)}


def walk(expr: Expr) -> list[Expr]:
    """Every node of an expression, the root first."""
    nodes, stack = [], [expr]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(children(node))
    return nodes


def years_between(start: dt.date, end: dt.date) -> int:
    """Whole years from `start` to `end`: an age on a date.

    >>> years_between(dt.date(2006, 7, 2), dt.date(2024, 7, 1))
    17
    >>> years_between(dt.date(2006, 7, 2), dt.date(2024, 7, 2))
    18
    """
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years
