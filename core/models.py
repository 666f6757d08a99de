"""Events, detections, mappings and proposals: the typed values agents exchange.

Every event is JSON on the wire with a `type` discriminator and a `schema_version`.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, model_validator

from core.contracts import Contract, FileText

SCHEMA_VERSION = 1

# A topic or table name: no control characters (a NUL cannot even be stored by PostgreSQL).
DatasetName = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[^\x00-\x1f\x7f]+$")]

DetectionKind = Literal[
    "add",
    "remove",
    "rename",
    "type_change",
    "unit_change",
    "enum_new_value",
    "nullability",
    "nesting",
    "split",
    "merge",
    "null_spike",
    "duplicates",
    "out_of_range",
    "freshness",
    "lag",
]
DRIFT_KINDS: frozenset[str] = frozenset(
    {
        "add",
        "remove",
        "rename",
        "type_change",
        "unit_change",
        "enum_new_value",
        "nullability",
        "nesting",
        "split",
        "merge",
    }
)
QUALITY_KINDS: frozenset[str] = frozenset({"null_spike", "duplicates", "out_of_range", "freshness"})
LagStatus = Literal["OK", "WARN", "STALL", "STOP", "ERR"]
AlertCategory = Literal["drift", "quality", "lag"]
Origin = Literal["rules", "llm", "kb"]


def _new_id() -> str:
    return uuid.uuid4().hex


def proposal_id_for(alert_id: str) -> str:
    """The id of the one proposal an alert may have: the same on every delivery of the alert,
    so a healer that crashed after committing its branch finds that branch again.

    >>> proposal_id_for("a1") == proposal_id_for("a1") != proposal_id_for("a2")
    True
    """
    return hashlib.sha256(f"proposal:{alert_id}".encode()).hexdigest()[:32]


def _now() -> datetime:
    return datetime.now(UTC)


class Evidence(BaseModel):
    """What a detector saw: counts, example values (redacted for PII), where it started."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = Field(default=0, ge=0, description="Events that show the change.")
    total: int = Field(default=0, ge=0, description="Events looked at.")
    examples: list[JsonValue] = Field(default_factory=list, description="A few example values.")
    first_offset: int | None = None
    first_partition: int | None = None
    note: str = Field(default="", description="One sentence: exactly what changed.")


class Detection(BaseModel):
    """One finding of a monitor, in the vocabulary of the scenario format's detection table."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    kind: DetectionKind
    field: str | None = None
    to: str | list[str] | None = None
    from_: str | None = Field(default=None, alias="from")
    factor: float | None = None
    offset: float | None = Field(
        default=None, description="unit_change only: new = old * factor + offset (temperatures)."
    )
    value: JsonValue = None
    rate: float | None = None
    seconds: float | None = None
    status: LagStatus | None = None
    partition: int | None = None
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    evidence: Evidence = Field(default_factory=Evidence)

    def identity(self) -> tuple[str, str | None, str | None]:
        """What makes two detections the same change (for dedup and flap suppression)."""
        to = ",".join(self.to) if isinstance(self.to, list) else self.to
        return (self.kind, self.field, to)


class EventBase(BaseModel):
    """Fields every event on a suture topic carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(default_factory=_new_id)
    schema_version: int = SCHEMA_VERSION
    occurred_at: datetime = Field(default_factory=_now)


class DeclaredRename(BaseModel):
    """A field the producer's schema says was renamed: an Avro alias naming the old field, or a
    Protobuf field keeping its number under a new name. Evidence, not a guess."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    old: str = Field(description="The field's name in the previous schema version.")
    new: str = Field(description="Its name in the new schema version.")
    declared_by: Literal["avro_alias", "protobuf_field_number"]


class SchemaChange(BaseModel):
    """A topic's messages switched to a schema id suture had not seen there: what the registry
    says about the two versions, and what suture concludes from comparing them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str = Field(description="The registry subject, e.g. `orders-value`.")
    schema_type: Literal["AVRO", "PROTOBUF", "JSON"]
    old_schema_id: int
    new_schema_id: int
    old_version: int | None = Field(default=None, description="Version under the subject.")
    new_version: int | None = None
    declared_renames: list[DeclaredRename] = Field(default_factory=list)
    verdict: Literal["compatible", "breaking", "unknown"] = Field(
        description="suture's verdict: breaking when readers of the old version lose a field, "
        "see a type change or a new required field (a declared rename still breaks SQL); "
        "unknown when the schemas cannot be read as contracts."
    )
    reasons: list[str] = Field(default_factory=list, description="Why, one line per change.")
    registry_verdict: Literal["compatible", "incompatible", "unknown"] = Field(
        default="unknown", description="The registry's compatibility check of new against old."
    )
    registry_detail: str = Field(default="", description="The registry's messages, or why none.")


