"""Bulk writes of validated batches: PostgreSQL COPY, SQLite executemany, one transaction a batch.

The input is the canonical frame of a batch (printreg.validation.batch): typed columns per flat
cell, ``<cell>__missing`` reasons, ``_<group>_<n>`` row flags and derived values. The rows of every
case table are cut from it with polars, never one Python dict per case.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Table, Uuid, insert, text
from sqlalchemy.orm import Session

from printreg.dictionary import Definition, GroupElement, ScalarElement, is_multiple
from printreg.dictionary import flat_column as cell_column
from printreg.dictionary.missing import column_of
from printreg.storage.audit_log import AuditEntry
from printreg.storage.case_tables import CaseTables, column_name, reason_column


def _cells(
    frame: pl.DataFrame, source: str, element: ScalarElement, printer_ids: Mapping[str, int]
) -> list[pl.Series]:
    """Return the table columns holding one element's canonical cell."""
    if element.references is not None:
        ids = frame[source].replace_strict(dict(printer_ids), default=None, return_dtype=pl.Int64)
        out = [ids.alias(column_name(element))]
    else:
        out = [frame[source].alias(element.name)]
    reason = reason_column(element)
    if reason:
        out.append(frame[column_of(source)].cast(pl.String).alias(reason))
    return out


def case_frames(
    frame: pl.DataFrame,
    definition: Definition,
    tables: CaseTables,
    *,
    facility_id: int,
    case_ids: pl.Series,
    printer_ids: Mapping[str, int],
    actor: str,
    now: dt.datetime,
) -> dict[str, pl.DataFrame]:
    """Return the rows of every case table for the batch's cases, keyed by table name."""
    n = frame.height
    key = [pl.Series("facility_id", [facility_id] * n, dtype=pl.Int64), case_ids.alias("id")]
    main: list[pl.Series] = [
        *key,
        frame["_status"].alias("status"),
        pl.Series("definition_version", [definition.version] * n),
        pl.Series("row_version", [1] * n, dtype=pl.Int64),
        pl.Series("created_at", [now] * n),
        pl.Series("updated_at", [now] * n),
        pl.Series("created_by", [actor] * n),
        pl.Series("updated_by", [actor] * n),
        pl.Series("deleted_at", [None] * n, dtype=pl.Datetime(time_zone="UTC")),
    ]
    out: dict[str, pl.DataFrame] = {}
    case_key = [
        pl.Series("facility_id", [facility_id] * n, dtype=pl.Int64),
        case_ids.alias("case_id"),
    ]
    for name, element in definition.elements.items():
        if isinstance(element, GroupElement):
            parts = []
            multi_parts: dict[str, list[pl.DataFrame]] = {}
            for row in range(1, element.max_rows + 1):
                exists = frame[f"_{name}_{row}"]
                cols: list[pl.Series] = [*case_key, pl.Series("row_no", [row] * n, dtype=pl.Int64)]
                for child in element.elements:
                    source = cell_column(element, row, child)
                    if is_multiple(child):
                        values = pl.DataFrame([*case_key, pl.Series("row_no", [row] * n, dtype=pl.Int64),
                                               frame[source].alias("value")]).filter(exists)  # fmt: skip
                        multi_parts.setdefault(child.name, []).append(values)
                    else:
                        cols += _cells(frame, source, child, printer_ids)
                parts.append(pl.DataFrame(cols).filter(exists))
            out[tables.groups[name].name] = pl.concat(parts, how="vertical_relaxed")
            for child_name, chunks in multi_parts.items():
                exploded = _explode(
                    pl.concat(chunks, how="vertical_relaxed"), ["facility_id", "case_id", "row_no"]
                )
                out[tables.multi[(name, child_name)].name] = exploded
        elif is_multiple(element):
            values = pl.DataFrame([*case_key, frame[name].alias("value")])
            out[tables.multi[(None, name)].name] = _explode(values, ["facility_id", "case_id"])
        else:
            main += _cells(frame, name, element, printer_ids)
    main += [frame[d.name].alias(d.name) for d in definition.derived if d.name in frame.columns]
    out[tables.main.name] = pl.DataFrame(main)
    return out


