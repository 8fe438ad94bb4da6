"""Research data requests through the API: submission to expired download, the extract's
de-identification, suppressed feasibility counts, committee votes, the download log.

Time is moved with ``platform.clock`` (never by sleeping): the extract expires
``data_request_days`` after approval.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select
from tests.support.factories import make_person
from tests.support.records import SYNTH_SEED
from tests.support.web import (
    DATA_MANAGER,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    SPONSOR,
    UserClient,
)

from printreg.accounts.actor import Actor
from printreg.demo.synth import load_synthetic
from printreg.domain.facility import RegistryRoleName
from printreg.facilities.models import Facility
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry

START = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
ELEMENTS = ["patient_age_years", "request_date", "organ_system", "object_type", "prints",
            "turnaround_days", "effort_cad_clinician_min"]  # fmt: skip
STRATA = {"object_type": [], "organ_system": []}
QUARTER = re.compile(r"^\d{4}-Q[1-4]$")
ClientFor = Callable[[str], UserClient]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(api_platform: Platform) -> Clock:
    """Give the platform a clock the test controls."""
    found = Clock(START)
    api_platform.clock = found
    return found


@pytest.fixture
def with_cases(api_platform: Platform) -> Platform:
    """Add 240 synthetic cases at F0001 and F0002."""
    load_synthetic(api_platform, Actor.operator("test"), registry=REG, seed=SYNTH_SEED,
                   facilities=2, cases=240)  # fmt: skip
    return api_platform


def _submit(client: UserClient, **changes: Any) -> dict[str, Any]:
    body = {"title": "Time saved by cardiac models", "aims": "Estimate operating-room time "
            "saved per object type.", "elements": ELEMENTS, "strata": STRATA, **changes}  # fmt: skip
    response = client.post(f"/api/v1/registries/{REG}/requests", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _built(client: UserClient, request_id: str) -> dict[str, Any]:
    """Wait for the job building the request's extract to end; return the request then."""
    deadline = time.monotonic() + 30
    while True:
        found: dict[str, Any] = client.get(f"/api/v1/requests/{request_id}").json()
        job = found["extract_job"]
        if job is not None and job["status"] in ("done", "failed"):
            return found
        assert time.monotonic() < deadline, f"the extract job did not end: {found}"
        time.sleep(0.05)


def _approve(admin: UserClient, request_id: str, **body: Any) -> dict[str, Any]:
    """Approve the request, which queues its extract's build; return it once built."""
    response = admin.post(f"/api/v1/requests/{request_id}/decision", json={"approve": True, **body})
    assert response.status_code == 200, response.text
    decided: dict[str, Any] = response.json()
    assert decided["status"] == "approved", "the extract is built by a job, not in the request"
    assert decided["extract_job"]["kind"] == "extract"
    return _built(admin, request_id)


def _extract(client: UserClient, request_id: str) -> Any:
    response = client.get(f"/api/v1/requests/{request_id}/extract.parquet")
    assert response.status_code == 200, response.text
    return pq.read_table(io.BytesIO(response.content))


def _released_counts(feasibility: dict[str, Any]) -> list[int | None]:
    return [v for line in feasibility["cells"] for v in line] + [feasibility["total"]]


def _check_extract(researcher: UserClient, request_id: str, rows: int) -> bytes:
    """Download the extract and codebook; check what they hold; return the codebook."""
    table = _extract(researcher, request_id)
    assert table.num_rows == rows > 0
    columns = set(table.column_names)
    assert {"row_id", "facility", "request_date", "print_1_scale_pct"} <= columns
    assert not {c for c in columns if c.startswith("effort_")}, "an unapproved element leaked"
    assert not columns & {"local_case_id", "indication_text", "assessment_comment"}
    assert not [c for c in columns if c.endswith(("_other_text", "_printer", "_comment"))]
    assert all(QUARTER.match(v) for v in table.column("request_date").to_pylist() if v)
    codebook = researcher.get(f"/api/v1/requests/{request_id}/codebook.json")
    assert codebook.status_code == 200
    book = json.loads(codebook.content)
    assert [c["column"] for c in book["columns"]][:2] == ["row_id", "facility"]
    assert not [v for v in _released_counts(book["aggregate"]) if v is not None and 1 <= v <= 10]
    return codebook.content


