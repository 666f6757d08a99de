"""detect_drift: what changed in a stream's schema, field by field, with evidence."""

from __future__ import annotations

import math
from collections.abc import Sequence

from core.contracts import Contract
from core.models import Detection
from tools.contracts.check import ACCEPTED_TYPES
from tools.matching.field_matching import Match, eliminated, match_successors
from tools.matching.key_successors import key_successors
from tools.matching.name_units import unit_renames
from tools.matching.split_merge import find_merge, find_split
from tools.monitoring.detection_evidence import make_detection
from tools.monitoring.field_changes import detect_field_changes
from tools.monitoring.unit_labels import labelled_unit_changes
from tools.profiling.batch_profile import BatchProfile, FieldProfile

VANISH_RATIO = 0.5  # a field vanished when its share of events fell below half its baseline
USED_SHARE = 0.5  # baseline share from which a field counts as used
ABSENCE_P_VALUE = 0.01  # an optional field is removed when its absence is this unlikely


def detect_drift(
    contract: Contract, baseline: BatchProfile | None, current: BatchProfile
) -> list[Detection]:
    """Schema changes of `current` against `baseline` (or the contract alone when it is None).

    Conforming traffic with natural variation yields []. Example values are redacted for PII.
    """
    if current.total == 0:
        return []
    reference = baseline if baseline is not None else _contract_profile(contract, current)
    vanished = _vanished(contract, reference, current, baseline is None)
    appeared = _appeared(contract, reference, current)
    # Undeclared fields of a declared (open) object come and go unreported, but one may move.
    moved_out = _vanished(contract, reference, current, baseline is None, inside_open=True)
    moved_in = _appeared(contract, reference, current, inside_open=True)
    matches = match_successors(reference, current, vanished + moved_out, appeared + moved_in)
    matches += _unit_renames(contract, reference, current, vanished, appeared, matches)
    matches += _key_successors(contract, reference, current, vanished, appeared, matches)
    matches += _splits_and_merges(reference, current, vanished, appeared, matches)
    matches += eliminated(reference, current, vanished, appeared, matches)
    found = [d for m in matches for d in _from_match(contract, current, m)]
    moved = {path for m in matches for path in (*m.old, *m.new)}
    removed = [
        path
        for path in vanished
        if path not in moved
        and current.share(path) == 0
        and _removable(contract, reference, path, current)
    ]
    for path in removed:
        found.append(make_detection(contract, current, "remove", path, note="stopped appearing"))
    for path in _additions(contract, reference, current, appeared, moved):
        found.append(make_detection(contract, current, "add", path, note="not in the contract"))
    labelled = labelled_unit_changes(contract, baseline, current)
    stated = {d.field for d in labelled}
    for path, profile in current.fields.items():
        if path not in moved and profile.valued:
            changes = detect_field_changes(contract, baseline, current, path, profile)
            found += [d for d in changes if not (d.kind == "unit_change" and d.field in stated)]
    found += labelled
    # a required field still in some events is not gone: it is missing, so it is nullability
    found += _nullability(contract, baseline, current, moved | set(removed))
    return found


def _vanished(
    contract: Contract,
    reference: BatchProfile,
    current: BatchProfile,
    learned: bool,
    inside_open: bool = False,
) -> list[str]:
    """Used fields gone from the events; `inside_open`: only the undeclared fields of declared
    objects (else those are skipped: the object's content is open)."""
    gone = []
    objects = tuple(f"{f.name}." for f in contract.fields if f.type == "object")
    for path, old in reference.fields.items():
        spec = contract.field(path)
        if (spec is None and path.startswith(objects)) != inside_open:
            continue
        share = old.present / reference.total if reference.total else 0.0
        used = (spec is not None and spec.required) or (not learned and share >= USED_SHARE)
        now = current.fields[path].present / current.total if path in current.fields else 0.0
        if used and "object" not in old.types and now < VANISH_RATIO * share:
            gone.append(path)
    return gone


def _appeared(
    contract: Contract, reference: BatchProfile, current: BatchProfile, inside_open: bool = False
) -> list[str]:
    """New fields; `inside_open`: only the undeclared fields of declared objects."""
    known = set(contract.field_names)
    for name in contract.field_names:
        parts = name.split(".")
        known.update(".".join(parts[:i]) for i in range(1, len(parts)))
    open_objects = tuple(f"{f.name}." for f in contract.fields if f.type == "object")
    new = []
    for path, profile in current.fields.items():
        if path in known or path.startswith(open_objects) != inside_open:
            continue
        if "object" in profile.types:
            continue
        before = reference.fields.get(path)
        if before is None or before.present <= 0.01 * reference.total:
            new.append(path)
    return new


def _unit_renames(
    contract: Contract,
    reference: BatchProfile,
    current: BatchProfile,
    vanished: Sequence[str],
    appeared: Sequence[str],
    matches: Sequence[Match],
) -> list[Match]:
    units = {f.name: f.unit for f in contract.fields if f.unit}
    return unit_renames(reference, current, *_unmatched(vanished, appeared, matches), units)


