"""``notify`` and the e-mail it queues: stored with the caller's transaction, sent to the real
SMTP server on loopback in-process and through the job queue, retried while the server refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update
from tests.support.notifications import (
    PUBLIC_URL,
    links,
    notifications_of,
    send_mail_from,
    user_id,
)
from tests.support.servers import free_port
from tests.support.smtp import SmtpSink
from tests.support.web import DATA_MANAGER, FACILITY_ADMIN, VIEWER

from printreg.accounts.activation import ActivationService
from printreg.accounts.actor import Actor
from printreg.accounts.service import AccountService
from printreg.jobs.models import QueuedJob
from printreg.jobs.worker import Worker
from printreg.notifications import delivery
from printreg.notifications.batches import gather
from printreg.notifications.kinds import NotificationKind
from printreg.notifications.models import Notification
from printreg.notifications.schemas import PreferencesUpdate
from printreg.notifications.service import NotificationService, notify
from printreg.platform import Platform
from printreg.settings import Settings

KIND = NotificationKind.REQUEST_DECISION
TITLE = "Your data request in registry 3dp was approved"


def _notify(platform: Platform, emails: list[str], link: str = "/requests/abc") -> list[int]:
    with platform.sessions() as session, session.begin():
        ids = [user_id(platform, e) for e in emails]
        return notify(session, [*ids, ids[0], None], KIND, TITLE, link)


def _mail_states(platform: Platform) -> list[tuple[str | None, int]]:
    with platform.sessions() as session:
        rows = session.execute(select(Notification.mail, Notification.mail_attempts)
                               .order_by(Notification.id))  # fmt: skip
        return list(rows)


def test_without_smtp_a_notification_stays_in_the_app(
    api_platform: Platform, smtp_server: SmtpSink
) -> None:
    ids = _notify(api_platform, [DATA_MANAGER, VIEWER])
    assert len(ids) == 2  # once per person, None skipped
    (row,) = notifications_of(api_platform, DATA_MANAGER)
    assert (row.kind, row.title, row.link, row.read_at, row.mail) == (
        KIND.value, TITLE, "/requests/abc", None, None,
    )  # fmt: skip
    assert smtp_server.received == []


def test_an_e_mail_carries_the_title_and_an_absolute_link(
    api_platform: Platform, mail_settings: Settings, smtp_server: SmtpSink
) -> None:
    send_mail_from(api_platform, mail_settings)
    _notify(api_platform, [DATA_MANAGER])
    (received,) = smtp_server.wait_for(1)
    assert received.recipients == [DATA_MANAGER]
    assert received.message["Subject"] == f"printreg: {TITLE}"
    assert links(received) == [
        f"{PUBLIC_URL}/requests/abc", f"{PUBLIC_URL}/notifications/preferences",
    ]  # fmt: skip
    assert received.text().splitlines()[0] == TITLE
    _wait_for_state(api_platform, "sent")


def _wait_for_state(platform: Platform, state: str) -> None:
    """The in-process sender writes the outcome just after the server took the message."""
    for _ in range(200):
        if [m for m, _ in _mail_states(platform)] == [state]:
            return
        threading_sleep()
    raise AssertionError(f"mail states: {_mail_states(platform)}")


def threading_sleep() -> None:
    import time  # noqa: PLC0415

    time.sleep(0.05)


def test_nothing_is_stored_or_sent_when_the_transaction_rolls_back(
    api_platform: Platform, mail_settings: Settings, smtp_server: SmtpSink
) -> None:
    send_mail_from(api_platform, mail_settings)
    person = user_id(api_platform, DATA_MANAGER)

    def decide_and_fail() -> None:
        with api_platform.sessions() as session, session.begin():
            notify(session, [person], KIND, TITLE, "/requests/abc")
            raise RuntimeError("the decision failed")

    with pytest.raises(RuntimeError):
        decide_and_fail()
    _notify(api_platform, [VIEWER])  # a later commit of another notification only
    (received,) = smtp_server.wait_for(1)
    assert received.recipients == [VIEWER]
    assert notifications_of(api_platform, DATA_MANAGER) == []


def test_e_mail_follows_each_person_s_preference(
    api_platform: Platform, mail_settings: Settings, smtp_server: SmtpSink
) -> None:
    send_mail_from(api_platform, mail_settings)
    viewer = AccountService(api_platform).actor_for(user_id(api_platform, VIEWER))
    NotificationService(api_platform, viewer).set_preferences(
        PreferencesUpdate(email={KIND: False})
    )
    _notify(api_platform, [DATA_MANAGER, VIEWER])
    smtp_server.wait_for(1)
    assert [r.recipients for r in smtp_server.received] == [[DATA_MANAGER]]
    assert len(notifications_of(api_platform, VIEWER)) == 1  # in the app all the same
    # a kind that is off by default sends nothing to someone who chose nothing
    with api_platform.sessions() as session, session.begin():
        notify(session, [user_id(api_platform, DATA_MANAGER)],
               NotificationKind.ASSESSMENT_REQUESTED, "An assessment was sent", "/")  # fmt: skip
    assert notifications_of(api_platform, DATA_MANAGER)[-1].mail is None


def test_deactivated_people_get_nothing(api_platform: Platform) -> None:
    operator = Actor.operator("test")
    ActivationService(api_platform, operator).set_active(
        user_id(api_platform, VIEWER), active=False, reason="left the lab"
    )
    assert len(_notify(api_platform, [DATA_MANAGER, VIEWER])) == 1
    assert notifications_of(api_platform, VIEWER) == []


def test_titles_that_look_like_identifiers_and_foreign_links_are_refused(
    api_platform: Platform,
) -> None:
    person = user_id(api_platform, FACILITY_ADMIN)
    with api_platform.sessions() as session, session.begin():
        notify(session, [person], KIND, "Query on MRN 12345678 for John Smith", "/cases/1")
        for bad in ("https://elsewhere.example/x", "//elsewhere.example/x", "cases/1", "/a b"):
            with pytest.raises(ValueError, match="link"):
                notify(session, [person], KIND, TITLE, bad)
    (row,) = notifications_of(api_platform, FACILITY_ADMIN)
    assert row.title == "Your data request was decided"  # the kind's own words


# -- through the job queue ----------------------------------------------------------------------


def test_the_queue_sends_and_retries_while_the_server_refuses(
    api_platform: Platform, mail_settings: Settings, smtp_server: SmtpSink
) -> None:
    down = send_mail_from(api_platform, mail_settings, job_runner="queue", smtp_port=free_port())
    _notify(api_platform, [DATA_MANAGER])
    assert smtp_server.received == []  # queued with the commit, not sent by the web process
    assert Worker(api_platform, once=True).run() == 1
    assert _mail_states(api_platform) == [("queued", 1)]
    with api_platform.sessions() as session:
        jobs = session.scalars(select(QueuedJob).order_by(QueuedJob.created_at)).all()
    assert [(j.kind, j.status) for j in jobs] == [
        (delivery.QUEUE_KIND, "done"), (delivery.QUEUE_KIND, "queued"),
    ]  # fmt: skip
    assert all(j.payload == {"notification": jobs[0].payload["notification"]} for j in jobs)
    wait = (_aware(jobs[1].run_after) - _aware(jobs[0].finished_at)).total_seconds()
    assert wait >= delivery.RETRY_SECONDS - 1  # not before the retry delay
    assert Worker(api_platform, once=True).run() == 0  # not yet due

    # the server is back and the retry is due
    api_platform.settings = down.model_copy(update={"smtp_port": smtp_server.port})
    with api_platform.sessions.begin() as session:
        session.execute(update(QueuedJob).where(QueuedJob.status == "queued")
                        .values(run_after=dt.datetime.now(dt.UTC)))  # fmt: skip
    assert Worker(api_platform, once=True).run() == 1
    (received,) = smtp_server.wait_for(1)
    assert received.recipients == [DATA_MANAGER]
    assert _mail_states(api_platform) == [("sent", 2)]


def test_the_queue_gives_up_after_job_attempts_refusals(
    api_platform: Platform,
    mail_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "RETRY_SECONDS", 0.0)
    send_mail_from(api_platform, mail_settings, job_runner="queue", smtp_port=free_port(),
                   job_attempts=3)  # fmt: skip
    _notify(api_platform, [DATA_MANAGER])
    assert Worker(api_platform, once=True).run() == 3
    assert _mail_states(api_platform) == [("failed", 3)]


def test_in_process_sending_retries_then_gives_up(
    api_platform: Platform, mail_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "RETRY_SECONDS", 0.01)
    send_mail_from(api_platform, mail_settings, smtp_port=free_port(), job_attempts=2)
    _notify(api_platform, [DATA_MANAGER])
    for _ in range(200):
        if _mail_states(api_platform) == [("failed", 2)]:
            break
        threading_sleep()
    assert _mail_states(api_platform) == [("failed", 2)]


def _aware(value: dt.datetime | None) -> dt.datetime:
    assert value is not None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# -- several events of one transaction ------------------------------------------------------------


def _gather(platform: Platform, emails: list[str], events: int) -> None:
    people = tuple(user_id(platform, e) for e in emails)
    with platform.sessions() as session, session.begin():
        for n in range(events):
            gather(session, NotificationKind.QUERY_RAISED, people, (f"Query {n}", f"/queries/{n}"),
                   ("{count} queries were raised at F0001", "/registries/3dp/queries"))  # fmt: skip


def test_events_of_one_transaction_become_one_notification(api_platform: Platform) -> None:
    _gather(api_platform, [DATA_MANAGER, FACILITY_ADMIN], 3)
    _gather(api_platform, [DATA_MANAGER], 1)
    assert [(n.title, n.link) for n in notifications_of(api_platform, DATA_MANAGER)] == [
        ("3 queries were raised at F0001", "/registries/3dp/queries"), ("Query 0", "/queries/0"),
    ]  # fmt: skip
    assert len(notifications_of(api_platform, FACILITY_ADMIN)) == 1


def test_gathered_events_of_a_rolled_back_transaction_tell_nobody(api_platform: Platform) -> None:
    person = user_id(api_platform, DATA_MANAGER)

    def raise_and_fail() -> None:
        with api_platform.sessions() as session, session.begin():
            gather(session, NotificationKind.QUERY_RAISED, (person,), ("Q", "/queries/1"),
                   ("{count} queries", "/queries"))  # fmt: skip
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        raise_and_fail()
    _gather(api_platform, [VIEWER], 1)  # the same kind of session, later: nothing carried over
    assert notifications_of(api_platform, DATA_MANAGER) == []
