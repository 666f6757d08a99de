"""Units spelled in field names: a rename that changes them carries a unit change its values
must confirm."""

from __future__ import annotations

import pytest

from core.contracts import Contract
from core.models import Detection
from tools.healing.mapping import evaluate, infer_mapping
from tools.matching.name_units import name_conversion, name_unit, unit_renames
from tools.monitoring.detect_all import detect_all
from tools.profiling.profile_batch import profile_batch


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("billmsec", "ms"),
        ("duration_ms", "ms"),
        ("elapsedMicros", "us"),
        ("payload.size_kb", "kB"),
        ("weightKg", "kg"),
        ("amount_cents", "cent"),
        ("timeout_seconds", "s"),
        ("items", None),
        ("status", None),
        ("rooms", None),
        ("ts", None),
    ],
)
def test_the_last_word_of_a_name_may_spell_a_unit(name: str, unit: str | None) -> None:
    assert name_unit(name) == unit


@pytest.mark.parametrize(
    ("old", "new", "declared", "factor"),
    [
        ("billsec", "billmsec", None, 1000.0),
        ("ts", "__source_ts_ms", "seconds", 1000.0),
        ("latency_ms", "latency_us", None, 1000.0),
        ("weight_g", "weight_kg", None, 0.001),
        ("size", "size_kb", "bytes", 0.001),
    ],
)
def test_a_renamed_unit_implies_its_conversion(
    old: str, new: str, declared: str | None, factor: float
) -> None:
    found = name_conversion(old, new, declared)
    assert found is not None and found.factor == pytest.approx(factor)


@pytest.mark.parametrize(
    ("old", "new", "declared"),
    [
        ("duration_ms", "durationMs", None),  # the same unit in another style
        ("weight_kg", "latency_ms", None),  # two dimensions
        ("ts", "ts_ms", None),  # the old unit is unknown
        ("count", "count_total", None),  # no unit at all
    ],
)
def test_no_conversion_without_two_units_of_one_dimension(
    old: str, new: str, declared: str | None
) -> None:
    assert name_conversion(old, new, declared) is None


CALLS_BEFORE = [{"id": f"a{i}", "billsec": s} for i, s in enumerate([184, 62, 305, 17])]
CALLS_AFTER = [{"id": f"b{i}", "billmsec": s} for i, s in enumerate([121480, 45020, 250930, 8990])]


def test_the_monitor_reports_a_rename_whose_names_and_values_change_unit_together() -> None:
    contract = Contract(dataset="calls", fields=[{"name": "billsec", "type": "integer"}])
    found = detect_all(contract, CALLS_BEFORE, CALLS_AFTER)
    assert [(d.kind, d.field, d.to) for d in found] == [("rename", "billsec", "billmsec")]


def test_values_that_did_not_change_unit_make_no_unit_rename() -> None:
    after = [{"billmsec": s // 1000} for s in [121480, 45020, 250930, 8990]]
    found = unit_renames(
        profile_batch(CALLS_BEFORE), profile_batch(after), ["billsec"], ["billmsec"], {}
    )
    assert found == []


def test_two_fields_spelling_the_new_unit_leave_the_rename_open() -> None:
    after = [{"billmsec": s, "bill_ms": s - 500} for s in [121480, 45020, 250930, 8990]]
    found = unit_renames(
        profile_batch(CALLS_BEFORE), profile_batch(after), ["billsec"], ["billmsec", "bill_ms"], {}
    )
    assert found == []


def test_a_new_field_of_another_name_is_no_unit_rename() -> None:
    after = [{"talkmsec": s} for s in [121480, 45020, 250930, 8990]]
    found = unit_renames(
        profile_batch(CALLS_BEFORE), profile_batch(after), ["billsec"], ["talkmsec"], {}
    )
    assert found == []


def test_the_mapping_undoes_the_unit_the_names_spell_and_keeps_the_fraction() -> None:
    contract = Contract(
        dataset="calls", fields=[{"name": "billsec", "type": "integer", "unit": "seconds"}]
    )
    result = infer_mapping(
        [Detection(kind="rename", field="billsec", to="billmsec")],
        contract,
        {"billsec"},
        CALLS_BEFORE,
        CALLS_AFTER,
    )
    target = result.mapping.as_dict()["billsec"]
    assert evaluate(target, CALLS_AFTER) == [121.48, 45.02, 250.93, 8.99]


def test_a_detected_unit_change_wins_over_the_names() -> None:
    contract = Contract(dataset="calls", fields=[{"name": "billsec", "type": "integer"}])
    result = infer_mapping(
        [
            Detection(kind="rename", field="billsec", to="billmsec"),
            Detection(kind="unit_change", field="billsec", factor=1000.0),
        ],
        contract,
        {"billsec"},
        CALLS_BEFORE,
        [{"billmsec": s} for s in [184000, 62000, 305000]],
    )
    assert result.mapping.as_dict()["billsec"] == "CAST(round(billmsec / 1000) AS BIGINT)"
