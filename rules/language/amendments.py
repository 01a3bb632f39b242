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

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path

from rules.language import syntax as s
from rules.language.checker import check_collect
from rules.language.parser import parse_collect
from rules.language.ruleset import RuleSet
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
    for kind, words in (("source", "a `source`"), ("confidence", "a `confidence`"),
                        ("in_force", "an `in force from` date")):
        if kind not in by_kind:
            diagnostics.error(f"missing_{kind}", f"amendment `{amendment.id}` has no {words}",
                              amendment.span, "an amendment cites its source, its confidence "
                              "and the date it enters into force")
    for kind in ("confidence", "quote", "in_force"):
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
    clauses = [c for c in p.clauses if c.kind != "in_force"]
    old = _first(p.clauses, "in_force")
    period_span = old.span if old is not None else span
    clauses.append(s.Clause("in_force", s.InForce(start, end, period_span), period_span))
    return replace(p, clauses=tuple(clauses))


_RANK = {"confirmed": 0, "secondary": 1, "uncertain": 2}


class _Applier:
    """Applies one amendment to the syntax modules of a rule set."""

    def __init__(self, ruleset: RuleSet, amendment: AmendmentFile):
        self.ruleset = ruleset
        self.file = amendment
        self.a = amendment.amendment
        self.diagnostics = Diagnostics()
        self.items: list[list[s.Item]] = [list(m.items) for m in ruleset.modules]
        self.added: list[s.Item] = list(amendment.declarations)
        self.versions: dict[str, list[str]] = {}    # original id -> ids of its versions
        self.repealed: dict[str, Span] = {}
        self.changed: dict[str, Span] = {}

    # ---- lookup -------------------------------------------------------------------------------

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
        return [i.id for items in [*self.items, self.added] for i in items
                if isinstance(i, s.Provision)]

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
                                   did_you_mean(pid, [i.split("@")[0] for i in self._all_ids()]))
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
        return loc

    # ---- changes ------------------------------------------------------------------------------

    def run(self) -> tuple[list[s.Module], dict[str, str]]:
        for change in self.a.changes:
            if isinstance(change, s.AddChange):
                self._add(change)
            elif isinstance(change, s.RepealChange):
                self._repeal(change)
            elif isinstance(change, s.ReplaceChange):
                self._replace(change)
            else:
                self._amend(change)
        self._expand_overrides()
        modules = [s.Module(m.file, tuple(items), m.span)
                   for m, items in zip(self.ruleset.modules, self.items, strict=True)]
        modules.append(s.Module(self.file.file, tuple(self.added)))
        sources = dict(self.ruleset.sources)
        sources[self.file.file] = self.file.text
        return modules, sources

    def _date(self) -> dt.date:
        return self.file.date or dt.date.min

    def _header(self, p: s.Provision, inherit_sources: bool) -> s.Provision:
        """A new provision gets the amendment's date, and its source and confidence if it
        states none."""
        clauses = list(p.clauses)
        if _first(p.clauses, "in_force") is None:
            clauses.append(s.Clause("in_force", s.InForce(self._date(), None, p.id_span),
                                    p.id_span))
        if inherit_sources and _first(p.clauses, "source") is None:
            clauses.extend(c for c in self.a.clauses if c.kind == "source")
        if _first(p.clauses, "confidence") is None:
            clauses.extend(c for c in self.a.clauses if c.kind == "confidence")
        return replace(p, clauses=tuple(clauses))

    def _add(self, change: s.AddChange) -> None:
        p = change.provision
        if self._locate(p.id) is not None or any(i.startswith(p.id + "@")
                                                 for i in self._all_ids()):
            self.diagnostics.error("amendment_duplicate_id",
                                   f"`{self.a.id}` adds `{p.id}`, which already exists",
                                   p.id_span, "use `replace` or `amend` to change it")
            return
        self.added.append(self._header(p, inherit_sources=True))

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

    def _split(self, target: str, span: Span, new: s.Provision) -> None:
        """Put `new` in force from its start; end the old version the day before (or, if the
        new version improves position and so reaches back, remove the old one)."""
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
                f"the provision itself entered into force ({old_period.start})", span,
                "an amendment changes the law from its date on; to correct a provision from "
                "the start, edit the rule set")
            return
        self.changed[target] = span
        if _effect(new) == "improves":
            self._set(loc, new)
            return
        old_start = old_period.start if old_period else new_period.start
        self._set(loc, _with_period(old, old_start, new_period.start - dt.timedelta(days=1),
                                    span))
        self._insert_after(loc, new)

    def _replace(self, change: s.ReplaceChange) -> None:
        new = self._header(change.provision, inherit_sources=True)
        if new.id == change.target:
            new = replace(new, id=f"{change.target}@{self.a.id}")
        elif self._locate(new.id) is not None:
            self.diagnostics.error("amendment_duplicate_id",
                                   f"`{self.a.id}` replaces `{change.target}` with `{new.id}`, "
                                   "which already exists", new.id_span)
            return
        self._split(change.target, change.span, new)

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
            return
        # the old text's quote no longer describes the new one: the amendment's quote, if any
        clauses = [c for c in old.clauses
                   if c.kind not in ("in_force", "if", "unless", "confidence", "quote")]
        clauses.extend(c for c in self.a.clauses if c.kind == "quote")
        conditions = change.conditions if change.conditions is not None else tuple(
            c for c in old.clauses if c.kind in ("if", "unless"))
        clauses.extend(conditions)
        clauses.extend(c for c in self.a.clauses if c.kind == "source")
        clauses.append(self._confidence(old))
        if change.in_force is not None:
            start, end = change.in_force.start, change.in_force.end
        else:
            start, end = self._date(), old_period.end if old_period else None
        clauses.append(s.Clause("in_force", s.InForce(start, end, change.span), change.span))
        # overrides of the old version carry over: the clause is kept above
        new = s.Provision(f"{change.target}@{self.a.id}",
                          f"{old.title} (as amended by {self.a.id})", tuple(clauses),
                          change.outcomes if change.outcomes is not None else old.outcomes,
                          old.span, old.id_span)
        self._split(change.target, change.span, new)

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

    def _expand_overrides(self) -> None:
        """`P overrides Q` reaches every version of Q: its old text and its amended ones."""
        ids = self._all_ids()
        versions: dict[str, list[str]] = {}
        for pid in ids:
            versions.setdefault(pid.split("@")[0], []).append(pid)

        def expand(p: s.Provision) -> s.Provision:
            base = p.id.split("@")[0]
            changed = False
            clauses = []
            for clause in p.clauses:
                if clause.kind != "overrides":
                    clauses.append(clause)
                    continue
                targets = []
                for target, span in clause.value:  # type: ignore[attr-defined]
                    family = versions.get(target.split("@")[0], [target])
                    for version in family if "@" not in target else [target]:
                        if version.split("@")[0] != base and (version, span) not in targets:
                            targets.append((version, span))
                changed = changed or len(targets) != len(clause.value)  # type: ignore[arg-type]
                clauses.append(replace(clause, value=tuple(targets)))
            return replace(p, clauses=tuple(clauses)) if changed else p

        for items in [*self.items, self.added]:
            for i, item in enumerate(items):
                if isinstance(item, s.Provision):
                    items[i] = expand(item)


