"""Notifications are a person's own, and their e-mails carry no case value or free text.

- Each person lists, reads and marks only their own notifications: another person's id answers
  exactly as an unknown one (API and pages) and leaves it unread.
- API tokens (which act for a facility, not a person) and anonymous callers are refused; a
  signed-in browser's changes need the CSRF header.
- A marker written into a case's free text, a data request's title, aims and decision note, an
  enrollment statement and reason, and a query's text and answer never reaches any e-mail,
  while those very actions send their e-mails (so the check can fail).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.governance.enrollment import Contact, EnrollmentService
from printreg.notifications.kinds import NotificationKind
from printreg.notifications.models import Notification, NotificationPreference
from printreg.notifications.service import notify
from printreg.platform import Platform
from printreg.settings import Settings
from tests.support.factories import make_facility, make_person
from tests.support.notifications import notifications_of, send_mail_from, user_id
from tests.support.records import records
from tests.support.smtp import SmtpSink
from tests.support.web import (
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER_SITE,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    VIEWER,
    UserClient,
    store_case,
)

ClientFor = Callable[[str], UserClient]
MARKER = "Zqxmarker Vorpal 7731"  # free text a person typed; no identifier the scanner refuses
API = "/api/v1/notifications"


def _notify(platform: Platform, email: str, title: str = "A query was raised") -> int:
    with platform.sessions() as session, session.begin():
        (made,) = notify(session, [user_id(platform, email)], NotificationKind.QUERY_RAISED,
                         title, f"/registries/{REG}/cases")  # fmt: skip
    return made


def test_people_see_and_mark_only_their_own(api_platform: Platform, client_for: ClientFor) -> None:
    mine = _notify(api_platform, DATA_MANAGER, "Mine")
    theirs = _notify(api_platform, OTHER_SITE, "Theirs")
    manager = client_for(DATA_MANAGER)
    listed = manager.get(API).json()
    assert [n["title"] for n in listed["items"]] == ["Mine"]
    assert listed["unread"] == 1
    unknown = theirs + 1000
    foreign, missing = manager.post(f"{API}/{theirs}/read"), manager.post(f"{API}/{unknown}/read")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    for page in ("/notifications/{}/read", "/notifications/{}/open"):
        form = {"csrf_token": manager.csrf}
        foreign = manager.post(page.format(theirs), data=form, follow_redirects=False)
        missing = manager.post(page.format(unknown), data=form, follow_redirects=False)
        assert foreign.status_code == missing.status_code == 404
        assert foreign.content == missing.content
    assert "Theirs" not in manager.get("/notifications").text
    assert manager.post(f"{API}/read").json()["unread"] == 0  # marks all of one's own
    assert notifications_of(api_platform, OTHER_SITE)[0].read_at is None
    assert notifications_of(api_platform, DATA_MANAGER)[0].read_at is not None
    assert client_for(OTHER_SITE).post(f"{API}/{theirs}/read").status_code == 200
    assert mine != theirs


def test_preferences_change_only_the_caller_s(
    api_platform: Platform, client_for: ClientFor
) -> None:
    viewer = client_for(VIEWER)
    saved = viewer.put(f"{API}/preferences", json={"email": {"query_raised": False}})
    assert saved.status_code == 200, saved.text
    with api_platform.sessions() as session:
        rows = session.execute(select(NotificationPreference.user_id, NotificationPreference.kind,
                                      NotificationPreference.email)).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [(user_id(api_platform, VIEWER), "query_raised", False)]
    other = client_for(DATA_MANAGER).get(f"{API}/preferences").json()
    assert {p["kind"]: p["email"] for p in other["preferences"]}["query_raised"] is True
    refused = viewer.put(f"{API}/preferences", json={"email": {"not_a_kind": True}})
    assert refused.status_code == 422


ROUTES = [("GET", API), ("POST", f"{API}/read"), ("POST", f"{API}/1/read"),
          ("GET", f"{API}/preferences"), ("PUT", f"{API}/preferences")]  # fmt: skip


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_tokens_anonymous_callers_and_missing_csrf_are_refused(
    api_platform: Platform,
    client_for: ClientFor,
    bearer_client: Callable[[str], TestClient],
    anon: TestClient,
    method: str,
    path: str,
) -> None:
    _notify(api_platform, DATA_MANAGER)
    body = {"json": {"email": {}}} if method == "PUT" else {}
    manager = client_for(DATA_MANAGER)
    made = manager.post("/api/v1/tokens", json={"name": "t", "facility": HOME,
                        "scopes": ["cases:read", "cases:write", "reports:read"]})  # fmt: skip
    token = bearer_client(made.json()["token"])
    assert token.request(method, path, **body).status_code == 403
    assert anon.request(method, path, **body).status_code == 401
    if method != "GET":
        assert manager.request(method, path, csrf=False, **body).status_code == 401
    assert notifications_of(api_platform, DATA_MANAGER)[0].read_at is None


def test_no_free_text_reaches_any_e_mail(
    api_platform: Platform,
    mail_settings: Settings,
    smtp_server: SmtpSink,
    client_for: ClientFor,
) -> None:
    send_mail_from(api_platform, mail_settings)
    record = records(HOME, 1)[0]
    record["indication_text"] = f"Resection guide; {MARKER}"
    case_id = store_case(api_platform, HOME, record)
    researcher, admin = client_for(RESEARCHER), client_for(REGISTRY_ADMIN)
    submitted = researcher.post(f"/api/v1/registries/{REG}/requests", json={
        "title": f"Study {MARKER}", "aims": f"Aims {MARKER}", "elements": ["organ_system"]})  # fmt: skip
    assert submitted.status_code == 201, submitted.text
    request_id = submitted.json()["id"]
    decided = admin.post(f"/api/v1/requests/{request_id}/decision",
                         json={"approve": False, "note": f"Declined: {MARKER}"})  # fmt: skip
    assert decided.status_code == 200, decided.text

    make_facility(api_platform, "F0300", registries=("gsae",))
    champion = make_person(api_platform, "champion@f0300.example",
                           roles={"gsae": {"F0300": "facility_admin"}})  # fmt: skip
    operator = Actor.operator("test")
    enrollment = EnrollmentService(api_platform, operator)
    enrollment.apply(REG, "F0300", [Contact("champion", "Sam Roe", champion)],
                     statement=f"We print {MARKER}")  # fmt: skip
    enrollment.decide(REG, "F0300", approve=True, reason=f"Approved {MARKER}")
    # a query on the case, its text and its answer holding the marker
    raised = admin.post(f"/api/v1/registries/{REG}/cases/{case_id}/queries",
                        json={"path": "indication_text", "text": f"Is {MARKER} right?"})  # fmt: skip
    assert raised.status_code == 201, raised.text
    manager = client_for(DATA_MANAGER)
    confirmed = manager.post(f"/api/v1/queries/{raised.json()['id']}/confirm",
                             json={"reason": f"Yes, {MARKER}"})  # fmt: skip
    assert confirmed.status_code == 200, confirmed.text

    received = smtp_server.wait_for(5)
    assert sorted(r.recipients[0] for r in received) == sorted(
        [RESEARCHER, champion, DATA_MANAGER, FACILITY_ADMIN, REGISTRY_ADMIN]
    )
    for message in received:
        whole = message.message.as_string()
        decoded = f"{message.message['Subject']}\n{message.text()}"  # whatever the encoding
        assert "Zqxmarker" not in decoded
        assert "Resection guide" not in decoded
        assert MARKER not in whole
        assert "Zqxmarker" not in whole.replace("=\n", "")  # no soft line break splits it
        assert "Resection guide" not in whole
    with api_platform.sessions() as session:
        titles = session.scalars(select(Notification.title)).all()
    assert len(titles) == 5
    assert not [t for t in titles if "Zqxmarker" in t]
