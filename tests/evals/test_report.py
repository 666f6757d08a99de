"""Tests of evals.report and evals.thresholds: stable JSON keys, readable table and Markdown."""

from __future__ import annotations

import json
from pathlib import Path

from evals.loader import LoadError
from evals.report import build_report, render_markdown, render_table, report_json, write_json
from evals.scoring import Counts, ScenarioScore
from evals.thresholds import Thresholds, load_thresholds


def score(scenario_id: str, **changes: object) -> ScenarioScore:
    values: dict[str, object] = {
        "scenario_id": scenario_id,
        "expected_outcome": "fix",
        "actual_outcome": "fix",
        "detections": Counts(true_positives=1),
        "outcome_correct": True,
        "mapping_correct": 1,
        "mapping_total": 1,
        "output_correct": True,
        "rejects_refused": 2,
        "rejects_total": 2,
        "wall_seconds": 1.25,
    }
    values.update(changes)
    return ScenarioScore.model_validate(values)


SCORES = [
    score("orders-rename"),
    score(
        "payments-unit",
        output_correct=False,
        false_confidence=True,
        output_problems=["stg: 1 expected rows missing, 1 unexpected rows"],
    ),
    score(
        "iot-lag",
        expected_outcome="escalate",
        actual_outcome=None,
        output_correct=None,
        outcome_correct=False,
        error="runner timed out | twice",
        mapping_total=0,
        mapping_correct=0,
        rejects_refused=0,
        rejects_total=0,
        detections=Counts(false_negatives=1),
    ),
]


def test_json_has_the_documented_stable_keys(tmp_path: Path) -> None:
    errors = [LoadError(Path("bad.yaml"), 4, "invalid YAML: x")]
    report = build_report("evals/scenarios", SCORES, errors, Thresholds(max_false_confidence=0))
    data = report_json(report)
    assert list(data) == [
        "schema_version",
        "suite",
        "passed",
        "totals",
        "thresholds",
        "load_errors",
        "scenarios",
        "by_tag",
    ]
    assert data["schema_version"] == 1 and data["passed"] is False
    assert set(data["totals"]) == {
        "scenarios",
        "passed",
        "errors",
        "load_errors",
        "detection_precision",
        "detection_recall",
        "outcome_accuracy",
        "mapping_accuracy",
        "output_correctness",
        "reject_share",
        "false_confidence",
        "llm_calls",
        "cache_hits",
        "wall_seconds",
    }
    assert data["totals"]["false_confidence"] == 1 and data["totals"]["load_errors"] == 1
    assert data["thresholds"]["failures"] == ["false_confidence is 1, above the threshold 0"]
    assert data["load_errors"] == [{"path": "bad.yaml", "line": 4, "message": "invalid YAML: x"}]
    assert set(data["scenarios"][0]) == {
        "id",
        "tags",
        "passed",
        "expected_outcome",
        "actual_outcome",
        "outcome_correct",
        "detection",
        "mapping",
        "output_correct",
        "output_problems",
        "rejects",
        "false_confidence",
        "llm_calls",
        "cache_hits",
        "wall_seconds",
        "error",
        "expect",
        "actual",
        "mapping_values",
    }
    write_json(report, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text()) == data


def test_table_shows_each_scenario_the_totals_and_the_verdict() -> None:
    table = render_table(
        build_report("suite", SCORES, thresholds=Thresholds(min_outcome_accuracy=0.5))
    )
    lines = table.splitlines()
    assert lines[0].split() == [
        "scenario",
        "expected",
        "actual",
        "det",
        "P",
        "det",
        "R",
        "mapping",
        "output",
        "rejects",
        "llm",
        "cache",
        "secs",
        "result",
    ]
    assert "FALSE CONFIDENCE" in lines[3] and "ERROR" in lines[4]
    assert "outcome accuracy        0.667" in table
    assert "all thresholds met" in table


def test_markdown_escapes_pipes_and_lists_problems() -> None:
    markdown = render_markdown(build_report("suite", SCORES))
    assert markdown.startswith("# Eval report: suite\n")
    assert "runner timed out \\| twice" in markdown
    assert "- `payments-unit`: stg: 1 expected rows missing" in markdown


def test_thresholds_file_errors_point_at_the_line(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("min_detection_recall: 0.5\nmin_outcome_accurcy: 0.9\n")
    try:
        load_thresholds(path)
    except LoadError as error:
        assert error.line == 2
    else:
        raise AssertionError("an unknown threshold key must not load")
    assert load_thresholds(Path("evals/thresholds.yaml")).min_detection_recall is not None


def test_rescoring_the_json_report_alone_gives_the_run_s_totals() -> None:
    from evals.loader import load_suite
    from evals.report import rescore
    from evals.runner import run_suite

    suite = load_suite(
        Path(__file__).resolve().parents[2] / "evals" / "scenarios",
        tags=["unit_change", "duplicates"],
    )
    report = build_report("shipped", run_suite(suite.scenarios))
    data = json.loads(json.dumps(report_json(report)))

    rescored = rescore(data)
    assert rescored.model_dump(exclude={"wall_seconds"}) == report.totals.model_dump(
        exclude={"wall_seconds"}
    )
    assert rescored.wall_seconds == round(report.totals.wall_seconds, 3)
    assert all(s["actual"]["outcome"] == s["actual_outcome"] for s in data["scenarios"])
    fixed = [s for s in data["scenarios"] if s["actual_outcome"] == "fix"]
    assert fixed and all(s["actual"]["patched_models"] and s["actual"]["output"] for s in fixed)
    verdicts = [v for s in data["scenarios"] for v in s["actual"]["reject_patches"]]
    assert verdicts and all(v["check"] for v in verdicts if v["refused"])


def test_rescoring_sees_an_edited_actual() -> None:
    from evals.loader import load_suite
    from evals.report import rescore
    from evals.runner import run_suite

    suite = load_suite(Path(__file__).resolve().parents[2] / "evals" / "scenarios", tags=["rename"])
    data = json.loads(json.dumps(report_json(build_report("shipped", run_suite(suite.scenarios)))))
    for scenario in data["scenarios"]:
        scenario["actual"]["outcome"] = "no_action"

    assert rescore(data).outcome_accuracy == 0.0


def test_by_tag_totals_each_tag_and_renders_a_line_per_tag() -> None:
    from evals.report import by_tag, render_by_tag

    tagged = [
        score("a", tags=["rename", "orders"]),
        score("b", tags=["orders"], false_confidence=True, output_correct=False),
    ]
    totals = by_tag(tagged)

    assert list(totals) == ["orders", "rename"]
    assert (totals["orders"].scenarios, totals["orders"].false_confidence) == (2, 1)
    assert totals["rename"].passed == 1
    assert render_by_tag(build_report("s", tagged)).splitlines()[2].split()[:3] == [
        "orders",
        "2",
        "1",
    ]
