"""Tests of evals.build_expected: outputs come from the reference fix, the file keeps its lines."""

from __future__ import annotations

from pathlib import Path

from evals.build_expected import build
from evals.loader import load_scenario

SCENARIO = """\
id: iot-rename
# a comment that must survive
contract:
  dataset: readings
  fields:
    - {name: sensor, type: string, required: true}
    - {name: temp, type: number, required: true}
    - {name: at, type: timestamp, required: true}
pipeline:
  dialect: duckdb
  models:
    stg: select sensor, temp as temperature, cast("at" as timestamp) as at from readings
events:
  before: [{sensor: s1, temp: 3.5, at: "2026-01-01T00:00:00Z"}]
  after:
    - {sensor: s1, temperature_c: 4.25, at: "2026-01-01T00:01:00Z"}
    - {sensor: NO, temperature_c: -1.0, at: "2026-01-01T00:02:00Z"}
expect:
  detect:
    - {kind: rename, field: temp, to: temperature_c}
  outcome: fix
  mapping: {temp: temperature_c}
OUTPUT
  reject_patches:
    - {model: stg, sql: "select sensor, 0.0 as temperature, at from readings"}

# trailing comment
"""
FIX = """\
models:
  stg: select sensor, temperature_c as temperature, cast("at" as timestamp) as at from readings
"""
STALE = "  output:\n    stg:\n      - {sensor: old, temperature: 0, at: x}\n"


def setup(tmp_path: Path, output: str) -> tuple[Path, Path]:
    scenarios, fixes = tmp_path / "scenarios", tmp_path / "fixes"
    scenarios.mkdir()
    fixes.mkdir()
    path = scenarios / "iot-rename.yaml"
    path.write_text(SCENARIO.replace("OUTPUT\n", output))
    (fixes / "iot-rename.yaml").write_text(FIX)
    return path, fixes


def test_inserts_output_from_the_reference_fix_keeping_every_other_line(tmp_path: Path) -> None:
    path, fixes = setup(tmp_path, "")
    assert build(path.parent, fixes) == []
    text = path.read_text()
    assert text.replace(
        "  output:\n    stg:\n"
        "      - {sensor: s1, temperature: 4.25, at: '2026-01-01T00:01:00'}\n"
        "      - {sensor: 'NO', temperature: -1.0, at: '2026-01-01T00:02:00'}\n",
        "",
    ) == SCENARIO.replace("OUTPUT\n", "")
    assert load_scenario(path).expect.output["stg"][1]["sensor"] == "NO"
    assert build(path.parent, fixes, verify=True) == []


def test_replaces_a_stale_output_and_verify_reports_it_first(tmp_path: Path) -> None:
    path, fixes = setup(tmp_path, STALE)
    [problem] = build(path.parent, fixes, verify=True)
    assert "expect.output is stale" in problem
    assert build(path.parent, fixes) == []
    assert "old" not in path.read_text()
    assert "# trailing comment" in path.read_text()
    assert build(path.parent, fixes, verify=True) == []


def test_a_fix_scenario_without_a_reference_fix_is_a_problem(tmp_path: Path) -> None:
    path, fixes = setup(tmp_path, "")
    (fixes / "iot-rename.yaml").unlink()
    [problem] = build(path.parent, fixes)
    assert "reference fix failed" in problem and "cannot read" in problem
