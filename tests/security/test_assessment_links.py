"""Attack: open, reuse or guess a clinician's assessment link, or read more through it.

A link's token is its only credential. Every token that opens nothing — tampered, unknown,
another link's secret under this link's id, already answered, expired, revoked, of a case since
deleted — answers the very same page and status, so that an attacker learns nothing about why;
guessing from one address is throttled like failed sign-ins; the page sends no referrer and
shows no identifier of the case; the e-mail carries the link and words, never a case value; the
clinician's address stays with the sending, never in the case, its history or exports.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer

from printreg.accounts.actor import Actor
from printreg.assessment_links import tokens
from printreg.assessment_links.due import run_due
from printreg.cases.service import CaseService
from printreg.platform import Platform
from printreg.settings import Settings
from tests.support.assessment_links import (
    CLINICIAN,
    form_answers,
    link_path,
    unassessed_case,
)
from tests.support.clock import Clock
from tests.support.smtp import SmtpSink, mailing
from tests.support.web import API, HOME, OTHER_SITE, REG, REGISTRY_ADMIN, VIEWER, UserClient


@pytest.fixture
def settings(
    settings: Settings, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Return the test settings sending e-mail to the loopback SMTP server."""
    return mailing(settings, smtp_server, monkeypatch)


@pytest.fixture
def clock(api_platform: Platform) -> Iterator[Clock]:
    """Give the platform a hand-moved clock (sendings, expiry and the throttle read it)."""
    clock, original = Clock(), api_platform.clock
    api_platform.clock = clock
    yield clock
    api_platform.clock = original


