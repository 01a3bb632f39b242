"""What an editor asks about `.law` files, answered without an editor (the language server is a
thin pygls layer over this module, and the tests call both).

A file belongs to a rule set: the `.law` files of its folder. An amendment file (one that holds
an `amendment`) is checked against the rule set it amends: the `provisions/` folder next to its
own folder if there is one, else the bundled bill. Open documents (unsaved text) take precedence
over the files on disk.

Positions are 1-based lines and columns, as in the engine's `Span`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rules.language import syntax as s
from rules.language.source import Diagnostic, RulesError, Span

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|'
                    r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:@[A-Za-z_][A-Za-z0-9_]*)?")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
KEYWORDS = ("act", "enum", "facts", "define", "action", "conclusion", "governing", "date",
            "provision", "source", "confidence", "quote", "in", "force", "from", "until",
            "worsens", "improves", "position", "overrides", "if", "unless", "then", "require",
            "forbid", "permit", "conclude", "amendment", "add", "repeal", "replace", "with",
            "amend", "condition", "outcomes", "period", "and", "or", "not", "is", "known",
            "unknown", "true", "false", "boolean", "integer", "text", "list", "of", "article",
            "part", "item", "subitem", "paragraph", "note", "confirmed", "secondary",
            "uncertain", "protections", "presume", "infer", "constraint", "rebutted", "by")


@dataclass(frozen=True)
class Token:
    text: str
    line: int
    column: int

    @property
    def end(self) -> int:
        return self.column + len(self.text)


def names_in(text: str) -> list[Token]:
    """Every name in a rule text (not inside quoted texts or comments), with its place."""
    found = []
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        if word.startswith(('"', "#")):
            continue
        offset = match.start()
        line = _line_of(line_starts, offset)
        found.append(Token(word, line + 1, offset - line_starts[line] + 1))
    return found


def _line_of(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low


def word_at(text: str, line: int, column: int) -> Token | None:
    """The name under (or just before) the cursor."""
    for token in names_in(text):
        if token.line == line and token.column <= column <= token.end:
            return token
    return None


@dataclass
class Symbol:
    kind: str            # fact | definition | provision | action | conclusion | enum | value | act
    name: str
    span: Span
    detail: str          # the type, the rule text, the title ...
    doc: str = ""


class Workspace:
    """The `.law` files an editor works on, with the unsaved text of open documents."""

    def __init__(self, root: str | Path | None = None,
                 open_documents: Callable[[], dict[str, str]] | None = None):
        self.root = Path(root).resolve() if root else None
        self.open_documents = open_documents or (lambda: {})
        self._parsed: dict[str, tuple[str, s.Module]] = {}   # file -> (text, its syntax)

    def parsed(self, name: str, text: str) -> s.Module:
        """A file's syntax tree, parsed again only when its text changed."""
        from rules.language.parser import parse_collect

        cached = self._parsed.get(name)
        if cached is None or cached[0] != text:
            cached = (text, parse_collect(text, name)[0])
            self._parsed[name] = cached
        return cached[1]

    # ---- texts ------------------------------------------------------------------------------

    def text(self, path: str | Path) -> str:
        key = str(Path(path).resolve())
        opened = self.open_documents()
        if key in opened:
            return opened[key]
        file = Path(key)
        return file.read_text(encoding="utf-8") if file.is_file() else ""

    def folder_sources(self, folder: Path) -> dict[str, str]:
        files = {str(f.resolve()) for f in folder.glob("*.law")}
        files |= {p for p in self.open_documents() if Path(p).parent == folder.resolve()
                  and p.endswith(".law")}
        return {f: self.text(f) for f in sorted(files)}

    def all_files(self) -> list[Path]:
        """Every .law file of the workspace (the root, or the folders of open documents)."""
        roots = [self.root] if self.root else sorted({Path(p).parent
                                                      for p in self.open_documents()})
        found: set[Path] = set()
        for root in roots:
            for file in root.rglob("*.law"):
                if not any(part.startswith(".") or part in ("venv", "node_modules")
                           for part in file.relative_to(root).parts[:-1]):
                    found.add(file.resolve())
        found |= {Path(p) for p in self.open_documents() if p.endswith(".law")}
        return sorted(found)

    # ---- which rule set a file belongs to -------------------------------------------------------

    def is_amendment(self, path: str | Path) -> bool:
        return re.search(r"^amendment\s", self.text(path), re.MULTILINE) is not None

    def base_folder(self, path: str | Path) -> Path | None:
        """The rule set an amendment file amends: a `provisions/` folder beside its folder (or
        beside an ancestor), else None (the bundled bill)."""
        folder = Path(path).resolve().parent
        for parent in [folder, *folder.parents]:
            candidate = parent.parent / "provisions" if parent.name != "provisions" else None
            if candidate is not None and candidate.is_dir() and candidate != folder:
                return candidate
        return None

    def rule_sources(self, path: str | Path) -> dict[str, str]:
        """The sources of the rule set a file is read with."""
        if self.is_amendment(path):
            folder = self.base_folder(path)
            if folder is None:
                from rules.language.loader import bundled_path

                folder = bundled_path()
            return self.folder_sources(folder)
        return self.folder_sources(Path(path).resolve().parent)

    # ---- diagnostics ----------------------------------------------------------------------------

    def diagnostics(self, path: str | Path) -> dict[str, list[Diagnostic]]:
        """The checker's diagnostics for the rule set of `path`, by file (every file of the rule
        set has an entry, so an editor can clear what was fixed)."""
        from rules.language.loader import diagnose

        key = str(Path(path).resolve())
        if self.is_amendment(key):
            return {key: self._amendment_diagnostics(key)}
        sources = self.rule_sources(key)
        sources = {name: text for name, text in sources.items() if not self.is_amendment(name)}
        _, found = diagnose(sources)
        by_file: dict[str, list[Diagnostic]] = {name: [] for name in sources}
        for diagnostic in found:
            by_file.setdefault(diagnostic.span.file, []).append(diagnostic)
        return by_file

    def _amendment_diagnostics(self, key: str) -> list[Diagnostic]:
        from rules.language.amendments import apply_amendment, parse_amendment
        from rules.language.loader import check
        from rules.language.source import RuleSetError

        try:
            amendment = parse_amendment(self.text(key), key)
            base = check(self.rule_sources(key))
            apply_amendment(base, amendment)
        except RuleSetError as error:
            mine = [d for d in error.diagnostics if d.span.file == key]
            if mine:
                return mine
            return [Diagnostic(d.code, f"{d.span}: {d.message}", Span(key, 1, 1, 1, 2),
                               d.severity, d.notes) for d in error.diagnostics]
        return []

    # ---- symbols --------------------------------------------------------------------------------

    def symbols(self, path: str | Path) -> dict[str, Symbol]:
        """Every name declared in the rule set of `path` (and in the file itself)."""
        from rules.language.printer import expr_text

        sources = self.rule_sources(path)
        key = str(Path(path).resolve())
        if key not in sources:
            sources[key] = self.text(key)
        found: dict[str, Symbol] = {}
        for name, text in sources.items():
            module = self.parsed(name, text)
            items: list[s.Item] = list(module.items)
            for item in module.items:
                if isinstance(item, s.Amendment):
                    for change in item.changes:
                        if isinstance(change, (s.AddChange, s.ReplaceChange)):
                            items.append(change.provision)
            for item in items:
                if isinstance(item, s.FactsBlock):
                    for fact in item.facts:
                        found[fact.path] = Symbol("fact", fact.path, fact.span,
                                                  _type_text(fact.type), fact.doc)
                elif isinstance(item, s.Define):
                    found[item.name] = Symbol("definition", item.name, item.span,
                                              expr_text(item.expr))
                elif isinstance(item, s.Provision):
                    found[item.id] = Symbol("provision", item.id, item.id_span, item.title,
                                            _provision_doc(item))
                elif isinstance(item, s.ActionDecl):
                    found[item.name] = Symbol("action", item.name, item.span,
                                              "action", item.description)
                elif isinstance(item, s.ConclusionDecl):
                    found[item.name] = Symbol("conclusion", item.name, item.span,
                                              "conclusion", item.description)
                elif isinstance(item, s.EnumDecl):
                    found[item.name] = Symbol("enum", item.name, item.span,
                                              " | ".join(item.values))
                    for value in item.values:
                        found.setdefault(value, Symbol("value", value, item.span,
                                                       f"a value of {item.name}"))
                elif isinstance(item, s.ActDecl):
                    found[item.name] = Symbol("act", item.name, item.span, item.title)
        for symbol in list(found.values()):     # inline enum values of facts
            if symbol.kind == "fact" and " | " in symbol.detail:
                for value in symbol.detail.split(" | "):
                    found.setdefault(value, Symbol("value", value, symbol.span,
                                                   f"a value of {symbol.name}"))
        return found

    def hover(self, path: str | Path, line: int, column: int) -> str | None:
        """Markdown for the name under the cursor: a fact's type and meaning, a provision's
        title, sources and quote, a definition's rule text."""
        token = word_at(self.text(path), line, column)
        if token is None:
            return None
        symbols = self.symbols(path)
        symbol = symbols.get(token.text) or symbols.get(token.text.split("@")[0])
        if symbol is None:
            return None
        if symbol.kind == "fact":
            return f"**fact** `{symbol.name}` : {symbol.detail}\n\n{symbol.doc}".rstrip()
        if symbol.kind == "provision":
            return f"**provision** `{symbol.name}`: {symbol.detail}\n\n{symbol.doc}".rstrip()
        if symbol.kind == "definition":
            return f"**definition** `{symbol.name}` = `{symbol.detail}`"
        if symbol.kind == "value":
            return f"`{symbol.name}`: {symbol.detail}"
        text = f"**{symbol.kind}** `{symbol.name}`: {symbol.detail}"
        return f"{text}\n\n{symbol.doc}".rstrip()

    def definition(self, path: str | Path, line: int, column: int) -> Span | None:
        """Where the name under the cursor is declared (fact, definition, provision, action,
        conclusion, enum, act)."""
        token = word_at(self.text(path), line, column)
        if token is None:
            return None
        symbols = self.symbols(path)
        symbol = symbols.get(token.text) or symbols.get(token.text.split("@")[0])
        return symbol.span if symbol is not None and symbol.span.line > 0 else None

    def completion(self, path: str | Path, line: int, column: int) -> list[Symbol]:
        """What may stand at the cursor: provision ids after `overrides`/`amend`/`repeal`/
        `replace`; the values of an enum fact after `fact =` or `fact in {`; else facts,
        definitions and enum values."""
        text = self.text(path)
        lines = text.split("\n")
        before = lines[line - 1][:column - 1] if line - 1 < len(lines) else ""
        symbols = self.symbols(path)
        provisions = [v for v in symbols.values() if v.kind == "provision"]
        if re.search(r"\b(overrides|amend|repeal|replace)\s+([\w@.]+\s*,\s*)*[\w@.]*$", before):
            return sorted(provisions, key=lambda v: v.name)
        compared = re.search(r"([A-Za-z_][\w.]*)\s*(?:=|!=|in\s*\{[^}]*)\s*[\w]*$", before)
        if compared and compared.group(1) in symbols:
            fact = symbols[compared.group(1)]
            values = fact.detail.split(" | ")
            if fact.kind == "fact" and fact.detail in symbols and \
                    symbols[fact.detail].kind == "enum":
                values = symbols[fact.detail].detail.split(" | ")
            if fact.kind == "fact" and len(values) > 1:
                return [symbols.get(v) or Symbol("value", v, fact.span, "") for v in values]
        wanted = ("fact", "definition", "value")
        return sorted((v for v in symbols.values() if v.kind in wanted),
                      key=lambda v: (wanted.index(v.kind), v.name))

    def rename(self, path: str | Path, line: int, column: int,
               new_name: str) -> dict[str, list[tuple[Token, str]]]:
        """A provision id renamed in every .law file of the workspace (its versions
        `id@amendment` follow) and in the scenario files that name it (`applies: [...]`):
        file -> (token, new text) edits."""
        token = word_at(self.text(path), line, column)
        if token is None:
            raise RulesError("no name at the cursor")
        old = token.text.split("@")[0]
        symbol = self.symbols(path).get(old)
        if symbol is None or symbol.kind != "provision":
            raise RulesError(f"`{old}` is not a provision id; only provision ids are renamed")
        if not _NAME.match(new_name) or new_name in KEYWORDS:
            raise RulesError(f"`{new_name}` is not a valid provision id")
        edits: dict[str, list[tuple[Token, str]]] = {}
        for file in self.all_files():
            for found in names_in(self.text(file)):
                base, _, version = found.text.partition("@")
                if base == old:
                    text = new_name + (f"@{version}" if version else "")
                    edits.setdefault(str(file), []).append((found, text))
        pattern = re.compile(rf"(?<![\w.@]){re.escape(old)}(@\w+)?(?![\w.])")
        for file in self.scenario_files():
            text = file.read_text(encoding="utf-8")
            for number, content in enumerate(text.split("\n"), 1):
                for match in pattern.finditer(content):
                    edits.setdefault(str(file), []).append(
                        (Token(match.group(0), number, match.start() + 1),
                         new_name + (match.group(1) or "")))
        return edits

    def scenario_files(self) -> list[Path]:
        """The scenario files of the workspace (YAML lists of cases with `expect:`)."""
        if self.root is None:
            return []
        found = []
        for file in sorted([*self.root.rglob("*.yaml"), *self.root.rglob("*.yml")]):
            if any(part.startswith(".") or part in ("venv", "node_modules")
                   for part in file.relative_to(self.root).parts[:-1]):
                continue
            if "expect:" in file.read_text(encoding="utf-8", errors="replace"):
                found.append(file)
        return found


def _type_text(spec: s.TypeSpec) -> str:
    from rules.language.format import type_text

    return type_text(spec)


def _provision_doc(p: s.Provision) -> str:
    parts = []
    for clause in p.clauses:
        if clause.kind == "source" and isinstance(clause.value, s.SourceRef):
            ref = clause.value
            where = " ".join(f"{kind} {number}" for kind, number in ref.parts)
            parts.append(f"source: {ref.act} {where}".rstrip() + (f" ({ref.detail})"
                                                                if ref.detail else ""))
        elif clause.kind == "quote":
            parts.append(f"> {clause.value}")
        elif clause.kind == "in_force" and isinstance(clause.value, s.InForce):
            until = f" until {clause.value.end}" if clause.value.end else ""
            parts.append(f"in force from {clause.value.start}{until}")
        elif clause.kind == "confidence":
            parts.append(f"confidence: {clause.value}")
    return "\n\n".join(parts)
