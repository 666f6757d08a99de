"""Does a substitute give each entity the value the old field gave it? Judged through anchors.

An anchor is a text field both shapes keep that, on the old events, pairs one to one with the
old field and shows it on a repeat (the same display name always came with the same username).
Where the new events carry an anchor value seen before, a successor of the field must give the
value that anchor value came with. An impostor (a nickname where the username was) gives
another value for most of the entities both samples show.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import JsonValue

from tools.matching.samples import Events, paths

MIN_ANCHOR_VALUES = 3
"""Distinct anchor values the old events must pair one to one with the old field's values."""
MIN_CONFLICTS = 2
"""Entities that must disagree (and outnumber those that agree) before a substitute is refused."""


@dataclass(frozen=True)
class AnchorConflict:
    """An anchor and the entities on which a substitute contradicts the old pairing."""

    anchor: str
    conflicts: tuple[tuple[str, object, object], ...]  # (anchor value, old value, new value)
    agreements: int

    def describe(self, field: str, target: str) -> str:
        """In words, with up to two examples."""
        shown = "; ".join(
            f"{anchor!r} came with {old!r}, now {new!r}" for anchor, old, new in self.conflicts[:2]
        )
        seen = len(self.conflicts) + self.agreements
        return (
            f"{target} gives {len(self.conflicts)} of the {seen} entities both samples show "
            f"(by {self.anchor}) another value than {field} did ({shown}): it carries other values"
        )


def value_at(event: Mapping[str, object], path: str) -> object:
    """The value at a dotted path of one event, or None."""
    value: object = event
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def anchors(field: str, before: Events, after: Events) -> dict[str, dict[str, object]]:
    """Kept text fields that pair one to one with `field` on `before`, seen on a repeat: anchor
    -> (anchor value -> the old field's value)."""
    found: dict[str, dict[str, object]] = {}
    for path in sorted((paths(before) & paths(after)) - {field}):
        pairs = [
            (a, o)
            for e in before
            if isinstance(a := value_at(e, path), str) and (o := value_at(e, field)) is not None
        ]
        forward = {a: o for a, o in pairs}
        backward = {repr(o): a for a, o in pairs}
        one_to_one = all(forward[a] == o and backward[repr(o)] == a for a, o in pairs)
        repeated = len(pairs) > len(forward)
        if one_to_one and repeated and len(forward) >= MIN_ANCHOR_VALUES:
            found[path] = forward
    return found


def anchor_conflict(
    field: str,
    computed: Sequence[JsonValue],
    before: Events,
    after: Events,
    same: Callable[[object, object], bool],
) -> AnchorConflict | None:
    """The anchor on which `computed` (one value per new event) contradicts the old pairing of
    most entities both samples show, or None."""
    for anchor, paired in anchors(field, before, after).items():
        verdicts: dict[str, tuple[object, object] | None] = {}
        for event, new in zip(after, computed, strict=True):
            key = value_at(event, anchor)
            if not isinstance(key, str) or key not in paired or new is None:
                continue
            old = paired[key]
            if not same(old, new):
                verdicts[key] = (old, new)
            else:
                verdicts.setdefault(key, None)
        conflicts = tuple((k, v[0], v[1]) for k, v in verdicts.items() if v is not None)
        agreements = len(verdicts) - len(conflicts)
        if len(conflicts) >= MIN_CONFLICTS and len(conflicts) > agreements:
            return AnchorConflict(anchor, conflicts, agreements)
    return None
