"""Amendments: a change to a rule set, written in the rule language, applied to give a new one.

An amendment file holds one `amendment` (and, optionally, new declarations it needs). Applying it
never touches the old `RuleSet`: the syntax modules the rule set was checked from are copied,
provisions are added, ended, split in time or rewritten, and the result is checked again with
`check_collect`, so an amended rule set is exactly as sound as a hand-written one.

Time is the point of an amendment (docs/AMENDMENTS.md): a changed provision is *split* on the
amendment's date. The old text keeps its id and stays in force until the day before; the new text
is a new version `ID@AMENDMENT` in force from that date. Acts committed before the amendment are
judged by the old text (Criminal Code art. 5), unless the new version `improves position`, in
which case it reaches back (art. 6(1)) and the old version is removed. A repeal ends the
provision on the day before the amendment's date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rules.language import syntax as s
from rules.language.checker import check_collect
from rules.language.parser import parse_collect
from rules.language.ruleset import AmendmentRecord, ChangeRecord, RuleSet
from rules.language.source import Diagnostic, Diagnostics, RuleSetError, Span, did_you_mean

_DECLARATIONS = (s.ActDecl, s.EnumDecl, s.FactsBlock, s.Define, s.ActionDecl, s.ConclusionDecl)


@dataclass(frozen=True)
class AmendmentFile:
    """A parsed amendment file: the amendment, the declarations it adds, and its text."""

    amendment: s.Amendment
    declarations: tuple[s.Item, ...]
    file: str
    text: str

    @property
    def id(self) -> str:
        return self.amendment.id

    @property
    def date(self) -> dt.date | None:
        clause = _first(self.amendment.clauses, "in_force")
        return clause.value.start if clause and isinstance(clause.value, s.InForce) else None


def parse_amendment(text: str, file: str = "<amendment>") -> AmendmentFile:
    """Parse an amendment file; raise `RuleSetError` with located diagnostics on any problem."""
    module, errors = parse_collect(text, file)
    diagnostics = Diagnostics(list(errors))
    amendments = [i for i in module.items if isinstance(i, s.Amendment)]
    declarations = tuple(i for i in module.items if isinstance(i, _DECLARATIONS))
    for item in module.items:
        if isinstance(item, s.Provision):
            diagnostics.error("provision_in_amendment",
                              f"provision `{item.id}` stands outside the amendment",
                              item.id_span, "write it as a change: `add provision ...`")
        elif isinstance(item, s.GoverningDate):
            diagnostics.error("governing_date_in_amendment",
                              "an amendment cannot change the governing date", item.span)
    if not errors and len(amendments) != 1:
        where = amendments[1].span if len(amendments) > 1 else Span(file, 1, 1, 1, 2)
        diagnostics.error("amendment_count", f"an amendment file holds exactly one amendment, "
                          f"found {len(amendments)}", where)
    if amendments:
        _check_header(amendments[0], diagnostics)
    if diagnostics.errors:
        raise RuleSetError(diagnostics.items, {file: text})
    return AmendmentFile(amendments[0], declarations, file, text)


def load_amendment(path: str | Path) -> AmendmentFile:
    """Read and parse an amendment file."""
    from rules.language.loader import read_law_file

    file = Path(path)
    if not os.path.lexists(file):
        raise RuleSetError([Diagnostic("no_amendment", f"{file}: no such amendment file",
                                       Span(str(file), 0, 0, 0, 0))])
    return parse_amendment(read_law_file(file, what="amendment file"), str(file))


def _check_header(amendment: s.Amendment, diagnostics: Diagnostics) -> None:
    by_kind: dict[str, list[s.Clause]] = {}
    for clause in amendment.clauses:
        by_kind.setdefault(clause.kind, []).append(clause)
    for kind, words in (("source", "`source`"), ("confidence", "`confidence`"),
                        ("in_force", "`in force from` date")):
        if kind not in by_kind:
            diagnostics.error(f"missing_{kind}", f"amendment `{amendment.id}` has no {words}",
                              amendment.span, "an amendment cites its source, its confidence "
                              "and the date it enters into force")
    for clause in by_kind.get("effect", []):
        if clause.value != "improves":
            diagnostics.error("amendment_effect", "an amendment can only declare that it "
                              "`improves position` (its changes may then reach earlier acts)",
                              clause.span, "a worsening change never reaches acts before the "
                              "amendment's date; there is nothing to declare")
    for kind in ("confidence", "quote", "in_force", "effect"):
        for extra in by_kind.get(kind, [])[1:]:
            diagnostics.error("duplicate_clause", f"amendment `{amendment.id}` has a second "
                              f"`{kind.replace('_', ' ')}` clause", extra.span)
    for clause in by_kind.get("in_force", [])[:1]:
        if isinstance(clause.value, s.InForce) and clause.value.end is not None:
            diagnostics.error("amendment_until", "an amendment enters into force on a date; it "
                              "does not leave force", clause.span,
                              "to make a change temporary, give the changed provision its own "
                              "`in force from ... until ...`")


def _first(clauses: tuple[s.Clause, ...], kind: str) -> s.Clause | None:
    return next((c for c in clauses if c.kind == kind), None)


def _period(p: s.Provision) -> s.InForce | None:
    clause = _first(p.clauses, "in_force")
    return clause.value if clause and isinstance(clause.value, s.InForce) else None


def _effect(p: s.Provision) -> str:
    clause = _first(p.clauses, "effect")
    return str(clause.value) if clause else "neutral"


def _with_period(p: s.Provision, start: dt.date, end: dt.date | None, span: Span) -> s.Provision:
    old = _first(p.clauses, "in_force")
    period_span = old.span if old is not None else span
    clause = s.Clause("in_force", s.InForce(start, end, period_span), period_span)
    return replace(p, clauses=_put(p.clauses, clause))


def _put(clauses: tuple[s.Clause, ...], clause: s.Clause) -> tuple[s.Clause, ...]:
    """`clauses` with `clause` in the place of the one of its kind, or, if there is none, before
    the conditions (an `in force` clause after an `if` would read as `... in {...}`)."""
    found = list(clauses)
    for i, c in enumerate(found):
        if c.kind == clause.kind:
            found[i] = clause
            return tuple(found)
    at = next((i for i, c in enumerate(found) if c.kind in ("if", "unless")), len(found))
    found.insert(at, clause)
    return tuple(found)


_ORDER = ("source", "confidence", "quote", "in_force", "effect", "overrides", "if", "unless")


def _put_new(clauses: tuple[s.Clause, ...], clause: s.Clause) -> tuple[s.Clause, ...]:
    """`clauses` with `clause` added where the bill's order puts it (after the clauses that
    come before its kind, always before the conditions)."""
    rank = {kind: i for i, kind in enumerate(_ORDER)}
    rank["unless"] = rank["if"]
    mine = rank.get(clause.kind, len(_ORDER))
    found = list(clauses)
    at = 0
    for i, c in enumerate(found):
        if rank.get(c.kind, len(_ORDER)) <= mine and c.kind not in ("if", "unless"):
            at = i + 1
    found.insert(at, clause)
    return tuple(found)


def _canonical(clauses: list[s.Clause]) -> tuple[s.Clause, ...]:
    """Clauses in the order the bill writes them (conditions keep their own order)."""
    rank = {kind: i for i, kind in enumerate(_ORDER)}
    rank["unless"] = rank["if"]
    return tuple(sorted(clauses, key=lambda c: rank.get(c.kind, len(_ORDER))))


_RANK = {"confirmed": 0, "secondary": 1, "uncertain": 2}


def base_id(pid: str) -> str:
    """The id a provision or definition was first written with: `cc_68_1` for `cc_68_1@a1`."""
    return pid.split("@")[0]


class _Applier:
    """Applies one amendment to the syntax modules of a rule set."""

    def __init__(self, ruleset: RuleSet, amendment: AmendmentFile):
        self.ruleset = ruleset
        self.file = amendment
        self.a = amendment.amendment
        self.diagnostics = Diagnostics()
        self.items: list[list[s.Item]] = [list(m.items) for m in ruleset.modules]
        self.added: list[s.Item] = list(amendment.declarations)
        self.repealed: dict[str, Span] = {}
        self.changed: dict[str, Span] = {}
        self.records: list[ChangeRecord] = []
        self.improving = _first(self.a.clauses, "effect") is not None

    # ---- lookup -------------------------------------------------------------------------------

    def _lists(self) -> list[list[s.Item]]:
        return [*self.items, self.added]

    def _locate(self, pid: str) -> tuple[int, int] | None:
        for m, items in enumerate(self.items):
            for i, item in enumerate(items):
                if isinstance(item, s.Provision) and item.id == pid:
                    return m, i
        for i, item in enumerate(self.added):
            if isinstance(item, s.Provision) and item.id == pid:
                return -1, i
        return None

    def _get(self, where: tuple[int, int]) -> s.Provision:
        m, i = where
        item = self.added[i] if m < 0 else self.items[m][i]
        assert isinstance(item, s.Provision)
        return item

    def _set(self, where: tuple[int, int], provision: s.Provision | None) -> None:
        m, i = where
        target = self.added if m < 0 else self.items[m]
        if provision is None:
            target.pop(i)
        else:
            target[i] = provision

    def _insert_after(self, where: tuple[int, int], provision: s.Provision) -> None:
        m, i = where
        (self.added if m < 0 else self.items[m]).insert(i + 1, provision)

    def _all_ids(self) -> list[str]:
        return [i.id for items in self._lists() for i in items if isinstance(i, s.Provision)]

    def _made_by(self, pid: str) -> AmendmentRecord | None:
        """The earlier amendment that created this version, if any."""
        for record in self.ruleset.history:
            if any(pid in change.created for change in record.changes):
                return record
        return None

    def _current(self, pid: str, span: Span, verb: str) -> tuple[int, int] | None:
        """The version of `pid` in force latest (`pid` itself, or `pid@...` from an earlier
        amendment), after checking it can be changed by this amendment."""
        if pid in self.repealed:
            self.diagnostics.error("amendment_repealed_target",
                                   f"`{self.a.id}` {verb} `{pid}`, which it repeals",
                                   span, f"repealed at {self.repealed[pid]}")
            return None
        if pid in self.changed:
            self.diagnostics.error("amendment_changed_twice",
                                   f"`{self.a.id}` changes `{pid}` twice", span,
                                   f"first changed at {self.changed[pid]}; write one change")
            return None
        ids = [i for i in self._all_ids() if i == pid or i.startswith(pid + "@")]
        if not ids:
            self.diagnostics.error("amendment_unknown_target",
                                   f"`{self.a.id}` {verb} `{pid}`, which does not exist", span,
                                   did_you_mean(pid, [base_id(i) for i in self._all_ids()]))
            return None
        located = [(loc, self._get(loc)) for loc in (self._locate(i) for i in ids) if loc]
        loc, current = max(located, key=lambda lp: (_period(lp[1]) or s.InForce(dt.date.min))
                           .start)
        date = self.file.date
        period = _period(current)
        if date is not None and period is not None:
            if period.end is not None and period.end < date:
                self.diagnostics.error(
                    "amendment_repealed_target",
                    f"`{self.a.id}` {verb} `{pid}`, which left force on {period.end} "
                    f"(repealed or expired) before the amendment's date {date}", span)
                return None
            if date <= period.start and current.id != pid:
                self._out_of_order(pid, current.id, period.start, span)
                return None
        return loc

    def _out_of_order(self, pid: str, version: str, start: dt.date, span: Span) -> None:
        made_by = self._made_by(version)
        by = f" (made by amendment `{made_by.id}`)" if made_by else ""
        self.diagnostics.error(
            "amendment_out_of_order",
            f"`{self.a.id}` (in force from {self._date()}) changes `{pid}`, whose current text "
            f"`{version}`{by} enters into force only on {start}", span,
            "apply amendments in the order of their dates: an amendment changes the text in "
            "force on its own date")

    # ---- changes ------------------------------------------------------------------------------

    def run(self) -> tuple[list[s.Module], dict[str, str]]:
        for change in self.a.changes:
            if isinstance(change, s.AddChange):
                self._add(change)
            elif isinstance(change, s.RepealChange):
                self._repeal(change)
            elif isinstance(change, s.ReplaceChange):
                self._replace(change)
            elif isinstance(change, s.AmendChange):
                self._amend(change)
            elif isinstance(change, s.AmendFacts):
                for decl in change.block.facts:
                    self._amend_fact(decl)
            elif isinstance(change, s.AmendEnum):
                self._amend_enum(change.decl)
        defines = [c for c in self.a.changes if isinstance(c, s.AmendDefine)]
        if defines:
            self._amend_definitions(defines)
        self._expand_overrides()
        modules = [s.Module(m.file, tuple(items), m.span)
                   for m, items in zip(self.ruleset.modules, self.items, strict=True)]
        modules.append(s.Module(self.file.file, tuple(self.added)))
        sources = dict(self.ruleset.sources)
        sources[self.file.file] = self.file.text
        return modules, sources

    def record(self) -> AmendmentRecord:
        return AmendmentRecord(self.a.id, self.a.title, self.file.file, self._date(),
                               tuple(self.records))

    def _date(self) -> dt.date:
        return self.file.date or dt.date.min

    def _declared_improving(self, p: s.Provision) -> bool:
        return self.improving or _effect(p) == "improves"

    def _header(self, p: s.Provision, inherit_sources: bool) -> s.Provision:
        """A new provision gets the amendment's date, and its source and confidence if it
        states none; under an amendment that `improves position`, that effect too."""
        clauses = p.clauses
        if _first(p.clauses, "in_force") is None:
            clauses = _put_new(clauses, s.Clause("in_force", s.InForce(self._date(), None,
                                                                       p.id_span), p.id_span))
        for kind in ("source", "confidence", "effect"):
            if _first(p.clauses, kind) is None and (kind != "source" or inherit_sources) \
                    and (kind != "effect" or self.improving):
                for c in self.a.clauses:
                    if c.kind == kind:
                        clauses = _put_new(clauses, c)
        return replace(p, clauses=clauses)

    def _add(self, change: s.AddChange) -> None:
        p = change.provision
        if self._locate(p.id) is not None or any(i.startswith(p.id + "@")
                                                 for i in self._all_ids()):
            self.diagnostics.error("amendment_duplicate_id",
                                   f"`{self.a.id}` adds `{p.id}`, which already exists",
                                   p.id_span, "use `replace` or `amend` to change it")
            return
        new = self._header(p, inherit_sources=True)
        self.added.append(new)
        self.records.append(ChangeRecord("add", p.id, (p.id,), (),
                                         self._declared_improving(new), change.span))

    def _repeal(self, change: s.RepealChange) -> None:
        if change.target in self.repealed:
            self.diagnostics.error("amendment_repealed_twice",
                                   f"`{self.a.id}` repeals `{change.target}` twice", change.span,
                                   f"first repealed at {self.repealed[change.target]}")
            return
        loc = self._current(change.target, change.span, "repeals")
        if loc is None:
            return
        old = self._get(loc)
        period = _period(old)
        date = self._date()
        if period is not None and date <= period.start:
            self.diagnostics.error(
                "amendment_before_provision",
                f"`{self.a.id}` (in force from {date}) repeals `{change.target}`, which enters "
                f"into force only on {period.start}", change.span)
            return
        start = period.start if period else date
        self._set(loc, _with_period(old, start, date - dt.timedelta(days=1), change.span))
        self.repealed[change.target] = change.span
        self.records.append(ChangeRecord("repeal", change.target, (old.id,), (old.id,), False,
                                         change.span))

    def _split(self, target: str, span: Span, new: s.Provision, verb: str,
               improving: bool) -> None:
        """Put `new` in force from its start; end the old version the day before (or, if the
        new version improves position and so reaches back, put it in the old one's place,
        under the old one's id)."""
        loc = self._current(target, span, "changes")
        if loc is None:
            return
        old = self._get(loc)
        old_period = _period(old)
        new_period = _period(new)
        assert new_period is not None
        if old_period is not None and new_period.start <= old_period.start:
            self.diagnostics.error(
                "amendment_before_provision",
                f"`{self.a.id}` puts a new `{target}` in force from {new_period.start}, not after "
                f"`{old.id}` entered into force ({old_period.start})", span,
                "an amendment changes the law from its date on; to correct a provision from "
                "the start, edit the rule set")
            return
        self.changed[target] = span
        if _effect(new) == "improves":
            if base_id(new.id) == base_id(old.id):
                new = replace(new, id=old.id)    # the old text is superseded: the id stays
            self._set(loc, new)
            self.records.append(ChangeRecord(verb, target, (new.id,), (old.id,), improving,
                                             span))
            return
        old_start = old_period.start if old_period else new_period.start
        self._set(loc, _with_period(old, old_start, new_period.start - dt.timedelta(days=1),
                                    span))
        self._insert_after(loc, new)
        self.records.append(ChangeRecord(verb, target, (old.id, new.id), (old.id,), improving,
                                         span))

    def _replace(self, change: s.ReplaceChange) -> None:
        new = self._header(change.provision, inherit_sources=True)
        if new.id == change.target:
            new = replace(new, id=f"{change.target}@{self.a.id}")
        elif self._locate(new.id) is not None:
            self.diagnostics.error("amendment_duplicate_id",
                                   f"`{self.a.id}` replaces `{change.target}` with `{new.id}`, "
                                   "which already exists", new.id_span)
            return
        self._split(change.target, change.span, new, "replace", self._declared_improving(new))

    def _amend(self, change: s.AmendChange) -> None:
        current = self._current(change.target, change.span, "amends")
        if current is None:
            return
        old = self._get(current)
        old_period = _period(old)
        if change.conditions is None and change.outcomes is None:
            # only the period changes: the provision itself is re-dated, no split
            assert change.in_force is not None
            self._set(current, _with_period(old, change.in_force.start, change.in_force.end,
                                            change.span))
            self.changed[change.target] = change.span
            self.records.append(ChangeRecord("period", change.target, (old.id,), (old.id,),
                                             self.improving, change.span))
            return
        new = self._new_version(old, change.span, change.target)
        clauses = [c for c in new.clauses if c.kind not in ("in_force", "if", "unless")]
        conditions = change.conditions if change.conditions is not None else tuple(
            c for c in old.clauses if c.kind in ("if", "unless"))
        clauses.extend(conditions)
        if change.in_force is not None:
            start, end = change.in_force.start, change.in_force.end
        else:
            start, end = self._date(), old_period.end if old_period else None
        clauses.append(s.Clause("in_force", s.InForce(start, end, change.span), change.span))
        new = replace(new, clauses=_canonical(clauses), outcomes=change.outcomes
                      if change.outcomes is not None else old.outcomes)
        self._split(change.target, change.span, new, "amend", self.improving)

    def _new_version(self, old: s.Provision, span: Span, target: str,
                     retitle: bool = True) -> s.Provision:
        """The next version of `old` made by this amendment: the amendment's sources, quote and
        the weaker confidence; in force from the amendment's date to the old text's end.
        Overrides of the old version carry over."""
        old_period = _period(old)
        # the old text's quote no longer describes the new one: the amendment's quote, if any
        clauses = [c for c in old.clauses if c.kind not in ("in_force", "confidence", "quote")]
        clauses.extend(c for c in self.a.clauses if c.kind == "quote")
        clauses.extend(c for c in self.a.clauses if c.kind == "source")
        clauses.append(self._confidence(old))
        if self.improving:
            clauses = [c for c in clauses if c.kind != "effect"]
            clauses.extend(c for c in self.a.clauses if c.kind == "effect")
        end = old_period.end if old_period else None
        clauses.append(s.Clause("in_force", s.InForce(self._date(), end, span), span))
        title = f"{base_title(old.title)} (as amended by {self.a.id})" if retitle else old.title
        return s.Provision(f"{base_id(target)}@{self.a.id}", title, _canonical(clauses),
                           old.outcomes, old.span, old.id_span)

    def _confidence(self, old: s.Provision) -> s.Clause:
        """The weaker of the provision's confidence and the amendment's."""
        mine = _first(old.clauses, "confidence")
        theirs = _first(self.a.clauses, "confidence")
        if mine is None:
            assert theirs is not None
            return theirs
        if theirs is None:
            return mine
        return mine if _RANK.get(str(mine.value), 2) >= _RANK.get(str(theirs.value), 2) \
            else theirs

    # ---- definitions, facts and enums -----------------------------------------------------------

    def _defines(self) -> dict[str, s.Define]:
        """The current version of every definition, by the name it was first written with."""
        found: dict[str, s.Define] = {}
        for items in self._lists():
            for item in items:
                if isinstance(item, s.Define):
                    found[base_id(item.name)] = item     # later modules hold later versions
        return found

    def _amend_definitions(self, changes: list[s.AmendDefine]) -> None:
        """A definition's new meaning holds from the amendment's date: the new text is a new
        version `NAME@AMENDMENT`, and so is every definition built on it; every provision that
        reads one of them is split in time, like an amended provision."""
        current = self._defines()
        renames: dict[str, str] = {}
        for change in changes:
            name = change.define.name
            if name not in current:
                self.diagnostics.error(
                    "amendment_unknown_target",
                    f"`{self.a.id}` amends the definition `{name}`, which does not exist",
                    change.define.span, did_you_mean(name, current) or
                    "a new definition is declared with `define` outside the amendment")
                continue
            if name in renames:
                self.diagnostics.error("amendment_changed_twice",
                                       f"`{self.a.id}` changes the definition `{name}` twice",
                                       change.define.span)
                continue
            old = current[name]
            declared = change.define.declared_type or old.declared_type
            version = f"{name}@{self.a.id}"
            self.added.append(s.Define(version, declared, change.define.expr,
                                       change.define.span))
            renames[old.name] = version
            self.records.append(ChangeRecord("define", name, (version,), (old.name,),
                                             self.improving, change.define.span))
        if not renames:
            return
        # definitions built on a changed one change with it
        grew = True
        while grew:
            grew = False
            for name, define in current.items():
                if define.name in renames or not _reads(define.expr, renames):
                    continue
                version = f"{name}@{self.a.id}"
                self.added.append(replace(define, name=version,
                                          expr=_rename(define.expr, renames)))
                renames[define.name] = version
                self.records.append(ChangeRecord("define", name, (version,), (define.name,),
                                                 self.improving, define.span))
                grew = True
        self._split_readers(renames)

    def _split_readers(self, renames: dict[str, str]) -> None:
        date = self._date()
        for pid in list(dict.fromkeys(self._all_ids())):
            loc = self._locate(pid)
            if loc is None:
                continue
            p = self._get(loc)
            if not _provision_reads(p, renames):
                continue
            period = _period(p)
            start = period.start if period else date
            if period is not None and period.end is not None and period.end < date:
                continue    # left force before the new meaning: keeps the old one
            renamed = _rename_provision(p, renames)
            if start >= date:    # this amendment's own text, or a later one: the new meaning
                self._set(loc, renamed)
                continue
            new = self._new_version(p, p.id_span, p.id, retitle=False)
            new = replace(new, clauses=_canonical(
                [c for c in new.clauses if c.kind not in ("if", "unless")]
                + [c for c in renamed.clauses if c.kind in ("if", "unless")]),
                outcomes=renamed.outcomes)
            self._split(base_id(pid), p.id_span, new, "split", self.improving)

    def _amend_fact(self, decl: s.FactDecl) -> None:
        for items in self._lists():
            for i, item in enumerate(items):
                if not isinstance(item, s.FactsBlock):
                    continue
                for j, old in enumerate(item.facts):
                    if old.path == decl.path:
                        if self._widens(old, decl):
                            facts = (*item.facts[:j], decl, *item.facts[j + 1:])
                            items[i] = replace(item, facts=facts)
                            self.records.append(ChangeRecord("facts", decl.path, (decl.path,),
                                                             (decl.path,), False, decl.span))
                        return
        known = [f.path for items in self._lists() for item in items
                 if isinstance(item, s.FactsBlock) for f in item.facts]
        self.diagnostics.error("amendment_unknown_target",
                               f"`{self.a.id}` amends the fact `{decl.path}`, which does not "
                               "exist", decl.span, did_you_mean(decl.path, known) or
                               "a new fact is declared in a `facts` block outside the amendment")

    def _widens(self, old: s.FactDecl, new: s.FactDecl) -> bool:
        """A fact may gain values (a wider range, more enum values) and a new description; what
        cases already say about it must keep its meaning."""
        problem = _narrowing(old.type, new.type)
        if problem is None and old.derivation != new.derivation:
            problem = ("its formula changes; the formula of a derived fact holds on every date: "
                       "declare a new fact and amend the provisions that read it")
        if problem is None:
            return True
        self.diagnostics.error("amendment_fact_narrowed",
                               f"`{self.a.id}` changes the fact `{new.path}`: {problem}",
                               new.span, "cases decided before the amendment are written in the "
                               "old vocabulary; a fact may only grow")
        return False

    def _amend_enum(self, decl: s.EnumDecl) -> None:
        for items in self._lists():
            for i, item in enumerate(items):
                if isinstance(item, s.EnumDecl) and item.name == decl.name:
                    lost = [v for v in item.values if v not in decl.values]
                    if lost:
                        self.diagnostics.error(
                            "amendment_fact_narrowed", f"`{self.a.id}` drops the value "
                            f"`{lost[0]}` from the enum `{decl.name}`", decl.span,
                            "an enum may only gain values")
                        return
                    items[i] = decl
                    self.records.append(ChangeRecord("enum", decl.name, (decl.name,),
                                                     (decl.name,), False, decl.span))
                    return
        enums = [i.name for items in self._lists() for i in items if isinstance(i, s.EnumDecl)]
        self.diagnostics.error("amendment_unknown_target",
                               f"`{self.a.id}` amends the enum `{decl.name}`, which does not "
                               "exist", decl.span, did_you_mean(decl.name, enums))

    def _expand_overrides(self) -> None:
        """`P overrides Q` reaches every version of Q: its old text and its amended ones."""
        ids = self._all_ids()
        versions: dict[str, list[str]] = {}
        for pid in ids:
            versions.setdefault(base_id(pid), []).append(pid)

        def expand(p: s.Provision) -> s.Provision:
            base = base_id(p.id)
            changed = False
            clauses = []
            for clause in p.clauses:
                if clause.kind != "overrides":
                    clauses.append(clause)
                    continue
                targets = []
                for target, span in clause.value:  # type: ignore[attr-defined]
                    family = versions.get(base_id(target), [target])
                    for version in family if "@" not in target else [target]:
                        if base_id(version) != base and (version, span) not in targets:
                            targets.append((version, span))
                changed = changed or len(targets) != len(clause.value)  # type: ignore[arg-type]
                clauses.append(replace(clause, value=tuple(targets)))
            return replace(p, clauses=tuple(clauses)) if changed else p

        for items in self._lists():
            for i, item in enumerate(items):
                if isinstance(item, s.Provision):
                    items[i] = expand(item)


def base_title(title: str) -> str:
    """A provision's title without the `(as amended by ...)` of its versions."""
    return re.sub(r" \(as amended by [^)]*\)$", "", title)


def _narrowing(old: s.TypeSpec, new: s.TypeSpec) -> str | None:
    if type(old) is not type(new):
        return "its type changes"
    if isinstance(old, s.IntType) and isinstance(new, s.IntType):
        if _shrinks(old.low, old.high, new.low, new.high):
            return "its range shrinks"
    if isinstance(old, s.DateType) and isinstance(new, s.DateType):
        if _shrinks(old.low, old.high, new.low, new.high):
            return "its range shrinks"
    if isinstance(old, s.EnumType):
        assert isinstance(new, s.EnumType)
        if len(old.values) == 1 or len(new.values) == 1:
            if old.values != new.values:
                return "its enum changes"
        lost = [v for v in old.values if v not in new.values]
        if lost:
            return f"it loses the value `{lost[0]}`"
    return None


def _shrinks(old_low: Any, old_high: Any, new_low: Any, new_high: Any) -> bool:
    """A range [new_low, new_high] (None: unbounded) that leaves out part of the old one."""
    return bool((new_low is not None and (old_low is None or new_low > old_low))
                or (new_high is not None and (old_high is None or new_high < old_high)))


def _walk(expr: s.Expr) -> list[s.Expr]:
    found: list[s.Expr] = [expr]
    if isinstance(expr, s.Call):
        for a in expr.args:
            found += _walk(a)
    elif isinstance(expr, s.Unary):
        found += _walk(expr.operand)
    elif isinstance(expr, s.Binary):
        found += _walk(expr.left) + _walk(expr.right)
    elif isinstance(expr, s.Member):
        found += _walk(expr.operand)
        for v in expr.values:
            found += _walk(v)
    elif isinstance(expr, s.Known):
        found += _walk(expr.operand)
    return found


def _reads(expr: s.Expr, names: dict[str, str]) -> bool:
    return any(isinstance(e, s.Ref) and e.name in names for e in _walk(expr))


def _rename(expr: s.Expr, names: dict[str, str]) -> s.Expr:
    if isinstance(expr, s.Ref):
        return replace(expr, name=names[expr.name]) if expr.name in names else expr
    if isinstance(expr, s.Call):
        return replace(expr, args=tuple(_rename(a, names) for a in expr.args))
    if isinstance(expr, (s.Unary, s.Known)):
        return replace(expr, operand=_rename(expr.operand, names))
    if isinstance(expr, s.Binary):
        return replace(expr, left=_rename(expr.left, names), right=_rename(expr.right, names))
    if isinstance(expr, s.Member):
        return replace(expr, operand=_rename(expr.operand, names),
                       values=tuple(_rename(v, names) for v in expr.values))
    return expr


def _outcome_exprs(o: s.Outcome) -> list[s.Expr]:
    return [a.value for a in o.args] if isinstance(o, s.Deontic) else [o.value]


def _provision_reads(p: s.Provision, names: dict[str, str]) -> bool:
    exprs = [c.value for c in p.clauses if c.kind in ("if", "unless")]
    exprs += [e for o in p.outcomes for e in _outcome_exprs(o)]
    return any(_reads(e, names) for e in exprs if not isinstance(e, (str, tuple)))  # type: ignore[arg-type]


def _rename_provision(p: s.Provision, names: dict[str, str]) -> s.Provision:
    clauses = tuple(replace(c, value=_rename(c.value, names))  # type: ignore[arg-type]
                    if c.kind in ("if", "unless") else c for c in p.clauses)
    outcomes: list[s.Outcome] = []
    for o in p.outcomes:
        if isinstance(o, s.Deontic):
            outcomes.append(replace(o, args=tuple(replace(a, value=_rename(a.value, names))
                                                  for a in o.args)))
        else:
            outcomes.append(replace(o, value=_rename(o.value, names)))
    return replace(p, clauses=clauses, outcomes=tuple(outcomes))


def apply_amendment(ruleset: RuleSet, amendment: AmendmentFile) -> RuleSet:
    """A new rule set: `ruleset` as changed by `amendment` (which is left untouched).

    Raises `RuleSetError` with located diagnostics if the amendment refers to a provision that
    does not exist or was repealed, repeals one twice, predates what it amends, was already
    applied, or if the amended rule set does not check.
    """
    if not ruleset.modules:
        raise RuleSetError([Diagnostic("no_syntax", "this rule set was not built from rule text; "
                                       "amendments need its syntax modules",
                                       Span(amendment.file, 0, 0, 0, 0))])
    earlier = next((r for r in ruleset.history if r.id == amendment.id), None)
    if earlier is not None:
        raise RuleSetError([Diagnostic(
            "amendment_applied_twice", f"amendment `{amendment.id}` is already applied "
            f"(from {earlier.file})", amendment.amendment.span, "error",
            ("give each amendment once",))], {amendment.file: amendment.text})
    applier = _Applier(ruleset, amendment)
    modules, sources = applier.run()
    if applier.diagnostics.errors:
        raise RuleSetError(applier.diagnostics.items, sources)
    amended, diagnostics = check_collect(modules, sources)
    if amended is None:
        raise RuleSetError(diagnostics.items, sources)
    return dataclasses.replace(amended, history=(*ruleset.history, applier.record()))


def amend(ruleset: RuleSet, path: str | Path) -> RuleSet:
    """Load an amendment file and apply it to `ruleset`."""
    return apply_amendment(ruleset, load_amendment(path))


def load_amendments(paths: list[Path] | list[str] | None) -> list[AmendmentFile]:
    """Parse amendment files and put them in the order of their dates (the order they were
    given among amendments of one date); the same amendment twice is an error naming it."""
    parsed = [load_amendment(p) for p in paths or []]
    seen: dict[str, AmendmentFile] = {}
    for amendment in parsed:
        first = seen.get(amendment.id)
        if first is not None:
            same = Path(first.file).resolve() == Path(amendment.file).resolve()
            where = "twice" if same else f"twice ({first.file} and {amendment.file})"
            raise RuleSetError([Diagnostic(
                "amendment_given_twice", f"amendment `{amendment.id}` is given {where}",
                amendment.amendment.span, "error", ("give each amendment once",))],
                {amendment.file: amendment.text})
        seen[amendment.id] = amendment
    return sorted(parsed, key=lambda a: a.date or dt.date.min)


def amend_all(ruleset: RuleSet, paths: list[Path] | list[str] | None) -> RuleSet:
    """Apply amendment files in the order of their dates (none: the rule set itself)."""
    for amendment in load_amendments(paths):
        ruleset = apply_amendment(ruleset, amendment)
    return ruleset


def versions_of(ruleset: RuleSet, pid: str) -> list[str]:
    """The ids of every version of a provision (`pid` and `pid@...`), by date of entry."""
    family = [p for p in ruleset.provisions if base_id(p.id) == base_id(pid)]
    return [p.id for p in sorted(family, key=lambda p: p.start)]


def version_on(ruleset: RuleSet, pid: str, date: dt.date | None) -> str | None:
    """The version of a provision that governs an act of `date` (the latest one if no date):
    `--why-not cc_68_1` keeps working after an amendment split it in time."""
    ids = versions_of(ruleset, pid)
    if not ids:
        return None
    if date is not None:
        for version in reversed(ids):
            if ruleset.by_id[version].window.contains(date):
                return version
    return pid if pid in ids and date is None and len(ids) == 1 else ids[-1]
