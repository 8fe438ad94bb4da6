"""Attack: reach another facility's queries, or learn that they exist (issue 16, point 1).

A person of F0001 (data manager, facility administrator, viewer; the data manager's token with
every scope) sends every query route with the id of an F0002 query and with an id that exists
nowhere: both must answer the very same status and bytes, "no such query", and change nothing.
The same for raising on F0002's case (one and in bulk), the queries of F0002's case and the list
filtered by F0002. Tokens never raise, close or re-open; texts with identifiers are refused
without echo, and the audit log never holds the refused text.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from printreg.accounts.actor import Actor
from printreg.platform import Platform
from printreg.queries.models import Query, QueryEvent
from printreg.queries.service import QueryService
from printreg.storage.audit_log import AuditEntry
from tests.support.web import (
    API,
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER,
    REG,
    VIEWER,
    UserClient,
)

TEXT = "Please check this value"
#: every route that names a query, with the body that passes validation
QUERY_ROUTES: list[tuple[str, str, dict[str, str] | None]] = [
    ("GET", "/api/v1/queries/{id}", None),
    ("POST", "/api/v1/queries/{id}/confirm", {"reason": "It is right"}),
    ("POST", "/api/v1/queries/{id}/close", None),
    ("POST", "/api/v1/queries/{id}/reopen", {"text": "Still unclear"}),
    ("GET", "/queries/{id}", None),
    ("POST", "/queries/{id}/confirm", {"reason": "It is right"}),
    ("POST", "/queries/{id}/close", {}),
    ("POST", "/queries/{id}/reopen", {"text": "Still unclear"}),
]
PEOPLE = {"data_manager": DATA_MANAGER, "facility_admin": FACILITY_ADMIN, "viewer": VIEWER}


def _state(platform: Platform) -> tuple[int, int, int]:
    with platform.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Query)) or 0,
            session.scalar(select(func.count()).select_from(QueryEvent)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


@pytest.fixture
def queries(api_platform: Platform, case_ids: dict[str, str]) -> dict[str, str]:
    """Raise one query (as registry staff) on each facility's case; return their ids."""
    service = QueryService(api_platform, Actor.operator("test"))
    return {
        code: str(service.raise_query(REG, uuid.UUID(case_ids[code]), "time_saved_min", TEXT).id)
        for code in (HOME, OTHER)
    }


def _send(client: UserClient | TestClient, method: str, url: str, body: dict | None,
          csrf: str) -> httpx.Response:  # fmt: skip
    if url.startswith("/api/"):
        return client.request(method, url, json=body) if body is not None else (
            client.request(method, url))  # fmt: skip
    data = {"csrf_token": csrf, **(body or {})} if method == "POST" else None
    return client.request(method, url, data=data, follow_redirects=False)


@pytest.mark.parametrize("person", sorted(PEOPLE))
def test_another_facility_s_query_is_no_such_query(
    person: str,
    client_for: Callable[[str], UserClient],
    api_platform: Platform,
    queries: dict[str, str],
) -> None:
    client = client_for(PEOPLE[person])
    for method, template, body in QUERY_ROUTES:
        before = _state(api_platform)
        foreign = _send(client, method, template.format(id=queries[OTHER]), body, client.csrf)
        nowhere = str(uuid.uuid4())
        unknown = _send(client, method, template.format(id=nowhere), body, client.csrf)
        where = f"{person} {method} {template}"
        assert foreign.status_code == unknown.status_code == 404, where
        assert foreign.content.replace(queries[OTHER].encode(), b"<id>") == unknown.content.replace(
            nowhere.encode(), b"<id>"
        ), where
        assert queries[OTHER].encode() not in foreign.content, where
        if template.startswith("/api/"):
            assert foreign.json() == {"detail": "no such query"}, where
        assert _state(api_platform) == before, f"{where} changed stored data"
    # their own facility's query is there for every one of them
    assert client.get(f"/api/v1/queries/{queries[HOME]}").status_code == 200


