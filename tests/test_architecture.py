"""The package's shape: no import cycles, no private name crossing modules, layers respected.

Every `import` counts, including those inside functions and under `TYPE_CHECKING`: a lazy import
is still a dependency. A package's `__init__` re-exporting its children is not a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

from rules.semantics.plan import strongly_connected

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rules"

# Lower layers never import upper ones (a module may import its own layer and any lower one).
LAYERS = [
    {"rules.version", "rules.results", "rules.language"},
    {"rules.semantics", "rules.i18n"},
    {"rules.interpreter", "rules.cases"},
    {"rules.batch", "rules.solver"},
    {"rules.lawyer", "rules.drafter", "rules.web", "rules.lsp"},
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str]]:
    """(module, imported name) pairs of `name`'s imports of the package's own modules."""
    out = []
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *((node.module or "").split(".") if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                dest = full if full in modules else target
                if dest in modules and dest != name:
                    out.append((dest, "" if full in modules else alias.name))
        elif isinstance(node, ast.Import):
            out.extend((a.name, "") for a in node.names if a.name in modules and a.name != name)
    return out


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private = []
    for name, path in modules.items():
        for dest, imported in _imports(name, path, modules):
            edges[name].add(dest)
            if imported.startswith("_") and not imported.startswith("__"):
                private.append(f"{name} imports {dest}.{imported}")
    for name, path in modules.items():
        if path.name == "__init__.py":   # a package's face re-exporting its children
            edges[name] = set()
    return edges, private


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    return [sorted(c) for c in strongly_connected(edges) if len(c) > 1]


def test_no_import_cycles() -> None:
    edges, _ = _graph()
    assert _cycles(edges) == []


def test_no_private_name_crosses_modules() -> None:
    _, private = _graph()
    assert private == []


def _layer(module: str) -> int | None:
    for level, members in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in members):
            return level
    return None


def test_lower_layers_never_import_upper_ones() -> None:
    edges, _ = _graph()
    wrong = []
    for module, targets in edges.items():
        mine = _layer(module)
        for target in targets:
            theirs = _layer(target)
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_the_cycle_detector_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
