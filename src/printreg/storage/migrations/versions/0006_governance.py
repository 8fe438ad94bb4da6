"""governance: registry lifecycle, enrollment applications and fees, committee votes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Before this revision nothing set a registry's lifecycle: every hosted registry was taking
    # cases, so every one of them is active.
    op.execute(sa.text("UPDATE registries SET lifecycle = 'active'"))
    with op.batch_alter_table("participations") as batch_op:
        batch_op.add_column(sa.Column("application_fee", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("annual_fee", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("application_fee_waived", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "enrollment_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("printers", sa.JSON(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=254), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_enrollment_applications_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["registry_id"],
            ["registries.id"],
            name=op.f("fk_enrollment_applications_registry_id_registries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_applications")),
    )
    op.create_index(
        "ix_enrollment_applications_facility",
        "enrollment_applications",
        ["facility_id", "registry_id"],
    )
    op.create_table(
        "committee_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("vote", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["registry_id"],
            ["registries.id"],
            name=op.f("fk_committee_votes_registry_id_registries"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_committee_votes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_votes")),
        sa.UniqueConstraint(
            "registry_id",
            "subject_type",
            "subject_id",
            "user_id",
            name=op.f("uq_committee_votes_registry_id_subject_type_subject_id_user_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("committee_votes")
    op.drop_index("ix_enrollment_applications_facility", table_name="enrollment_applications")
    op.drop_table("enrollment_applications")
    with op.batch_alter_table("participations") as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("application_fee_waived")
        batch_op.drop_column("annual_fee")
        batch_op.drop_column("application_fee")
