"""A provision in plain words, for `rules explain`, and the facts behind a failed condition, for
`rules eval --why-not`.

`describe` gathers what a lawyer asks about a provision: its words (quote), sources with full
citations, confidence, in-force period and effect, what it overrides and what overrides it, its
conditions (as written and in plain words, reading each fact by its doc and each definition by
what it stands for), and its outcomes. `deciding_atoms` walks a condition on a case down to the
simple tests (`victim.age < 18`, `offence.kind = murder`) that made it true or false, so a why-not
can name the fact it failed on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from rules.interpreter.closures import Compiler, Env, Unknown
from rules.language import core
from rules.language.ruleset import ConclusionOutcome, Provision, RuleSet


def _add_row(table: Table, *cells: RenderableType | str) -> None:
    """Add a row; plain strings are text, never rich markup (facts may contain brackets)."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))


_OP_WORDS = {"=": "is", "!=": "is not", "<": "is under", "<=": "is at most", ">": "is over",
             ">=": "is at least"}
_DATE_OP_WORDS = {"<": "is before", "<=": "is on or before", ">": "is after",
                  ">=": "is on or after"}
_MODALITY_WORDS = {"required": "requires", "forbidden": "forbids", "permitted": "permits"}


# ---- expressions as rule text and as plain words ------------------------------------------------

def _lit(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and not value.isidentifier():
        return f'"{value}"'
    return str(value)


def expr_text(expr: core.Expr) -> str:
    """Rule text of a checked expression (parenthesised where nested)."""
    if isinstance(expr, core.Lit):
        return _lit(expr.value)
    if isinstance(expr, core.FactRef):
        return expr.path
    if isinstance(expr, core.DefRef):
        return expr.name
    if isinstance(expr, core.Not):
        return f"not {_wrap(expr.operand)}"
    if isinstance(expr, core.BoolOp):
        return f" {expr.op} ".join(_wrap(o) for o in expr.operands)
    if isinstance(expr, core.Compare):
        return f"{_wrap(expr.left)} {expr.op} {_wrap(expr.right)}"
    if isinstance(expr, core.Arith):
        if expr.right is None:
            return f"-{_wrap(expr.left)}"
        return f"{_wrap(expr.left)} {expr.op} {_wrap(expr.right)}"
    if isinstance(expr, core.In):
        values = ", ".join(_lit(v) for v in expr.values)
        return f"{_wrap(expr.operand)} {'not in' if expr.negated else 'in'} {{{values}}}"
    if isinstance(expr, core.IsKnown):
        return f"{_wrap(expr.operand)} is {'unknown' if expr.negated else 'known'}"
    return f"{expr.function}({', '.join(expr_text(a) for a in expr.args)})"


def _wrap(expr: core.Expr) -> str:
    text = expr_text(expr)
    return f"({text})" if isinstance(expr, (core.BoolOp, core.Compare, core.Arith)) else text


def _doc(ruleset: RuleSet, path: str) -> str:
    fact = ruleset.facts.get(path)
    doc = fact.doc if fact is not None and fact.doc else path.replace(".", " ").replace("_", " ")
    return doc[:1].lower() + doc[1:]


def expr_words(expr: core.Expr, ruleset: RuleSet) -> str:
    """An expression in plain words: facts by their docs (and names), definitions by name."""
    if isinstance(expr, core.Lit):
        return _lit(expr.value).replace("_", " ") if expr.type.kind == "enum" else _lit(expr.value)
    if isinstance(expr, core.FactRef):
        return f"{_doc(ruleset, expr.path)} [{expr.path}]"
    if isinstance(expr, core.DefRef):
        return expr.name.replace("_", " ")
    if isinstance(expr, core.Not):
        return f"not ({expr_words(expr.operand, ruleset)})"
    if isinstance(expr, core.BoolOp):
        parts = []
        for operand in expr.operands:
            text = expr_words(operand, ruleset)
            parts.append(f"({text})" if isinstance(operand, core.BoolOp) else text)
        return f" {expr.op} ".join(parts)
    if isinstance(expr, core.Compare):
        words = _OP_WORDS
        if expr.left.type.kind == "date":
            words = {**_OP_WORDS, **_DATE_OP_WORDS}
        left, right = expr_words(expr.left, ruleset), expr_words(expr.right, ruleset)
        return f"{left} {words[expr.op]} {right}"
    if isinstance(expr, core.Arith):
        if expr.right is None:
            return f"minus {expr_words(expr.left, ruleset)}"
        return f"{expr_words(expr.left, ruleset)} {expr.op} {expr_words(expr.right, ruleset)}"
    if isinstance(expr, core.In):
        values = ", ".join(str(_lit(v)).replace("_", " ") for v in expr.values)
        return (f"{expr_words(expr.operand, ruleset)} is "
                f"{'none' if expr.negated else 'one'} of: {values}")
    if isinstance(expr, core.IsKnown):
        return (f"{expr_words(expr.operand, ruleset)} is "
                f"{'not stated' if expr.negated else 'stated'}")
    first, second = (expr_words(a, ruleset) for a in expr.args)
    unit = "whole years" if expr.function == "years_between" else "days"
    return f"{unit} from {first} to {second}"


def facts_of(expr: core.Expr, ruleset: RuleSet | None = None) -> set[str]:
    """The facts an expression reads, through definitions when a rule set is given."""
    found: set[str] = set()
    stack = [expr]
    seen: set[str] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, core.FactRef):
            found.add(node.path)
        elif isinstance(node, core.DefRef) and ruleset is not None and node.name not in seen:
            seen.add(node.name)
            stack.append(ruleset.definitions[node.name].expr)
        stack.extend(core.children(node))
    return found


