"""Which order the parts of a composed field come in, as their names tell it.

Values alone rarely decide the order of parts of one kind: "Ada Lovelace" reads as first name
then last name or the other way round, and the samples hold no entity both before and after
the change. Names do: `first_name` comes first, `last_name` last. An order the names contradict
is refused; an order no name speaks to stays open (the samples or a human must decide).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FIRST_WORDS = frozenset({"first", "given", "forename", "start", "begin", "from", "head", "prefix"})
"""Name words of a part that comes before the others."""
LAST_WORDS = frozenset({"last", "family", "surname", "end", "finish", "to", "tail", "suffix"})
"""Name words of a part that comes after the others."""


def position(name: str) -> int | None:
    """0 for a part named to come first, 1 for one named to come last, else None.

    >>> position("first_name"), position("family_name_label"), position("exp_month")
    (0, 1, None)
    """
    words = set(re.split(r"[^a-z]+", name.split(".")[-1].lower()))
    first, last = bool(words & FIRST_WORDS), bool(words & LAST_WORDS)
    if first == last:
        return None
    return 0 if first else 1


def _contradiction(order: Sequence[str]) -> str | None:
    for i, early in enumerate(order):
        for late in order[i + 1 :]:
            if position(early) == 1 and position(late) == 0:
                return f"puts {early} before {late}, though their names say {late} comes first"
    return None


def order_problem(order: Sequence[str], declared: Sequence[str]) -> str | None:
    """Why the names of the parts refuse `order`, given the order the producer `declared` them
    in (fields of the new events, or of the contract), or None when nothing speaks against it.

    The declared order decides only where the names confirm it; names that say nothing leave
    every order the values allow open.

    >>> order_problem(["last_name", "first_name"], ["first_name", "last_name"])
    'puts last_name before first_name, though their names say first_name comes first'
    >>> order_problem(["first_name", "last_name"], ["first_name", "last_name"]) is None
    True
    >>> order_problem(["city", "zip"], ["zip", "city"]) is None
    True
    """
    if (contradiction := _contradiction(order)) is not None:
        return contradiction
    if list(order) == list(declared) or all(position(n) is None for n in declared):
        return None
    if _contradiction(declared) is not None:
        return (
            f"the producer declares the parts as {list(declared)}, against what their names "
            "say: nothing decides their order"
        )
    return (
        f"joins the parts as {list(order)}, not in the order the producer declares them "
        f"({list(declared)}), which their names confirm"
    )
