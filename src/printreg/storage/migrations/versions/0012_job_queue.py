"""job queue: queued jobs with leases, and worker heartbeats

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:45:00

``queued_jobs`` holds the tasks worker processes claim (``SELECT … FOR UPDATE SKIP LOCKED``)
under a lease their heartbeat extends (``dedupe_key``: one run of a periodic task per time
slot); ``queue_workers`` holds each worker's last heartbeat,
which the /readyz "jobs" check reads.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queued_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dedupe_key", sa.String(length=128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queued_jobs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_queued_jobs_dedupe_key")),
    )
    op.create_index(
        "ix_queued_jobs_status_run_after", "queued_jobs", ["status", "run_after"], unique=False
    )
    op.create_table(
        "queue_workers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_workers")),
    )
    op.create_index(op.f("ix_queue_workers_seen_at"), "queue_workers", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_queue_workers_seen_at"), table_name="queue_workers")
    op.drop_table("queue_workers")
    op.drop_index("ix_queued_jobs_status_run_after", table_name="queued_jobs")
    op.drop_table("queued_jobs")
