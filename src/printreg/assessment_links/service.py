"""Sending, listing, revoking and resending assessment links (the facility's staff).

Who may: those who may change the case's facility's cases (its data managers and
administrators, the registry's administrators); others' cases are not found, as everywhere.
The link goes out by e-mail as soon as it is stored; when the SMTP server refuses it, the
sending is taken back and MailNotSent says what to check. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.assessment_links import mails, tokens
from printreg.assessment_links.models import AssessmentLink
from printreg.assessment_links.notices import tell_facility
from printreg.assessment_links.schemas import OPEN, AssessmentLinkPublic, LinkStatus
from printreg.assessment_links.spec import AssessmentLinkSpec, link_spec
from printreg.audit import audit
from printreg.cases.service import locate_case
from printreg.domain.errors import Conflict, InvalidRequest, NotFound
from printreg.domain.facility import CaseStatus
from printreg.facilities.models import Facility
from printreg.notifications.kinds import NotificationKind
from printreg.notifications.mail import MailNotSent, mail_enabled, send_mail
from printreg.platform import Platform, RegistryRuntime

EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
ENTITY = "assessment_link"


def require_spec(runtime: RegistryRuntime) -> AssessmentLinkSpec:
    """Return the registry's spec; Conflict when the registry offers no assessment by link."""
    spec = link_spec(runtime.current)
    if spec is None:
        raise Conflict(f"registry {runtime.code} has no section answered by link")
    return spec


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for aware columns: read them back as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def public(row: AssessmentLink, facility_code: str) -> AssessmentLinkPublic:
    """Return the staff view of a row."""
    return AssessmentLinkPublic(
        id=row.id,
        registry=row.registry_code,
        case_id=row.case_id,
        facility=facility_code,
        section=row.section,
        contact_email=row.contact_email,
        status=LinkStatus(row.status),
        sent_by=row.sent_by,
        sent_at=aware(row.sent_at),
        expires_at=aware(row.expires_at),
        reminded_at=row.reminded_at and aware(row.reminded_at),
        answered_at=row.answered_at and aware(row.answered_at),
        closed_at=row.closed_at and aware(row.closed_at),
        closed_by=row.closed_by,
        resent_from=row.resent_from,
    )


def _snapshot(row: AssessmentLink) -> dict[str, str]:
    """Return what the audit keeps of a sending: its state, never the address or the hash."""
    return {"status": row.status, "case_id": str(row.case_id), "section": row.section}


