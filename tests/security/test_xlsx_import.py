"""Attack: read a patient identifier back from an Excel import's error workbook or report, slip
a file past the format check by its name, or get the Excel template of a hidden registry.

An .xlsx upload is checked as a CSV one: a cell that looks like an identifier is removed from
the error workbook, exactly as from the CSV error file, and never repeated in the report.
"""

from __future__ import annotations

import io
import json

from python_calamine import CalamineWorkbook

from printreg.platform import Platform
from tests.support.imports import csv_bytes, finished, upload, xlsx_bytes
from tests.support.records import records
from tests.support.web import API, UserClient

NAME, MRN = "Jane Doe", "48213377"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_an_identifier_in_a_cell_is_not_echoed_in_the_error_workbook(
    api_platform: Platform, dm: UserClient
) -> None:
    rows = records("F0001", 3)
    rows[0]["indication_text"] = f"Patient: {NAME}, MRN {MRN}"
    rows[1]["prints"][0]["scale_pct"] = -5
    answer = dm.post(
        f"{API}/imports",
        params={"facility": "F0001", "commit": "true"},
        files={"file": ("cases.xlsx", xlsx_bytes(api_platform, rows), XLSX)},
    )
    assert answer.status_code == 202, answer.text
    job = finished(dm, answer.json()["id"])
    assert job["report"]["rejected"] == 2
    assert NAME not in json.dumps(job)
    assert MRN not in json.dumps(job)
    errors = dm.get(f"/api/v1/imports/{job['id']}/errors")
    assert errors.status_code == 200
    assert errors.headers["content-type"].startswith(XLSX)
    book = CalamineWorkbook.from_filelike(io.BytesIO(errors.content))
    sheet = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    assert sheet[0][0] == "_errors"
    assert len(sheet) == 3  # the header and both rejected rows
    cells = " ".join(str(c) for row in sheet for c in row)
    assert NAME not in cells
    assert MRN not in cells
    assert "looked like a patient identifier" in cells
    assert rows[1]["local_case_id"] in cells  # the other rejected row comes back whole


def test_the_name_and_the_content_must_agree(api_platform: Platform, dm: UserClient) -> None:
    rows = records("F0001", 1)
    renamed = upload(dm, csv_bytes(api_platform, rows), name="cases.xlsx")
    assert renamed.status_code == 400
    assert "not an Excel workbook" in renamed.text
    hidden = upload(dm, xlsx_bytes(api_platform, rows), name="cases.csv")
    assert hidden.status_code == 400
    assert "Excel workbook" in hidden.text


def test_the_excel_template_holds_columns_only_and_unknown_registries_are_not_found(
    api_platform: Platform, dm: UserClient
) -> None:
    assert dm.get("/api/v1/registries/nope/template.xlsx").status_code == 404
    template = dm.get(f"{API}/template.xlsx")
    assert template.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(template.content))
    sheet = book.get_sheet_by_name("cases").to_python()
    assert len(sheet) == 1  # the header only: no case, no example
    assert "local_case_id" in sheet[0]