class AlertRaised(EventBase):
    """A monitor, or an outside tool, saw something wrong with a topic."""

    type: Literal["alert.raised"] = "alert.raised"
    source: str = Field(min_length=1, description="Who raised it: a suture monitor or a tool.")
    category: AlertCategory
    dataset: DatasetName = Field(description="The topic the alert is about.")
    detections: list[Detection] = Field(min_length=1)
    summary: str = ""
    contract_fingerprint: str | None = None
    related_alert_ids: list[str] = Field(default_factory=list)
    schema_change: SchemaChange | None = Field(
        default=None, description="The registry schema change seen with this alert, if any."
    )

    def signature(self) -> str:
        """Stable hash of what changed (not when), the key of the verified-fix cache."""
        parts = sorted("|".join(str(p) for p in d.identity()) for d in self.detections)
        text = self.dataset + "\n" + "\n".join(parts)
        return hashlib.sha256(text.encode()).hexdigest()[:24]


class FieldMapping(BaseModel):
    """How an old field is computed from the new events: a field name or an SQL expression."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="The field the models read before the change.")
    target: str = Field(description="New field name, or an SQL expression over the new event.")
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    rationale: str = ""
    origin: Origin = "rules"


class SchemaMapping(BaseModel):
    """All field mappings of one fix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: list[FieldMapping] = Field(default_factory=list)

    def as_dict(self) -> dict[str, str]:
        """Old field -> new field or expression, as the scenario format writes it."""
        return {m.source: m.target for m in self.entries}


RecipeKind = Literal["dedup_on_key"]


class Recipe(BaseModel):
    """A patch recipe beyond column substitution, re-derived and re-checked by validation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RecipeKind
    dataset: str = Field(description="The topic whose table the recipe rewrites.")
    key: str = Field(description="dedup_on_key: the declared key kept once per value.")
    columns: list[str] = Field(
        default_factory=list, description="Top-level columns the rewritten table keeps."
    )
    order_by: str | None = Field(
        default=None, description="Which redelivery is kept: the first by this field."
    )


class ModelPatch(BaseModel):
    """One model's SQL before and after a fix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    path: str | None = None
    dialect: str = "duckdb"
    before_sql: str
    after_sql: str
    template_before: str | None = Field(
        default=None, description="The model file's text before, when it is a template (dbt)."
    )
    template_after: str | None = Field(
        default=None,
        description="The model file's text after, a template that renders to after_sql.",
    )

    recipe: Recipe | None = Field(
        default=None, description="The recipe that made this patch, when not a substitution."
    )

    @property
    def file_text(self) -> str:
        """What the model's file holds after the fix: the template, or the SQL itself."""
        return self.template_after if self.template_after is not None else self.after_sql


class CheckResult(BaseModel):
    """The outcome of one validation check (an invariant, a replay comparison, a guardrail)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    passed: bool
    detail: str = ""


class ValidationReport(BaseModel):
    """Everything checked before a proposal reaches a human."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    checks: list[CheckResult] = Field(default_factory=list)
    replayed_events: int = 0

    @property
    def passed(self) -> bool:
        """True when every check passed (and there was at least one)."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    def failures(self) -> list[CheckResult]:
        """The checks that failed."""
        return [c for c in self.checks if not c.passed]


class Verdict(BaseModel):
    """A guardrail's decision about one action."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str = ""
    allowed: bool
    reason: str = ""

    @classmethod
    def allow(cls, rule: str = "") -> Self:
        """The action may go on."""
        return cls(rule=rule, allowed=True)

    @classmethod
    def block(cls, reason: str, rule: str = "") -> Self:
        """The action must not happen, because of `reason`."""
        return cls(rule=rule, allowed=False, reason=reason)


