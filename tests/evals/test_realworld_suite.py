"""The hand-written real-world suite: well-formed, cited, broad, and gated by its own floors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evals.checker import check_suite
from evals.loader import load_suite
from evals.report import build_report, render_table
from evals.runner import run_suite
from evals.thresholds import load_thresholds

EVALS = Path(__file__).resolve().parents[2] / "evals"
REALWORLD = EVALS / "realworld"
# A source named in the description: a URL, a versioned release, or a named document.
_CITATION = re.compile(
    r"https?://|docs|documentation|release notes|migration guide|specification|reference|"
    r"\bAPI\b|[Gg]uide|breaking changes|changelog|HL7 FHIR|\w\.(dev|org|com)\b",
    re.IGNORECASE,
)


def _domains(root: Path, known_tags: set[str]) -> set[str]:
    return {s.tags[1] for s in load_suite(root).scenarios if len(s.tags) > 1} - known_tags


def test_every_real_world_scenario_passes_the_checker() -> None:
    report = check_suite(REALWORLD)

    assert report.checked >= 25
    assert report.ok, [str(p) for p in report.problems]


def test_every_real_world_scenario_cites_its_source_and_is_tagged() -> None:
    suite = load_suite(REALWORLD)

    for scenario in suite.scenarios:
        assert scenario.tags[0] == "realworld", scenario.id
        assert _CITATION.search(scenario.description), scenario.id


def test_the_real_world_suite_covers_ten_domains_the_shipped_suite_lacks() -> None:
    shipped = {tag for s in load_suite(EVALS / "scenarios").scenarios for tag in s.tags}

    new_domains = _domains(REALWORLD, shipped)

    assert len(new_domains) >= 10, new_domains


@pytest.mark.integration
def test_real_world_suite_meets_its_thresholds_in_process() -> None:
    suite = load_suite(REALWORLD)

    report = build_report(
        "realworld",
        run_suite(suite.scenarios, parallel=2),
        suite.errors,
        load_thresholds(EVALS / "thresholds_realworld.yaml"),
    )

    print(render_table(report))
    assert report.threshold_failures == [], report.threshold_failures
