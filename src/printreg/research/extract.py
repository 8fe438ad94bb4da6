"""The de-identified extract of an approved request: a Parquet file and its codebook.

Columns: ``row_id`` (random), ``facility`` (the per-request pseudonym), then the approved
elements in definition order. A repeating group's elements are numbered columns
``<prefix>_<n>_<element>`` as in the import layout; an element that takes reasons for missing
data gets a text ``<column>__missing`` column (the reason, null when a value is given); dates are year-quarter text (``2025-Q1``); multi-valued
elements are lists. Rows are written as they come, ``batch_rows`` per row group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

# pyarrow ships no type information; its objects are Any here.
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from printreg.dictionary import (
    Definition,
    DerivedRef,
    GroupElement,
    ScalarElement,
    is_multiple,
    is_reason,
)
from printreg.dictionary.missing import COLUMN_SUFFIX, REASON_CODES
from printreg.ingest.describe import MISSING_RULE, column_entry, reason_entry
from printreg.ingest.layout import FlatLayout
from printreg.research.deidentify import pseudonym, random_row_id
from printreg.research.elements import (
    AGE_TOP_CODE,
    ExtractElement,
    is_age,
    releasable_elements,
    withheld_reason,
)

TOP_CODE_SUFFIX = f"_{AGE_TOP_CODE}_or_older"
DEIDENTIFICATION = {
    "row_id": "a random id drawn for this extract; local case IDs never leave the registry",
    "facility": "a pseudonym per facility and request (HMAC-SHA256 of the facility id under a "
    "secret of this request): the same facility has the same pseudonym within this extract and "
    "unrelated pseudonyms in other extracts",
    "dates": "every date is coarsened to its year and quarter (YYYY-Qn); derived intervals such "
    "as turnaround days are computed from the exact dates before coarsening",
    "free_text": "free-text elements, the local case ID and printer names are never released",
    "ages": f"ages of {AGE_TOP_CODE} and over are released only as '{AGE_TOP_CODE} or older' "
    f"(HIPAA Safe Harbor): the age column is null and <column>{TOP_CODE_SUFFIX} is true",
}


@dataclass(frozen=True)
class ExtractColumn:
    """One column of the extract: the element it carries, its group row, whether it is a flag."""

    name: str
    source: ExtractElement
    row: int | None = None
    reason_column: bool = False
    top_code_flag: bool = False


@dataclass(frozen=True)
class ExtractSource:
    """One case as the extract reads it: its facility, canonical record and derived values."""

    facility_id: int
    record: Mapping[str, Any]
    derived: Mapping[str, Any]


def _takes_reasons(element: ScalarElement | None) -> bool:
    return element is not None and bool(element.reasons)


class ExtractLayout:
    """The columns of an extract of ``approved`` element paths under one definition."""

    def __init__(self, definition: Definition, approved: Sequence[str]) -> None:
        self.definition = definition
        releasable = releasable_elements(definition)
        unknown = [p for p in approved if p not in releasable]
        if unknown:
            raise ValueError(f"not releasable under {definition.version}: {', '.join(unknown)}")
        wanted = set(approved)
        self.elements = [releasable[p] for p in releasable if p in wanted]
        self.columns: list[ExtractColumn] = []
        for name, element in definition.elements.items():
            if isinstance(element, GroupElement):
                chosen = [releasable[f"{name}.{c.name}"] for c in element.elements
                          if f"{name}.{c.name}" in wanted]  # fmt: skip
                for n in range(1, element.max_rows + 1):
                    for source in chosen:
                        assert source.element is not None  # noqa: S101 - group paths are scalars
                        self._add(f"{element.prefix}_{n}_{source.element.name}", source, n)
            elif name in wanted:
                self._add(name, releasable[name], None)
        for derived in definition.derived:
            if derived.name in wanted:
                self._add(derived.name, releasable[derived.name], None)

    def _add(self, name: str, source: ExtractElement, row: int | None) -> None:
        self.columns.append(ExtractColumn(name, source, row))
        if source.element is not None and is_age(source.element):
            self.columns.append(
                ExtractColumn(name + TOP_CODE_SUFFIX, source, row, top_code_flag=True)
            )
        if _takes_reasons(source.element):
            self.columns.append(
                ExtractColumn(name + COLUMN_SUFFIX, source, row, reason_column=True)
            )

    def schema(self) -> pa.Schema:
        """Return the Parquet schema: row_id, facility, then the element columns."""
        fields = [pa.field("row_id", pa.string()), pa.field("facility", pa.string())]
        fields += [pa.field(c.name, _arrow_type(c)) for c in self.columns]
        return pa.schema(fields)

    def values(self, record: Mapping[str, Any], derived: Mapping[str, Any]) -> dict[str, Any]:
        """Return one case's values by column (without row_id and facility)."""
        out: dict[str, Any] = {}
        for column in self.columns:
            source = column.source
            if source.derived is not None:
                out[column.name] = _derived_value(source.derived, derived.get(source.derived.name))
                continue
            assert source.element is not None  # noqa: S101 - an element or a derived value
            raw = record.get(source.path)
            if source.group is not None:
                rows = record.get(source.group.name) or []
                assert column.row is not None  # noqa: S101 - group columns carry their row
                row = rows[column.row - 1] if column.row <= len(rows) else {}
                raw = row.get(source.element.name)
            old = is_age(source.element) and _at_least_top(raw)
            if column.reason_column:
                found = source.element.reason_of(raw)
                out[column.name] = found.code if found else None
            elif column.top_code_flag:
                out[column.name] = True if old else None
            else:
                # an age of 90 or more leaves only as the flag "90 or older" (HIPAA Safe Harbor)
                out[column.name] = None if old else _value(source.element, raw)
        return out