def test_a_data_request_from_submission_to_expired_download(
    client_for: ClientFor, with_cases: Platform, clock: Clock
) -> None:
    researcher, admin = client_for(RESEARCHER), client_for(REGISTRY_ADMIN)
    created = _submit(researcher)
    request_id = created["id"]
    assert created["status"] == "submitted"
    assert created["requester"] == RESEARCHER
    assert "prints.scale_pct" in created["elements"]
    assert not {"prints.material_family_other_text", "prints.printer"} & set(created["elements"])
    listed = researcher.get(f"/api/v1/registries/{REG}/requests").json()
    assert [r["id"] for r in listed] == [request_id]

    feasibility = researcher.get(f"/api/v1/requests/{request_id}/feasibility")
    assert feasibility.status_code == 200, feasibility.text
    counts = feasibility.json()
    assert counts["rows"]["element"] == "object_type"
    assert counts["columns"]["element"] == "organ_system"
    released = _released_counts(counts)
    assert not [v for v in released if v is not None and 1 <= v <= 10], released
    assert None in released, "the synthetic mix has small cells: some must be hidden"

    assert researcher.post(f"/api/v1/requests/{request_id}/decision",
                           json={"approve": True}).status_code == 403  # fmt: skip
    approved = [e for e in created["elements"] if e != "effort_cad_clinician_min"]
    decided = _approve(admin, request_id, elements=approved, note="approved without effort")
    assert decided["status"] == "extract_ready"
    assert decided["approved_elements"] == approved
    expires = dt.datetime.fromisoformat(decided["expires_at"])
    assert expires == START + dt.timedelta(days=90)
    folder = Path(with_cases.settings.data_dir) / "requests" / request_id
    assert sorted(p.name for p in folder.iterdir()) == ["codebook.json", "extract.parquet"]

    clock.now = START + dt.timedelta(days=30)
    codebook = _check_extract(researcher, request_id, decided["extract_rows"])

    log = admin.get(f"/api/v1/requests/{request_id}/downloads")
    assert log.status_code == 200, log.text
    assert [(d["actor"], d["file"]) for d in log.json()] == [
        (RESEARCHER, "extract"), (RESEARCHER, "codebook")]  # fmt: skip
    assert log.json()[1]["bytes"] == len(codebook)
    assert researcher.get(f"/api/v1/requests/{request_id}/downloads").status_code == 403
    assert admin.get(f"/api/v1/requests/{request_id}/extract.parquet").status_code == 403

    clock.now = expires + dt.timedelta(seconds=1)
    gone = researcher.get(f"/api/v1/requests/{request_id}/extract.parquet")
    assert gone.status_code == 410, gone.text
    assert not folder.exists(), "the expired extract was not deleted"
    assert researcher.get(f"/api/v1/requests/{request_id}").json()["status"] == "expired"
    assert researcher.get(f"/api/v1/requests/{request_id}/codebook.json").status_code == 410
    assert len(admin.get(f"/api/v1/requests/{request_id}/downloads").json()) == 2
    with with_cases.sessions() as session:
        actions = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "data_request", AuditEntry.entity_id == request_id)
            .order_by(AuditEntry.id)
        ).all()
    assert actions == ["submit", "approve", "extract", "extract_ready_notice", "download",
                       "download", "expire"]  # fmt: skip


def test_extract_keys_are_pseudonyms_that_differ_between_requests(
    client_for: ClientFor, with_cases: Platform, clock: Clock
) -> None:
    researcher, admin = client_for(RESEARCHER), client_for(REGISTRY_ADMIN)
    tables = []
    for _ in range(2):
        created = _submit(researcher, elements=["organ_system", "request_date"])
        _approve(admin, created["id"])
        tables.append(_extract(researcher, created["id"]))
    first, second = ({*t.column("facility").to_pylist()} for t in tables)
    assert len(first) == len(second) == 2, "one pseudonym per facility within an extract"
    assert not first & second, "two requests gave a facility the same pseudonym"
    with with_cases.sessions() as session:
        keys = {str(k) for row in session.execute(select(Facility.id, Facility.code)) for k in row}
    assert not (first | second) & keys
    row_ids = tables[0].column("row_id").to_pylist()
    assert len(set(row_ids)) == len(row_ids)
    assert not set(row_ids) & set(tables[1].column("row_id").to_pylist())
    case_ids = {str(i) for i in _case_ids(with_cases)}
    assert not set(row_ids) & case_ids


