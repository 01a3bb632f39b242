"""The drafter's HTML documents (redlines, impact report): jinja2 templates in
`rules/templates/`, autoescaped, filled from plain data models built elsewhere."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


def render(name: str, **data: Any) -> str:
    """Fill the template `name` with `data`; text from rules and cases is escaped."""
    return str(_environment().get_template(name).render(**data))
