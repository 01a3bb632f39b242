"""Rule text to syntax tree.

The grammar is loaded once (LALR, positions propagated). A lark `Transformer` turns lark's
generic tree into our frozen `syntax` nodes, and lark's exceptions become `Diagnostic`s in words a
drafter understands ("expected a date like 2024-06-16"). After an error the parser resumes at the
next top-level item, so one run reports every broken item, not just the first.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from lark.tree import Meta

from rules.language import syntax as s
from rules.language.source import Diagnostic, RuleSetError, Span

_TOP_LEVEL = ("act", "enum", "facts", "define", "action", "conclusion", "governing", "provision",
              "presume", "infer", "constraint", "protections", "amendment")
_TOP_LEVEL_LINE = re.compile(r"^({})\b".format("|".join(_TOP_LEVEL)))

_WORDS = {
    "NAME": "a name",
    "DATE": "a date like 2024-06-16",
    "INT": "a whole number",
    "STRING": 'a quoted text like "..."',
    "COMPARATOR": "a comparison (=, !=, <, <=, >, >=)",
    "MODALITY": "an outcome (require, forbid, permit or conclude)",
    "ARTICLE_NO": "an article, part or item number like 68 or 108-1",
    "SOURCE_KIND": "article, part, item, subitem, paragraph or note",
    "EFFECT": "worsens or improves",
    "$END": "the end of the file",
}


def grammar_path() -> Path:
    """The grammar file, in the source tree or inside the installed wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_data" / "grammar" / "law.lark",
                      here.parent / "grammar" / "law.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("grammar/law.lark not found next to the rules package")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # cache=True keeps the LALR tables in the temp folder: a cold `rules eval` skips building them.
    return Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr",
                propagate_positions=True, maybe_placeholders=False, cache=True)


def parse(text: str, file: str = "<string>") -> s.Module:
    """Parse one rule file; raise `RuleSetError` with every syntax error found.

    >>> parse('act CC "Criminal Code"').items[0].name
    'CC'
    """
    module, diagnostics = parse_collect(text, file)
    if diagnostics:
        raise RuleSetError(diagnostics, {file: text})
    return module


def parse_collect(text: str, file: str = "<string>") -> tuple[s.Module, list[Diagnostic]]:
    """Parse what can be parsed; return the module and the syntax errors, resuming after each.

    After an error the parser skips to the next line that starts a top-level item (or to the
    error's own line, when the error is a new item starting where the previous one was
    unfinished) and goes on, so every broken item of a file is reported in one run.
    """
    lines = text.splitlines(keepends=True)
    items: list[s.Item] = []
    diagnostics: list[Diagnostic] = []
    start = 0  # index of the first line still to parse
    while True:
        chunk = "\n" * start + "".join(lines[start:])
        transformer = _ToSyntax(file)
        try:
            module = transformer.transform(_parser().parse(chunk))
            items.extend(module.items)
            diagnostics.extend(transformer.errors)
            break
        except UnexpectedInput as error:
            diagnostics.append(_diagnostic(error, file, chunk))
            error_index = max((getattr(error, "line", 1) or 1) - 1, start)
            starts_item = (error_index < len(lines) and error_index > start
                           and getattr(error, "column", 0) == 1
                           and _TOP_LEVEL_LINE.match(lines[error_index]) is not None)
            resume = error_index if starts_item else _next_item_line(lines, error_index + 1)
            prefix = "\n" * start + "".join(lines[start:resume])
            items.extend(_items_before(prefix, file, diagnostics))
            if resume is None:
                break
            start = resume
    return s.Module(file, tuple(items), Span(file, 1, 1, max(1, len(lines)), 1)), diagnostics