def definitions_of(expr: core.Expr, ruleset: RuleSet) -> list[str]:
    """The definitions an expression uses, directly or through other definitions, in order met."""
    found: list[str] = []
    stack = [expr]
    while stack:
        node = stack.pop(0)
        if isinstance(node, core.DefRef) and node.name not in found:
            found.append(node.name)
            stack.append(ruleset.definitions[node.name].expr)
        stack.extend(core.children(node))
    return found


# ---- which simple tests decided a condition -----------------------------------------------------

def deciding_atoms(expr: core.Expr, env: Env, ruleset: RuleSet,
                   compiler: Compiler) -> list[tuple[core.Expr, Any]]:
    """The simple tests that gave `expr` its value on `env`, with their values.

    For `a and b` false, the false operands; for `a or b` true, the true ones; a definition is
    opened; an unknown value shows the unknown operands.
    """
    value = compiler.compile(expr)(env)
    if isinstance(expr, core.DefRef):
        return deciding_atoms(ruleset.definitions[expr.name].expr, env, ruleset, compiler)
    if isinstance(expr, core.Not):
        return deciding_atoms(expr.operand, env, ruleset, compiler)
    if isinstance(expr, core.BoolOp):
        values = [(o, compiler.compile(o)(env)) for o in expr.operands]
        if isinstance(value, Unknown):
            chosen = [o for o, v in values if isinstance(v, Unknown)]
        else:
            chosen = [o for o, v in values if v is value]
        atoms: list[tuple[core.Expr, Any]] = []
        for operand in chosen:
            atoms.extend(a for a in deciding_atoms(operand, env, ruleset, compiler)
                         if a not in atoms)
        return atoms
    return [(expr, value)]


# ---- a provision described ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ConditionWords:
    kind: str
    text: str
    words: str


@dataclass(frozen=True, slots=True)
class ProvisionDescription:
    id: str
    title: str
    quote: str
    sources: tuple[tuple[str, str], ...]            # (short, full)
    confidence: str
    in_force: str
    effect: str
    overrides: tuple[tuple[str, str], ...]          # (id, title)
    overridden_by: tuple[tuple[str, str], ...]
    conditions: tuple[ConditionWords, ...]
    definitions: tuple[tuple[str, str, str], ...]   # (name, rule text, words)
    facts: tuple[tuple[str, str], ...]              # (path, doc)
    outcomes: tuple[str, ...]


def find_provision(ruleset: RuleSet, pid: str) -> Provision:
    """The provision with this id, or `UnknownProvision` with a did-you-mean hint."""
    return ruleset.provision(pid)


_EFFECT = {"worsens": "worsens the offender's position: reaches only acts committed while in "
                      "force (CC 6(3))",
           "improves": "improves the offender's position: also reaches acts committed before it "
                       "entered into force (CC 6(1))",
           "neutral": "neutral: applies to acts committed while in force"}


