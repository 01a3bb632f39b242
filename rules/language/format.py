"""The canonical layout of rule text (`rules fmt`): syntax tree back to a whole `.law` file.

`printer.expr_text` prints one expression on one line; this module lays out whole files the way
the bill is written: two-space indents, `then` outcomes aligned, fact descriptions in a column,
long conditions broken before `and`/`or` and long value lists after a comma, and every comment
kept where it was (a comment on its own line stays before the line that followed it; a comment
after code stays at the end of that line).

One printer per kind of syntax node, in a table (`PRINTERS`, and `CLAUSES` for the clauses of a
provision): a new construct of the grammar is one small function registered with `@prints(...)`.
`format_text(format_text(t)) == format_text(t)` and `parse(format_text(t)) == parse(t)` (spans
aside) are tested on every file of the repository and on generated trees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rules.language import syntax as s
from rules.language.printer import binding, expr_text, level_of, wrapped
from rules.language.source import RulesError, Span

WIDTH = 100          # lines are broken to fit this width where the language allows it
DOC_COLUMN = 44      # fact descriptions start in this column (0-based), as in the bill


class FormatError(RulesError):
    """A syntax node the formatter has no printer for (a grammar construct added without one)."""


@dataclass(frozen=True)
class Comment:
    line: int
    text: str
    trailing: bool      # code stands before it on the same line


def comments_of(text: str) -> list[Comment]:
    """Every `# ...` comment of a rule text (not inside a quoted text), with its line."""
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        in_string = False
        escaped = False
        for column, char in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "#":
                found.append(Comment(number, line[column:].rstrip(), bool(line[:column].strip())))
                break
    return found


@dataclass
class Printer:
    """Collects output lines; places the source's comments and blank lines by line anchors."""

    file: str = ""
    source_lines: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    out: list[str] = field(default_factory=list)

    def anchor(self, span: Span | None) -> int | None:
        """The source line of a node, if it comes from the file being printed."""
        if span is None or span.line <= 0 or span.file != self.file:
            return None
        return span.line

    def blank_before(self, line: int | None) -> bool | None:
        """Whether the source had a blank line just before `line` (None: not from the source)."""
        if line is None or line < 2 or line - 2 >= len(self.source_lines):
            return None
        return not self.source_lines[line - 2].strip()

    def flush(self, before: int | None) -> None:
        """Emit the comments that stood before source line `before` (all of them if None)."""
        while self.comments and (before is None or self.comments[0].line < before):
            comment = self.comments.pop(0)
            if comment.trailing and self.out and self.out[-1].strip():
                self.out[-1] = f"{self.out[-1]}  {comment.text}"
                continue
            indent = len(self.source_lines[comment.line - 1]) - len(
                self.source_lines[comment.line - 1].lstrip()) \
                if comment.line - 1 < len(self.source_lines) else 0
            if self.blank_before(comment.line) and self.out and self.out[-1]:
                self.out.append("")
            self.out.append(" " * indent + comment.text)

    def line(self, text: str, span: Span | None = None) -> None:
        self.flush(self.anchor(span))
        self.out.append(text.rstrip())

    def lines(self, texts: list[str], span: Span | None = None) -> None:
        self.line(texts[0], span)
        for text in texts[1:]:
            self.out.append(text.rstrip())

    def blank(self) -> None:
        if self.out and self.out[-1] != "":
            self.out.append("")

    def text(self) -> str:
        self.flush(None)
        while self.out and not self.out[-1]:
            self.out.pop()
        return "\n".join(self.out) + "\n" if self.out else ""


# ---- expressions, laid out to a width ---------------------------------------------------------


def _needs_parens(expr: s.Expr, parent: int, strict: bool = False,
                  parent_op: str = "") -> bool:
    if parent_op == "or" and isinstance(expr, s.Binary) and expr.op == "and":
        return True     # `a or (b and c)`: the bill's style; a reader need not know precedence
    level = binding(expr)
    return level < parent or (strict and level == parent)