def _case_ids(platform: Platform) -> list[uuid.UUID]:
    main = platform.registry(REG).tables.main
    with platform.sessions() as session:
        return list(session.scalars(select(main.c.id)))


def test_free_text_and_identifiers_are_refused_at_submission(
    client_for: ClientFor, clock: Clock
) -> None:
    researcher = client_for(RESEARCHER)
    body = {"title": "t", "aims": "a", "strata": {"organ_system": ["cardiac", "no-such-code"]},
            "elements": ["organ_system", "indication_text", "local_case_id", "prints.printer",
                         "prints.material_family_other_text", "no_such_element"]}  # fmt: skip
    response = researcher.post(f"/api/v1/registries/{REG}/requests", json=body)
    assert response.status_code == 422, response.text
    issues = {(i["path"], i["rule"]) for i in response.json()["issues"]}
    assert issues == {("elements[1]", "withheld"), ("elements[2]", "withheld"),
                      ("elements[3]", "withheld"), ("elements[4]", "withheld"),
                      ("elements[5]", "unknown_element"),
                      ("strata.organ_system[1]", "unknown_code")}  # fmt: skip
    assert researcher.get(f"/api/v1/registries/{REG}/requests").json() == []


def test_the_committee_decides_by_the_settings_rule(
    client_for: ClientFor, api_platform: Platform, clock: Clock
) -> None:
    """Three committee members (quorum 3, majority): the third vote decides and approves."""
    members = []
    for n in range(3):
        email = f"committee{n}@demo.printreg.org"
        make_person(api_platform, email, registry_roles={REG: RegistryRoleName.COMMITTEE})
        members.append(client_for(email))
    researcher = client_for(RESEARCHER)
    request_id = _submit(researcher, elements=["organ_system"])["id"]
    assert members[0].get(f"/api/v1/requests/{request_id}").status_code == 200
    for n, member in enumerate(members):
        voted = member.post(f"/api/v1/requests/{request_id}/votes", json={"vote": "approve"})
        assert voted.status_code == 200, voted.text
        assert voted.json()["status"] == ("approved" if n == 2 else "submitted")
    decided = _built(members[0], request_id)
    assert decided["status"] == "extract_ready"
    assert decided["approved_elements"] == ["organ_system"]
    assert decided["votes"] == {"approve": 3, "decline": 0}
    assert decided["decided_by"].startswith("committee")
    late = members[0].post(f"/api/v1/requests/{request_id}/votes", json={"vote": "decline"})
    assert late.status_code == 409
    assert researcher.post(f"/api/v1/requests/{request_id}/votes",
                           json={"vote": "approve"}).status_code == 403  # fmt: skip
    assert members[0].get(f"/api/v1/requests/{request_id}/extract.parquet").status_code == 403

    # Votes cast through the committee's own endpoint decide too; the extract's build is queued
    # when the researcher first asks for it.
    second = _submit(researcher, elements=["object_type"])["id"]
    for member in members:
        cast = member.put(f"/api/v1/registries/{REG}/votes/data_request/{second}",
                          json={"vote": "approve"})  # fmt: skip
        assert cast.status_code == 200, cast.text
    assert researcher.get(f"/api/v1/requests/{second}").json()["status"] == "approved"
    early = researcher.get(f"/api/v1/requests/{second}/extract.parquet")
    assert early.status_code == 409, early.text
    assert "being prepared" in early.json()["detail"]
    assert _built(researcher, second)["status"] == "extract_ready"
    assert _extract(researcher, second).column_names == ["row_id", "facility", "object_type"]
    assert researcher.get(f"/api/v1/requests/{second}").json()["status"] == "extract_ready"


