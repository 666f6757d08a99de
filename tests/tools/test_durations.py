"""ISO 8601 durations where a field held a number of a time unit."""

from __future__ import annotations

import pytest

from core.contracts import Contract, Pipeline
from core.models import Detection, ModelPatch
from guardrails.substitutions import substitution_checks
from tools.healing.durations import all_durations, duration_seconds, old_unit
from tools.healing.mapping import evaluate, infer_mapping

SPANS = ["PT12M30S", "PT1H2M5S", "PT8M", "PT45.5S", "P1DT1H"]
SECONDS = [750.0, 3725.0, 480.0, 45.5, 90000.0]


def _infer(old: list[float], new: list[str]) -> dict[str, str]:
    contract = Contract(dataset="t", fields=[{"name": "prep", "type": "number"}])
    detections = [Detection(kind="type_change", field="prep", to="string")]
    before = [{"prep": v} for v in old]
    after = [{"prep": v} for v in new]
    return infer_mapping(detections, contract, {"prep"}, before, after).mapping.as_dict()


def test_a_duration_of_fixed_length_reads_as_seconds() -> None:
    assert [duration_seconds(s) for s in SPANS] == SECONDS
    assert all_durations(SPANS) and not all_durations([*SPANS, "P2M"])


@pytest.mark.parametrize(
    ("old", "scale"),
    [([754.0, 1330.5, 480.0, 905.0], 1.0), ([12.5, 22.0, 8.0, 15.1], 1 / 60)],
)
def test_durations_map_back_to_the_old_unit_their_magnitude_shows(
    old: list[float], scale: float
) -> None:
    mapping = _infer(old, SPANS[:4])
    after = [{"prep": s} for s in SPANS[:4]]
    got = evaluate(mapping["prep"], after)
    assert got == pytest.approx([s * scale for s in SECONDS[:4]])


def test_durations_far_from_every_unit_are_not_read() -> None:
    assert old_unit([9e7, 8e7], ["PT1S", "PT2S"]) is None
    assert "prep" not in _infer([9e7, 8e7, 7e7], ["PT1S", "PT2S", "PT3S"])


def test_the_substitution_guardrail_refuses_a_reading_that_drops_the_hours() -> None:
    contract = Contract(dataset="t", fields=[{"name": "prep", "type": "number"}])
    before = [{"prep": v} for v in [754.0, 1330.5, 480.0, 905.0]]
    after = [{"prep": s} for s in SPANS[:4]]
    model = "select prep / 60.0 as minutes from t"
    minutes_only = (
        "select (coalesce(cast(nullif(regexp_extract(prep, '(\\d+)M', 1), '') as double), 0) * 60"
        " + coalesce(cast(nullif(regexp_extract(prep, '([\\d.]+)S', 1), '') as double), 0))"
        " / 60.0 as minutes from t"
    )
    patch = ModelPatch(model="stg", before_sql=model, after_sql=minutes_only)
    [result] = substitution_checks(
        Pipeline(models={"stg": model}), [patch], "t", before, after, contract
    )
    assert not result.passed and "'PT1H2M5S'" in result.detail
