"""case files: DICOM studies and print meshes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_imaging",
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("registry_code", sa.String(length=24), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("study_uid_hash", sa.String(length=64), nullable=True),
        sa.Column("series_count", sa.Integer(), nullable=False),
        sa.Column("image_count", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_case_imaging_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint("facility_id", "id", name=op.f("pk_case_imaging")),
    )
    op.create_index(
        "ix_case_imaging_case", "case_imaging", ["facility_id", "registry_code", "case_id"]
    )
    op.create_index(
        "ix_case_imaging_study", "case_imaging", ["facility_id", "registry_code", "study_uid_hash"]
    )
    op.create_table(
        "print_meshes",
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("registry_code", sa.String(length=24), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("print_row", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("volume_ml", sa.Float(), nullable=True),
        sa.Column("surface_area_cm2", sa.Float(), nullable=False),
        sa.Column("triangles", sa.Integer(), nullable=False),
        sa.Column("bodies", sa.Integer(), nullable=False),
        sa.Column("watertight", sa.Boolean(), nullable=False),
        sa.Column("measurement", sa.JSON(), nullable=False),
        sa.Column("thumbnail_png", sa.LargeBinary(), nullable=False),
        sa.Column("viewer_model", sa.LargeBinary(), nullable=False),
        sa.Column("viewer_format", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_print_meshes_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint(
            "facility_id", "registry_code", "case_id", "print_row", name=op.f("pk_print_meshes")
        ),
    )


def downgrade() -> None:
    op.drop_table("print_meshes")
    op.drop_index("ix_case_imaging_study", table_name="case_imaging")
    op.drop_index("ix_case_imaging_case", table_name="case_imaging")
    op.drop_table("case_imaging")
