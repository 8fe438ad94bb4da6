"""E-mail of notifications: composed from the stored title and link only, sent by a job.

``notify`` (``service.py``) stores the notification and hands its id here in the same
transaction. With ``job_runner`` "queue" a ``notification-mail`` job is queued with it and a
worker sends; "inprocess" sends from a thread of this process once the transaction commits. Either
way the same ``deliver`` runs, and a refused sending (``MailNotSent``) is tried again after
``RETRY_SECONDS``, doubled each time, until ``job_attempts`` sendings were refused; the
notification then says ``failed``. The message is built from the notification row alone: its
title (words written by code) and an absolute link (``public_url`` + path), never a case value.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from printreg.accounts.models import User
from printreg.jobs import queue
from printreg.notifications.mail import Mail, MailNotSent, mail_enabled, send_mail
from printreg.notifications.models import Notification
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.base import utcnow

log = logging.getLogger(__name__)

QUEUE_KIND = "notification-mail"  # the job function's name in the job queue
RETRY_SECONDS = 60.0  # wait after the first refused sending; doubled after each further one
PREFERENCES_PATH = "/notifications/preferences"
_PENDING = "notification_mail_pending"  # session.info: ids to send once the transaction commits
_LISTENING = "notification_mail_listening"


def absolute(settings: Settings, path: str) -> str:
    """Return the address people open for a path of this installation."""
    return settings.public_url.rstrip("/") + path


def compose(settings: Settings, to: str, title: str, link: str) -> Mail:
    """Return the e-mail of a notification: its title and link, and where to change the choice."""
    text = (
        f"{title}\n\n"
        f"Open it in printreg (sign in if asked):\n{absolute(settings, link)}\n\n"
        "This message carries no case data: the page shows what it is about to those who may "
        "see it.\n"
        f"Choose which notifications reach you by e-mail: {absolute(settings, PREFERENCES_PATH)}\n"
    )
    return Mail(to=to, subject=f"printreg: {title}", text=text)


def retry_delay(refused: int) -> float:
    """Return the seconds to wait after the ``refused``-th refused sending (1, 2, ...)."""
    return float(RETRY_SECONDS * 2 ** max(refused - 1, 0))


# -- sending one notification ---------------------------------------------------------------


def deliver(platform: Platform, notification_id: int) -> bool:
    """Send a notification's e-mail unless it was sent already or is no longer wanted; return
    whether a message left. Raises ``MailNotSent`` (counted on the row) when the server refused."""
    settings = platform.settings
    with platform.sessions() as session:
        row = session.get(Notification, notification_id)
        user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or row.mail != "queued":
        return False  # rolled back, or sent or given up by an earlier run
    if not user.active or not mail_enabled(settings):
        _set(platform, notification_id, mail=None)
        return False
    try:
        send_mail(settings, compose(settings, user.email, row.title, row.link))
    except MailNotSent:
        _set(platform, notification_id, mail_attempts=Notification.mail_attempts + 1)
        raise
    _set(platform, notification_id, mail="sent", mail_attempts=Notification.mail_attempts + 1)
    return True


def _set(platform: Platform, notification_id: int, **values: Any) -> None:
    with platform.sessions.begin() as session:
        session.execute(
            update(Notification).where(Notification.id == notification_id).values(**values)
        )


def _refused(platform: Platform, notification_id: int) -> int:
    """Return how many sendings of the notification were refused; mark it failed when that is
    all the tries it gets (``job_attempts``), 0 then."""
    with platform.sessions() as session:
        row = session.get(Notification, notification_id)
    refused = row.mail_attempts if row is not None else 0
    if refused >= platform.settings.job_attempts:
        _set(platform, notification_id, mail="failed")
        log.warning("notification %s: e-mail given up after %d refusals", notification_id, refused)
        return 0
    return refused


# -- job_runner "queue" -----------------------------------------------------------------------


def run_queued(platform: Platform, payload: dict[str, Any]) -> None:
    """Send one notification's e-mail (the queue's job function); queue it again, later, when
    the server refused and tries are left."""
    notification_id = int(payload["notification"])
    try:
        deliver(platform, notification_id)
    except MailNotSent as exc:
        log.warning("notification %s: e-mail not sent (%s)", notification_id, type(exc).__name__)
        refused = _refused(platform, notification_id)
        if refused:
            later = utcnow() + dt.timedelta(seconds=retry_delay(refused))
            with platform.sessions.begin() as session:
                queue.enqueue(session, QUEUE_KIND, {"notification": notification_id},
                              max_attempts=platform.settings.job_attempts, run_after=later)  # fmt: skip


def queued_gave_up(platform: Platform, payload: dict[str, Any], message: str) -> None:
    """Mark the e-mail failed when its job failed for good (its workers died, or it raised)."""
    del message
    _set(platform, int(payload["notification"]), mail="failed")


queue.register(QUEUE_KIND, run_queued, queued_gave_up)


# -- job_runner "inprocess" -------------------------------------------------------------------


def _send_all(platform: Platform, ids: Sequence[int]) -> None:
    """Send each notification's e-mail (a thread's body: nothing escapes it)."""
    for notification_id in ids:
        try:
            _send_retrying(platform, notification_id)
        except Exception as exc:  # noqa: BLE001 - a thread's end: logged by type, row says queued
            why = type(exc).__name__  # no message: a database error quotes values
            log.error("notification %s: e-mail job raised %s", notification_id, why)  # noqa: TRY400


def _send_retrying(platform: Platform, notification_id: int) -> None:
    """Send one notification's e-mail, waiting and trying again while the server refuses."""
    while True:
        try:
            deliver(platform, notification_id)
        except MailNotSent as exc:
            log.warning(
                "notification %s: e-mail not sent (%s)", notification_id, type(exc).__name__
            )
            refused = _refused(platform, notification_id)
            if refused:
                time.sleep(retry_delay(refused))
                continue
        return


def _after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING, None)
    platform = session.info.get("platform")
    if ids and isinstance(platform, Platform):
        threading.Thread(
            target=_send_all, args=(platform, list(ids)), name="notification-mail", daemon=True
        ).start()


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def queue_mail(session: Session, platform: Platform, notification_ids: Sequence[int]) -> None:
    """Have the notifications' e-mails sent once the caller's transaction commits."""
    if not notification_ids:
        return
    if platform.settings.job_runner == "queue":
        for notification_id in notification_ids:
            queue.enqueue(session, QUEUE_KIND, {"notification": notification_id},
                          max_attempts=platform.settings.job_attempts)  # fmt: skip
        return
    session.info.setdefault(_PENDING, []).extend(notification_ids)
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
