"""Streamed exports (CSV, JSON Lines, Parquet) and the codebook that travels with them.

Writers take an iterable of records (JSON shape or canonical) and write as they go, so memory
stays constant in the number of records; each returns the number of records written.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

# pyarrow ships no type information; its objects are Any here.
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from printreg.dictionary import Definition, MissingReason, ScalarElement
from printreg.dictionary.missing import COLUMN_SUFFIX, REASON_CODES, REDCAP_CODES, column_of
from printreg.ingest.cells import MULTI_SEPARATOR, neutralise
from printreg.ingest.describe import (
    GROUP_RULE,
    MISSING_RULE,
    MULTI_RULE,
    STATUS_HELP,
    column_entry,
    reason_entry,
)
from printreg.ingest.layout import STATUS_COLUMN, FlatLayout
from printreg.validation.shape import json_value


def write_csv(
    records: Iterable[Mapping[str, Any]],
    layout: FlatLayout,
    out: TextIO,
    *,
    pass_through: Sequence[str] = (),
) -> int:
    """Write a header and one flat row per record; return the number of records written.

    Open ``out`` with ``newline=""``. Cells a spreadsheet would execute as formulas get a
    leading apostrophe (the CSV reader removes it again, so an export re-imports unchanged).
    """
    header = layout.header(pass_through)
    writer = csv.writer(out)
    writer.writerow(header)
    count = 0
    for record in records:
        row = layout.to_row(record)
        writer.writerow([neutralise(row.get(name, "")) for name in header])
        count += 1
    return count


def _json_default(value: object) -> object:
    if isinstance(value, MissingReason | dt.date):
        return json_value(value)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def write_jsonl(records: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """Write one JSON object per line (UTF-8 text, ISO dates); return the number written."""
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, default=_json_default))
        out.write("\n")
        count += 1
    return count


def _typed(element: ScalarElement, value: Any) -> Any:
    """Return a JSON-shape or canonical value as the Python value of its Arrow type."""
    if value is None or element.reason_of(value) is not None:
        return None
    if isinstance(value, list):
        return [_typed(element, v) for v in value]
    return element.typed_value(value)


def parquet_schema(layout: FlatLayout, pass_through: Sequence[str] = ()) -> pa.Schema:
    """Return the Parquet schema of an export: typed layout columns.

    Multi-valued elements are lists; an element that takes reasons for missing data gets a text
    ``<column>__missing`` column after its own (the reason, null when a value is given), so the
    value column keeps its type: a number stays a number.
    """
    fields = [pa.field(name, pa.string()) for name in [*pass_through, STATUS_COLUMN]]
    for column in layout.element_columns:
        fields.append(pa.field(column.name, column.element.arrow_type()))
        if column.element.reasons:
            fields.append(pa.field(column_of(column.name), pa.string()))
    return pa.schema(fields)


def write_parquet(
    records: Iterable[Mapping[str, Any]],
    layout: FlatLayout,
    path: Path,
    batch_rows: int = 10_000,
    *,
    pass_through: Sequence[str] = (),
) -> int:
    """Write the records as typed flat columns, ``batch_rows`` per row group; return the count."""
    schema = parquet_schema(layout, pass_through)
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        batch: dict[str, list[Any]] = {name: [] for name in schema.names}
        for record in records:
            _append(layout, record, batch, pass_through)
            count += 1
            if count % batch_rows == 0:
                writer.write_table(pa.table(batch, schema=schema))
                batch = {name: [] for name in schema.names}
        if count % batch_rows or count == 0:
            writer.write_table(pa.table(batch, schema=schema))
    return count


def _append(
    layout: FlatLayout,
    record: Mapping[str, Any],
    batch: dict[str, list[Any]],
    pass_through: Sequence[str],
) -> None:
    for name in [*pass_through, STATUS_COLUMN]:
        value = record.get(name)
        batch[name].append(None if value is None else str(value))
    values: dict[str, Any] = {}
    groups = layout.definition.groups
    for name in layout.definition.elements:
        if name in groups:
            group = groups[name]
            for n, row in enumerate(record.get(name) or [], start=1):
                for child in group.elements:
                    values[f"{group.prefix}_{n}_{child.name}"] = row.get(child.name)
        else:
            values[name] = record.get(name)
    for column in layout.element_columns:
        value = values.get(column.name)
        batch[column.name].append(_typed(column.element, value))
        if column.element.reasons:
            reason = column.element.reason_of(value)
            batch[column_of(column.name)].append(reason.code if reason else None)


def codebook(definition: Definition, generated_at: dt.datetime | None = None) -> dict[str, Any]:
    """Return the codebook of a definition's flat layout: conventions and every column described."""
    layout = FlatLayout(definition)
    moment = generated_at or dt.datetime.now(dt.UTC)
    status = {
        "column": STATUS_COLUMN,
        "element": None,
        "label": "Case status",
        "type": "code",
        "help": STATUS_HELP,
        "codes": [{"code": "draft", "label": "Draft"}, {"code": "complete", "label": "Complete"}],
    }
    return {
        "registry": {"code": definition.registry.code, "name": definition.registry.name},
        "definition_version": definition.version,
        "generated_at": moment.isoformat(timespec="seconds"),
        "conventions": {
            "multiple_values": MULTI_RULE,
            "separator": MULTI_SEPARATOR,
            "groups": GROUP_RULE,
            "missing_reasons": MISSING_RULE,
            "missing_column_suffix": COLUMN_SUFFIX,
            "missing_reason_codes": list(REASON_CODES),
            "missing_reason_redcap": dict(REDCAP_CODES),
            "dates": "YYYY-MM-DD",
            "formulas": "CSV cells that a spreadsheet would execute start with an apostrophe",
        },
        "columns": [status, *_entries(layout)],
    }


def _entries(layout: FlatLayout) -> list[dict[str, Any]]:
    """Return the entries of every element column, each followed by its reason column's."""
    out = []
    for column in layout.element_columns:
        out.append(column_entry(layout, column.name))
        if column.element.reasons:
            out.append(reason_entry(layout, column.name))
    return out


def write_codebook(
    definition: Definition, path: Path, generated_at: dt.datetime | None = None
) -> None:
    """Write the codebook as indented UTF-8 JSON to ``path``."""
    text = json.dumps(codebook(definition, generated_at), ensure_ascii=False, indent=2)
    path.write_text(text + "\n", encoding="utf-8")
