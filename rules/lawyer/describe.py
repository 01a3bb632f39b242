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

from rules.i18n import Translator, translator
from rules.interpreter.closures import Compiler, Env, Unknown
from rules.language import core
from rules.language.ruleset import ConclusionOutcome, Provision, RuleSet


def N_(message: str) -> str:
    return message


def _add_row(table: Table, *cells: RenderableType | str) -> None:
    """Add a row; plain strings are text, never rich markup (facts may contain brackets)."""
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))


_OP_WORDS = {"=": N_("is"), "!=": N_("is not"), "<": N_("is under"), "<=": N_("is at most"),
             ">": N_("is over"), ">=": N_("is at least")}
_DATE_OP_WORDS = {"<": N_("is before"), "<=": N_("is on or before"), ">": N_("is after"),
                  ">=": N_("is on or after")}
_MODALITY_WORDS = {"required": N_("requires"), "forbidden": N_("forbids"),
                   "permitted": N_("permits")}


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


def _doc(ruleset: RuleSet, path: str, tr: Translator) -> str:
    doc = tr.words(ruleset).fact(path)
    if doc == path:
        doc = path.replace(".", " ").replace("_", " ")
    return doc[:1].lower() + doc[1:]


def expr_words(expr: core.Expr, ruleset: RuleSet, lang: str | None = None) -> str:
    """An expression in plain words: facts by their meanings (and names), definitions by
    theirs, enum values by their labels, in a language."""
    return _words(expr, ruleset, translator(lang))


def _words(expr: core.Expr, ruleset: RuleSet, tr: Translator) -> str:
    _ = tr.gettext
    words = tr.words(ruleset)
    if isinstance(expr, core.Lit):
        if expr.type.kind == "enum" and isinstance(expr.value, str):
            return words.value(expr.type, expr.value)
        if isinstance(expr.value, bool):
            return _("yes") if expr.value else _("no")
        if isinstance(expr.value, dt.date):
            return tr.format_date(expr.value)
        return _lit(expr.value)
    if isinstance(expr, core.FactRef):
        return f"{_doc(ruleset, expr.path, tr)} [{expr.path}]"
    if isinstance(expr, core.DefRef):
        return words.term(expr.name)
    if isinstance(expr, core.Not):
        return _("not ({words})").format(words=_words(expr.operand, ruleset, tr))
    if isinstance(expr, core.BoolOp):
        parts = []
        for operand in expr.operands:
            text = _words(operand, ruleset, tr)
            parts.append(f"({text})" if isinstance(operand, core.BoolOp) else text)
        joiner = _(" and ") if expr.op == "and" else _(" or ")
        return joiner.join(parts)
    if isinstance(expr, core.Compare):
        table = _OP_WORDS
        if expr.left.type.kind == "date":
            table = {**_OP_WORDS, **_DATE_OP_WORDS}
        left, right = _words(expr.left, ruleset, tr), _words(expr.right, ruleset, tr)
        return f"{left} {_(table[expr.op])} {right}"
    if isinstance(expr, core.Arith):
        if expr.right is None:
            return _("minus {words}").format(words=_words(expr.left, ruleset, tr))
        return f"{_words(expr.left, ruleset, tr)} {expr.op} {_words(expr.right, ruleset, tr)}"
    if isinstance(expr, core.In):
        values = ", ".join(_words(core.Lit(v, expr.operand.type), ruleset, tr)
                           for v in expr.values)
        subject = _words(expr.operand, ruleset, tr)
        if expr.negated:
            return _("{operand} is none of: {values}").format(operand=subject, values=values)
        return _("{operand} is one of: {values}").format(operand=subject, values=values)
    if isinstance(expr, core.IsKnown):
        subject = _words(expr.operand, ruleset, tr)
        if expr.negated:
            return _("{operand} is not stated").format(operand=subject)
        return _("{operand} is stated").format(operand=subject)
    first, second = (_words(a, ruleset, tr) for a in expr.args)
    if expr.function == "years_between":
        return _("whole years from {first} to {second}").format(first=first, second=second)
    return _("days from {first} to {second}").format(first=first, second=second)


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
    lang: str = "en"
    quote_origin: str = ""                          # official text (source) / our translation
    other_quotes: tuple[tuple[str, str, str], ...] = ()  # (lang, text, origin) in other languages
    confidence_text: str = ""
    mark: str = ""


def find_provision(ruleset: RuleSet, pid: str) -> Provision:
    """The provision with this id, or `UnknownProvision` with a did-you-mean hint."""
    return ruleset.provision(pid)


_EFFECT = {"worsens": N_("worsens the offender's position: reaches only acts committed while in "
                         "force (CC 6(3))"),
           "improves": N_("improves the offender's position: also reaches acts committed before "
                          "it entered into force (CC 6(1))"),
           "neutral": N_("neutral: applies to acts committed while in force")}


