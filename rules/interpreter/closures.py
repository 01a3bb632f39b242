"""Checked expressions to Python closures, evaluated in three-valued (Kleene) logic.

Each expression is compiled once, at load time, into a closure `env -> value` (no syntax-tree
walk per case, and never `eval` of text). A value is a plain Python value or an `Unknown`, which
carries the facts it is waiting for, so an undetermined outcome can say which facts would settle
it. `Unknown` absorbs like cel-python's error values: `false and unknown` is false, `true and
unknown` is unknown, any comparison or arithmetic with an unknown operand is unknown.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from typing import Any

from rules.language import core


class Unknown:
    """A value the case does not determine; `needs` names the facts that would determine it."""

    __slots__ = ("needs",)

    def __init__(self, needs: frozenset[str]):
        self.needs = needs

    def __repr__(self) -> str:
        return f"Unknown({sorted(self.needs)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.needs == self.needs

    def __hash__(self) -> int:
        return hash(self.needs)


Env = dict[str, Any]
_MISSING = object()
Compiled = Callable[[Env], Any]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
}


def merge(*values: Any) -> Unknown:
    """The unknown that results from combining values, some of them unknown."""
    needs: frozenset[str] = frozenset()
    for value in values:
        if isinstance(value, Unknown):
            needs = needs | value.needs
    return Unknown(needs)


def days_between(start: dt.date, end: dt.date) -> int:
    return (end - start).days


_CALLS: dict[str, Callable[[dt.date, dt.date], int]] = {
    "years_between": core.years_between,
    "days_between": days_between,
}


class Compiler(core.Lowering[Compiled]):
    """Lowers expressions of one rule set to closures; definitions are memoised in the case's
    env (computed at most once per case)."""

    def __init__(self, definitions: dict[str, core.Expr]):
        self._definitions = definitions
        self._compiled_defs: dict[str, Compiled] = {}

    def compile(self, expr: core.Expr) -> Compiled:
        return self.lower(expr)

    def lit(self, node: core.Lit) -> Compiled:
        value = node.value
        return lambda env: value

    def fact(self, node: core.FactRef) -> Compiled:
        path = node.path
        unknown = Unknown(frozenset((path,)))
        return lambda env: env.get(path, unknown)

    def definition(self, node: core.DefRef) -> Compiled:
        name = node.name
        if name not in self._compiled_defs:
            body: list[Compiled] = []

            def definition(env: Env) -> Any:
                value = env.get(name, _MISSING)
                if value is _MISSING:
                    value = env[name] = body[0](env)
                return value
            self._compiled_defs[name] = definition
            body.append(self.lower(self._definitions[name]))
        return self._compiled_defs[name]

    def negation(self, node: core.Not) -> Compiled:
        inner = self.lower(node.operand)

        def negate(env: Env) -> Any:
            value = inner(env)
            return value if isinstance(value, Unknown) else not value
        return negate

    def compare(self, node: core.Compare) -> Compiled:
        return self._binary(_COMPARE[node.op], self.lower(node.left), self.lower(node.right))

    def arith(self, node: core.Arith) -> Compiled:
        if node.op == "neg":
            inner = self.lower(node.left)
            return lambda env: (v if isinstance(v := inner(env), Unknown) else -v)
        assert node.right is not None
        return self._binary(_ARITH[node.op], self.lower(node.left), self.lower(node.right))

    def member(self, node: core.In) -> Compiled:
        inner = self.lower(node.operand)
        members = frozenset(node.values)
        negated = node.negated

        def member(env: Env) -> Any:
            value = inner(env)
            if isinstance(value, Unknown):
                return value
            return (value in members) != negated
        return member

    def is_known(self, node: core.IsKnown) -> Compiled:
        inner = self.lower(node.operand)
        negated = node.negated
        return lambda env: isinstance(inner(env), Unknown) == negated

    def call(self, node: core.Call) -> Compiled:
        function = _CALLS[node.function]
        return self._binary(function, self.lower(node.args[0]), self.lower(node.args[1]))

    @staticmethod
    def _binary(function: Callable[[Any, Any], Any], left: Compiled, right: Compiled) -> Compiled:
        def binary(env: Env) -> Any:
            a = left(env)
            b = right(env)
            if isinstance(a, Unknown) or isinstance(b, Unknown):
                return merge(a, b)
            return function(a, b)
        return binary

    def bool_op(self, node: core.BoolOp) -> Compiled:
        operands = tuple(self.lower(o) for o in node.operands)
        if node.op == "and":
            def conjunction(env: Env) -> Any:
                unknown = None
                for operand in operands:
                    value = operand(env)
                    if value is False:
                        return False
                    if value is not True:
                        unknown = value if unknown is None else merge(unknown, value)
                return True if unknown is None else unknown
            return conjunction

        def disjunction(env: Env) -> Any:
            unknown = None
            for operand in operands:
                value = operand(env)
                if value is True:
                    return True
                if value is not False:
                    unknown = value if unknown is None else merge(unknown, value)
            return False if unknown is None else unknown
        return disjunction
