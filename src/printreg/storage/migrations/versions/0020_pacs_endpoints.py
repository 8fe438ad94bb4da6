"""pacs_endpoints: each facility's DICOMweb endpoint, its password sealed

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 06:10:00

One row per facility that has a PACS: the DICOMweb base URL, the HTTP Basic user name and the
password sealed with the installation's secret key (never stored in clear).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pacs_endpoints",
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=True),
        sa.Column("password_sealed", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_pacs_endpoints_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint("facility_id", name=op.f("pk_pacs_endpoints")),
    )


def downgrade() -> None:
    op.drop_table("pacs_endpoints")
