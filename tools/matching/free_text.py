"""Free text: values written in words (titles, names, addresses, descriptions), and the evidence
that still holds when two samples of it, from different events, are compared.

Each title or address has its own outline (`a a 9 a`), so two samples of free text share few
exact outlines, and that says nothing. What a field of free text keeps from one sample to the
next is coarser: its values are words, their lengths sit in one distribution, they are not cut
at one length, and a mark or a letter case most of them write is still written.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from tools.matching.samples import shape
from tools.matching.unit_fit import MIN_VALUES, apart

LOST_CHANCE = 0.05
"""Largest chance that no new value writes a mark by luck, at which the mark counts as lost."""
CODE_MARKS = ("@", "=", "://")
"""Marks of codes, not words: e-mail addresses, key=value pairs, URLs."""
_RUNS = re.compile(r"a|9")


def wordy(outline: str) -> bool:
    """Whether a value of this outline is written in words: letters, not outnumbered by digits,
    and none of the marks of e-mail addresses, key=value pairs or URLs.

    >>> wordy("a a 9a 9-9-9 a"), wordy("9-9-9"), wordy("a@a.a"), wordy("a 9 9 9")
    (True, False, False, False)
    """
    runs = _RUNS.findall(outline)
    letters = runs.count("a")
    return (
        letters > 0 and letters >= len(runs) - letters and not any(m in outline for m in CODE_MARKS)
    )


def outlines_are_free_text(outlines: Mapping[str, int]) -> bool:
    """Whether values of these outlines (outline -> count) are free text: at least MIN_VALUES,
    every one in words, at least half of several words, and no one outline shared by all.

    >>> outlines_are_free_text({"a a a": 2, "a a": 1, "9 a a.": 1})
    True
    >>> outlines_are_free_text({"a a": 4}), outlines_are_free_text({"a": 3, "a-a": 1})
    (False, False)
    >>> outlines_are_free_text({"a://a.a.a/a a": 2, "a://a.a.a/a": 2})
    False
    """
    total = sum(outlines.values())
    if total < MIN_VALUES:
        return False
    spaced = sum(n for outline, n in outlines.items() if " " in outline)
    every = all(wordy(outline) for outline in outlines)
    return every and 2 * spaced >= total and max(outlines.values()) < total


def is_free_text(texts: Sequence[str]) -> bool:
    """Whether `texts` are free text (see `outlines_are_free_text`).

    >>> is_free_text(["Fat Head's Brewery & Saloon", "Moor Beer Company", "Cervejaria Seasons"])
    True
    >>> is_free_text(["SKU-1001", "SKU-1002", "SKU-1003"])
    False
    """
    return outlines_are_free_text(Counter(shape(text) for text in texts))


def traits(text: str) -> set[str]:
    """What a value writes besides letters and digits: each mark (`&`, `,`), and the case of its
    letters (`lower case`, `upper case`).

    >>> sorted(traits("Fat Head's & Co."))
    ['&', "'", '.', 'lower case', 'upper case']
    """
    found = {c for c in text if not c.isalnum() and not c.isspace()}
    if any(c.islower() for c in text):
        found.add("lower case")
    if any(c.isupper() for c in text):
        found.add("upper case")
    return found


def lost_traits(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """Traits (marks, letter case) no new value writes though so many old values did that
    missing them all by luck has a chance below LOST_CHANCE.

    A mark only a few titles carry (`&`, `:`) is a trait of those values, not of the field;
    one most of them carry (the `,` between authors, lower-case letters) is the field's.

    >>> lost_traits(["a & b", "c d", "e f", "g & h", "i j", "k l"], ["m n", "o p", "q r"])
    []
    >>> lost_traits(["a, b", "c, d", "e, f", "g h"], ["m n", "o p", "q r", "s t"])
    [',']
    >>> lost_traits(["Ale One", "Red Stout", "Old Ale"], ["ALE TWO", "DARK STOUT", "NEW ALE"])
    ['lower case']
    """
    old_traits, new_traits = [traits(t) for t in old], [traits(t) for t in new]
    written = set().union(*new_traits)
    lost = []
    for trait in sorted(set().union(*old_traits) - written):
        share = sum(trait in found for found in old_traits) / len(old)
        if (1 - share) ** len(new) < LOST_CHANCE:
            lost.append(trait)
    return lost


def cut_length(old: Sequence[str], new: Sequence[str]) -> int | None:
    """The length at which `new` values are cut, or None: several new values end exactly at the
    longest new length (a third of them, three at least), shorter than old values reached, while
    the old values never piled up at one longest length.

    >>> cut_length(["a bc def", "ghij kl", "m n opqrst uv"], ["a bc", "ghij", "m n "])
    4
    >>> cut_length(["a bc def", "ghij kl", "m n opqrst uv"], ["a b", "g kl", "m n opq"]) is None
    True
    """
    if len(new) < MIN_VALUES or not old:
        return None
    longest = max(len(text) for text in new)
    at = sum(len(text) == longest for text in new)
    old_longest = max(len(text) for text in old)
    piled = sum(len(text) == old_longest for text in old) >= 2
    cut = at >= max(MIN_VALUES, len(new) / 3) and old_longest > longest and not piled
    return longest if cut else None


def free_text_difference(old: Sequence[str], new: Sequence[str]) -> str | None:
    """Why free text `new` cannot be more values of the field whose free text `old` is, or None.

    >>> old = ["Fat Head's Brewery & Saloon", "Moor Beer Company", "Iron Springs Pub & Brewery",
    ...     "Cervejaria Seasons", "Steelhead Brewing Co."]
    >>> free_text_difference(old, ["Odin Brewing Company", "Escape Craft Brewery", "Nail Pty"])
    >>> free_text_difference(old, ["Fat Head's", "Moor Beer ", "Iron Sprin"])
    'cuts values at 10 characters, where they reached 27'
    """
    cut = cut_length(old, new)
    if cut is not None:
        return f"cuts values at {cut} characters, where they reached {max(map(len, old))}"
    lengths = apart([float(len(t)) for t in old], [float(len(t)) for t in new])
    if lengths is not None:
        return f"writes values of another length than the field's ({lengths})"
    lost = lost_traits(old, new)
    if lost:
        named = ", ".join(repr(t) if len(t) == 1 else f"{t} letters" for t in lost)
        return f"never writes {named}, which most of the field's values did"
    return None
