"""check_batch: each event's violations of its data contract, for quarantine decisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, JsonValue

from core.contracts import Contract, ContractField
from tools.contracts.screen import contract_suspects
from tools.profiling.batch_profile import Reject
from tools.profiling.profile_batch import RawEvent, decode_events, flatten
from tools.profiling.value_encoding import json_type, string_encoding

REDACTED = "<redacted>"
_PLAIN_LIMIT = 4096  # value-less violations kept for reuse per checker

Rule = Literal[
    "malformed",
    "missing_required",
    "null_required",
    "wrong_type",
    "not_in_enum",
    "below_min",
    "above_max",
    "unknown_field",
]

# Contract type -> JSON types that may carry it (timestamps as ISO text or epoch numbers).
ACCEPTED_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset({"string"}),
    "integer": frozenset({"integer"}),
    "number": frozenset({"integer", "number"}),
    "boolean": frozenset({"boolean"}),
    "timestamp": frozenset({"string", "integer", "number"}),
    "date": frozenset({"string"}),
    "object": frozenset({"object"}),
    "array": frozenset({"array"}),
}
_TEXT_ENCODINGS = {
    "timestamp": frozenset({"iso_timestamp", "iso_date"}),
    "date": frozenset({"iso_date"}),
}


class Violation(BaseModel):
    """One way an event breaks its contract; the value is redacted for PII fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str | None = None
    rule: Rule
    detail: str
    value: JsonValue = None


class ContractChecker:
    """A contract compiled for checking many events quickly."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.fields = [f for f in contract.fields if f.type != "object"]
        self.objects = [f for f in contract.fields if f.type == "object" and f.required]
        self.known = set(contract.field_names)
        for name in contract.field_names:
            parts = name.split(".")
            self.known.update(".".join(parts[:i]) for i in range(1, len(parts)))
        self.open_objects = tuple(f"{f.name}." for f in contract.fields if f.type == "object")
        self._plain: dict[tuple[str, Rule, str], Violation] = {}

    def check(self, event: Mapping[str, object]) -> list[Violation]:
        """The violations of one decoded event (an empty list when it conforms).

        >>> from core.contracts import Contract
        >>> c = Contract(dataset="t", fields=[{"name": "id", "type": "integer", "required": True}])
        >>> [v.rule for v in ContractChecker(c).check({"id": "7", "x": 1})]
        ['wrong_type', 'unknown_field']
        """
        flat = flatten(event)
        found: list[Violation] = []
        for spec in self.objects:
            if not any(name.startswith(f"{spec.name}.") for name in flat):
                found.extend(self._field(spec, flat.get(spec.name, _ABSENT)))
        for spec in self.fields:
            value = flat.get(spec.name, _ABSENT)
            found.extend(self._field(spec, value))
        for name in flat:
            if name not in self.known and not name.startswith(self.open_objects):
                found.append(self._valueless(name, "unknown_field", "not in contract"))
        return found

    def _valueless(self, field: str, rule: Rule, detail: str) -> Violation:
        """A violation without a value; frozen, so one instance serves every event it fits."""
        key = (field, rule, detail)
        found = self._plain.get(key)
        if found is None:
            if len(self._plain) >= _PLAIN_LIMIT:  # unknown names are unbounded: start afresh
                self._plain.clear()
            found = self._plain[key] = Violation(field=field, rule=rule, detail=detail)
        return found

    def _field(self, spec: ContractField, value: object) -> list[Violation]:
        if value is _ABSENT or value is None:
            if not spec.required:
                return []
            rule: Rule = "missing_required" if value is _ABSENT else "null_required"
            return [self._valueless(spec.name, rule, "required field has no value")]
        shown = REDACTED if spec.pii else value
        kind = json_type(value)
        if kind not in ACCEPTED_TYPES[spec.type] or not _text_fits(spec, value):
            detail = f"expected {spec.type}, got {kind}"
            return [Violation(field=spec.name, rule="wrong_type", detail=detail, value=shown)]
        found: list[Violation] = []
        if spec.enum is not None and value not in spec.enum:
            found.append(
                Violation(
                    field=spec.name, rule="not_in_enum", detail="value outside enum", value=shown
                )
            )
        if kind in ("integer", "number"):
            number: float = value  # type: ignore[assignment]
            if spec.min is not None and number < spec.min:
                detail = f"below min {spec.min}"
                found.append(
                    Violation(field=spec.name, rule="below_min", detail=detail, value=shown)
                )
            if spec.max is not None and number > spec.max:
                detail = f"above max {spec.max}"
                found.append(
                    Violation(field=spec.name, rule="above_max", detail=detail, value=shown)
                )
        return found


class _Absent:
    """The value of a field an event does not carry."""


_ABSENT = _Absent()


def _text_fits(spec: ContractField, value: object) -> bool:
    encodings = _TEXT_ENCODINGS.get(spec.type)
    if encodings is None or type(value) is not str:
        return True
    return string_encoding(value) in encodings


def check_batch(contract: Contract, events: Sequence[RawEvent]) -> list[list[Violation]]:
    """Violations per event, aligned with `events`; undecodable events get one `malformed`.

    >>> from core.contracts import Contract
    >>> c = Contract(dataset="t", fields=[{"name": "n", "type": "integer", "min": 0}])
    >>> [[v.rule for v in found] for found in check_batch(c, [b'{"n": 1}', b'{"n": -1}', b'{'])]
    [[], ['below_min'], ['malformed']]
    """
    decoded, indices, rejects = decode_events(events)
    return check_decoded(contract, decoded, indices, rejects, len(events))


def check_decoded(
    contract: Contract | ContractChecker,
    decoded: list[dict[str, object]],
    indices: Sequence[int],
    rejects: Sequence[Reject],
    size: int,
) -> list[list[Violation]]:
    """check_batch for a batch of `size` events already split by `decode_events` (decode once).

    Columns are screened first (tools.contracts.screen); only the rows the screen cannot clear
    are judged event by event, so a conforming batch costs a few C-level passes per field.
    """
    checker = contract if isinstance(contract, ContractChecker) else ContractChecker(contract)
    results: list[list[Violation]] = [[] for _ in range(size)]
    for row in contract_suspects(checker, decoded):
        results[indices[row]] = checker.check(decoded[row])
    for reject in rejects:
        results[reject.index] = [Violation(rule="malformed", detail=reject.reason)]
    return results
