"""Build hook: compile the gettext catalogs (`rules/i18n/locale/*/LC_MESSAGES/rules.po`) to `.mo`
files inside the wheel, with Babel, so an installed engine reads compiled catalogs. A source
checkout needs no build step: `rules.i18n` compiles a `.po` in memory when no `.mo` is there.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # imported by the tests for `compile_catalogs`, outside a build
    BuildHookInterface = object


def compile_catalogs(root: Path, out: Path) -> dict[str, str]:
    """Compile every `.po` under `root/rules/i18n/locale` into `out`; {built file: wheel path}."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    built: dict[str, str] = {}
    for po in sorted((root / "rules" / "i18n" / "locale").glob("*/LC_MESSAGES/*.po")):
        relative = po.relative_to(root).with_suffix(".mo")
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as handle:
            catalog = read_po(handle)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        target.write_bytes(buffer.getvalue())
        built[str(target)] = relative.as_posix()
    return built


class CatalogHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the compiled catalogs to the wheel (not to editable installs: they read the .po)."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        self._folder = tempfile.TemporaryDirectory()
        built = compile_catalogs(Path(self.root), Path(self._folder.name))
        build_data.setdefault("force_include", {}).update(built)

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        folder = getattr(self, "_folder", None)
        if folder is not None:
            folder.cleanup()
