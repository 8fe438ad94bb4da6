"""assessment_links: a case's user assessment sent to a clinician by a signed, single-use link

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 02:40:00

One row per sending: the case and section, the clinician's e-mail address as a staff contact,
the SHA-256 of the link's secret (never the secret), its state and dates.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("registry_code", sa.String(length=24), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=64), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sent_by", sa.String(length=254), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=254), nullable=True),
        sa.Column("resent_from", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_assessment_links_facility_id_facilities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_assessment_links_token_hash")),
    )
    for column in ("registry_code", "case_id", "facility_id", "status", "expires_at"):
        op.create_index(op.f(f"ix_assessment_links_{column}"), "assessment_links", [column])


def downgrade() -> None:
    op.drop_table("assessment_links")
