"""Import jobs, exports and the template through the API: upload → job → poll → result → commit."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.imports import case_count, csv_bytes, finished, upload
from tests.support.records import records
from tests.support.web import API, HOME, OTHER_SITE, VIEWER, UserClient

from printreg.accounts.actor import Actor
from printreg.domain.errors import InvalidRequest
from printreg.imports.jobs import ImportJobs
from printreg.ingest import FlatLayout
from printreg.platform import Platform

REG = "3dp"
IDENTIFIER = "Patient: Jane Doe, MRN 48213377"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep uploads and error files in the test's own folder (read by the settings fixture)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(folder))
    return folder


def test_a_dry_run_job_reports_without_storing_then_commit_stores(
    api_platform: Platform, dm: UserClient
) -> None:
    content = csv_bytes(api_platform, records(HOME, 5))
    submitted = upload(dm, content)
    assert submitted.status_code == 202, submitted.text
    job = submitted.json()
    assert job["status"] in ("queued", "running", "done")
    assert (job["facility"], job["commit"], job["filename"]) == (HOME, False, "cases.csv")
    done = finished(dm, job["id"])
    assert done["status"] == "done"
    assert done["rows_done"] == 5
    report = done["report"]
    assert (report["new"], report["rejected"], report["committed"]) == (5, 0, False)
    assert "error_file" not in report
    assert done["has_error_file"] is False
    assert case_count(api_platform) == 0
    assert dm.get(f"/api/v1/imports/{job['id']}/errors").status_code == 404

    again = dm.post(f"/api/v1/imports/{job['id']}/commit")
    assert again.status_code == 202, again.text
    assert again.json()["id"] != job["id"]
    assert again.json()["commit"] is True
    stored = finished(dm, again.json()["id"])
    assert stored["status"] == "done"
    assert (stored["report"]["new"], stored["report"]["committed"]) == (5, True)
    assert case_count(api_platform) == 5


def test_a_commit_job_stores_and_a_reimport_changes_nothing(
    api_platform: Platform, dm: UserClient
) -> None:
    content = csv_bytes(api_platform, records(HOME, 4))
    first = finished(dm, upload(dm, content, commit=True).json()["id"])
    assert (first["report"]["new"], first["report"]["committed"]) == (4, True)
    assert case_count(api_platform) == 4
    second = finished(dm, upload(dm, content, commit=True).json()["id"])
    assert (second["report"]["new"], second["report"]["unchanged"]) == (0, 4)
    assert case_count(api_platform) == 4


def test_the_error_file_lists_a_bad_row_without_its_identifier(
    api_platform: Platform, dm: UserClient
) -> None:
    rows = records(HOME, 3)
    rows[1]["indication_text"] = IDENTIFIER
    job = finished(dm, upload(dm, csv_bytes(api_platform, rows), commit=True).json()["id"])
    assert job["status"] == "done"
    report = job["report"]
    assert (report["new"], report["rejected"]) == (2, 1)
    assert report["by_rule"]["identifier_person_name"] == 1
    assert job["has_error_file"] is True
    errors = dm.get(f"/api/v1/imports/{job['id']}/errors")
    assert errors.status_code == 200
    assert errors.headers["content-type"].startswith("text/csv")
    assert "cases.errors.csv" in errors.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(errors.text)))
    assert len(table) == 1
    assert table[0]["local_case_id"] == rows[1]["local_case_id"]
    assert "identifier_person_name" in table[0]["_errors"]
    assert "48213377" not in errors.text
    assert "Jane Doe" not in errors.text
    assert case_count(api_platform) == 2


def test_a_file_that_cannot_be_read_fails_the_job_with_one_message(
    api_platform: Platform, dm: UserClient
) -> None:
    job = finished(dm, upload(dm, b"").json()["id"])
    assert job["status"] == "failed"
    assert job["message"]
    assert "Traceback" not in job["message"]
    assert case_count(api_platform) == 0


def test_a_file_of_another_kind_is_refused_at_upload(dm: UserClient) -> None:
    response = upload(dm, b"\xd0\xcf\x11\xe0", name="cases.xls")  # Excel 97-2003
    assert response.status_code == 400
    assert ".xlsx" in response.json()["detail"]


def test_an_oversize_upload_is_refused_and_leaves_no_file(
    api_platform: Platform, data_dir: Path
) -> None:
    jobs = ImportJobs(api_platform, Actor.operator("test"), max_bytes=100)
    with pytest.raises(InvalidRequest, match="larger than"):
        jobs.submit(REG, HOME, "big.csv", io.BytesIO(b"x" * 1000))
    assert not any((data_dir / "imports").glob("*/*"))


def test_another_facility_sees_no_job_and_a_viewer_may_not_upload(
    api_platform: Platform, dm: UserClient, client_for: Callable[[str], UserClient]
) -> None:
    job = finished(dm, upload(dm, csv_bytes(api_platform, records(HOME, 1))).json()["id"])
    other = client_for(OTHER_SITE)
    for url in (f"/api/v1/imports/{job['id']}", f"/api/v1/imports/{job['id']}/errors"):
        response = other.get(url)
        assert response.status_code == 404, url
        assert HOME not in response.text
    assert other.post(f"/api/v1/imports/{job['id']}/commit").status_code == 404
    assert other.get(f"/api/v1/imports/{uuid.uuid4()}").status_code == 404

    viewer = client_for(VIEWER)
    assert upload(viewer, csv_bytes(api_platform, records(HOME, 1))).status_code == 403
    assert viewer.get(f"/api/v1/imports/{job['id']}").status_code == 200  # may read F0001
    assert viewer.post(f"/api/v1/imports/{job['id']}/commit").status_code == 403
    assert case_count(api_platform) == 0


def test_an_upload_from_a_browser_session_needs_the_csrf_token(
    api_platform: Platform, dm: UserClient
) -> None:
    response = dm.post(
        f"{API}/imports",
        params={"facility": HOME},
        files={"file": ("cases.csv", csv_bytes(api_platform, records(HOME, 1)), "text/csv")},
        csrf=False,
    )
    assert response.status_code == 401


def test_exports_in_three_formats_and_the_template(api_platform: Platform, dm: UserClient) -> None:
    finished(dm, upload(dm, csv_bytes(api_platform, records(HOME, 3)), commit=True).json()["id"])
    layout = FlatLayout(api_platform.registry(REG).current)

    as_csv = dm.get(f"{API}/export", params={"format": "csv", "facility": HOME})
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(table) == 3
    assert {r["facility"] for r in table} == {HOME}

    as_jsonl = dm.get(f"{API}/export", params={"format": "jsonl"})
    assert as_jsonl.status_code == 200
    lines = [json.loads(line) for line in as_jsonl.text.splitlines() if line.strip()]
    assert len(lines) == 3
    assert all(line["facility"] == HOME for line in lines)

    as_parquet = dm.get(f"{API}/export", params={"format": "parquet"})
    assert as_parquet.status_code == 200
    assert as_parquet.content[:4] == b"PAR1"

    assert dm.get(f"{API}/export", params={"format": "xlsx"}).status_code == 422
    assert dm.get(f"{API}/export", params={"facility": "F0002"}).status_code == 404

    template = dm.get(f"{API}/template.csv")
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("text/csv")
    assert next(csv.reader(io.StringIO(template.text))) == layout.columns


def test_an_export_reimported_through_the_api_changes_nothing(
    api_platform: Platform, dm: UserClient
) -> None:
    finished(dm, upload(dm, csv_bytes(api_platform, records(HOME, 3)), commit=True).json()["id"])
    exported = dm.get(f"{API}/export", params={"format": "csv", "facility": HOME}).content
    job = finished(dm, upload(dm, exported, commit=True, name="export.csv").json()["id"])
    assert job["status"] == "done", job
    assert (job["report"]["unchanged"], job["report"]["new"]) == (3, 0)


def test_the_template_bundle_has_an_example_that_imports_and_the_code_lists(
    api_platform: Platform, dm: UserClient, client_for: Callable[[str], UserClient]
) -> None:
    answer = dm.get(f"{API}/template.zip", params={"facility": HOME})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = set(archive.namelist())
    assert names == {f"{REG}-template.csv", f"{REG}-example.csv", f"{REG}-codes.csv",
                     "codebook.json", "README.txt"}  # fmt: skip
    layout = FlatLayout(api_platform.registry(REG).current)
    template = archive.read(f"{REG}-template.csv").decode()
    assert list(csv.reader(io.StringIO(template))) == [layout.columns]
    example = archive.read(f"{REG}-example.csv")
    rows = list(csv.DictReader(io.StringIO(example.decode())))
    assert len(rows) == 1
    assert rows[0]["local_case_id"] == "EXAMPLE-0001"
    printers = {p["label"] for p in dm.get("/api/v1/facilities/F0001/printers").json()}
    assert rows[0]["print_1_printer"] in printers  # one of the facility's own printers
    checked = finished(dm, upload(dm, example, name="example.csv").json()["id"])
    assert (checked["report"]["new"], checked["report"]["rejected"]) == (1, 0)
    codes = list(csv.DictReader(io.StringIO(archive.read(f"{REG}-codes.csv").decode())))
    organ = {(c["code"], c["label"]) for c in codes if c["column"] == "organ_system"}
    assert ("cardiac", "Cardiac") in organ
    assert {c["code"] for c in codes if c["column"] == "print_<n>_printer"} == printers
    readme = archive.read("README.txt").decode()
    assert "separated by ';'" in readme
    assert "YYYY-MM-DD" in readme
    assert "codebook.json" in readme
    assert json.loads(archive.read("codebook.json"))["conventions"]["separator"] == ";"
    assert case_count(api_platform) == 0
    stranger = client_for(OTHER_SITE)
    assert stranger.get(f"{API}/template.zip", params={"facility": HOME}).status_code == 404
    plain = stranger.get(f"{API}/template.zip")
    assert plain.status_code == 200
    plain_codes = zipfile.ZipFile(io.BytesIO(plain.content)).read(f"{REG}-codes.csv").decode()
    assert "print_<n>_printer" not in plain_codes  # no facility named: no printer of anyone's
