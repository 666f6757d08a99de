"""A substitute that carries only some of what the old representation held, or more.

Where no composition rebuilds every old value (an old name of three words among two-word ones,
a whole whose split point is ambiguous), a composition still rebuilds the rest exactly, and
those values are evidence: a substitute for the field must give them back too. One that reads
a part of them (one part of a split read as the whole, the whole of a merge read as one part,
parts joined with one left out) does not, and writes values made of another number of pieces
than the old ones: a part of the information is dropped, or another field's is added.

Both must hold to refuse: missing the rebuilt values alone could be a rename beside a new field
whose values happen to continue the old ones, so the pieces the substitute's own values are made
of must also differ from those of the old values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from statistics import median

from pydantic import JsonValue

from tools.healing.candidate import Candidate
from tools.healing.mapping import reproduces

MIN_REBUILT = 2
"""Old values a composition must rebuild before what it rebuilds is evidence."""

_PIECE = re.compile(r"[^\W\d_]+|\d+|[^\w\s]+|\s+|_+")
"""Runs of letters, of digits, of marks, of spaces: 'De witte' is 3 pieces, 'FR-0042' 3."""


def pieces(value: JsonValue) -> int:
    """How many runs of one kind of character `value` is written with (0 when it is NULL).

    >>> pieces("SALAH MERWIN"), pieces("HOR-LAM"), pieces("Renée"), pieces(None)
    (3, 3, 1, 0)
    """
    return len(_PIECE.findall(str(value))) if value is not None else 0


def _typical(found: Sequence[JsonValue]) -> float | None:
    counts = [pieces(v) for v in found if v not in (None, "")]
    return median(counts) if counts else None


def partial(
    field: str, target: str, got: Sequence[JsonValue], refused: Candidate, total: int
) -> str | None:
    """Why `target` (giving `got` on the new events) carries another share of `field`'s values
    than the old values the refused composition does rebuild, or None.

    `refused` counts as evidence only when its witness holds at least MIN_REBUILT values and at
    least half of the `total` values of the field it was checked on.
    """
    witness = refused.witness
    if witness is None or len(witness.events) < max(MIN_REBUILT, total / 2):
        return None
    wrong = reproduces(target, witness)
    if wrong is None:
        return None
    old, new = _typical(witness.expected), _typical(got)
    if old is None or new is None or old == new:
        return None
    what = "drops a part of" if new < old else "adds to"
    return (
        f"{target} {what} what {field} held: {refused.reason} rebuilds {len(witness.events)} of "
        f"its values exactly, made of {old:g} pieces typically, and {target} {wrong}, writing "
        f"values of {new:g} pieces"
    )
