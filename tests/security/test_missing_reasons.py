"""Attacks on the reason for missing data: it carries no value, echoes no identifier, and its
column never takes text into storage."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from printreg.platform import Platform
from tests.support.imports import csv_bytes, finished, upload
from tests.support.records import records
from tests.support.web import API, HOME, REG, UserClient

MINUTES = "effort_cad_clinician_min"
REASON = f"{MINUTES}__missing"
IDENTIFIER = "Jane Doe MRN 48213377"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(folder))
    return folder


def _record(local_id: str, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(records(HOME, 1)[0])
    record["local_case_id"] = local_id
    record.update(changes)
    return record


@pytest.mark.parametrize(
    "given",
    [
        {"missing": IDENTIFIER},
        {"missing": "unknown", "value": IDENTIFIER},
        {"missing": "unknown", IDENTIFIER: 1},
        {"missing": {"nested": IDENTIFIER}},
    ],
)
def test_a_reason_smuggles_no_identifier_into_an_answer_or_storage(
    api_platform: Platform, dm: UserClient, given: dict[str, Any]
) -> None:
    response = dm.post(f"{API}/cases", params={"facility": HOME},
                       json=_record("SEC-MR-1", **{MINUTES: given}))  # fmt: skip
    assert response.status_code == 422
    assert "48213377" not in response.text
    assert "Jane" not in response.text
    main = api_platform.registry(REG).tables.main
    with api_platform.sessions() as session:
        assert session.scalar(select(main.c.id).where(main.c.local_case_id == "SEC-MR-1")) is None


def test_the_error_file_removes_a_reason_cell_that_holds_data(
    api_platform: Platform, dm: UserClient
) -> None:
    text = csv_bytes(api_platform, [_record("SEC-MR-2", **{MINUTES: None})]).decode()
    cells = list(csv.reader(io.StringIO(text)))
    cells[1][cells[0].index(REASON)] = IDENTIFIER
    buffer = io.StringIO()
    csv.writer(buffer).writerows(cells)
    job = finished(dm, upload(dm, buffer.getvalue().encode(), commit=True).json()["id"])
    assert job["report"]["rejected"] == 1, job
    assert "missing_reason" in job["report"]["by_rule"]
    errors = dm.get(f"/api/v1/imports/{job['id']}/errors")
    assert errors.status_code == 200
    assert "48213377" not in errors.text
    assert "Jane" not in errors.text
    row = next(csv.DictReader(io.StringIO(errors.text)))
    assert row["local_case_id"] == "SEC-MR-2"
    assert row[REASON].startswith("[removed")
