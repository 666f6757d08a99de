"""Candidate targets for each old field a change affects: one per way the new events may carry it.

Each candidate is a DuckDB SQL expression over the new event that yields the OLD representation
(old name, unit, type, format); tools.healing.mapping verifies them against the samples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pydantic import JsonValue

from core.contracts import Contract
from core.models import Detection
from tools.healing.candidate import Candidate
from tools.healing.composition_candidates import merge_candidates, split_candidates
from tools.healing.representation import estimated_factor, ref, restore
from tools.matching.name_units import magnitudes_agree, name_conversion
from tools.matching.samples import Events, kinds, paths, values
from tools.matching.successors import choose_successor
from tools.matching.unit_conversion import conversions

FALLBACK_CONFIDENCE = 0.5
_MOVES = ("rename", "nesting")
_DRIFTS = frozenset({"rename", "nesting", "unit_change", "type_change", "split", "merge", "remove"})
_CONTRACT_KINDS = {
    "integer": "int",
    "number": "float",
    "string": "str",
    "boolean": "bool",
    "timestamp": "iso",
    "date": "iso",
}


class _Evidence:
    def __init__(
        self, detections: Sequence[Detection], contract: Contract, before: Events, after: Events
    ) -> None:
        self.detections, self.contract = list(detections), contract
        self.before, self.after = before, after
        self.before_paths, self.after_paths = paths(before), paths(after)

    def about(self, field: str, *kinds_: str) -> list[Detection]:
        return [d for d in self.detections if d.field == field and d.kind in kinds_]

    def old_kinds(self, field: str) -> set[str]:
        found = kinds(values(self.before, field))
        declared = self.contract.field(field)
        if found or declared is None:
            return found
        return {_CONTRACT_KINDS[declared.type]} if declared.type in _CONTRACT_KINDS else set()

    def factors(
        self, names: set[str], old: list[JsonValue], new: list[JsonValue]
    ) -> list[tuple[float | None, float]]:
        """The detected conversion (factor, offset), then the power of ten the samples suggest.

        An affine conversion (a temperature scale) is never second-guessed by a power of ten. A
        change no single conversion explains (a currency rate, two units that fit) has none.
        """
        units = [d for d in self.detections if d.kind == "unit_change" and d.field in names]
        if not units:
            return [(None, 0.0)]
        detected = units[0]
        if detected.factor is None:
            return []
        if detected.offset or self._judged_unit(names):
            return [(detected.factor, detected.offset or 0.0)]
        estimated = estimated_factor(old, new)
        found = [f for f in (detected.factor, estimated) if f]
        return [(f, 0.0) for f in dict.fromkeys(found)] or [(None, 0.0)]

    def _judged_unit(self, names: set[str]) -> bool:
        """Whether a declared unit pint knows chose the conversion (exactly, by its own fit)."""
        declared = [self.contract.field(n) for n in names]
        return any(f is not None and f.unit and conversions(f.unit) for f in declared)

    def moved(
        self, field: str, base: str, reason: str, confidence: float, decisive: bool = True
    ) -> list[Candidate]:
        old = values(self.before, field)
        new = values(self.after, base)
        found = []
        judged = self._judged_unit({field, base})
        for factor, offset in self.named_units(field, base, old, new) or self.factors(
            {field, base}, old, new
        ):
            target, undone = restore(ref(base), self.old_kinds(field), new, old, factor, offset)
            why = f"{reason}; {undone}" if undone else reason
            exact = judged and factor is not None
            found.append(
                Candidate(
                    target,
                    why,
                    confidence,
                    decisive,
                    judged_unit=exact,
                    same_field=field == base,
                    identifier=self.identifier(field),
                )
            )
        return found

    def named_units(
        self, field: str, base: str, old: list[JsonValue], new: list[JsonValue]
    ) -> list[tuple[float | None, float]]:
        """The conversion the names spell (`billsec` -> `billmsec`), where no unit change was
        detected and the values' magnitudes agree with it; [] otherwise."""
        if field == base or any(
            d.kind == "unit_change" and d.field in (field, base) for d in self.detections
        ):
            return []
        declared = self.contract.field(field)
        named = name_conversion(field, base, declared.unit if declared is not None else None)
        if named is None or not magnitudes_agree(named, old, new):
            return []
        return [(named.factor, named.offset)]

    def identifier(self, field: str) -> bool:
        """Whether the contract declares `field` unique (or its key): values that name events,
        whose size carries no meaning (new ids may be far larger than old ones)."""
        declared = self.contract.field(field)
        return self.contract.key == field or (declared is not None and declared.unique)


