"""The live runner: scenarios through the real broker, agents, store, HTTP approval and git."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.edges.pipeline_files import read_pipeline_dir
from evals.live_runner import run_live_scenario, run_live_suite, write_pipeline
from evals.loader import load_scenario
from evals.scoring import score_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "evals" / "scenarios"
RENAME = SCENARIOS / "orders" / "orders-rename-cust-id.yaml"
LAG_STOPPED = SCENARIOS / "lag" / "lag-iot-consumer-stopped.yaml"


def test_the_scenario_repository_reads_back_as_the_scenario_pipeline(tmp_path: Path) -> None:
    scenario = load_scenario(RENAME)

    files = read_pipeline_dir(write_pipeline(scenario, tmp_path / "repo"))

    assert files.pipeline == scenario.pipeline
    assert files.contracts == {scenario.contract.dataset: scenario.contract}


@pytest.mark.kafka
@pytest.mark.integration
async def test_a_rename_is_detected_proposed_approved_merged_and_replayed_live() -> None:
    scenario = load_scenario(RENAME)

    run = await run_live_scenario(scenario)

    assert run.error is None, run.error
    assert ("rename", "cust_id", "customer_id") in [d.identity() for d in run.detections]
    assert run.outcome == "fix" and run.mapping == {"cust_id": "customer_id"}
    assert run.validation_passed is True
    assert run.cache_hits == 0 and run.llm_calls == 0
    score = score_scenario(scenario, run)
    assert score.passed, score


@pytest.mark.kafka
@pytest.mark.integration
def test_a_warm_second_pass_answers_from_the_fixes_the_first_pass_applied(
    tmp_path: Path,
) -> None:
    kb_dir = tmp_path / "kb"

    [warm] = run_live_suite([load_scenario(RENAME)], kb="warm", kb_dir=kb_dir)

    assert warm.error is None, warm.error
    assert warm.cache_hits == 1
    assert warm.passed
    assert any(kb_dir.iterdir()), "the first pass filled the knowledge base folder"


@pytest.mark.kafka
@pytest.mark.integration
async def test_lag_samples_raise_a_lag_alert_that_is_escalated() -> None:
    scenario = load_scenario(LAG_STOPPED)

    run = await run_live_scenario(scenario)

    assert run.error is None, run.error
    assert {d.kind for d in run.detections} >= {"lag"}
    assert run.outcome == scenario.expect.outcome == "escalate"


@pytest.mark.kafka
@pytest.mark.integration
def test_a_scenario_that_times_out_is_an_error_named_by_its_file_and_the_rest_run() -> None:
    rename, lag = load_scenario(RENAME), load_scenario(LAG_STOPPED)
    sources = {rename.id: RENAME, lag.id: LAG_STOPPED}

    scores = run_live_suite([rename, lag], parallel=2, timeout_s=0.001, sources=sources)

    assert [s.scenario_id for s in scores] == [rename.id, lag.id]
    for score, path in zip(scores, (RENAME, LAG_STOPPED), strict=True):
        assert score.error is not None and score.error.startswith(f"{path}: ")
        assert "timed out waiting for" in score.error or "within" in score.error
