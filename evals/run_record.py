"""What one scenario expected and what suture actually did, as JSON-ready data.

The JSON report carries one `RunRecord` per scenario (`expect` and `actual`, see the Scoring
section of the scenario format), and `score_record` scores a record with no other input: the
scorer of a run and `evals.report.rescore` of its JSON report are the same function.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from evals.scenario import ExpectedDetection, Outcome, Row

_DETECTION_EXCLUDE = {"evidence", "confidence"}


def json_ready(value: Any) -> Any:
    """`value` with every leaf a JSON value: instants as ISO text, decimals as numbers.

    >>> json_ready({"at": datetime(2026, 1, 1, 10, 5), "n": [Decimal("1.5")]})
    {'at': '2026-01-01T10:05:00', 'n': [1.5]}
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_ready(v) for v in value]
    return str(value)


class RejectVerdict(BaseModel):
    """What validation said about one of `expect.reject_patches`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    refused: bool
    check: str | None = Field(default=None, description="The check that refused it, if any.")


class ExpectedRun(BaseModel):
    """The part of a scenario's `expect` the scorers need, and the pipeline's dialect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dialect: str
    detect: list[ExpectedDetection] = Field(default_factory=list)
    outcome: Outcome
    mapping: dict[str, str] = Field(default_factory=dict)
    output: dict[str, list[Row]] = Field(default_factory=dict)
    reject_patches: int = Field(default=0, ge=0, description="How many reject patches it lists.")


class ActualRun(BaseModel):
    """What suture did in one scenario (the report's `actual.*`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    detections: list[dict[str, Any]] = Field(default_factory=list)
    outcome: Outcome | None = Field(default=None, description="None: the run ended in an error.")
    mapping: dict[str, str] = Field(default_factory=dict)
    patched_models: dict[str, str] = Field(default_factory=dict)
    output: dict[str, list[Row]] | None = None
    validation_passed: bool | None = Field(default=None, description="None: nothing proposed.")
    reject_patches: list[RejectVerdict] = Field(default_factory=list)
    llm_calls: int = Field(default=0, ge=0)
    cache_hits: int = Field(default=0, ge=0)
    wall_seconds: float = Field(default=0.0, ge=0.0)
    error: str | None = None


class TargetValues(BaseModel):
    """Both targets of one mapping entry evaluated on events.after (None: cannot evaluate)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expected: list[Any] | None = None
    actual: list[Any] | None = None


class RunRecord(BaseModel):
    """One scenario's expectation beside what happened: everything its score is computed from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario_id: str
    tags: list[str] = Field(default_factory=list)
    expect: ExpectedRun
    actual: ActualRun
    mapping_values: dict[str, TargetValues] = Field(
        default_factory=dict,
        description="Mapping entries spelled differently from the expectation, evaluated.",
    )


def detection_json(detection: BaseModel) -> dict[str, Any]:
    """A reported detection with the keys of `expect.detect` (no evidence or confidence)."""
    data = detection.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude=_DETECTION_EXCLUDE
    )
    return {key: value for key, value in data.items() if value is not None}
