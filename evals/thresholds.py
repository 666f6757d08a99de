"""The minimum scores a suite must reach (`--thresholds FILE`), and the check against them."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.yaml_source import YamlSourceError, parse_yaml
from evals.loader import LoadError
from evals.scoring import Totals

_SHARE = Field(default=None, ge=0.0, le=1.0)


class Thresholds(BaseModel):
    """Floors (min_*) and ceilings (max_*) on the suite's totals; absent means unchecked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_detection_precision: float | None = _SHARE
    min_detection_recall: float | None = _SHARE
    min_outcome_accuracy: float | None = _SHARE
    min_mapping_accuracy: float | None = _SHARE
    min_output_correctness: float | None = _SHARE
    min_reject_share: float | None = _SHARE
    min_passed_share: float | None = _SHARE
    max_false_confidence: int | None = Field(default=None, ge=0)
    max_errors: int | None = Field(default=None, ge=0)
    max_wall_seconds: float | None = Field(default=None, gt=0)


def _actual(totals: Totals, measure: str) -> float:
    if measure == "passed_share":
        return totals.passed / totals.scenarios if totals.scenarios else 1.0
    return float(getattr(totals, measure))


def check_thresholds(totals: Totals, thresholds: Thresholds) -> list[str]:
    """One sentence per threshold the totals miss; [] when the suite meets them all."""
    failures: list[str] = []
    for name, limit in thresholds.model_dump().items():
        if limit is None:
            continue
        bound, measure = name.split("_", 1)
        value = _actual(totals, measure)
        if bound == "min" and value < limit:
            failures.append(f"{measure} is {value:.3f}, below the threshold {limit}")
        if bound == "max" and value > limit:
            failures.append(f"{measure} is {value:g}, above the threshold {limit}")
    return failures


def load_thresholds(path: Path | str) -> Thresholds:
    """Read a thresholds YAML file; raise LoadError with the line of a bad entry."""
    path = Path(path)
    try:
        source = parse_yaml(path.read_text(encoding="utf-8"), path)
    except OSError as error:
        raise LoadError(path, 1, f"cannot read the thresholds file: {error}") from error
    except YamlSourceError as error:
        raise LoadError(path, error.line, str(error)) from error
    try:
        return Thresholds.model_validate(source.data or {})
    except ValidationError as error:
        first = error.errors()[0]
        loc = [p for p in first["loc"] if isinstance(p, str | int)]
        raise LoadError(path, source.line_of(loc), f"{loc}: {first['msg']}") from error
