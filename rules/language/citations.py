"""Citations in each language: `CC art. 68(4)(2)`, `п. 2 ч. 4 ст. 68 УК РК`, `ҚР ҚК 68-бап, ...`.

A citation is an act and a path of numbered parts (article, part, item, ...). The act's short
form comes from its label (`act.CC = "..." short "УК РК"`); the order and the words for the parts
are each language's convention: English and Kazakh go from the article down, Russian from the
smallest part up (`п. 8 ч. 2 ст. 107 УК РК`). A reference written as a text value
(`"CC 107(2)(8)"`, a qualification) is read back into parts and written the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_REFERENCE = re.compile(r"^(?P<act>[A-Z][A-Za-z0-9]*) (?P<article>\d+(?:-\d+)*)"
                        r"(?P<rest>(?:\(\d+(?:-\d+)*\))*)$")
_PAREN = re.compile(r"\((\d+(?:-\d+)*)\)")
# After the article, parenthesised numbers are the part, then the item, then the subitem.
_NESTED = ("part", "item", "subitem")

_RU = {"article": "ст.", "part": "ч.", "item": "п.", "subitem": "пп.", "paragraph": "абз.",
       "note": "примечание"}
_KK = {"article": "бап", "part": "бөлік", "item": "тармақ", "subitem": "тармақша",
       "paragraph": "абзац", "note": "ескертпе"}


def parse_reference(text: str, acts: Mapping[str, str] | None = None
                    ) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """`CC 107(2)(8)` -> ("CC", (("article", "107"), ("part", "2"), ("item", "8"))), or None.

    >>> parse_reference("CAO 127-2(3)")
    ('CAO', (('article', '127-2'), ('part', '3')))
    """
    match = _REFERENCE.match(text)
    if match is None or (acts is not None and match["act"] not in acts):
        return None
    nested = _PAREN.findall(match["rest"])
    if len(nested) > len(_NESTED):
        return None
    parts = (("article", match["article"]), *zip(_NESTED, nested, strict=False))
    return match["act"], tuple(parts)


def is_citation(text: str, acts: Mapping[str, str]) -> bool:
    """Whether a text value is a bare reference to a declared act (written per language)."""
    return parse_reference(text, acts) is not None


def format_parts(lang: str, act_short: str, parts: tuple[tuple[str, str], ...],
                 compact: bool = False) -> str:
    """A path of parts in a language's convention; `compact` is the English `CC 107(2)(8)`.

    >>> format_parts("ru", "УК РК", (("article", "68"), ("part", "4"), ("item", "2")))
    'п. 2 ч. 4 ст. 68 УК РК'
    >>> format_parts("ru", "Закон № 72-VIII", (("article", "1"),))
    'Закон № 72-VIII, ст. 1'
    >>> format_parts("kk", "ҚР ҚК", (("article", "68"), ("part", "4")))
    'ҚР ҚК 68-бап, 4-бөлік'
    """
    if lang == "ru":
        if any(c.islower() for c in act_short):
            # a name that declines (`Закон № 72-VIII`) comes first, in the nominative
            words = [f"{_RU.get(kind, kind)} {number}" for kind, number in parts]
            return ", ".join(x for x in (act_short, *words) if x)
        words = [f"{_RU.get(kind, kind)} {number}" for kind, number in reversed(parts)]
        return " ".join(x for x in (*words, act_short) if x)
    if lang == "kk":
        words = [f"{number}-{_KK[kind]}" if kind in _KK and kind != "note"
                 else f"{_KK.get(kind, kind)} {number}" for kind, number in parts]
        return ", ".join(x for x in (f"{act_short} {words[0]}" if words else act_short,
                                     *words[1:]) if x)
    if compact:
        article = next((n for k, n in parts if k == "article"), "")
        trail = "".join(f"({n})" for k, n in parts if k in _NESTED)
        return f"{act_short} {article}{trail}".strip()
    article, trail, extra = "", "", []
    for kind, number in parts:
        if kind == "article":
            article = f"art. {number}"
        elif kind in _NESTED:
            trail += f"({number})"
        else:
            extra.append(f"{kind} {number}")
    return " ".join(x for x in (act_short, article + trail, *extra) if x)
