"""The lineage of a proposal's models as a small server-rendered SVG: sources -> models."""

from __future__ import annotations

import sqlglot
from markupsafe import Markup, escape
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.models import FixProposed

_WIDTH, _ROW, _BOX_W, _BOX_H = 560, 44, 200, 28


def _reads(sql: str, dialect: str) -> list[str]:
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except SqlglotError:
        return []
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return sorted({t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes})


def lineage_edges(proposal: FixProposed) -> list[tuple[str, str]]:
    """(source, model) for every table or model each patched model reads after the fix."""
    return [
        (source, patch.model)
        for patch in proposal.patches
        for source in _reads(patch.after_sql, patch.dialect)
    ]


def lineage_svg(proposal: FixProposed) -> Markup:
    """An SVG drawing: the sources on the left, the patched models on the right, arrows between."""
    edges = lineage_edges(proposal)
    sources = sorted({s for s, _ in edges} | {proposal.dataset})
    models = sorted({p.model for p in proposal.patches})
    height = max(len(sources), len(models), 1) * _ROW + 12
    left = {name: (10, 10 + i * _ROW) for i, name in enumerate(sources)}
    right = {name: (_WIDTH - _BOX_W - 10, 10 + i * _ROW) for i, name in enumerate(models)}
    parts = [
        f'<svg class="lineage" xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" '
        f'height="{height}" viewBox="0 0 {_WIDTH} {height}" role="img" '
        f'aria-label="lineage of the patched models">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#57606a"/></marker></defs>'
    ]
    for source, model in edges:
        (x1, y1), (x2, y2) = left[source], right[model]
        parts.append(
            f'<line x1="{x1 + _BOX_W}" y1="{y1 + _BOX_H // 2}" x2="{x2}" y2="{y2 + _BOX_H // 2}" '
            'stroke="#57606a" marker-end="url(#arrow)"/>'
        )
    for name, (x, y) in left.items():
        parts.append(_box(name, x, y, "topic" if name == proposal.dataset else "source"))
    for name, (x, y) in right.items():
        parts.append(_box(name, x, y, "model"))
    parts.append("</svg>")
    return Markup("".join(parts))


def _box(name: str, x: int, y: int, kind: str) -> str:
    fill = {"topic": "#ddf4ff", "source": "#f6f8fa", "model": "#dafbe1"}[kind]
    label = escape(name if len(name) <= 26 else name[:25] + "…")
    return (
        f'<g class="node {kind}"><title>{escape(name)}</title>'
        f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="5" fill="{fill}" '
        f'stroke="#8c959f"/><text x="{x + 8}" y="{y + 19}" font-size="13" '
        f'font-family="ui-monospace,monospace">{label}</text></g>'
    )
