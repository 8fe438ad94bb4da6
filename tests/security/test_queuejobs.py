"""Attack: read or download someone else's job — another facility's export file, another
person's export at the same facility, a refresh or extract job one has no part in — or ask for a
job one may not run. Every refusal of a job reads exactly like an id that exists nowhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from printreg.accounts.models import Membership, User
from printreg.domain.facility import RegistryRoleName
from printreg.platform import Platform
from tests.support.factories import make_person
from tests.support.records import records
from tests.support.tasks import job_done
from tests.support.web import (
    API,
    DATA_MANAGER,
    HOME,
    OTHER,
    OTHER_SITE,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    SPONSOR,
    VIEWER,
    UserClient,
    store_case,
)

ClientFor = Callable[[str], UserClient]


def _same_as_nowhere(client: UserClient | TestClient, job_id: str) -> None:
    """Assert that the job and its file answer as for an id that exists nowhere."""
    ghost = str(uuid.uuid4())
    for suffix in ("", "/file"):
        mine = client.get(f"/api/v1/jobs/{job_id}{suffix}")
        nowhere = client.get(f"/api/v1/jobs/{ghost}{suffix}")
        assert mine.status_code == nowhere.status_code == 404, (suffix, mine.text)
        assert mine.content == nowhere.content


def _export(client: UserClient, **params: str) -> dict[str, Any]:
    answer = client.post(f"{API}/exports", params={"format": "csv", **params})
    assert answer.status_code == 202, answer.text
    return job_done(client, answer.json()["id"])


def test_an_export_file_goes_only_to_the_person_who_asked(
    api_platform: Platform, client_for: ClientFor, anon: TestClient
) -> None:
    for record in records(HOME, 3):
        store_case(api_platform, HOME, record)
    job = _export(client_for(DATA_MANAGER))
    assert job["status"] == "done"
    owner = client_for(DATA_MANAGER)  # another session of the same person
    assert owner.get(f"/api/v1/jobs/{job['id']}/file").status_code == 200
    for email in (OTHER_SITE, VIEWER, SPONSOR, RESEARCHER):  # another facility; a colleague
        _same_as_nowhere(client_for(email), job["id"])
    assert anon.get(f"/api/v1/jobs/{job['id']}/file").status_code == 401


def test_an_export_follows_the_askers_rights_of_now(
    api_platform: Platform, client_for: ClientFor
) -> None:
    """The person who lost their role at the facility since no longer gets the file."""
    email = make_person(api_platform, "leaving@demo.printreg.org", roles={REG: {HOME: "viewer"}})
    leaving = client_for(email)
    job = _export(leaving)
    assert leaving.get(f"/api/v1/jobs/{job['id']}/file").status_code == 200
    with api_platform.sessions.begin() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
        session.execute(delete(Membership).where(Membership.user_id == user_id))
    _same_as_nowhere(client_for(email), job["id"])


def test_nobody_exports_what_they_may_not_read(client_for: ClientFor) -> None:
    dm = client_for(DATA_MANAGER)
    foreign = dm.post(f"{API}/exports", params={"facility": OTHER})
    nowhere = dm.post(f"{API}/exports", params={"facility": "F9999"})
    assert foreign.status_code == nowhere.status_code == 404
    assert foreign.content == nowhere.content
    assert client_for(SPONSOR).post(f"{API}/exports").status_code == 403
    assert client_for(RESEARCHER).post(f"{API}/exports").status_code == 403


def test_refresh_and_extract_jobs_are_seen_only_by_those_they_concern(
    api_platform: Platform, client_for: ClientFor
) -> None:
    for email in (DATA_MANAGER, RESEARCHER, SPONSOR):
        assert client_for(email).post(f"{API}/analytics/refresh").status_code == 403
    admin = client_for(REGISTRY_ADMIN)
    refresh = admin.post(f"{API}/analytics/refresh").json()
    assert job_done(admin, refresh["id"])["status"] == "done"
    for email in (DATA_MANAGER, RESEARCHER, SPONSOR):
        _same_as_nowhere(client_for(email), refresh["id"])

    researcher = client_for(RESEARCHER)
    body = {"title": "t", "aims": "a", "elements": ["organ_system"]}
    created = researcher.post(f"{API}/requests", json=body).json()
    decided = admin.post(f"/api/v1/requests/{created['id']}/decision", json={"approve": True})
    extract = decided.json()["extract_job"]
    assert job_done(researcher, extract["id"])["status"] == "done"  # the requester follows it
    rival = make_person(api_platform, "rival@demo.printreg.org",
                        registry_roles={REG: RegistryRoleName.RESEARCHER})  # fmt: skip
    for email in (rival, DATA_MANAGER, SPONSOR):
        _same_as_nowhere(client_for(email), extract["id"])
    # an extract is downloaded from its request, never as a job's file
    assert researcher.get(f"/api/v1/jobs/{extract['id']}/file").status_code == 404
