"""Baseline: the store's tables as suture created them before it used migrations.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from agents.edges.migrations.baseline import REVISION, baseline_metadata

revision = REVISION
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table of the baseline."""
    baseline_metadata().create_all(op.get_bind(), checkfirst=False)


def downgrade() -> None:
    """Drop every table of the baseline."""
    baseline_metadata().drop_all(op.get_bind(), checkfirst=False)
