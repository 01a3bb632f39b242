"""A checked expression back to rule text (as CPython's `ast.unparse`): for explanations of
sub-expressions that have no source text of their own (a test inside a definition)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rules.language import core


def _lit(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and not value.isidentifier():
        return f'"{value}"'
    return str(value)


class _Text(core.Lowering[str]):
    """Rule text of a checked expression (parenthesised where nested)."""

    def lit(self, node: core.Lit) -> str:
        return _lit(node.value)

    def fact(self, node: core.FactRef) -> str:
        return node.path

    def definition(self, node: core.DefRef) -> str:
        return node.name

    def negation(self, node: core.Not) -> str:
        return f"not {self.wrap(node.operand)}"

    def bool_op(self, node: core.BoolOp) -> str:
        return f" {node.op} ".join(self.wrap(o) for o in node.operands)

    def compare(self, node: core.Compare) -> str:
        return f"{self.wrap(node.left)} {node.op} {self.wrap(node.right)}"

    def arith(self, node: core.Arith) -> str:
        if node.right is None:
            return f"-{self.wrap(node.left)}"
        return f"{self.wrap(node.left)} {node.op} {self.wrap(node.right)}"

    def member(self, node: core.In) -> str:
        values = ", ".join(_lit(v) for v in node.values)
        return f"{self.wrap(node.operand)} {'not in' if node.negated else 'in'} {{{values}}}"

    def is_known(self, node: core.IsKnown) -> str:
        return f"{self.wrap(node.operand)} is {'unknown' if node.negated else 'known'}"

    def call(self, node: core.Call) -> str:
        return f"{node.function}({', '.join(self.lower(a) for a in node.args)})"

    def wrap(self, expr: core.Expr) -> str:
        text = self.lower(expr)
        return f"({text})" if isinstance(expr, (core.BoolOp, core.Compare, core.Arith)) else text


def unparse(expr: core.Expr) -> str:
    """Rule text of a checked expression (parenthesised where nested).

    >>> age = core.FactRef("victim.age", core.INTEGER)
    >>> unparse(core.Compare("<", age, core.Lit(18, core.INTEGER)))
    'victim.age < 18'
    """
    return _Text().lower(expr)