def _merge_order(ev: _Evidence, det: Detection, new: str, names: list[str]) -> list[str]:
    old = [n for n in names if n != new]
    if len(old) > 1:
        return old
    merged = {d.field for d in ev.detections if d.kind == "merge" and d.field and d.field != new}
    order = ev.contract.field_names
    return sorted(merged, key=lambda n: order.index(n) if n in order else len(order))


def _merge_parts(ev: _Evidence, field: str) -> Iterator[Candidate]:
    for det in ev.detections:
        names = [n for n in [det.field, *(det.to if isinstance(det.to, list) else [det.to])] if n]
        new = [n for n in names if n in ev.after_paths and n not in ev.before_paths]
        if det.kind != "merge" or field not in names or len(new) != 1 or field in new:
            continue
        old = _merge_order(ev, det, new[0], names)
        yield from merge_candidates(
            field, new[0], old, det.confidence, ev.old_kinds(field), ev.before, ev.after
        )


def _split(ev: _Evidence, field: str) -> Iterator[Candidate]:
    for det in ev.about(field, "split"):
        parts = det.to if isinstance(det.to, list) else [det.to] if det.to else []
        yield from split_candidates(field, parts, det.confidence, ev.before, ev.after)


def _field_candidates(ev: _Evidence, field: str, claimed: set[str]) -> list[Candidate]:
    found: list[Candidate] = [*_split(ev, field), *_merge_parts(ev, field)]
    for det in ev.about(field, *_MOVES):
        if isinstance(det.to, str):
            found += ev.moved(field, det.to, f"{det.kind}: {field} -> {det.to}", det.confidence)
    if found:
        return found
    if field in ev.after_paths:
        return ev.moved(field, field, f"{field} kept its name", 1.0)
    fresh = sorted(ev.after_paths - ev.before_paths - claimed)
    found_values = {p: values(ev.after, p) for p in fresh}
    choice = choose_successor(
        field,
        values(ev.before, field),
        {p: v for p, v in found_values.items() if not any(isinstance(x, dict) for x in v)},
    )
    # the engine decides only a clear, strong successor (a sole one too); else all stay open
    return [
        candidate
        for pair in choice.ranked
        for candidate in ev.moved(
            field,
            pair.target,
            f"{pair.target} is new and {field} is gone: {choice.describe(pair.target)}",
            pair.score if choice.decisive else FALLBACK_CONFIDENCE,
            decisive=choice.decisive is not None,
        )
    ]


def candidates_for(
    detections: Sequence[Detection],
    contract: Contract,
    used_fields: Sequence[str],
    before: Events,
    after: Events,
) -> Iterator[tuple[str, list[Candidate]]]:
    """(field, candidates) for every used field the change affects, in the given order."""
    ev = _Evidence(detections, contract, before, after)
    claimed = {t for d in detections for t in ([d.to] if isinstance(d.to, str) else d.to or [])}
    for field in used_fields:
        mentioned = any(d.kind in _DRIFTS and d.field == field for d in detections) or any(
            d.kind == "merge" and isinstance(d.to, list) and field in d.to for d in detections
        )
        vanished = bool(after) and field in ev.before_paths and field not in ev.after_paths
        if (mentioned or vanished) and not _answered_by_leaves(ev, field, used_fields):
            yield field, _field_candidates(ev, field, claimed)


def _answered_by_leaves(ev: _Evidence, field: str, used_fields: Sequence[str]) -> bool:
    """Whether `field` is an object whose leaves the models read are mapped on their own: the
    models read `payload.salary`, not `payload`, so the envelope needs no successor itself (a
    model reading the object whole still breaks in the replay, which refuses the patch)."""
    old = values(ev.before, field)
    objects = bool(old) and all(isinstance(v, dict) for v in old)
    return objects and any(u.startswith(f"{field}.") for u in used_fields)
