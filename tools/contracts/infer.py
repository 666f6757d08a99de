"""infer_contract: a DRAFT contract from a sample of a topic's events, for a human to review.

The sample is profiled with tools.profiling.profile_batch.profile_batch; each field path becomes
a field. The rules, which only describe the sample:

- type: the JSON type of the non-null values (integers mixed with decimals are numbers);
  strings that are all ISO timestamps are `timestamp`, all ISO dates `date`; numbers that all
  look like epoch seconds/millis/micros are `timestamp` only when the name says time
  (`*_at`, `*_time`, `ts`, `timestamp`, ...). Mixed types keep the most frequent one and say
  so in the description; a field that is always null is a string marked "type unknown".
- required: present and non-null in every sampled event.
- enum: a string field with at most ENUM_MAX_VALUES distinct values over at least
  ENUM_MIN_SAMPLES non-null values, each value seen ENUM_MIN_REPEATS times on average (so a
  handful of free-text values never becomes an enum).
- min: 0 for a numeric field never negative over at least ENUM_MIN_SAMPLES values; the sample's
  range goes into the description, never into max (the next event may well be larger).
- pii: a name like email/phone/ssn/iban/address/birth..., or strings shaped like e-mail addresses.
- key: a required top-level string/integer field whose name looks like an id (`id`, `*_id`,
  `*Id`, `*_key`, `*uuid`) and whose values are all distinct in the sample; `id` first,
  then `<dataset singular>_id`, then the first in field order. It is marked unique.
- event_time: a required top-level timestamp field; names in EVENT_TIME_NAMES first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from core.contracts import Contract, ContractField, FieldType, Scalar
from core.errors import ToolError
from tools.profiling.batch_profile import BatchProfile, FieldProfile
from tools.profiling.profile_batch import RawEvent, profile_batch

ENUM_MAX_VALUES = 10
ENUM_MIN_SAMPLES = 20
ENUM_MIN_REPEATS = 3
EVENT_TIME_NAMES = ("event_time", "occurred_at", "created_at", "timestamp", "event_ts", "ts")
_ID_NAME = re.compile(r"(^id$|_id$|[a-z]Id$|_key$|uuid$)")
_TIME_NAME = re.compile(r"(_at$|_time$|_ts$|^ts$|timestamp|^time$|_date$)", re.IGNORECASE)
_PII_NAME = re.compile(
    r"(e_?mail|phone|mobile|ssn|social_security|iban|passport|birth|first_name|last_name|"
    r"full_name|street|ip_address)",
    re.IGNORECASE,
)
_EPOCH_UNITS = {
    "epoch_seconds": "seconds",
    "epoch_millis": "milliseconds",
    "epoch_micros": "micros",
}


class DraftContract(BaseModel):
    """An inferred contract with how much it saw, for the draft's header."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contract: Contract
    sampled: int
    rejected: int


def infer_contract(events: Sequence[RawEvent], dataset: str) -> DraftContract:
    """A draft contract for `dataset` from sampled raw events (JSON bytes or dicts).

    >>> draft = infer_contract([{"id": i, "at": "2026-01-01T00:00:00Z"} for i in range(3)], "t")
    >>> [(f.name, f.type, f.required) for f in draft.contract.fields], draft.contract.key
    ([('id', 'integer', True), ('at', 'timestamp', True)], 'id')
    """
    profile = profile_batch(events)
    if profile.total == 0:
        raise ToolError(
            f"none of the {len(events)} sampled events of {dataset!r} is a JSON object; "
            "infer needs JSON events (produce some, or sample more)"
        )
    fields = [_field(p, profile.total) for p in profile.fields.values()]
    key = _key(fields, profile, dataset)
    if key is not None:
        fields = [f.model_copy(update={"unique": True}) if f.name == key else f for f in fields]
    contract = Contract(dataset=dataset, fields=fields, key=key, event_time=_event_time(fields))
    return DraftContract(contract=contract, sampled=profile.total, rejected=profile.rejected)


