"""alerts: the reps' feed order as columns: priority_rank (3 high, 2 medium, 1 low) and
occurred_at (when the event happened), indexed whole and by owner (partial: no ops alerts)

Revision ID: 0023_alert_feed_order
Revises: 0022_scoring_offers
Create Date: 2026-12-05 09:00:00

The backfill takes each alert's event time from its event (``events.occurred_at``; an alert
without a stored event, such as an ops alert, from its own ``created_at``) and its rank from
``priority``, in SQL on both databases.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triggerwatch.core.db

revision = "0023_alert_feed_order"
down_revision = "0022_scoring_offers"
branch_labels = None
depends_on = None

AWARE = triggerwatch.core.db.AwareDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority_rank", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("occurred_at", AWARE, nullable=True))
    op.execute(
        "UPDATE alerts SET priority_rank = CASE priority"
        " WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END,"
        " occurred_at = COALESCE("
        "(SELECT events.occurred_at FROM events WHERE events.event_id = alerts.event_id), created_at)"
    )
    # occurred_at stays nullable in the schema (making it NOT NULL would copy the table on SQLite,
    # under the analytics views); every writer sets it (the model's default: created_at)
    feed_only = sa.text("kind != 'ops'")  # the reps' feed never shows ops alerts
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alerts_rank_feed",
            ["priority_rank", "occurred_at", "alert_id", "kind"],
            unique=False,
            sqlite_where=feed_only,
            postgresql_where=feed_only,
        )
        batch_op.create_index(
            "ix_alerts_owner_rank_feed",
            ["owner", "priority_rank", "occurred_at", "alert_id", "kind"],
            unique=False,
            sqlite_where=feed_only,
            postgresql_where=feed_only,
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_owner_rank_feed")
        batch_op.drop_index("ix_alerts_rank_feed")
        batch_op.drop_column("occurred_at")
        batch_op.drop_column("priority_rank")
