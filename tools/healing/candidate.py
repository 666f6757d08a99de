"""One candidate expression for an old field, and the evidence that comes with it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import JsonValue


@dataclass(frozen=True)
class Witness:
    """Events on which a candidate must give exactly the given values: where the old value is
    known (an old event, a whole rebuilt from an old event's parts), exactness is the evidence."""

    events: tuple[Mapping[str, object], ...]
    expected: tuple[JsonValue, ...]
    what: str = "samples"


@dataclass(frozen=True)
class Candidate:
    """One way to compute an old field: the expression, why, and how sure the evidence is.

    `decisive` is False for candidates found only by looking for new fields of the same kind
    (no detection links them): those are never chosen alone. `problem` is evidence against the
    candidate found while building it; `witness` holds values it must reproduce exactly.
    """

    target: str
    reason: str
    confidence: float = 1.0
    decisive: bool = True
    group: str = ""
    problem: str | None = None
    witness: Witness | None = field(default=None, compare=False)
    judged_unit: bool = False  # undoes a conversion a declared unit's judgement chose
    same_field: bool = False  # the field kept its name: its new values are other events' values
    identifier: bool = False  # the contract declares the field unique: its size means nothing
