"""End to end: a data manager sends a case's assessment section, the e-mail arrives at a real
SMTP server, a client without an account follows its link and answers, and the case is
updated through the audited case update, the link then used."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.assessment_links import (
    CLINICIAN,
    form_answers,
    link_path,
    operator_view,
    section_names,
    unassessed_case,
)
from tests.support.smtp import SmtpSink
from tests.support.web import API, HOME, REG, UserClient

from printreg.accounts.actor import Actor
from printreg.assessment_links.answering import LinkAnswers, LinkNotValid
from printreg.cases.service import CaseService
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry
from printreg.web import forms


def _send(dm: UserClient, case_id: str, to: str = CLINICIAN) -> dict[str, object]:
    response = dm.post(f"{API}/cases/{case_id}/assessment-links", json={"email": to})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_send_mail_follow_answer_audit(
    api_platform: Platform, dm: UserClient, anon: TestClient, smtp_server: SmtpSink
) -> None:
    case_id, record = unassessed_case(api_platform, HOME)
    sent = _send(dm, case_id)
    assert sent["status"] == "sent"
    assert sent["contact_email"] == CLINICIAN

    [message] = smtp_server.wait_for(1)
    assert message.recipients == [CLINICIAN]
    text = message.text()
    assert str(record["local_case_id"]) not in text
    assert case_id not in text
    path = link_path(message)

    page = anon.get(path)
    assert page.status_code == 200, page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert str(record["local_case_id"]) not in page.text  # the facility's number is not shown
    definition = api_platform.registry(REG).current
    names = section_names(definition)
    assert all(f'name="{n}"' in page.text for n in names if n in page.text)
    answers = form_answers(definition, [n for n in names if f'name="{n}"' in page.text])
    assert answers, "the page showed no field of the section"

    done = anon.post(path, data=answers)
    assert done.status_code == 200, done.text
    assert 'id="thanks"' in done.text

    case = operator_view(api_platform, case_id)
    for name in answers:
        assert case.record.get(name) is not None, name
    assert case.updated_by == f"clinician by link {sent['id']}"
    assert CLINICIAN not in str(case.model_dump())
    with api_platform.sessions() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == case_id).order_by(AuditEntry.id)
        ).all()
    assert rows[-1].actor == f"clinician by link {sent['id']}"
    assert rows[-1].action == "update"
    assert all(CLINICIAN not in str(r.after) for r in rows)

    listed = dm.get(f"{API}/assessment-links", params={"case_id": case_id}).json()
    assert [(x["id"], x["status"]) for x in listed] == [(sent["id"], "answered")]
    again = anon.get(path)
    assert again.status_code == 404
    assert anon.post(path, data=answers).status_code == 404


def test_refused_answers_keep_the_link_open(
    api_platform: Platform, dm: UserClient, anon: TestClient, smtp_server: SmtpSink
) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    _send(dm, case_id)
    path = link_path(smtp_server.wait_for(1)[0])
    definition = api_platform.registry(REG).current
    page = anon.get(path).text
    names = [n for n in section_names(definition) if f'name="{n}"' in page]
    answers = form_answers(definition, names)

    empty = anon.post(path, data={})
    assert empty.status_code == 422
    assert "answer the questions" in empty.text

    first = names[0]  # one answer only: the section's other required answers are missing
    partial = anon.post(path, data={first: answers[first]})
    assert partial.status_code == 422
    assert 'id="form-errors"' in partial.text

    texts = [n for n in names if answers[n].startswith("The model")]
    if texts:  # the free text is scanned for identifiers as in the case form
        named = {**answers, texts[0]: "Patient John Smith, MRN 12345678, born 03/04/1961"}
        refused = anon.post(path, data=named)
        assert refused.status_code == 422
        assert "12345678" not in refused.text.split('id="form-errors"')[1].split("</section>")[0]

    before = operator_view(api_platform, case_id).row_version
    assert anon.get(path).status_code == 200
    assert anon.post(path, data=answers).status_code == 200
    assert operator_view(api_platform, case_id).row_version == before + 1


def test_one_answer_wins_when_a_link_is_used_twice(
    api_platform: Platform, dm: UserClient, smtp_server: SmtpSink
) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    _send(dm, case_id)
    token = link_path(smtp_server.wait_for(1)[0]).removeprefix("/assess/")
    definition = api_platform.registry(REG).current
    links = LinkAnswers(api_platform)
    opened = links.open(token)
    answers = form_answers(definition, opened.names)
    record = forms.record_from_form(definition, {k: [v] for k, v in answers.items()})
    links.answer(token, record)
    version = operator_view(api_platform, case_id).row_version
    with pytest.raises(LinkNotValid):
        links.answer(token, record)
    assert operator_view(api_platform, case_id).row_version == version


def test_revoke_and_resend(
    api_platform: Platform,
    dm: UserClient,
    anon: TestClient,
    smtp_server: SmtpSink,
) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    first = _send(dm, case_id)
    old_path = link_path(smtp_server.wait_for(1)[0])
    revoked = dm.post(f"/api/v1/assessment-links/{first['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert anon.get(old_path).status_code == 404
    assert dm.post(f"/api/v1/assessment-links/{first['id']}/revoke").status_code == 409

    resent = dm.post(f"/api/v1/assessment-links/{first['id']}/resend")
    assert resent.status_code == 201, resent.text
    assert resent.json()["resent_from"] == first["id"]
    new_path = link_path(smtp_server.wait_for(2)[1])
    assert new_path != old_path
    assert anon.get(new_path).status_code == 200
    states = {x["id"]: x["status"] for x in dm.get(f"{API}/assessment-links").json()}
    assert states == {first["id"]: "revoked", resent.json()["id"]: "sent"}
    pending = dm.get(f"{API}/assessment-links", params={"status": "sent"}).json()
    assert [x["id"] for x in pending] == [resent.json()["id"]]


def test_case_page_sends_and_lists(
    api_platform: Platform, dm: UserClient, smtp_server: SmtpSink
) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    page = f"/registries/{REG}/cases/{case_id}"
    bad = dm.post(f"{page}/assessment-links", data={"email": "not an address",
                                                    "csrf_token": dm.csrf})  # fmt: skip
    assert bad.status_code == 400
    assert 'id="assessment-problem"' in bad.text
    sent = dm.post(f"{page}/assessment-links", data={"email": CLINICIAN, "csrf_token": dm.csrf},
                   follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    shown = dm.get(sent.headers["location"])
    assert 'id="assessment-sent"' in shown.text
    assert 'data-status="sent"' in shown.text
    smtp_server.wait_for(1)
    listing = dm.get(f"/registries/{REG}/assessment-links", params={"status": "sent"})
    assert listing.status_code == 200
    assert case_id in listing.text
    [link_id] = [x["id"] for x in dm.get(f"{API}/assessment-links").json()]
    revoke = dm.post(f"/registries/{REG}/assessment-links/{link_id}/revoke",
                     data={"csrf_token": dm.csrf, "back": page}, follow_redirects=False)  # fmt: skip
    assert revoke.status_code == 303
    assert revoke.headers["location"] == page
    assert 'data-status="revoked"' in dm.get(page).text


def test_refused_mail_closes_the_sending(
    api_platform: Platform, client_for: Callable[[str], UserClient], dm: UserClient
) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    api_platform.settings = api_platform.settings.model_copy(update={"smtp_port": 9})
    refused = dm.post(f"{API}/cases/{case_id}/assessment-links", json={"email": CLINICIAN})
    assert refused.status_code == 502, refused.text
    [closed] = dm.get(f"{API}/assessment-links").json()
    assert closed["status"] == "revoked"
    assert closed["closed_by"].startswith("not sent")


def test_the_audit_names_the_sending_of_each_step(api_platform: Platform, dm: UserClient) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    sent = _send(dm, case_id)
    assert (
        CaseService(api_platform, Actor.operator("test")).get(REG, uuid.UUID(case_id)).row_version
        == 1
    )
    with api_platform.sessions() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == str(sent["id"]))
        ).all()
    assert [(r.action, r.entity_type) for r in rows] == [("send", "assessment_link")]
    assert CLINICIAN not in str(rows[0].after)
    assert uuid.UUID(str(sent["id"]))
