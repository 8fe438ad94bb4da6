"""analytics stamps in slots: a facility's counter is the sum of up to 16 rows

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 06:10:00

Each case change adds one to a slot no other writer holds (``storage/stamps.py``), so
concurrent writers at one facility no longer queue on one row. Existing counters become slot 0, so every
facility's sum, and so every analytics snapshot's manifest, stays valid.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analytics_stamps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("slot", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint("pk_analytics_stamps", type_="primary")
        batch_op.create_primary_key(
            "pk_analytics_stamps", ["registry_code", "facility_id", "slot"]
        )


def downgrade() -> None:
    # fold the slots back into slot 0, one row per counter, keeping every sum
    op.execute(
        "INSERT INTO analytics_stamps (registry_code, facility_id, slot, version) "
        "SELECT registry_code, facility_id, 0, 0 FROM analytics_stamps "
        "GROUP BY registry_code, facility_id HAVING min(slot) > 0"
    )
    op.execute(
        "UPDATE analytics_stamps SET version = (SELECT sum(s.version) FROM analytics_stamps s "
        "WHERE s.registry_code = analytics_stamps.registry_code "
        "AND s.facility_id = analytics_stamps.facility_id) WHERE slot = 0"
    )
    op.execute("DELETE FROM analytics_stamps WHERE slot <> 0")
    with op.batch_alter_table("analytics_stamps", schema=None) as batch_op:
        batch_op.drop_constraint("pk_analytics_stamps", type_="primary")
        batch_op.create_primary_key("pk_analytics_stamps", ["registry_code", "facility_id"])
        batch_op.drop_column("slot")
