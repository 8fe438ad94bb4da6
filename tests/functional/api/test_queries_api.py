"""The queries API end to end: raise, list, bulk, confirm, answer by a PUT of the case, close,
re-open; and the refusals a client meets."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from tests.support.web import (
    API,
    DATA_MANAGER,
    HOME,
    OTHER,
    REG,
    REGISTRY_ADMIN,
    VIEWER,
    UserClient,
)

TEXT = "Please check this value"


def _raise(client: UserClient, case_id: str, path: str = "time_saved_min") -> dict:
    made = client.post(f"{API}/cases/{case_id}/queries", json={"path": path, "text": TEXT})
    assert made.status_code == 201, made.text
    return made.json()


def test_raise_confirm_close_reopen(
    client_for: Callable[[str], UserClient], case_ids: dict[str, str]
) -> None:
    admin, dm = client_for(REGISTRY_ADMIN), client_for(DATA_MANAGER)
    query = _raise(admin, case_ids[HOME])
    assert query["status"] == "open"
    assert query["history"][0]["action"] == "raise"
    listed = dm.get(f"{API}/queries").json()
    assert [q["id"] for q in listed] == [query["id"]]
    assert dm.get(f"{API}/cases/{case_ids[HOME]}/queries").json()[0]["text"] == TEXT
    confirmed = dm.post(f"/api/v1/queries/{query['id']}/confirm", json={"reason": "It is right"})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "answered"
    assert dm.post(f"/api/v1/queries/{query['id']}/close").status_code == 403
    assert admin.post(f"/api/v1/queries/{query['id']}/close").json()["status"] == "closed"
    reopened = admin.post(f"/api/v1/queries/{query['id']}/reopen", json={"text": "Still odd"})
    assert reopened.json()["status"] == "open"
    assert [e["action"] for e in reopened.json()["history"]] == [
        "raise", "confirm", "close", "reopen",
    ]  # fmt: skip
    assert dm.get(f"{API}/queries", params={"status": "closed"}).json() == []


def test_a_put_that_changes_the_field_answers_its_query(
    client_for: Callable[[str], UserClient], case_ids: dict[str, str]
) -> None:
    admin, dm = client_for(REGISTRY_ADMIN), client_for(DATA_MANAGER)
    query = _raise(admin, case_ids[HOME])
    url = f"{API}/cases/{case_ids[HOME]}"
    case = dm.get(url).json()
    record = {**case["record"], "status": case["status"]}
    record["time_saved_min"] = (record.get("time_saved_min") or 0) + 5
    saved = dm.put(url, json=record, headers={"If-Match": str(case["row_version"])})
    assert saved.status_code == 200, saved.text
    shown = dm.get(f"/api/v1/queries/{query['id']}").json()
    assert shown["status"] == "answered"
    assert shown["history"][-1]["action"] == "change"


def test_bulk_is_all_or_nothing(
    client_for: Callable[[str], UserClient], case_ids: dict[str, str]
) -> None:
    admin = client_for(REGISTRY_ADMIN)
    targets = [{"case_id": case_ids[c], "path": "time_saved_min"} for c in (HOME, OTHER)]
    broken = [*targets, {"case_id": str(uuid.uuid4()), "path": "time_saved_min"}]
    refused = admin.post(f"{API}/queries/bulk", json={"targets": broken, "text": TEXT})
    assert refused.status_code == 404
    assert admin.get(f"{API}/queries").json() == []
    made = admin.post(f"{API}/queries/bulk", json={"targets": targets, "text": TEXT})
    assert made.status_code == 201, made.text
    assert {q["facility"] for q in made.json()} == {HOME, OTHER}
    assert len(admin.get(f"{API}/queries", params={"status": "open"}).json()) == 2


def test_refusals(client_for: Callable[[str], UserClient], case_ids: dict[str, str]) -> None:
    dm, viewer = client_for(DATA_MANAGER), client_for(VIEWER)
    identified = dm.post(
        f"{API}/cases/{case_ids[HOME]}/queries",
        json={"path": "time_saved_min", "text": "Ask Mary Johnson on 555-123-4567"},
    )
    assert identified.status_code == 422
    assert "555-123-4567" not in identified.text
    assert "Mary" not in identified.text
    assert identified.json()["issues"][0]["rule"].startswith("identifier_")
    bad_path = dm.post(f"{API}/cases/{case_ids[HOME]}/queries",
                       json={"path": "no_such[1].x", "text": TEXT})  # fmt: skip
    assert bad_path.status_code == 400
    no_role = viewer.post(f"{API}/cases/{case_ids[HOME]}/queries",
                          json={"path": "time_saved_min", "text": TEXT})  # fmt: skip
    assert no_role.status_code == 403
    query = _raise(dm, case_ids[HOME])
    assert query["raised_side"] == "facility"
    assert viewer.get(f"/api/v1/queries/{query['id']}").status_code == 200
    assert viewer.post(f"/api/v1/queries/{query['id']}/confirm",
                       json={"reason": "fine"}).status_code == 403  # fmt: skip
    assert dm.post(f"/api/v1/queries/{query['id']}/reopen", json={"text": "x"}).status_code == 409
    too_old = dm.get(f"{API}/queries", params={"min_days": 1}).json()
    assert too_old == []
    assert (
        dm.get(f"/api/v1/registries/{REG}/queries", params={"facility": OTHER}).status_code == 404
    )