def flat(expr: s.Expr) -> str:
    """An expression on one line: `printer.expr_text`, but an `and` inside an `or` keeps its
    parentheses."""
    if isinstance(expr, s.Binary) and expr.op in ("and", "or"):
        level = level_of(expr.op)
        parts = []
        for i, operand in enumerate(_operands(expr, expr.op)):
            text = flat(operand)
            parens = _needs_parens(operand, level, strict=i > 0, parent_op=expr.op)
            parts.append(f"({text})" if parens else text)
        return f" {expr.op} ".join(parts)
    if isinstance(expr, s.Unary) and expr.op == "not" and isinstance(expr.operand, s.Binary) \
            and expr.operand.op in ("and", "or"):
        return f"not ({flat(expr.operand)})"
    return expr_text(expr)


def layout(expr: s.Expr, column: int, width: int = WIDTH) -> list[str]:
    """An expression starting at `column`: its first line (without indentation) and the
    continuation lines (with it). Breaks long `and`/`or` chains before the operator, aligned with
    the expression's start, and long `in {...}` lists after a comma, aligned inside the brace."""
    one = flat(expr)
    if column + len(one) <= width:
        return [one]
    if isinstance(expr, s.Binary) and expr.op in ("and", "or"):
        return _chain(expr, column, width)
    if isinstance(expr, s.Member):
        return _members(expr, column, width)
    return [one]


def _operands(expr: s.Expr, op: str) -> list[s.Expr]:
    if isinstance(expr, s.Binary) and expr.op == op:
        return [*_operands(expr.left, op), expr.right]
    return [expr]


def _sub(expr: s.Expr, column: int, width: int, parens: bool) -> list[str]:
    if not parens:
        return layout(expr, column, width)
    inner = layout(expr, column + 1, width)
    inner[0] = "(" + inner[0]
    inner[-1] = inner[-1] + ")"
    return inner


def _chain(expr: s.Binary, column: int, width: int) -> list[str]:
    op = expr.op
    level = level_of(op)
    operands = _operands(expr, op)
    pad = " " * column
    lines = _sub(operands[0], column, width, _needs_parens(operands[0], level, parent_op=op))
    for operand in operands[1:]:
        parens = _needs_parens(operand, level, strict=True, parent_op=op)
        text = flat(operand)
        text = f"({text})" if parens else text
        end = column + len(lines[0]) if len(lines) == 1 else len(lines[-1])
        here = end + len(op) + 2        # where the operand would start on the current line
        if here + len(text) <= width:
            lines[-1] += f" {op} {text}"
            continue
        sub = _sub(operand, here, width, parens)
        if len(sub) > 1 and here + len(sub[0]) <= width and here <= column + width // 3:
            lines[-1] += f" {op} {sub[0]}"
            lines.extend(sub[1:])
            continue
        sub = _sub(operand, column + len(op) + 1, width, parens)
        lines.append(f"{pad}{op} {sub[0]}")
        lines.extend(sub[1:])
    return lines


def _members(expr: s.Member, column: int, width: int) -> list[str]:
    head = f"{wrapped(expr.operand, 5)} {'not in' if expr.negated else 'in'} {{"
    inner = column + len(head)
    values = [expr_text(v) for v in expr.values]
    lines = [head + values[0]]
    for value in values[1:]:
        current = len(lines[-1]) if len(lines) > 1 else column + len(lines[0])
        if current + len(value) + 3 <= width:
            lines[-1] += f", {value}"
        else:
            lines[-1] += ","
            lines.append(" " * inner + value)
    lines[-1] += "}"
    return lines


# ---- the printers -------------------------------------------------------------------------------

ItemPrinter = Callable[[Printer, Any, int], None]
PRINTERS: dict[type, ItemPrinter] = {}
CLAUSES: dict[str, Callable[[Printer, s.Clause, int], None]] = {}


def prints(*types: type) -> Callable[[ItemPrinter], ItemPrinter]:
    """Register the printer of a syntax node type (an item, a change of an amendment)."""
    def register(function: ItemPrinter) -> ItemPrinter:
        for type_ in types:
            PRINTERS[type_] = function
        return function
    return register


