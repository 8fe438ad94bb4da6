"""The import page end to end: upload with CSRF, follow the job, read the summary, commit."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.support.imports import case_count, csv_bytes
from tests.support.pages import CSRF, DATA_MANAGER, HOME, OTHER, REG, VIEWER, login
from tests.support.records import records
from tests.support.web import app_for

from printreg.accounts.actor import Actor
from printreg.demo.service import ensure_demo_accounts
from printreg.facilities.service import FacilityService
from printreg.imports.jobs import ImportJobs
from printreg.platform import Platform
from printreg.settings import Settings

JOB_URL = re.compile(r"/imports/([0-9a-f-]{36})$")
Client = tuple[TestClient, str]  # a signed-in client and its session's CSRF token


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep uploads and error files in the test's own folder (read by the settings fixture)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("PRINTREG_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def people(seeded: Platform) -> Platform:
    """Return the seeded platform with the demo people (one per role)."""
    ensure_demo_accounts(seeded, REG, (HOME, OTHER))
    return seeded


@pytest.fixture
def sign_in(settings: Settings, people: Platform) -> Iterator[Callable[[str], Client]]:
    """Yield a function that signs a demo person in: (client, CSRF token of their pages)."""
    app = app_for(settings, people)
    with ExitStack() as stack:

        def make(email: str) -> Client:
            http = stack.enter_context(TestClient(app, base_url="http://testserver"))
            assert login(http, email).status_code == 303
            found = CSRF.search(http.get("/account").text)
            assert found is not None
            return http, found.group(1)

        yield make


@pytest.fixture
def dm(sign_in: Callable[[str], Client]) -> Client:
    """Return the data manager of F0001, signed in."""
    return sign_in(DATA_MANAGER)


def job_of(response: Any) -> uuid.UUID:
    assert response.status_code == 303, response.text
    found = JOB_URL.search(response.headers["location"])
    assert found is not None, response.headers["location"]
    return uuid.UUID(found.group(1))


def finished_page(platform: Platform, http: TestClient, job_id: uuid.UUID) -> str:
    """Wait for the job, then return its page (which no longer polls)."""
    ImportJobs(platform, Actor.operator("test")).wait(job_id, timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page = http.get(f"/imports/{job_id}")
        assert page.status_code == 200
        if 'hx-trigger="every 1s"' not in page.text:
            return page.text
        time.sleep(0.05)
    raise AssertionError("the job page kept polling")


def post_file(http: TestClient, csrf: str | None, content: bytes) -> Any:
    data = {"csrf_token": csrf} if csrf else {}
    return http.post(
        f"/registries/{REG}/import?facility={HOME}",
        data=data,
        files={"file": ("cases.csv", content, "text/csv")},
        follow_redirects=False,
    )


def test_upload_preview_then_commit_through_the_pages(people: Platform, dm: Client) -> None:
    http, csrf = dm
    form = http.get(f"/registries/{REG}/import?facility={HOME}")
    assert form.status_code == 200
    for marker in ('id="import-file"', 'id="import-submit"', 'id="export-csv"',
                   'id="export-jsonl"', 'id="export-parquet"', "template.csv"):  # fmt: skip
        assert marker in form.text
    assert f'href="/registries/{REG}/import?facility={HOME}">Import</a>' in form.text

    job_id = job_of(post_file(http, csrf, csv_bytes(people, records(HOME, 4))))
    running = http.get(f"/imports/{job_id}/status")
    assert running.status_code == 200
    summary = finished_page(people, http, job_id)
    assert re.search(r'id="count-new">4<', summary)
    assert re.search(r'id="count-rejected">0<', summary)
    assert "nothing was stored yet" in summary
    assert 'id="commit-import"' in summary
    assert case_count(people) == 0

    refused = http.post(f"/imports/{job_id}/commit", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert case_count(people) == 0

    committed = job_of(
        http.post(f"/imports/{job_id}/commit", data={"csrf_token": csrf}, follow_redirects=False)
    )
    assert committed != job_id
    done = finished_page(people, http, committed)
    assert "Imported" in done
    assert re.search(r'id="count-new">4<', done)
    assert 'id="commit-import"' not in done
    assert case_count(people) == 4


def test_rejected_rows_show_by_rule_with_a_download_link(people: Platform, dm: Client) -> None:
    http, csrf = dm
    rows = records(HOME, 3)
    rows[0]["indication_text"] = "Patient: Jane Doe, MRN 48213377"
    summary = finished_page(people, http, job_of(post_file(http, csrf, csv_bytes(people, rows))))
    assert re.search(r'id="count-rejected">1<', summary)
    assert "identifier_person_name" in summary
    link = re.search(r'id="import-errors" href="([^"]+)"', summary)
    assert link is not None
    errors = http.get(link.group(1))
    assert errors.status_code == 200
    assert "48213377" not in errors.text


def test_an_upload_without_the_csrf_token_is_refused(people: Platform, dm: Client) -> None:
    http, _ = dm
    response = post_file(http, None, csv_bytes(people, records(HOME, 1)))
    assert response.status_code == 403
    assert case_count(people) == 0


def test_a_viewer_sees_exports_but_no_upload_form(
    people: Platform, sign_in: Callable[[str], Client]
) -> None:
    http, csrf = sign_in(VIEWER)
    home = http.get(f"/registries/{REG}/home?facility={HOME}")
    assert f"/registries/{REG}/import" not in home.text
    page = http.get(f"/registries/{REG}/import?facility={HOME}")
    assert page.status_code == 200
    assert 'id="import-file"' not in page.text
    assert 'id="export-csv"' in page.text
    refused = post_file(http, csrf, csv_bytes(people, records(HOME, 1)))
    assert refused.status_code == 403
    assert case_count(people) == 0


def test_another_facility_cannot_see_a_job(
    people: Platform, dm: Client, sign_in: Callable[[str], Client]
) -> None:
    http, csrf = dm
    job_id = job_of(post_file(http, csrf, csv_bytes(people, records(HOME, 1))))
    ImportJobs(people, Actor.operator("test")).wait(job_id, timeout=30)
    assert OTHER != HOME
    stranger, _ = sign_in("other.site@demo.printreg.org")
    assert stranger.get(f"/imports/{job_id}").status_code == 404
    assert stranger.get(f"/imports/{job_id}/status").status_code == 404
    assert DATA_MANAGER  # the uploader is F0001's data manager


def test_the_summary_lists_problems_and_stored_cases_and_clears_what_was_fixed(
    people: Platform, dm: Client
) -> None:
    http, csrf = dm
    rows = records(HOME, 4)
    rows[1]["prints"][0]["scale_pct"] = -5
    rows[2]["patient_age_years"] = 300
    checked = job_of(post_file(http, csrf, csv_bytes(people, rows)))
    finished_page(people, http, checked)
    committed = job_of(
        http.post(f"/imports/{checked}/commit", data={"csrf_token": csrf}, follow_redirects=False)
    )
    done = finished_page(people, http, committed)
    assert "2 cases stored (2 new, 0 changed); 2 rows rejected" in done
    stored = re.search(r'<details id="import-stored" open>(.*?)</details>', done, re.S)
    assert stored is not None
    for i in (0, 3):
        assert rows[i]["local_case_id"] in stored.group(1)
    assert rows[1]["local_case_id"] not in stored.group(1)
    problem = re.search(r'id="rule-range".*?<tbody>(.*?)</tbody>', done, re.S)
    assert problem is not None
    cells = re.findall(r"<td>(.*?)</td>", problem.group(1))
    assert cells[:3] == ["3", rows[1]["local_case_id"], "<code>print_1_scale_pct</code>"]
    assert "Scale" in cells[3]
    assert 'id="rule-range"' in done
    assert "fix them and upload that file again" in done

    errors = http.get(f"/api/v1/imports/{committed}/errors")
    fixed = list(csv.DictReader(io.StringIO(errors.text)))
    assert next(iter(fixed[0])) == "_errors"
    fixed[0]["print_1_scale_pct"] = "100"
    fixed[1]["patient_age_years"] = "30"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(fixed[0]))
    writer.writeheader()
    writer.writerows(fixed)
    again = job_of(post_file(http, csrf, buffer.getvalue().encode()))
    finished_page(people, http, again)
    second = job_of(
        http.post(f"/imports/{again}/commit", data={"csrf_token": csrf}, follow_redirects=False)
    )
    assert "2 cases stored" in finished_page(people, http, second)
    later = finished_page(people, http, committed)
    assert "fix them and upload that file again" not in later
    assert 'id="import-all-fixed"' in later
    assert re.search(r'id="count-fixed">\(2 since stored', later)


def test_the_page_links_the_template_bundle_and_states_separator_and_dates(
    people: Platform, dm: Client
) -> None:
    http, _ = dm
    form = http.get(f"/registries/{REG}/import?facility={HOME}").text
    link = re.search(r'id="template-link"', form)
    assert link is not None
    assert (
        f'href="/api/v1/registries/{REG}/template.zip?facility={HOME}" id="template-link"' in form
    )
    rules = re.search(r'<ul class="help" id="import-rules-summary">(.*?)</ul>', form, re.S)
    assert rules is not None
    assert "separated by <code>;</code>" in rules.group(1)
    assert "YYYY-MM-DD (2026-11-02)" in rules.group(1)
    FacilityService(people, Actor.operator("test")).set_date_order(HOME, "DMY")
    again = http.get(f"/registries/{REG}/import?facility={HOME}").text
    assert "Dates are written YYYY-MM-DD or DD/MM/YYYY" in again
    bundle = http.get(f"/api/v1/registries/{REG}/template.zip?facility={HOME}")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"] == "application/zip"
