"""A decision is made → its person finds a notification in the app and an e-mail at the real
SMTP server on loopback, and the link of the received message opens the right page for them.
Also the pages: the menu's unread count, opening and marking read, the preferences form."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from tests.support.factories import make_facility, make_person
from tests.support.notifications import PUBLIC_URL, links, notifications_of, send_mail_from
from tests.support.smtp import Received, SmtpSink
from tests.support.tasks import job_done
from tests.support.web import DATA_MANAGER, REG, REGISTRY_ADMIN, RESEARCHER, UserClient

from printreg.accounts.actor import Actor
from printreg.governance.enrollment import Contact, EnrollmentService
from printreg.jobs.worker import Worker
from printreg.platform import Platform
from printreg.settings import Settings

ClientFor = Callable[[str], UserClient]
UNREAD = re.compile(r'id="unread-count">(\d+)<')


def _follow(client: UserClient, message: Received) -> tuple[str, str]:
    """Open the message's first link with the person's signed-in client; return (path, page)."""
    first = links(message)[0]
    assert first.startswith(PUBLIC_URL + "/")
    path = urlsplit(first).path
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    return path, page.text


def _unread_in_menu(page: str) -> int:
    found = UNREAD.search(page)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("runner", ["inprocess", "queue"])
def test_a_data_request_decision_reaches_the_researcher(
    api_platform: Platform,
    mail_settings: Settings,
    smtp_server: SmtpSink,
    client_for: ClientFor,
    runner: str,
) -> None:
    send_mail_from(api_platform, mail_settings, job_runner=runner)
    researcher, admin = client_for(RESEARCHER), client_for(REGISTRY_ADMIN)
    submitted = researcher.post(f"/api/v1/registries/{REG}/requests", json={
        "title": "Cardiac models", "aims": "Time saved", "elements": ["organ_system"]})  # fmt: skip
    request_id = submitted.json()["id"]
    assert researcher.get("/api/v1/notifications").json() == {"items": [], "unread": 0}

    decided = admin.post(f"/api/v1/requests/{request_id}/decision",
                         json={"approve": False, "note": "aims unclear"})  # fmt: skip
    assert decided.status_code == 200, decided.text

    # in the app
    listed = researcher.get("/api/v1/notifications").json()
    assert listed["unread"] == 1
    (item,) = listed["items"]
    assert item["kind"] == "request_decision"
    assert item["title"] == f"Your data request in registry {REG} was declined"
    assert item["link"] == f"/requests/{request_id}"
    # by e-mail (a worker sends it in queue mode), and its link opens the request
    if runner == "queue":
        assert smtp_server.received == []
        assert Worker(api_platform, once=True).run() == 1
    (message,) = smtp_server.wait_for(1)
    assert message.recipients == [RESEARCHER]
    assert message.message["Subject"] == f"printreg: {item['title']}"
    path, page = _follow(researcher, message)
    assert path == f"/requests/{request_id}"
    assert "Cardiac models" in page
    assert "declined" in page
    # the admin who decided got nothing
    assert client_for(REGISTRY_ADMIN).get("/api/v1/notifications").json()["unread"] == 0


def test_an_approval_tells_of_the_decision_and_the_ready_extract(
    api_platform: Platform, mail_settings: Settings, smtp_server: SmtpSink, client_for: ClientFor
) -> None:
    send_mail_from(api_platform, mail_settings)
    researcher, admin = client_for(RESEARCHER), client_for(REGISTRY_ADMIN)
    submitted = researcher.post(f"/api/v1/registries/{REG}/requests", json={
        "title": "Volumes", "aims": "Counts", "elements": ["organ_system"]})  # fmt: skip
    request_id = submitted.json()["id"]
    approved = admin.post(f"/api/v1/requests/{request_id}/decision", json={"approve": True})
    assert approved.json()["status"] == "approved", approved.text
    built = job_done(researcher, approved.json()["extract_job"]["id"])  # the build is a job
    assert built["status"] == "done", built
    kinds = [n["kind"] for n in researcher.get("/api/v1/notifications").json()["items"]]
    assert sorted(kinds) == ["extract_ready", "request_decision"]
    subjects = sorted(m.message["Subject"] for m in smtp_server.wait_for(2))
    assert subjects == [
        f"printreg: The extract of your data request in registry {REG} is ready",
        f"printreg: Your data request in registry {REG} was approved",
    ]


def test_an_enrollment_decision_reaches_the_facility_s_administrators(
    api_platform: Platform, mail_settings: Settings, smtp_server: SmtpSink, client_for: ClientFor
) -> None:
    send_mail_from(api_platform, mail_settings)
    make_facility(api_platform, "F0300", registries=("gsae",))
    champion = make_person(api_platform, "champion@f0300.example",
                           roles={"gsae": {"F0300": "facility_admin"}})  # fmt: skip
    make_person(api_platform, "viewer@f0300.example", roles={"gsae": {"F0300": "viewer"}})
    enrollment = EnrollmentService(api_platform, Actor.operator("test"))
    enrollment.apply(REG, "F0300", [Contact("champion", "Sam Roe", champion)])
    admin = client_for(REGISTRY_ADMIN)
    decided = admin.post(f"/api/v1/registries/{REG}/enrollments/F0300/decision",
                         json={"decision": "approve"})  # fmt: skip
    assert decided.status_code == 200, decided.text

    (message,) = smtp_server.wait_for(1)
    assert message.recipients == [champion]
    assert notifications_of(api_platform, "viewer@f0300.example") == []
    path, page = _follow(client_for(champion), message)
    assert path == "/facilities/F0300/enrollment"
    assert "F0300" in page
    assert "approved" in page


def test_the_menu_counts_unread_and_the_list_opens_and_marks_them(
    api_platform: Platform, client_for: ClientFor
) -> None:
    researcher, admin = client_for(RESEARCHER), client_for(REGISTRY_ADMIN)
    ids = []
    for title in ("First", "Second"):
        made = researcher.post(f"/api/v1/registries/{REG}/requests",
                               json={"title": title, "aims": "a", "elements": ["organ_system"]})  # fmt: skip
        ids.append(made.json()["id"])
        admin.post(f"/api/v1/requests/{made.json()['id']}/decision", json={"approve": False})
    page = researcher.get("/notifications")
    assert page.status_code == 200
    assert _unread_in_menu(page.text) == 2
    assert 'href="/notifications"' in page.text
    (first_id, second_id) = (n.id for n in notifications_of(api_platform, RESEARCHER))

    opened = researcher.post(f"/notifications/{first_id}/open",
                             data={"csrf_token": researcher.csrf}, follow_redirects=False)  # fmt: skip
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/requests/{ids[0]}"
    assert _unread_in_menu(researcher.get(opened.headers["location"]).text) == 1

    marked = researcher.post(f"/notifications/{second_id}/read",
                             data={"csrf_token": researcher.csrf}, follow_redirects=True)  # fmt: skip
    assert marked.status_code == 200
    assert _unread_in_menu(marked.text) == 0
    assert "Nothing unread" in marked.text
    # a person with nothing unread sees no count
    assert _unread_in_menu(client_for(DATA_MANAGER).get("/notifications").text) == 0


def test_the_preferences_page_saves_each_kind(
    api_platform: Platform, client_for: ClientFor
) -> None:
    researcher = client_for(RESEARCHER)
    page = researcher.get("/notifications/preferences")
    assert page.status_code == 200
    assert 'id="no-email"' in page.text  # no SMTP server in these settings
    assert 'id="email-request_decision" checked' in page.text
    saved = researcher.post("/notifications/preferences", follow_redirects=True,
                            data={"csrf_token": researcher.csrf, "email": ["extract_ready"]})  # fmt: skip
    assert saved.status_code == 200
    assert "Preferences saved" in saved.text
    chosen = {p["kind"]: p["email"]
              for p in researcher.get("/api/v1/notifications/preferences").json()["preferences"]}  # fmt: skip
    assert chosen["extract_ready"] is True
    assert not any(v for k, v in chosen.items() if k != "extract_ready")
