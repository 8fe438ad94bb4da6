"""web sessions: the registry the person chose in the switcher

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 00:00:00

A person with roles in several registries picks one in the navigation's registry switcher; the
session keeps it (``registry_code``, NULL: the default registry) until they pick another or sign
out. It is a preference, never a right: every page still checks the person's roles there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registry_code", sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_column("registry_code")