def test_declined_requests_have_no_extract(client_for: ClientFor, clock: Clock) -> None:
    researcher, admin = client_for(RESEARCHER), client_for(REGISTRY_ADMIN)
    request_id = _submit(researcher, elements=["organ_system"])["id"]
    declined = admin.post(f"/api/v1/requests/{request_id}/decision",
                          json={"approve": False, "note": "aims unclear"})  # fmt: skip
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    assert researcher.get(f"/api/v1/requests/{request_id}/extract.parquet").status_code == 409
    again = admin.post(f"/api/v1/requests/{request_id}/decision", json={"approve": True})
    assert again.status_code == 409


def test_requests_are_private_to_their_researcher(
    client_for: ClientFor, api_platform: Platform, clock: Clock
) -> None:
    """Another researcher, a sponsor and facility staff never see a request: 404 exactly as for
    an id that exists nowhere; registry-wide lists and submission are 403."""
    make_person(api_platform, "second.researcher@demo.printreg.org",
                registry_roles={REG: RegistryRoleName.RESEARCHER})  # fmt: skip
    request_id = _submit(client_for(RESEARCHER), elements=["organ_system"])["id"]
    nowhere = str(uuid.uuid4())
    for email in ("second.researcher@demo.printreg.org", SPONSOR, DATA_MANAGER):
        client = client_for(email)
        for suffix in ("", "/feasibility", "/extract.parquet", "/codebook.json", "/downloads"):
            mine = client.get(f"/api/v1/requests/{request_id}{suffix}")
            ghost = client.get(f"/api/v1/requests/{nowhere}{suffix}")
            assert mine.status_code == ghost.status_code == 404, (email, suffix)
            assert mine.content == ghost.content
        decision = client.post(f"/api/v1/requests/{request_id}/decision", json={"approve": True})
        assert decision.status_code == 404
    for email in (SPONSOR, DATA_MANAGER):
        client = client_for(email)
        assert client.get(f"/api/v1/registries/{REG}/requests").status_code == 403
        refused = client.post(f"/api/v1/registries/{REG}/requests",
                              json={"title": "t", "aims": "a", "elements": ["organ_system"]})  # fmt: skip
        assert refused.status_code == 403
    assert (
        client_for("second.researcher@demo.printreg.org")
        .get(f"/api/v1/registries/{REG}/requests")
        .json()
        == []
    )


def test_the_request_pages(client_for: ClientFor, with_cases: Platform, clock: Clock) -> None:
    """A researcher submits through the form; the administrator approves on the request page."""
    researcher, admin = client_for(RESEARCHER), client_for(REGISTRY_ADMIN)
    form = researcher.get(f"/registries/{REG}/requests/new")
    assert form.status_code == 200
    assert 'value="indication_text"' not in form.text
    sent = researcher.post(
        f"/registries/{REG}/requests/new",
        data={"csrf_token": researcher.csrf, "title": "Guides", "aims": "Guide use",
              "elements": ["object_type", "guide_count"], "stratum": ["object_type"]},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    detail = sent.headers["location"].split("?")[0]
    page = researcher.get(detail)
    assert page.status_code == 200
    assert 'id="feasibility"' in page.text
    assert 'id="decision-form"' not in page.text
    decided = admin.post(detail + "/decide", data={"csrf_token": admin.csrf,
                         "decision": "approve", "elements": ["object_type"]},
                         follow_redirects=False)  # fmt: skip
    assert decided.status_code == 303, decided.text
    assert _built(researcher, detail.rsplit("/", 1)[-1])["status"] == "extract_ready"
    page = researcher.get(detail)
    assert 'id="download-extract"' in page.text
    assert client_for(SPONSOR).get(f"/registries/{REG}/requests").status_code == 403
    assert client_for(SPONSOR).get(detail).status_code == 404
    listed = researcher.get(f"/registries/{REG}/requests")
    assert "Guides" in listed.text
    refused = researcher.post(
        f"/registries/{REG}/requests/new",
        data={"csrf_token": researcher.csrf, "title": "x", "aims": "y",
              "elements": ["indication_text"]},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "free text" in refused.text