class AssessmentLinkService:
    """Send, list, revoke and resend the links of the cases the actor may change."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    # -- sending --------------------------------------------------------------------------------

    def send(self, registry: str, case_id: uuid.UUID, email: str) -> AssessmentLinkPublic:
        """Store a sending of the case's assessment section and e-mail its link; return it.

        InvalidRequest for an address that is not one; Conflict when the case is locked or
        deleted, the registry offers no link, or this installation sends no e-mail;
        MailNotSent when the SMTP server refuses the message (the sending is then closed as
        not sent: its link was never given to anyone)."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions.begin() as session:
            # who may comes first: a refusal says nothing about the input of a stranger
            case = locate_case(session, runtime, self.actor, case_id)
            self.actor.require_case_write(registry, case.facility_id)
            email = self._usable(runtime, email)
            if case.deleted_at is not None or case.status == CaseStatus.LOCKED:
                raise Conflict("the case is locked or deleted: its assessment cannot be asked for")
            spec = require_spec(runtime)
            row, token = self._new_row(session, registry, case.id, case.facility_id, spec, email)
            view = public(row, self._facility_code(session, row.facility_id))
        self._deliver(view, token, runtime.current.registry.name)
        return view

    def _usable(self, runtime: RegistryRuntime, email: str) -> str:
        """Return the address trimmed; InvalidRequest when it is not one, Conflict when the
        registry offers no link or this installation sends no e-mail."""
        email = email.strip()
        if len(email) > 254 or not EMAIL.match(email):
            raise InvalidRequest("give the clinician's e-mail address, like name@hospital.org")
        require_spec(runtime)
        if not mail_enabled(self.platform.settings):
            raise Conflict("this installation sends no e-mail: set PRINTREG_SMTP_HOST first")
        return email

    def _new_row(
        self,
        session: Session,
        registry: str,
        case_id: uuid.UUID,
        facility_id: int,
        spec: AssessmentLinkSpec,
        email: str,
        resent_from: uuid.UUID | None = None,
    ) -> tuple[AssessmentLink, str]:
        link_id = uuid.uuid4()
        token, hashed = tokens.new_token(self.platform.settings, link_id)
        now = self.platform.clock()
        row = AssessmentLink(
            id=link_id,
            registry_code=registry,
            case_id=case_id,
            facility_id=facility_id,
            section=spec.section,
            contact_email=email,
            token_hash=hashed,
            status=LinkStatus.SENT.value,
            sent_by=self.actor.name,
            sent_at=now,
            expires_at=now + dt.timedelta(days=self.platform.settings.assessment_link_days),
            resent_from=resent_from,
        )
        session.add(row)
        audit(session, self.actor, "send", ENTITY, str(link_id), registry_code=registry,
              facility_id=facility_id, after=_snapshot(row))  # fmt: skip
        session.flush()
        return row, token

    def _deliver(self, view: AssessmentLinkPublic, token: str, registry_name: str) -> None:
        """E-mail the link; when that fails, take the sending back and raise MailNotSent."""
        url = tokens.link_url(self.platform.settings, token)
        mail = mails.request_mail(view.contact_email, registry_name, url, view.expires_at)
        try:
            send_mail(self.platform.settings, mail)
        except MailNotSent:
            with self.platform.sessions.begin() as session:
                row = session.get(AssessmentLink, view.id)
                if row is not None:
                    row.status = LinkStatus.REVOKED.value
                    row.closed_at = self.platform.clock()
                    row.closed_by = "not sent: the SMTP server refused the message"
            raise
        with self.platform.sessions.begin() as session:
            tell_facility(session, view.registry, view.case_id, view.id,
                          NotificationKind.ASSESSMENT_REQUESTED,
                          "An assessment was sent to a clinician")  # fmt: skip

    # -- reading --------------------------------------------------------------------------------

    def section_label(self, registry: str) -> str | None:
        """Return the label of the section the registry's links open; None when it has none."""
        definition = self.platform.registry(registry).current
        spec = link_spec(definition)
        if spec is None:
            return None
        return next(s.label for s in definition.sections if s.code == spec.section)

    def _facility_code(self, session: Session, facility_id: int) -> str:
        facility = session.get(Facility, facility_id)
        assert facility is not None  # noqa: S101 - a foreign key guarantees it
        return facility.code

    def links(
        self,
        registry: str,
        status: LinkStatus | None = None,
        case_id: uuid.UUID | None = None,
    ) -> list[AssessmentLinkPublic]:
        """Return the sendings of the cases the actor may read, newest first (none: [])."""
        self.platform.registry(registry)  # NotFound for an unknown registry
        facilities = self.actor.readable_facilities(registry)
        query = select(AssessmentLink, Facility.code).join(
            Facility, Facility.id == AssessmentLink.facility_id
        ).where(AssessmentLink.registry_code == registry)  # fmt: skip
        if facilities is not None:
            query = query.where(AssessmentLink.facility_id.in_(facilities))
        if status is not None:
            query = query.where(AssessmentLink.status == status.value)
        if case_id is not None:
            query = query.where(AssessmentLink.case_id == case_id)
        with self.platform.sessions() as session:
            rows = session.execute(query.order_by(AssessmentLink.sent_at.desc())).all()
            return [public(row, code) for row, code in rows]

    def _writable(self, session: Session, link_id: uuid.UUID) -> AssessmentLink:
        """Return a sending whose case the actor may change; NotFound for others' alike."""
        row = session.get(AssessmentLink, link_id, with_for_update=True)
        if row is None or not self.actor.may_read_cases(row.registry_code, row.facility_id):
            raise NotFound.no_such("assessment link")
        self.actor.require_case_write(row.registry_code, row.facility_id)
        return row

    # -- revoking and resending -----------------------------------------------------------------

    def revoke(self, link_id: uuid.UUID) -> AssessmentLinkPublic:
        """Stop an open link at once; Conflict when it is answered, expired or revoked."""
        with self.platform.sessions.begin() as session:
            row = self._writable(session, link_id)
            self._close(session, row)
            return public(row, self._facility_code(session, row.facility_id))

    def _close(self, session: Session, row: AssessmentLink) -> None:
        if row.status not in OPEN:
            raise Conflict(f"the link is already {row.status}")
        before = _snapshot(row)
        row.status = LinkStatus.REVOKED.value
        row.closed_at = self.platform.clock()
        row.closed_by = self.actor.name
        audit(session, self.actor, "revoke", ENTITY, str(row.id), registry_code=row.registry_code,
              facility_id=row.facility_id, before=before, after=_snapshot(row))  # fmt: skip

    def resend(self, link_id: uuid.UUID, email: str | None = None) -> AssessmentLinkPublic:
        """Revoke the link when still open and send a new one for the same case (to ``email``,
        or the same address); return the new sending. Conflict once the case was answered."""
        with self.platform.sessions.begin() as session:
            old = self._writable(session, link_id)
            if old.status == LinkStatus.ANSWERED:
                raise Conflict("the clinician has answered: nothing to resend")
            registry, case_id = old.registry_code, old.case_id
            address = old.contact_email if email is None else email
        runtime = self.platform.registry(registry)
        address = self._usable(runtime, address)
        spec = require_spec(runtime)
        with self.platform.sessions.begin() as session:
            case = locate_case(session, runtime, self.actor, case_id)
            if case.deleted_at is not None or case.status == CaseStatus.LOCKED:
                raise Conflict("the case is locked or deleted: its assessment cannot be asked for")
            old = self._writable(session, link_id)
            if old.status in OPEN:
                self._close(session, old)
            row, token = self._new_row(session, registry, case_id, old.facility_id, spec,
                                       address, resent_from=old.id)  # fmt: skip
            view = public(row, self._facility_code(session, row.facility_id))
        self._deliver(view, token, runtime.current.registry.name)
        return view