def draft_header(draft: DraftContract, source: str) -> str:
    """The comment that marks a written draft as such and says what it rests on."""
    lines = [
        f"DRAFT data contract inferred by `suture contracts infer` from {draft.sampled} events",
        f"of {source}. It describes only that sample: review every type, required flag, enum,",
        "key and event_time before relying on it, then delete this header.",
    ]
    if draft.rejected:
        lines.append(f"{draft.rejected} sampled events were not JSON objects and were skipped.")
    return "\n".join(lines)


def _field(profile: FieldProfile, total: int) -> ContractField:
    kind, notes = _type(profile)
    required = profile.present == total and profile.nulls == 0
    low: float | None = None
    numeric = profile.numeric
    if kind in ("integer", "number") and numeric is not None and numeric.count:
        notes.append(f"sample range {_number(numeric.min)} to {_number(numeric.max)}")
        if numeric.min >= 0 and numeric.count >= ENUM_MIN_SAMPLES:
            low = 0.0
    if not required and profile.present:
        share = profile.valued / total
        notes.append(f"carried a value in {share:.0%} of sampled events")
    return ContractField(
        name=profile.path,
        type=kind,
        required=required,
        description="; ".join(notes) or None,
        min=low,
        enum=_enum(profile, kind),
        pii=_looks_personal(profile),
    )


def _type(profile: FieldProfile) -> tuple[FieldType, list[str]]:
    types = dict(profile.types)
    types.pop("null", None)
    if not types:
        return "string", ["always null in the sample: type unknown, set it"]
    notes: list[str] = []
    if set(types) == {"integer", "number"}:
        types = {"number": sum(types.values())}
    if len(types) > 1:
        seen = ", ".join(f"{name} {count}" for name, count in sorted(types.items()))
        notes.append(f"mixed types in the sample ({seen}): check the producer")
    dominant = max(types, key=types.__getitem__)
    encodings = set(profile.encodings)
    if dominant == "string" and encodings and encodings <= {"iso_timestamp", "iso_date"}:
        return ("timestamp" if "iso_timestamp" in encodings else "date"), notes
    if dominant in ("integer", "number") and len(encodings) == 1:
        unit = _EPOCH_UNITS.get(next(iter(encodings)))
        if unit is not None and _TIME_NAME.search(profile.path.rsplit(".", 1)[-1]):
            return "timestamp", [*notes, f"epoch {unit} on the wire"]
    return dominant, notes  # type: ignore[return-value]


def _enum(profile: FieldProfile, kind: FieldType) -> list[Scalar] | None:
    if kind != "string" or profile.top_overflow or "string" not in profile.types:
        return None
    distinct = len(profile.top)
    name = profile.path.rsplit(".", 1)[-1]
    enough = profile.valued >= max(ENUM_MIN_SAMPLES, ENUM_MIN_REPEATS * distinct)
    if distinct == 0 or distinct > ENUM_MAX_VALUES or not enough or _ID_NAME.search(name):
        return None
    values: list[Scalar] = []
    values.extend(sorted(profile.top))
    return values


def _looks_personal(profile: FieldProfile) -> bool:
    name = profile.path.rsplit(".", 1)[-1]
    return bool(_PII_NAME.search(name)) or any("@" in shape for shape in profile.shapes)


def _key(fields: list[ContractField], profile: BatchProfile, dataset: str) -> str | None:
    candidates = []
    for field in fields:
        found = profile.fields[field.name]
        unique = found.duplicates == 0 and found.valued == profile.total > 1
        plain = "." not in field.name and field.type in ("string", "integer")
        if field.required and unique and plain and _ID_NAME.search(field.name):
            candidates.append(field.name)
    stem = dataset.rsplit(".", 1)[-1].lower()
    preferred = ("id", f"{stem.removesuffix('s')}_id", f"{stem}_id")
    for name in (*preferred, *candidates):
        if name in candidates:
            return name
    return None


def _event_time(fields: list[ContractField]) -> str | None:
    times = [f.name for f in fields if f.type == "timestamp" and f.required and "." not in f.name]
    for name in (*EVENT_TIME_NAMES, *times):
        if name in times:
            return name
    return None


def _number(value: float) -> str:
    """A number as short text, integers without a decimal point.

    >>> _number(1767261600000.0), _number(2.5)
    ('1767261600000', '2.5')
    """
    return str(int(value)) if value.is_integer() else f"{value:.6g}"
