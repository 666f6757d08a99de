"""The in-process runner (`suture eval --fast`): scenarios through the healer, scored."""

from __future__ import annotations

from pathlib import Path

from evals.loader import load_scenario
from evals.runner import run_scenario, run_suite, with_source
from evals.scenario import Scenario
from evals.scoring import ScenarioRun

SCENARIOS = Path(__file__).resolve().parents[2] / "evals" / "scenarios"
RENAME = SCENARIOS / "orders" / "orders-rename-cust-id.yaml"


def _rename() -> Scenario:
    return load_scenario(RENAME)


async def test_a_rename_is_fixed_and_the_patched_models_give_the_expected_rows() -> None:
    scenario = _rename()

    run = await run_scenario(scenario)

    assert run.error is None
    assert run.outcome == "fix"
    assert run.mapping == {"cust_id": "customer_id"}
    assert run.output is not None and run.output["stg_orders"]
    assert run.rejects and all(verdict.refused and verdict.check for verdict in run.rejects)
    assert set(run.patched_models) <= set(scenario.pipeline.models) and run.patched_models
    assert run.cache_hits == 0 and run.llm_calls == 0


def test_a_warm_knowledge_base_answers_the_second_pass_from_the_cache() -> None:
    [cold] = run_suite([_rename()])
    [warm] = run_suite([_rename()], kb="warm")

    assert cold.cache_hits == 0
    assert warm.cache_hits == 1
    assert warm.passed, warm


def test_an_error_names_the_scenario_file() -> None:
    failed = ScenarioRun(scenario_id="a", error="ValueError: boom")

    named = with_source(failed, {"a": Path("suite/a.yaml")})

    assert named.error == "suite/a.yaml: ValueError: boom"
    assert with_source(ScenarioRun(scenario_id="a"), {"a": Path("x.yaml")}).error is None
