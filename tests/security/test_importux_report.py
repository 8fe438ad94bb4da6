"""Attack: read a patient identifier back from the richer import report, or another facility's
printers and cases from the template bundle and the "fixed since" look-up.

Issue 14 made the import report list problems by line, column and message, the cases stored,
and the rejected rows fixed since; the template bundle names the facility's printers. None of
it may repeat a value that looked like an identifier, nor answer about a facility the person
does not belong to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from printreg.platform import Platform
from tests.support.imports import csv_bytes, finished, upload
from tests.support.records import records
from tests.support.web import API, HOME, OTHER, OTHER_SITE, UserClient

NAME, MRN = "Jane Doe", "48213377"


def test_the_report_names_lines_and_columns_never_an_identifier(
    api_platform: Platform, dm: UserClient
) -> None:
    rows = records(HOME, 4)
    rows[0]["indication_text"] = f"Patient: {NAME}, MRN {MRN}"
    rows[1]["local_case_id"] = f"MRN {MRN}"  # the row's own key looks like a record number
    rows[2]["prints"][0]["scale_pct"] = -5
    job = finished(dm, upload(dm, csv_bytes(api_platform, rows), commit=True).json()["id"])
    report = job["report"]
    assert report["rejected"] == 3
    text = json.dumps(job)
    assert NAME not in text
    assert MRN not in text
    lines = {p["line"] for p in report["problems"]}
    assert {2, 3, 4} <= lines  # every rejected row is still pointed at, by its line
    assert all(p["case"] is None for p in report["problems"] if p["line"] == 3)
    assert report["rejected_ids"] == [rows[0]["local_case_id"], rows[2]["local_case_id"]]
    assert [s["case"] for s in report["stored"]] == [rows[3]["local_case_id"]]
    page = dm.get(f"/imports/{job['id']}")
    assert page.status_code == 200
    assert NAME not in page.text
    assert MRN not in page.text


def test_the_bundle_and_the_fixed_look_up_stay_inside_the_facility(
    api_platform: Platform, dm: UserClient, client_for: Callable[[str], UserClient]
) -> None:
    other = client_for(OTHER_SITE)
    assert dm.get(f"{API}/template.zip", params={"facility": OTHER}).status_code == 404
    assert dm.get(f"{API}/template.zip", params={"facility": "NOPE"}).status_code == 404
    # A row rejected at F0001 whose local case ID F0002 then stores is not "fixed" at F0001.
    rows = records(HOME, 2)
    rows[0]["prints"][0]["scale_pct"] = -5
    first = finished(dm, upload(dm, csv_bytes(api_platform, rows), commit=True).json()["id"])
    assert first["report"]["rejected_ids"] == [rows[0]["local_case_id"]]
    theirs = records(OTHER, 1)
    theirs[0]["local_case_id"] = rows[0]["local_case_id"]
    stored = other.post(
        f"{API}/cases",
        params={"facility": OTHER},
        json={k: v for k, v in theirs[0].items() if k != "facility"},
    )
    assert stored.status_code == 201, stored.text
    again = dm.get(f"/api/v1/imports/{first['id']}").json()
    assert again["fixed"] == []
    assert other.get(f"/api/v1/imports/{first['id']}").status_code == 404
    page = dm.get(f"/imports/{first['id']}").text
    assert re.search(r'id="count-fixed"', page) is None
