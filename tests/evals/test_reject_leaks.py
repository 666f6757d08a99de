"""`suture eval` names each reject patch that got through and the check that should have
stopped it, shows progress, and fails when a scenario fails unless --allow-failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from evals.reject_leaks import differing_column
from suture.cli import main

SCENARIO = Path(__file__).resolve().parents[2] / "evals/scenarios/iot/iot-rename-temperature.yaml"
LEAKY = [
    # Off by half a degree: every value moves a little, nothing breaks an invariant.
    "select container, temperature_c - 0.5 as temperature_c, door_open,"
    " cast(read_at as timestamp) as read_at from reefer_telemetry",
    # Rounded: precision silently lost (refused since validation checks substitutes are lossless).
    "select container, round(temperature_c) as temperature_c, door_open,"
    " cast(read_at as timestamp) as read_at from reefer_telemetry",
    # Refused (a constant): validation catches it, so it is not named.
    "select container, -18.0 as temperature_c, door_open,"
    " cast(read_at as timestamp) as read_at from reefer_telemetry",
]


@pytest.fixture
def leaky_suite(tmp_path: Path) -> Path:
    """The iot rename scenario with one reject patch validation lets through."""
    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    data["id"] = "iot-rename-leaky-rejects"
    data["expect"]["reject_patches"] = [{"model": "stg_reefer", "sql": sql} for sql in LEAKY]
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "leaky.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return suite


def test_a_failed_scenario_fails_the_run_and_names_the_leaks(
    leaky_suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scores.json"
    code = main(["eval", str(leaky_suite), "--fast", "--json", str(out)])
    assert code == 1
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if "got through" in line]
    assert len(lines) == 1  # the rounded and the constant patches are refused: not named
    assert lines[0].startswith("iot-rename-leaky-rejects: reject patch #1 of stg_reefer")
    assert "stg_reefer.temperature_c" in lines[0] and "-14.6" in lines[0]
    assert "1 scenario(s) failed: iot-rename-leaky-rejects" in captured.err
    assert "scenario" in captured.err  # the progress bar
    leaks = json.loads(out.read_text(encoding="utf-8"))["reject_leaks"]
    assert [(leak["reject_patch"], leak["model"]) for leak in leaks] == [(0, "stg_reefer")]


def test_allow_failures_exits_zero(leaky_suite: Path) -> None:
    assert main(["eval", str(leaky_suite), "--fast", "--allow-failures", "--no-progress"]) == 0


@pytest.mark.parametrize(
    ("expected", "actual", "named"),
    [
        ({"m": [{"a": 1}]}, {}, "a check that m produces output"),
        ({"m": [{"a": 1}, {"a": 2}]}, {"m": [{"a": 1}]}, "a row-count check on m"),
        ({"m": [{"k": "x", "v": 1.5}]}, {"m": [{"k": "x", "v": 150.0}]}, "a check on m.v"),
        ({"m": [{"ts": "2026-01-01T00:00:00"}]}, {"m": [{"ts": "2026-01-01T01:00:00"}]}, "m.ts"),
        ({"m": [{"a": 1}]}, {"m": [{"a": 1}]}, "no output check could"),
    ],
)
def test_names_the_check_that_should_have_refused_a_patch(
    expected: dict[str, list[dict[str, object]]],
    actual: dict[str, list[dict[str, object]]],
    named: str,
) -> None:
    assert named in differing_column(expected, actual)
