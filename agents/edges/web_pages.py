"""Server-rendered HTML for reviewers: every value is escaped, because the data is hostile."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from html import escape
from urllib.parse import quote

from core.lifecycle import ProposalRecord
from core.models import IncidentEscalated, ModelPatch

# No scripts at all: the pages work with plain forms, so the policy can forbid every script.
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:.8rem 2rem}header a{color:#fff;text-decoration:none}
main{max-width:1100px;margin:1.5rem auto;padding:0 1.5rem}
h1{font-size:1.4rem;overflow-wrap:anywhere}h2{font-size:1.1rem;margin-top:1.8rem}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0}
th,td{border:1px solid #dde1e7;padding:.4rem .6rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere}th{background:#eef1f5;font-weight:600}
pre{background:#fff;border:1px solid #dde1e7;padding:.8rem;overflow:auto;white-space:pre-wrap}
.diff .add{background:#e6ffec;display:block}.diff .del{background:#ffebe9;display:block}
.diff .hunk{color:#6a737d;display:block}
.status{display:inline-block;padding:.1rem .55rem;border-radius:1rem;font-size:.85rem;
font-weight:600;background:#e1e4e8}
.status-pending{background:#fff5b1}.status-approved{background:#c8e1ff}
.status-applied{background:#acf2bd}.status-rejected,.status-failed{background:#fdb8c0}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
.message{padding:.6rem 1rem;border-radius:.3rem;background:#fff5b1;border:1px solid #e3c400}
form.decide{background:#fff;border:1px solid #dde1e7;padding:1rem;display:grid;gap:.6rem;
max-width:520px}form.decide label{display:grid;gap:.2rem;font-weight:600}
form.decide input,form.decide textarea{font:inherit;padding:.35rem;font-weight:400}
table.facts th{width:11rem}
button{font:inherit;padding:.4rem 1.2rem;margin-right:.5rem;cursor:pointer}
.approve{background:#1a7f37;color:#fff;border:0}.reject{background:#cf222e;color:#fff;border:0}
.muted{color:#6a737d}
"""


