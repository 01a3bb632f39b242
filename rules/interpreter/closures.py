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


class Compiler:
    """Compiles expressions of one rule set; definitions are memoised in the case's env."""

    def __init__(self, definitions: dict[str, core.Expr]):
        self._definitions = definitions
        self._compiled_defs: dict[str, Compiled] = {}

    def compile(self, expr: core.Expr) -> Compiled:
        if isinstance(expr, core.Lit):
            value = expr.value
            return lambda env: value
        if isinstance(expr, core.FactRef):
            path = expr.path
            unknown = Unknown(frozenset((path,)))
            return lambda env: env.get(path, unknown)
        if isinstance(expr, core.DefRef):
            return self._definition(expr.name)
        if isinstance(expr, core.Not):
            inner = self.compile(expr.operand)

            def negate(env: Env) -> Any:
                value = inner(env)
                return value if isinstance(value, Unknown) else not value
            return negate
        if isinstance(expr, core.BoolOp):
            return self._bool_op(expr)
        if isinstance(expr, core.Compare):
            return self._binary(_COMPARE[expr.op], self.compile(expr.left),
                                self.compile(expr.right))
        if isinstance(expr, core.Arith):
            if expr.op == "neg":
                inner = self.compile(expr.left)
                return lambda env: (v if isinstance(v := inner(env), Unknown) else -v)
            assert expr.right is not None
            return self._binary(_ARITH[expr.op], self.compile(expr.left),
                                self.compile(expr.right))
        if isinstance(expr, core.In):
            inner = self.compile(expr.operand)
            members = frozenset(expr.values)
            negated = expr.negated

            def member(env: Env) -> Any:
                value = inner(env)
                if isinstance(value, Unknown):
                    return value
                return (value in members) != negated
            return member
        if isinstance(expr, core.IsKnown):
            inner = self.compile(expr.operand)
            negated = expr.negated
            return lambda env: isinstance(inner(env), Unknown) == negated
        if isinstance(expr, core.Call):
            function = _CALLS[expr.function]
            return self._binary(function, self.compile(expr.args[0]), self.compile(expr.args[1]))
        raise TypeError(f"cannot compile {type(expr).__name__}")  # pragma: no cover

    def _definition(self, name: str) -> Compiled:
        if name not in self._compiled_defs:
            body: list[Compiled] = []

            def definition(env: Env) -> Any:
                value = env.get(name, _MISSING)
                if value is _MISSING:
                    value = env[name] = body[0](env)
                return value
            self._compiled_defs[name] = definition
            body.append(self.compile(self._definitions[name]))
        return self._compiled_defs[name]

    @staticmethod
    def _binary(function: Callable[[Any, Any], Any], left: Compiled, right: Compiled) -> Compiled:
        def binary(env: Env) -> Any:
            a = left(env)
            b = right(env)
            if isinstance(a, Unknown) or isinstance(b, Unknown):
                return merge(a, b)
            return function(a, b)
        return binary

    def _bool_op(self, expr: core.BoolOp) -> Compiled:
        operands = tuple(self.compile(o) for o in expr.operands)
        if expr.op == "and":
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
