"""source checks: the last `triggerwatch sources check` result per source

Revision ID: 0018_source_checks
Revises: 0015_delivery_queue
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triggerwatch.core.db

revision = "0018_source_checks"
down_revision = "0015_delivery_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_checks",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("checked_at", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("robots_allowed", sa.Boolean(), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("newest_item_at", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("credentials_missing", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("next_poll_at", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source"),
    )


def downgrade() -> None:
    op.drop_table("source_checks")