def _items_before(prefix: str, file: str, diagnostics: list[Diagnostic]) -> list[s.Item]:
    """The items that parse cleanly before the item holding an error (best effort)."""
    lines = prefix.splitlines(keepends=True)
    for cut in range(len(lines), 0, -1):
        if cut < len(lines) and not _TOP_LEVEL_LINE.match(lines[cut]):
            continue
        transformer = _ToSyntax(file)
        try:
            items = list(transformer.transform(_parser().parse("".join(lines[:cut]))).items)
        except UnexpectedInput:
            continue
        diagnostics.extend(transformer.errors)
        return items
    return []


def _next_item_line(lines: list[str], first: int) -> int | None:
    for index in range(first, len(lines)):
        if _TOP_LEVEL_LINE.match(lines[index]):
            return index
    return None


def _diagnostic(error: UnexpectedInput, file: str, text: str) -> Diagnostic:
    line = getattr(error, "line", 1) or 1
    column = getattr(error, "column", 1) or 1
    if isinstance(error, UnexpectedCharacters):
        position = error.pos_in_stream or 0
        found = text[position] if position < len(text) else "end of file"
        expected = _expected(error.allowed or set())
        message = f"unexpected character {found!r}"
        around = text[max(0, position - 8): position + 10]
        if re.search(r"\d{4}-\d{1,2}-\d{1,2}", around):
            message += "; write a date with a four-digit year and two-digit month and day"
        code = "syntax_unexpected_character"
    elif isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            found, code = "the end of the file", "syntax_unexpected_end"
            line, column = _last_position(text)
        else:
            found, code = f"`{token}`", "syntax_unexpected_token"
        expected = _expected(error.accepts or error.expected)
        message = f"unexpected {found}"
    elif isinstance(error, UnexpectedEOF):
        line, column = _last_position(text)
        expected = _expected(set(error.expected))
        message, code = "unexpected end of the file", "syntax_unexpected_end"
    else:  # pragma: no cover - lark has no other kinds
        expected, message, code = "", str(error), "syntax_error"
    notes = (f"expected {expected}",) if expected else ()
    return Diagnostic(code, message, Span(file, line, column, line, column + 1), "error", notes)


def _last_position(text: str) -> tuple[int, int]:
    lines = text.rstrip().splitlines() or [""]
    return len(lines), len(lines[-1]) + 1


def _expected(names: set[str] | frozenset[str]) -> str:
    terminals = _parser().terminals
    by_name = {t.name: t for t in terminals}
    words: set[str] = set()
    for name in names:
        if name in _WORDS:
            words.add(_WORDS[name])
        elif name in by_name and by_name[name].pattern.type == "str":
            words.add(f"`{by_name[name].pattern.value}`")
        else:
            words.add(name.lower())
    ordered = sorted(words)
    if len(ordered) > 8:
        ordered = [*ordered[:8], "..."]
    if len(ordered) <= 1:
        return "".join(ordered)
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


