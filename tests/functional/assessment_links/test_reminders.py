"""Reminders and expiry run as a periodic task of the job queue's workers: one reminder, with a
fresh link, after ``assessment_reminder_days`` without an answer; links past their date expired.
Time is moved with ``Platform.clock``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.assessment_links import CLINICIAN, link_path, unassessed_case
from tests.support.clock import Clock
from tests.support.smtp import SmtpSink
from tests.support.web import API, HOME, UserClient

from printreg.assessment_links.due import KIND, run_due
from printreg.jobs import queue
from printreg.jobs.models import QueuedJob
from printreg.jobs.worker import Worker, load_job_functions
from printreg.platform import Platform
from printreg.settings import Settings

DAY = 86400


@pytest.fixture
def clock(api_platform: Platform) -> Iterator[Clock]:
    """Give the platform a hand-moved clock."""
    clock, original = Clock(), api_platform.clock
    api_platform.clock = clock
    yield clock
    api_platform.clock = original


def _status(dm: UserClient, link_id: str) -> str:
    found = {x["id"]: x["status"] for x in dm.get(f"{API}/assessment-links").json()}
    return found[link_id]


def _notices(dm: UserClient) -> list[tuple[str, str]]:
    """Return (kind, link) of the data manager's notifications, oldest first."""
    items = dm.get("/api/v1/notifications").json()["items"]
    return [(n["kind"], n["link"]) for n in reversed(items)]


def test_a_worker_reminds_once_with_a_fresh_link(
    api_platform: Platform,
    settings: Settings,
    dm: UserClient,
    anon: TestClient,
    smtp_server: SmtpSink,
    clock: Clock,
) -> None:
    case_id, record = unassessed_case(api_platform, HOME)
    sent = dm.post(f"{API}/cases/{case_id}/assessment-links", json={"email": CLINICIAN}).json()
    first = link_path(smtp_server.wait_for(1)[0])
    case_page = f"/registries/3dp/cases/{case_id}"
    assert _notices(dm) == [("assessment_requested", case_page)]  # in the app, not e-mailed

    clock.advance((settings.assessment_reminder_days - 1) * DAY)
    assert run_due(api_platform).reminded == 0  # not due yet
    clock.advance(2 * DAY)
    load_job_functions()  # what a worker registers, then queues each hour
    assert queue.queue_periodic(api_platform, 3) >= 1
    assert Worker(api_platform, once=True).run() >= 1
    with api_platform.sessions() as session:
        assert session.scalar(select(QueuedJob.status).where(QueuedJob.kind == KIND)) == "done"
    reminder = smtp_server.wait_to(CLINICIAN, 2)[1]
    assert reminder.recipients == [CLINICIAN]
    assert "Reminder" in str(reminder.message["Subject"])
    assert str(record["local_case_id"]) not in reminder.text()
    second = link_path(reminder)
    assert second != first
    assert _status(dm, str(sent["id"])) == "reminded"
    assert _notices(dm)[-1] == ("assessment_reminder", case_page)
    assert anon.get(first).status_code == 404  # only a hash is kept: the new link replaces it
    assert anon.get(second).status_code == 200

    clock.advance(DAY)
    again = run_due(api_platform)
    assert (again.reminded, again.expired) == (0, 0)  # once only
    assert len(smtp_server.to(CLINICIAN)) == 2
    # the facility's staff were told of the reminder by e-mail too: a link, never the case's id
    notice = smtp_server.wait_to("data.manager@demo.printreg.org")  # sent after the commit
    assert len(notice) == 1
    assert case_page in notice[0].text()
    assert str(record["local_case_id"]) not in notice[0].text()


def test_links_expire_and_a_refused_reminder_is_tried_again(
    api_platform: Platform,
    settings: Settings,
    dm: UserClient,
    anon: TestClient,
    smtp_server: SmtpSink,
    clock: Clock,
) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    sent = dm.post(f"{API}/cases/{case_id}/assessment-links", json={"email": CLINICIAN}).json()
    path = link_path(smtp_server.wait_for(1)[0])
    clock.advance((settings.assessment_reminder_days + 1) * DAY)
    working = api_platform.settings
    api_platform.settings = working.model_copy(update={"smtp_port": 9})  # nothing listens
    refused = run_due(api_platform)
    assert (refused.reminded, refused.not_sent) == (0, 1)
    assert _status(dm, str(sent["id"])) == "sent"
    assert anon.get(path).status_code == 200  # the first link still works
    api_platform.settings = working
    assert run_due(api_platform).reminded == 1

    clock.advance(settings.assessment_link_days * DAY)
    done = run_due(api_platform)
    assert done.expired == 1
    assert _status(dm, str(sent["id"])) == "expired"
    assert run_due(api_platform).expired == 0
