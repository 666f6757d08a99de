"""A time rebuilt from a field the producer now writes another way keeps every instant."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from core.contracts import Contract, Pipeline
from core.models import ModelPatch, ValidationReport
from guardrails.lossless_times import lossless_time_checks
from guardrails.replay_gate import validate_patch

MODEL = "select id, cast(t as timestamptz) as t from ev"
PIPELINE = Pipeline(models={"stg": MODEL})
BEFORE: list[dict[str, object]] = [
    {"id": "a", "t": "2026-01-01T10:00:00Z"},
    {"id": "b", "t": "2026-01-01T10:00:07Z"},
]


def _verdict(target: str, sent: Sequence[object]) -> tuple[bool, str]:
    after: list[dict[str, object]] = [{"id": f"n{i}", "t": v} for i, v in enumerate(sent)]
    patch = ModelPatch(
        model="stg",
        before_sql=MODEL,
        after_sql=f"select id, cast({target} as timestamptz) as t from ev",
    )
    [result] = lossless_time_checks(PIPELINE, [patch], "ev", BEFORE, after)
    assert result.name == "lossless:stg"
    return result.passed, result.detail


MILLIS = [1786983153767, 1786983468405, 1786983436975]
MICROS = [1786983153767123, 1786983468405001]
SECONDS = [1786983153.25, 1786983468.5]
BEFORE_1970 = [-631151999500, -315619199250]  # milliseconds: 1950 and 1960
OFFSETS = ["2026-01-22T22:08:32-07:00", "2026-01-23T07:11:29.250+02:00"]
MICRO_TEXT = ["2026-08-17T16:12:33.767123Z", "2026-08-17T16:12:34.000001Z"]


@pytest.mark.parametrize(
    ("target", "sent"),
    [
        ("strftime(to_timestamp(t / 1000), '%Y-%m-%dT%H:%M:%S.%gZ')", MILLIS),
        ("to_timestamp(t / 1000)", MILLIS),
        ("to_timestamp(t / 1000000)", MICROS),
        ("CAST(to_timestamp(t / 1000) AS VARCHAR)", MILLIS),  # '2026-08-17 16:12:33.767+00'
        ("to_timestamp(t)", SECONDS),
        ("to_timestamp(t / 1000)", BEFORE_1970),
        ("strftime(CAST(t AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%gZ')", OFFSETS),
        ("strftime(CAST(t AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%fZ')", MICRO_TEXT),
    ],
)
def test_keeps_a_rebuilt_time_that_is_the_sent_instant(target: str, sent: list[object]) -> None:
    passed, detail = _verdict(target, sent)
    assert passed, detail


@pytest.mark.parametrize(
    ("target", "sent", "reason"),
    [
        ("to_timestamp(CAST(trunc(t / 1000) AS BIGINT))", MILLIS, "drops the fraction"),
        ("to_timestamp(CAST(t AS BIGINT))", SECONDS, "drops the fraction"),
        ("strftime(to_timestamp(t / 1000), '%Y-%m-%dT%H:%M:%SZ')", MILLIS, "drops the fraction"),
        ("to_timestamp(CAST(trunc(t / 1000) AS BIGINT))", BEFORE_1970, "drops the fraction"),
        ("to_timestamp(t / 1000000)", MILLIS, "wrong unit"),
        ("to_timestamp(t / 1000)", MICROS, "no instant"),
        ("make_timestamp(t)", MICROS, "drops the zone"),
        ("to_timestamp(t * 1000)", SECONDS, ""),
        ("CAST(substr(t, 1, 19) AS TIMESTAMP)", OFFSETS, "zone"),
        ("strftime(CAST(t AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%SZ')", MICRO_TEXT, "fraction"),
        ("strftime(CAST(t AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%gZ')", MICRO_TEXT, "fraction"),
    ],
)
def test_refuses_a_time_that_loses_precision_zone_or_unit(
    target: str, sent: list[object], reason: str
) -> None:
    passed, detail = _verdict(target, sent)
    assert not passed
    assert reason in detail


def test_refuses_inventing_a_zone_for_a_naive_local_time() -> None:
    naive = ["2026-01-01 11:00:00", "2026-01-01 11:00:07"]
    passed, detail = _verdict("CAST(t || 'Z' AS TIMESTAMPTZ)", naive)
    assert not passed and "invents a zone" in detail


def test_leaves_patches_that_rebuild_no_time_alone() -> None:
    model = "select id, n from ev"
    pipeline = Pipeline(models={"stg": model})
    patch = ModelPatch(model="stg", before_sql=model, after_sql="select id, n * 100 as n from ev")
    before: list[dict[str, object]] = [{"id": "a", "n": 300}, {"id": "b", "n": 450}]
    after: list[dict[str, object]] = [{"id": "c", "n": 3.1}, {"id": "d", "n": 4.5}]
    assert lossless_time_checks(pipeline, [patch], "ev", before, after) == []


@pytest.mark.parametrize(
    "target",
    ["CAST(t AS TIMESTAMP)", "strftime(CAST(t AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S')"],
)
def test_refuses_reading_a_naive_local_time_where_the_field_held_zoned_times(target: str) -> None:
    naive = ["2026-01-01 11:00:00", "2026-01-01T11:00:07.5"]
    passed, detail = _verdict(target, naive)
    assert not passed and "nothing shows which zone" in detail


def test_the_replay_gate_names_the_lost_fraction_of_an_epoch_read_as_whole_seconds() -> None:
    contract = Contract.model_validate(
        {
            "dataset": "ev",
            "fields": [{"name": "id", "type": "string"}, {"name": "t", "type": "timestamp"}],
        }
    )
    after: list[dict[str, object]] = [{"id": f"n{i}", "t": v} for i, v in enumerate(MILLIS)]

    def report(target: str) -> ValidationReport:
        sql = f"select id, cast({target} as timestamptz) as t from ev"
        patch = ModelPatch(model="stg", before_sql=MODEL, after_sql=sql)
        return validate_patch(
            PIPELINE, [patch], {"ev": contract}, BEFORE, after, dataset="ev", mapping=None
        )

    truncated = report("to_timestamp(cast(trunc(t / 1000) as bigint))")
    assert [c.name for c in truncated.failures()] == ["lossless:stg"]
    assert "drops the fraction" in truncated.failures()[0].detail
    assert report("to_timestamp(t / 1000)").passed
