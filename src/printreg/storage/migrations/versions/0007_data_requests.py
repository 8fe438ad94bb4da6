"""research data requests and their download log

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("registry_code", sa.String(length=24), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("aims", sa.Text(), nullable=False),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("strata", sa.JSON(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_elements", sa.JSON(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=254), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("pseudonym_key", sa.LargeBinary(), nullable=True),
        sa.Column("extract_rows", sa.Integer(), nullable=True),
        sa.Column("extract_bytes", sa.BigInteger(), nullable=True),
        sa.Column("extract_ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_data_requests_requester_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
    )
    op.create_index(op.f("ix_data_requests_registry_code"), "data_requests", ["registry_code"])
    op.create_index(op.f("ix_data_requests_requester_id"), "data_requests", ["requester_id"])
    op.create_table(
        "data_request_downloads",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file", sa.String(length=16), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["data_requests.id"],
            name=op.f("fk_data_request_downloads_request_id_data_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_data_request_downloads_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_request_downloads")),
    )
    op.create_index(
        op.f("ix_data_request_downloads_request_id"), "data_request_downloads", ["request_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_data_request_downloads_request_id"), table_name="data_request_downloads")
    op.drop_table("data_request_downloads")
    op.drop_index(op.f("ix_data_requests_requester_id"), table_name="data_requests")
    op.drop_index(op.f("ix_data_requests_registry_code"), table_name="data_requests")
    op.drop_table("data_requests")
