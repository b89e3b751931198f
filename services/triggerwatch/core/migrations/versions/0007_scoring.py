"""scoring: customers and trained model runs (issue 6)

Revision ID: 0007_scoring
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triggerwatch.core.db

revision = "0007_scoring"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scoring_customers",
        sa.Column("business_id", sa.String(length=9), nullable=False),
        sa.Column("product_group", sa.String(length=100), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.Column("gross_margin", sa.Float(), nullable=False),
        sa.Column("order_lines", sa.JSON(), nullable=False),
        sa.Column("imported_at", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("business_id", "product_group"),
    )
    op.create_table(
        "scoring_runs",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("product_group", sa.String(length=100), nullable=False),
        sa.Column("trained_at", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("better_than_baseline", sa.Boolean(), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "product_group"),
    )
    with op.batch_alter_table("scoring_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scoring_runs_trained_at"), ["trained_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scoring_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scoring_runs_trained_at"))
    op.drop_table("scoring_runs")
    op.drop_table("scoring_customers")