@v_args(inline=True, meta=True)
class _ToSyntax(Transformer[Token, Any]):
    """lark tree -> syntax nodes, one method per grammar rule (named alike)."""

    def __init__(self, file: str):
        super().__init__()
        self.file = file
        self.errors: list[Diagnostic] = []  # impossible literals, e.g. the date 2024-02-30

    def _span(self, meta: Meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.file, 1, 1, 1, 1)
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _token_span(self, token: Token) -> Span:
        return Span(self.file, token.line or 1, token.column or 1,
                    token.end_line or token.line or 1, token.end_column or token.column or 1)

    def _date(self, token: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self.errors.append(Diagnostic(
                "syntax_bad_date", f"`{token}` is not a calendar date", self._token_span(token),
                "error", ("expected a date like 2024-06-16",)))
            return dt.date.min

    # -- module and declarations
    def start(self, meta: Meta, *items: s.Item) -> s.Module:
        return s.Module(self.file, tuple(items), self._span(meta))

    def act_decl(self, meta: Meta, name: Token, title: Token) -> s.ActDecl:
        return s.ActDecl(str(name), _unquote(title), self._span(meta))

    def enum_decl(self, meta: Meta, name: Token, *values: Token) -> s.EnumDecl:
        return s.EnumDecl(str(name), tuple(str(v) for v in values), self._span(meta))

    def governing_date(self, meta: Meta, name: Token) -> s.GoverningDate:
        return s.GoverningDate(str(name), self._span(meta))

    def facts_block(self, meta: Meta, *facts: s.FactDecl) -> s.FactsBlock:
        return s.FactsBlock(tuple(facts), self._span(meta))

    def fact_decl(self, meta: Meta, name: Token, type_: s.TypeSpec, *rest: Any) -> s.FactDecl:
        derivation = next((r for r in rest if not isinstance(r, str)), None)
        doc = next((r for r in rest if isinstance(r, str)), "")
        return s.FactDecl(str(name), type_, derivation, doc, self._token_span(name))

    def derivation(self, meta: Meta, expr: s.Expr) -> s.Expr:
        return expr

    def fact_doc(self, meta: Meta, doc: Token) -> str:
        return _unquote(doc)

    def bool_type(self, meta: Meta) -> s.BoolType:
        return s.BoolType(self._span(meta))

    def int_type(self, meta: Meta, *bounds: Token) -> s.IntType:
        low, high = (int(bounds[0]), int(bounds[1])) if bounds else (None, None)
        return s.IntType(low, high, self._span(meta))

    def date_type(self, meta: Meta, *bounds: Token) -> s.DateType:
        dates = [self._date(b) for b in bounds]
        return s.DateType(dates[0] if dates else None, dates[1] if len(dates) > 1 else None,
                          self._span(meta))

    def text_type(self, meta: Meta) -> s.TextType:
        return s.TextType(self._span(meta))

    def enum_type(self, meta: Meta, *values: Token) -> s.EnumType:
        return s.EnumType(tuple(str(v) for v in values), self._span(meta))

    def define(self, meta: Meta, name: Token, *rest: Any) -> s.Define:
        declared = rest[0] if len(rest) == 2 else None
        return s.Define(str(name), declared, rest[-1], self._token_span(name))

    def action_decl(self, meta: Meta, name: Token, *rest: Any) -> s.ActionDecl:
        params: tuple[s.Param, ...] = next((r for r in rest if isinstance(r, tuple)), ())
        description = next((_unquote(r) for r in rest if isinstance(r, Token)), "")
        return s.ActionDecl(str(name), params, description, self._token_span(name))

    def protections_decl(self, meta: Meta, *names: Token) -> s.ProtectionsDecl:
        return s.ProtectionsDecl(tuple(str(n) for n in names), self._span(meta))

    def params(self, meta: Meta, *params: s.Param) -> tuple[s.Param, ...]:
        return params

    def param(self, meta: Meta, name: Token, type_: s.TypeSpec) -> s.Param:
        return s.Param(str(name), type_, self._span(meta))

    def list_of(self, meta: Meta) -> bool:
        return True

    def conclusion_decl(self, meta: Meta, name: Token, *rest: Any) -> s.ConclusionDecl:
        many = any(r is True for r in rest)
        type_ = next(r for r in rest if not isinstance(r, (bool, Token)))
        description = next((_unquote(r) for r in rest if isinstance(r, Token)), "")
        return s.ConclusionDecl(str(name), type_, many, description, self._token_span(name))

    # -- provisions
    def provision(self, meta: Meta, name: Token, title: Token, *rest: Any) -> s.Provision:
        clauses = tuple(r for r in rest if isinstance(r, s.Clause))
        outcomes = tuple(r for r in rest if isinstance(r, (s.Deontic, s.Conclude)))
        return s.Provision(str(name), _unquote(title), clauses, outcomes, self._span(meta),
                           self._token_span(name))

    def source_clause(self, meta: Meta, act: Token, *rest: Any) -> s.Clause:
        parts = tuple(r for r in rest if isinstance(r, tuple))
        detail = next((_unquote(r) for r in rest if isinstance(r, Token)), "")
        return s.Clause("source", s.SourceRef(str(act), parts, detail, self._span(meta)),
                        self._span(meta))

    def source_part(self, meta: Meta, kind: str, number: Token) -> tuple[str, str]:
        return (kind, str(number))

    def source_kind(self, meta: Meta, kind: Token) -> str:
        return str(kind)

    def confidence_clause(self, meta: Meta, name: Token) -> s.Clause:
        return s.Clause("confidence", str(name), self._token_span(name))

    def quote_clause(self, meta: Meta, text: Token) -> s.Clause:
        return s.Clause("quote", _unquote(text), self._span(meta))

    def in_force_clause(self, meta: Meta, start: Token, end: dt.date | None = None) -> s.Clause:
        period = s.InForce(self._date(start), end, self._span(meta))
        return s.Clause("in_force", period, self._span(meta))

    def until(self, meta: Meta, end: Token) -> dt.date:
        return self._date(end)

    def worsens(self, meta: Meta) -> s.Clause:
        return s.Clause("effect", "worsens", self._span(meta))

    def improves(self, meta: Meta) -> s.Clause:
        return s.Clause("effect", "improves", self._span(meta))

    def overrides_clause(self, meta: Meta, *names: Token) -> s.Clause:
        targets = tuple((str(n), self._token_span(n)) for n in names)
        return s.Clause("overrides", targets, self._span(meta))

    def if_clause(self, meta: Meta, expr: s.Expr) -> s.Clause:
        return s.Clause("if", expr, self._span(meta))

    def unless_clause(self, meta: Meta, expr: s.Expr) -> s.Clause:
        return s.Clause("unless", expr, self._span(meta))

    def require(self, meta: Meta, action: Token, args: tuple[s.Argument, ...] = ()) -> s.Deontic:
        return s.Deontic("require", str(action), args, self._span(meta))

    def forbid(self, meta: Meta, action: Token, args: tuple[s.Argument, ...] = ()) -> s.Deontic:
        return s.Deontic("forbid", str(action), args, self._span(meta))

    def permit(self, meta: Meta, action: Token, args: tuple[s.Argument, ...] = ()) -> s.Deontic:
        return s.Deontic("permit", str(action), args, self._span(meta))

    def arguments(self, meta: Meta, *args: s.Argument) -> tuple[s.Argument, ...]:
        return args

    def argument(self, meta: Meta, name: Token, value: s.Expr) -> s.Argument:
        return s.Argument(str(name), value, self._span(meta))

    def conclude(self, meta: Meta, name: Token, value: s.Expr) -> s.Conclude:
        return s.Conclude(str(name), value, self._span(meta))

    # -- presumptions, inferences, constraints
    def presumption(self, meta: Meta, fact: Token, value: s.Expr, *clauses: s.Clause
                    ) -> s.Presumption:
        return s.Presumption(str(fact), value, clauses, self._token_span(fact))

    def rebuttal_clause(self, meta: Meta, text: Token) -> s.Clause:
        return s.Clause("rebuttal", _unquote(text), self._span(meta))

    def inference(self, meta: Meta, fact: Token, value: s.Expr, *clauses: s.Clause
                  ) -> s.Inference:
        return s.Inference(str(fact), value, clauses, self._token_span(fact))

    def constraint(self, meta: Meta, name: Token, title: Token, *rest: Any) -> s.Constraint:
        clauses = tuple(r for r in rest if isinstance(r, s.Clause))
        return s.Constraint(str(name), _unquote(title), clauses, rest[-1], self._token_span(name))

    # -- amendments
    def amendment(self, meta: Meta, name: Token, title: Token, *rest: Any) -> s.Amendment:
        clauses = tuple(r for r in rest if isinstance(r, s.Clause))
        changes = tuple(r for r in rest if not isinstance(r, s.Clause))
        return s.Amendment(str(name), _unquote(title), clauses, changes, self._span(meta))

    def add_change(self, meta: Meta, provision: s.Provision) -> s.AddChange:
        return s.AddChange(provision, self._span(meta))

    def repeal_change(self, meta: Meta, target: Token) -> s.RepealChange:
        return s.RepealChange(str(target), self._token_span(target))

    def replace_change(self, meta: Meta, target: Token, provision: s.Provision) -> s.ReplaceChange:
        return s.ReplaceChange(str(target), provision, self._token_span(target))

    def amend_change(self, meta: Meta, target: Token, *parts: Any) -> s.AmendChange:
        conditions: tuple[s.Clause, ...] | None = None
        outcomes: tuple[s.Outcome, ...] | None = None
        in_force: s.InForce | None = None
        for kind, value in parts:
            if kind == "condition":
                conditions = value
            elif kind == "outcomes":
                outcomes = value
            else:
                in_force = value
        return s.AmendChange(str(target), conditions, outcomes, in_force, self._token_span(target))

    def amend_condition(self, meta: Meta, *clauses: s.Clause) -> tuple[str, Any]:
        return ("condition", clauses)

    def amend_outcomes(self, meta: Meta, *outcomes: s.Outcome) -> tuple[str, Any]:
        return ("outcomes", outcomes)

    def amend_period(self, meta: Meta, clause: s.Clause) -> tuple[str, Any]:
        return ("period", clause.value)

    # -- expressions
    def or_op(self, meta: Meta, left: s.Expr, right: s.Expr) -> s.Binary:
        return s.Binary("or", left, right, self._span(meta))

    def and_op(self, meta: Meta, left: s.Expr, right: s.Expr) -> s.Binary:
        return s.Binary("and", left, right, self._span(meta))

    def not_op(self, meta: Meta, operand: s.Expr) -> s.Unary:
        return s.Unary("not", operand, self._span(meta))

    def neg(self, meta: Meta, operand: s.Expr) -> s.Unary:
        return s.Unary("neg", operand, self._span(meta))

    def compare(self, meta: Meta, left: s.Expr, op: Token, right: s.Expr) -> s.Binary:
        return s.Binary(str(op), left, right, self._span(meta))  # type: ignore[arg-type]

    def member(self, meta: Meta, operand: s.Expr, *values: s.Expr) -> s.Member:
        return s.Member(operand, values, False, self._span(meta))

    def not_member(self, meta: Meta, operand: s.Expr, *values: s.Expr) -> s.Member:
        return s.Member(operand, values, True, self._span(meta))

    def is_known(self, meta: Meta, operand: s.Expr) -> s.Known:
        return s.Known(operand, False, self._span(meta))

    def is_unknown(self, meta: Meta, operand: s.Expr) -> s.Known:
        return s.Known(operand, True, self._span(meta))

    def add(self, meta: Meta, left: s.Expr, right: s.Expr) -> s.Binary:
        return s.Binary("+", left, right, self._span(meta))

    def sub(self, meta: Meta, left: s.Expr, right: s.Expr) -> s.Binary:
        return s.Binary("-", left, right, self._span(meta))

    def mul(self, meta: Meta, left: s.Expr, right: s.Expr) -> s.Binary:
        return s.Binary("*", left, right, self._span(meta))

    def int_lit(self, meta: Meta, token: Token) -> s.IntLit:
        return s.IntLit(int(token), self._token_span(token))

    def date_lit(self, meta: Meta, token: Token) -> s.DateLit:
        return s.DateLit(self._date(token), self._token_span(token))

    def str_lit(self, meta: Meta, token: Token) -> s.StrLit:
        return s.StrLit(_unquote(token), self._token_span(token))

    def true_lit(self, meta: Meta) -> s.BoolLit:
        return s.BoolLit(True, self._span(meta))

    def false_lit(self, meta: Meta) -> s.BoolLit:
        return s.BoolLit(False, self._span(meta))

    def ref(self, meta: Meta, token: Token) -> s.Ref:
        return s.Ref(str(token), self._token_span(token))

    def call(self, meta: Meta, name: Token, *args: s.Expr) -> s.Call:
        return s.Call(str(name), args, self._span(meta))