def _at_least_top(raw: Any) -> bool:
    """Return whether a raw age is the top code or more (never for missing or 'unknown')."""
    if raw is None or is_reason(raw) or isinstance(raw, list | bool):
        return False
    try:
        return float(raw) >= AGE_TOP_CODE
    except (TypeError, ValueError):
        return False


def _arrow_type(column: ExtractColumn) -> pa.DataType:
    if column.reason_column:
        return pa.string()
    if column.top_code_flag:
        return pa.bool_()
    source = column.source
    if source.derived is not None:
        return {"integer": pa.int64(), "decimal": pa.float64(), "boolean": pa.bool_()}.get(
            source.derived.type, pa.string()
        )
    assert source.element is not None  # noqa: S101 - an element or a derived value
    base = source.element.extract_value_type()  # dates leave as year-quarter text
    return pa.list_(base) if is_multiple(source.element) else base


def _value(element: ScalarElement, value: Any) -> Any:
    """Return a canonical value as the extract holds it (None for no value and for a reason)."""
    if value is None or is_reason(value):
        return None
    if isinstance(value, list):
        return [_value(element, v) for v in value]
    return element.extract_value(value)


def _derived_value(ref: DerivedRef, value: Any) -> Any:
    if value is None:
        return None
    if ref.type == "integer":
        return int(value)
    if ref.type == "decimal":
        return float(value) if isinstance(value, Decimal | int | float) else None
    if ref.type == "boolean":
        return bool(value)
    return str(value)


def write_extract(
    sources: Iterable[ExtractSource],
    layout: ExtractLayout,
    secret: bytes,
    path: Path,
    batch_rows: int = 10_000,
) -> int:
    """Write the de-identified extract of the cases to ``path``; return the number of rows."""
    schema = layout.schema()
    names: dict[int, str] = {}
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        batch: dict[str, list[Any]] = {name: [] for name in schema.names}
        for source in sources:
            if source.facility_id not in names:
                names[source.facility_id] = pseudonym(secret, source.facility_id)
            batch["row_id"].append(random_row_id())
            batch["facility"].append(names[source.facility_id])
            for name, value in layout.values(source.record, source.derived).items():
                batch[name].append(value)
            count += 1
            if count % batch_rows == 0:
                writer.write_table(pa.table(batch, schema=schema))
                batch = {name: [] for name in schema.names}
        if count % batch_rows or count == 0:
            writer.write_table(pa.table(batch, schema=schema))
    return count


def _entry(flat: FlatLayout, column: ExtractColumn) -> dict[str, Any]:
    source = column.source
    if source.derived is not None:
        ref = source.derived
        return {"column": column.name, "element": ref.name, "group": None, "row": None,
                "label": ref.label, "type": ref.type, "value": ref.description, "multiple": False,
                "unit": ref.unit, "derived": True, "codes": []}  # fmt: skip
    if column.reason_column:
        entry = reason_entry(flat, column.name.removesuffix(COLUMN_SUFFIX))
    else:
        entry = column_entry(flat, column.name)
    entry.pop("required", None)
    entry["derived"] = False
    if column.reason_column:
        return entry
    if source.element is not None and source.element.extract_coarsening is not None:
        entry["type"], entry["value"] = source.element.extract_coarsening
    if source.element is not None and is_age(source.element):
        entry["top_coded"] = {
            "at": AGE_TOP_CODE,
            "flag": column.name + TOP_CODE_SUFFIX,
            "meaning": f"ages of {AGE_TOP_CODE} and over are null here, with the flag column "
            f"true: '{AGE_TOP_CODE} or older' (HIPAA Safe Harbor)",
        }
    return entry


def extract_codebook(
    layout: ExtractLayout,
    about: Mapping[str, Any],
    aggregate: Mapping[str, Any] | None,
    generated_at: dt.datetime,
) -> dict[str, Any]:
    """Return the codebook of an extract: the request, de-identification, every column.

    ``about`` describes the request (id, title, approval, expiry); ``aggregate`` is an already
    suppressed count table that travels with the extract.
    """
    definition = layout.definition
    flat = FlatLayout(definition)
    withheld = [
        {"element": f"{g.name}.{e.name}" if g else e.name, "reason": reason}
        for g, e in definition.walk()
        if (reason := withheld_reason(e)) is not None
    ]
    fixed = [
        {"column": "row_id", "label": "Row id", "type": "text", "value": DEIDENTIFICATION["row_id"]},
        {"column": "facility", "label": "Facility pseudonym", "type": "text",
         "value": DEIDENTIFICATION["facility"]},
    ]  # fmt: skip
    return {
        "request": dict(about),
        "registry": {"code": definition.registry.code, "name": definition.registry.name},
        "definition_version": definition.version,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "deidentification": {**DEIDENTIFICATION, "withheld": withheld},
        "conventions": {
            "cases": "complete and locked cases that are not deleted, one row per case",
            "multiple_values": "a multi-valued element is a list column",
            "groups": "a repeating group has numbered columns <prefix>_<n>_<element>, n = 1, 2, "
            "... in the order of the case's rows; other elements refer to rows by their number",
            "missing_reasons": MISSING_RULE,
            "missing_reason_codes": list(REASON_CODES),
            "ages": DEIDENTIFICATION["ages"],
        },
        "columns": [
            *fixed,
            *(_entry(flat, c) for c in layout.columns if not c.top_code_flag),
        ],
        "aggregate": dict(aggregate) if aggregate is not None else None,
    }
