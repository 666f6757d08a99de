"""The scenario generator: deterministic per seed, and `suture eval --check` accepts it all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.checker import check_suite
from evals.generator.compose import OPERATORS, generate_one
from evals.generator.suite import write_suite
from evals.generator.tables import default_root
from evals.loader import load_scenario
from suture.cli import main

ROOT = default_root()
needs_tables = pytest.mark.skipif(ROOT is None, reason="../shared/benchmarks is not here")


@needs_tables
def test_seed_one_writes_twenty_scenarios_the_checker_accepts(tmp_path: Path) -> None:
    assert ROOT is not None
    manifest = write_suite(ROOT, 1, 20, tmp_path)

    report = check_suite(tmp_path)

    assert report.checked == 20 and report.ok, [str(p) for p in report.problems]
    written = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert written == manifest and len(written["scenarios"]) == 20
    assert {"fix", "escalate"} <= set(written["outcomes"])
    assert len(written["dialects"]) == 5


@needs_tables
def test_a_seed_always_gives_the_same_scenarios_and_another_seed_others() -> None:
    assert ROOT is not None
    first = [generate_one(ROOT, 7, index).text for index in range(3)]
    again = [generate_one(ROOT, 7, index).text for index in range(3)]
    other = [generate_one(ROOT, 8, index).text for index in range(3)]

    assert first == again
    assert first != other


@needs_tables
def test_fix_scenarios_carry_ground_truth_and_reject_patches_that_differ_from_it(
    tmp_path: Path,
) -> None:
    assert ROOT is not None
    write_suite(ROOT, 3, 12, tmp_path)
    scenarios = [load_scenario(p) for p in sorted(tmp_path.glob("*.yaml"))]
    fixes = [s for s in scenarios if s.expect.outcome == "fix"]

    assert fixes
    for scenario in fixes:
        assert scenario.expect.output and scenario.expect.detect
        assert scenario.expect.mapping or "redelivery" in scenario.tags
        assert "generated" in scenario.tags and scenario.pipeline.dialect in scenario.tags


def test_every_operator_of_the_issue_is_there() -> None:
    assert {
        "rename",
        "abbreviation",
        "unit_change",
        "epoch_timestamp",
        "thousands_separators",
        "timestamp_precision",
        "timestamp_zone",
        "merge",
        "split",
        "nesting",
        "enum_new_value",
        "null_spike",
        "omitted_when_zero",
        "redelivery",
        "conflicting_duplicates",
        "removal",
        "added_field",
    } <= set(OPERATORS)


@needs_tables
def test_suture_eval_generate_writes_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["eval", "generate", "--seed", "5", "--count", "2", str(tmp_path / "out")])

    assert code == 0
    assert len(list((tmp_path / "out").glob("*.yaml"))) == 2
    assert "wrote 2 scenarios of seed 5" in capsys.readouterr().out


def test_suture_eval_generate_refuses_a_missing_table_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["eval", "generate", "--count", "1", "--tables", str(tmp_path), str(tmp_path / "o")]
    )

    assert code == 2
    assert "pass --tables DIR" in capsys.readouterr().err


@needs_tables
def test_a_field_omitted_when_zero_was_sent_as_zero_before_the_change(tmp_path: Path) -> None:
    """The evidence that an absent count means 0 must be in the events: without zeros before
    the change, a missing value is just missing and the honest outcome is to escalate."""
    assert ROOT is not None
    write_suite(ROOT, 5, 60, tmp_path)
    scenarios = [load_scenario(p) for p in sorted(tmp_path.glob("*.yaml"))]
    omitted = [s for s in scenarios if "omitted_when_zero" in s.tags]
    assert omitted
    for scenario in omitted:
        [field] = [
            d.field
            for d in scenario.expect.detect
            if d.kind == "nullability" and d.field in scenario.expect.mapping
        ] or [None]
        assert field is not None, scenario.id
        assert any(e.get(field) == 0 for e in scenario.events.before), scenario.id
        assert all(field not in e or e[field] != 0 for e in scenario.events.after), scenario.id
