"""CI gate: the shipped suite, run offline, keeps the thresholds kept in the repository."""

from __future__ import annotations

from pathlib import Path

from evals.loader import load_suite
from evals.report import build_report, render_table
from evals.runner import run_suite
from evals.thresholds import load_thresholds

EVALS = Path(__file__).resolve().parents[2] / "evals"


def test_shipped_suite_meets_its_thresholds_offline() -> None:
    suite = load_suite(EVALS / "scenarios")
    assert not suite.errors, [str(e) for e in suite.errors]
    assert len(suite.scenarios) >= 40
    scores = run_suite(suite.scenarios, parallel=2)
    report = build_report(
        "shipped", scores, suite.errors, load_thresholds(EVALS / "thresholds.yaml")
    )
    print(render_table(report))
    assert report.threshold_failures == [], report.threshold_failures
    assert report.totals.llm_calls == 0, "the shipped suite runs without a model"
