"""The case API and its neighbours (registries, facilities, printers, users) over HTTP."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.records import records
from tests.support.web import (
    API,
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER,
    REG,
    REGISTRY_ADMIN,
    VIEWER,
    UserClient,
)

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.platform import Platform


def _record(facility: str = HOME, local_id: str = "API-0001", **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(records(facility, 1)[0])
    record["local_case_id"] = local_id
    record.update(changes)
    return record


def _create(user: UserClient, record: dict[str, Any], facility: str = HOME) -> str:
    response = user.post(f"{API}/cases", params={"facility": facility}, json=record)
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    return case_id


def _case_count(platform: Platform) -> int:
    main = platform.registry(REG).tables.main
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(main)) or 0


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


# -- create, get --------------------------------------------------------------------------------


def test_create_returns_201_with_the_id_and_get_returns_the_case(dm: UserClient) -> None:
    record = _record()
    response = dm.post(f"{API}/cases", params={"facility": HOME}, json=record)
    assert response.status_code == 201
    saved = response.json()
    uuid.UUID(saved["id"])
    assert saved["local_case_id"] == "API-0001"
    assert saved["status"] == "complete"
    assert saved["row_version"] == 1
    assert isinstance(saved["warnings"], list)

    case = dm.get(f"{API}/cases/{saved['id']}")
    assert case.status_code == 200
    body = case.json()
    assert body["id"] == saved["id"]
    assert body["registry"] == REG
    assert body["facility"] == HOME
    assert body["created_by"] == body["updated_by"] == DATA_MANAGER
    assert body["deleted_at"] is None
    assert body["record"]["local_case_id"] == "API-0001"
    assert body["record"]["organ_system"] == record["organ_system"]
    assert body["derived"]["part_count"] == len(record.get("anatomic_parts", []))


def test_shown_record_is_accepted_back_by_update(dm: UserClient) -> None:
    case_id = _create(dm, _record())
    shown = dm.get(f"{API}/cases/{case_id}").json()["record"]
    response = dm.put(f"{API}/cases/{case_id}", json=shown)
    assert response.status_code == 200
    # nothing changed: no new version
    assert response.json()["row_version"] == 1


def test_invalid_record_answers_422_with_each_issue_written_out(
    dm: UserClient, api_platform: Platform
) -> None:
    record = _record(patient_age_years=-3, organ_system="not-an-organ")
    record.pop("request_date")
    before = _case_count(api_platform)
    response = dm.post(f"{API}/cases", params={"facility": HOME}, json=record)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"]
    issues = [(i["severity"], i["record_key"], i["path"], i["rule"], i["value"])
              for i in body["issues"]]  # fmt: skip
    assert issues == [
        ("error", "API-0001", "patient_age_years", "range", "-3"),
        ("error", "API-0001", "organ_system", "value_set", "not-an-organ"),
        ("error", "API-0001", "request_date", "required", None),
    ]
    labels = ("Patient age (years): ", "Organ system: ", "Request date: ")
    assert [i["message"].startswith(label) for i, label in zip(body["issues"], labels,
                                                                strict=True)] == [True] * 3  # fmt: skip
    assert _case_count(api_platform) == before


def test_duplicate_local_case_id_answers_422(dm: UserClient) -> None:
    _create(dm, _record())
    response = dm.post(f"{API}/cases", params={"facility": HOME}, json=_record())
    assert response.status_code == 422
    assert [i["rule"] for i in response.json()["issues"]] == ["duplicate_local_case_id"]


@pytest.mark.parametrize("body", [[], "text", 3], ids=["list", "string", "number"])
def test_a_record_that_is_not_an_object_answers_422(dm: UserClient, body: object) -> None:
    response = dm.post(f"{API}/cases", params={"facility": HOME}, json=body)
    assert response.status_code == 422


def test_create_needs_a_known_facility(dm: UserClient) -> None:
    missing = dm.post(f"{API}/cases", json=_record())
    assert missing.status_code == 422
    unknown = dm.post(f"{API}/cases", params={"facility": "F9999"}, json=_record())
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/restore"), ("GET", "/history")],
)
def test_unknown_case_id_answers_404(dm: UserClient, method: str, suffix: str) -> None:
    url = f"{API}/cases/{uuid.uuid4()}{suffix}"
    response = dm.request(method, url, json=_record() if method == "PUT" else None)
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_malformed_case_id_answers_422(dm: UserClient) -> None:
    assert dm.get(f"{API}/cases/not-a-uuid").status_code == 422


def test_unknown_registry_answers_404(dm: UserClient) -> None:
    assert dm.get("/api/v1/registries/nope/cases").status_code == 404
    assert dm.get(f"/api/v1/registries/nope/cases/{uuid.uuid4()}").status_code == 404
    created = dm.post("/api/v1/registries/nope/cases", params={"facility": HOME}, json=_record())
    assert created.status_code == 404


# -- list: filters and pagination ---------------------------------------------------------------


@pytest.fixture
def listed(api_platform: Platform) -> dict[str, dict[str, Any]]:
    """Store a mix of cases at both facilities; return {local id: record (+facility)}."""
    service = CaseService(api_platform, Actor.operator("test"))
    stored: dict[str, dict[str, Any]] = {}
    home = records(HOME, 6) + records(HOME, 2, status="draft")
    for n, record in enumerate(home):
        record["local_case_id"] = f"LIST-H{n:02d}"
        stored[record["local_case_id"]] = {**record, "facility": HOME}
    other = records(OTHER, 3)
    for n, record in enumerate(other):
        record["local_case_id"] = f"LIST-O{n:02d}"
        stored[record["local_case_id"]] = {**record, "facility": OTHER}
    result = service.create_many(REG, [(r["facility"], r) for r in stored.values()])
    assert result.rejected == []
    return stored


def _local_ids(user: UserClient, **params: Any) -> set[str]:
    params.setdefault("limit", 500)
    response = user.get(f"{API}/cases", params=params)
    assert response.status_code == 200, response.text
    return {c["local_case_id"] for c in response.json()["items"]}


def test_list_shows_only_own_facility_cases(
    dm: UserClient, listed: dict[str, dict[str, Any]]
) -> None:
    home = {k for k, r in listed.items() if r["facility"] == HOME}
    assert _local_ids(dm) == home
    assert _local_ids(dm, facility=HOME) == home
    assert dm.get(f"{API}/cases", params={"facility": OTHER}).status_code == 404


def test_list_filters_by_status(dm: UserClient, listed: dict[str, dict[str, Any]]) -> None:
    for status in ("draft", "complete"):
        want = {k for k, r in listed.items() if r["facility"] == HOME and r["status"] == status}
        assert want
        assert _local_ids(dm, status=status) == want
    assert _local_ids(dm, status="locked") == set()
    assert dm.get(f"{API}/cases", params={"status": "bogus"}).status_code == 422


def test_list_filters_by_organ_system(dm: UserClient, listed: dict[str, dict[str, Any]]) -> None:
    organ = next(r["organ_system"] for r in listed.values() if r["facility"] == HOME)
    want = {k for k, r in listed.items() if r["facility"] == HOME and r["organ_system"] == organ}
    assert _local_ids(dm, organ_system=organ) == want
    label = "Cardiac"  # a label works like its code
    cardiac = {
        k for k, r in listed.items() if r["facility"] == HOME and r["organ_system"] == "cardiac"
    }
    assert _local_ids(dm, organ_system=label) == cardiac
    unknown = dm.get(f"{API}/cases", params={"organ_system": "no_such_system"})
    assert unknown.status_code == 400
    assert "organ_system: 'no_such_system' is not one of its codes or labels" in unknown.text


def test_list_filters_by_request_date_range(
    dm: UserClient, listed: dict[str, dict[str, Any]]
) -> None:
    home = {k: dt.date.fromisoformat(r["request_date"]) for k, r in listed.items()
            if r["facility"] == HOME}  # fmt: skip
    dates = sorted(set(home.values()))
    assert len(dates) >= 3
    low, high = dates[1], dates[-2]
    want = {k for k, d in home.items() if low <= d <= high}
    got = _local_ids(dm, date_from=low.isoformat(), date_to=high.isoformat())
    assert got == want
    assert _local_ids(dm, date_from=low.isoformat()) == {k for k, d in home.items() if d >= low}
    assert _local_ids(dm, date_to=high.isoformat()) == {k for k, d in home.items() if d <= high}
    assert dm.get(f"{API}/cases", params={"date_from": "yesterday"}).status_code == 422


def test_list_searches_the_local_case_id(dm: UserClient, listed: dict[str, dict[str, Any]]) -> None:
    assert _local_ids(dm, search="H03") == {"LIST-H03"}
    assert _local_ids(dm, search="list-h0") == {k for k in listed if k.startswith("LIST-H")}
    assert _local_ids(dm, search="O0") == set()


def test_cursor_pagination_visits_every_case_once_newest_first(
    client_for: Callable[[str], UserClient], listed: dict[str, dict[str, Any]]
) -> None:
    admin = client_for(REGISTRY_ADMIN)
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = admin.get(f"{API}/cases", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 3
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert len(seen) == len({c["id"] for c in seen}) == len(listed)
    assert {c["local_case_id"] for c in seen} == set(listed)
    keys = [(c["updated_at"], c["id"]) for c in seen]
    assert keys == sorted(keys, reverse=True)
    assert pages == 4  # 11 cases, 3 a page


def test_cursor_pagination_after_separate_writes(dm: UserClient) -> None:
    made = [_create(dm, _record(local_id=f"PAGE-{n}")) for n in range(5)]
    first = dm.get(f"{API}/cases", params={"limit": 2}).json()
    assert [c["id"] for c in first["items"]] == made[::-1][:2]
    second = dm.get(f"{API}/cases", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [c["id"] for c in second["items"]] == made[::-1][2:4]
    third = dm.get(f"{API}/cases", params={"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [c["id"] for c in third["items"]] == made[:1]
    assert third["next_cursor"] is None


def test_a_bad_cursor_is_a_client_error(dm: UserClient) -> None:
    response = dm.get(f"{API}/cases", params={"cursor": "not-a-cursor"})
    assert response.status_code == 400


def test_list_limit_is_bounded(dm: UserClient) -> None:
    assert dm.get(f"{API}/cases", params={"limit": 0}).status_code == 422
    assert dm.get(f"{API}/cases", params={"limit": 501}).status_code == 422


# -- update, delete, restore, history -----------------------------------------------------------


def test_update_with_if_match_and_409_when_stale(dm: UserClient) -> None:
    case_id = _create(dm, _record())
    changed = _record(time_saved_min=7)
    response = dm.put(f"{API}/cases/{case_id}", json=changed, headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.json()["row_version"] == 2
    stale = dm.put(
        f"{API}/cases/{case_id}", json=_record(time_saved_min=8), headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 409
    case = dm.get(f"{API}/cases/{case_id}").json()
    assert case["row_version"] == 2
    assert case["record"]["time_saved_min"] == 7
    # without If-Match the last writer wins
    last = dm.put(f"{API}/cases/{case_id}", json=_record(time_saved_min=9))
    assert last.status_code == 200
    assert last.json()["row_version"] == 3


def test_update_refuses_invalid_records_and_a_changed_local_id(dm: UserClient) -> None:
    case_id = _create(dm, _record())
    bad = dm.put(f"{API}/cases/{case_id}", json=_record(patient_age_years=-1))
    assert bad.status_code == 422
    assert "patient_age_years" in {i["path"] for i in bad.json()["issues"]}
    renamed = dm.put(f"{API}/cases/{case_id}", json=_record(local_id="API-OTHER"))
    assert renamed.status_code == 422
    assert [i["rule"] for i in renamed.json()["issues"]] == ["local_case_id_changed"]
    assert dm.get(f"{API}/cases/{case_id}").json()["row_version"] == 1


def test_soft_delete_restore_and_history(dm: UserClient) -> None:
    case_id = _create(dm, _record())
    dm.put(f"{API}/cases/{case_id}", json=_record(time_saved_min=11))

    deleted = dm.delete(f"{API}/cases/{case_id}")
    assert deleted.status_code == 200
    assert deleted.json()["deleted_at"] is not None
    assert case_id not in _ids(dm.get(f"{API}/cases"))
    assert _ids(dm.get(f"{API}/cases", params={"deleted": "true"})) == [case_id]
    assert dm.get(f"{API}/cases/{case_id}").status_code == 200  # still readable
    assert dm.delete(f"{API}/cases/{case_id}").status_code == 409
    assert dm.put(f"{API}/cases/{case_id}", json=_record()).status_code == 409

    restored = dm.post(f"{API}/cases/{case_id}/restore")
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None
    assert case_id in _ids(dm.get(f"{API}/cases"))
    assert dm.post(f"{API}/cases/{case_id}/restore").status_code == 409

    history = dm.get(f"{API}/cases/{case_id}/history")
    assert history.status_code == 200
    entries = history.json()
    assert [e["action"] for e in entries] == ["create", "update", "delete", "restore"]
    assert {e["actor"] for e in entries} == {DATA_MANAGER}
    assert entries[0]["before"] is None
    assert entries[0]["after"]["local_case_id"] == "API-0001"
    assert "time_saved_min" in entries[1]["changed"]
    assert entries[1]["after"]["time_saved_min"] == 11
    assert entries[2]["after"]["deleted_at"] is not None
    assert entries[3]["after"]["deleted_at"] is None


def test_viewer_reads_but_cannot_write(
    client_for: Callable[[str], UserClient], dm: UserClient, api_platform: Platform
) -> None:
    case_id = _create(dm, _record())
    viewer = client_for(VIEWER)
    assert viewer.get(f"{API}/cases/{case_id}").status_code == 200
    assert viewer.get(f"{API}/cases/{case_id}/history").status_code == 200
    before = _case_count(api_platform)
    created = viewer.post(
        f"{API}/cases", params={"facility": HOME}, json=_record(local_id="VIEW-1")
    )
    assert created.status_code == 403
    assert viewer.put(f"{API}/cases/{case_id}", json=_record()).status_code == 403
    assert viewer.delete(f"{API}/cases/{case_id}").status_code == 403
    assert _case_count(api_platform) == before


# -- registries and definitions -----------------------------------------------------------------


def test_registries_endpoints(dm: UserClient, api_platform: Platform) -> None:
    listed = dm.get("/api/v1/registries")
    assert listed.status_code == 200
    codes = [r["code"] for r in listed.json()]
    assert REG in codes
    one = dm.get(f"/api/v1/registries/{REG}")
    assert one.status_code == 200
    current = api_platform.registry(REG).current.version
    assert one.json()["current_version"] == current
    assert current in one.json()["versions"]
    assert dm.get("/api/v1/registries/nope").status_code == 404


def test_definition_endpoint_returns_the_data_dictionary(
    dm: UserClient, api_platform: Platform
) -> None:
    definition = api_platform.registry(REG).current
    response = dm.get(f"/api/v1/registries/{REG}/definition")
    assert response.status_code == 200
    body = response.json()
    assert body == definition.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    assert body["version"] == definition.version
    assert "local_case_id" in response.text
    assert "organ_system" in response.text
    versioned = dm.get(
        f"/api/v1/registries/{REG}/definition", params={"version": definition.version}
    )
    assert versioned.json() == body
    assert (
        dm.get(f"/api/v1/registries/{REG}/definition", params={"version": "9.9.9"}).status_code
        == 404
    )


# -- facilities and printers --------------------------------------------------------------------


def test_facilities_are_those_the_caller_belongs_to(
    dm: UserClient, client_for: Callable[[str], UserClient]
) -> None:
    assert [f["code"] for f in dm.get("/api/v1/facilities").json()] == [HOME]
    assert dm.get(f"/api/v1/facilities/{HOME}").json()["code"] == HOME
    assert dm.get(f"/api/v1/facilities/{OTHER}").status_code == 404
    assert dm.get("/api/v1/facilities/F9999").status_code == 404
    admin = client_for(REGISTRY_ADMIN)
    assert [f["code"] for f in admin.get("/api/v1/facilities").json()] == [HOME, OTHER]


def test_printers_endpoints(
    dm: UserClient, client_for: Callable[[str], UserClient], api_platform: Platform
) -> None:
    listed = dm.get(f"/api/v1/facilities/{HOME}/printers")
    assert listed.status_code == 200
    # what load_synthetic(seed=SYNTH_SEED) gives F0001, written out
    assert [(p["label"], p["technology"]) for p in listed.json()] == [
        ("Form4B-1", "vat_photopolymerization")
    ]
    assert {p["facility"] for p in listed.json()} == {HOME}
    assert dm.get(f"/api/v1/facilities/{OTHER}/printers").status_code == 404
    printer = {"label": "NEW-1", "technology": "material_extrusion", "manufacturer": "Acme"}
    assert dm.post(f"/api/v1/facilities/{HOME}/printers", json=printer).status_code == 403
    fadmin = client_for(FACILITY_ADMIN)
    created = fadmin.post(f"/api/v1/facilities/{HOME}/printers", json=printer)
    assert created.status_code == 201
    assert created.json()["facility"] == HOME
    assert fadmin.post(f"/api/v1/facilities/{HOME}/printers", json=printer).status_code == 409
    assert fadmin.post(f"/api/v1/facilities/{OTHER}/printers", json=printer).status_code == 404
    bad = fadmin.post(
        f"/api/v1/facilities/{HOME}/printers", json={**printer, "label": "X", "technology": "magic"}
    )
    assert bad.status_code == 422
    assert [p["label"] for p in dm.get(f"/api/v1/facilities/{HOME}/printers").json()] == sorted(
        ["Form4B-1", "NEW-1"]
    )


def test_only_registry_admins_create_facilities(
    dm: UserClient, client_for: Callable[[str], UserClient]
) -> None:
    facility = {
        "code": "F0003",
        "name": "Third Site",
        "facility_type": "academic",
        "location": "rural",
        "census_region": "west",
        "lab_service_model": "radiology",
    }
    assert dm.post("/api/v1/facilities", json=facility).status_code == 403
    admin = client_for(REGISTRY_ADMIN)
    created = admin.post("/api/v1/facilities", json=facility)
    assert created.status_code == 201
    assert created.json() == {**facility, "date_order": None}  # ISO dates only, until set
    assert admin.post("/api/v1/facilities", json=facility).status_code == 409
    bad = admin.post("/api/v1/facilities", json={**facility, "code": "F0004", "location": "moon"})
    assert bad.status_code == 422
    assert [i["path"] for i in bad.json()["issues"]] == ["location"]


# -- people and memberships ---------------------------------------------------------------------


def test_me_returns_the_signed_in_person(dm: UserClient) -> None:
    me = dm.get("/api/v1/users/me")
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == DATA_MANAGER
    assert body["active"] is True
    assert "password_hash" not in body
    assert "password" not in me.text


def test_facility_admin_manages_people_of_their_facility(
    client_for: Callable[[str], UserClient], dm: UserClient
) -> None:
    fadmin = client_for(FACILITY_ADMIN)
    listed = fadmin.get(f"/api/v1/facilities/{HOME}/users")
    assert listed.status_code == 200
    assert {u["email"] for u in listed.json()} == {FACILITY_ADMIN, DATA_MANAGER, VIEWER}
    assert dm.get(f"/api/v1/facilities/{HOME}/users").status_code == 403
    assert fadmin.get(f"/api/v1/facilities/{OTHER}/users").status_code == 404

    new = {
        "email": "New.Person@Demo.Printreg.org",
        "display_name": "New Person",
        "password": "a-long-enough-password",
        "memberships": {REG: {HOME: "viewer"}},
    }
    created = fadmin.post("/api/v1/users", json=new)
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["email"] == "new.person@demo.printreg.org"
    assert person["memberships"] == {REG: {HOME: "viewer"}}
    assert fadmin.post("/api/v1/users", json=new).status_code == 409
    elsewhere = {**new, "email": "x@demo.printreg.org", "memberships": {REG: {OTHER: "viewer"}}}
    assert fadmin.post("/api/v1/users", json=elsewhere).status_code == 404
    admin_role = {**new, "email": "y@demo.printreg.org", "registry_roles": {REG: "researcher"}}
    assert fadmin.post("/api/v1/users", json=admin_role).status_code == 403
    assert dm.post("/api/v1/users", json={**new, "email": "z@demo.printreg.org"}).status_code == 403

    assert fadmin.get(f"/api/v1/users/{person['id']}").json()["email"] == person["email"]
    assert dm.get(f"/api/v1/users/{person['id']}").status_code == 404

    changed = fadmin.put(
        f"/api/v1/users/{person['id']}/memberships/{REG}/{HOME}", json={"role": "data_manager"}
    )
    assert changed.status_code == 200
    assert changed.json()["memberships"] == {REG: {HOME: "data_manager"}}
    other = fadmin.put(
        f"/api/v1/users/{person['id']}/memberships/{REG}/{OTHER}", json={"role": "viewer"}
    )
    assert other.status_code == 404
    removed = fadmin.put(
        f"/api/v1/users/{person['id']}/memberships/{REG}/{HOME}", json={"role": None}
    )
    assert removed.status_code == 200
    assert removed.json()["memberships"] == {}
    assert (
        dm.put(
            f"/api/v1/users/{person['id']}/memberships/{REG}/{HOME}", json={"role": "viewer"}
        ).status_code
        == 403
    )  # a member of the facility who may not grant roles


def test_registry_admin_sees_anyone(
    client_for: Callable[[str], UserClient], dm: UserClient
) -> None:
    admin = client_for(REGISTRY_ADMIN)
    person = dm.get("/api/v1/users/me").json()
    assert admin.get(f"/api/v1/users/{person['id']}").json() == person
    assert admin.get("/api/v1/users/999999").status_code == 404


def test_unknown_role_in_set_membership_is_a_client_error(
    client_for: Callable[[str], UserClient], dm: UserClient
) -> None:
    fadmin = client_for(FACILITY_ADMIN)
    me = dm.get("/api/v1/users/me").json()
    response = fadmin.put(
        f"/api/v1/users/{me['id']}/memberships/{REG}/{HOME}", json={"role": "boss"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "roles",
    [{"memberships": {REG: {HOME: "boss"}}}, {"registry_roles": {REG: "boss"}}],
    ids=["membership", "registry-role"],
)
def test_unknown_role_in_create_user_is_a_client_error(
    client_for: Callable[[str], UserClient], roles: dict[str, dict[str, str]]
) -> None:
    admin = client_for(REGISTRY_ADMIN)
    body = {"email": "role@demo.printreg.org", "display_name": "Role", **roles}
    assert admin.post("/api/v1/users", json=body).status_code == 422


def test_huge_user_id_is_a_client_error(dm: UserClient) -> None:
    response = dm.get(f"/api/v1/users/{10**22}")
    assert response.status_code == 422


# -- documentation ------------------------------------------------------------------------------


def test_openapi_and_docs_are_served(anon: TestClient) -> None:
    spec = anon.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert "/api/v1/registries/{registry}/cases" in paths
    assert "/api/v1/registries/{registry}/cases/{case_id}" in paths
    assert "/api/v1/health" not in paths
    assert "/login" not in paths
    docs = anon.get("/api/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert "/openapi.json" in docs.text


def test_health_needs_no_sign_in(anon: TestClient) -> None:
    response = anon.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"
