"""sign-in throttle per address and (account, address); TOTP second factor and recovery codes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 21:00:00

The per-account lockout (``users.failed_logins``, ``users.locked_until``) is replaced by
``signin_counters``: failures counted per client address, per (account, address) pair and per
account, so that an attacker can no longer lock out a known account at will. Counters in flight
are not carried over (a lockout in progress simply ends).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_counters",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key_hash", name=op.f("pk_signin_counters")),
    )
    with op.batch_alter_table("signin_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signin_counters_last_failure_at"), ["last_failure_at"], unique=False
        )
    op.create_table(
        "second_factors",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_sealed", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_second_factors_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_second_factors")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "code_hash", name=op.f("pk_recovery_codes")),
    )
    # Plain ALTER TABLE (SQLite 3.35+ drops columns natively): a batch copy of ``users`` would
    # have to drop a table other tables' foreign keys point at, which SQLite refuses.
    op.drop_column("users", "locked_until")
    op.drop_column("users", "failed_logins")


def downgrade() -> None:
    op.add_column(
        "users", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.drop_table("recovery_codes")
    op.drop_table("second_factors")
    with op.batch_alter_table("signin_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signin_counters_last_failure_at"))
    op.drop_table("signin_counters")
