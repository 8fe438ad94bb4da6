"""Attacks on the case edit path: a forged action cannot move another facility's case, a
viewer's or a locked case to draft; the outcome message never echoes the query; history and the
confirmation page show nothing of another facility."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.platform import Platform
from tests.functional.web.test_pages import form_fields
from tests.support.records import records
from tests.support.web import (
    DATA_MANAGER,
    HOME,
    OTHER,
    OTHER_SITE,
    REG,
    VIEWER,
    UserClient,
)

PROBE = "<script>alert('x')</script>"


def _status(platform: Platform, case_id: str) -> str:
    return CaseService(platform, Actor.operator("test")).get(REG, uuid.UUID(case_id)).status


def _to_draft(platform: Platform, client: UserClient, case_id: str, facility: str) -> int:
    record = records(facility, 1)[0]
    data = {**form_fields(platform, record), "csrf_token": client.csrf,
            "action": "draft-confirmed"}  # fmt: skip
    url = f"/registries/{REG}/cases/{case_id}/edit"
    return client.post(url, data=data, follow_redirects=False).status_code


@pytest.mark.parametrize(("email", "wanted"), [(OTHER_SITE, 404), (VIEWER, 403)])
def test_a_forged_return_to_draft_by_someone_who_may_not_write_is_refused(
    api_platform: Platform,
    client_for: Callable[[str], UserClient],
    case_ids: dict[str, str],
    email: str,
    wanted: int,
) -> None:
    case_id = case_ids[HOME]
    assert _status(api_platform, case_id) == "complete"
    assert _to_draft(api_platform, client_for(email), case_id, HOME) == wanted
    assert _status(api_platform, case_id) == "complete"
    history = CaseService(api_platform, Actor.operator("test")).history(REG, uuid.UUID(case_id))
    assert [h.action for h in history] == ["create"]


def test_a_locked_case_cannot_be_moved_to_draft(
    api_platform: Platform, client_for: Callable[[str], UserClient], case_ids: dict[str, str]
) -> None:
    case_id = case_ids[HOME]
    CaseService(api_platform, Actor.operator("test")).lock(REG, uuid.UUID(case_id))
    assert _to_draft(api_platform, client_for(DATA_MANAGER), case_id, HOME) == 409
    assert _status(api_platform, case_id) == "locked"


def test_an_unknown_action_keeps_the_status(
    api_platform: Platform, client_for: Callable[[str], UserClient], case_ids: dict[str, str]
) -> None:
    client = client_for(DATA_MANAGER)
    case_id = case_ids[HOME]
    record = {**records(HOME, 1)[0], "indication_text": "Planning of a corrective osteotomy"}
    data = {**form_fields(api_platform, record), "csrf_token": client.csrf, "action": "drafty"}
    sent = client.post(f"/registries/{REG}/cases/{case_id}/edit", data=data,
                       follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    assert _status(api_platform, case_id) == "complete"


def test_the_outcome_message_never_echoes_the_query(
    client_for: Callable[[str], UserClient], case_ids: dict[str, str]
) -> None:
    client = client_for(DATA_MANAGER)
    page = client.get(f"/registries/{REG}/cases/{case_ids[HOME]}", params={"saved": PROBE[:16]})
    assert page.status_code == 200
    assert PROBE[:16] not in page.text
    assert "&lt;script" not in page.text
    assert 'id="outcome"' in page.text


def test_the_confirmation_page_is_not_offered_for_another_facilitys_case(
    api_platform: Platform, client_for: Callable[[str], UserClient], case_ids: dict[str, str]
) -> None:
    client = client_for(DATA_MANAGER)
    other = case_ids[OTHER]
    record = records(OTHER, 1)[0]
    data = {**form_fields(api_platform, record), "csrf_token": client.csrf, "action": "draft"}
    sent = client.post(f"/registries/{REG}/cases/{other}/edit", data=data)
    assert sent.status_code == 404
    assert 'id="confirm-draft"' not in sent.text
    assert record["local_case_id"] not in sent.text
    assert client.get(f"/registries/{REG}/cases/{other}").status_code == 404
