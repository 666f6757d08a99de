"""Smoke tests of `suture bench`: tiny runs, checking the shape of what it reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from suture.bench import BenchReport, measure_latency, percentile, run_bench
from suture.cli import main


def test_bench_reports_every_stage_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "bench.json"

    assert (
        main(["bench", "--events", "300", "--batch", "100", "--trials", "0", "--json", str(target)])
        == 0
    )

    report = BenchReport.model_validate(json.loads(target.read_text()))
    assert report.latency is None and report.events == 300
    stages = [t.stage for t in report.throughput]
    assert "check + profile" in stages and len(stages) == len(set(stages)) == 5
    assert all(t.events == 300 and t.events_per_core_s > 0 for t in report.throughput)
    printed = capsys.readouterr().out
    assert all(stage in printed for stage in stages) and "events/s/core" in printed


def test_bench_refuses_an_empty_workload(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--events", "0"]) == 2
    assert "--events" in capsys.readouterr().err


@pytest.mark.kafka
async def test_latency_trial_reads_the_drift_alert_back_from_the_broker(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    latency = await measure_latency(kafka_bootstrap, trials=1, conforming=50, workdir=tmp_path)

    assert latency.trials == len(latency.samples_s) == 1
    assert 0 < latency.p50_s <= latency.p99_s == latency.max_s < 30


def test_run_bench_without_trials_skips_latency() -> None:
    assert run_bench(200, batch=50, trials=0).latency is None


def test_percentile_is_the_nearest_rank() -> None:
    assert percentile([0.3, 0.1, 0.2], 0.5) == 0.2
    assert percentile(list(range(1, 31)), 0.99) == 30  # p99 of 30 trials is the slowest one
    assert percentile(list(range(1, 101)), 0.99) == 99


@pytest.mark.kafka
def test_broker_bench_measures_both_storages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "broker.json"
    assert main(["bench", "broker", "--records", "20", "--json", str(target)]) == 0
    figures = json.loads(target.read_text())
    assert [f["storage"] for f in figures] == ["memory", "disk"]
    assert all(
        f["records"] == 20 and f["one_by_one"] > 0 and f["consume_commit"] > 0 for f in figures
    )
    printed = capsys.readouterr().out
    assert "consume+commit/s" in printed and "disk" in printed


def test_broker_bench_refuses_an_empty_workload(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "broker", "--records", "0"]) == 2
    assert "--records" in capsys.readouterr().err
