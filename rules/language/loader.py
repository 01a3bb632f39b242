"""Reading rule sets from disk: a folder of `.law` files, or the bill bundled with the package."""

from __future__ import annotations

from pathlib import Path

from rules.language import syntax
from rules.language.checker import check_collect
from rules.language.parser import parse_collect
from rules.language.ruleset import RuleSet
from rules.language.source import Diagnostic, RuleSetError, Span


def bundled_path() -> Path:
    """The folder of the bundled bill: in the source tree, or inside the installed wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_data" / "provisions", here.parent / "provisions"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the bundled provisions/ folder is missing")


def read_sources(path: str | Path) -> dict[str, str]:
    """The `.law` texts of a folder (in name order) or of one file, keyed by display path."""
    root = Path(path)
    if root.is_file():
        return {str(root): root.read_text(encoding="utf-8")}
    if not root.is_dir():
        raise RuleSetError([Diagnostic("no_rules", f"{root} is not a folder or a .law file",
                                       _nowhere(root))])
    files = sorted(root.glob("*.law"))
    if not files:
        raise RuleSetError([Diagnostic("no_rules", f"no .law files in {root}", _nowhere(root))])
    return {str(f): f.read_text(encoding="utf-8") for f in files}


def _nowhere(path: Path) -> Span:
    return Span(str(path), 0, 0, 0, 0)


def parse(text: str, file: str = "<string>") -> syntax.Module:
    """Parse one rule text into a syntax tree (raises `RuleSetError` on syntax errors)."""
    from rules.language.parser import parse as parse_text
    return parse_text(text, file)


def diagnose(sources: dict[str, str]) -> tuple[RuleSet | None, list[Diagnostic]]:
    """Parse and check rule texts; the rule set (None on errors) and every diagnostic."""
    modules = []
    diagnostics: list[Diagnostic] = []
    for name, text in sources.items():
        module, errors = parse_collect(text, name)
        modules.append(module)
        diagnostics.extend(errors)
    ruleset, checked = check_collect(modules, sources)
    diagnostics.extend(checked.items)
    if any(d.severity == "error" for d in diagnostics):
        ruleset = None
    return ruleset, diagnostics


def check(sources: dict[str, str]) -> RuleSet:
    """Parse and check rule texts (file name -> text) as one rule set; every error is reported."""
    ruleset, diagnostics = diagnose(sources)
    if ruleset is None:
        raise RuleSetError(diagnostics, sources)
    return ruleset


def load(path: str | Path | None = None) -> RuleSet:
    """Load a rule set from a folder of `.law` files; with no path, the bundled bill."""
    return check(read_sources(path if path is not None else bundled_path()))
