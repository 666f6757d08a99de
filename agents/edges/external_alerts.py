"""ExternalAlert: the one JSON shape in which other tools report problems to suture.

Great Expectations, Soda, Burrow, a schema registry or a cron script POST this to `/alerts`;
its JSON Schema is served at `GET /alerts/schema`. suture turns it into an `AlertRaised`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from core.models import (
    DRIFT_KINDS,
    QUALITY_KINDS,
    AlertCategory,
    AlertRaised,
    DatasetName,
    Detection,
    DetectionKind,
    Evidence,
    LagStatus,
)

_MAX_NOTE = 4000
KNOWN_TOOLS = ("great_expectations", "soda", "burrow", "schema_registry", "dbt", "custom")


class ExternalAlert(BaseModel):
    """A problem another tool saw on a topic, in suture's detection vocabulary."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        title="ExternalAlert",
        json_schema_extra={
            "examples": [
                {
                    "tool": "schema_registry",
                    "dataset": "orders",
                    "kind": "rename",
                    "field": "cust_id",
                    "to": "customer_id",
                    "external_id": "orders-value-v7",
                    "summary": "Subject orders-value registered version 7.",
                },
                {
                    "tool": "great_expectations",
                    "dataset": "payments",
                    "kind": "null_spike",
                    "field": "amount",
                    "rate": 0.42,
                    "observed_count": 420,
                    "observed_total": 1000,
                },
            ]
        },
    )

    tool: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description=f"The tool that saw it, e.g. one of {', '.join(KNOWN_TOOLS)}.",
    )
    dataset: DatasetName = Field(description="The Kafka topic affected.")
    kind: DetectionKind = Field(description="What kind of problem: a suture detection kind.")
    field: str | None = Field(
        default=None, max_length=500, description="The field affected; dotted for nesting."
    )
    to: str | list[str] | None = Field(
        default=None, description="rename/split/merge/type_change: the new field(s) or type."
    )
    from_: str | None = Field(
        default=None, alias="from", description="type_change/unit_change: the old type or unit."
    )
    value: JsonValue = Field(default=None, description="enum_new_value/out_of_range: the value.")
    rate: float | None = Field(default=None, ge=0, description="null_spike/duplicates: share.")
    factor: float | None = Field(default=None, description="unit_change: new = old * factor.")
    seconds: float | None = Field(default=None, ge=0, description="freshness/lag: seconds late.")
    status: LagStatus | None = Field(default=None, description="lag: Burrow's partition status.")
    partition: int | None = Field(default=None, ge=0, description="lag: the partition.")
    confidence: float = Field(default=1.0, ge=0, le=1, description="How sure the tool is.")
    observed_count: int = Field(default=0, ge=0, description="Events that show the problem.")
    observed_total: int = Field(default=0, ge=0, description="Events the tool looked at.")
    examples: list[JsonValue] = Field(
        default_factory=list, max_length=20, description="A few example values (no PII)."
    )
    summary: str = Field(default="", max_length=2000, description="One sentence, for humans.")
    details: dict[str, JsonValue] = Field(
        default_factory=dict, description="Anything else the tool reports; kept, not parsed."
    )
    observed_at: AwareDatetime | None = Field(
        default=None, description="When the tool saw it (ISO 8601 with zone); default: now."
    )
    external_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The tool's own id for this alert; the same id POSTed twice is one alert.",
    )

    def category(self) -> AlertCategory:
        """drift, quality or lag, from the kind."""
        if self.kind in DRIFT_KINDS:
            return "drift"
        return "quality" if self.kind in QUALITY_KINDS else "lag"

    def event_id(self) -> str | None:
        """A stable event id when the tool gave its own id (so retries deduplicate)."""
        if self.external_id is None:
            return None
        text = f"{self.tool}\n{self.dataset}\n{self.external_id}"
        return "ext-" + hashlib.sha256(text.encode()).hexdigest()[:32]

    def _note(self) -> str:
        if not self.details:
            return self.summary
        details = json.dumps(self.details, sort_keys=True, ensure_ascii=False)
        return f"{self.summary} details: {details}".strip()[:_MAX_NOTE]

    def to_alert(self) -> AlertRaised:
        """The AlertRaised suture's agents act on."""
        detection = Detection(
            kind=self.kind,
            field=self.field,
            to=self.to,
            from_=self.from_,
            value=self.value,
            rate=self.rate,
            factor=self.factor,
            seconds=self.seconds,
            status=self.status,
            partition=self.partition,
            confidence=self.confidence,
            evidence=Evidence(
                count=self.observed_count,
                total=self.observed_total,
                examples=list(self.examples),
                note=self._note(),
            ),
        )
        return AlertRaised(
            event_id=self.event_id() or uuid.uuid4().hex,
            occurred_at=self.observed_at or datetime.now(UTC),
            source=f"external:{self.tool}",
            category=self.category(),
            dataset=self.dataset,
            detections=[detection],
            summary=self.summary or f"{self.tool} reported {self.kind} on {self.dataset}",
        )
