"""How a CSV import reads, prepares and writes its batches, on both databases.

The import checks the whole file once (the careful reader), then reads it again batch by batch
with polars while a worker thread prepares the next batch: these tests hold the edges of that
path (blank rows, odd quoting, rows new and stored in one batch, repeats far apart, a file
changed part-way, the audit rows written in PostgreSQL's text format).
"""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.imports.service import Importer
from printreg.ingest import FlatLayout
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry

REG = "3dp"


def rows_of(layout: FlatLayout, batch: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [layout.to_row({k: v for k, v in r.items() if k != "facility"}) for r in batch]


def csv_text(layout: FlatLayout, rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, layout.columns)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def importer(platform: Platform, operator: Actor, batch_rows: int = 2) -> Importer:
    return Importer(platform, operator, REG, "F0001", batch_rows=batch_rows)


def case_count(platform: Platform) -> int:
    main = platform.registry(REG).tables.main
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(main)) or 0


def audit_rows(platform: Platform, action: str) -> list[AuditEntry]:
    with platform.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity_type == "case", AuditEntry.action == action)
                .order_by(AuditEntry.id)
            )
        )


def test_blank_rows_are_skipped_not_rejected(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    layout = FlatLayout(seeded.registry(REG).current)
    lines = csv_text(layout, rows_of(layout, records("F0001", 5))).splitlines(keepends=True)
    blank = "," * (len(layout.columns) - 1) + "\r\n"  # a spreadsheet's empty row
    text = "".join([lines[0], "\r\n", lines[1], blank, lines[2], "   \r\n", *lines[3:], blank])
    path = tmp_path / "blank.csv"
    path.write_text(text, newline="")
    report = importer(seeded, operator).run(path, commit=True)
    assert (report.rows, report.new, report.rejected, report.problem) == (5, 5, 0, None)
    assert case_count(seeded) == 5


def test_a_bare_quote_inside_a_cell_is_read_as_the_careful_reader_reads_it(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    layout = FlatLayout(seeded.registry(REG).current)
    batch = records("F0001", 3)
    batch[1]["indication_text"] = "Clubfoot QQQ model"
    text = csv_text(layout, rows_of(layout, batch)).replace("QQQ", '5" long')  # left unquoted
    path = tmp_path / "quote.csv"
    path.write_text(text, newline="")
    report = importer(seeded, operator).run(path, commit=True)
    assert (report.new, report.rejected, report.problem) == (3, 0, None)
    view = CaseService(seeded, operator).find(REG, "F0001", batch[1]["local_case_id"])
    assert view.record["indication_text"] == 'Clubfoot 5" long model'


def test_one_batch_with_new_changed_and_unchanged_rows(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    layout = FlatLayout(seeded.registry(REG).current)
    batch = records("F0001", 6)
    first = tmp_path / "first.csv"
    first.write_text(csv_text(layout, rows_of(layout, batch[:3])), newline="")
    assert importer(seeded, operator, 10).run(first, commit=True).new == 3
    changed = copy.deepcopy(batch)
    changed[1]["indication_text"] = "Revised indication after the tumour board"
    second = tmp_path / "second.csv"
    second.write_text(csv_text(layout, rows_of(layout, [changed[3], *changed[:3], *changed[4:]])))
    report = importer(seeded, operator, 10).run(second, commit=True)
    assert (report.new, report.updated, report.unchanged, report.rejected) == (3, 1, 2, 0)
    assert case_count(seeded) == 6
    assert len(audit_rows(seeded, "create")) == 6
    assert len(audit_rows(seeded, "update")) == 1
    view = CaseService(seeded, operator).find(REG, "F0001", batch[5]["local_case_id"])
    assert view.record["indication_text"] == batch[5]["indication_text"]


def test_a_local_case_id_repeated_batches_apart_rejects_both_rows(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    layout = FlatLayout(seeded.registry(REG).current)
    batch = records("F0001", 7)
    twin = copy.deepcopy(batch[0])
    twin["indication_text"] = "Another case under the same number"
    path = tmp_path / "twins.csv"
    path.write_text(csv_text(layout, rows_of(layout, [*batch, twin])), newline="")
    errors = tmp_path / "twins.errors.csv"
    report = importer(seeded, operator).run(path, commit=True, error_path=errors)
    assert (report.new, report.rejected) == (6, 2)
    assert report.by_rule["duplicate_in_file"] == 2
    rejected = list(csv.DictReader(io.StringIO(errors.read_text())))
    assert [r["local_case_id"] for r in rejected] == [batch[0]["local_case_id"]] * 2


def test_a_file_changed_during_the_import_stops_it_between_batches(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    layout = FlatLayout(seeded.registry(REG).current)
    path = tmp_path / "moving.csv"
    path.write_text(csv_text(layout, rows_of(layout, records("F0001", 8))), newline="")

    def touch(_: int) -> None:
        with path.open("a") as handle:
            handle.write("\n")

    report = importer(seeded, operator).run(path, commit=True, progress=touch)
    assert report.problem is not None
    assert "changed during the import" in report.problem
    assert not report.committed
    assert case_count(seeded) == report.new == 4  # the batches written before: whole


def test_a_new_case_and_its_audit_row_hold_tricky_text_exactly(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    layout = FlatLayout(seeded.registry(REG).current)
    batch = records("F0001", 2)
    tricky = 'Left "upper" limb\\forearm\tplanning;\nsecond line, with a comma'
    batch[0]["indication_text"] = tricky
    rows = rows_of(layout, batch)
    path = tmp_path / "tricky.csv"
    path.write_text(csv_text(layout, rows), newline="")
    report = importer(seeded, operator).run(path, commit=True)
    assert (report.new, report.rejected) == (2, 0)
    created = audit_rows(seeded, "create")
    assert [entry.after for entry in created] == [{k: v for k, v in r.items() if v} for r in rows]
    assert created[0].after is not None
    assert created[0].after["indication_text"] == tricky
    view = CaseService(seeded, operator).find(REG, "F0001", batch[0]["local_case_id"])
    assert view.record["indication_text"] == tricky  # the case tables' COPY escapes it too
