"""The periodic pass over assessment links (a job on the queue, never a request handler):
mark the links past their date expired, and remind once the clinicians who have not answered
``assessment_reminder_days`` after the sending.

Only a hash of a link's secret is stored, so a reminder carries a fresh link and the first one
stops working. The message goes out before the row changes: when the SMTP server refuses it,
nothing changes and the next pass tries again; when the link was answered or revoked
meanwhile, the row is left as it is (the new link then opens nothing).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update

from printreg.accounts.actor import Actor
from printreg.assessment_links import mails, tokens
from printreg.assessment_links.models import AssessmentLink
from printreg.assessment_links.notices import tell_facility
from printreg.assessment_links.schemas import OPEN, DueRun, LinkStatus
from printreg.audit import audit
from printreg.notifications.kinds import NotificationKind
from printreg.notifications.mail import MailNotSent, mail_enabled, send_mail
from printreg.platform import Platform

log = logging.getLogger(__name__)
EVERY_SECONDS = 3600  # between two passes queued by the workers
KIND = "assessment-links"


def run_due(platform: Platform) -> DueRun:
    """Expire the links past their date, then send the reminders that are due; return counts."""
    now = platform.clock()
    expired = _expire(platform, now)
    reminded = not_sent = 0
    if mail_enabled(platform.settings):
        for row in _due_reminders(platform, now):
            if _remind(platform, row, now):
                reminded += 1
            else:
                not_sent += 1
    return DueRun(reminded=reminded, expired=expired, not_sent=not_sent)


def _expire(platform: Platform, now: dt.datetime) -> int:
    actor = Actor.operator("assessment-links")
    with platform.sessions.begin() as session:
        rows = session.scalars(
            select(AssessmentLink)
            .where(AssessmentLink.status.in_(OPEN), AssessmentLink.expires_at <= now)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            before = row.status
            row.status = LinkStatus.EXPIRED.value
            row.closed_at = now
            row.closed_by = actor.name
            audit(session, actor, "expire", "assessment_link", str(row.id),
                  registry_code=row.registry_code, facility_id=row.facility_id,
                  before={"status": before}, after={"status": row.status})  # fmt: skip
        return len(rows)


def _due_reminders(platform: Platform, now: dt.datetime) -> list[AssessmentLink]:
    wait = dt.timedelta(days=platform.settings.assessment_reminder_days)
    with platform.sessions() as session:
        rows = session.scalars(
            select(AssessmentLink).where(
                AssessmentLink.status == LinkStatus.SENT.value,
                AssessmentLink.reminded_at.is_(None),
                AssessmentLink.sent_at <= now - wait,
                AssessmentLink.expires_at > now,
            )
        ).all()
        session.expunge_all()
        return list(rows)


def _remind(platform: Platform, row: AssessmentLink, now: dt.datetime) -> bool:
    """Send one reminder with a fresh link; return whether it went out."""
    token, hashed = tokens.new_token(platform.settings, row.id)
    registry_name = platform.registry(row.registry_code).current.registry.name
    expires_at = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
    mail = mails.reminder_mail(
        row.contact_email, registry_name, tokens.link_url(platform.settings, token), expires_at
    )
    try:
        send_mail(platform.settings, mail)
    except MailNotSent as exc:
        log.warning("assessment link %s: reminder not sent (%s)", row.id, type(exc).__name__)
        return False
    actor = Actor.operator("assessment-links")
    with platform.sessions.begin() as session:
        done = session.execute(
            update(AssessmentLink)
            .where(AssessmentLink.id == row.id, AssessmentLink.status == LinkStatus.SENT.value,
                   AssessmentLink.token_hash == row.token_hash)
            .values(status=LinkStatus.REMINDED.value, reminded_at=now, token_hash=hashed)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        if done.rowcount == 1:  # type: ignore[attr-defined]
            audit(session, actor, "remind", "assessment_link", str(row.id),
                  registry_code=row.registry_code, facility_id=row.facility_id,
                  before={"status": LinkStatus.SENT.value},
                  after={"status": LinkStatus.REMINDED.value})  # fmt: skip
            tell_facility(session, row.registry_code, row.case_id, row.id,
                          NotificationKind.ASSESSMENT_REMINDER,
                          "A reminder was sent: an assessment is still awaited")  # fmt: skip
    return True


def register_jobs() -> None:
    """Make the pass a periodic task of the job queue's workers."""
    from printreg.jobs import queue  # noqa: PLC0415 - the queue imports the platform

    def job(platform: Platform, _payload: dict[str, object]) -> None:
        run_due(platform)

    queue.register_periodic(KIND, job, EVERY_SECONDS)
