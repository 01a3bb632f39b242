"""Reading rule sets from disk: a folder of `.law` files, or the bill bundled with the package."""

from __future__ import annotations

import os
import re
from pathlib import Path

from rules.language import syntax
from rules.language.checker import check_collect
from rules.language.parser import parse_collect
from rules.language.ruleset import RuleSet
from rules.language.source import Diagnostic, RuleSetError, Span
from rules.text import escape_text


def bundled_path() -> Path:
    """The folder of the bundled bill: in the source tree, or inside the installed wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_data" / "provisions", here.parent / "provisions"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the bundled provisions/ folder is missing")


def read_sources(path: str | Path) -> dict[str, str]:
    """The `.law` texts of a folder (in name order) or of one file, keyed by display path.

    Only regular files are read (see `read_law_file`); a symbolic link must lead to a `.law`
    file inside the same folder, so a diagnostic never prints lines of a file outside it.
    """
    root = Path(path)
    if not root.is_dir() and os.path.lexists(root):
        return {str(root): read_law_file(root)}
    if not root.is_dir():
        raise RuleSetError([Diagnostic("no_rules", f"{root} is not a folder or a .law file",
                                       _nowhere(root))])
    files = sorted(root.glob("*.law"))
    if not files:
        raise RuleSetError([Diagnostic("no_rules", f"no .law files in {root}", _nowhere(root))])
    texts: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for file in files:
        try:
            texts[str(file)] = read_law_file(file, root)
        except RuleSetError as error:
            problems.extend(error.diagnostics)
    if problems:
        raise RuleSetError(problems)
    return texts


def read_law_file(file: Path, folder: Path | None = None, what: str = ".law file") -> str:
    """The text of one rule file: a regular file (a link to a `.law` file inside `folder`, or
    to a `.law` file when read alone), UTF-8, within `limits.MAX_TEXT_BYTES`."""
    from rules.files import FileError, read_text

    try:
        if file.is_symlink():
            target = Path(os.path.realpath(file))
            inside = folder is None or target.is_relative_to(os.path.realpath(folder))
            if os.path.lexists(target) and target.exists() and \
                    (target.suffix != ".law" or not inside):
                where = "outside the rule folder" if not inside else "not a .law file"
                raise FileError(f"{file}: a symbolic link to {target}, {where}; "
                                "copy the rules into the folder instead")
        return read_text(file, what)
    except FileError as error:
        message = str(error)
        located = re.match(re.escape(str(file)) + r":(\d+):(\d+): (.*)", message, re.DOTALL)
        if located:
            line, column = int(located.group(1)), int(located.group(2))
            span, message = Span(str(file), line, column, line, column + 1), located.group(3)
        else:
            span, message = _nowhere(file), message.removeprefix(f"{file}: ")
        raise RuleSetError([Diagnostic("unreadable_file", escape_text(message), span)]) \
            from None


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
