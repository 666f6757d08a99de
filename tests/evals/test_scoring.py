"""Tests of evals.scoring: detection matching, mapping and output normalization, totals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from core.models import Detection, Evidence
from evals.run_record import RejectVerdict
from evals.scenario import ExpectedDetection, Scenario
from evals.scoring import (
    ScenarioRun,
    normalize_expression,
    score_detections,
    score_mapping,
    score_scenario,
    total,
)


def expected(**values: object) -> ExpectedDetection:
    return ExpectedDetection.model_validate(values)


def test_precision_and_recall_count_matches_misses_and_extras() -> None:
    wanted = [
        expected(kind="rename", field="cust_id", to="customer_id"),
        expected(kind="add", field="coupon"),
        expected(kind="null_spike", field="email"),
    ]
    reported = [
        Detection(
            kind="rename",
            field="cust_id",
            to="customer_id",
            confidence=0.4,
            evidence=Evidence(count=3, total=4, note="extra evidence is fine"),
        ),
        Detection(kind="add", field="coupon_code"),
        Detection(kind="type_change", field="amount"),
        Detection(kind="null_spike", field="email", rate=0.9),
    ]
    counts = score_detections(wanted, reported)
    assert (counts.true_positives, counts.false_positives, counts.false_negatives) == (2, 2, 1)
    assert counts.precision == 0.5
    assert counts.recall == 2 / 3


def test_to_matters_only_when_expected_and_lists_match_in_any_order() -> None:
    split = expected(kind="split", field="name", to=["first_name", "last_name"])
    assert (
        score_detections(
            [split], [Detection(kind="split", field="name", to=["last_name", "first_name"])]
        ).recall
        == 1
    )
    rename = expected(kind="rename", field="ts", to="event_time")
    assert (
        score_detections([rename], [Detection(kind="rename", field="ts", to="ingest_time")]).recall
        == 0
    )
    loose = expected(kind="nullability", field="sku")
    assert (
        score_detections([loose], [Detection(kind="nullability", field="sku", to="x")]).recall == 1
    )


def test_lag_matches_on_status_and_partition() -> None:
    wanted = [expected(kind="lag", status="STALL", partition=1)]
    assert (
        score_detections(wanted, [Detection(kind="lag", status="STALL", partition=1)]).recall == 1
    )
    assert score_detections(wanted, [Detection(kind="lag", status="WARN", partition=1)]).recall == 0
    assert (
        score_detections(wanted, [Detection(kind="lag", status="STALL", partition=0)]).recall == 0
    )


def test_one_report_cannot_match_two_expectations() -> None:
    wanted = [expected(kind="add", field="coupon"), expected(kind="add", field="coupon")]
    counts = score_detections(wanted, [Detection(kind="add", field="coupon")])
    assert (counts.true_positives, counts.false_negatives, counts.precision) == (1, 1, 1.0)


def test_nothing_expected_and_nothing_reported_is_perfect() -> None:
    counts = score_detections([], [])
    assert (counts.precision, counts.recall) == (1.0, 1.0)


def test_mapping_expressions_compare_after_normalization() -> None:
    assert normalize_expression("CAST(amount AS DOUBLE) / 100") == normalize_expression(
        'cast( "amount" as double ) / 100'
    )
    assert normalize_expression("e.customer_id") == normalize_expression("customer_id")
    assert normalize_expression("customer_id AS cust_id") == normalize_expression("customer_id")
    expected_map = {"cust_id": "customer_id", "amount_cents": "round(amount * 100)"}
    assert score_mapping(
        expected_map, {"cust_id": "CUSTOMER_ID", "amount_cents": "ROUND(amount*100)", "x": "y"}
    ) == (2, 2)
    assert score_mapping(expected_map, {"cust_id": "customer_ref"}) == (0, 2)
    assert score_mapping(
        {"ts": "to_timestamp(ts_ms / 1000)"}, {"ts": "TO_TIMESTAMP(ts_ms / 1000)"}, "postgres"
    ) == (1, 1)


SCENARIO = Scenario.model_validate(
    {
        "id": "orders-rename",
        "contract": {
            "dataset": "orders",
            "fields": [
                {"name": "order_id", "type": "string"},
                {"name": "cust_id", "type": "integer"},
            ],
        },
        "pipeline": {"models": {"stg": "select order_id, cust_id as customer_id from orders"}},
        "events": {
            "before": [{"order_id": "o1", "cust_id": 1}],
            "after": [{"order_id": "o2", "customer_id": 1}],
        },
        "expect": {
            "detect": [{"kind": "rename", "field": "cust_id", "to": "customer_id"}],
            "outcome": "fix",
            "mapping": {"cust_id": "customer_id"},
            "output": {
                "stg": [
                    {
                        "order_id": "o2",
                        "customer_id": 7,
                        "amount": 9.0,
                        "at": "2026-01-01T10:05:00Z",
                    },
                    {"order_id": "o3", "customer_id": 8, "amount": 1.25, "at": "2026-01-02"},
                ]
            },
            "reject_patches": [
                {"model": "stg", "sql": "select 1"},
                {"model": "stg", "sql": "select 2"},
            ],
        },
    }
)


def test_output_is_an_order_insensitive_multiset_with_tolerant_values() -> None:
    rows = [
        {
            "order_id": "o3",
            "customer_id": 8,
            "amount": Decimal("1.2500000001"),
            "at": date(2026, 1, 2),
        },
        {"order_id": "o2", "customer_id": 7, "amount": 9, "at": datetime(2026, 1, 1, 10, 5)},
    ]
    run = ScenarioRun(
        scenario_id="orders-rename",
        outcome="fix",
        validation_passed=True,
        mapping={"cust_id": "customer_id"},
        output={"stg": rows},
        rejects=[RejectVerdict(refused=True, check="replay"), RejectVerdict(refused=False)],
        detections=[Detection(kind="rename", field="cust_id", to="customer_id")],
    )
    score = score_scenario(SCENARIO, run)
    assert score.output_correct is True
    assert (score.rejects_refused, score.rejects_total) == (1, 2)
    assert not score.false_confidence
    assert not score.passed  # one reject patch got through


def test_a_validated_fix_with_wrong_output_is_false_confidence() -> None:
    rows = [
        {"order_id": "o3", "customer_id": None, "amount": 1.25, "at": "2026-01-02"},
        {
            "order_id": "o2",
            "customer_id": None,
            "amount": 9.0,
            "at": datetime(2026, 1, 1, 10, 5, tzinfo=UTC),
        },
    ]
    run = ScenarioRun(
        scenario_id="orders-rename",
        outcome="fix",
        validation_passed=True,
        output={"stg": rows},
        rejects=[RejectVerdict(refused=True), RejectVerdict(refused=True)],
    )
    score = score_scenario(SCENARIO, run)
    assert score.output_correct is False
    assert score.false_confidence
    assert "2 expected rows missing, 2 unexpected rows" in score.output_problems[0]


def test_timestamps_compare_as_instants_across_zones_but_strings_stay_exact() -> None:
    from evals.rows import values_equal

    assert values_equal(
        "2026-01-01T10:05:00Z",
        datetime(2026, 1, 1, 11, 5, tzinfo=datetime.fromisoformat("2026-01-01T00:00+01:00").tzinfo),
    )
    assert not values_equal("2026-01-01T10:05:00Z", "2026-01-01T10:05:01Z")
    assert not values_equal("placed", "Placed")
    assert not values_equal("7", 7)
    assert values_equal({"city": "Oslo", "n": [1, 2.0]}, {"city": "Oslo", "n": [1.0, 2]})


def test_totals_micro_average_detections_and_skip_measures_that_do_not_apply() -> None:
    good = score_scenario(
        SCENARIO,
        ScenarioRun(
            scenario_id="orders-rename",
            outcome="escalate",
            detections=[
                Detection(kind="rename", field="cust_id", to="customer_id"),
                Detection(kind="add", field="customer_id"),
            ],
        ),
    )
    failed = score_scenario(SCENARIO, ScenarioRun(scenario_id="orders-rename", error="boom"))
    totals = total([good, failed], wall_seconds=3.5)
    assert totals.scenarios == 2 and totals.errors == 1 and totals.passed == 0
    assert totals.detection_precision == 0.5
    assert totals.detection_recall == 0.5
    assert totals.outcome_accuracy == 0.0
    assert totals.output_correctness == 0.0
    assert totals.wall_seconds == 3.5


def test_a_validated_fix_where_an_escalation_was_expected_is_false_confidence() -> None:
    escalation = SCENARIO.model_copy(
        update={
            "expect": SCENARIO.expect.model_copy(
                update={"outcome": "escalate", "mapping": {}, "output": {}}
            )
        }
    )
    proposed = ScenarioRun(scenario_id="orders-rename", outcome="fix", validation_passed=True)
    refused = ScenarioRun(scenario_id="orders-rename", outcome="fix", validation_passed=False)

    assert score_scenario(escalation, proposed).false_confidence
    assert not score_scenario(escalation, refused).false_confidence
    assert not score_scenario(escalation, proposed).passed