def clause(kind: str) -> Callable[[Callable[[Printer, s.Clause, int], None]],
                                  Callable[[Printer, s.Clause, int], None]]:
    """Register the printer of a provision (or amendment) clause kind."""
    def register(function: Callable[[Printer, s.Clause, int], None]
                 ) -> Callable[[Printer, s.Clause, int], None]:
        CLAUSES[kind] = function
        return function
    return register


def emit(p: Printer, node: Any, indent: int) -> None:
    printer = PRINTERS.get(type(node))
    if printer is None:
        raise FormatError(f"rules fmt has no printer for {type(node).__name__}; "
                          "register one in rules/language/format.py")
    printer(p, node, indent)


def quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\t", "\\t")
    return f'"{escaped}"'


def type_text(spec: s.TypeSpec) -> str:
    if isinstance(spec, s.BoolType):
        return "boolean"
    if isinstance(spec, s.IntType):
        return "integer" if spec.low is None else f"integer {spec.low}..{spec.high}"
    if isinstance(spec, s.DateType):
        if spec.low is None:
            return "date"
        return f"date {spec.low.isoformat()}..{spec.high.isoformat() if spec.high else ''}"
    if isinstance(spec, s.TextType):
        return "text"
    return " | ".join(spec.values)


def _wrapped_values(head: str, values: tuple[str, ...], indent: int) -> list[str]:
    """`head a | b | c`, broken before `|` to fit, continuation lines aligned under `=`."""
    lines = [" " * indent + head + values[0]]
    continuation = " " * (indent + len(head) - 2)
    for value in values[1:]:
        if len(lines[-1]) + len(value) + 3 <= WIDTH:
            lines[-1] += f" | {value}"
        else:
            lines.append(f"{continuation}| {value}")
    return lines


@prints(s.ActDecl)
def _act(p: Printer, node: s.ActDecl, indent: int) -> None:
    p.line(" " * indent + f"act {node.name} {quoted(node.title)}", node.span)


@prints(s.EnumDecl)
def _enum(p: Printer, node: s.EnumDecl, indent: int) -> None:
    p.lines(_wrapped_values(f"enum {node.name} = ", node.values, indent), node.span)


@prints(s.GoverningDate)
def _governing(p: Printer, node: s.GoverningDate, indent: int) -> None:
    p.line(" " * indent + f"governing date {node.fact}", node.span)


@prints(s.FactsBlock)
def _facts(p: Printer, node: s.FactsBlock, indent: int) -> None:
    p.line(" " * indent + "facts", node.span)
    for fact in node.facts:
        _fact(p, fact, indent + 2)


@prints(s.FactDecl)
def _fact(p: Printer, node: s.FactDecl, indent: int) -> None:
    head = " " * indent + f"{node.path} : {type_text(node.type)}"
    lines = [head]
    if node.derivation is not None:
        body = layout(node.derivation, len(head) + 3)
        lines = [f"{head} = {body[0]}", *body[1:]]
    column = DOC_COLUMN + indent - 2
    if node.doc:
        if len(lines) == 1 and len(lines[0]) <= column - 2:
            lines[0] = lines[0].ljust(column) + quoted(node.doc)
        else:
            lines.append(" " * column + quoted(node.doc))
    p.lines(lines, node.span)


@prints(s.Define)
def _define_item(p: Printer, node: s.Define, indent: int) -> None:
    _define(p, node, indent)


def _define(p: Printer, node: s.Define, indent: int, prefix: str = "") -> None:
    typed = f" : {type_text(node.declared_type)}" if node.declared_type is not None else ""
    head = " " * indent + f"{prefix}define {node.name}{typed} ="
    one = layout(node.expr, len(head) + 1)
    if len(one) == 1 and len(head) + 1 + len(one[0]) <= WIDTH:
        p.line(f"{head} {one[0]}", node.span)
        return
    body = layout(node.expr, indent + 2)
    p.lines([head, " " * (indent + 2) + body[0], *body[1:]], node.span)


@prints(s.ActionDecl)
def _action(p: Printer, node: s.ActionDecl, indent: int) -> None:
    params = ", ".join(f"{q.name}: {type_text(q.type)}" for q in node.params)
    text = f"action {node.name}" + (f"({params})" if params else "")
    if node.description:
        text += f" {quoted(node.description)}"
    p.line(" " * indent + text, node.span)


