"""Excel (.xlsx) import on both databases: the CSV import's semantics, an .xlsx error file, and
the workbook template with drop-down lists and column help.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from python_calamine import CalamineWorkbook
from tests.support.imports import REG, audit_count, case_count, importer, xlsx_bytes
from tests.support.records import records
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.cli.app import app
from printreg.imports.template_xlsx import template_xlsx
from printreg.ingest import FlatLayout
from printreg.platform import Platform

runner = CliRunner()


def _sheet(data: bytes, name: str | None = None) -> list[list[object]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_name(name or book.sheet_names[0]).to_python()


def test_template_fill_dry_run_commit_and_an_idempotent_reimport(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    definition = seeded.registry(REG).current
    template = template_xlsx(definition)
    header = _sheet(template, "cases")[0]
    assert header == FlatLayout(definition).columns  # the CSV template's columns
    rows = records("F0001", 5)
    path = tmp_path / "cases.xlsx"
    path.write_bytes(xlsx_bytes(seeded, rows))  # typed cells: numbers and dates
    dry = importer(seeded, operator).run(path)
    assert (dry.format, dry.rows, dry.new, dry.rejected, dry.problem) == ("xlsx", 5, 5, 0, None)
    assert (dry.committed, case_count(seeded)) == (False, 0)
    done = importer(seeded, operator).run(path, commit=True)
    assert (done.committed, done.new, case_count(seeded)) == (True, 5, 5)
    audits = audit_count(seeded)
    again = importer(seeded, operator).run(path, commit=True)
    assert (again.new, again.updated, again.unchanged, again.rejected) == (0, 0, 5, 0)
    assert (case_count(seeded), audit_count(seeded)) == (5, audits)
    # The same rows as CSV text cells store nothing new either: typed cells read as the CSV's.
    text = tmp_path / "text.xlsx"
    text.write_bytes(xlsx_bytes(seeded, rows, typed=False))
    assert importer(seeded, operator).run(text, commit=True).unchanged == 5


def test_rejected_rows_come_back_as_an_xlsx_with_errors_first(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    rows = records("F0001", 3)
    rows[1]["prints"][0]["scale_pct"] = -5
    path = tmp_path / "cases.xlsx"
    path.write_bytes(xlsx_bytes(seeded, rows))
    errors = tmp_path / "cases.errors.xlsx"
    report = importer(seeded, operator).run(path, commit=True, error_path=errors)
    assert (report.new, report.rejected, report.error_file) == (2, 1, str(errors))
    assert [p["line"] for p in report.problems] == [3]  # the workbook's row
    sheet = _sheet(errors.read_bytes())
    assert sheet[0][0] == "_errors"
    assert sheet[0][1:] == [c for c in FlatLayout(seeded.registry(REG).current).columns
                            if c in sheet[0]]  # fmt: skip
    assert len(sheet) == 2
    assert "scale_pct" in str(sheet[1][0])
    assert rows[1]["local_case_id"] in sheet[1]
    # The error file, fixed, re-uploads as is.
    rows[1]["prints"][0]["scale_pct"] = 100
    path.write_bytes(xlsx_bytes(seeded, [rows[1]]))
    assert importer(seeded, operator).run(path, commit=True).new == 1


def test_a_bad_workbook_is_refused_whole(seeded: Platform, operator: Actor, tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    path.write_bytes(b"local_case_id\nA-1\n")  # a CSV renamed
    report = importer(seeded, operator).run(path, commit=True)
    assert report.problem is not None
    assert "Excel workbook" in report.problem
    assert case_count(seeded) == 0


def test_cli_template_and_import(seeded: Platform, tmp_path: Path) -> None:
    out = tmp_path / "template.xlsx"
    result = runner.invoke(app, ["template", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert any("comments" in n for n in names)  # the column help
    assert "<dataValidation" in sheet
    assert 'type="list"' in sheet
    rows = records("F0001", 2)
    rows[0]["prints"][0]["scale_pct"] = -5
    data = tmp_path / "cases.xlsx"
    data.write_bytes(xlsx_bytes(seeded, rows))
    result = runner.invoke(app, ["import", str(data), "-f", "F0001", "--commit"])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.stdout
    assert "1 rejected" in result.stdout
    assert (tmp_path / "cases.errors.xlsx").is_file()
    assert case_count(seeded) == 1
