"""make_detection: a Detection with its evidence drawn from the batch profile, PII redacted."""

from __future__ import annotations

from core.contracts import Contract
from core.models import Detection, Evidence
from tools.contracts.check import REDACTED
from tools.profiling.batch_profile import BatchProfile


def make_detection(
    contract: Contract,
    current: BatchProfile,
    kind: str,
    path: str,
    *,
    field: str | None = None,
    note: str = "",
    redact: bool = False,
    count: int | None = None,
    type_: str | None = None,
    **values: object,
) -> Detection:
    """A `kind` detection about `path` of `current`, with counts, examples and first position.

    `field` names the field the detection is about when it differs from `path` (a rename is
    about the old field, its evidence comes from the new one); `type_` picks the first
    position of values of that JSON type.
    """
    profile = current.fields.get(path)
    spec = contract.field(field or path)
    pii = redact or (spec is not None and spec.pii)
    examples = list(profile.examples[:3]) if profile is not None else []
    position = None
    if profile is not None:
        position = profile.first.get(type_ or "present", profile.first.get("present"))
    evidence = Evidence(
        count=count if count is not None else (profile.valued if profile is not None else 0),
        total=current.total,
        examples=[REDACTED] * len(examples) if pii else examples,
        first_offset=position.offset if position is not None else None,
        first_partition=position.partition if position is not None else None,
        note=f"{field or path}: {note}",
    )
    if "value" in values and pii:
        values["value"] = REDACTED
    return Detection(kind=kind, field=field or path, evidence=evidence, **values)