def _explode(values: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    exploded = values.filter(pl.col("value").list.len() > 0).with_columns(
        pl.int_ranges(1, pl.col("value").list.len() + 1).alias("ord")
    )
    return exploded.explode(["value", "ord"]).select([*keys, "ord", "value"])


@dataclass(frozen=True)
class Encoded:
    """Rows of one table in PostgreSQL's COPY text format, ready to send.

    Encoding needs no connection, so an import does it while the database is busy with the
    batch before; sending is then all the connection waits for. The text format escapes line
    breaks, so each row is one line; it is also leaner than CSV for JSON, whose quotes CSV
    would double (audit rows).
    """

    columns: tuple[str, ...]
    data: bytes
    rows: int

    def without(self, column: str, values: set[str]) -> Encoded:
        """Return the rows whose ``column`` (an ID, never escaped) is not one of ``values``."""
        at = self.columns.index(column)
        kept = [
            line
            for line in self.data.split(b"\n")[:-1]
            if line.split(b"\t", at + 1)[at].decode() not in values
        ]
        return Encoded(self.columns, b"".join(line + b"\n" for line in kept), len(kept))


_TEXT_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_DATETIME = "%Y-%m-%dT%H:%M:%S%.f%z"


def encode(table: Table, frame: pl.DataFrame) -> Encoded:
    """Return a frame's rows encoded for COPY into the table (its columns that the table has)."""
    frame = frame.select([c.name for c in table.columns if c.name in frame.columns])
    strings = [c for c, t in frame.schema.items() if t == pl.String]
    special = (
        frame.select(pl.col(strings).str.contains(r"[\\\t\n\r]").any()).row(0) if strings else ()
    )
    escaped = frame.with_columns(
        pl.col(c).str.replace_many(list(_TEXT_ESCAPES), list(_TEXT_ESCAPES.values()))
        for c, s in zip(strings, special, strict=True)
        if s
    )
    buffer = io.BytesIO()
    escaped.write_csv(buffer, include_header=False, separator="\t", quote_style="never",
                      null_value="\\N", datetime_format=_DATETIME)  # fmt: skip
    return Encoded(tuple(frame.columns), buffer.getvalue(), frame.height)


def encode_frames(tables: CaseTables, frames: Mapping[str, pl.DataFrame]) -> dict[str, Encoded]:
    """Return the case table rows of ``case_frames`` encoded for COPY, keyed by table name."""
    return {
        table.name: encode(table, frames[table.name])
        for table in tables.all_tables
        if table.name in frames and frames[table.name].height
    }


def encode_audit(frame: pl.DataFrame) -> Encoded:
    """Return audit rows (``before``/``after`` as JSON text) encoded for COPY."""
    return encode(AuditEntry.__table__, frame)  # type: ignore[arg-type]


def write_frames(
    session: Session, tables: CaseTables, frames: Mapping[str, pl.DataFrame | Encoded]
) -> int:
    """Write the frames into their tables in the session's transaction; return rows written.

    On PostgreSQL a frame may come already encoded (``encode_frames``).
    """
    written = 0
    connection = session.connection()
    for table in tables.all_tables:
        item = frames.get(table.name)
        if item is None:
            continue
        if connection.dialect.name == "postgresql":
            encoded = item if isinstance(item, Encoded) else encode(table, item)
            if not encoded.rows:
                continue
            _copy(connection, table, encoded)
            if table is tables.main:
                _refresh_statistics(session, table, encoded.rows)
            written += encoded.rows
            continue
        assert isinstance(item, pl.DataFrame)  # noqa: S101 - encoded rows are for PostgreSQL
        if item.height == 0:
            continue
        frame = item.select([c.name for c in table.columns if c.name in item.columns])
        uuids = [
            c.name for c in table.columns if isinstance(c.type, Uuid) and c.name in frame.columns
        ]
        rows = frame.to_dicts()
        for row in rows:
            for name in uuids:
                row[name] = uuid.UUID(row[name])
        session.execute(insert(table), rows)
        written += frame.height
    return written


def _copy(connection: object, table: Table, encoded: Encoded) -> None:
    """COPY encoded rows into a PostgreSQL table through psycopg."""
    columns = ", ".join(f'"{c}"' for c in encoded.columns)
    raw = connection.connection.dbapi_connection  # type: ignore[attr-defined]
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        view = memoryview(encoded.data)
        for start in range(0, len(view), 1 << 20):
            copy.write(view[start : start + (1 << 20)])


def _refresh_statistics(session: Session, table: Table, added: int) -> None:
    """ANALYZE the case table when its statistics think it much smaller than the rows just added.

    PostgreSQL plans the foreign-key checks of the child tables from these statistics: planned
    against an 'empty' case table they scan it for every child row (20 s instead of 0.7 s for
    5,000 cases). ANALYZE samples, so it costs a fraction of a second at any size.
    """
    estimate = session.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"),
        {"name": f'"{table.name}"'},
    ).scalar()
    if estimate is None or estimate < added:
        session.execute(text(f'ANALYZE "{table.name}"'))


def write_audit(session: Session, rows: pl.DataFrame | Encoded, table: Table | None = None) -> None:
    """Append audit rows to the audit log (or to ``table``, a staging copy of it): a frame
    (``before``/``after`` as JSON text), or on PostgreSQL the same already encoded
    (``encode_audit``)."""
    table = table if table is not None else AuditEntry.__table__  # type: ignore[assignment]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        encoded = rows if isinstance(rows, Encoded) else encode_audit(rows)
        if encoded.rows:
            _copy(connection, table, encoded)  # type: ignore[arg-type]
        return
    assert isinstance(rows, pl.DataFrame)  # noqa: S101 - encoded rows are for PostgreSQL
    dicts = rows.to_dicts()
    for row in dicts:
        for key in ("before", "after"):
            row[key] = json.loads(row[key]) if row[key] is not None else None
    if dicts:
        session.execute(insert(table), dicts)  # type: ignore[arg-type]