@pytest.fixture
def from_address(app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """Return a factory of cookieless clients connecting from a given address."""
    made: list[TestClient] = []

    def make(address: str) -> TestClient:
        client = TestClient(app, base_url="http://testserver", client=(address, 50000))
        made.append(client.__enter__())
        return client

    yield make
    for client in made:
        client.__exit__(None, None, None)


def _sent(dm: UserClient, smtp: SmtpSink, case_id: str) -> tuple[str, str]:
    """Send the case's link; return (sending id, link path)."""
    before = len(smtp.received)
    made = dm.post(f"{API}/cases/{case_id}/assessment-links", json={"email": CLINICIAN})
    assert made.status_code == 201, made.text
    message = smtp.wait_for(before + 1)[before]
    return str(made.json()["id"]), link_path(message)


def _forged(settings: Settings, link_id: str, secret: str) -> str:
    """Return a token validly signed with the installation's key (an insider's forgery)."""
    signed = URLSafeSerializer(settings.secret_key, salt=tokens.SALT).dumps([link_id, secret])
    return f"/assess/{signed}"


def _secret(settings: Settings, path: str) -> str:
    found = URLSafeSerializer(settings.secret_key, salt=tokens.SALT).loads(
        path.removeprefix("/assess/")
    )
    return str(found[1])


def test_every_link_that_opens_nothing_answers_the_same_page(
    api_platform: Platform,
    settings: Settings,
    dm: UserClient,
    smtp_server: SmtpSink,
    from_address: Callable[[str], TestClient],
    clock: Clock,
) -> None:
    cases = [unassessed_case(api_platform, HOME)[0] for _ in range(5)]
    links = [_sent(dm, smtp_server, case_id) for case_id in cases]
    (used_id, used), (revoked_id, revoked), (_, other), (_, deleted), (expiring_id, expiring) = (
        links
    )
    definition = api_platform.registry(REG).current
    clinician = from_address("198.51.100.1")
    page = clinician.get(used).text
    names = [n for n in definition.elements if f'name="{n}"' in page]
    assert clinician.post(used, data=form_answers(definition, names)).status_code == 200
    assert dm.post(f"/api/v1/assessment-links/{revoked_id}/revoke").status_code == 200
    CaseService(api_platform, Actor.operator("test")).delete(REG, uuid.UUID(cases[3]))

    # Many addresses failing at once would be slowed as a distributed attack (like sign-in):
    # this test looks at what each refusal says, not at the throttle (tested below).
    api_platform.settings = settings.model_copy(update={"signin_account_failures": 10_000})
    bad = {
        "tampered": used[:-3] + ("AAA" if not used.endswith("AAA") else "BBB"),
        "unknown link": _forged(settings, uuid.uuid4().hex, "x" * 43),
        "another link's secret": _forged(settings, uuid.UUID(expiring_id).hex,
                                         _secret(settings, other)),
        "not signed": "/assess/" + "A" * 60,
        "used": used,
        "revoked": revoked,
        "case deleted": deleted,
    }  # fmt: skip
    clock.advance((settings.assessment_link_days + 1) * 86400)
    bad["expired, before the job ran"] = expiring
    answers: dict[str, tuple[int, bytes]] = {}
    for n, (why, path) in enumerate(bad.items()):
        client = from_address(f"203.0.113.{n + 1}")  # one address each: no throttling here
        got = client.get(path)
        posted = client.post(path, data={"anything": "1"})
        assert got.headers["referrer-policy"] == "no-referrer", why
        assert (got.status_code, got.content) == (posted.status_code, posted.content), why
        answers[why] = (got.status_code, got.content)
    assert {status for status, _ in answers.values()} == {404}
    assert len({body for _, body in answers.values()}) == 1, "a refusal told why"
    assert run_due(api_platform).expired >= 1
    after_job = from_address("203.0.113.99").get(expiring)
    assert (after_job.status_code, after_job.content) == next(iter(answers.values()))
    listed = {x["id"]: x["status"] for x in dm.get(f"{API}/assessment-links").json()}
    assert listed[expiring_id] == "expired"
    assert listed[used_id] == "answered"


def test_guessing_links_is_throttled_like_sign_in(
    api_platform: Platform,
    settings: Settings,
    dm: UserClient,
    smtp_server: SmtpSink,
    from_address: Callable[[str], TestClient],
    clock: Clock,
) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    _, good = _sent(dm, smtp_server, case_id)
    attacker = from_address("203.0.113.50")
    limit = settings.login_failures_before_lockout
    guesses = [attacker.get(_forged(settings, uuid.uuid4().hex, f"guess{n}")).status_code
               for n in range(limit + 3)]  # fmt: skip
    assert guesses[:limit] == [404] * limit
    assert set(guesses[limit:]) == {429}
    refused = attacker.get(good)  # even a real link waits, from the guessing address
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert from_address("198.51.100.20").get(good).status_code == 200  # others are not slowed
    clock.advance(settings.lockout_minutes * 60 + 1)
    assert attacker.get(good).status_code == 200


def test_the_page_shows_no_identifier_and_the_mail_no_case_value(
    api_platform: Platform, dm: UserClient, smtp_server: SmtpSink, anon: TestClient
) -> None:
    case_id, record = unassessed_case(api_platform, HOME)
    _, path = _sent(dm, smtp_server, case_id)
    mail = smtp_server.received[-1].text()
    page = anon.get(path)
    assert page.status_code == 200
    assert '<meta name="referrer" content="no-referrer">' in page.text
    assert "'self'" in page.headers["content-security-policy"]
    values = [str(v) for v in record.values() if isinstance(v, str | int) and len(str(v)) >= 4]
    assert values, "the record gave nothing to look for"
    for value in [*values, case_id]:
        assert value not in mail, "the e-mail carries a case value"
    assert str(record["local_case_id"]) not in page.text
    assert case_id not in page.text
    dates = [v for v in values if len(v) == 10 and v[4] == "-" and v[7] == "-"]
    assert dates, "the record gave no date to look for"
    assert not [d for d in dates if d in page.text], "the page shows a full date"


def test_the_clinicians_address_stays_with_the_sending(
    api_platform: Platform,
    dm: UserClient,
    smtp_server: SmtpSink,
    anon: TestClient,
    client_for: Callable[[str], UserClient],
) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    _, path = _sent(dm, smtp_server, case_id)
    definition = api_platform.registry(REG).current
    page = anon.get(path).text
    names = [n for n in definition.elements if f'name="{n}"' in page]
    assert anon.post(path, data=form_answers(definition, names)).status_code == 200
    admin = client_for(REGISTRY_ADMIN)
    case = admin.get(f"{API}/cases/{case_id}")
    history = admin.get(f"{API}/cases/{case_id}/history")
    export = admin.get(f"{API}/export", params={"format": "csv"})
    for response in (case, history, export):
        assert response.status_code == 200, response.text
        assert CLINICIAN not in response.text
    assert "clinician by link" in history.text


def test_other_facilities_and_viewers_cannot_handle_links(
    api_platform: Platform,
    dm: UserClient,
    smtp_server: SmtpSink,
    client_for: Callable[[str], UserClient],
) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    link_id, _ = _sent(dm, smtp_server, case_id)
    stranger, viewer = client_for(OTHER_SITE), client_for(VIEWER)
    nowhere = str(uuid.uuid4())
    for action in ("revoke", "resend"):
        foreign = stranger.post(f"/api/v1/assessment-links/{link_id}/{action}")
        unknown = stranger.post(f"/api/v1/assessment-links/{nowhere}/{action}")
        assert (foreign.status_code, foreign.content) == (unknown.status_code, unknown.content)
        assert foreign.status_code == 404
        assert viewer.post(f"/api/v1/assessment-links/{link_id}/{action}").status_code == 403
    assert stranger.get(f"{API}/assessment-links").json() == []
    seen = viewer.get(f"{API}/assessment-links").json()
    assert [x["id"] for x in seen] == [link_id]  # the facility's viewers see what is pending
    sent = viewer.post(f"{API}/cases/{case_id}/assessment-links", json={"email": CLINICIAN})
    assert sent.status_code == 403
    assert len(smtp_server.received) == 1