@prints(s.ConclusionDecl)
def _conclusion(p: Printer, node: s.ConclusionDecl, indent: int) -> None:
    text = f"conclusion {node.name} : {'list of ' if node.many else ''}{type_text(node.type)}"
    if node.description:
        text += f" {quoted(node.description)}"
    p.line(" " * indent + text, node.span)


@prints(s.Provision)
def _provision_item(p: Printer, node: s.Provision, indent: int) -> None:
    _provision(p, node, indent)


def _provision(p: Printer, node: s.Provision, indent: int, prefix: str = "") -> None:
    p.line(" " * indent + f"{prefix}provision {node.id} {quoted(node.title)}", node.span)
    for c in printable_order(node.clauses):
        _clause(p, c, indent + 2)
    _outcomes(p, node.outcomes, indent + 2)


def printable_order(clauses: tuple[s.Clause, ...]) -> tuple[s.Clause, ...]:
    """The clauses as written, except that a clause starting with `in` (`in force from`) never
    follows a condition, where it would read as `... in {...}`: it moves before the first
    condition. Parsed text never has it there; a tree built by an amendment may."""
    conditions = [i for i, c in enumerate(clauses) if c.kind in ("if", "unless")]
    if not conditions:
        return clauses
    first = conditions[0]
    moved = [c for i, c in enumerate(clauses) if i > first and c.kind == "in_force"]
    if not moved:
        return clauses
    kept = [c for i, c in enumerate(clauses) if not (i > first and c.kind == "in_force")]
    return (*kept[:first], *moved, *kept[first:])


def _clause(p: Printer, c: s.Clause, indent: int) -> None:
    printer = CLAUSES.get(c.kind)
    if printer is None:
        raise FormatError(f"rules fmt has no printer for the clause `{c.kind}`; "
                          "register one in rules/language/format.py")
    printer(p, c, indent)


def _outcomes(p: Printer, outcomes: tuple[s.Outcome, ...], indent: int) -> None:
    for i, outcome in enumerate(outcomes):
        lead = " " * indent + ("then " if i == 0 else "     ")
        if isinstance(outcome, s.Deontic):
            args = ", ".join(f"{a.name} = {expr_text(a.value)}" for a in outcome.args)
            text = f"{outcome.modality} {outcome.action}" + (f"({args})" if args else "")
            p.line(lead + text, outcome.span)
        else:
            head = f"{lead}conclude {outcome.name} = "
            body = layout(outcome.value, len(head))
            p.lines([head + body[0], *body[1:]], outcome.span)


@clause("source")
def _source(p: Printer, c: s.Clause, indent: int) -> None:
    ref = c.value
    assert isinstance(ref, s.SourceRef)
    parts = "".join(f" {kind} {number}" for kind, number in ref.parts)
    detail = f" {quoted(ref.detail)}" if ref.detail else ""
    p.line(" " * indent + f"source {ref.act}{parts}{detail}", c.span)


@clause("confidence")
def _confidence(p: Printer, c: s.Clause, indent: int) -> None:
    p.line(" " * indent + f"confidence {c.value}", c.span)


@clause("quote")
def _quote(p: Printer, c: s.Clause, indent: int) -> None:
    quote = c.value
    if not isinstance(quote, s.Quote):
        p.line(" " * indent + f"quote {quoted(str(quote))}", c.span)
        return
    text = "quote" + (f" {quote.lang}" if quote.lang != "en" else "") + f" {quoted(quote.text)}"
    if quote.official:
        text += f" official {quoted(quote.source)}"
    elif quote.source:
        text += f" unofficial {quoted(quote.source)}"
    p.line(" " * indent + text, c.span)


@clause("title")
def _title(p: Printer, c: s.Clause, indent: int) -> None:
    title = c.value
    assert isinstance(title, s.Title)
    p.line(" " * indent + f"title {title.lang} {quoted(title.text)}", c.span)


def period_text(period: s.InForce) -> str:
    until = f" until {period.end.isoformat()}" if period.end is not None else ""
    return f"in force from {period.start.isoformat()}{until}"


