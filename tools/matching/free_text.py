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

from pydantic import JsonValue

from tools.matching.samples import shape
from tools.matching.unit_fit import MIN_VALUES, apart

LOST_CHANCE = 0.05
"""Largest chance that no new value writes a mark by luck, at which the mark counts as lost."""
MOST = 2 / 3
"""Share of old values holding a trait from which it is the field's trait, not theirs."""
CODE_MARKS = ("@", "=", "://")
"""Marks of codes, not words: e-mail addresses, key=value pairs, URLs."""
_RUNS = re.compile(r"a|9")


def written_in_words(outlines: Mapping[str, int]) -> bool:
    """Whether values of these outlines (outline -> count) are written in words: every one has
    letters, none of the marks of e-mail addresses, key=value pairs or URLs, and digits only
    among several words (`SKU-1001` is a code, `sony 4gb card` words); over all of them runs of
    letters are no fewer than runs of digits (a model number here and there).

    >>> written_in_words({"a a 9a 9-9-9 a a a a": 1, "a a 9-9 9a a 9-9 9a a 9-9 9a": 1})
    True
    >>> written_in_words({"a-9": 2}), written_in_words({"a@a.a": 2}), written_in_words({"a 9 9": 3})
    (False, False, False)
    """
    letters = digits = 0
    for outline, count in outlines.items():
        runs = _RUNS.findall(outline)
        code = "9" in runs and " " not in outline
        if "a" not in runs or code or any(mark in outline for mark in CODE_MARKS):
            return False
        letters += count * runs.count("a")
        digits += count * runs.count("9")
    return bool(outlines) and letters >= digits


def outlines_are_free_text(outlines: Mapping[str, int]) -> bool:
    """Whether values of these outlines (outline -> count) are free text: at least MIN_VALUES,
    written in words, at least half of several words, and no one outline shared by all.

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
    return written_in_words(outlines) and 2 * spaced >= total and max(outlines.values()) < total


def is_free_text(texts: Sequence[str]) -> bool:
    """Whether `texts` are free text (see `outlines_are_free_text`).

    >>> is_free_text(["Fat Head's Brewery & Saloon", "Moor Beer Company", "Cervejaria Seasons"])
    True
    >>> is_free_text(["SKU-1001", "SKU-1002", "SKU-1003"])
    False
    """
    return outlines_are_free_text(Counter(shape(text) for text in texts))


def free_text(found: Sequence[JsonValue]) -> bool:
    """is_free_text over JSON values: strings only (a number among them makes it no text).

    >>> free_text(["monopoly 3", "comic book library", "pc hoyle jewels : swap & drop it"])
    True
    >>> free_text(["OH", "PA", "KY", "NV"]), free_text(["red shoes", 3, "blue hat"])
    (False, False)
    """
    texts = [v for v in found if isinstance(v, str)]
    return bool(texts) and len(texts) == len(found) and is_free_text(texts)


def alike_as_free_text(
    old: Mapping[str, int], new: Mapping[str, int], old_distinct: int, new_distinct: int
) -> bool:
    """Whether two samples (outline -> count, and their distinct values) are to be compared as
    free text: one is free text, the other is written in words too, and neither is one value
    repeated. A sample of city names may hold only single words (`Omaha`, `Lowell`) where the
    other held `St. Louis`: words all the same.

    >>> alike_as_free_text({"a. a": 2, "a a a": 1, "a": 2}, {"a": 5}, 5, 5)
    True
    >>> alike_as_free_text({"a. a": 2, "a a a": 1, "a": 2}, {"a a": 5}, 5, 1)  # a constant
    False
    """
    varied = old_distinct > 1 and new_distinct > 1
    words = written_in_words(old) and written_in_words(new)
    return varied and words and (outlines_are_free_text(old) or outlines_are_free_text(new))


def comparable_as_free_text(old: Sequence[str], new: Sequence[str]) -> bool:
    """`alike_as_free_text` of two samples of text.

    >>> comparable_as_free_text(["Hay River", "St. Louis", "Hayward"], ["Omaha", "Toledo"])
    True
    >>> comparable_as_free_text(["Hay River", "St. Louis", "Hayward"], ["SKU-1", "SKU-2"])
    False
    """
    old_outlines, new_outlines = Counter(map(shape, old)), Counter(map(shape, new))
    return alike_as_free_text(old_outlines, new_outlines, len(set(old)), len(set(new)))


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
    """Traits (marks, letter case) no new value writes though the field's values wrote them:
    MOST of the old values did, or so many that missing them all by luck has a chance below
    LOST_CHANCE, shared among the traits tested.

    A mark only some titles carry (`&`, `-`) is a trait of those values, not of the field; one
    most of them carry (the `,` between authors, lower-case letters) is the field's. Distinct
    values count, so a category repeated in the sample weighs once.

    >>> lost_traits(["a & b", "c d", "e f", "g & h", "i j", "k l"], ["m n", "o p", "q r"])
    []
    >>> lost_traits(["a, b", "c, d", "e f"], ["m n", "o p"])
    [',']
    >>> lost_traits(["Ale One", "Red Stout", "Old Ale"], ["ALE TWO", "DARK STOUT", "NEW ALE"])
    ['lower case']
    """
    old_traits = [traits(t) for t in set(old)]
    written = set().union(*(traits(t) for t in set(new)))
    tested = set().union(*old_traits)
    lost = []
    for trait in sorted(tested - written):
        share = sum(trait in found for found in old_traits) / len(old_traits)
        if share >= MOST or (1 - share) ** len(set(new)) < LOST_CHANCE / len(tested):
            lost.append(trait)
    return lost


def cut_length(old: Sequence[str], new: Sequence[str]) -> int | None:
    """The length at which `new` values are cut, or None: several new values of several words
    end exactly at the longest new length (a third of the distinct ones, three at least), a
    length most old values exceeded, while the old values never piled up at one longest length.

    Titles spread over many lengths, so three that tie at a length most titles exceed are no
    luck. Values of a narrow spread tie often (names of two words, 12 to 18 characters long),
    and single words (`Omaha`, `Lowell`, `Toledo`) tie at five or six letters all the time.

    >>> cut_length(["a bc def", "ghij kl", "m n opqrst uv"], ["a bc", "gh i", "m n "])
    4
    >>> cut_length(["a bc def", "ghij kl", "m n opqrst uv"], ["a b", "g kl", "m n opq"]) is None
    True
    >>> cut_length(["Hay River", "St. Louis", "Hayward"], ["Lowell", "Toledo", "Nashua"]) is None
    True
    """
    old, new = sorted(set(old)), sorted(set(new))
    if len(new) < MIN_VALUES or not old:
        return None
    longest = max(len(text) for text in new)
    at = sum(len(text) == longest and " " in text.strip() for text in new)
    exceeded = sum(len(text) > longest for text in old) / len(old)
    old_longest = max(len(text) for text in old)
    piled = sum(len(text) == old_longest for text in old) >= 2
    cut = at >= max(MIN_VALUES, len(new) / 3) and exceeded > 0.5 and not piled
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
    lengths = apart([float(len(t)) for t in set(old)], [float(len(t)) for t in set(new)])
    if lengths is not None:
        return f"writes values of another length than the field's ({lengths})"
    lost = lost_traits(old, new)
    marks = [repr(t) for t in lost if len(t) == 1]
    if marks:
        return f"never writes {', '.join(marks)}, which the field's values held: a part is lost"
    if lost:
        cases = ", ".join(f"{t} letters" for t in lost)
        return f"never writes {cases}, as the field's values did: they are written another way"
    return None
