"""case tables: the boolean 'unknown' flags become reason columns ``<element>__missing``

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 02:40:00

Before reasons for missing data, a number allowing 'unknown' was stored as a NULL value with a
boolean flag ``<element>_unknown``. Reasons (unknown, not asked, not applicable, declined) are
now text in ``<element>__missing`` beside the value: every set flag becomes the reason
'unknown', and the flag column goes. The value columns are untouched (they already held NULL).

Case tables are generated from the definitions and otherwise left to ``printreg db upgrade``
(which adds ``__missing`` columns to new elements); this one step moves stored answers, so it is
a migration. A fresh database has no case tables yet: there is nothing to move.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

CASE_TABLE_PREFIX = "reg_"  # as storage.migrations_filter: migrations never import app code
OLD_SUFFIX = "_unknown"
NEW_SUFFIX = "__missing"
REASON_LENGTH = 16


def _flags(inspector: sa.Inspector) -> list[tuple[str, str]]:
    """Return (table, element) of every boolean 'unknown' flag beside its value column."""
    found = []
    for table in inspector.get_table_names():
        if not table.startswith(CASE_TABLE_PREFIX):
            continue
        columns = {c["name"]: c["type"] for c in inspector.get_columns(table)}
        for name, kind in columns.items():
            element = name[: -len(OLD_SUFFIX)]
            if (
                name.endswith(OLD_SUFFIX)
                and isinstance(kind, sa.Boolean)
                and element in columns
                and element + NEW_SUFFIX not in columns
            ):
                found.append((table, element))
    return found


# Plain ALTER TABLE, not batch mode: on SQLite a batch operation would copy the case table, which
# its group and value tables refer to (SQLite 3.35+ drops a column in place).


def upgrade() -> None:
    bind = op.get_bind()
    for table, element in _flags(sa.inspect(bind)):
        reason, flag = element + NEW_SUFFIX, element + OLD_SUFFIX
        op.add_column(table, sa.Column(reason, sa.String(length=REASON_LENGTH), nullable=True))
        target = sa.table(table, sa.column(reason, sa.String()), sa.column(flag, sa.Boolean()))
        bind.execute(
            target.update().where(target.c[flag].is_(True)).values({reason: "unknown"})
        )
        op.drop_column(table, flag)


def downgrade() -> None:
    # Only 'unknown' had a place before: the other reasons are lost on the way down.
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in inspector.get_table_names():
        if not table.startswith(CASE_TABLE_PREFIX):
            continue
        columns = {c["name"] for c in inspector.get_columns(table)}
        for name in sorted(columns):
            element = name[: -len(NEW_SUFFIX)]
            if not name.endswith(NEW_SUFFIX) or element not in columns:
                continue
            flag = element + OLD_SUFFIX
            op.add_column(
                table,
                sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false()),
            )
            target = sa.table(table, sa.column(name, sa.String()), sa.column(flag, sa.Boolean()))
            bind.execute(target.update().where(target.c[name] == "unknown").values({flag: True}))
            op.drop_column(table, name)
