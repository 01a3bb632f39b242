"""`rules fmt`: the canonical layout prints every construct of the grammar, keeps comments, is
idempotent and round-trips (the printed text parses to an equal syntax tree)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli import app
from rules.language import syntax as s
from rules.language.format import (
    WIDTH,
    comments_of,
    format_module,
    format_text,
    printable_order,
)
from rules.language.parser import _parser, parse
from rules.language.source import NOWHERE, Span

ROOT = Path(__file__).resolve().parent.parent
SINK = ROOT / "tests" / "fixtures" / "format" / "kitchen_sink.law"
LAW_FILES = sorted([*ROOT.glob("provisions/*.law"), *ROOT.glob("amendments/*.law"), SINK])


def normal(node: object) -> object:
    """The tree with every span blanked (spans inside clause values are plain tuples)."""
    if isinstance(node, Span):
        return NOWHERE
    if isinstance(node, tuple):
        return tuple(normal(n) for n in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return type(node)(**{f.name: normal(getattr(node, f.name))
                             for f in dataclasses.fields(node)})
    return node


def same_tree(a: s.Module, b: s.Module) -> bool:
    return normal(a.items) == normal(b.items)


def test_the_kitchen_sink_covers_every_rule_of_the_grammar():
    """A grammar rule added without a sample here fails: add it, and its printer."""
    parser = _parser()
    wanted = set()
    for rule in parser.rules:
        name = rule.alias or rule.origin.name
        if isinstance(name, str) and not name.startswith("_") and \
                not (rule.options.expand1 and not rule.alias):
            wanted.add(name)
    tree = parser.parse(SINK.read_text(encoding="utf-8"))
    seen = {str(t.data) for t in tree.iter_subtrees()}
    assert wanted - seen == set()


def test_every_file_round_trips_idempotent_and_keeps_its_comments():
    for file in LAW_FILES:
        text = file.read_text(encoding="utf-8")
        out = format_text(text, str(file))
        assert same_tree(parse(text, str(file)), parse(out, str(file))), file
        assert format_text(out, str(file)) == out, file
        assert [c.text.strip() for c in comments_of(text)] == \
            [c.text.strip() for c in comments_of(out)], file


def test_the_layout_of_a_provision():
    text = ('provision p "T"\n source CC article 1\n confidence confirmed\n'
            ' in force from 2015-01-01\n if a and\n b\n then require x\n forbid y(z = 1)\n')
    assert format_text(text) == (
        'provision p "T"\n  source CC article 1\n  confidence confirmed\n'
        '  in force from 2015-01-01\n  if a and b\n  then require x\n       forbid y(z = 1)\n')


def test_long_conditions_break_before_the_operator_and_keep_or_and_parentheses():
    names = " and ".join(f"flags.condition_number_{i}" for i in range(6))
    text = f'define d = {names} or x\n'
    out = format_text(text)
    assert all(len(line) <= WIDTH for line in out.splitlines())
    assert out.splitlines()[1].startswith("  ") and "(" in out
    assert same_tree(parse(text), parse(out))


def test_comments_stay_where_they_were():
    text = ("# head\n\nact CC \"x\"   # after code\n# before b\nact B \"y\"\n\n"
            "provision p \"T\"\n  # inside\n  source CC\n  then require x  # end\n# tail\n")
    out = format_text(text)
    assert out == ("# head\n\nact CC \"x\"  # after code\n# before b\nact B \"y\"\n\n"
                   "provision p \"T\"\n  # inside\n  source CC\n  then require x  # end\n"
                   "# tail\n")


# ---- generated trees -----------------------------------------------------------------------------

names = st.sampled_from(["a", "b", "flags.a", "victim.age", "cc_1", "x_2", "p@v1",
                         "offence.kind", "a_rather_long_name_for_a_definition"])
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
dates = st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1))


def exprs() -> st.SearchStrategy[s.Expr]:
    leaves = st.one_of(st.builds(s.IntLit, st.integers(0, 999)), st.builds(s.DateLit, dates),
                       st.builds(s.StrLit, texts), st.builds(s.BoolLit, st.booleans()),
                       st.builds(s.Ref, names))

    def extend(inner: st.SearchStrategy[s.Expr]) -> st.SearchStrategy[s.Expr]:
        return st.one_of(
            st.builds(s.Binary, st.sampled_from(["and", "or", "=", "<", "+", "-", "*", "!="]),
                      inner, inner),
            st.builds(s.Unary, st.sampled_from(["not", "neg"]), inner),
            st.builds(s.Member, inner, st.lists(inner, min_size=1, max_size=3).map(tuple),
                      st.booleans()),
            st.builds(s.Known, inner, st.booleans()),
            st.builds(s.Call, st.sampled_from(["years_between", "days_between"]),
                      st.tuples(inner, inner)))

    return st.recursive(leaves, extend, max_leaves=12)


def clauses() -> st.SearchStrategy[s.Clause]:
    return st.one_of(
        st.builds(lambda act, parts, detail: s.Clause("source", s.SourceRef(act, parts, detail)),
                  st.sampled_from(["CC", "LAW72"]),
                  st.lists(st.tuples(st.sampled_from(["article", "part", "item", "note"]),
                                     st.sampled_from(["1", "68", "108-1"])), max_size=3)
                  .map(tuple), texts),
        st.builds(lambda v: s.Clause("confidence", v), st.sampled_from(["confirmed", "x"])),
        st.builds(lambda v, lang, official, source: s.Clause(
            "quote", s.Quote(v, lang, official, source if official else "")),
            texts, st.sampled_from(["en", "ru", "kk"]), st.booleans(), texts),
        st.builds(lambda lang, v: s.Clause("title", s.Title(lang, v)),
                  st.sampled_from(["ru", "kk"]), texts),
        st.builds(lambda a, b: s.Clause("in_force", s.InForce(a, b)), dates,
                  st.one_of(st.none(), dates)),
        st.builds(lambda v: s.Clause("effect", v), st.sampled_from(["worsens", "improves"])),
        st.builds(lambda v: s.Clause("overrides", tuple((n, NOWHERE) for n in v)),
                  st.lists(names, min_size=1, max_size=3)),
        st.builds(lambda k, e: s.Clause(k, e), st.sampled_from(["if", "unless"]), exprs()))


AMENDMENT_CLAUSES = ("source", "confidence", "quote", "in_force", "effect")
label_entries = st.builds(
    lambda key, text, short, aliases, by_text: s.LabelEntry(key, text, short, tuple(aliases),
                                                            by_text),
    names, texts, st.one_of(st.none(), texts), st.lists(texts, max_size=2), st.booleans())
labels_blocks = st.builds(
    lambda lang, entries, gaps: s.LabelsBlock(lang, tuple(entries), tuple(gaps)),
    st.sampled_from(["ru", "kk", "en"]), st.lists(label_entries, min_size=1, max_size=3),
    st.lists(st.builds(s.LabelGap, names, texts), max_size=2))
outcomes = st.one_of(
    st.builds(s.Deontic, st.sampled_from(["require", "forbid", "permit"]), names,
              st.lists(st.builds(s.Argument, names, exprs()), max_size=2).map(tuple)),
    st.builds(s.Conclude, names, exprs()))
provisions = st.builds(s.Provision, names, texts, st.lists(clauses(), max_size=5).map(tuple)
                       .map(printable_order),
                       st.lists(outcomes, min_size=1, max_size=3).map(tuple))
types = st.one_of(st.builds(s.BoolType), st.builds(s.TextType),
                  st.builds(lambda a, b: s.IntType(min(a, b), max(a, b)),
                            st.integers(0, 99), st.integers(0, 99)),
                  st.builds(s.IntType), st.builds(s.DateType),
                  st.builds(s.DateType, dates, st.one_of(st.none(), dates)),
                  st.builds(s.EnumType, st.lists(names, min_size=1, max_size=4).map(tuple)))
facts = st.builds(s.FactDecl, names, types, st.one_of(st.none(), exprs()), texts)
changes = st.one_of(
    st.builds(s.AddChange, provisions), st.builds(s.RepealChange, names),
    st.builds(s.ReplaceChange, names, provisions),
    st.builds(s.AmendChange, names,
              st.one_of(st.none(), st.lists(st.builds(lambda e: s.Clause("if", e), exprs()),
                                            min_size=1, max_size=1).map(tuple)),
              st.one_of(st.none(), st.lists(outcomes, min_size=1, max_size=2).map(tuple)),
              st.builds(s.InForce, dates, st.one_of(st.none(), dates))),
    st.builds(s.AmendDefine, st.builds(s.Define, names, st.none(), exprs())),
    st.builds(s.AmendFacts, st.builds(s.FactsBlock, st.lists(facts, min_size=1, max_size=2)
                                      .map(tuple))),
    st.builds(s.AmendEnum, st.builds(s.EnumDecl, names,
                                     st.lists(names, min_size=1, max_size=4).map(tuple))))
sources_and_confidence = st.lists(clauses().filter(lambda c: c.kind in ("source", "confidence")),
                                  max_size=2)
items = st.one_of(
    labels_blocks,
    st.builds(s.AskOrder, names, names),
    st.builds(s.ProtectionsDecl, st.lists(names, min_size=1, max_size=8).map(tuple)),
    st.builds(s.Presumption, names, exprs(), st.tuples(
        sources_and_confidence, st.lists(st.builds(lambda v: s.Clause("rebuttal", v), texts),
                                         max_size=1)).map(lambda p: tuple(p[0] + p[1]))),
    st.builds(s.Inference, names, exprs(), st.tuples(
        sources_and_confidence, st.lists(st.builds(lambda e: s.Clause("if", e), exprs()),
                                         max_size=1)).map(lambda p: tuple(p[0] + p[1]))),
    st.builds(s.Constraint, names, texts, sources_and_confidence.map(tuple), exprs()),
    st.builds(s.ActDecl, names, texts),
    st.builds(s.EnumDecl, names, st.lists(names, min_size=1, max_size=30).map(tuple)),
    st.builds(s.GoverningDate, names),
    st.builds(s.FactsBlock, st.lists(facts, min_size=1, max_size=3).map(tuple)),
    st.builds(s.Define, names, st.one_of(st.none(), types.filter(
        lambda t: (not isinstance(t, (s.IntType, s.DateType)) or t.low is None)
        and (not isinstance(t, s.EnumType) or len(t.values) == 1))), exprs()),
    st.builds(s.ActionDecl, names, st.lists(st.builds(s.Param, names, st.builds(s.BoolType)),
                                            max_size=2).map(tuple), texts),
    st.builds(s.ConclusionDecl, names, st.builds(s.TextType), st.booleans(), texts),
    provisions,
    st.builds(s.Amendment, names, texts,
              st.lists(clauses().filter(lambda c: c.kind in AMENDMENT_CLAUSES), max_size=3)
              .map(tuple),
              st.lists(changes, min_size=1, max_size=3).map(tuple)))



@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(items, min_size=1, max_size=4))
def test_generated_trees_round_trip(generated):
    module = s.Module("gen.law", tuple(generated))
    text = format_module(module)
    again = parse(text, "gen.law")
    assert normal(again.items) == normal(module.items), text
    assert format_module(again, text) == text


# ---- the command ----------------------------------------------------------------------------------


def test_fmt_check_and_rewrite(tmp_path):
    messy = tmp_path / "messy.law"
    messy.write_text('act CC "x"\nprovision p "T"\n source CC\n   then require x\n')
    tidy = tmp_path / "tidy.law"
    tidy.write_text(format_text(messy.read_text()))
    runner = CliRunner()
    result = runner.invoke(app, ["fmt", "--check", str(tmp_path)])
    assert result.exit_code == 1
    assert "messy.law" in result.output and "tidy.law" not in result.output
    result = runner.invoke(app, ["fmt", str(tmp_path)])
    assert result.exit_code == 0 and "reformatted" in result.output
    assert runner.invoke(app, ["fmt", "--check", str(tmp_path)]).exit_code == 0


def test_fmt_reports_a_syntax_error_with_its_place(tmp_path):
    bad = tmp_path / "bad.law"
    bad.write_text('provision p "T"\n  source\n')
    result = CliRunner().invoke(app, ["fmt", str(bad)])
    assert result.exit_code == 2
    assert "bad.law:2:" in result.output and "^" in result.output


def test_fmt_check_on_the_repository_amendments():
    result = CliRunner().invoke(app, ["fmt", "--check", str(ROOT / "amendments")])
    assert result.exit_code == 0, result.output
