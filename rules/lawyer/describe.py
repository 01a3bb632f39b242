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


def _doc(ruleset: RuleSet, path: str) -> str:
    fact = ruleset.facts.get(path)
    doc = fact.doc if fact is not None and fact.doc else path.replace(".", " ").replace("_", " ")
    return doc[:1].lower() + doc[1:]


class _Words(core.Lowering[str]):
    """An expression in plain words: facts by their docs (and names), definitions by name."""

    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset

    def lit(self, node: core.Lit) -> str:
        return _lit(node.value).replace("_", " ") if node.type.kind == "enum" else _lit(node.value)

    def fact(self, node: core.FactRef) -> str:
        return f"{_doc(self.ruleset, node.path)} [{node.path}]"

    def definition(self, node: core.DefRef) -> str:
        return node.name.replace("_", " ")

    def negation(self, node: core.Not) -> str:
        return f"not ({self.lower(node.operand)})"

    def bool_op(self, node: core.BoolOp) -> str:
        parts = []
        for operand in node.operands:
            text = self.lower(operand)
            parts.append(f"({text})" if isinstance(operand, core.BoolOp) else text)
        return f" {node.op} ".join(parts)

    def compare(self, node: core.Compare) -> str:
        words = _OP_WORDS
        if node.left.type.kind == "date":
            words = {**_OP_WORDS, **_DATE_OP_WORDS}
        return f"{self.lower(node.left)} {words[node.op]} {self.lower(node.right)}"

    def arith(self, node: core.Arith) -> str:
        if node.right is None:
            return f"minus {self.lower(node.left)}"
        return f"{self.lower(node.left)} {node.op} {self.lower(node.right)}"

    def member(self, node: core.In) -> str:
        values = ", ".join(str(_lit(v)).replace("_", " ") for v in node.values)
        return (f"{self.lower(node.operand)} is "
                f"{'none' if node.negated else 'one'} of: {values}")

    def is_known(self, node: core.IsKnown) -> str:
        return f"{self.lower(node.operand)} is {'not stated' if node.negated else 'stated'}"

    def call(self, node: core.Call) -> str:
        first, second = (self.lower(a) for a in node.args)
        unit = "whole years" if node.function == "years_between" else "days"
        return f"{unit} from {first} to {second}"


def expr_words(expr: core.Expr, ruleset: RuleSet) -> str:
    """An expression in plain words: facts by their docs (and names), definitions by name."""
    return _Words(ruleset).lower(expr)


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
        facts |= ruleset.facts_read(c.expr, derived=False)
    outcomes = []
    for o in p.outcomes:
        if isinstance(o, ConclusionOutcome):
            outcomes.append(f"concludes {o.name.replace('_', ' ')} = "
                            f"{expr_words(o.value, ruleset)}")
            facts |= ruleset.facts_read(o.value, derived=False)
        else:
            action = ruleset.actions.get(o.action)
            text = f"{_MODALITY_WORDS[o.modality]} {o.action}"
            if action is not None and action.description:
                text += f" ({action.description})"
            if o.args:
                text += " with " + ", ".join(f"{k} = {expr_words(v, ruleset)}"
                                             for k, v in o.args)
                for _, value in o.args:
                    facts |= ruleset.facts_read(value, derived=False)
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
