"""delivery queue: the alert to send, next attempt, failing since, lease, in-doubt attempts

Revision ID: 0015_delivery_queue
Revises: 0009_web
Create Date: 2026-12-04 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triggerwatch.core.db

revision = "0015_delivery_queue"
down_revision = "0009_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("next_attempt_at", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("failing_since", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_attempt_at", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("lease_until", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("in_doubt", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index("ix_deliveries_due", ["sink", "status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_due")
        batch_op.drop_column("in_doubt")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("last_attempt_at")
        batch_op.drop_column("failing_since")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("payload")
