"""Importing files of cases end to end on both databases: dry run, upsert, errors, exports."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.support.imports import audit_count, case_count, importer, write_csv
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.exports import export_cases
from printreg.cases.service import CaseQuery, CaseService
from printreg.ingest import FlatLayout
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry

REG = "3dp"


@pytest.fixture
def layout(seeded: Platform) -> FlatLayout:
    return FlatLayout(seeded.registry(REG).current)


def test_dry_run_then_commit_then_reimport_is_a_no_op(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "cases.csv", layout, records("F0001", 10))
    dry = importer(seeded, operator).run(path)
    assert (dry.rows, dry.new, dry.rejected, dry.committed) == (10, 10, 0, False)
    assert case_count(seeded) == 0
    done = importer(seeded, operator).run(path, commit=True)
    assert (done.new, done.committed) == (10, True)
    assert case_count(seeded) == 10
    assert audit_count(seeded) == 10
    again = importer(seeded, operator).run(path, commit=True)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 10)
    assert audit_count(seeded) == 10


def test_a_changed_row_updates_its_case_with_before_and_after(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    batch = records("F0001", 3)
    importer(seeded, operator).run(write_csv(tmp_path / "a.csv", layout, batch), commit=True)
    changed = copy.deepcopy(batch)
    changed[1]["indication_text"] = "Revised indication after the tumour board"
    report = importer(seeded, operator).run(
        write_csv(tmp_path / "b.csv", layout, changed), commit=True
    )
    assert (report.updated, report.unchanged, report.new) == (1, 2, 0)
    view = CaseService(seeded, operator).find(REG, "F0001", batch[1]["local_case_id"])
    assert view.record["indication_text"] == "Revised indication after the tumour board"
    with seeded.sessions() as session:
        update = session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
    assert update.before is not None
    assert update.after is not None
    assert update.before["indication_text"] == batch[1]["indication_text"]
    assert update.after["indication_text"] == "Revised indication after the tumour board"


def test_bad_rows_go_to_an_error_file_that_can_be_fixed_and_reuploaded(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    batch = records("F0001", 5)
    batch[1]["prints"][0]["scale_pct"] = -5
    batch[3]["indication_text"] = "Patient: Jane Doe, MRN 48213377"
    errors = tmp_path / "cases.errors.csv"
    report = importer(seeded, operator).run(
        write_csv(tmp_path / "cases.csv", layout, batch), commit=True, error_path=errors
    )
    assert (report.new, report.rejected) == (3, 2)
    assert report.by_rule["range"] == 1
    assert report.by_rule["identifier_person_name"] == 1
    text = errors.read_text()
    assert "Jane Doe" not in text
    assert "48213377" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["local_case_id"] for r in rows] == [
        batch[1]["local_case_id"],
        batch[3]["local_case_id"],
    ]
    assert "prints[1].scale_pct" in rows[0]["_errors"]
    rows[0]["print_1_scale_pct"] = "100"
    rows[1]["indication_text"] = "Renal mass, partial nephrectomy planning"
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    again = importer(seeded, operator).run(fixed, commit=True)
    assert (again.new, again.rejected) == (2, 0)
    assert case_count(seeded) == 5


def test_duplicate_keys_in_one_file_reject_both_rows(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    batch = records("F0001", 3)
    twin = copy.deepcopy(batch[0])
    report = importer(seeded, operator).run(
        write_csv(tmp_path / "dup.csv", layout, [*batch, twin]), commit=True
    )
    assert (report.new, report.rejected) == (2, 2)
    assert report.by_rule["duplicate_in_file"] == 2


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    batch = records("F0001", 9)
    batch[7]["organ_system"] = "spleen"
    report = importer(seeded, operator).run(
        write_csv(tmp_path / "aon.csv", layout, batch), commit=True, all_or_nothing=True
    )
    assert report.rejected == 1
    assert report.rolled_back
    assert not report.committed
    assert case_count(seeded) == 0
    assert audit_count(seeded) == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"status;local_case_id\ncomplete;A1\n", "comma"),
        ("latin-1", "UTF-8"),
    ],
)
def test_a_bad_file_is_refused_whole(
    seeded: Platform, operator: Actor, tmp_path: Path, content: bytes | str, expected: str
) -> None:
    path = tmp_path / "bad.csv"
    if content == "latin-1":
        header = FlatLayout(seeded.registry(REG).current).template_csv()
        content = (header + "complete,Caf\u00e9-1\n").encode("latin-1")
    path.write_bytes(content)
    report = importer(seeded, operator).run(path, commit=True)
    assert report.problem is not None
    assert expected in report.problem
    assert case_count(seeded) == 0


def test_a_late_ragged_row_refuses_the_file_before_any_batch_is_written(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "ragged.csv", layout, records("F0001", 9))
    with path.open("a") as handle:
        handle.write("complete,only-two-cells\n")
    report = importer(seeded, operator, batch_rows=2).run(path, commit=True)
    assert report.problem is not None
    assert "line 11" in report.problem
    assert case_count(seeded) == 0


def test_a_formula_cell_is_refused_without_echoing_it(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    batch = records("F0001", 2)
    batch[1]["indication_text"] = '=HYPERLINK("http://x","MRN 48213377")'
    path = write_csv(tmp_path / "formula.csv", layout, batch)
    raw = path.read_text().replace("'=HYPERLINK", "=HYPERLINK")  # as a spreadsheet would save it
    path.write_text(raw)
    report = importer(seeded, operator).run(path, commit=True)
    assert report.problem is not None
    assert "formula" in report.problem
    assert "48213377" not in report.problem
    assert case_count(seeded) == 0


def test_json_lines_and_json_import(seeded: Platform, operator: Actor, tmp_path: Path) -> None:
    batch = records("F0001", 4)
    lines = tmp_path / "cases.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in batch[:2]) + "\n")
    array = tmp_path / "cases.json"
    array.write_text(json.dumps(batch[2:]))
    assert importer(seeded, operator).run(lines, commit=True).new == 2
    assert importer(seeded, operator).run(array, commit=True).new == 2
    bad = copy.deepcopy(batch[0])
    bad["local_case_id"] = "JSON-BAD"
    bad["colour"] = "red"
    lines.write_text(json.dumps(bad) + "\n")
    report = importer(seeded, operator).run(lines, commit=True)
    assert report.rejected == 1
    assert report.by_rule["unknown_field"] == 1


def test_imported_cases_read_back_as_the_same_records_as_typed_ones(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    batch = records("F0001", 6)
    importer(seeded, operator).run(write_csv(tmp_path / "a.csv", layout, batch), commit=True)
    service = CaseService(seeded, operator)
    for record in batch:
        typed = service.create(
            REG, "F0001", {**record, "local_case_id": record["local_case_id"] + "-T"}
        )
        bulk = service.find(REG, "F0001", record["local_case_id"])
        single = service.get(REG, typed.id)
        assert {**bulk.record, "local_case_id": ""} == {**single.record, "local_case_id": ""}
        assert bulk.derived == single.derived
        assert bulk.status == single.status


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_reimported_is_a_no_op(
    seeded: Platform, operator: Actor, tmp_path: Path, fmt: str
) -> None:
    CaseService(seeded, operator).create_many(REG, [("F0001", r) for r in records("F0001", 5)])
    out = tmp_path / f"export.{fmt}"
    count, codebook = export_cases(seeded, operator, REG, fmt, out, "F0001")  # type: ignore[arg-type]
    assert count == 5
    assert json.loads(codebook.read_text())["definition_version"] == "1.1.0"
    report = importer(seeded, operator).run(out, commit=True)
    assert (report.unchanged, report.new, report.updated, report.rejected) == (5, 0, 0, 0)
    assert len(CaseService(seeded, operator).list_cases(REG, CaseQuery(limit=100)).items) == 5


def test_parquet_export_is_typed_and_complete(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # noqa: PLC0415

    CaseService(seeded, operator).create_many(REG, [("F0001", r) for r in records("F0001", 4)])
    out = tmp_path / "export.parquet"
    count, _ = export_cases(seeded, operator, REG, "parquet", out)
    table = pq.read_table(out)
    assert count == table.num_rows == 4
    assert str(table.schema.field("request_date").type) == "date32[day]"
    assert str(table.schema.field("patient_age_years").type) == "double"


def test_json_error_file_never_copies_an_identifier_inside_a_group(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    record = records("F0001", 1)[0]
    record["anatomic_parts"] = [
        {"region": "head", "structure": "bone", "comment": "DOB 03/04/2021"}
    ]
    lines = tmp_path / "cases.jsonl"
    lines.write_text(json.dumps(record) + "\n")
    errors = tmp_path / "cases.errors.jsonl"
    report = importer(seeded, operator).run(lines, commit=True, error_path=errors)
    assert report.rejected == 1
    text = errors.read_text()
    assert "03/04/2021" not in text
    assert "identifier_date_of_birth" in text


def test_a_missing_file_is_a_clear_problem(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    report = importer(seeded, operator).run(tmp_path / "nothere.csv", commit=True)
    assert report.problem is not None
    assert "not found" in report.problem
