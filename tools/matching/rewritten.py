"""rewritten: whether a field's values came back written as another JSON type (numbers as text,
instants as epoch numbers), judged from the two fields' profiles."""

from __future__ import annotations

import re

from tools.profiling.batch_profile import FieldProfile

_NUMBER_TEXT = re.compile(r"[+-]?9(,9)*(\.9)?")
"""Outline of a number written as text, thousands separators allowed (`1,299.00`)."""
_EPOCHS = frozenset({"epoch_seconds", "epoch_millis", "epoch_micros"})
_INSTANTS = frozenset({"iso_timestamp", "iso_date"})
_NUMBERS = frozenset({"integer", "number"})


def _only(profile: FieldProfile, types: frozenset[str]) -> bool:
    return bool(profile.types) and set(profile.types) <= types


def _numbers_as_text(profile: FieldProfile) -> bool:
    return (
        _only(profile, frozenset({"string"}))
        and bool(profile.shapes)
        and all(_NUMBER_TEXT.fullmatch(s) for s in profile.shapes)
    )


def _instants_as_text(profile: FieldProfile) -> bool:
    return _only(profile, frozenset({"string"})) and set(profile.encodings) <= _INSTANTS


def _epochs(profile: FieldProfile) -> bool:
    """Every number of the field is an epoch (seconds, milli- or microseconds)."""
    found = set(profile.encodings)
    counted = (
        profile.numeric is not None and sum(profile.encodings.values()) == profile.numeric.count
    )
    return _only(profile, _NUMBERS) and bool(found) and found <= _EPOCHS and counted


def rewritten(old: FieldProfile, new: FieldProfile) -> str | None:
    """How `new` writes the values `old` held as another JSON type, or None: numbers as text
    (`12`, `1,299.00`) or back, instants as epoch numbers or back.

    >>> from tools.profiling.profile_batch import profile_batch
    >>> old = profile_batch([{"p": 1299.0}, {"p": 12.5}]).fields["p"]
    >>> rewritten(old, profile_batch([{"p": "1,299.00"}, {"p": "7.50"}]).fields["p"])
    'numbers as text'
    >>> rewritten(old, profile_batch([{"p": "cheap"}, {"p": "7.50"}]).fields["p"]) is None
    True
    """
    pairs = (
        ("numbers as text", _only(old, _NUMBERS), _numbers_as_text(new)),
        ("text as numbers", _numbers_as_text(old), _only(new, _NUMBERS)),
        ("instants as epoch numbers", _instants_as_text(old), _epochs(new)),
        ("epoch numbers as instants", _epochs(old), _instants_as_text(new)),
    )
    return next((name for name, before, after in pairs if before and after), None)
