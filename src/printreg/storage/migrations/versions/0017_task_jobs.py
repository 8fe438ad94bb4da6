"""task jobs: exports, analytics refreshes and research extracts run through the job queue

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 02:40:00

``task_jobs`` holds the state, progress, result and file of each long task a person asked for;
the queue (``queued_jobs``) runs it. ``active_key`` (unique, cleared when the task ends) keeps
one task of a kind and subject running at a time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("registry_code", sa.String(length=24), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("file", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("active_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_task_jobs_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_jobs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_jobs")),
        sa.UniqueConstraint("active_key", name=op.f("uq_task_jobs_active_key")),
    )
    op.create_index("ix_task_jobs_kind_subject", "task_jobs", ["kind", "subject"], unique=False)
    op.create_index(op.f("ix_task_jobs_user_id"), "task_jobs", ["user_id"], unique=False)
    op.create_index(op.f("ix_task_jobs_expires_at"), "task_jobs", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_task_jobs_expires_at"), table_name="task_jobs")
    op.drop_index(op.f("ix_task_jobs_user_id"), table_name="task_jobs")
    op.drop_index("ix_task_jobs_kind_subject", table_name="task_jobs")
    op.drop_table("task_jobs")
