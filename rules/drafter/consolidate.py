"""Consolidated text: an amended rule set written back as `.law` files, and its table of versions.

Applying amendments changes the rule set's syntax modules (provisions split in time, new versions
`ID@AMENDMENT`, new definitions); `consolidate` prints those modules in the canonical layout
(`rules.language.format`), with the comments of the original files, so that the folder loads back
to the very same checked rule set (tested: equal `RuleSet`, equal decisions). The file names keep
the order of the modules, which is the order of the provisions.

`versions` lists every provision that has more than one text, or that an amendment touched, with
the in-force period of each version and the amendment that made it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from rules.language import syntax as s
from rules.language.amendments import base_id
from rules.language.format import format_module
from rules.language.ruleset import RuleSet
from rules.language.source import RulesError


def consolidated_texts(ruleset: RuleSet) -> dict[str, str]:
    """File name -> text of the consolidated rule set (name order = module order)."""
    modules = [m for m in ruleset.modules if m.items]
    names = [Path(m.file).name if m.file.endswith(".law") else f"{Path(m.file).stem}.law"
             for m in modules]
    if sorted(names) != names or len(set(names)) != len(names):
        names = [f"{i:02d}_{name}" for i, name in enumerate(names)]
    head = _header(ruleset)
    texts: dict[str, str] = {}
    for name, module in zip(names, modules, strict=True):
        body = format_module(module, ruleset.sources.get(module.file, ""))
        texts[name] = head + body
    return texts


def _header(ruleset: RuleSet) -> str:
    if not ruleset.history:
        return ""
    amended = ", ".join(f"{r.id} ({r.date})" for r in ruleset.history)
    return f"# Consolidated text (rules consolidate): as amended by {amended}.\n\n"


def write_consolidated(ruleset: RuleSet, folder: str | Path) -> list[Path]:
    """Write the consolidated text into `folder` (created if missing; it must hold no other
    .law files, which would load with it)."""
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise RulesError(f"{out}: not a folder")
    out.mkdir(parents=True, exist_ok=True)
    texts = consolidated_texts(ruleset)
    strangers = [f.name for f in out.glob("*.law") if f.name not in texts]
    if strangers:
        raise RulesError(f"{out} already holds other .law files ({', '.join(sorted(strangers))}),"
                         " which would load with the consolidated text; use an empty folder")
    from rules.files import atomic_open

    written = []
    for name, text in texts.items():        # each file whole or not at all (rules.files)
        path = out / name
        with atomic_open(path) as handle:
            handle.write(text)
        written.append(path)
    return written


@dataclass(frozen=True)
class Version:
    provision: str          # the id it was first written with
    id: str
    start: dt.date
    end: dt.date | None
    effect: str
    made_by: str            # the amendment that made this text, or "" for the original
    dated_by: str = ""      # the amendment that set its period (ended or re-dated it)

    @property
    def origin(self) -> str:
        """Who wrote this version, and who set its period, in words."""
        text = self.made_by or "original text"
        return f"{text}; period set by {self.dated_by}" if self.dated_by else text

    def to_json(self) -> dict[str, object]:
        return {"provision": self.provision, "id": self.id, "from": self.start.isoformat(),
                "until": self.end.isoformat() if self.end else None, "effect": self.effect,
                "made_by": self.made_by or None, "period_set_by": self.dated_by or None}


def versions(ruleset: RuleSet, only: str | None = None, all_: bool = False) -> list[Version]:
    """The versions of provisions that have several or that an amendment touched (all of them
    with `all_`; one provision's with `only`)."""
    made_by: dict[str, str] = {}
    dated_by: dict[str, str] = {}
    touched: set[str] = set()
    for record in ruleset.history:
        for change in record.changes:
            for pid in change.created:
                if pid in change.ended:
                    dated_by[pid] = record.id
                else:
                    made_by[pid] = record.id
                touched.add(base_id(pid))
            for pid in change.ended:
                touched.add(base_id(pid))
    families: dict[str, list[str]] = {}
    for p in ruleset.provisions:
        families.setdefault(base_id(p.id), []).append(p.id)
    rows = []
    for family, ids in families.items():
        if only is not None and family != base_id(only):
            continue
        if only is None and not all_ and len(ids) == 1 and family not in touched:
            continue
        for pid in sorted(ids, key=lambda i: ruleset.by_id[i].start):
            p = ruleset.by_id[pid]
            rows.append(Version(family, pid, p.start, p.end, p.effect, made_by.get(pid, ""),
                                dated_by.get(pid, "")))
    return rows


def syntax_index(ruleset: RuleSet) -> dict[str, s.Item | s.FactDecl]:
    """Provisions, definitions, facts and enums of a rule set's syntax, by id, name or path."""
    found: dict[str, s.Item | s.FactDecl] = {}
    for module in ruleset.modules:
        for item in module.items:
            if isinstance(item, s.Provision):
                found[item.id] = item
            elif isinstance(item, (s.Define, s.EnumDecl)):
                found[item.name] = item
            elif isinstance(item, s.FactsBlock):
                for fact in item.facts:
                    found[fact.path] = fact
    return found