@clause("in_force")
def _in_force(p: Printer, c: s.Clause, indent: int) -> None:
    assert isinstance(c.value, s.InForce)
    p.line(" " * indent + period_text(c.value), c.span)


@clause("effect")
def _effect(p: Printer, c: s.Clause, indent: int) -> None:
    p.line(" " * indent + f"{c.value} position", c.span)


@clause("overrides")
def _overrides(p: Printer, c: s.Clause, indent: int) -> None:
    names = [name for name, _ in c.value]  # type: ignore[attr-defined]
    lines = [" " * indent + "overrides " + names[0]]
    for name in names[1:]:
        if len(lines[-1]) + len(name) + 2 <= WIDTH:
            lines[-1] += f", {name}"
        else:
            lines[-1] += ","
            lines.append(" " * (indent + len("overrides ")) + name)
    p.lines(lines, c.span)


@clause("if")
@clause("unless")
def _condition(p: Printer, c: s.Clause, indent: int) -> None:
    head = " " * indent + f"{c.kind} "
    assert not isinstance(c.value, (str, tuple, s.SourceRef, s.InForce))
    body = layout(c.value, len(head))  # type: ignore[arg-type]
    p.lines([head + body[0], *body[1:]], c.span)


@prints(s.ProtectionsDecl)
def _protections(p: Printer, node: s.ProtectionsDecl, indent: int) -> None:
    lines = [" " * indent + "protections " + node.actions[0]]
    for name in node.actions[1:]:
        if len(lines[-1]) + len(name) + 2 <= WIDTH:
            lines[-1] += f", {name}"
        else:
            lines[-1] += ","
            lines.append(" " * (indent + len("protections ")) + name)
    p.lines(lines, node.span)


def _fact_rule(p: Printer, keyword: str, fact: str, value: s.Expr, clauses: tuple[s.Clause, ...],
               span: Span, indent: int) -> None:
    head = " " * indent + f"{keyword} {fact} = "
    body = layout(value, len(head))
    p.lines([head + body[0], *body[1:]], span)
    for c in clauses:
        _clause(p, c, indent + 2)


@prints(s.Presumption)
def _presumption(p: Printer, node: s.Presumption, indent: int) -> None:
    _fact_rule(p, "presume", node.fact, node.value, node.clauses, node.span, indent)


@prints(s.Inference)
def _inference(p: Printer, node: s.Inference, indent: int) -> None:
    _fact_rule(p, "infer", node.fact, node.value, node.clauses, node.span, indent)


@prints(s.Constraint)
def _constraint(p: Printer, node: s.Constraint, indent: int) -> None:
    p.line(" " * indent + f"constraint {node.id} {quoted(node.title)}", node.span)
    for c in node.clauses:
        _clause(p, c, indent + 2)
    head = " " * (indent + 2) + "require "
    body = layout(node.expr, len(head))
    p.lines([head + body[0], *body[1:]], node.expr.span)


@clause("rebuttal")
def _rebuttal(p: Printer, c: s.Clause, indent: int) -> None:
    p.line(" " * indent + f"rebutted by {quoted(str(c.value))}", c.span)


@prints(s.LabelsBlock)
def _labels(p: Printer, node: s.LabelsBlock, indent: int) -> None:
    p.line(" " * indent + f"labels {node.lang}", node.span)
    items: list[s.LabelEntry | s.LabelGap] = [*node.entries, *node.gaps]
    # entries and gaps as written (they interleave in the source)
    if all(i.span.file == node.span.file and i.span.line > 0 for i in items):
        items.sort(key=lambda i: (i.span.line, i.span.column))
    for item in items:
        if isinstance(item, s.LabelGap):
            p.line(" " * (indent + 2) + f"gap {item.key} {quoted(item.reason)}", item.span)
            continue
        key = quoted(item.key) if item.by_text else item.key
        text = f"{key} = {quoted(item.text)}"
        if item.short is not None:
            text += f" short {quoted(item.short)}"
        if item.aliases:
            text += " also " + ", ".join(quoted(a) for a in item.aliases)
        p.line(" " * (indent + 2) + text, item.span)


