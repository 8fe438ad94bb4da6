"""Read a registry's cases into the one polars frame the quality rules are evaluated over.

One grouped query per table: the case table's system columns and the columns the rules read,
each multi-valued element's values as a list per case, each ``group.element`` key as the sorted
values of the case's rows. Deleted cases are left out; drafts are in (old drafts are a finding).
Free-text columns are never read: rules cannot name them (:mod:`printreg.quality.rules`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, String, cast, select

from printreg.dictionary.elements import GroupElement, TextElement
from printreg.dictionary.models import Definition
from printreg.quality.rules import CombinationRule, MissingAssessmentRule, QualitySpec
from printreg.storage.case_tables import CaseTables

if TYPE_CHECKING:
    import polars as pl


def needed(spec: QualitySpec, definition: Definition) -> list[str]:
    """Return the element paths and derived names the rules read (never a text element)."""
    names: list[str] = [definition.case_date] if definition.case_date else []
    for rule in spec.rules:
        names += rule.reads()
        sections: list[str] = []
        if isinstance(rule, MissingAssessmentRule):
            names.append(rule.date)
            sections.append(rule.section)
        if isinstance(rule, CombinationRule):
            sections += list(rule.when.sections())
        for code in sections:
            names += definition.section_elements.get(code, [])
    return [
        n
        for n in dict.fromkeys(names)
        if not isinstance(definition.element_at(n), TextElement | GroupElement)
    ]


def _read(connection: Connection, statement: Select[Any]) -> pl.DataFrame:
    """Read ``statement`` as the analytics snapshot reads the case tables (typed when empty)."""
    from printreg.analytics.facts import read_frame  # noqa: PLC0415 - polars at module top

    return read_frame(connection, statement)


def _uuid(column: str) -> pl.Expr:
    """Return the case id in its canonical form (SQLite keeps 32 hex digits, PostgreSQL dashes)."""
    import polars as pl  # noqa: PLC0415

    hexed = pl.col(column).str.replace_all("-", "").str.to_lowercase()
    return pl.concat_str(
        [hexed.str.slice(0, 8), hexed.str.slice(8, 4), hexed.str.slice(12, 4),
         hexed.str.slice(16, 4), hexed.str.slice(20, 12)],
        separator="-",
    ).alias(column)  # fmt: skip


def _lists(
    connection: Connection, tables: CaseTables, table: Any, value: Any, alias: str
) -> pl.DataFrame:
    """Return (facility_id, case_id, alias: list of text values) of a child table's rows."""
    import polars as pl  # noqa: PLC0415

    main = tables.main
    statement = (
        select(table.c.facility_id, cast(table.c.case_id, String(36)).label("case_id"),
               value.label(alias))
        .join(main, (main.c.facility_id == table.c.facility_id) & (main.c.id == table.c.case_id))
        .where(main.c.deleted_at.is_(None))
    )  # fmt: skip
    frame = _read(connection, statement)
    empty: dict[str, pl.DataType] = {
        "facility_id": pl.Int64(),
        "case_id": pl.Utf8(),
        alias: pl.List(pl.Utf8()),
    }
    if frame.is_empty():
        return pl.DataFrame(schema=empty)
    return (
        frame.with_columns(_uuid("case_id"), pl.col(alias).cast(pl.Utf8))
        .group_by("facility_id", "case_id")
        .agg(pl.col(alias).drop_nulls())
    )


def load_cases(
    connection: Connection, tables: CaseTables, definition: Definition, spec: QualitySpec
) -> pl.DataFrame:
    """Return the registry's undeleted cases with the columns the rules read and ``quarter``
    (of the case date, else of the creation date)."""
    import polars as pl  # noqa: PLC0415

    main = tables.main
    names = needed(spec, definition)
    scalars: list[Any] = []
    children: list[tuple[str, Any, Any]] = []
    for name in names:
        element = definition.element_at(name)
        if element is None:  # a derived value: a column of the case table
            if name in main.c:
                scalars.append(main.c[name].label(name))
        elif "." in name:
            group, _, leaf = name.partition(".")
            if (group, leaf) in tables.multi:
                table = tables.multi[(group, leaf)]
                children.append((name, table, table.c.value))
            else:
                table = tables.groups[group]
                children.append((name, table, table.c[element.column_name]))
        elif element.holds_list():
            table = tables.multi[(None, name)]
            children.append((name, table, table.c.value))
        elif element.column_name in main.c:
            scalars.append(main.c[element.column_name].label(name))
    statement = select(
        main.c.facility_id,
        cast(main.c.id, String(36)).label("case_id"),
        main.c.status,
        main.c.created_at,
        *scalars,
    ).where(main.c.deleted_at.is_(None))
    frame = _read(connection, statement).with_columns(_uuid("case_id"))
    created = pl.col("created_at")
    kind = frame.schema["created_at"]
    if isinstance(kind, pl.Datetime) and kind.time_zone:
        created = created.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    frame = frame.with_columns(created.cast(pl.Datetime("us")).alias("created_at"))
    for alias, table, value in children:
        lists = _lists(connection, tables, table, value, alias)
        frame = frame.join(lists, on=["facility_id", "case_id"], how="left")
    day = pl.col("created_at").dt.date()
    if definition.case_date and definition.case_date in frame.columns:
        day = pl.coalesce(pl.col(definition.case_date), day)
    return frame.with_columns(
        pl.col("facility_id").cast(pl.Int64),
        pl.format("{}-Q{}", day.dt.year(), day.dt.quarter()).alias("quarter"),
    )
