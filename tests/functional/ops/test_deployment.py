"""The deployment layout of docs/deploy.md, from the installed package: two web processes on one
PostgreSQL, and a case / import / dashboard round trip through both of them.

The job workers of that layout (`printreg worker`, issue 15 point 2) are not part of this test
until that command exists: import jobs run in threads of the web process that accepted them,
and this test checks that the other process shows their progress and results."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.imports import csv_bytes
from tests.support.records import records
from tests.support.servers import login_token, page_csrf, post_login, serve_env, serving
from tests.support.web import API, DATA_MANAGER, HOME, REG

from printreg.demo.service import DEMO_PASSWORD
from printreg.platform import Platform
from printreg.web.deps import CSRF_HEADER

IMPORTED = 6


def _finished(http: httpx.Client, base: str, job_id: str, headers: dict[str, str]) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = http.get(f"{base}/api/v1/imports/{job_id}", headers=headers)
        assert job.status_code == 200, job.text
        if job.json()["status"] not in ("queued", "running"):
            return job.json()
        time.sleep(0.3)
    raise AssertionError("the import job did not finish in 60 s")


@pytest.mark.postgresql
def test_case_import_and_dashboard_round_trip_through_two_web_processes(
    api_platform: Platform, tmp_path: Path
) -> None:
    if not api_platform.settings.database_url.startswith("postgresql"):
        pytest.skip("the national layout runs on PostgreSQL")
    env = serve_env(api_platform)
    with (
        serving(env, tmp_path / "a.log") as a,
        serving(env, tmp_path / "b.log") as b,
        httpx.Client(timeout=30) as http,
    ):
        assert post_login(http, a.url, login_token(http, a.url), DATA_MANAGER, DEMO_PASSWORD) == 303
        csrf = {CSRF_HEADER: page_csrf(http, b.url)}

        # a case created through A is read through B
        made = http.post(f"{a.url}{API}/cases", params={"facility": HOME},
                         json=records(HOME, 1)[0], headers=csrf)  # fmt: skip
        assert made.status_code == 201, made.text
        case_id = made.json()["id"]
        assert http.get(f"{b.url}{API}/cases/{case_id}").status_code == 200

        # a CSV uploaded to B is followed and its error file asked for through A
        content = csv_bytes(api_platform, records(HOME, IMPORTED + 1)[1:])
        sent = http.post(f"{b.url}{API}/imports", params={"facility": HOME, "commit": "true"},
                         files={"file": ("cases.csv", content, "text/csv")},
                         headers=csrf)  # fmt: skip
        assert sent.status_code == 202, sent.text
        job = _finished(http, a.url, sent.json()["id"], csrf)
        assert job["status"] == "done", job
        assert (job["report"]["new"], job["report"]["committed"]) == (IMPORTED, True)

        # both processes list every case, and both dashboards count them
        for base in (a.url, b.url):
            listed = http.get(f"{base}{API}/cases", params={"limit": 50})
            assert listed.status_code == 200, listed.text
            ids = {c["id"] for c in listed.json()["items"]}
            assert case_id in ids
            assert len(ids) == IMPORTED + 1
            dashboard = http.get(f"{base}{API}/facilities/{HOME}/dashboard")
            assert dashboard.status_code == 200, dashboard.text
            assert dashboard.json()["cases"] == IMPORTED + 1
            page = http.get(f"{base}/registries/{REG}/dashboard", params={"facility": HOME})
            assert page.status_code == 200, page.text

        # a case created through B after the dashboards were built is counted by A's
        more = http.post(f"{b.url}{API}/cases", params={"facility": HOME},
                         json=records(HOME, IMPORTED + 2)[-1], headers=csrf)  # fmt: skip
        assert more.status_code == 201, more.text
        dashboard = http.get(f"{a.url}{API}/facilities/{HOME}/dashboard")
        assert dashboard.json()["cases"] == IMPORTED + 2
