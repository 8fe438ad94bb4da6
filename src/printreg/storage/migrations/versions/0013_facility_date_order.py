"""facilities: the local date order their people write (DMY or MDY), for dates beyond ISO

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 23:40:00

``date_order`` lets a facility's imports and forms read ``02/11/2026`` in the facility's own
order; empty (every existing facility) means ISO dates only, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: on SQLite a batch drop would copy and drop ``facilities``,
# which other tables' foreign keys refer to (SQLite 3.35+ drops a column in place).


def upgrade() -> None:
    op.add_column("facilities", sa.Column("date_order", sa.String(length=3), nullable=True))


def downgrade() -> None:
    op.drop_column("facilities", "date_order")
