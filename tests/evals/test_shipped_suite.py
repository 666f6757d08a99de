"""The shipped suite: big and varied enough, checker-clean, outputs built from reference fixes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import get_args

from core.models import DetectionKind
from evals.build_expected import REFERENCE_FIXES, SCENARIOS, build
from evals.checker import check_suite
from evals.loader import load_suite

DOMAINS = ("orders", "payments", "cdc", "clickstream", "iot")
DIALECTS = ("duckdb", "spark", "snowflake", "bigquery", "postgres")


def test_the_suite_covers_every_kind_outcome_domain_and_dialect() -> None:
    suite = load_suite(SCENARIOS)
    assert suite.errors == []
    scenarios = suite.scenarios
    assert len(scenarios) >= 40
    kinds = {d.kind for s in scenarios for d in s.expect.detect}
    assert kinds == set(get_args(DetectionKind))
    outcomes = Counter(s.expect.outcome for s in scenarios)
    assert min(outcomes[o] for o in ("fix", "escalate", "no_action")) >= 8
    assert {s.pipeline.dialect for s in scenarios} >= set(DIALECTS)
    assert all(any(d in s.tags for d in DOMAINS) for s in scenarios)
    assert all(s.expect.reject_patches for s in scenarios if s.expect.outcome == "fix")
    assert all(
        4 <= len(s.events.before) <= 15 and 4 <= len(s.events.after) <= 15 for s in scenarios
    )


def test_every_shipped_scenario_passes_the_checker() -> None:
    report = check_suite(SCENARIOS)
    assert [str(p) for p in report.problems] == []


def test_expected_outputs_match_the_reference_fixes() -> None:
    assert build(SCENARIOS, REFERENCE_FIXES, verify=True) == []
    fixes = {p.stem for p in Path(REFERENCE_FIXES).glob("*.yaml")}
    fix_ids = {s.id for s in load_suite(SCENARIOS).scenarios if s.expect.outcome == "fix"}
    assert fixes == fix_ids
