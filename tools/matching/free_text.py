"""Whether text values are free text (titles, names, addresses) rather than codes.

Free text has about as many outlines as values, so two samples of one free-text field share few
exact outlines and few punctuation marks; that says nothing about whether they are one field.
Codes, URLs and keys do share their outlines, and their marks are their format.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from pydantic import JsonValue

from tools.profiling.value_encoding import shapes

WORDY_SHARE = 0.75
"""Share of values that must read as words (the rest may be a model number, a slash...)."""

# Letters in words, with punctuation or symbols and at most three digit runs among them; no
# URL, path, e-mail or key=value marks (those make codes, not words).
_WORDY = re.compile(r"(?=.*a)(?!(?:.*9){4})[^/@=]+")


def is_free_text(outlines: dict[str, int]) -> bool:
    """Words, mostly: most values have letters and few digits, no one outline dominates, and
    half the values or more hold a space (`outlines`: value outline -> count).

    >>> is_free_text({"a a a": 2, "a a": 1, "9 a a.": 1}), is_free_text({"9-9-9": 4})
    (True, False)
    >>> is_free_text({"a://a.a.a/a/a-a": 2, "a://a.a.a/a": 2}), is_free_text({"a": 3, "a-a": 1})
    (False, False)
    >>> is_free_text({"a a a a": 1, "a 9": 1, "a a a": 1, "a 9 9a a-a 9 9 a": 1})
    True
    """
    total = sum(outlines.values())
    if total < 3:
        return False
    wordy = sum(n for outline, n in outlines.items() if _WORDY.fullmatch(outline))
    spaced = sum(n for outline, n in outlines.items() if " " in outline)
    dominant = max(outlines.values())
    return wordy >= WORDY_SHARE * total and 2 * spaced >= total and dominant < total


def free_text(found: Sequence[JsonValue]) -> bool:
    """is_free_text over values: strings only, outlined as the profiles outline them.

    >>> free_text(["monopoly 3", "comic book library", "pc hoyle jewels : swap & drop it"])
    True
    >>> free_text(["OH", "PA", "KY", "NV"]), free_text([3, 4, 5])
    (False, False)
    """
    texts = [v for v in found if isinstance(v, str)]
    if not texts or len(texts) != len(found):
        return False
    return is_free_text(dict(Counter(shapes(texts))))
