"""How a user's text is compared with the names of the law: normalisation and transliteration.

Two different comparisons, on purpose:

* `normalize` decides what is *the same answer*: letter case, surrounding and repeated spaces,
  hyphens and underscores, typographic quotes and `ё`/`е` do not matter, nothing else is
  guessed. A value is accepted only when its normalised form is one of its declared names (the
  id, a label in any language, an alias), so acceptance is predictable and auditable; the batch
  back end applies the very same rules as a polars expression (`rules.batch.polars_plan`).
* `skeleton` decides what is *close*: Cyrillic (Russian and Kazakh letters) is transliterated to
  Latin and common romanisation variants are folded (`zh`/`j`/`dzh`, `kh`/`h`, `y`/`i`, ...), so
  that `Jambyl`, `Zhambyl` and `Жамбыл` have one skeleton. It only ranks did-you-mean hints.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

# Separators that do not change an answer: spaces (also no-break and thin), tabs, line breaks,
# underscores, hyphens and dashes. Listed literally so the polars pattern is the same class.
SEPARATOR_CHARS = " \t\n\r\f\v\u00a0\u2007\u2009\u202f_-\u2010\u2011\u2012\u2013\u2014\u2015"
SEPARATORS = "[" + "".join("\\" + c if c in "-]\\^" else c for c in SEPARATOR_CHARS) + "]+"
_SEPARATORS = re.compile(SEPARATORS)
# Quotes a user may type around a name: they are dropped.
QUOTES = "\"'`«»“”„‘’"


def normalize(text: str) -> str:
    """The form two answers share when they mean the same name.

    >>> normalize("  Alma-Ata ")
    'alma ata'
    >>> normalize("ЖАМБЫЛ_облысы") == normalize("жамбыл облысы")
    True
    """
    lowered = unicodedata.normalize("NFC", text).lower().replace("ё", "е")
    lowered = lowered.translate({ord(q): None for q in QUOTES})
    return _SEPARATORS.sub(" ", lowered).strip(" ")


# Russian and Kazakh Cyrillic to Latin, loosely (the spelling road signs and passports use).
_CYRILLIC = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "і": "i", "к": "k", "қ": "k", "л": "l", "м": "m",
    "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "sh", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}
# Romanisation variants folded to one spelling, longest first.
_FOLDS = (("dzh", "j"), ("zh", "j"), ("dj", "j"), ("kh", "h"), ("yu", "u"), ("iu", "u"),
          ("ya", "a"), ("ia", "a"), ("ye", "e"), ("y", "i"), ("w", "v"), ("q", "k"),
          ("x", "h"), ("ts", "c"))
_FOLD = re.compile("|".join(re.escape(a) for a, _ in _FOLDS))
_FOLD_TO = dict(_FOLDS)


def transliterate(text: str) -> str:
    """Russian or Kazakh Cyrillic in Latin letters (other letters unchanged).

    >>> transliterate("Жамбыл облысы")
    'Zhambyl oblysy'
    """
    out = []
    for char in text:
        lower = char.lower()
        latin = _CYRILLIC.get(lower)
        if latin is None:
            out.append(char)
        else:
            out.append(latin.capitalize() if char != lower else latin)
    return "".join(out)


def skeleton(text: str) -> str:
    """A Latin spelling with romanisation variants folded, for ranking near misses.

    >>> skeleton("Zhambyl") == skeleton("Jambyl") == skeleton("Жамбыл")
    True
    """
    latin = transliterate(normalize(text)).lower()
    latin = unicodedata.normalize("NFKD", latin)
    latin = "".join(c for c in latin if not unicodedata.combining(c))
    latin = _FOLD.sub(lambda m: _FOLD_TO[m.group(0)], latin)
    latin = re.sub(r"[^a-z0-9 ]", "", latin)
    return re.sub(r"(.)\1+", r"\1", latin).strip()


def closeness(query: str, name: str) -> float:
    """How close a typed answer is to a name, 0..1, on skeletons (prefixes count as close)."""
    a, b = skeleton(query), skeleton(name)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    score = difflib.SequenceMatcher(None, a, b).ratio()
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= 3 and (longer.startswith(shorter) or f" {shorter}" in f" {longer}"):
        score = max(score, 0.8)
    words_a, words_b = set(a.split()), set(b.split())
    if words_a & words_b:
        score = max(score, 0.6 + 0.3 * len(words_a & words_b) / len(words_a | words_b))
    return score
