"""What Alembic owns: the platform tables, never the case tables generated from definitions."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Literal

CASE_TABLE_PREFIX = "reg_"

ObjectType = Literal[
    "schema", "table", "column", "index", "unique_constraint", "foreign_key_constraint",
    "check_constraint",
]  # fmt: skip
ParentKey = Literal["schema_name", "table_name", "schema_qualified_table_name"]


def platform_tables_only(
    name: str | None, type_: ObjectType, parent_names: MutableMapping[ParentKey, str | None]
) -> bool:
    """Return whether Alembic should compare or migrate the named schema object."""
    if type_ == "table":
        return not (name or "").startswith(CASE_TABLE_PREFIX)
    table = parent_names.get("table_name") or ""
    return not table.startswith(CASE_TABLE_PREFIX)
