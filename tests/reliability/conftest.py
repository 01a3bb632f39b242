"""The reliability suite: bad inputs, interrupted and failing writes, limits, back-end agreement.

The bundled bill is loaded once per test process here (every CLI replay would otherwise parse
and check it again); rule sets given by path are loaded as usual.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import rules  # noqa: E402

_load = rules.load
_bill = functools.cache(lambda: _load(None))


@pytest.fixture(autouse=True)
def _bill_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    def load(path: Any = None) -> rules.RuleSet:
        return _bill() if path is None else _load(path)

    monkeypatch.setattr(rules, "load", load)
