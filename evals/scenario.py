"""Pydantic models of one eval scenario file, exactly as the scenario format defines it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.contracts import Contract, Pipeline
from core.models import DetectionKind, LagStatus

Outcome = Literal["fix", "escalate", "no_action"]
Row = dict[str, Any]

# Which attributes each detection kind must carry in an expectation (the spec's table);
# the others stay optional, because matching is exact only on kind, field and `to`.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "add": ("field",),
    "remove": ("field",),
    "rename": ("field", "to"),
    "type_change": ("field",),
    "unit_change": ("field",),
    "enum_new_value": ("field",),
    "nullability": ("field",),
    "nesting": ("field", "to"),
    "split": ("field", "to"),
    "merge": ("field", "to"),
    "null_spike": ("field",),
    "duplicates": ("field",),
    "out_of_range": ("field",),
    "freshness": (),
    "lag": ("status",),
}
_FIELDLESS: frozenset[str] = frozenset({"freshness", "lag"})


class ExpectedDetection(BaseModel):
    """One finding the monitors must report, in the vocabulary of the detection table."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    kind: DetectionKind
    field: str | None = None
    to: str | list[str] | None = None
    from_: str | None = Field(default=None, alias="from")
    factor: float | None = None
    value: Any = None
    rate: float | None = Field(default=None, ge=0.0, le=1.0)
    seconds: float | None = Field(default=None, ge=0.0)
    status: LagStatus | None = None
    partition: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _has_what_its_kind_needs(self) -> ExpectedDetection:
        missing = [name for name in _REQUIRED[self.kind] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind!r} detection needs {', '.join(missing)}")
        if self.kind in _FIELDLESS and self.field is not None:
            raise ValueError(f"a {self.kind!r} detection has no field; remove 'field'")
        if self.kind == "split" and not isinstance(self.to, list):
            raise ValueError("a 'split' detection's 'to' is the list of new fields")
        return self


class LagSample(BaseModel):
    """One partition's offsets at one moment: the log-end offset and the group's commit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    t: float = Field(ge=0.0, description="Seconds since the first sample.")
    partition: int = Field(ge=0)
    end: int = Field(ge=0)
    committed: int = Field(ge=0)

    @model_validator(mode="after")
    def _committed_within_log(self) -> LagSample:
        if self.committed > self.end:
            raise ValueError(f"committed {self.committed} is past the log end {self.end}")
        return self

    @property
    def lag(self) -> int:
        """Messages the group has not committed yet."""
        return self.end - self.committed


class LagSection(BaseModel):
    """Offsets of one consumer group over time, for lag scenarios."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group: str = Field(min_length=1)
    topic: str = Field(min_length=1)
    samples: list[LagSample] = Field(min_length=1)

    def partitions(self) -> dict[int, list[LagSample]]:
        """Samples per partition, in time order."""
        grouped: dict[int, list[LagSample]] = {}
        for sample in sorted(self.samples, key=lambda s: s.t):
            grouped.setdefault(sample.partition, []).append(sample)
        return grouped


class Events(BaseModel):
    """What the producer sent before and after the change; each event is one row."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    before: list[Row] = Field(min_length=1)
    after: list[Row] = Field(min_length=1)


class RejectPatch(BaseModel):
    """A plausible but wrong patch of one model, which the guardrails must refuse."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1)
    sql: str = Field(min_length=1)


class Expectation(BaseModel):
    """What a correct assistant reports and does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    detect: list[ExpectedDetection] = Field(default_factory=list)
    outcome: Outcome
    mapping: dict[str, str] = Field(default_factory=dict)
    output: dict[str, list[Row]] = Field(default_factory=dict)
    reject_patches: list[RejectPatch] = Field(default_factory=list)

    @model_validator(mode="after")
    def _only_fixes_map_and_output(self) -> Expectation:
        if self.outcome != "fix":
            for name in ("mapping", "output"):
                if getattr(self, name):
                    raise ValueError(f"'{name}' belongs to outcome 'fix' only; remove it")
        return self


class Scenario(BaseModel):
    """One eval scenario: a pipeline, its contract, events before and after, what to expect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="Unique, kebab-case.")
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    contract: Contract
    pipeline: Pipeline
    events: Events
    lag: LagSection | None = None
    expect: Expectation

    @model_validator(mode="after")
    def _lag_detections_need_samples(self) -> Scenario:
        if self.lag is None and any(d.kind == "lag" for d in self.expect.detect):
            raise ValueError("a 'lag' detection needs a 'lag' section with samples")
        return self

    @property
    def dataset(self) -> str:
        """The topic the scenario's models read."""
        return self.contract.dataset
