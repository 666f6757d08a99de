"""The pull-request description of a proposal: evidence, mapping, diff and validation."""

from __future__ import annotations

from collections.abc import Sequence

from agents.core.models import AlertRaised, ModelPatch, SchemaMapping, ValidationReport
from tools.sql_patch import render_diff


def _cell(text: object) -> str:
    """Make a value safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def describe_proposal(
    alert: AlertRaised,
    mapping: SchemaMapping,
    patches: Sequence[ModelPatch],
    report: ValidationReport,
) -> str:
    """Markdown body of the pull request a reviewer reads before approving."""
    lines = [f"## What changed on `{alert.dataset}`", ""]
    for d in alert.detections:
        target = f" -> `{d.to}`" if d.to else ""
        note = f": {d.evidence.note}" if d.evidence.note else ""
        seen = (
            f" (seen in {d.evidence.count} of {d.evidence.total} events, "
            f"confidence {d.confidence:.2f})"
            if d.evidence.total
            else ""
        )
        lines.append(f"- **{d.kind}** of `{d.field}`{target}{note}{seen}")
    lines += [
        "",
        "## Mapping",
        "",
        "| old field | computed from the new events | origin | why |",
        "|---|---|---|---|",
    ]
    for m in mapping.entries:
        lines.append(
            f"| `{_cell(m.source)}` | `{_cell(m.target)}` | {m.origin} | {_cell(m.rationale)} |"
        )
    lines += [
        "",
        "## Patch",
        "",
        "```diff",
        render_diff(list(patches)).rstrip(),
        "```",
        "",
        "## Validation",
        "",
        f"Replayed {report.replayed_events} captured events.",
        "",
        "| check | result | detail |",
        "|---|---|---|",
    ]
    for c in report.checks:
        lines.append(f"| {_cell(c.name)} | {'pass' if c.passed else 'FAIL'} | {_cell(c.detail)} |")
    lines += ["", "Nothing is applied until a reviewer approves this proposal."]
    return "\n".join(lines)