def apply_amendment(ruleset: RuleSet, amendment: AmendmentFile) -> RuleSet:
    """A new rule set: `ruleset` as changed by `amendment` (which is left untouched).

    Raises `RuleSetError` with located diagnostics if the amendment refers to a provision that
    does not exist or was repealed, repeals one twice, predates what it amends, or if the amended
    rule set does not check.
    """
    if not ruleset.modules:
        raise RuleSetError([Diagnostic("no_syntax", "this rule set was not built from rule text; "
                                       "amendments need its syntax modules",
                                       Span(amendment.file, 0, 0, 0, 0))])
    applier = _Applier(ruleset, amendment)
    modules, sources = applier.run()
    if applier.diagnostics.errors:
        raise RuleSetError(applier.diagnostics.items, sources)
    amended, diagnostics = check_collect(modules, sources)
    if amended is None:
        raise RuleSetError(diagnostics.items, sources)
    return amended


def amend(ruleset: RuleSet, path: str | Path) -> RuleSet:
    """Load an amendment file and apply it to `ruleset`."""
    return apply_amendment(ruleset, load_amendment(path))


def amend_all(ruleset: RuleSet, paths: list[Path] | list[str] | None) -> RuleSet:
    """Apply amendment files in order (none: the rule set itself)."""
    for path in paths or []:
        ruleset = amend(ruleset, path)
    return ruleset
