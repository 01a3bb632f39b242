"""Parser: every construct of docs/LANGUAGE.md parses into the syntax tree, malformed text gives
diagnostics a drafter can act on (file:line:column, a caret, words not token names), and the
parser resumes after an error so every broken item of a file is reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import rules
from rules.language import syntax as s
from rules.language.printer import expr_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def parse_one(text: str):
    module = rules.parse(text, "one.law")
    assert len(module.items) == 1, module.items
    return module.items[0]


def parse_expr(text: str) -> s.Expr:
    item = parse_one(f"define x = {text}")
    assert isinstance(item, s.Define)
    return item.expr


def syntax_errors(text: str, file: str = "broken.law") -> list[rules.Diagnostic]:
    with pytest.raises(rules.RuleSetError) as raised:
        rules.parse(text, file)
    assert raised.value.diagnostics, "a RuleSetError must carry its diagnostics"
    return raised.value.diagnostics


# ---- each construct parses ----------------------------------------------------------------


def test_act_declaration():
    item = parse_one('act CC "Criminal Code of the Republic of Kazakhstan"')
    assert item == s.ActDecl("CC", "Criminal Code of the Republic of Kazakhstan")


def test_enum_declaration_across_lines():
    item = parse_one("enum region = abai | akmola\n            | astana # a comment\n  | almaty")
    assert item == s.EnumDecl("region", ("abai", "akmola", "astana", "almaty"))


def test_governing_date():
    assert parse_one("governing date offence.date") == s.GoverningDate("offence.date")


def test_facts_block_every_type_spec():
    item = parse_one(
        "facts\n"
        "  offence.date : date 2015-01-01..   \"The date of the act\"\n"
        "  window.d : date 2015-01-01..2030-12-31\n"
        "  plain.d : date\n"
        "  offence.kind : offence_kind\n"
        "  inline.kind : battery | minor_harm\n"
        "  offence.systematic : boolean\n"
        "  victim.age : integer 0..150 = years_between(victim.birth_date, offence.date)\n"
        "  count.n : integer\n"
        "  place.district : text\n"
    )
    assert isinstance(item, s.FactsBlock)
    facts = {f.path: f for f in item.facts}
    assert list(facts) == ["offence.date", "window.d", "plain.d", "offence.kind", "inline.kind",
                           "offence.systematic", "victim.age", "count.n", "place.district"]
    assert facts["offence.date"].type == s.DateType(dt.date(2015, 1, 1), None)
    assert facts["offence.date"].doc == "The date of the act"
    assert facts["window.d"].type == s.DateType(dt.date(2015, 1, 1), dt.date(2030, 12, 31))
    assert facts["plain.d"].type == s.DateType(None, None)
    assert facts["offence.kind"].type == s.EnumType(("offence_kind",))
    assert facts["inline.kind"].type == s.EnumType(("battery", "minor_harm"))
    assert facts["offence.systematic"].type == s.BoolType()
    assert facts["victim.age"].type == s.IntType(0, 150)
    assert facts["victim.age"].derivation == s.Call(
        "years_between", (s.Ref("victim.birth_date"), s.Ref("offence.date")))
    assert facts["count.n"].type == s.IntType(None, None)
    assert facts["place.district"].type == s.TextType()


def test_define_with_and_without_type():
    typed = parse_one("define young_child : boolean = victim.age < 14")
    assert typed == s.Define("young_child", s.BoolType(),
                             s.Binary("<", s.Ref("victim.age"), s.IntLit(14)))
    inferred = parse_one("define minor_victim = victim.age < 18")
    assert inferred.declared_type is None


def test_action_declarations():
    plain = parse_one("action reconciliation")
    assert plain == s.ActionDecl("reconciliation", (), "")
    full = parse_one('action notify(region: region, district: text) "Notify the commissioner"')
    assert full.params == (s.Param("region", s.EnumType(("region",))),
                           s.Param("district", s.TextType()))
    assert full.description == "Notify the commissioner"


def test_conclusion_declarations():
    many = parse_one('conclusion qualification : list of text "The article"')
    assert many == s.ConclusionDecl("qualification", s.TextType(), True, "The article")
    one = parse_one("conclusion crime_category : crime_category")
    assert one == s.ConclusionDecl("crime_category", s.EnumType(("crime_category",)), False, "")


PROVISION = '''
provision cc_68_minor_violence "No reconciliation for physical violence against a minor"
  source CC article 68 part 4 item 5          # act, then article / part / item
  source LAW72 article 1 "as amended"
  confidence secondary
  quote "the law's \\"words\\""
  in force from 2024-06-16 until 2030-01-01
  worsens position
  overrides cc_68_1, cc_68_2
  if minor_victim and physical_violence
  if offence.kind in {battery, minor_harm}
  unless parties.reconciled is unknown
  then forbid reconciliation
       require regional_commissioner_notification(region = place.region)
       permit support
       conclude qualification = "CC 109-1"
'''


def test_provision_with_every_clause():
    p = parse_one(PROVISION)
    assert isinstance(p, s.Provision)
    assert p.id == "cc_68_minor_violence"
    assert p.title == "No reconciliation for physical violence against a minor"
    kinds = [c.kind for c in p.clauses]
    assert kinds == ["source", "source", "confidence", "quote", "in_force", "effect",
                     "overrides", "if", "if", "unless"]
    by_kind = {}
    for clause in p.clauses:
        by_kind.setdefault(clause.kind, []).append(clause.value)
    assert by_kind["source"][0] == s.SourceRef("CC", (("article", "68"), ("part", "4"),
                                                      ("item", "5")), "")
    assert by_kind["source"][1] == s.SourceRef("LAW72", (("article", "1"),), "as amended")
    assert by_kind["confidence"] == ["secondary"]
    assert by_kind["quote"] == [s.Quote('the law\'s "words"')]   # English, our translation
    assert by_kind["in_force"] == [s.InForce(dt.date(2024, 6, 16), dt.date(2030, 1, 1))]
    assert by_kind["effect"] == ["worsens"]
    assert [t for t, _span in by_kind["overrides"][0]] == ["cc_68_1", "cc_68_2"]
    assert by_kind["unless"] == [s.Known(s.Ref("parties.reconciled"), True)]
    assert p.outcomes == (
        s.Deontic("forbid", "reconciliation"),
        s.Deontic("require", "regional_commissioner_notification",
                  (s.Argument("region", s.Ref("place.region")),)),
        s.Deontic("permit", "support"),
        s.Conclude("qualification", s.StrLit("CC 109-1")),
    )


def test_provision_clauses_in_any_order_and_improves():
    p = parse_one('provision p "t" improves position if true confidence uncertain '
                  'in force from 2015-01-01 source CC article 108-1 note 1 then require a')
    assert [c.kind for c in p.clauses] == ["effect", "if", "confidence", "in_force", "source"]
    assert p.clauses[0].value == "improves"
    assert p.clauses[4].value.parts == (("article", "108-1"), ("note", "1"))


@pytest.mark.parametrize("effect", ["worsens", "improves"])
def test_effect_clause_after_an_if_clause(effect):
    # "Clauses may come in any order before `then`": an effect after a condition is legal.
    p = parse_one(f'provision p "t"\n  source CC article 1\n  confidence confirmed\n'
                  f'  in force from 2024-06-16\n  if victim.age < 18\n  {effect} position\n'
                  f'  then require a')
    assert [c.kind for c in p.clauses][-2:] == ["if", "effect"]
    assert p.clauses[-1].value == effect


def test_source_part_kinds():
    p = parse_one('provision p "t" source CC article 1 part 2 item 3 subitem 4 paragraph 5 '
                  'note 6 then require a')
    assert [k for k, _ in p.clauses[0].value.parts] == ["article", "part", "item", "subitem",
                                                         "paragraph", "note"]


def test_amendment_changes():
    item = parse_one('''
amendment law_2025 "An amendment"
  source LAW72 article 2
  confidence confirmed
  in force from 2025-01-01
  repeal old_rule
  add provision new_rule "New"
        source CC article 1
        confidence confirmed
        in force from 2025-01-01
        then require report
  replace other with provision other "Other"
        source CC article 2
        confidence confirmed
        in force from 2025-01-01
        then forbid report
  amend third
    condition if victim.age < 16 unless flags.a
    outcomes then permit report
    period in force from 2025-01-01 until 2026-01-01
''')
    assert isinstance(item, s.Amendment)
    kinds = [type(c).__name__ for c in item.changes]
    assert kinds == ["RepealChange", "AddChange", "ReplaceChange", "AmendChange"]
    amend = item.changes[3]
    assert [c.kind for c in amend.conditions] == ["if", "unless"]
    assert amend.outcomes == (s.Deontic("permit", "report"),)
    assert amend.in_force == s.InForce(dt.date(2025, 1, 1), dt.date(2026, 1, 1))


@pytest.mark.parametrize("text, expected", [
    ("a and b or c", s.Binary("or", s.Binary("and", s.Ref("a"), s.Ref("b")), s.Ref("c"))),
    ("not a and b", s.Binary("and", s.Unary("not", s.Ref("a")), s.Ref("b"))),
    ("x + 2 * 3 >= 7", s.Binary(">=", s.Binary("+", s.Ref("x"), s.Binary(
        "*", s.IntLit(2), s.IntLit(3))), s.IntLit(7))),
    ("x - 1 - 2", s.Binary("-", s.Binary("-", s.Ref("x"), s.IntLit(1)), s.IntLit(2))),
    ("-x", s.Unary("neg", s.Ref("x"))),
    ("k in {a, b}", s.Member(s.Ref("k"), (s.Ref("a"), s.Ref("b")), False)),
    ("k not in {a}", s.Member(s.Ref("k"), (s.Ref("a"),), True)),
    ("x is known", s.Known(s.Ref("x"), False)),
    ("x is unknown", s.Known(s.Ref("x"), True)),
    ("d >= 2024-06-16", s.Binary(">=", s.Ref("d"), s.DateLit(dt.date(2024, 6, 16)))),
    ('t = "a \\"b\\""', s.Binary("=", s.Ref("t"), s.StrLit('a "b"'))),
    ("true != false", s.Binary("!=", s.BoolLit(True), s.BoolLit(False))),
    ("days_between(a.d, b.d) > 30", s.Binary(">", s.Call("days_between", (
        s.Ref("a.d"), s.Ref("b.d"))), s.IntLit(30))),
    ("(a or b) and c", s.Binary("and", s.Binary("or", s.Ref("a"), s.Ref("b")), s.Ref("c"))),
])
def test_expressions(text, expected):
    assert parse_expr(text) == expected


def test_comments_and_layout_are_ignored():
    module = rules.parse("# only a comment\n\n\nact CC \"x\"   # trailing\n\n", "c.law")
    assert module.items == (s.ActDecl("CC", "x"),)


def test_empty_file_parses():
    assert rules.parse("", "empty.law").items == ()


def test_spans_point_at_the_provision():
    module = rules.parse('act CC "x"\n\nprovision p "t"\n  source CC article 1\n'
                         '  confidence confirmed\n  in force from 2015-01-01\n  then require a\n',
                         "spans.law")
    provision = module.items[1]
    assert provision.span.file == "spans.law"
    assert provision.span.line == 3
    assert provision.span.column == 1


def test_bundled_bill_parses():
    for path in sorted((Path(rules.bundled_path())).glob("*.law")):
        rules.parse(path.read_text(encoding="utf-8"), str(path))


# ---- malformed text ---------------------------------------------------------------------


def test_error_has_file_line_column_and_caret():
    text = 'act CC "x"\n\nprovision p "t"\n  source CC article 1\n  if victim.age < < 18\n' \
           '  then require a\n'
    errors = syntax_errors(text, "bad.law")
    assert len(errors) == 1
    error = errors[0]
    assert error.severity == "error"
    assert error.code.startswith("syntax")
    assert (error.span.file, error.span.line, error.span.column) == ("bad.law", 5, 19)
    rendered = error.render({"bad.law": text})
    lines = rendered.splitlines()
    assert lines[0].startswith("bad.law:5:19: error[")
    assert lines[1].endswith("  if victim.age < < 18")
    caret = lines[2]
    assert caret.strip() == "^"
    # the caret sits under the offending `<` (column 19 of the source line)
    assert caret.index("^") - lines[1].index("  if victim") == 18


def test_render_without_sources_still_names_the_place():
    errors = syntax_errors("act CC", "short.law")
    assert errors[0].render().startswith("short.law:1:")


@pytest.mark.parametrize("where, text", [
    ("in force from", 'provision p "t"\n  in force from tomorrow\n  then require a\n'),
    ("until", 'provision p "t"\n  in force from 2024-06-16 until soon\n  then require a\n'),
    ("day first", 'provision p "t"\n  in force from 16-06-2024\n  then require a\n'),
    ("one-digit month", 'provision p "t"\n  in force from 2024-6-16\n  then require a\n'),
    ("quoted", 'provision p "t"\n  in force from "2024-06-16"\n  then require a\n'),
])
def test_bad_date_position_says_a_date_is_expected(where, text):
    errors = syntax_errors(text)
    words = " ".join([errors[0].message, *errors[0].notes])
    assert "expected a date like 2024-06-16" in words, (where, words)
    assert "DATE" not in words  # terminal names are translated into words


def test_bad_date_rendering_mentions_the_expected_date():
    text = 'provision p "t"\n  in force from tomorrow\n  then require a\n'
    error = syntax_errors(text, "d.law")[0]
    assert (error.span.line, error.span.column) == (2, 17)
    assert "expected a date like 2024-06-16" in error.render({"d.law": text})


def test_impossible_calendar_date():
    errors = syntax_errors('provision p "t"\n  in force from 2024-02-30\n  then require a\n')
    assert len(errors) == 1
    assert errors[0].span.line == 2
    assert errors[0].span.column == 17
    assert "2024-02-30" in errors[0].message
    assert "expected a date like 2024-06-16" in " ".join(errors[0].notes)


def test_unexpected_end_of_file():
    errors = syntax_errors('provision p "t"\n  source CC article')
    assert errors[0].code == "syntax_unexpected_end"
    assert errors[0].span.line == 2


def test_unexpected_character():
    errors = syntax_errors('act CC "x"\nact @ "y"\n')
    assert errors[0].code == "syntax_unexpected_character"
    assert (errors[0].span.line, errors[0].span.column) == (2, 5)


def broken_fixture(name: str) -> tuple[str, list[rules.Diagnostic]]:
    path = FIXTURES / "broken" / name
    text = path.read_text(encoding="utf-8")
    return text, syntax_errors(text, name)


def test_every_broken_provision_is_reported():
    text, errors = broken_fixture("three_broken.law")
    assert [e.span.line for e in errors] == [8, 14, 21]
    assert all(e.span.file == "three_broken.law" for e in errors)
    # each diagnostic renders with its own source line and a caret
    for error in errors:
        rendered = error.render({"three_broken.law": text})
        assert "^" in rendered
        assert text.splitlines()[error.span.line - 1] in rendered


def test_every_broken_provision_is_reported_after_a_missing_then():
    # `first` has no `then`: lark notices at the `provision` keyword of `second`; the parser must
    # resume *at* that item, not after it, or the error in `second` is never reported.
    _, errors = broken_fixture("missing_then.law")
    lines = [e.span.line for e in errors]
    assert 12 in lines, f"the error in `second` (line 12) is not reported: {lines}"
    assert 18 in lines, f"the error in `third` (line 18) is not reported: {lines}"
    assert len(errors) == 3


def test_calendar_date_error_is_reported_alongside_later_syntax_errors():
    _, errors = broken_fixture("bad_calendar_date.law")
    lines = sorted(e.span.line for e in errors)
    assert lines == [5, 12], [(e.span.line, e.message) for e in errors]


def test_calendar_date_error_does_not_stop_later_reports():
    text = ('provision a "t"\n  in force from 2024-02-30\n  then require r\n\n'
            'provision b "t"\n  in force from someday\n  then require r\n')
    lines = [e.span.line for e in syntax_errors(text)]
    assert lines == [2, 6]


def test_check_reports_syntax_errors_of_every_file():
    with pytest.raises(rules.RuleSetError) as raised:
        rules.check({"a.law": "act CC", "b.law": "enum = x"})
    files = {d.span.file for d in raised.value.diagnostics}
    assert files == {"a.law", "b.law"}
    assert "error(s) found" in str(raised.value)


# ---- printing round-trips -----------------------------------------------------------------

ROUND_TRIP = [
    "a and b or c",
    "a and (b or c)",
    "not (a and b)",
    "not a and b",
    "not not a",
    "x - (y - z)",
    "(x - y) - z",
    "x * (y + 1) >= 2",
    "-(x + 1) < -3",
    "- -x = 1",
    "k in {battery, minor_harm}",
    "k not in {a}",
    "(x + 1) in {1, 2}",
    "victim.age is known",
    "(a and b) is unknown",
    "years_between(victim.birth_date, offence.date) < 18",
    "offence.date >= 2024-06-16 and offence.date <= 2030-01-01",
    '"a \\"quoted\\" text" = t',
    '"back\\\\slash" != t',
    "true or false",
    "(a = b) = (c = d)",
    "(a or b) and (c or d)",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_print_parse_round_trip(text):
    tree = parse_expr(text)
    printed = expr_text(tree)
    assert parse_expr(printed) == tree, printed
    assert expr_text(parse_expr(printed)) == printed  # printing is a fixed point


def test_printer_adds_only_needed_parentheses():
    assert expr_text(parse_expr("(a and b) or c")) == "a and b or c"
    assert expr_text(parse_expr("a and (b or c)")) == "a and (b or c)"
    assert expr_text(parse_expr("((x))")) == "x"


def test_two_impossible_calendar_dates_are_both_reported():
    text = ('provision a "t"\n  in force from 2024-02-30\n  then require r\n\n'
            'provision b "t"\n  in force from 2023-02-29\n  then require r\n')
    errors = syntax_errors(text)
    assert [e.span.line for e in errors] == [2, 6]
    assert all(e.code == "syntax_bad_date" for e in errors)
