"""Syntax tree back to rule text.

Used to show conditions in explanations exactly as a drafter would write them, and to print
amended provisions. `parse(print(tree)) == tree` is a tested property.
"""

from __future__ import annotations

from rules.language import syntax as s

# Binding strength, loosest first; an operand that binds looser than its parent gets parentheses.
_LEVEL = {"or": 1, "and": 2, "not": 3, "=": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
          "+": 5, "-": 5, "*": 6, "neg": 7}


def expr_text(expr: s.Expr) -> str:
    """Rule text of an expression, with only the parentheses it needs.

    >>> expr_text(s.Binary("and", s.Ref("a"), s.Binary("or", s.Ref("b"), s.Ref("c"))))
    'a and (b or c)'
    """
    return _text(expr)


def binding(expr: s.Expr) -> int:
    """How tightly an expression binds (1 `or` ... 8 an atom): a looser operand gets
    parentheses."""
    return _level(expr)


def wrapped(expr: s.Expr, parent: int, strict: bool = False) -> str:
    """The expression's text, in parentheses if it binds looser than `parent`."""
    return _wrap(expr, parent, strict)


def level_of(op: str) -> int:
    """The binding strength of an operator (`and`, `<`, `+` ...)."""
    return _LEVEL[op]


def _level(expr: s.Expr) -> int:
    if isinstance(expr, s.Binary):
        return _LEVEL[expr.op]
    if isinstance(expr, s.Unary):
        return _LEVEL[expr.op]
    if isinstance(expr, (s.Member, s.Known)):
        return 4
    return 8


def _wrap(expr: s.Expr, parent: int, strict: bool = False) -> str:
    level = _level(expr)
    text = _text(expr)
    return f"({text})" if level < parent or (strict and level == parent) else text


def _text(expr: s.Expr) -> str:
    if isinstance(expr, s.IntLit):
        return str(expr.value)
    if isinstance(expr, s.DateLit):
        return expr.value.isoformat()
    if isinstance(expr, s.StrLit):
        escaped = expr.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(expr, s.BoolLit):
        return "true" if expr.value else "false"
    if isinstance(expr, s.Ref):
        return expr.name
    if isinstance(expr, s.Call):
        return f"{expr.function}({', '.join(_text(a) for a in expr.args)})"
    if isinstance(expr, s.Unary):
        if expr.op == "not":
            return f"not {_wrap(expr.operand, 3)}"
        return f"-{_wrap(expr.operand, 7)}"
    if isinstance(expr, s.Member):
        values = ", ".join(_text(v) for v in expr.values)
        keyword = "not in" if expr.negated else "in"
        return f"{_wrap(expr.operand, 5)} {keyword} {{{values}}}"
    if isinstance(expr, s.Known):
        return f"{_wrap(expr.operand, 5)} is {'unknown' if expr.negated else 'known'}"
    level = _LEVEL[expr.op]
    if level == 4:  # comparisons do not chain
        return f"{_wrap(expr.left, 5)} {expr.op} {_wrap(expr.right, 5)}"
    return f"{_wrap(expr.left, level)} {expr.op} {_wrap(expr.right, level, strict=True)}"
