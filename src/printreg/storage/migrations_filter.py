"""What Alembic owns: the platform tables, never the case tables generated from definitions."""

from __future__ import annotations

from collections.abc import Mapping

CASE_TABLE_PREFIX = "reg_"


def platform_tables_only(
    name: str | None, type_: str, parent_names: Mapping[str, str | None]
) -> bool:
    """Return whether Alembic should compare or migrate the named schema object."""
    if type_ == "table":
        return not (name or "").startswith(CASE_TABLE_PREFIX)
    table = parent_names.get("table_name") or ""
    return not table.startswith(CASE_TABLE_PREFIX)
