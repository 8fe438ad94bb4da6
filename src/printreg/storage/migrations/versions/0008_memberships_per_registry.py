"""facility memberships per registry: (user, facility, registry) → role

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 06:00:00

Before this revision a membership gave its role at the facility in every registry. Each existing
membership becomes one row per registry the facility takes part in (a ``participations`` row in
any state: its cases there stay readable after a suspension or withdrawal), and one row per
registry on the platform for a facility with no participation at all. Nobody gains a right they
did not have; rights in registries the facility never joined are the only ones dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The downgrade keeps one role per person and facility: the strongest of their registry roles.
_RANK = {"viewer": 0, "data_manager": 1, "facility_admin": 2}


def upgrade() -> None:
    bind = op.get_bind()
    old = bind.execute(sa.text("SELECT user_id, facility_id, role FROM memberships")).all()
    registries = [r for (r,) in bind.execute(sa.text("SELECT id FROM registries ORDER BY id"))]
    enrolled: dict[int, list[int]] = {}
    for facility_id, registry_id in bind.execute(
        sa.text("SELECT facility_id, registry_id FROM participations ORDER BY registry_id")
    ):
        enrolled.setdefault(facility_id, []).append(registry_id)
    op.drop_table("memberships")
    table = op.create_table(
        "memberships",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("registry_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_memberships_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["registry_id"], ["registries.id"], name=op.f("fk_memberships_registry_id_registries")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users")
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "facility_id", "registry_id", name=op.f("pk_memberships")
        ),
    )
    rows = [
        {"user_id": user_id, "facility_id": facility_id, "registry_id": registry_id, "role": role}
        for user_id, facility_id, role in old
        for registry_id in enrolled.get(facility_id, registries)
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    bind = op.get_bind()
    strongest: dict[tuple[int, int], str] = {}
    for user_id, facility_id, role in bind.execute(
        sa.text("SELECT user_id, facility_id, role FROM memberships")
    ):
        key = (user_id, facility_id)
        if key not in strongest or _RANK.get(role, 0) > _RANK.get(strongest[key], 0):
            strongest[key] = role
    op.drop_table("memberships")
    table = op.create_table(
        "memberships",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_memberships_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "facility_id", name=op.f("pk_memberships")),
    )
    rows = [
        {"user_id": user_id, "facility_id": facility_id, "role": role}
        for (user_id, facility_id), role in strongest.items()
    ]
    if rows:
        op.bulk_insert(table, rows)
