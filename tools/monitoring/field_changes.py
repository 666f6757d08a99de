"""detect_field_changes: how one field's values changed: type, unit or enum."""

from __future__ import annotations

import orjson
from pydantic import JsonValue

from core.contracts import Contract, ContractField
from core.models import Detection
from tools.contracts.check import ACCEPTED_TYPES
from tools.matching.unit_change import estimate_unit
from tools.monitoring.detection_evidence import make_detection
from tools.profiling.batch_profile import BatchProfile, FieldProfile
from tools.profiling.value_encoding import canonical

_GROUP = {"integer": "numeric", "number": "numeric"}


def detect_field_changes(
    contract: Contract,
    baseline: BatchProfile | None,
    current: BatchProfile,
    path: str,
    now: FieldProfile,
) -> list[Detection]:
    spec = contract.field(path)
    before = baseline.fields.get(path) if baseline is not None else None
    found: list[Detection] = []
    unit = None
    if before is not None and before.numeric is not None and now.numeric is not None:
        unit = estimate_unit(before.numeric, now.numeric, spec.unit if spec is not None else None)
        if unit is not None:
            means = f"mean {now.numeric.mean:g} vs {before.numeric.mean:g}"
            shift = f" plus {unit.offset:g}" if unit.offset else ""
            scaled = f"scaled by {unit.factor:g}{shift}" if unit.factor else "no longer in its unit"
            note = f"values {scaled} ({means})" + (f": {unit.note}" if unit.note else "")
            found.append(
                make_detection(
                    contract,
                    current,
                    "unit_change",
                    path,
                    factor=unit.factor,
                    offset=unit.offset or None,
                    confidence=unit.confidence,
                    note=note,
                )
            )
    changed = _type_change(spec, before, now)
    if changed is not None and not (unit is not None and changed == ("integer", "number")):
        old, new = changed
        encodings = ", ".join(sorted(now.encodings)) or new
        note = f"values changed type from {old} to {new} ({encodings})"
        found.append(
            make_detection(
                contract, current, "type_change", path, from_=old, to=new, note=note, type_=new
            )
        )
    if spec is not None and spec.enum is not None and changed is None:
        allowed = {canonical(v) for v in spec.enum}
        for text in now.top:
            if text not in allowed:
                value = _restore(text, now)
                found.append(
                    make_detection(
                        contract,
                        current,
                        "enum_new_value",
                        path,
                        value=value,
                        note=f"value outside the enum {spec.enum}",
                    )
                )
    return found


def _type_change(
    spec: ContractField | None, before: FieldProfile | None, now: FieldProfile
) -> tuple[str, str] | None:
    if before is not None and before.types:
        old_types = set(before.types)
        old = before.dominant_type() or "null"
    elif spec is not None:
        old_types = set(ACCEPTED_TYPES[spec.type])
        old = spec.type
    else:
        return None
    old_groups = {_GROUP.get(t, t) for t in old_types}
    new = [t for t in now.types if _GROUP.get(t, t) not in old_groups]
    if not new and "number" in now.types and "number" not in old_types:
        integer_only = (spec.type == "integer") if spec is not None else True
        new = ["number"] if integer_only else []
    if not new:
        return None
    return old, max(new, key=now.types.__getitem__)


def _restore(text: str, profile: FieldProfile) -> JsonValue:
    if profile.dominant_type() in ("integer", "number", "boolean"):
        try:
            return orjson.loads(text)  # type: ignore[no-any-return]
        except orjson.JSONDecodeError:
            return text
    return text
