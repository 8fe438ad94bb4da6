"""import jobs: the process running each job, its heartbeat and the rows committed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 21:00:00

``runner_host``, ``runner_pid`` and ``runner_id`` (a random id per process) name the process
that runs a job, so that a job left queued or running by a process that died is failed at the
next start-up while a live job of another process is left alone; ``heartbeat_at`` moves with each
batch; ``rows_committed`` is written in the same transaction as each committed batch.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runner_host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("runner_pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("runner_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("rows_committed", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_column("rows_committed")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("runner_id")
        batch_op.drop_column("runner_pid")
        batch_op.drop_column("runner_host")
