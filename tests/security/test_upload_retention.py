"""Attack: read the rows a registry refused for holding patient identifiers from its disk.

Before issue 12 every uploaded import file stayed forever under ``data_dir/imports/<job>/``,
identifiers included. Now an upload is deleted when its job ends and only the redacted error
file stays; a clean dry run is kept ``import_upload_hours`` to be committed, then swept.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import update

from printreg.imports import jobs as import_jobs
from printreg.imports.models import ImportJob
from printreg.platform import Platform
from printreg.storage.base import utcnow
from tests.support.imports import csv_bytes, finished, upload
from tests.support.records import records
from tests.support.web import DATA_MANAGER, HOME, UserClient

NAME, MRN = "Jane Doe", "48213377"


def job_files(platform: Platform, job_id: str) -> list[Path]:
    folder = Path(platform.settings.data_dir) / "imports" / job_id
    return sorted(p for p in folder.rglob("*") if p.is_file())


def holding(files: list[Path], text: str) -> list[str]:
    return [p.name for p in files if text.encode() in p.read_bytes()]


def with_identifier(platform: Platform) -> bytes:
    rows = records(HOME, 4)
    rows[2]["indication_text"] = f"Patient: {NAME}, MRN {MRN}"
    return csv_bytes(platform, rows)


def test_no_file_keeps_a_refused_identifier_once_the_job_ends(
    api_platform: Platform, client_for: Callable[[str], UserClient]
) -> None:
    dm = client_for(DATA_MANAGER)
    for commit in (False, True):  # a dry run, and a committing import
        job = finished(dm, upload(dm, with_identifier(api_platform), commit=commit).json()["id"])
        assert job["status"] == "done"
        assert job["report"]["by_rule"].get("identifier_person_name", 0) >= 1
        files = job_files(api_platform, job["id"])
        assert [p.name for p in files] == ["errors.csv"]  # the upload is gone
        assert holding(files, NAME) == []
        assert holding(files, MRN) == []
        assert not job["upload_kept"]
        refused = dm.post(f"/api/v1/imports/{job['id']}/commit")
        assert refused.status_code == 404  # nothing left to commit: upload a fixed file


def test_a_clean_dry_run_is_kept_to_commit_then_swept(
    api_platform: Platform, client_for: Callable[[str], UserClient]
) -> None:
    dm = client_for(DATA_MANAGER)
    dry = finished(dm, upload(dm, csv_bytes(api_platform, records(HOME, 3))).json()["id"])
    assert dry["upload_kept"]
    assert [p.name for p in job_files(api_platform, dry["id"])] == ["upload.csv"]
    again = dm.post(f"/api/v1/imports/{dry['id']}/commit")
    assert again.status_code == 202
    done = finished(dm, again.json()["id"])
    assert done["status"] == "done"
    assert job_files(api_platform, done["id"]) == []  # a committed upload is deleted
    assert not done["upload_kept"]
    hours = api_platform.settings.import_upload_hours
    with api_platform.sessions.begin() as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == uuid.UUID(dry["id"]))
            .values(finished_at=utcnow() - dt.timedelta(hours=hours, minutes=1))
        )
    assert import_jobs.sweep_uploads(api_platform) == 1
    assert job_files(api_platform, dry["id"]) == []
    assert dm.post(f"/api/v1/imports/{dry['id']}/commit").status_code == 404