def describe(ruleset: RuleSet, pid: str, lang: str | None = None) -> ProvisionDescription:
    """Everything `rules explain` shows about a provision, in a language."""
    tr = translator(lang)
    _ = tr.gettext
    words = tr.words(ruleset)
    p = find_provision(ruleset, pid)
    in_force = _("from {date}").format(date=tr.format_date(p.start))
    if p.end:
        in_force += " " + _("until {date} (inclusive)").format(date=tr.format_date(p.end))
    overridden_by = tuple((q.id, words.title(q)) for q in ruleset.provisions
                          if p.id in q.overrides)
    conditions = tuple(ConditionWords(c.kind, c.text, _words(c.expr, ruleset, tr))
                       for c in p.conditions)
    definitions: list[str] = []
    facts: set[str] = set()
    for c in p.conditions:
        definitions.extend(d for d in definitions_of(c.expr, ruleset) if d not in definitions)
        facts |= facts_of(c.expr, ruleset)
    outcomes = []
    for o in p.outcomes:
        if isinstance(o, ConclusionOutcome):
            value = o.value
            if isinstance(value, core.Lit) and value.type.kind == "text" and \
                    isinstance(value.value, str):
                shown = words.text(value.value)
            else:
                shown = _words(value, ruleset, tr)
            outcomes.append(_("concludes {name} = {value}").format(
                name=words.conclusion(o.name), value=shown))
            facts |= facts_of(o.value, ruleset)
        else:
            text = f"{_(_MODALITY_WORDS[o.modality])} {words.action(o.action)}"
            description = words.action_description(o.action)
            if description and description != words.action(o.action):
                text += f" ({description})"
            if o.args:
                text += " " + _("with {arguments}").format(arguments=", ".join(
                    f"{k} = {_words(v, ruleset, tr)}" for k, v in o.args))
                for _name, arg in o.args:
                    facts |= facts_of(arg, ruleset)
            outcomes.append(text)
    quote = words.quote(p)
    return ProvisionDescription(
        p.id, words.title(p), quote.text if quote else "",
        tuple((words.citation(c), words.citation_full(c)) for c in p.sources), p.confidence,
        in_force, _(_EFFECT[p.effect]),
        tuple((q, words.title(q)) for q in p.overrides if q in ruleset.by_id),
        overridden_by, conditions,
        tuple((d, ruleset.definitions[d].text, _words(ruleset.definitions[d].expr, ruleset, tr))
              for d in definitions),
        tuple((f, words.fact(f)) for f in sorted(facts) if f in ruleset.facts),
        tuple(outcomes), tr.lang, words.quote_origin(quote) if quote else "",
        tuple((q.lang, q.text, words.quote_origin(q)) for q in p.quotes if q != quote),
        words.confidence(p.confidence), words.mark(p.confidence))


def render_description(d: ProvisionDescription) -> RenderableType:
    """A provision for the terminal, in the description's language."""
    _ = translator(d.lang).gettext
    table = Table(title=Text(f"{d.id}: {d.title}"), title_justify="left", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    if d.quote:
        _add_row(table, _("text"), f"\u201c{d.quote}\u201d ({d.quote_origin})")
    for lang, text, origin in d.other_quotes:
        _add_row(table, _("text ({lang})").format(lang=lang), f"\u201c{text}\u201d ({origin})")
    _add_row(table, _("source"), "\n".join(full for _short, full in d.sources))
    confidence = f"{d.mark} {d.confidence_text}".strip() if d.mark else d.confidence_text
    _add_row(table, _("confidence"), Text(confidence,
                                          style="" if d.confidence == "confirmed" else "yellow"))
    _add_row(table, _("in force"), d.in_force)
    _add_row(table, _("effect"), d.effect)
    _add_row(table, _("overrides"), "\n".join(f"{i} ({t})" for i, t in d.overrides)
             or _("nothing"))
    _add_row(table, _("overridden by"), "\n".join(f"{i} ({t})" for i, t in d.overridden_by)
             or _("nothing"))
    parts: list[RenderableType] = [table]
    conditions = Table(title=_("Applies when"), title_justify="left")
    conditions.add_column(_("as written"))
    conditions.add_column(_("in plain words"))
    for c in d.conditions:
        _add_row(conditions, f"{c.kind} {c.text}",
                 (_("unless") + " " if c.kind == "unless" else "") + c.words)
    if d.conditions:
        parts.append(conditions)
    else:
        parts.append(Text(_("Applies whenever it is in force (no conditions).")))
    if d.definitions:
        terms = Table(title=_("Terms used"), title_justify="left")
        for column in (_("term"), _("defined as"), _("in plain words")):
            terms.add_column(column)
        for name, text, words in d.definitions:
            _add_row(terms, name, text, words)
        parts.append(terms)
    if d.facts:
        facts = Table(title=_("Facts read"), title_justify="left")
        facts.add_column(_("fact"))
        facts.add_column(_("meaning"))
        for path, doc in d.facts:
            _add_row(facts, path, doc)
        parts.append(facts)
    parts.append(Text(_("Outcomes"), style="bold"))
    parts.extend(Text(f"  - {o}") for o in d.outcomes)
    return Group(*parts)
