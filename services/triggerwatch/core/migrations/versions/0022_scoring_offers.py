"""scoring: next-best-offers and lifetime values of existing customers (issue 20)

Revision ID: 0022_scoring_offers
Revises: 0021_alert_changes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triggerwatch.core.db

revision = "0022_scoring_offers"
down_revision = "0021_alert_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_offers",
        sa.Column("business_id", sa.String(length=9), nullable=False),
        sa.Column("product_group", sa.String(length=100), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("expected_margin", sa.Float(), nullable=False),
        sa.Column("adoption_rate", sa.Float(), nullable=False),
        sa.Column("buyer_margin", sa.Float(), nullable=False),
        sa.Column("target_group_id", sa.String(length=100), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("rule_fi", sa.Text(), nullable=True),
        sa.Column("computed_at", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("business_id", "product_group"),
    )
    op.create_table(
        "customer_values",
        sa.Column("business_id", sa.String(length=9), nullable=False),
        sa.Column("model", sa.String(length=30), nullable=False),
        sa.Column("clv", sa.Float(), nullable=False),
        sa.Column("clv_low", sa.Float(), nullable=False),
        sa.Column("clv_high", sa.Float(), nullable=False),
        sa.Column("p_alive", sa.Float(), nullable=True),
        sa.Column("expected_orders", sa.Float(), nullable=True),
        sa.Column("orders", sa.Integer(), nullable=True),
        sa.Column("last_order", sa.Date(), nullable=True),
        sa.Column("horizon_years", sa.Integer(), nullable=False),
        sa.Column("computed_at", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("business_id"),
    )


def downgrade() -> None:
    op.drop_table("customer_values")
    op.drop_table("customer_offers")
