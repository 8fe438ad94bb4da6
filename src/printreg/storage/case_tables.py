"""Case tables generated from a registry's definitions: typed, queryable, keyed by facility.

Per registry ``reg_<code>_case`` holds one row per case (system columns, every scalar element,
every derived value); each repeating group gets ``reg_<code>_case__<group>`` with one row per
group row; each multi-valued element gets its own table with one row per value. Every table
leads with ``facility_id`` so it can be partitioned or sharded by facility without redesign.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.types import TypeEngine

from printreg.dictionary import (
    Definition,
    DefinitionError,
    GroupElement,
    ScalarElement,
    is_multiple,
)
from printreg.dictionary.missing import REASON_LENGTH, column_of
from printreg.dictionary.models import DerivedRef
from printreg.storage.metadata import metadata as platform_metadata
from printreg.storage.migrations_filter import CASE_TABLE_PREFIX

KEY_ELEMENT = "local_case_id"
_DOUBLE = Float(precision=53)


def column_type(element: ScalarElement) -> TypeEngine[Any]:
    """Return the SQL type that stores one value of the element."""
    return element.sql_type()


def column_name(element: ScalarElement) -> str:
    """Return the column holding the element (references hold an id: ``<name>_id``)."""
    return element.column_name


def reason_column(element: ScalarElement) -> str | None:
    """Return the column holding the element's reason for missing data; None without reasons.

    The reason is text (``not_asked``), NULL whenever a value is given: the value column keeps
    its own type, so a number that is 'unknown' is a NULL number, never a sentinel.
    """
    return column_of(element.name) if element.reasons else None


def _derived_type(ref: DerivedRef) -> TypeEngine[Any]:
    return {"integer": Integer(), "decimal": _DOUBLE, "text": String(200), "boolean": Boolean()}[
        ref.type
    ]  # type: ignore[return-value]


def _value_columns(element: ScalarElement) -> list[Column[object]]:
    target = {"printer": "printers.id", "facility": "facilities.id"}
    if element.references is not None:
        ref = ForeignKey(target[element.references])
        columns: list[Column[object]] = [Column(column_name(element), Integer, ref)]
    else:
        columns = [Column(element.name, column_type(element))]
    reason = reason_column(element)
    if reason:
        columns.append(Column(reason, String(REASON_LENGTH)))
    return columns


@dataclass
class CaseTables:
    """The generated tables of one registry and how elements map onto them."""

    registry_code: str
    metadata: MetaData
    main: Table
    groups: dict[str, Table] = field(default_factory=dict)
    #: (group name or None, element name) → the table of a multi-valued element's values
    multi: dict[tuple[str | None, str], Table] = field(default_factory=dict)

    @property
    def all_tables(self) -> list[Table]:
        """Return the tables in dependency order (main first)."""
        return [self.main, *self.groups.values(), *self.multi.values()]


def _latest_elements(
    definitions: Iterable[Definition],
) -> tuple[dict[str, object], list[DerivedRef]]:
    elements: dict[str, object] = {}
    derived: dict[str, DerivedRef] = {}
    for definition in sorted(definitions, key=lambda d: d.version_tuple):
        for name, declared in definition.elements.items():
            before, element = elements.get(name), declared
            if isinstance(element, GroupElement) and isinstance(before, GroupElement):
                # a group keeps the columns of the elements older versions had, so that cases
                # stored under them stay readable (prints.material of 3dp 1.0.0)
                newer = {e.name for e in element.elements}
                kept = [e for e in before.elements if e.name not in newer]
                element = element.model_copy(update={"elements": [*element.elements, *kept]})
            elements[name] = element
        derived.update({d.name: d for d in definition.derived})
    return elements, list(derived.values())


def build_case_tables(registry_code: str, definitions: Iterable[Definition]) -> CaseTables:
    """Return the case tables for every element any of the registry's versions has declared."""
    defs = list(definitions)
    if any(KEY_ELEMENT not in d.elements for d in defs):
        raise DefinitionError(registry_code, [f"every registry needs a '{KEY_ELEMENT}' element"])
    elements, derived = _latest_elements(defs)
    # Case tables share the platform metadata so foreign keys to facilities and printers resolve.
    metadata = MetaData(naming_convention=platform_metadata.naming_convention)
    for table in platform_metadata.tables.values():
        table.to_metadata(metadata)
    prefix = f"{CASE_TABLE_PREFIX}{registry_code}_case"
    main_columns: list[Column[object]] = [
        Column("facility_id", Integer, ForeignKey("facilities.id"), nullable=False),
        Column("id", Uuid, nullable=False),
        Column("status", String(16), nullable=False),
        Column("definition_version", String(32), nullable=False),
        Column("row_version", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("created_by", String(254), nullable=False),
        Column("updated_by", String(254), nullable=False),
        Column("deleted_at", DateTime(timezone=True)),
    ]
    children: list[tuple[GroupElement | None, ScalarElement]] = []
    groups: list[GroupElement] = []
    for element in elements.values():
        if isinstance(element, GroupElement):
            groups.append(element)
            children += [(element, c) for c in element.elements if is_multiple(c)]
        elif is_multiple(element):  # type: ignore[arg-type]
            children.append((None, element))  # type: ignore[arg-type]
        else:
            main_columns += _value_columns(element)  # type: ignore[arg-type]
    main_columns += [Column(ref.name, _derived_type(ref)) for ref in derived]
    main = Table(
        prefix,
        metadata,
        *main_columns,
        PrimaryKeyConstraint("facility_id", "id"),
        UniqueConstraint("facility_id", KEY_ELEMENT),
        Index(f"ix_{prefix}_status", "facility_id", "status", "deleted_at"),
        Index(f"ix_{prefix}_updated", "facility_id", "updated_at"),
    )
    tables = CaseTables(registry_code, metadata, main)

    def case_fk() -> ForeignKeyConstraint:
        return ForeignKeyConstraint(
            ["facility_id", "case_id"], [main.c.facility_id, main.c.id], ondelete="CASCADE"
        )

    for group in groups:
        columns = [c for e in group.elements if not is_multiple(e) for c in _value_columns(e)]
        tables.groups[group.name] = Table(
            f"{prefix}__{group.name}",
            metadata,
            Column("facility_id", Integer, nullable=False),
            Column("case_id", Uuid, nullable=False),
            Column("row_no", Integer, nullable=False),
            *columns,
            PrimaryKeyConstraint("facility_id", "case_id", "row_no"),
            case_fk(),
        )
    for holder, element in children:
        name = f"{prefix}__{holder.name}__{element.name}" if holder else f"{prefix}__{element.name}"
        row_no = [Column("row_no", Integer, nullable=False)] if holder else []
        tables.multi[(holder.name if holder else None, element.name)] = Table(
            name,
            metadata,
            Column("facility_id", Integer, nullable=False),
            Column("case_id", Uuid, nullable=False),
            *row_no,
            Column("ord", Integer, nullable=False),
            Column("value", column_type(element), nullable=False),
            PrimaryKeyConstraint("facility_id", "case_id", *(["row_no"] if holder else []), "ord"),
            case_fk(),
        )
    return tables
