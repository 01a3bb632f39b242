"""The small building blocks document themselves with examples (as sqlglot's optimizer rules do);
these run them, so an example in a docstring is never out of date."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import rules

PACKAGES = ("rules.language", "rules.semantics", "rules.interpreter", "rules.cases", "rules.i18n")


def _modules() -> list[str]:
    found = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        found.append(package)
        found.extend(f"{package}.{info.name}" for info in pkgutil.iter_modules(module.__path__))
    return found


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_there_are_examples() -> None:
    total = sum(doctest.testmod(importlib.import_module(n)).attempted for n in _modules())
    assert total >= 15, total
    assert rules.__doc__
