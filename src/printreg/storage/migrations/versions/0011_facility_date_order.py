"""facilities: the local date order their people write (DMY or MDY), for dates beyond ISO

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 23:40:00

``date_order`` lets a facility's imports and forms read ``02/11/2026`` in the facility's own
order; empty (every existing facility) means ISO dates only, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_order", sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_column("date_order")
