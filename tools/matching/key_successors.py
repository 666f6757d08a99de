"""The successor of a vanished key, found by its role: the one new identifier in every event.

A key's values are opaque (`ChIJN1t_tDeu...`, `tevZxZ0a1b...`): a producer moving to a new API
version often renames it and writes its ids another way, so neither names nor values match. Its
role does: the contract declares it the key (or unique), and after the change exactly one new
field, named as an identifier, holds a distinct value of the same kind in every event.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.contracts import Contract
from tools.matching.field_matching import Match, is_nesting, tokens, value_group
from tools.profiling.batch_profile import BatchProfile, FieldProfile

KEY_SUCCESSOR_CONFIDENCE = 0.5
"""Confidence of a key successor found by its role alone (no name or value evidence)."""
MIN_EVENTS = 3
"""Events the new field must hold distinct values in before it counts as an identifier."""
_ID_WORDS = ("id", "key", "uid", "uuid", "guid")


def named_as_identifier(path: str) -> bool:
    """Whether a field's last word names an identifier (`id`, `uuid`, `placeId`, `event_key`).

    >>> named_as_identifier("uuid"), named_as_identifier("placeId"), named_as_identifier("idle")
    (True, True, False)
    """
    words = tokens(path.rsplit(".", 1)[-1])
    return bool(words) and (words[-1] in _ID_WORDS or words[-1].endswith(("uuid", "guid")))


def _identifier(profile: FieldProfile, events: int) -> bool:
    """Present with a value in every event, every value distinct."""
    return (
        events >= MIN_EVENTS
        and profile.valued == events
        and profile.duplicates == 0
        and "object" not in profile.types
    )


def key_successors(
    contract: Contract,
    baseline: BatchProfile,
    current: BatchProfile,
    vanished: Sequence[str],
    appeared: Sequence[str],
) -> list[Match]:
    """A match for each vanished key or unique field with exactly one new identifier of its
    kind to succeed it (and that identifier no other vanished key's candidate)."""
    keys = [
        path
        for path in vanished
        if path == contract.key or getattr(contract.field(path), "unique", False)
    ]
    found: list[Match] = []
    for key in keys:
        old = baseline.fields[key]
        fits = [
            path
            for path in appeared
            if named_as_identifier(path)
            and _identifier(current.fields[path], current.total)
            and value_group(current.fields[path]) == value_group(old)
        ]
        if len(fits) == 1 and len(keys) == 1:
            (new,) = fits
            found.append(
                Match(
                    kind="nesting" if is_nesting(key, new) else "rename",
                    old=[key],
                    new=[new],
                    confidence=KEY_SUCCESSOR_CONFIDENCE,
                    note=f"the key {key!r} stopped appearing and {new!r} is the one new field "
                    "with a distinct value in every event",
                )
            )
    return found
