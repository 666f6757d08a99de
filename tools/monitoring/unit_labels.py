"""Unit changes a unit label in the events states: `mass_unit` said `lb` and now says `kg`.

Many producers send a measure with its unit beside it (Shippo's parcel `mass_unit` and
`distance_unit`, FHIR's Quantity `unit`, IoT readings' `unit`). When the contract declares the
measure's unit and a label field that always named that unit now always names another unit of
the same dimension, the measure changed unit by exactly the conversion between them, however
small (1 in = 2.54 cm is below what magnitudes alone can show on a few events).

Only labels that hold one value in each batch count: a label that varies from event to event
needs a conversion row by row, which no single factor states.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.contracts import Contract, ContractField
from core.models import Detection
from tools.matching.samples import Events, paths, values
from tools.matching.unit_conversion import Conversion, conversion_between, same_unit
from tools.monitoring.detection_evidence import make_detection
from tools.profiling.batch_profile import BatchProfile, FieldProfile

_NUMBERS = frozenset({"integer", "number"})


def stated_conversion(
    spec: ContractField, labels: Iterable[tuple[str, str | None, str | None]]
) -> tuple[str, Conversion] | None:
    """The first label (path, sole old text, sole new text) that named `spec`'s declared unit
    and now names another unit of its dimension, with the conversion between them."""
    if not spec.unit or spec.type not in _NUMBERS:
        return None
    for path, was, now in labels:
        if path == spec.name or was is None or now is None or not same_unit(was, spec.unit):
            continue
        conversion = conversion_between(was, now)
        if conversion is not None:
            return path, conversion
    return None


def labelled_conversion(
    contract: Contract | None, field: str, before: Events, after: Events
) -> Conversion | None:
    """The conversion a unit label in the events states for `field`, or None.

    >>> c = Contract(dataset="p", fields=[{"name": "w", "type": "number", "unit": "lb"}])
    >>> found = labelled_conversion(c, "w", [{"w": 2, "u": "lb"}], [{"w": 1, "u": "kg"}])
    >>> round(found.factor, 8) if found else None
    0.45359237
    """
    spec = contract.field(field) if contract is not None else None
    if spec is None:
        return None
    labels = [
        (p, _sole(values(before, p)), _sole(values(after, p)))
        for p in sorted(paths(before) & paths(after))
    ]
    found = stated_conversion(spec, labels)
    return found[1] if found is not None else None


def _sole(found: Sequence[object]) -> str | None:
    """The one text every value is, or None."""
    texts = {v for v in found if isinstance(v, str)}
    if len(texts) != 1 or any(not isinstance(v, str) for v in found):
        return None
    return texts.pop()


def _sole_text(profile: FieldProfile | None) -> str | None:
    """The one text value a field held in every event of a batch, or None."""
    if profile is None or profile.top_overflow or len(profile.top) != 1:
        return None
    if profile.dominant_type() != "string" or profile.valued != profile.present:
        return None
    return next(iter(profile.top))


def labelled_unit_changes(
    contract: Contract, baseline: BatchProfile | None, current: BatchProfile
) -> list[Detection]:
    """A unit_change, with its exact conversion, for each measure whose unit label changed."""
    if baseline is None:
        return []
    labels = [
        (p, _sole_text(baseline.fields[p]), _sole_text(current.fields[p]))
        for p in sorted(baseline.fields.keys() & current.fields.keys())
    ]
    found: list[Detection] = []
    for spec in contract.fields:
        stated = stated_conversion(spec, labels) if spec.name in current.fields else None
        if stated is None:
            continue
        path, conversion = stated
        was = next(w for p, w, _ in labels if p == path)
        note = f"{path} says {conversion.unit!r} where it said {was!r}: values now in it"
        found.append(
            make_detection(
                contract,
                current,
                "unit_change",
                spec.name,
                factor=conversion.factor,
                offset=conversion.offset or None,
                confidence=1.0,
                note=note,
            )
        )
    return found
