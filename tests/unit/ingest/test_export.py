"""Streamed exports: CSV with formulas neutralised, JSON Lines, typed Parquet, and the codebook."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from printreg.dictionary import UNKNOWN, Definition, load_shipped
from printreg.ingest import (
    FlatLayout,
    codebook,
    read_csv,
    read_jsonl,
    write_codebook,
    write_csv,
    write_jsonl,
    write_parquet,
)
from printreg.synthetic import SyntheticRegistry
from printreg.validation import ValidationContext, ValidationResult, validate_record
from printreg.validation.shape import to_json_record

TODAY = dt.date(2025, 6, 30)
LIMITS = {"max_bytes": 50_000_000, "max_field": 5000}


@pytest.fixture(scope="module")
def definition() -> Definition:
    return [d for d in load_shipped() if d.registry.code == "3dp"][-1]


@pytest.fixture(scope="module")
def layout(definition: Definition) -> FlatLayout:
    return FlatLayout(definition)


@pytest.fixture(scope="module")
def validated(definition: Definition) -> list[tuple[ValidationContext, ValidationResult]]:
    """Return 300 valid synthetic records, validated, with the context they were valid in."""
    registry = SyntheticRegistry(seed=5, facilities=3, today=TODAY)
    printers: dict[str, dict[str, str]] = {}
    for printer in registry.printers:
        printers.setdefault(printer.facility_code, {})[printer.label] = printer.technology
    out = []
    for facility, record in registry.cases(300):
        context = ValidationContext(facility, printers[facility], TODAY)
        result = validate_record(record, definition, context)
        assert result.errors == []
        out.append((context, result))
    return out


def _exported(
    definition: Definition, context: ValidationContext, result: ValidationResult
) -> dict[str, Any]:
    """Return a record as an export gives it: JSON shape with status and facility."""
    return {
        "facility": context.facility_code,
        "status": result.status,
        **to_json_record(definition, result.record),
    }


def test_csv_neutralises_formulas_but_not_numbers_or_dates(layout: FlatLayout) -> None:
    record = {
        "local_case_id": "3DP-1",
        "segmentation_tool_other_text": '=HYPERLINK("x")',
        "cad_tool_other_text": "@SUM(A1)",
        "indication_text": "\tpadded",
        "time_saved_min": -5,
        "request_date": "2024-01-02",
        "fluoro_time_saved_min": -0.5,
    }
    out = io.StringIO(newline="")
    assert write_csv([record], layout, out) == 1
    lines = out.getvalue().splitlines()
    assert lines[0].split(",") == layout.columns
    cells = dict(zip(layout.columns, next(csv.reader([lines[1]])), strict=True))
    assert cells["segmentation_tool_other_text"] == '\'=HYPERLINK("x")'
    assert cells["cad_tool_other_text"] == "'@SUM(A1)"
    assert cells["indication_text"] == "'\tpadded"
    assert cells["time_saved_min"] == "-5"
    assert cells["fluoro_time_saved_min"] == "-0.5"
    assert cells["request_date"] == "2024-01-02"
    (row,) = next(read_csv(io.BytesIO(out.getvalue().encode()), layout, **LIMITS))
    back, issues = layout.to_record(row.data)
    assert issues == []
    assert back["segmentation_tool_other_text"] == '=HYPERLINK("x")'
    assert back["cad_tool_other_text"] == "@SUM(A1)"


def test_a_csv_export_reimports_unchanged(
    definition: Definition,
    layout: FlatLayout,
    validated: list[tuple[ValidationContext, ValidationResult]],
) -> None:
    out = io.StringIO(newline="")
    records = (_exported(definition, c, r) for c, r in validated)
    assert write_csv(records, layout, out, pass_through=("facility",)) == 300
    rows = [
        r
        for chunk in read_csv(io.BytesIO(out.getvalue().encode("utf-8-sig")), layout, **LIMITS)
        for r in chunk
    ]
    assert len(rows) == 300
    for row, (context, result) in zip(rows, validated, strict=True):
        record, issues = layout.to_record(row.data)
        assert issues == []
        again = validate_record(record, definition, context)
        assert again.errors == []
        assert _exported(definition, context, again) == _exported(definition, context, result)


def test_jsonl_export_reimports_unchanged(
    definition: Definition, validated: list[tuple[ValidationContext, ValidationResult]]
) -> None:
    out = io.StringIO()
    canonical = [{"status": r.status, **r.record} for _, r in validated[:50]]
    assert write_jsonl(canonical, out) == 50
    text = out.getvalue()
    assert text.count("\n") == 50
    rows = [r for c in read_jsonl(io.BytesIO(text.encode()), **LIMITS) for r in c]
    for row, (context, result) in zip(rows, validated[:50], strict=True):
        assert row.data["request_date"] == result.record["request_date"].isoformat()
        again = validate_record(row.data, definition, context)
        assert to_json_record(definition, again.record) == to_json_record(definition, result.record)


def test_jsonl_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError, match="set"):
        write_jsonl([{"x": {1}}], io.StringIO())


def test_parquet_export_is_typed(
    definition: Definition,
    layout: FlatLayout,
    validated: list[tuple[ValidationContext, ValidationResult]],
    tmp_path: Path,
) -> None:
    path = tmp_path / "cases.parquet"
    records = [{"status": r.status, **r.record} for _, r in validated]
    records[0]["effort_cad_clinician_min"] = UNKNOWN
    records[1] = _exported(definition, validated[1][0], validated[1][1])
    records[1]["effort_cad_clinician_min"] = "unknown"
    assert (
        write_parquet(iter(records), layout, path, batch_rows=64, pass_through=("facility",)) == 300
    )
    table = pq.read_table(path)
    assert table.num_rows == 300
    assert pq.ParquetFile(path).metadata.num_row_groups == 5
    schema = table.schema
    assert schema.names[:3] == ["facility", "status", "local_case_id"]
    assert schema.field("patient_age_years").type == pa.float64()
    assert schema.field("request_date").type == pa.date32()
    assert schema.field("print_1_copies").type == pa.int64()
    assert schema.field("print_1_multicolor").type == pa.bool_()
    assert schema.field("source_modalities").type == pa.list_(pa.string())
    assert schema.field("print_1_part_numbers").type == pa.list_(pa.int64())
    # the reason sits in its own text column: the minutes stay a whole number
    assert schema.field("effort_cad_clinician_min").type == pa.int64()
    assert schema.field("effort_cad_clinician_min__missing").type == pa.string()
    columns = table.to_pydict()
    assert columns["effort_cad_clinician_min"][:2] == [None, None]
    assert columns["effort_cad_clinician_min__missing"][:2] == ["unknown", "unknown"]
    first = validated[2][1].record
    assert columns["request_date"][2] == first["request_date"]
    assert columns["source_modalities"][2] == first["source_modalities"]
    assert columns["print_1_copies"][2] == first["prints"][0]["copies"]


def test_parquet_export_of_nothing_has_the_schema(layout: FlatLayout, tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    assert write_parquet([], layout, path) == 0
    table = pq.read_table(path)
    assert table.num_rows == 0
    assert "print_5_scale_pct" in table.schema.names


def test_codebook_describes_every_column(
    definition: Definition, layout: FlatLayout, tmp_path: Path
) -> None:
    moment = dt.datetime(2025, 6, 30, 12, 0, tzinfo=dt.UTC)
    book = codebook(definition, moment)
    assert book["registry"] == {"code": "3dp", "name": definition.registry.name}
    assert book["definition_version"] == definition.version
    assert book["generated_at"] == "2025-06-30T12:00:00+00:00"
    assert book["conventions"]["separator"] == ";"
    by_column = {c["column"]: c for c in book["columns"]}
    assert list(by_column) == layout.columns
    scale = by_column["print_2_scale_pct"]
    assert scale["element"] == "prints[2].scale_pct"
    assert scale["unit"] == "%"
    assert scale["type"] == "decimal"
    assert scale["label"] == "Scale (%)"
    assert scale["help"]
    assert {"code": "female", "label": "Female"} in by_column["patient_sex"]["codes"]
    assert by_column["source_modalities"]["multiple"] is True
    assert by_column["local_case_id"]["required"] == "required"
    assert by_column["guide_type"]["required"].startswith("only when Object type is Anatomic guide")
    path = tmp_path / "codebook.json"
    write_codebook(definition, path, moment)
    assert json.loads(path.read_text("utf-8")) == book