class FixProposed(EventBase):
    """A validated patch waits for a human: the pull request on the pipeline repository."""

    type: Literal["fix.proposed"] = "fix.proposed"
    proposal_id: str = Field(default_factory=_new_id)
    alert_id: str
    dataset: DatasetName
    signature: str
    mapping: SchemaMapping
    patches: list[ModelPatch] = Field(default_factory=list)
    contract_file: FileText | None = Field(
        default=None,
        description="The file declaring the contract, rewritten for `contract`, when it is not "
        "a suture contract file (a dbt project's source YAML).",
    )
    contract: Contract | None = Field(
        default=None, description="The topic's contract updated to the new events, if it changes."
    )
    validation: ValidationReport
    branch: str | None = None
    commit: str | None = None
    base: str | None = Field(
        default=None,
        description="The default branch's commit the proposal was made and validated on; its "
        "commit's parent, so a branch that moved meanwhile is revalidated before any merge.",
    )
    supersedes: str | None = Field(
        default=None,
        description="The pending proposal this one replaces, on the same branch and pull request.",
    )
    title: str
    description: str = Field(description="The pull request body: evidence, mapping, diff, checks.")
    origin: Origin = "rules"
    llm_calls: int = 0

    @model_validator(mode="after")
    def _changes_something(self) -> FixProposed:
        if not self.patches and self.contract is None:
            raise ValueError("a proposal changes at least one model or the contract")
        return self


class Refusal(BaseModel):
    """A candidate considered for an old field, and why it was refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(description="The old field the candidate would have computed.")
    candidate: str = Field(description="The expression over the new events that was tried.")
    reason: str = Field(description="Why it was refused: the check that failed, in a sentence.")


class IncidentEscalated(EventBase):
    """No safe automatic fix exists: a human must decide."""

    type: Literal["incident.escalated"] = "incident.escalated"
    alert_id: str
    dataset: DatasetName
    reason: str
    candidates: list[str] = Field(default_factory=list)
    refused: list[Refusal] = Field(
        default_factory=list, description="Every candidate considered and why it was refused."
    )
    llm_calls: int = 0


class FixApproved(EventBase):
    """A reviewer approved a proposal."""

    type: Literal["fix.approved"] = "fix.approved"
    proposal_id: str
    reviewer: str = "reviewer"


class FixApplied(EventBase):
    """An approved fix was merged into the pipeline repository."""

    type: Literal["fix.applied"] = "fix.applied"
    proposal_id: str
    alert_id: str
    dataset: DatasetName
    merge_commit: str | None = None
    models: list[str] = Field(default_factory=list)
    contract: Contract | None = Field(
        default=None, description="The topic's contract as the fix left it, if the fix changed it."
    )


class DeadLetter(BaseModel):
    """A message suture could not use, kept with the reason: nothing is lost."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    value: str = Field(
        description="The original payload: its UTF-8 text, or base64 when it is not UTF-8 (see "
        "`encoding`); only a preview of its start when `payload_ref` is set."
    )
    reason: str
    error_type: str
    at: datetime = Field(default_factory=_now)
    encoding: Literal["utf-8", "base64"] = "utf-8"
    payload_ref: str | None = Field(
        default=None,
        description="Where the whole payload is kept when it was too large to travel in the "
        "record (e.g. `blob:sha256:<hex>`); `value` is then a preview.",
    )
    payload_bytes: int | None = Field(default=None, description="Size of the whole payload.")

    @classmethod
    def of_payload(cls, raw: bytes, **fields: object) -> Self:
        """A dead letter that keeps `raw` exactly: as text when it is UTF-8, else as base64.

        >>> DeadLetter.of_payload(b"\\xff", topic="t", reason="r", error_type="E").value
        '/w=='
        """
        try:
            return cls(value=raw.decode("utf-8"), **fields)
        except UnicodeDecodeError:
            text = base64.b64encode(raw).decode("ascii")
            return cls(value=text, encoding="base64", **fields)

    def payload(self) -> bytes:
        """The payload's bytes as far as this letter holds them (a preview if `payload_ref`)."""
        if self.encoding == "base64":
            return base64.b64decode(self.value)
        return self.value.encode("utf-8")


class HeldEvent(BaseModel):
    """An event's bytes, published unchanged beside its dataset's topic: a quarantined copy of
    an event that broke its contract, or the replay of one once a fix is applied."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["quarantine", "replay"]
    dataset: DatasetName
    value: bytes
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


Event = Annotated[
    AlertRaised | FixProposed | IncidentEscalated | FixApproved | FixApplied,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


class StoredRecord(BaseModel):
    """A record as it sits on a topic: its position, key, bytes and headers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partition: int
    offset: int
    key: bytes | None = None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()

    def header(self, name: str) -> str | None:
        """The first header called `name`, as text."""
        found = next((v for k, v in self.headers if k == name), None)
        return None if found is None else found.decode("utf-8", errors="replace")


class PartitionOffsets(BaseModel):
    """One partition of a topic as a consumer group sees it at one moment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str
    partition: int = Field(ge=0)
    end: int = Field(ge=0, description="High watermark: the offset the next message will get.")
    committed: int | None = Field(default=None, description="The group's next offset to read.")