def e(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def proposal_path(proposal_id: str) -> str:
    """The URL path of a proposal's page (the id is percent-encoded)."""
    return "/proposals/" + quote(proposal_id, safe="")


def page(title: str, body: str) -> str:
    """A whole HTML document around `body` (already escaped HTML)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)} · suture</title><style>{_STYLE}</style></head><body>"
        '<header><a href="/"><strong>suture</strong> · fix proposals</a></header>'
        f"<main>{body}</main></body></html>"
    )


def _status(status: str) -> str:
    return f'<span class="status status-{e(status)}">{e(status)}</span>'


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], empty: str) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="muted">{e(empty)}</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _checks_summary(record: ProposalRecord) -> str:
    report = record.proposal.validation
    failed = len(report.failures())
    if report.passed:
        return f'<span class="ok">{len(report.checks)} passed</span>'
    return f'<span class="bad">{failed} of {len(report.checks)} failed</span>'


def proposals_page(records: list[ProposalRecord], incidents: list[IncidentEscalated]) -> str:
    """The list of proposals (newest first) and of escalated incidents."""
    rows = [
        [
            _status(r.status),
            e(r.proposal.dataset),
            f'<a href="{e(proposal_path(r.proposal_id))}">{e(r.proposal.title)}</a>',
            _checks_summary(r),
            e(r.proposal.origin),
            e(r.proposal.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
            e(r.reviewer or ""),
        ]
        for r in reversed(records)
    ]
    incident_rows = [
        [
            e(i.dataset),
            e(i.reason),
            e(", ".join(i.candidates)),
            e(i.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ]
        for i in reversed(incidents)
    ]
    pending = sum(r.status == "pending" for r in records)
    body = (
        f"<h1>Fix proposals</h1><p>{pending} waiting for review, {len(records)} in all.</p>"
        + _table(
            ["Status", "Dataset", "Title", "Checks", "Origin", "Proposed", "Reviewer"],
            rows,
            "No proposals yet.",
        )
        + "<h2>Incidents (need a human)</h2>"
        + _table(["Dataset", "Reason", "Candidates", "Escalated"], incident_rows, "No incidents.")
    )
    return page("Fix proposals", body)


def _diff(patch: ModelPatch) -> str:
    """The diff of the model's file: its Jinja for a dbt model, else its SQL."""
    before = patch.template_before if patch.template_before is not None else patch.before_sql
    lines = difflib.unified_diff(
        before.splitlines(),
        patch.file_text.splitlines(),
        fromfile=f"a/{patch.path or patch.model}",
        tofile=f"b/{patch.path or patch.model}",
        lineterm="",
    )
    kinds = {"+": "add", "-": "del", "@": "hunk"}
    spans = []
    for line in lines:
        kind = "hunk" if line.startswith(("+++", "---")) else kinds.get(line[:1], "")
        spans.append(f'<span class="{kind}">{e(line)}</span>' if kind else e(line) + "\n")
    return f'<pre class="diff">{"".join(spans)}</pre>'


def _decision_form(record: ProposalRecord) -> str:
    if record.status != "pending":
        return ""
    return (
        "<h2>Decide</h2>"
        f'<form class="decide" method="post" action="{e(proposal_path(record.proposal_id))}'
        '/decide">'
        '<label>Reviewer token <input type="password" name="token" required '
        'autocomplete="current-password"></label>'
        '<label>Your name <input type="text" name="reviewer" maxlength="200" required></label>'
        '<label>Note <textarea name="note" rows="2" maxlength="2000"></textarea></label>'
        '<div><button class="approve" name="decision" value="approve">Approve and apply</button>'
        '<button class="reject" name="decision" value="reject">Reject</button></div></form>'
    )


def proposal_page(record: ProposalRecord, message: str | None = None) -> str:
    """One proposal: its description, mapping, checks, diff, and the approve/reject form."""
    p = record.proposal
    facts = [
        ("Status", _status(record.status)),
        ("Dataset", e(p.dataset)),
        ("Alert", e(p.alert_id)),
        ("Proposed", e(p.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC"))),
        ("Origin", e(f"{p.origin} ({p.llm_calls} model calls)")),
        ("Branch", e(p.branch or "")),
        ("Commit", e(p.commit or "")),
        ("Reviewer", e(record.reviewer or "")),
        (
            "Decided",
            e(record.decided_at.strftime("%Y-%m-%d %H:%M:%S UTC") if record.decided_at else ""),
        ),
        ("Applied commit", e(record.applied_commit or "")),
        ("Why it failed", e(record.failure or "")),
        ("Note", e(record.note or "")),
    ]
    fact_rows = "".join(
        f"<tr><th>{e(name)}</th><td>{value}</td></tr>" for name, value in facts if value
    )
    mapping = [
        [
            e(m.source),
            f"<code>{e(m.target)}</code>",
            e(f"{m.confidence:.2f}"),
            e(m.origin),
            e(m.rationale),
        ]
        for m in p.mapping.entries
    ]
    checks = [
        [
            e(c.name),
            '<span class="ok">passed</span>' if c.passed else '<span class="bad">failed</span>',
            e(c.detail),
        ]
        for c in p.validation.checks
    ]
    diffs = "".join(f"<h3>{e(patch.model)}</h3>{_diff(patch)}" for patch in p.patches)
    body = (
        (f'<p class="message" role="status">{e(message)}</p>' if message else "")
        + f"<h1>{e(p.title)}</h1>"
        + f'<table class="facts">{fact_rows}</table>'
        + f'<h2>Description</h2><pre class="description">{e(p.description)}</pre>'
        + "<h2>Mapping</h2>"
        + _table(
            ["Old field", "New field or expression", "Confidence", "Origin", "Why"],
            mapping,
            "No field mapping.",
        )
        + f"<h2>Validation ({e(p.validation.replayed_events)} events replayed)</h2>"
        + _table(["Check", "Result", "Detail"], checks, "No checks were run.")
        + "<h2>Diff</h2>"
        + diffs
        + _decision_form(record)
    )
    return page(p.title, body)


def error_page(status: int, message: str) -> str:
    """A page that says what went wrong and links back to the list."""
    body = f'<h1>Error {status}</h1><p class="message">{e(message)}</p><p><a href="/">Back</a></p>'
    return page(f"Error {status}", body)
