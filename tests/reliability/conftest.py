"""The reliability suite: bad inputs, interrupted and failing writes, limits, back-end agreement.

The bundled bill is loaded once per test process here (every CLI replay would otherwise parse
and check it again); rule sets given by path are loaded as usual.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

import rules

_load = rules.load
_bill = functools.cache(lambda: _load(None))


@pytest.fixture(autouse=True)
def _bill_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    def load(path: Any = None) -> rules.RuleSet:
        return _bill() if path is None else _load(path)

    monkeypatch.setattr(rules, "load", load)
