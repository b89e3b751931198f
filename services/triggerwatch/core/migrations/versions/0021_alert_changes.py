"""alerts: owner, revision and change sequence as columns (indexed feeds and company timelines,
the CRM pull cursor); events indexed for company timelines and the ops page;
the change counter; server-side web sessions; the dead-letter audit and dismissal

Revision ID: 0021_alert_changes
Revises: 0019_analytics_views
Create Date: 2026-12-03 09:00:00

The backfill reads each stored alert's routing owner and revision out of its JSON payload in SQL
(``json_extract`` on SQLite, ``->``/``->>`` on PostgreSQL) and numbers the existing alerts in
(created_at, alert_id) order, the order the old pull cursor followed; the ``alerts`` counter starts
after the last of them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triggerwatch.core.db

revision = "0021_alert_changes"
down_revision = "0019_analytics_views"
branch_labels = None
depends_on = None

AWARE = triggerwatch.core.db.AwareDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        # the server default fills the existing rows (no table copy on SQLite); new rows set it
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("change_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", AWARE, nullable=True))

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        owner = "payload -> 'routing' ->> 'owner'"
        rev = "COALESCE((payload ->> 'revision')::integer, 1)"
    else:
        owner = "json_extract(payload, '$.routing.owner')"
        rev = "COALESCE(CAST(json_extract(payload, '$.revision') AS INTEGER), 1)"
    op.execute(f"UPDATE alerts SET owner = {owner}, revision = {rev}")
    op.execute(
        "UPDATE alerts SET change_seq = numbered.n FROM ("
        " SELECT alert_id, row_number() OVER (ORDER BY created_at, alert_id) AS n FROM alerts"
        ") AS numbered WHERE alerts.alert_id = numbered.alert_id"
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_cooldown")
        batch_op.create_index(
            "ix_alerts_company_feed", ["business_id", "created_at", "alert_id"], unique=False
        )
        batch_op.create_index("ix_alerts_change_seq", ["change_seq"], unique=True)
        batch_op.create_index("ix_alerts_feed", ["created_at", "alert_id"], unique=False)
        batch_op.create_index("ix_alerts_kind_feed", ["kind", "created_at", "alert_id"], unique=False)
        batch_op.create_index("ix_alerts_owner_feed", ["owner", "created_at", "alert_id"], unique=False)
        batch_op.create_index("ix_alerts_priority_feed", ["priority", "created_at", "alert_id"], unique=False)

    op.create_table(
        "change_counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.execute(
        "INSERT INTO change_counters (name, value) SELECT 'alerts', COALESCE(MAX(change_seq), 0) FROM alerts"
    )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_company_time", ["business_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_events_observed_at", ["observed_at"], unique=False)
        batch_op.create_index(
            "ix_events_unprocessed",
            ["processed_at"],
            unique=False,
            sqlite_where=sa.text("processed_at IS NULL"),
            postgresql_where=sa.text("processed_at IS NULL"),
        )

    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dismissed_at", AWARE, nullable=True))

    op.create_table(
        "dead_letter_actions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("dead_letter_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", AWARE, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dead_letter_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dead_letter_actions_dead_letter_id"), ["dead_letter_id"])

    op.create_table(
        "web_sessions",
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.Column("expires_at", AWARE, nullable=False),
        sa.Column("revoked_at", AWARE, nullable=True),
        sa.PrimaryKeyConstraint("session_hash"),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_token_id"), ["token_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_token_id"))
    op.drop_table("web_sessions")
    with op.batch_alter_table("dead_letter_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dead_letter_actions_dead_letter_id"))
    op.drop_table("dead_letter_actions")
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_column("dismissed_at")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_unprocessed")
        batch_op.drop_index("ix_events_observed_at")
        batch_op.drop_index("ix_events_company_time")
    op.drop_table("change_counters")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        for name in (
            "ix_alerts_priority_feed",
            "ix_alerts_owner_feed",
            "ix_alerts_kind_feed",
            "ix_alerts_feed",
            "ix_alerts_change_seq",
            "ix_alerts_company_feed",
        ):
            batch_op.drop_index(name)
        batch_op.create_index("ix_alerts_cooldown", ["business_id", "kind", "created_at"], unique=False)
        for column in ("updated_at", "change_seq", "revision", "owner"):
            batch_op.drop_column(column)
