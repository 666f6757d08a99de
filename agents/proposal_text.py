"""The pull-request description of a proposal: evidence, mapping, diff and validation, and
what changed since the revision it supersedes."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from core.contracts import Contract
from core.models import AlertRaised, FixProposed, ModelPatch, SchemaMapping, ValidationReport
from tools.sql.patch import render_diff


def _cell(text: object) -> str:
    """Make a value safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def contract_changes(old: Contract, new: Contract) -> list[str]:
    """The contract's field changes in words, for a reviewer."""
    before = {f.name: f for f in old.fields}
    after = {f.name: f for f in new.fields}
    gone = [n for n in before if n not in after]
    added = [n for n in after if n not in before]
    changes = []
    if len(gone) == len(added) == 1 or (gone and len(old.fields) == len(new.fields)):
        pairs = [
            (b.name, a.name)
            for b, a in zip(old.fields, new.fields, strict=True)
            if b.name != a.name
        ]
        changes += [f"field `{b}` is now `{a}`" for b, a in pairs]
        gone = added = []
    changes += [f"field `{n}` removed" for n in gone]
    changes += [f"field `{n}` added ({after[n].type})" for n in added]
    for name, field in after.items():
        was = before.get(name)
        if was is not None and was != field:
            diff = {
                k: (getattr(was, k), v)
                for k, v in field.model_dump().items()
                if getattr(was, k) != v
            }
            changes.append(
                f"field `{name}`: " + ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in diff.items())
            )
    return changes or ["no field changes"]


def describe_proposal(
    alert: AlertRaised,
    mapping: SchemaMapping,
    patches: Sequence[ModelPatch],
    report: ValidationReport,
    contract: Contract | None = None,
    new_contract: Contract | None = None,
    similar: Sequence[tuple[str, str]] = (),
) -> str:
    """Markdown body of the pull request a reviewer reads before approving.

    `similar` holds (proposal id, summary) of verified past fixes most like this one."""
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
    ]
    if contract is not None and new_contract is not None:
        lines += ["", "## Contract", ""]
        lines += [f"- {change}" for change in contract_changes(contract, new_contract)]
    lines += [
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
    if similar:
        lines += ["", "## Similar past fixes", ""]
        lines += [f"- `{pid[:8]}`: {_cell(summary)}" for pid, summary in similar]
    lines += ["", "Nothing is applied until a reviewer approves this proposal."]
    return "\n".join(lines)


def describe_revision(previous: FixProposed, current: FixProposed) -> str:
    """Markdown for the top of a pull request's body: what changed since its last revision."""
    lines = [
        "## Revised: what changed since the last revision",
        "",
        f"This revision supersedes proposal `{previous.proposal_id[:8]}` (alert "
        f"`{previous.alert_id[:8]}`), which can no longer be approved; alert "
        f"`{current.alert_id[:8]}` brought new evidence.",
        "",
    ]
    header = len(lines)
    before, after = previous.mapping.as_dict(), current.mapping.as_dict()
    for source in sorted(before.keys() | after.keys()):
        old, new = before.get(source), after.get(source)
        if old == new:
            continue
        if old is None:
            lines.append(f"- mapping added: `{source}` <- `{new}`")
        elif new is None:
            lines.append(f"- mapping dropped: `{source}` (was `{old}`)")
        else:
            lines.append(f"- mapping changed: `{source}` <- `{new}` (was `{old}`)")
    lines += _patch_changes(previous.patches, current.patches)
    if previous.contract != current.contract:
        lines.append("- the contract change differs (see Contract below)")
    if len(lines) == header:
        lines.append("- the same fix, validated again on the newest events")
    return "\n".join(lines)


def _patch_changes(previous: Sequence[ModelPatch], current: Sequence[ModelPatch]) -> list[str]:
    """Each model whose patch differs between two revisions, with the diff between them."""
    before = {p.model: p for p in previous}
    after = {p.model: p for p in current}
    lines = []
    for model in sorted(before.keys() | after.keys()):
        old, new = before.get(model), after.get(model)
        if old is not None and new is not None and old.file_text == new.file_text:
            continue
        if new is None:
            lines.append(f"- `{model}` is no longer patched")
            continue
        was = old.file_text if old is not None else (new.template_before or new.before_sql)
        diff = difflib.unified_diff(
            was.splitlines(keepends=True),
            new.file_text.splitlines(keepends=True),
            f"{model} (last revision)",
            f"{model} (this revision)",
        )
        lines += [
            f"- `{model}`: its patch changed since the last revision",
            "",
            "```diff",
            "".join(diff).rstrip(),
            "```",
            "",
        ]
    return lines