def _key_successors(
    contract: Contract,
    reference: BatchProfile,
    current: BatchProfile,
    vanished: Sequence[str],
    appeared: Sequence[str],
    matches: Sequence[Match],
) -> list[Match]:
    return key_successors(contract, reference, current, *_unmatched(vanished, appeared, matches))


def _unmatched(
    vanished: Sequence[str], appeared: Sequence[str], matches: Sequence[Match]
) -> tuple[list[str], list[str]]:
    """The vanished and the appeared paths no match in `matches` explains yet."""
    used = {path for m in matches for path in (*m.old, *m.new)}
    return [p for p in vanished if p not in used], [p for p in appeared if p not in used]


def _splits_and_merges(
    reference: BatchProfile,
    current: BatchProfile,
    vanished: Sequence[str],
    appeared: Sequence[str],
    matches: Sequence[Match],
) -> list[Match]:
    used = {path for m in matches for path in (*m.old, *m.new)}
    olds = [p for p in vanished if p not in used]
    news = [p for p in appeared if p not in used]
    found: list[Match] = []
    for old in olds:
        split = find_split(reference, current, old, [p for p in news if p not in used])
        if split is not None:
            found.append(split)
            used.update((*split.old, *split.new))
    for new in [p for p in news if p not in used]:
        merge = find_merge(reference, current, [p for p in olds if p not in used], new)
        if merge is not None:
            found.append(merge)
            used.update((*merge.old, *merge.new))
    return found


def _from_match(contract: Contract, current: BatchProfile, match: Match) -> list[Detection]:
    pii = any(getattr(contract.field(p), "pii", False) for p in match.old)
    if match.kind == "merge":  # one detection per merged field, as the scenario format lists them
        pairs: list[tuple[str, str | list[str]]] = [(old, match.new) for old in match.old]
    else:
        pairs = [(match.old[0], match.new if match.kind == "split" else match.new[0])]
    return [
        make_detection(
            contract,
            current,
            match.kind,
            match.new[0],
            field=field,
            to=to,
            confidence=match.confidence,
            note=match.note,
            redact=pii,
        )
        for field, to in pairs
    ]


def _additions(
    contract: Contract,
    reference: BatchProfile,
    current: BatchProfile,
    appeared: Sequence[str],
    moved: set[str],
) -> list[str]:
    """New paths to report: a wholly new object once, else its leaves that nothing explains."""
    new_objects = sorted(
        (p for p, f in current.fields.items() if "object" in f.types and p not in reference.fields),
        key=lambda p: p.count("."),
    )
    known = set(contract.field_names)
    covered: set[str] = set()
    added: list[str] = []
    for path in new_objects:
        if path in known or any(path.startswith(f"{c}.") for c in covered):
            continue
        inside = [p for p in current.fields if p.startswith(f"{path}.")]
        if not any(p in moved or p in known for p in inside):
            added.append(path)
            covered.add(path)
    for path in appeared:
        if path not in moved and not any(path.startswith(f"{c}.") for c in covered):
            added.append(path)
    return added


def _nullability(
    contract: Contract, baseline: BatchProfile | None, current: BatchProfile, explained: set[str]
) -> list[Detection]:
    found = []
    for spec in contract.fields:
        if not spec.required or spec.name in explained:
            continue
        rate = 1.0 - current.share(spec.name)
        before = 1.0 - baseline.share(spec.name) if baseline is not None and baseline.total else 0.0
        if (
            rate > 0
            and rate > before + 0.05
            and (current.share(spec.name) > 0 or spec.name in current.fields)
        ):
            count = current.total - round(current.share(spec.name) * current.total)
            note = f"required field without a value in {count} of {current.total} events"
            found.append(
                make_detection(
                    contract,
                    current,
                    "nullability",
                    spec.name,
                    rate=round(rate, 4),
                    count=count,
                    note=note,
                )
            )
    return found


def _removable(
    contract: Contract, reference: BatchProfile, path: str, current: BatchProfile
) -> bool:
    """Required fields, and optional ones whose absence is unlikely under the baseline."""
    spec = contract.field(path)
    if spec is not None and spec.required:
        return True
    share, seen = reference.share(path), reference.total
    if share == 1.0 and seen >= 2 and current.total >= 2:
        return True
    # Wilson lower bound (90%) of the baseline share: small baselines prove little.
    z = 1.645
    centre = share + z * z / (2 * seen)
    margin = z * math.sqrt(share * (1 - share) / seen + z * z / (4 * seen * seen))
    low = (centre - margin) / (1 + z * z / seen)
    return bool((1 - low) ** current.total < ABSENCE_P_VALUE)


def _contract_profile(contract: Contract, current: BatchProfile) -> BatchProfile:
    """A stand-in baseline that knows only which fields the contract requires."""
    fields = {
        f.name: FieldProfile(path=f.name, present=1, types={t: 1 for t in ACCEPTED_TYPES[f.type]})
        for f in contract.fields
        if f.required and f.type != "object"
    }
    return BatchProfile(total=1, fields=fields)
