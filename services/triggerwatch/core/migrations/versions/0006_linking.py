"""linking: unlinked company mentions for ops

Revision ID: 0006_linking
Revises: 0001
Create Date: 2026-12-02 06:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triggerwatch.core.db

revision = "0006_linking"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unlinked_mentions",
        sa.Column("mention_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("surface", sa.String(length=500), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("created_at", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mention_id"),
    )
    with op.batch_alter_table("unlinked_mentions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unlinked_mentions_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_unlinked_mentions_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unlinked_mentions_source"), ["source"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unlinked_mentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unlinked_mentions_source"))
        batch_op.drop_index(batch_op.f("ix_unlinked_mentions_event_id"))
        batch_op.drop_index(batch_op.f("ix_unlinked_mentions_created_at"))
    op.drop_table("unlinked_mentions")
