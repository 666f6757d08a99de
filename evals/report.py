"""Eval reports: a table for the terminal, JSON with stable keys, and Markdown.

The JSON keys are documented in evals/README.md and only ever gain new keys; `schema_version`
changes if one is ever renamed or removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import AssistantError
from evals.loader import LoadError
from evals.run_record import RunRecord
from evals.scoring import ScenarioScore, Totals, score_record, total
from evals.thresholds import Thresholds, check_thresholds

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class EvalReport:
    """Everything one `suture eval` run measured."""

    suite: str
    scores: list[ScenarioScore]
    totals: Totals
    load_errors: list[LoadError] = field(default_factory=list)
    thresholds_checked: bool = False
    threshold_failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every file loaded and every threshold was met (the process exit code follows it)."""
        return not self.load_errors and not self.threshold_failures


def build_report(
    suite: str,
    scores: Iterable[ScenarioScore],
    load_errors: Sequence[LoadError] = (),
    thresholds: Thresholds | None = None,
    wall_seconds: float | None = None,
) -> EvalReport:
    """Total the scores and check them against `thresholds` (if given)."""
    items = list(scores)
    totals = total(items, wall_seconds)
    failures = check_thresholds(totals, thresholds) if thresholds is not None else []
    return EvalReport(
        suite=suite,
        scores=items,
        totals=totals,
        load_errors=list(load_errors),
        thresholds_checked=thresholds is not None,
        threshold_failures=failures,
    )


def _scenario_json(score: ScenarioScore) -> dict[str, Any]:
    counts = score.detections
    return {
        "id": score.scenario_id,
        "tags": score.tags,
        "passed": score.passed,
        "expected_outcome": score.expected_outcome,
        "actual_outcome": score.actual_outcome,
        "outcome_correct": score.outcome_correct,
        "detection": {
            "true_positives": counts.true_positives,
            "false_positives": counts.false_positives,
            "false_negatives": counts.false_negatives,
            "precision": counts.precision,
            "recall": counts.recall,
        },
        "mapping": {"correct": score.mapping_correct, "total": score.mapping_total},
        "output_correct": score.output_correct,
        "output_problems": score.output_problems,
        "rejects": {"refused": score.rejects_refused, "total": score.rejects_total},
        "false_confidence": score.false_confidence,
        "llm_calls": score.llm_calls,
        "cache_hits": score.cache_hits,
        "wall_seconds": round(score.wall_seconds, 3),
        "error": score.error,
        **_record_json(score.record),
    }


def _record_json(record: RunRecord | None) -> dict[str, Any]:
    """`expect`, `actual` and `mapping_values`: enough to re-score the scenario (`rescore`)."""
    if record is None:
        return {"expect": None, "actual": None, "mapping_values": None}
    data = record.model_dump(mode="json", by_alias=True, exclude_none=False)
    data["expect"]["detect"] = [
        d.model_dump(mode="json", by_alias=True, exclude_none=True) for d in record.expect.detect
    ]
    return {key: data[key] for key in ("expect", "actual", "mapping_values")}


class RescoreError(AssistantError):
    """A JSON report that cannot be re-scored (written without `expect` and `actual`)."""


def rescore(data: Mapping[str, Any]) -> Totals:
    """The totals of a JSON report, recomputed from its scenarios' `expect` and `actual` alone.

    The wall time is the report's own (it is measured, not scored).
    """
    records = []
    for scenario in data["scenarios"]:
        if scenario.get("expect") is None or scenario.get("actual") is None:
            raise RescoreError(
                f"scenario {scenario.get('id')!r} has no expect/actual; write the report again "
                "with this version of suture eval --json"
            )
        records.append(
            RunRecord(
                scenario_id=scenario["id"],
                tags=scenario.get("tags", []),
                expect=scenario["expect"],
                actual=scenario["actual"],
                mapping_values=scenario.get("mapping_values") or {},
            )
        )
    return total(
        (score_record(record) for record in records),
        wall_seconds=float(data["totals"]["wall_seconds"]),
    )


def by_tag(scores: Iterable[ScenarioScore]) -> dict[str, Totals]:
    """Totals per tag (a scenario counts under each of its tags), tags in sorted order."""
    grouped: dict[str, list[ScenarioScore]] = {}
    for score in scores:
        for tag in score.tags or ["(untagged)"]:
            grouped.setdefault(tag, []).append(score)
    return {tag: total(grouped[tag]) for tag in sorted(grouped)}


