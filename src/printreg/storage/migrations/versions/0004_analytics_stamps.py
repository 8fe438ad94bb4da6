"""analytics stamps

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_stamps",
        sa.Column("registry_code", sa.String(length=24), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_analytics_stamps_facility_id_facilities"),
        ),
        sa.PrimaryKeyConstraint("registry_code", "facility_id", name=op.f("pk_analytics_stamps")),
    )


def downgrade() -> None:
    op.drop_table("analytics_stamps")