def test_another_facility_s_case_and_list_answer_like_unknown_ones(
    client_for: Callable[[str], UserClient],
    api_platform: Platform,
    case_ids: dict[str, str],
    queries: dict[str, str],
) -> None:
    dm = client_for(DATA_MANAGER)
    before = _state(api_platform)
    nowhere = str(uuid.uuid4())
    for method, path, body in (
        ("POST", "/queries", {"path": "time_saved_min", "text": TEXT}),
        ("GET", "/queries", None),
    ):
        foreign = _send(dm, method, f"{API}/cases/{case_ids[OTHER]}{path}", body, dm.csrf)
        unknown = _send(dm, method, f"{API}/cases/{nowhere}{path}", body, dm.csrf)
        assert foreign.status_code == unknown.status_code == 404
        assert foreign.content == unknown.content == b'{"detail":"no such case"}'
    bulk = {"targets": [{"case_id": case_ids[HOME], "path": "patient_age_years"}], "text": TEXT}
    foreign_bulk = dict(bulk, targets=[*bulk["targets"], {"case_id": case_ids[OTHER],
                                                           "path": "time_saved_min"}])  # fmt: skip
    unknown_bulk = dict(bulk, targets=[*bulk["targets"], {"case_id": nowhere,
                                                           "path": "time_saved_min"}])  # fmt: skip
    a = dm.post(f"{API}/queries/bulk", json=foreign_bulk)
    b = dm.post(f"{API}/queries/bulk", json=unknown_bulk)
    assert a.status_code == b.status_code == 404
    assert a.content == b.content
    page_foreign = dm.post(
        f"/registries/{REG}/cases/{case_ids[OTHER]}/queries",
        data={"csrf_token": dm.csrf, "path": "time_saved_min", "text": TEXT},
    )
    page_unknown = dm.post(
        f"/registries/{REG}/cases/{nowhere}/queries",
        data={"csrf_token": dm.csrf, "path": "time_saved_min", "text": TEXT},
    )
    assert page_foreign.status_code == page_unknown.status_code == 404
    assert page_foreign.content == page_unknown.content
    assert _state(api_platform) == before, "a refused request raised a query"
    listed = dm.get(f"{API}/queries", params={"facility": OTHER})
    missing = dm.get(f"{API}/queries", params={"facility": "F9999"})
    assert listed.status_code == missing.status_code == 404
    assert listed.content == missing.content
    assert [q["id"] for q in dm.get(f"{API}/queries").json()] == [queries[HOME]]
    page = dm.get(f"/registries/{REG}/queries")
    assert queries[HOME] in page.text
    assert queries[OTHER] not in page.text
    assert OTHER not in page.text.split('id="query-facilities"')[1].split("</table>")[0]


def test_tokens_never_raise_close_or_reopen(
    dm: UserClient,
    bearer_client: Callable[[str], TestClient],
    case_ids: dict[str, str],
    queries: dict[str, str],
) -> None:
    made = dm.post("/api/v1/tokens", json={"name": "q", "facility": HOME,
                                           "scopes": ["cases:read", "cases:write"]})  # fmt: skip
    assert made.status_code == 201, made.text
    token = bearer_client(made.json()["token"])
    raised = token.post(f"{API}/cases/{case_ids[HOME]}/queries",
                        json={"path": "patient_age_years", "text": TEXT})  # fmt: skip
    assert raised.status_code == 403
    assert token.post(f"/api/v1/queries/{queries[HOME]}/close").status_code == 403
    reopen = token.post(f"/api/v1/queries/{queries[HOME]}/reopen", json={"text": "x"})
    assert reopen.status_code == 403
    # reading and answering its own facility's queries is what an integration may do
    assert token.get(f"/api/v1/queries/{queries[HOME]}").status_code == 200
    answered = token.post(f"/api/v1/queries/{queries[HOME]}/confirm", json={"reason": "Right"})
    assert answered.status_code == 200
    read_only = dm.post("/api/v1/tokens", json={"name": "r", "facility": HOME,
                                                "scopes": ["cases:read"]})  # fmt: skip
    reader = bearer_client(read_only.json()["token"])
    refused = reader.post(f"/api/v1/queries/{queries[HOME]}/confirm", json={"reason": "Right"})
    assert refused.status_code == 403


def test_identifiers_in_texts_never_reach_the_store_or_the_answer(
    dm: UserClient, api_platform: Platform, case_ids: dict[str, str], queries: dict[str, str]
) -> None:
    identified = "Spoke to Robert Miller, DOB 03/14/1962, phone 555-867-5309"
    before = _state(api_platform)
    for response in (
        dm.post(f"{API}/cases/{case_ids[HOME]}/queries",
                json={"path": "patient_age_years", "text": identified}),
        dm.post(f"/api/v1/queries/{queries[HOME]}/confirm", json={"reason": identified}),
        dm.post(f"/queries/{queries[HOME]}/confirm",
                data={"csrf_token": dm.csrf, "reason": identified}),
    ):  # fmt: skip
        assert response.status_code == 422
        for part in ("Robert", "Miller", "1962", "555-867-5309"):
            assert part not in response.text
    assert _state(api_platform) == before
    with api_platform.sessions() as session:
        texts = " ".join(str(a) for a in session.scalars(select(AuditEntry.after)))
    assert "Miller" not in texts