def render_by_tag(report: EvalReport) -> str:
    """One line per tag: scenarios, passed, outcome accuracy, rejects refused, false confidence."""
    header = (
        "tag",
        "scenarios",
        "passed",
        "outcome",
        "mapping",
        "output",
        "rejects",
        "false conf",
        "errors",
    )
    rows = [header] + [
        (
            tag,
            str(t.scenarios),
            str(t.passed),
            f"{t.outcome_accuracy:.3f}",
            f"{t.mapping_accuracy:.3f}",
            f"{t.output_correctness:.3f}",
            f"{t.reject_share:.3f}",
            str(t.false_confidence),
            str(t.errors),
        )
        for tag, t in by_tag(report.scores).items()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def report_json(report: EvalReport) -> dict[str, Any]:
    """The report as JSON-ready data, with the keys documented in evals/README.md."""
    totals = report.totals.model_dump()
    totals["load_errors"] = len(report.load_errors)
    totals["wall_seconds"] = round(report.totals.wall_seconds, 3)
    return {
        "schema_version": SCHEMA_VERSION,
        "suite": report.suite,
        "passed": report.passed,
        "totals": totals,
        "thresholds": {
            "checked": report.thresholds_checked,
            "failures": report.threshold_failures,
        },
        "load_errors": [
            {"path": str(e.path), "line": e.line, "message": e.message} for e in report.load_errors
        ],
        "scenarios": [_scenario_json(score) for score in report.scores],
        "by_tag": {
            tag: {**totals.model_dump(), "wall_seconds": round(totals.wall_seconds, 3)}
            for tag, totals in by_tag(report.scores).items()
        },
    }


def write_json(report: EvalReport, path: Path | str) -> None:
    """Write the JSON report to `path`."""
    text = json.dumps(report_json(report), indent=2, ensure_ascii=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


_HEADERS = (
    "scenario",
    "expected",
    "actual",
    "det P",
    "det R",
    "mapping",
    "output",
    "rejects",
    "llm",
    "cache",
    "secs",
    "result",
)


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "-"


def _row(score: ScenarioScore) -> tuple[str, ...]:
    output = {True: "ok", False: "WRONG", None: "-"}[score.output_correct]
    if score.error is not None:
        result = "ERROR"
    elif score.false_confidence:
        result = "FALSE CONFIDENCE"
    else:
        result = "pass" if score.passed else "fail"
    return (
        score.scenario_id,
        score.expected_outcome,
        score.actual_outcome or "-",
        f"{score.detections.precision:.2f}",
        f"{score.detections.recall:.2f}",
        _ratio(score.mapping_correct, score.mapping_total),
        output,
        _ratio(score.rejects_refused, score.rejects_total),
        str(score.llm_calls),
        str(score.cache_hits),
        f"{score.wall_seconds:.1f}",
        result,
    )


def _total_lines(report: EvalReport) -> list[tuple[str, str]]:
    t = report.totals
    return [
        (
            "scenarios",
            f"{t.scenarios} ({t.passed} passed, {t.errors} errors, "
            f"{len(report.load_errors)} failed to load)",
        ),
        ("detection precision", f"{t.detection_precision:.3f}"),
        ("detection recall", f"{t.detection_recall:.3f}"),
        ("outcome accuracy", f"{t.outcome_accuracy:.3f}"),
        ("mapping accuracy", f"{t.mapping_accuracy:.3f}"),
        ("output correctness", f"{t.output_correctness:.3f}"),
        ("reject patches refused", f"{t.reject_share:.3f}"),
        ("false confidence", str(t.false_confidence)),
        ("llm calls", str(t.llm_calls)),
        ("cache hits", str(t.cache_hits)),
        ("wall time", f"{t.wall_seconds:.1f} s"),
    ]


def _verdict(report: EvalReport) -> list[str]:
    lines = [f"load error: {error}" for error in report.load_errors]
    lines += [f"threshold not met: {failure}" for failure in report.threshold_failures]
    if report.thresholds_checked and not report.threshold_failures:
        lines.append("all thresholds met")
    return lines


def render_table(report: EvalReport) -> str:
    """A fixed-width table of every scenario, then the totals, for the terminal."""
    rows = [_HEADERS, *(_row(score) for score in report.scores)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    label = max(len(name) for name, _ in _total_lines(report))
    lines += [f"{name.ljust(label)}  {value}" for name, value in _total_lines(report)]
    lines += _verdict(report)
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: EvalReport) -> str:
    """The report as Markdown: totals, per-scenario table, then the problems worth reading."""
    lines = [f"# Eval report: {report.suite}", "", "| measure | value |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in _total_lines(report)]
    lines += [
        "",
        "## Scenarios",
        "",
        "| " + " | ".join(_HEADERS) + " |",
        "|" + "---|" * len(_HEADERS),
    ]
    lines += ["| " + " | ".join(_cell(c) for c in _row(score)) + " |" for score in report.scores]
    problems = [
        (score.scenario_id, problem)
        for score in report.scores
        for problem in ([score.error] if score.error else []) + score.output_problems
    ]
    if problems:
        lines += ["", "## Problems", ""]
        lines += [f"- `{scenario}`: {_cell(problem)}" for scenario, problem in problems]
    verdict = _verdict(report)
    if verdict:
        lines += ["", "## Verdict", ""] + [f"- {line}" for line in verdict]
    return "\n".join(lines) + "\n"