@prints(s.AskOrder)
def _ask_order(p: Printer, node: s.AskOrder, indent: int) -> None:
    p.line(" " * indent + f"ask {node.gate} before {node.fact}", node.span)


@prints(s.Amendment)
def _amendment(p: Printer, node: s.Amendment, indent: int) -> None:
    p.line(" " * indent + f"amendment {node.id} {quoted(node.title)}", node.span)
    for c in node.clauses:
        _clause(p, c, indent + 2)
    for change in node.changes:
        p.blank()
        emit(p, change, indent + 2)


@prints(s.AddChange)
def _add(p: Printer, node: s.AddChange, indent: int) -> None:
    _provision(p, node.provision, indent, prefix="add ")


@prints(s.RepealChange)
def _repeal(p: Printer, node: s.RepealChange, indent: int) -> None:
    p.line(" " * indent + f"repeal {node.target}", node.span)


@prints(s.ReplaceChange)
def _replace(p: Printer, node: s.ReplaceChange, indent: int) -> None:
    p.line(" " * indent + f"replace {node.target} with", node.span)
    _provision(p, node.provision, indent + 2)


@prints(s.AmendChange)
def _amend(p: Printer, node: s.AmendChange, indent: int) -> None:
    p.line(" " * indent + f"amend {node.target}", node.span)
    if node.conditions is not None:
        p.line(" " * (indent + 2) + "condition")
        for c in node.conditions:
            _clause(p, c, indent + 4)
    if node.outcomes is not None:
        p.line(" " * (indent + 2) + "outcomes")
        _outcomes(p, node.outcomes, indent + 4)
    if node.in_force is not None:
        p.line(" " * (indent + 2) + "period")
        p.line(" " * (indent + 4) + period_text(node.in_force), node.in_force.span)


@prints(s.AmendDefine)
def _amend_define(p: Printer, node: s.AmendDefine, indent: int) -> None:
    _define(p, node.define, indent, prefix="amend ")


@prints(s.AmendFacts)
def _amend_facts(p: Printer, node: s.AmendFacts, indent: int) -> None:
    p.line(" " * indent + "amend facts", node.span)
    for fact in node.block.facts:
        _fact(p, fact, indent + 2)


@prints(s.AmendEnum)
def _amend_enum(p: Printer, node: s.AmendEnum, indent: int) -> None:
    p.lines(_wrapped_values(f"amend enum {node.decl.name} = ", node.decl.values, indent),
            node.span)


# ---- whole files ------------------------------------------------------------------------------

# Consecutive one-line items of these kinds form a group with no blank line between them.
_GROUPED = (s.ActDecl, s.ActionDecl, s.ConclusionDecl, s.GoverningDate)


def _align_acts(lines: list[str]) -> list[str]:
    """Act declarations one after another align their titles, as the bill writes them."""
    out: list[str] = []
    group: list[tuple[str, str]] = []

    def close() -> None:
        width = max((len(name) for name, _ in group), default=0)
        out.extend(f"act {name.ljust(width)} {rest}" for name, rest in group)
        group.clear()

    for line in lines:
        if line.startswith("act ") and "#" not in line.split('"')[0]:
            name, _, rest = line[4:].lstrip().partition(" ")
            group.append((name, rest.lstrip()))
            continue
        close()
        out.append(line)
    close()
    return out


def format_module(module: s.Module, source: str = "") -> str:
    """A parsed file in the canonical layout; `source` (its text) gives the comments and the
    blank lines between items."""
    p = Printer(module.file, source.split("\n"), comments_of(source))
    previous: s.Item | None = None
    for item in module.items:
        line = p.anchor(item.span)
        p.flush(line)
        if p.out:
            blank = p.blank_before(line)
            grouped = type(previous) is type(item) and isinstance(item, _GROUPED)
            if blank or (blank is None and not grouped):
                p.blank()
        emit(p, item, 0)
        previous = item
    return "\n".join(_align_acts(p.text().split("\n")))


def format_text(text: str, file: str = "<string>") -> str:
    """Rule text in the canonical layout (raises `RuleSetError` if it does not parse)."""
    from rules.language.parser import parse

    return format_module(parse(text, file), text)
