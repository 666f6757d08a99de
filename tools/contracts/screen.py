"""contract_suspects: the rows of a decoded batch that may break a contract, found column by column.

The screen never misses a violating row: every rule of tools.contracts.check is tested on whole
columns with C-level builtins (map, set, min, max, compiled regexes), and a row is named only
when its column cannot be cleared at once. It may name a conforming row (a float 2.0 for an
integer, a key spelled with a dot, an empty object): the per-event check then finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import compress
from typing import TYPE_CHECKING, Protocol

from tools.profiling.column_profile import MISSING, Missing
from tools.profiling.profile_batch import DecodedEvents, batch_column, batch_keys
from tools.profiling.value_encoding import ISO_DATE, ISO_TIMESTAMP, all_match

if TYPE_CHECKING:
    from core.contracts import ContractField

# Contract type -> Python types whose values pass the type rule at once (strings of timestamps
# and dates still have to match their pattern; integral floats of integers go to the check).
_CLEARED: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "integer": frozenset({int}),
    "number": frozenset({int, float}),
    "boolean": frozenset({bool}),
    "timestamp": frozenset({str, int, float}),
    "date": frozenset({str}),
    "array": frozenset({list}),
}
_TEXT_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "timestamp": (ISO_TIMESTAMP, ISO_DATE),
    "date": (ISO_DATE,),
}
_EMPTY = frozenset({type(None), Missing})
_NUMBERS = frozenset({int, float})


class CompiledContract(Protocol):
    """What screening reads of a compiled contract (tools.contracts.check.ContractChecker)."""

    fields: list[ContractField]  # the leaf fields
    objects: list[ContractField]  # the required object fields
    known: set[str]  # every declared path and each of its prefixes
    open_objects: tuple[str, ...]  # "name." of each object field: leaves below are its own


def contract_suspects(checker: CompiledContract, decoded: list[dict[str, object]]) -> set[int]:
    """Rows of `decoded` that may violate the checker's contract (a superset of those that do).

    >>> from core.contracts import Contract
    >>> from tools.contracts.check import ContractChecker
    >>> c = Contract(dataset="t", fields=[{"name": "n", "type": "integer", "min": 0}])
    >>> sorted(contract_suspects(ContractChecker(c), [{"n": 1}, {"n": -1}, {"n": "2"}, {}]))
    [1, 2]
    """
    if not decoded:
        return set()
    memo = decoded if type(decoded) is DecodedEvents else DecodedEvents(decoded)
    suspects = _unknown_or_dotted(checker, memo, "", memo)  # type: ignore[arg-type]
    for spec in checker.objects:
        column = _column(memo, spec.name)
        suspects.update(i for i, value in enumerate(column) if not _has_leaf(value))
    for spec in checker.fields:
        suspects |= _field_suspects(spec, _column(memo, spec.name))
    return suspects


def _field_suspects(spec: ContractField, column: list[object]) -> set[int]:
    kinds = list(map(type, column))
    present = set(kinds)
    cleared = _CLEARED[spec.type]
    unclear = present - cleared - _EMPTY
    if spec.required:
        unclear |= present & _EMPTY
    suspects = _rows_where(kinds, unclear) if unclear else set()
    if present <= cleared:
        values = column
    elif present & cleared:
        values = list(compress(column, map(cleared.__contains__, kinds)))
    else:
        return suspects
    rows = _row_of(column, kinds, cleared)
    patterns = _TEXT_PATTERNS.get(spec.type)
    if patterns is not None and str in present:
        texts = values if present <= {str} else [v for v in values if type(v) is str]
        if not all_match(patterns[0], texts):  # type: ignore[arg-type]
            suspects.update(rows(lambda v: type(v) is str and not _matches(patterns, v)))
    if spec.enum is not None:
        suspects |= _enum_suspects(spec.enum, values, rows)
    if (spec.min is not None or spec.max is not None) and present & _NUMBERS:
        numbers = values if present <= _NUMBERS else [v for v in values if type(v) in _NUMBERS]
        low = spec.min if spec.min is not None else float("-inf")
        high = spec.max if spec.max is not None else float("inf")
        if min(numbers) < low or max(numbers) > high:  # type: ignore[type-var,operator]
            suspects.update(rows(lambda v: type(v) in _NUMBERS and not low <= v <= high))  # type: ignore[operator]
    return suspects


def _enum_suspects(
    enum: Sequence[object],
    values: list[object],
    rows: Callable[[Callable[[object], bool]], set[int]],
) -> set[int]:
    try:
        allowed = set(enum)
        outside = set(values) - allowed
    except TypeError:  # unhashable values (arrays): let the per-event check judge them
        return rows(lambda _: True)
    return rows(outside.__contains__) if outside else set()


def _row_of(
    column: list[object], kinds: list[type], cleared: frozenset[type]
) -> Callable[[Callable[[object], bool]], set[int]]:
    """A finder of the rows whose value has a cleared type and meets a condition."""

    def rows(condition: Callable[[object], bool]) -> set[int]:
        return {
            i
            for i, (value, kind) in enumerate(zip(column, kinds, strict=True))
            if kind in cleared and condition(value)
        }

    return rows


def _matches(patterns: tuple[re.Pattern[str], ...], text: object) -> bool:
    return any(p.match(text) for p in patterns)  # type: ignore[call-overload]


def _rows_where(kinds: list[type], unclear: set[type]) -> set[int]:
    return {i for i, kind in enumerate(kinds) if kind in unclear}


def _unknown_or_dotted(
    checker: CompiledContract, rows: list[object], prefix: str, memo: DecodedEvents
) -> set[int]:
    """Rows carrying a path outside the contract, or a key spelled with a dot (ambiguous)."""
    suspects: set[int] = set()
    for key in batch_keys(rows, prefix, memo):
        path = prefix + key
        dotted = "." in key  # a dotted key is not the nested path it spells: not memoised
        column = batch_column(rows, path, key, None if dotted else memo)
        unknown = path not in checker.known and not path.startswith(checker.open_objects)
        if unknown or dotted:
            suspects.update(i for i, value in enumerate(column) if value is not MISSING)
        elif dict in set(map(type, column)):
            suspects |= _unknown_or_dotted(checker, column, path + ".", memo)
    return suspects


def _column(memo: DecodedEvents, path: str) -> list[object]:
    """The column of a contract field's path, read through nested objects."""
    found = memo.columns.get(path)
    if found is not None:
        return found
    parent, _, key = path.rpartition(".")
    above: list[object] = _column(memo, parent) if parent else memo  # type: ignore[assignment]
    return batch_column(above, path, key, memo)


def _has_leaf(value: object) -> bool:
    """Whether an object value flattens to at least one key (a non-object leaf, at any depth)."""
    if type(value) is not dict:
        return False
    return any(type(v) is not dict or _has_leaf(v) for v in value.values())
