"""Queries notify: raised → the facility's data managers and administrators (once for a bulk
raise), answered → the raiser; the e-mailed link opens the query for the person told."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from tests.support.notifications import links, notifications_of, send_mail_from
from tests.support.records import records
from tests.support.smtp import SmtpSink
from tests.support.web import (
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER_SITE,
    REG,
    REGISTRY_ADMIN,
    VIEWER,
    UserClient,
    store_case,
)

from printreg.platform import Platform
from printreg.settings import Settings

ClientFor = Callable[[str], UserClient]
FIELD = "time_saved_min"


def _cases(platform: Platform, count: int) -> list[str]:
    return [store_case(platform, HOME, record) for record in records(HOME, count)]


def test_a_raised_query_reaches_the_facility_and_its_answer_the_raiser(
    api_platform: Platform, mail_settings: Settings, smtp_server: SmtpSink, client_for: ClientFor
) -> None:
    send_mail_from(api_platform, mail_settings)
    (case_id,) = _cases(api_platform, 1)
    admin = client_for(REGISTRY_ADMIN)
    raised = admin.post(f"/api/v1/registries/{REG}/cases/{case_id}/queries",
                        json={"path": FIELD, "text": "Time saved of Kxqv min: please check"})  # fmt: skip
    assert raised.status_code == 201, raised.text
    query_id = raised.json()["id"]

    received = smtp_server.wait_for(2)
    assert sorted(r.recipients[0] for r in received) == sorted([DATA_MANAGER, FACILITY_ADMIN])
    for person in (DATA_MANAGER, FACILITY_ADMIN):
        (note,) = notifications_of(api_platform, person)
        assert note.kind == "query_raised"
        assert note.title == f"A query was raised on a case at facility {HOME} (registry {REG})"
        assert note.link == f"/queries/{query_id}"
    for person in (VIEWER, OTHER_SITE, REGISTRY_ADMIN):  # no writer there, or the raiser
        assert notifications_of(api_platform, person) == []
    for message in received:
        decoded = f"{message.message['Subject']}\n{message.text()}"
        assert "Kxqv" not in decoded  # the query's text stays in the app
    manager = client_for(DATA_MANAGER)
    (message,) = smtp_server.to(DATA_MANAGER)
    opened = manager.get(urlsplit(links(message)[0]).path)
    assert opened.status_code == 200
    assert "please check" in opened.text

    confirmed = manager.post(f"/api/v1/queries/{query_id}/confirm",
                             json={"reason": "Checked in the operating notes"})  # fmt: skip
    assert confirmed.status_code == 200, confirmed.text
    (answer,) = [r for r in smtp_server.wait_for(3) if r.recipients == [REGISTRY_ADMIN]]
    assert "was answered" in answer.message["Subject"]
    assert urlsplit(links(answer)[0]).path == f"/queries/{query_id}"
    assert len(notifications_of(api_platform, DATA_MANAGER)) == 1  # the answerer is not told


def test_a_bulk_raise_tells_each_person_once(api_platform: Platform, client_for: ClientFor) -> None:
    case_ids = _cases(api_platform, 3)
    admin = client_for(REGISTRY_ADMIN)
    raised = admin.post(f"/api/v1/registries/{REG}/queries/bulk", json={
        "targets": [{"case_id": c, "path": FIELD} for c in case_ids], "text": "Please check"})  # fmt: skip
    assert raised.status_code == 201, raised.text
    (note,) = notifications_of(api_platform, DATA_MANAGER)
    assert note.title == f"3 queries were raised on cases at facility {HOME} (registry {REG})"
    assert note.link == f"/registries/{REG}/queries?facility={HOME}"
    page = client_for(DATA_MANAGER).get(note.link)
    assert page.status_code == 200
