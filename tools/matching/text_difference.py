"""text_difference: why text values cannot be more values of a text field, judged only by what
two samples of different events can support.

Free text is judged as free text (tools.matching.free_text) when both samples are words.
Other text is judged by outlines (`a-9`, `9-9-9`): a new sample that shares no outline with
the old one has left the field's format. A sample too small to judge a distribution (fewer
than MIN_VALUES values on a side) supports that claim only when the old values are a format
(instants, numbers) or MIN_VALUES of them show one (outlines that repeat): where each had its
own outline, the next value's outline is anyone's guess, and such a small sample is refused
only when no new value is written in the characters of an old one (letters and digits where
they were letters only, say).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from tools.matching.free_text import LOST_CHANCE, comparable_as_free_text, free_text_difference
from tools.matching.samples import kind, shape
from tools.matching.unit_fit import MIN_VALUES


def unseen_share(outlines: Sequence[str]) -> float:
    """The share of further values expected to show an outline the sample has not (Good-Turing:
    the values whose outline appears once, over all values); 1.0 for an empty sample.

    >>> unseen_share(["9-9-9", "9-9-9", "9-9-9"]), unseen_share(["a a", "a a a", "a 9 a"])
    (0.0, 1.0)
    >>> unseen_share(["a-9", "a-9", "a-9a", "a-9"])
    0.25
    """
    if not outlines:
        return 1.0
    counts = Counter(outlines)
    return sum(1 for n in counts.values() if n == 1) / len(outlines)


def compositions(texts: Sequence[str]) -> set[frozenset[str]]:
    """How each text is written: in letters, digits, or both (marks aside).

    >>> sorted(sorted(c) for c in compositions(["2026-01-01", "ACME Corp", "o-1", "--"]))
    [[], ['digits'], ['digits', 'letters'], ['letters']]
    """
    found = set()
    for text in texts:
        letters = ("letters",) if any(c.isalpha() for c in text) else ()
        digits = ("digits",) if any(c.isdigit() for c in text) else ()
        found.add(frozenset(letters + digits))
    return found


def text_difference(
    old: Sequence[str], new: Sequence[str], outline: Callable[[str], str] = shape
) -> str | None:
    """Why text `new` cannot be more values of the field `old` came from, or None.

    >>> text_difference(["2026-01-01"], ["ACME Corp"])
    "writes values shaped like 'ACME Corp' where the field's were shaped like '2026-01-01'"
    >>> text_difference(["Ada Lovelace"], ["Grace Brewster Hopper"]) is None  # too few to tell
    True
    >>> text_difference(["o-1", "o-2", "o-3"], ["1", "2", "3"])
    "writes values shaped like '1' where the field's were shaped like 'o-1'"
    >>> text_difference(["o-1", "o-2", "o-3"], ["1"])  # one value, but the format is clear
    "writes values shaped like '1' where the field's were shaped like 'o-1'"
    """
    if not old or not new:
        return None
    if comparable_as_free_text(old, new):
        return free_text_difference(old, new)
    old_outlines, new_outlines = [outline(t) for t in old], [outline(t) for t in new]
    if set(old_outlines) & set(new_outlines):
        return None
    small = min(len(old), len(new)) < MIN_VALUES
    formats = all(kind(text) in ("iso", "numeric") for text in old)  # one value shows its format
    shown = formats or (
        len(old) >= MIN_VALUES and unseen_share(old_outlines) ** len(new) < LOST_CHANCE
    )
    if small and not shown and compositions(old) & compositions(new):
        return None
    return f"writes values shaped like {new[0]!r} where the field's were shaped like {old[0]!r}"
