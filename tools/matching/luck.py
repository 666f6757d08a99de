"""How likely a difference between two samples of one field is by luck alone."""

from __future__ import annotations

from math import comb


def absent_by_luck(held: int, old: int, new: int) -> float:
    """The chance that, of `old` values and `new` values drawn from one population, the `held`
    values that show something (a mark, a part of several words) all fell among the old ones:
    the new values lack it by luck, not because something was lost (hypergeometric, as in
    Fisher's exact test).

    Two old brands of six written in two words, against five new brands of one word, is common
    luck; six old values of six holding an apostrophe, against six new ones without, is not.

    >>> round(absent_by_luck(2, 6, 5), 2), round(absent_by_luck(6, 6, 6), 4)
    (0.27, 0.0011)
    >>> absent_by_luck(0, 6, 6)
    1.0
    """
    if held <= 0:
        return 1.0
    return comb(old, held) / comb(old + new, held)
