"""quality: the latest evaluation of each registry's quality rules (runs, findings, scores)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 02:45:00

``quality_runs`` holds one row per registry (its latest evaluation), ``quality_findings`` the
findings of that evaluation and ``quality_scores`` the cases and flagged cases per facility,
quarter and rule (``rule_id`` null: any rule). The scheduled job replaces them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_runs",
        sa.Column("registry_code", sa.String(length=24), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules_version", sa.String(length=32), nullable=False),
        sa.Column("definition_version", sa.String(length=32), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("registry_code", name=op.f("pk_quality_runs")),
    )
    op.create_table(
        "quality_findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("registry_code", sa.String(length=24), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=48), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("field_path", sa.String(length=120), nullable=False),
        sa.Column("message", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_quality_findings_facility_id_facilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_findings")),
    )
    op.create_index(
        "ix_quality_findings_place",
        "quality_findings",
        ["registry_code", "facility_id", "rule_id"],
        unique=False,
    )
    op.create_table(
        "quality_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("registry_code", sa.String(length=24), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=8), nullable=False),
        sa.Column("rule_id", sa.String(length=48), nullable=True),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_quality_scores_facility_id_facilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_scores")),
    )
    op.create_index(
        "ix_quality_scores_place", "quality_scores", ["registry_code", "facility_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_quality_scores_place", table_name="quality_scores")
    op.drop_table("quality_scores")
    op.drop_index("ix_quality_findings_place", table_name="quality_findings")
    op.drop_table("quality_findings")
    op.drop_table("quality_runs")
