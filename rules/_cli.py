"""Entry point of the `rules` console script.

The command itself is the top-level `cli.py`. A wheel carries it as `rules._cli_app`; a source
checkout or an editable install imports it as `cli` from the project folder.
"""

from __future__ import annotations

import importlib


def main() -> None:
    """Run the `rules` command."""
    for name in ("rules._cli_app", "cli"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        module.main()
        return
    raise SystemExit("the rules command is missing: cli.py was not installed")