def describe(ruleset: RuleSet, pid: str) -> ProvisionDescription:
    """Everything `rules explain` shows about a provision."""
    p = find_provision(ruleset, pid)
    in_force = f"from {p.start.isoformat()}" + (f" until {p.end.isoformat()} (inclusive)"
                                                if p.end else "")
    overridden_by = tuple((q.id, q.title) for q in ruleset.provisions if p.id in q.overrides)
    conditions = tuple(ConditionWords(c.kind, c.text, expr_words(c.expr, ruleset))
                       for c in p.conditions)
    definitions: list[str] = []
    facts: set[str] = set()
    for c in p.conditions:
        definitions.extend(d for d in definitions_of(c.expr, ruleset) if d not in definitions)
        facts |= facts_of(c.expr, ruleset)
    outcomes = []
    for o in p.outcomes:
        if isinstance(o, ConclusionOutcome):
            outcomes.append(f"concludes {o.name.replace('_', ' ')} = "
                            f"{expr_words(o.value, ruleset)}")
            facts |= facts_of(o.value, ruleset)
        else:
            action = ruleset.actions.get(o.action)
            text = f"{_MODALITY_WORDS[o.modality]} {o.action}"
            if action is not None and action.description:
                text += f" ({action.description})"
            if o.args:
                text += " with " + ", ".join(f"{k} = {expr_words(v, ruleset)}"
                                             for k, v in o.args)
                for _, value in o.args:
                    facts |= facts_of(value, ruleset)
            outcomes.append(text)
    return ProvisionDescription(
        p.id, p.title, p.quote, tuple((c.short, c.full) for c in p.sources), p.confidence,
        in_force, _EFFECT[p.effect],
        tuple((q, ruleset.by_id[q].title) for q in p.overrides if q in ruleset.by_id),
        overridden_by, conditions,
        tuple((d, ruleset.definitions[d].text, expr_words(ruleset.definitions[d].expr, ruleset))
              for d in definitions),
        tuple((f, ruleset.facts[f].doc) for f in sorted(facts) if f in ruleset.facts),
        tuple(outcomes))


_CONFIDENCE_WORDS = {"confirmed": "confirmed (primary text)",
                     "secondary": "[S] secondary source: check the text before relying on it",
                     "uncertain": "[U] uncertain source: check the text before relying on it"}


def render_description(d: ProvisionDescription) -> RenderableType:
    """A provision for the terminal."""
    table = Table(title=Text(f"{d.id}: {d.title}"), title_justify="left", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    if d.quote:
        _add_row(table, "text", f"\u201c{d.quote}\u201d")
    _add_row(table, "source", "\n".join(full for _, full in d.sources))
    _add_row(table, "confidence", Text(_CONFIDENCE_WORDS[d.confidence],
                                     style="" if d.confidence == "confirmed" else "yellow"))
    _add_row(table, "in force", d.in_force)
    _add_row(table, "effect", d.effect)
    _add_row(table, "overrides", "\n".join(f"{i} ({t})" for i, t in d.overrides) or "nothing")
    _add_row(table, "overridden by", "\n".join(f"{i} ({t})" for i, t in d.overridden_by)
                  or "nothing")
    parts: list[RenderableType] = [table]
    conditions = Table(title="Applies when", title_justify="left")
    conditions.add_column("as written")
    conditions.add_column("in plain words")
    for c in d.conditions:
        _add_row(conditions, f"{c.kind} {c.text}", ("unless " if c.kind == "unless" else "")
                           + c.words)
    if d.conditions:
        parts.append(conditions)
    else:
        parts.append(Text("Applies whenever it is in force (no conditions)."))
    if d.definitions:
        terms = Table(title="Terms used", title_justify="left")
        for column in ("term", "defined as", "in plain words"):
            terms.add_column(column)
        for name, text, words in d.definitions:
            _add_row(terms, name, text, words)
        parts.append(terms)
    if d.facts:
        facts = Table(title="Facts read", title_justify="left")
        facts.add_column("fact")
        facts.add_column("meaning")
        for path, doc in d.facts:
            _add_row(facts, path, doc)
        parts.append(facts)
    parts.append(Text("Outcomes", style="bold"))
    parts.extend(Text(f"  - {o}") for o in d.outcomes)
    return Group(*parts)
