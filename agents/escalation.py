"""What an escalation says: the candidates considered for each undecided field, and why each
was refused, so a human starts from the evidence instead of "nothing carries X"."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from core.models import AlertRaised, IncidentEscalated, Refusal, SchemaMapping, ValidationReport
from tools.healing.mapping import MappingInference


def undecided(inference: MappingInference) -> bool:
    """Whether some field is left ambiguous or without any candidate."""
    return bool(inference.ambiguous or inference.unresolved)


def candidates(inference: MappingInference) -> list[str]:
    """Every candidate considered for an undecided field: those left and those refused."""
    open_fields = set(inference.ambiguous) | set(inference.unresolved)
    found = [c for options in inference.ambiguous.values() for c in options]
    found += [r.candidate for r in inference.refused if r.field in open_fields]
    return list(dict.fromkeys(found)) or list(inference.unresolved)


def why_undecided(inference: MappingInference) -> str:
    """The incident's reason: per undecided field, the candidates left or refused, and why."""
    parts = []
    for old, options in inference.ambiguous.items():
        said = (
            f"{old!r} could be any of {options}"
            if len(options) > 1
            else f"{old!r} has one candidate left, {options[0]!r}, not decisive on its own"
        )
        parts.append(said + refusals_of(inference, old, "; refused: "))
    for old in inference.unresolved:
        refused = [r for r in inference.refused if r.field == old]
        if not refused:
            parts.append(f"nothing in the new events carries {old!r}")
            continue
        said = f"{len(refused)} candidates for {old!r} were refused: "
        parts.append(refusals_of(inference, old, said))
    return "no safe automatic fix: " + "; ".join(parts)


def refusals_of(inference: MappingInference, old: str, lead: str) -> str:
    """`lead` then each refused candidate for `old` with its reason; empty when none was."""
    refused = [f"{r.candidate} ({r.reason})" for r in inference.refused if r.field == old]
    return lead + "; ".join(refused) if refused else ""


def refused_by_validation(mapping: SchemaMapping, report: ValidationReport) -> list[Refusal]:
    """Each mapped field's candidate, refused for the validation checks that name it (or all)."""
    failures = report.failures()
    refused = []
    for entry in mapping.entries:
        named = [c for c in failures if entry.source in c.detail] or failures
        reason = "; ".join(f"{c.name}: {c.detail}" for c in named)
        refused.append(Refusal(field=entry.source, candidate=entry.target, reason=reason))
    return refused


def escalate(
    alert: AlertRaised,
    reason: str,
    candidates: Sequence[str] = (),
    llm_calls: int = 0,
    refused: Sequence[Refusal] = (),
) -> IncidentEscalated:
    """The incident for `alert`: the reason, every candidate considered, those refused and why."""
    # One incident per alert: a redelivered alert re-derives the same id, which the store dedups.
    incident_id = hashlib.sha256(f"incident:{alert.event_id}".encode()).hexdigest()[:32]
    return IncidentEscalated(
        event_id=incident_id,
        alert_id=alert.event_id,
        dataset=alert.dataset,
        reason=reason,
        candidates=list(candidates),
        refused=list(refused),
        llm_calls=llm_calls,
    )
