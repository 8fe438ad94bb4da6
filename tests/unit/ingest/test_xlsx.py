"""Typed workbook cells become the text the CSV reader expects; bad workbooks are named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from printreg.ingest.errors import FileProblem
from printreg.ingest.xlsx import cell_text, column_letter, looks_like_xlsx, xlsx_to_csv


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("", ""),
        (3.0, "3"),
        (-12.0, "-12"),
        (2.5, "2.5"),
        (0.1, "0.1"),
        (7, "7"),
        (True, "true"),
        (False, "false"),
        (dt.date(2026, 11, 2), "2026-11-02"),
        (dt.datetime(2026, 11, 2), "2026-11-02"),  # noqa: DTZ001 - workbook cells are naive
        (dt.datetime(2026, 11, 2, 9, 30), "2026-11-02T09:30"),  # noqa: DTZ001 - as above
        (dt.time(14, 5), "14:05"),
        ("ct", "ct"),
        ("=1+1", "'=1+1"),  # text in a workbook: passed on neutralised, restored as text
    ],
)
def test_typed_cells_become_csv_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A", "Z", "AA", "AB", "ZZ", "AAA"
    ]  # fmt: skip


def _book(path: Path, build: object) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("cases")
    build(book, sheet)  # type: ignore[operator]
    book.close()
    return path


def test_rows_keep_their_workbook_row_numbers(tmp_path: Path) -> None:
    def build(book: xlsxwriter.Workbook, sheet: object) -> None:
        sheet.write_row(0, 0, ["local_case_id", "note"])  # type: ignore[attr-defined]
        sheet.write_row(1, 0, ["A-1", "one\ntwo"])  # type: ignore[attr-defined]
        sheet.write_row(2, 0, [12, 2.5])  # type: ignore[attr-defined]

    source = _book(tmp_path / "b.xlsx", build)
    assert looks_like_xlsx(source.read_bytes()[:4])
    lines = xlsx_to_csv(source, tmp_path / "b.csv", max_bytes=10_000_000)
    assert lines == [1, 2, 2, 3]  # the cell with a line break spans two CSV lines
    assert (tmp_path / "b.csv").read_text().splitlines()[-1] == "12,2.5"


def test_a_merged_header_is_refused_by_sheet_row_and_columns(tmp_path: Path) -> None:
    def build(book: xlsxwriter.Workbook, sheet: object) -> None:
        sheet.merge_range(0, 1, 0, 2, "Imaging")  # type: ignore[attr-defined]
        sheet.write_string(0, 0, "local_case_id")  # type: ignore[attr-defined]

    source = _book(tmp_path / "m.xlsx", build)
    with pytest.raises(FileProblem, match=r"sheet cases, row 1: .*columns B to C"):
        xlsx_to_csv(source, tmp_path / "m.csv", max_bytes=10_000_000)


def test_an_error_value_is_refused_by_sheet_row_and_column(tmp_path: Path) -> None:
    def build(book: xlsxwriter.Workbook, sheet: object) -> None:
        sheet.write_row(0, 0, ["local_case_id", "x"])  # type: ignore[attr-defined]
        sheet.write_string(3, 1, "#REF!")  # type: ignore[attr-defined]

    source = _book(tmp_path / "e.xlsx", build)
    with pytest.raises(FileProblem, match=r"sheet cases, row 4, column B holds an error"):
        xlsx_to_csv(source, tmp_path / "e.csv", max_bytes=10_000_000)

    def formula(book: xlsxwriter.Workbook, sheet: object) -> None:
        sheet.write_row(0, 0, ["local_case_id", "x"])  # type: ignore[attr-defined]
        sheet.write_formula(2, 1, "=1/0", None, "#DIV/0!")  # type: ignore[attr-defined]

    source = _book(tmp_path / "f.xlsx", formula)  # the reader alone would give an empty cell
    with pytest.raises(FileProblem, match=r"sheet cases, row 3, column B holds an error"):
        xlsx_to_csv(source, tmp_path / "f.csv", max_bytes=10_000_000)


def test_not_a_workbook_and_a_zip_bomb_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"local_case_id\nA\n")
    with pytest.raises(FileProblem, match="not a readable Excel workbook"):
        xlsx_to_csv(bad, tmp_path / "bad.csv", max_bytes=10_000_000)

    def build(book: xlsxwriter.Workbook, sheet: object) -> None:
        sheet.write_string(0, 0, "x" * 5000)  # type: ignore[attr-defined]

    big = _book(tmp_path / "big.xlsx", build)
    with pytest.raises(FileProblem, match="larger than the import limit"):
        xlsx_to_csv(big, tmp_path / "big.csv", max_bytes=2000)
