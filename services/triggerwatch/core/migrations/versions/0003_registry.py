"""registry master data columns on companies (issue 3)

Revision ID: 0003_registry
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import triggerwatch.core.db

revision = "0003_registry"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("industry_section", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("industry_division", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("region_code", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("municipality_code", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("company_form_code", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("names", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("situations", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("trade_register_status", sa.String(length=4), nullable=True))
        batch_op.add_column(
            sa.Column("end_date", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_modified", triggerwatch.core.db.AwareDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_companies_region_code"), ["region_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_companies_region_code"))
        for column in (
            "content_hash",
            "last_modified",
            "end_date",
            "trade_register_status",
            "situations",
            "names",
            "company_form_code",
            "municipality_code",
            "region_code",
            "industry_division",
            "industry_section",
        ):
            batch_op.drop_column(column)
