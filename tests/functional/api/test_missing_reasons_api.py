"""Reasons for missing data end to end: API, storage, CSV import, exports, codebook, REDCap."""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select
from tests.support.imports import csv_bytes, finished, upload
from tests.support.records import records
from tests.support.web import API, HOME, REG, UserClient

from printreg.platform import Platform

#: the elements of the 3dp definition that take a reason ('unknown', from unknown_allowed)
MINUTES = "effort_cad_clinician_min"
REASON = f"{MINUTES}__missing"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep uploads and error files in the test's own folder (read by the settings fixture)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(folder))
    return folder


def _record(local_id: str, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(records(HOME, 1)[0])
    record["local_case_id"] = local_id
    record.update(changes)
    return record


def _stored(platform: Platform, local_id: str) -> tuple[Any, Any]:
    main = platform.registry(REG).tables.main
    with platform.sessions() as session:
        row = session.execute(
            select(main.c[MINUTES], main.c[REASON]).where(main.c.local_case_id == local_id)
        ).one()
    return tuple(row)


def test_the_api_takes_a_reason_in_place_of_a_value_and_stores_it_beside(
    api_platform: Platform, dm: UserClient
) -> None:
    assert api_platform.registry(REG).current.elements[MINUTES].reasons == ("unknown",)
    created = dm.post(f"{API}/cases", params={"facility": HOME},
                      json=_record("MR-1", **{MINUTES: {"missing": "unknown"}}))  # fmt: skip
    assert created.status_code == 201, created.text
    shown = dm.get(f"{API}/cases/{created.json()['id']}").json()
    assert shown["record"][MINUTES] == {"missing": "unknown"}
    assert _stored(api_platform, "MR-1") == (None, "unknown")  # the value column stays NULL

    legacy = dm.post(f"{API}/cases", params={"facility": HOME},
                     json=_record("MR-2", **{MINUTES: "unknown"}))  # fmt: skip
    assert legacy.status_code == 201, legacy.text
    assert _stored(api_platform, "MR-2") == (None, "unknown")

    valued = dm.post(f"{API}/cases", params={"facility": HOME},
                     json=_record("MR-3", **{MINUTES: 25}))  # fmt: skip
    assert valued.status_code == 201, valued.text
    assert _stored(api_platform, "MR-3") == (25, None)

    # back to a value: the reason goes
    case = dm.get(f"{API}/cases/{created.json()['id']}").json()
    body = case["record"] | {MINUTES: 40}
    updated = dm.put(f"{API}/cases/{case['id']}", json=body,
                     headers={"If-Match": str(case["row_version"])})  # fmt: skip
    assert updated.status_code == 200, updated.text
    assert _stored(api_platform, "MR-1") == (40, None)


@pytest.mark.parametrize(
    ("given", "rule"),
    [
        ({"missing": "declined"}, "missing_reason"),  # a reason this element does not take
        ({"missing": "unknown", "value": 12}, "missing_and_value"),
        ({"missing": "whenever"}, "missing_reason"),
    ],
)
def test_a_reason_the_element_does_not_take_answers_422(
    api_platform: Platform, dm: UserClient, given: dict[str, Any], rule: str
) -> None:
    response = dm.post(f"{API}/cases", params={"facility": HOME},
                       json=_record("MR-X", **{MINUTES: given}))  # fmt: skip
    assert response.status_code == 422
    assert [(i["path"], i["rule"]) for i in response.json()["issues"]] == [(MINUTES, rule)]


def test_the_openapi_document_says_how_to_give_a_reason(dm: UserClient) -> None:
    text = json.dumps(dm.get("/openapi.json").json())
    assert '{\\"missing\\": \\"<reason>\\"}' in text


def test_a_reason_column_imports_exports_and_keeps_numbers_numeric(
    api_platform: Platform, dm: UserClient, tmp_path: Path
) -> None:
    rows = [_record(f"MR-{n}") for n in range(1, 4)]
    rows[0][MINUTES] = {"missing": "unknown"}
    rows[1][MINUTES] = 17
    content = csv_bytes(api_platform, rows)
    header = next(csv.reader(io.StringIO(content.decode())))
    assert header.index(REASON) == header.index(MINUTES) + 1  # the sibling column
    job = finished(dm, upload(dm, content, commit=True).json()["id"])
    assert (job["report"]["new"], job["report"]["rejected"]) == (3, 0), job
    assert _stored(api_platform, "MR-1") == (None, "unknown")

    # a reason the element does not take, and one beside a value, are rejected rows
    bad = [_record("MR-8", **{MINUTES: 5}), _record("MR-9", **{MINUTES: 12})]
    text = csv_bytes(api_platform, bad).decode().splitlines()
    cells = [next(csv.reader([line])) for line in text]
    at = cells[0].index(REASON)
    cells[1][at] = "declined"
    cells[2][at] = "unknown"  # beside the value the record already has
    buffer = io.StringIO()
    csv.writer(buffer).writerows(cells)
    rejected = finished(dm, upload(dm, buffer.getvalue().encode()).json()["id"])
    assert (rejected["report"]["new"], rejected["report"]["rejected"]) == (0, 2)

    as_csv = dm.get(f"{API}/export", params={"format": "csv", "facility": HOME})
    table = {r["local_case_id"]: r for r in csv.DictReader(io.StringIO(as_csv.text))}
    assert (table["MR-1"][MINUTES], table["MR-1"][REASON]) == ("", "unknown")
    assert (table["MR-2"][MINUTES], table["MR-2"][REASON]) == ("17", "")

    as_parquet = dm.get(f"{API}/export", params={"format": "parquet"})
    path = tmp_path / "cases.parquet"
    path.write_bytes(as_parquet.content)
    exported = pq.read_table(path)
    assert exported.schema.field(MINUTES).type == pa.int64()  # numeric in every export
    assert exported.schema.field(REASON).type == pa.string()
    by_id = {r["local_case_id"]: r for r in exported.to_pylist()}
    assert (by_id["MR-1"][MINUTES], by_id["MR-1"][REASON]) == (None, "unknown")
    assert (by_id["MR-2"][MINUTES], by_id["MR-2"][REASON]) == (17, None)

    as_jsonl = dm.get(f"{API}/export", params={"format": "jsonl"})
    lines = {r["local_case_id"]: r for r in map(json.loads, as_jsonl.text.splitlines())}
    assert lines["MR-1"][MINUTES] == {"missing": "unknown"}

    again = finished(dm, upload(dm, as_csv.content, commit=True, name="export.csv").json()["id"])
    assert (again["report"]["unchanged"], again["report"]["new"]) == (3, 0), again


def test_the_template_bundle_describes_the_reason_columns(dm: UserClient) -> None:
    archive = zipfile.ZipFile(io.BytesIO(dm.get(f"{API}/template.zip").content))
    book = json.loads(archive.read("codebook.json"))
    entries = {c["column"]: c for c in book["columns"]}
    assert entries[MINUTES]["missing_reasons"] == ["unknown"]
    assert entries[MINUTES]["missing_column"] == REASON
    assert [c["code"] for c in entries[REASON]["codes"]] == ["unknown"]
    assert book["conventions"]["missing_reason_redcap"]["not_asked"] == "NASK"
    readme = archive.read("README.txt").decode()
    assert f"`{REASON}`" in readme
    assert "__missing" in readme
