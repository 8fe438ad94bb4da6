"""queries on case fields and their history

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("registry_code", sa.String(length=24), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("local_case_id", sa.String(length=100), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_side", sa.String(length=16), nullable=False),
        sa.Column("raised_by", sa.String(length=254), nullable=False),
        sa.Column("raised_by_user_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_queries_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_user_id"], ["users.id"], name=op.f("fk_queries_raised_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queries")),
    )
    op.create_index(op.f("ix_queries_case_id"), "queries", ["case_id"])
    op.create_index(op.f("ix_queries_facility_id"), "queries", ["facility_id"])
    op.create_index("ix_queries_registry_status", "queries", ["registry_code", "status"])
    op.create_table(
        "query_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("query_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["query_id"], ["queries.id"], name=op.f("fk_query_events_query_id_queries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query_events")),
    )
    op.create_index(op.f("ix_query_events_query_id"), "query_events", ["query_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_query_events_query_id"), table_name="query_events")
    op.drop_table("query_events")
    op.drop_index("ix_queries_registry_status", table_name="queries")
    op.drop_index(op.f("ix_queries_facility_id"), table_name="queries")
    op.drop_index(op.f("ix_queries_case_id"), table_name="queries")
    op.drop_table("queries")
